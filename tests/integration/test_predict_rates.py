"""nucleate predict --rate: T_n at the cooling rates a user asks for, ranked per rate; refusals."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nucleate import cli
from nucleate.models.rate_head import RateHead

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "lj-mix-v1" / "descriptors-liquid"
SAMPLES = ROOT / "data" / "lj-fcc-v1" / "samples"


def _head(tmp_path, rate_ref=0.0015):
    """A rate head fitted on synthetic substrates that follow the CNT form (slope -0.12 (T_m - T))."""
    rng = np.random.default_rng(1)
    t0 = np.repeat(rng.uniform(0.40, 0.60, 15), 2)
    rate = np.tile([0.005, 0.0005], 15)
    tn = t0 - 0.12 * (0.62 - t0) * np.log10(rate / rate_ref) + rng.normal(0, 0.002, 30)
    return RateHead.fit(t0, rate, tn, rate_ref).save(tmp_path / "head" / "rate_head.json").parent


def _predict(tmp_path, out, *extra):
    frames = SAMPLES / "fcc111_m+00.0_e0.60" / "frames.extxyz.gz"
    code = cli.main(["predict", "--model", f"[{MODEL}]", "--trajectory", str(frames),
                     "--out", str(tmp_path / out), *extra])  # fmt: skip
    return code


def test_predict_at_several_rates_writes_curves_and_ranks(tmp_path, capsys):
    head = _head(tmp_path)
    code = _predict(tmp_path, "p", "--rate", "[0.005, 0.0005]", "--rate_model", str(head))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "T_n at the cooling rates asked for" in out and "rate 0.0005" in out
    (result,) = json.loads((tmp_path / "p" / "prediction.json").read_text())
    fast, slow = result["by_rate"]
    assert fast["rate"] == 0.005 and slow["rate"] == 0.0005
    # slower cooling, higher T_n; the model's own rate in between
    assert fast["tn"] < result["tn"] < slow["tn"]
    assert fast["tn_std"] >= result["tn_std"] * 0.9 and not fast["extrapolated"]
    rows = list(csv.DictReader(open(tmp_path / "p" / "rates.csv")))
    assert [float(r["rate"]) for r in rows] == [0.005, 0.0005]
    assert float(rows[1]["tn"]) == pytest.approx(slow["tn"], rel=1e-4)
    assert (tmp_path / "p" / "prediction_rates.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rate", "[0.5]"], "decades beyond the rates"),
        (["--rate", "[-0.001]"], "must be positive"),
        (["--rate", "[0.001]", "--rate_model", "NOHEAD"], "rate model"),
        (["--rate", "[0.001]", "--rate_model", "OTHER"], "do not fit together"),
    ],
)
def test_predict_refuses_rates_it_cannot_answer(tmp_path, capsys, extra, message):
    head = _head(tmp_path)
    other = _head(tmp_path / "o", rate_ref=0.003)
    extra = [str(tmp_path / "none") if e == "NOHEAD" else e for e in extra]
    extra = [str(other) if e == "OTHER" else e for e in extra]
    if "--rate_model" not in extra:
        extra += ["--rate_model", str(head)]
    code = _predict(tmp_path, "p", *extra)
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert not (tmp_path / "p").exists()


def test_rate_is_refused_for_propensity(capsys):
    code = cli.main(["predict", "--task", "propensity", "--model", "[models/lj-fcc-v1/propensity]",
                     "--trajectory", "x.extxyz", "--rate", "[0.001]"])  # fmt: skip
    assert code == 2 and "--rate applies to T_n" in capsys.readouterr().err


def test_the_bundled_rate_model_is_the_default(tmp_path, capsys):
    """models/lj-fcc-v1-rates/rate-head, fitted on data/lj-fcc-v1-rates, with a shipped model:
    slower cooling gives a higher T_n, and a weak nucleator's T_n moves more with the rate than
    a strong one's (as measured: 0.169 against 0.074 between 0.005 and 0.0005)."""
    head = RateHead.load(ROOT / "models" / "lj-fcc-v1-rates" / "rate-head")
    assert head.rate_ref == 0.0015 and head.rates == [0.0005, 0.0015, 0.005]
    assert head.slope(0.5, np.array(head.descriptor_mean) if head.descriptors else None) < 0
    shift = {}
    for name in ("fcc111_m+00.0_e0.60", "fcc111_m+00.0_e2.50"):
        frames = SAMPLES / name / "frames.extxyz.gz"
        code = cli.main(["predict", "--model", f"[{MODEL}]", "--trajectory", str(frames), "--out",
                         str(tmp_path / name), "--rate", "[0.0005, 0.005]", "--plot", "false"])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        (result,) = json.loads((tmp_path / name / "prediction.json").read_text())
        slow, fast = result["by_rate"]
        assert slow["tn"] > result["tn"] > fast["tn"]
        shift[name] = slow["tn"] - fast["tn"]
    assert shift["fcc111_m+00.0_e0.60"] > shift["fcc111_m+00.0_e2.50"] + 0.02

"""Data generation: config checks before any simulation, a real tiny campaign, kill and resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nucleate import cli
from nucleate.data import dataset
from nucleate.data.io import read_frames

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "data" / "tiny.yaml"
RAMP = {"rate": 0.0015, "t_floor": 0.35, "seeds": 3, "rates": []}


def generate(capsys, *args):
    code = cli.main(["generate", "-c", str(TINY), *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (["--interface.n_liquid", "-5"], "interface.n_liquid must be positive"),
        (["--ramp.seeds", "0"], "ramp.seeds must be positive"),
        (["--substrates.facets", "[211]"], "unknown facet '211'"),
        (["--ramp.t_floor", "0.9"], "must lie below T_eq"),
        (["--potential.pair_style", "nosuch/style 2.5"], "no pair style 'nosuch/style'"),
        (["--substrates.mismatch", "[5]"], "give fractions"),
        (["--substrates.files", "[/no/such/slab.xyz]"], "no such file"),
        (
            ["--substrates.families", "[{family: bcc111, values: [0.0]}]"],
            "unknown substrate family 'bcc111'",
        ),
        (["--substrates.families", "[{family: fcc111-alloy, values: [0.5]}]"], "give eps_sl2"),
        (
            ["--substrates.families", "[{family: bcc110, values: [0.0], eps_sl2: 0.3}]"],
            "eps_sl2 does not apply",
        ),
        (
            ["--substrates.families", "[{family: fcc111-vacancies, values: [1.5]}]"],
            "fraction 1.5 is outside [0, 0.9]",
        ),
    ],
)
def test_bad_config_fails_before_any_simulation(capsys, tmp_path, override, message):
    code, _out, err = generate(capsys, "--out", tmp_path / "ds", *override)
    assert code == 2
    assert err.startswith("nucleate: error:") and message in err, err
    assert not (tmp_path / "ds").exists()  # nothing was started


def _run_cli(out: Path, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "nucleate.cli", "generate", "-c", str(TINY), "--out", str(out)]
    return subprocess.Popen(
        [*cmd, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def _wait_for_samples(out: Path, n: int, proc, timeout=120.0):
    start = time.time()
    while time.time() - start < timeout:
        done = [p for p in (out / "samples").glob("*") if not p.name.startswith(".")]
        if len(done) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"campaign ended early: {proc.stderr.read().decode()}")
        time.sleep(0.1)
    pytest.fail("no sample appeared in time")


def _check_complete(out: Path, n: int):
    assert dataset.verify_dataset(out) == []
    rows = dataset.read_manifest(out)
    assert len(rows) == n and len({r["id"] for r in rows}) == n
    assert not [p for p in (out / "samples").iterdir() if p.name.startswith(".")]
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["campaign", "worker"])
def test_killed_campaign_resumes_without_loss_or_duplicates(capsys, tmp_path, victim):
    out = tmp_path / "ds"
    proc = _run_cli(out)
    _wait_for_samples(out, 1, proc)
    if victim == "campaign":
        workers = _workers(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the campaign process alone: its workers must follow
        time.sleep(1.0)
        assert not [w for w in workers if Path(f"/proc/{w}").exists() and _cmdline(w)]
    else:
        workers = _workers(proc.pid)
        assert workers, "no worker process found"
        os.kill(int(workers[0]), signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    if victim == "worker":
        assert b"run the same command again" in proc.stderr.read()
    os.killpg(proc.pid, signal.SIGKILL) if _alive(proc.pid) else None
    partial = {r["id"] for r in dataset.iter_records(out)}
    assert 1 <= len(partial) <= 4
    code = cli.main(["generate", "-c", str(TINY), "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    rows = _check_complete(out, 4)
    # finished samples were kept, not rerun
    for sid in partial:
        assert (out / "samples" / sid / "sample.json").exists()
    assert {r["id"] for r in rows} >= partial


def _workers(pid: int) -> list[str]:
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [k for k in kids if "spawn_main" in _cmdline(k)]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.slow
def test_tiny_campaign_labels_and_frames(capsys, tmp_path):
    out = tmp_path / "ds"
    code, stdout, err = generate(capsys, "--out", out)
    assert code == 0, err
    rows = _check_complete(out, 4)
    record = json.loads((out / "samples" / rows[0]["id"] / "sample.json").read_text())
    labels = record["labels"]
    assert labels["n_ramps"] == 2
    if labels["tn_censored"]:
        assert labels["tn"] is None and labels["tn_upper_bound"] == 0.40
    else:
        assert 0.40 <= labels["tn"] <= 0.68
        assert abs(sum(labels["polymorph"].values()) - 1.0) < 1e-9
    frames = read_frames(out / "samples" / rows[0]["id"] / "frames.extxyz.gz")
    assert len(frames) == 3
    f = frames[0]
    assert f.units == "lj" and f.substrate.any() and f.liquid.any()
    h = f.positions[f.liquid, 2] - record["substrate_top"]
    assert h.max() <= 4.0 + 1e-6  # only the interfacial region is kept
    card = (out / "README.md").read_text()
    assert "## Labels" in card and "Censored:" in card
    assert (out / "figures" / "tn_map.png").stat().st_size > 5000
    # a second run finds everything done and runs nothing
    code, stdout, _ = generate(capsys, "--out", out)
    assert code == 0 and "(0 run now)" in stdout


@pytest.mark.slow
def test_family_campaign_records_card_and_descriptors(capsys, tmp_path):
    """Two family substrates (one of two components) through generate, the card, verify and the
    slab-only descriptors."""
    out = tmp_path / "ds"
    code, _stdout, err = generate(
        capsys, "--out", out, "--substrates.facets", "[]", "--substrates.eps_sl", "[1.0]",
        "--substrates.families", "[{family: bcc110, values: [0.0]}, "
        "{family: fcc111-stripes, values: [1], eps_sl2: 0.3}]",
    )  # fmt: skip
    assert code == 0, err
    rows = {r["id"]: r for r in _check_complete(out, 2)}
    stripes = rows["fcc111-stripes_w1_e1.00"]
    assert (stripes["family"], stripes["param"], stripes["value"]) == ("fcc111-stripes", "width",
                                                                       "1.0")  # fmt: skip
    assert stripes["eps_sl2"] == "0.3" and rows["bcc110_m+00.0_e1.00"]["param"] == "mismatch"
    frames = read_frames(out / "samples" / "fcc111-stripes_w1_e1.00" / "frames.extxyz.gz")
    assert set(np.unique(frames[0].types[frames[0].substrate])) == {1, 3}
    card = (out / "README.md").read_text()
    assert "| fcc111-stripes | 1 |" in card and "`bcc110`: bcc(110)" in card
    assert (out / "figures" / "families.png").stat().st_size > 5000
    assert cli.main(["generate", "-c", str(TINY), "--out", str(out), "--verify", "true"]) == 0
    capsys.readouterr()
    feats = tmp_path / "feats"
    assert cli.main(["featurize", "--featurizer", "descriptors", "--data", str(out), "--out",
                     str(feats), "--cache_dir", str(tmp_path / "cache")]) == 0  # fmt: skip
    import csv

    table = {r["id"]: r for r in csv.DictReader(open(feats / "descriptors.csv"))}
    # both top layers are perfect nets; the stripes' weak rows make the landscape shallower
    assert float(table["fcc111-stripes_w1_e1.00"]["match_111"]) > 0.999
    assert float(table["fcc111-stripes_w1_e1.00"]["e_ads_min"]) > float(
        table["bcc110_m+00.0_e1.00"]["e_ads_min"]
    )


@pytest.mark.slow
def test_user_supplied_substrate_file(capsys, tmp_path):
    from ase.io import write

    from nucleate.data.substrates import fcc_slab

    slab = fcc_slab("100", 1.617 * 1.02, n_layers=2, min_lateral=6.0)
    slab.numbers[:] = 28
    write(tmp_path / "my_slab.extxyz", slab)
    out = tmp_path / "ds"
    code, _stdout, err = generate(
        capsys, "--out", out, "--substrates.facets", "[]", "--substrates.eps_sl", "[1.0]",
        "--substrates.files", f"[{tmp_path / 'my_slab.extxyz'}]",
    )  # fmt: skip
    assert code == 0, err
    rows = _check_complete(out, 1)
    assert rows[0]["id"] == "file-my_slab_e1.00" and rows[0]["family"] == "user"
    frames = read_frames(out / "samples" / rows[0]["id"] / "frames.extxyz.gz")
    top = frames[0].positions[frames[0].substrate, 2]
    np.testing.assert_allclose(np.ptp(top), 1.617 * 1.02 / 2, atol=1e-3)  # two (100) layers kept


@pytest.mark.parametrize("config", sorted((ROOT / "configs" / "data").glob("*.yaml")), ids=str)
def test_shipped_data_configs_validate(capsys, config):
    code = cli.main(["generate", "-c", str(config), "--dry_run", "true"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "substrates ->" in out


@pytest.mark.slow
def test_campaign_on_a_dask_cluster(capsys, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "ds"
    code, _stdout, err = generate(
        capsys, "--out", out, "--executor.kind", "dask", "--substrates.facets", "[111]"
    )
    assert code == 0, err
    _check_complete(out, 2)


def test_a_failing_simulation_does_not_stop_the_others(capsys, tmp_path):
    # valid for validation, wrong for LAMMPS at run time (pair_coeff lacks sigma): every task fails
    code, _out, err = generate(
        capsys, "--out", tmp_path / "ds", "--substrates.facets", "[111]",
        "--potential.pair_coeffs", "['1 1 0.0 1.0', '1 2 {eps_sl} 1.0', '2 2 1.0']",
    )  # fmt: skip
    assert code == 2
    assert "2 of 2 substrates failed" in err and "pair" in err.lower()
    assert dataset.read_manifest(tmp_path / "ds") == []


@pytest.mark.slow
def test_more_ramps_top_up_finished_samples(capsys, tmp_path):
    """Raising ramp.seeds adds only the missing ramps: the equilibrium run is re-made with the
    sample's seeds (it reproduces the stored frames), the first ramps are kept as they were and
    the labels are recomputed over all ramps."""
    out = tmp_path / "ds"
    one = ["--out", out, "--substrates.facets", "[111]", "--substrates.eps_sl", "[1.2]"]
    code, _, err = generate(capsys, *one, "--ramp.seeds", "1")
    assert code == 0, err
    (sid,) = [r["id"] for r in dataset.read_manifest(out)]
    before = json.loads((out / "samples" / sid / "sample.json").read_text())
    frames_before = (out / "samples" / sid / "frames.extxyz.gz").read_bytes()
    assert before["labels"]["n_ramps"] == 1 and before["labels"]["tn_std"] is None
    code, stdout, err = generate(capsys, *one, "--ramp.seeds", "2")
    assert code == 0, err
    assert "1 of them adding ramps" in stdout
    after = json.loads((out / "samples" / sid / "sample.json").read_text())
    assert after["ramps"][0] == before["ramps"][0]
    assert len(after["ramps"]) == 2 and after["ramps"][1]["seed"] != after["ramps"][0]["seed"]
    tns = [r["tn"] for r in after["ramps"] if not r["censored"]]
    if len(tns) == 2:
        assert after["labels"]["tn"] == pytest.approx(np.mean(tns))
        assert after["labels"]["tn_std"] == pytest.approx(np.std(tns, ddof=1))
    (top_up,) = after["top_ups"]
    assert top_up["ramps_before"] == 1 and top_up["ramps_after"] == 2
    assert top_up["equilibrium_max_deviation"] < 1e-3  # the same equilibrium run, re-made
    assert (out / "samples" / sid / "frames.extxyz.gz").read_bytes() == frames_before
    assert after["wall_seconds"] > before["wall_seconds"]
    _check_complete(out, 1)
    assert dataset.read_manifest(out)[0]["n_ramps"] == "2"
    assert "Ramps per substrate: 2 for 1." in (out / "README.md").read_text()
    # nothing left to do; a changed protocol is refused rather than mixed into the data set
    code, stdout, _ = generate(capsys, *one, "--ramp.seeds", "2")
    assert code == 0 and "(0 run now)" in stdout
    code, _, err = generate(capsys, *one, "--ramp.rate", "0.02")
    assert code == 2 and "other ramp settings" in err


def test_reused_samples_gain_ramps_at_new_rates(capsys, tmp_path):
    """A campaign with ``reuse`` copies a finished sample of the same protocol instead of
    simulating it, keeps its ramp as it was, and adds ramps at the rates it lacks, each with its
    own seed and a check interval scaled to the rate; labels per rate reach the manifest."""
    one = ["--substrates.facets", "[111]", "--substrates.eps_sl", "[1.2]", "--ramp.seeds", "1"]
    code, _, err = generate(capsys, "--out", tmp_path / "a", *one)
    assert code == 0, err
    (sid,) = [r["id"] for r in dataset.read_manifest(tmp_path / "a")]
    first = json.loads((tmp_path / "a" / "samples" / sid / "sample.json").read_text())
    rated = [
        "--out",
        tmp_path / "b",
        "--reuse",
        f"[{tmp_path / 'a'}]",
        "--ramp.rates",
        "[0.01, 0.03]",
    ]
    code, stdout, err = generate(capsys, *one, *rated)
    assert code == 0, err
    assert "1 finished samples copied" in stdout
    after = json.loads((tmp_path / "b" / "samples" / sid / "sample.json").read_text())
    assert after["ramps"][0] == first["ramps"][0] and after["reused_from"] == str(tmp_path / "a")
    assert [r["rate"] for r in after["ramps"]] == [0.01, 0.03]
    assert after["ramps"][1]["seed"] != first["ramps"][0]["seed"]
    assert set(after["labels_by_rate"]) == {"0.01", "0.03"}
    assert after["labels"] == after["labels_by_rate"]["0.01"] == first["labels"]
    (row,) = _check_complete(tmp_path / "b", 1)
    assert row["n_ramps_r0.03"] == "1" and row["tn_r0.01"] == row["tn"]
    # the fast ramp is checked every 200 * 0.01 / 0.03 = 67 steps
    assert after["ramps"][1]["steps"] % 67 == 0
    # a data set of another protocol is not reused
    code, _, err = generate(capsys, *one, "--out", tmp_path / "c", "--reuse",
                            f"[{tmp_path / 'a'}]", "--equilibrium.eq_time", "6.0")  # fmt: skip
    assert code == 2 and "other equilibrium settings" in err


def test_a_sample_moved_aside_by_a_killed_replacement_is_restored(tmp_path):
    out = tmp_path / "ds"
    for name, text in [("a", "old"), (".old-b", "kept"), (".old-a", "stale"), (".tmp-c-1", "x")]:
        (out / "samples" / name).mkdir(parents=True)
        (out / "samples" / name / "sample.json").write_text(text)
    dataset.clean_staging(out)
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["a", "b"]
    assert (out / "samples" / "a" / "sample.json").read_text() == "old"  # the finished one
    assert (out / "samples" / "b" / "sample.json").read_text() == "kept"  # put back


def _ramp(tn):
    poly = {"fcc": 1.0, "hcp": 0.0, "bcc": 0.0, "other": 0.0}
    return {"tn": tn, "censored": tn is None, "polymorph": None if tn is None else poly}


@pytest.mark.parametrize(
    ("tns", "tn", "censored"),
    [
        ([0.50, 0.52, 0.54], 0.52, False),  # none censored: the mean
        ([0.50, 0.53], 0.515, False),
        ([None, 0.364, 0.378], 0.364, False),  # one of three censored: the median, not 0.371
        ([None, 0.40, 0.42, 0.47], 0.41, False),
        ([None, 0.3501], None, True),  # half censored: the median lies below the floor
        ([None, None, 0.38], None, True),
        ([None, None], None, True),
    ],
)
def test_ramp_labels_with_censored_ramps(tns, tn, censored):
    from nucleate.data.campaign import ramp_labels

    labels = ramp_labels([_ramp(t) for t in tns], t_floor=0.35)
    assert labels["tn_censored"] is censored
    assert labels["tn"] == (None if tn is None else pytest.approx(tn))
    assert labels["tn_upper_bound"] == (0.35 if censored else None)
    assert labels["n_ramps"] == len(tns) and labels["n_censored"] == tns.count(None)


def test_relabel_brings_stored_labels_to_the_current_rule(tmp_path):
    from nucleate.data.campaign import ramp_labels, relabel

    ramps = {"a": [_ramp(0.5), _ramp(0.52)], "b": [_ramp(None), _ramp(0.364), _ramp(0.378)]}
    stale = {
        "a": ramp_labels(ramps["a"], 0.35),
        "b": {**ramp_labels(ramps["b"], 0.35), "tn": 0.371},
    }
    for sid in ramps:
        (tmp_path / "samples" / sid).mkdir(parents=True)
        record = {"id": sid, "parameters": {}, "ramps": ramps[sid], "labels": stale[sid]}
        dataset.write_record(tmp_path / "samples" / sid, record)
    a_before = (tmp_path / "samples" / "a" / "sample.json").stat().st_mtime_ns
    assert relabel(tmp_path, RAMP) == ["b"]
    assert (tmp_path / "samples" / "a" / "sample.json").stat().st_mtime_ns == a_before
    dataset.write_manifest(tmp_path)
    rows = {r["id"]: r for r in dataset.read_manifest(tmp_path)}
    assert float(rows["b"]["tn"]) == pytest.approx(0.364) and float(rows["a"]["tn"]) == 0.51
    assert relabel(tmp_path, RAMP) == []


def test_verify_exits_non_zero_on_any_problem_and_never_tracebacks(capsys, tmp_path, film):
    from conftest import synthetic_dataset

    root = synthetic_dataset(tmp_path / "ds", film, 3)

    def verify():
        code = cli.main(["generate", "-c", str(TINY), "--out", str(root), "--verify", "true"])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = verify()
    assert code == 0 and "3 samples, no problems" in out
    frames = root / "samples" / "s01" / "frames.extxyz.gz"
    frames.write_bytes(frames.read_bytes()[:-10])  # a truncated file
    code, out, err = verify()
    assert code == 2 and "s01: samples/s01/frames.extxyz.gz sha256 differs" in out
    assert "1 problem (listed above)" in err and "Traceback" not in err
    (root / "samples" / "s02" / "sample.json").write_text('{"id": "s02", "fam')
    code, out, err = verify()
    assert code == 2 and "s02/sample.json is damaged" in out and "2 problems" in err
    # everything else that reads the samples names the damaged file in one line
    code = cli.main(["generate", "-c", str(TINY), "--out", str(root), "--card", "true"])
    err = capsys.readouterr().err
    assert code == 2 and "sample.json is damaged" in err and len(err.strip().splitlines()) == 1

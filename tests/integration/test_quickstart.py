"""nucleate quickstart end to end on a tiny data set: trains, predicts, ramps, reports."""

import json
from dataclasses import asdict, fields
from pathlib import Path

import pytest
import yaml
from conftest import synthetic_dataset

from nucleate import cli
from nucleate.data.campaign import Campaign
from nucleate.data.dataset import to_plain
from nucleate.workflows.quickstart import QuickstartConfig

ROOT = Path(__file__).resolve().parents[2]


def _quickstart(data, out, epochs: int) -> int:
    """The quickstart on a tiny data set with tiny models."""
    return cli.main([
        "quickstart", "--data", str(data), "--out", str(out), "--substrate", "fcc111:+0.02",
        "--eps_sl", "1.2", "--ramp_seeds", "2",
        "--cnn", f"{{max_epochs: {epochs}, ensemble: 2, featurizer_settings: {{layers: [1], "
                 "size: 16}, model_args: {widths: [4, 8]}}",
        "--gnn", f"{{max_epochs: {epochs}, ensemble: 2, model_args: {{hidden: 8, layers: 1, "
                 "cutoff: 1.5}}",
        "--select", "{cv_folds: 3, max_features: 3}",
    ])  # fmt: skip


def test_shipped_quickstart_config_holds_the_defaults():
    shipped = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    assert shipped == to_plain(asdict(QuickstartConfig()))


@pytest.mark.slow
def test_quickstart_end_to_end(capsys, tmp_path, film):
    data = synthetic_dataset(tmp_path / "ds", film, 16)
    parser = cli.build_parser()
    cfg = parser.instantiate(parser.parse_args(["generate", "-c", "configs/data/tiny.yaml"]))
    campaign = Campaign(**{f.name: cfg.generate[f.name] for f in fields(Campaign)})
    (data / "campaign.yaml").write_text(yaml.safe_dump(to_plain(asdict(campaign))))
    out = tmp_path / "qs"
    shm = set(Path("/dev/shm").glob("mpich_shm_*"))
    code = _quickstart(data, out, epochs=2)
    stdout, err = capsys.readouterr()
    assert code == 0, err
    # its worker (the ramps' LAMMPS) ended as a process should: MPI's shared memory went with it
    assert set(Path("/dev/shm").glob("mpich_shm_*")) <= shm
    result = json.loads((out / "quickstart.json").read_text())
    assert result["substrate"] == "fcc111_m+02.0_e1.20"
    assert result["direct"]["n"] == 2 and set(result["predicted"]) == {"cnn", "gnn", "descriptors"}
    for p in result["predicted"].values():
        assert p["uncertainty"] >= p["test_rmse"] > 0 and isinstance(p["within"], bool)
    page = (out / "report.html").read_text()
    assert "A substrate none of the models has seen" in page and page.count("<img") >= 4
    assert "report:" in stdout and "next:" in stdout
    # run again into the same directory: everything is redone, nothing collides
    code = _quickstart(data, out, epochs=1)
    assert code == 0, capsys.readouterr().err
    # no prediction without a test: a bad substrate is refused before anything runs
    code = cli.main(["quickstart", "--data", str(data), "--out", str(out), "--substrate",
                     "fcc112:0.0"])  # fmt: skip
    assert code == 2 and "<family>:<value>" in capsys.readouterr().err


def test_quickstart_finds_or_names_its_bundled_inputs_from_any_directory(
    tmp_path, monkeypatch, capsys
):
    from nucleate import resources

    monkeypatch.chdir(tmp_path)
    for name in ("data", "configs", "select_config"):  # the defaults resolve outside the repository
        default = getattr(QuickstartConfig(), name)
        assert resources.resolve(default) == ROOT / default
    assert cli.main(["quickstart", "--data", "data/none", "--out", "qs"]) == 2
    assert "data/none: not found (looked in the working directory" in capsys.readouterr().err
    assert not (tmp_path / "qs").exists()

"""Bundled data, models and configs are found from any working directory."""

from pathlib import Path

from nucleate import resources

ROOT = Path(__file__).resolve().parents[2]


def test_working_directory_first_then_root_then_installation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(resources.ENV, raising=False)
    # nothing here: the installation's own models/
    assert resources.resolve("models/lj-fcc-v1/gnn") == ROOT / "models/lj-fcc-v1/gnn"
    # NUCLEATE_ROOT comes before the installation
    other = tmp_path / "elsewhere"
    (other / "models/lj-fcc-v1/gnn").mkdir(parents=True)
    monkeypatch.setenv(resources.ENV, str(other))
    assert resources.resolve("models/lj-fcc-v1/gnn") == other / "models/lj-fcc-v1/gnn"
    # and the working directory before both
    (tmp_path / "models/lj-fcc-v1/gnn").mkdir(parents=True)
    assert resources.resolve("models/lj-fcc-v1/gnn") == Path("models/lj-fcc-v1/gnn")


def test_missing_resource_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(resources.ENV, raising=False)
    assert resources.resolve("models/none") == Path("models/none")
    said = resources.where_looked("models/none")
    assert "working directory" in said and str(ROOT) in said and resources.ENV in said

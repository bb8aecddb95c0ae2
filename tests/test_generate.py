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

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "data" / "tiny.yaml"


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

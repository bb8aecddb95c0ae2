"""The CLI in-process: help, the inspect command, and one clear line for each kind of bad input."""

import atexit
import json

import numpy as np
import pytest
from ase.io import write
from conftest import shaken

from nucleate import cli

ALL = ["generate", "featurize", "train", "select", "predict", "report", "quickstart"]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in [*ALL, "inspect"]:
        assert name in out


@pytest.mark.parametrize(
    "name, hint", [("generate", "run the same command again"), ("select", None)]
)
def test_ctrl_c_ends_with_one_line_and_how_to_go_on(capsys, monkeypatch, name, hint):
    """An interrupted command (Ctrl-C) prints one line, not a traceback, with exit status 130;
    a campaign says that running it again goes on from its finished samples."""

    class Interrupted:
        @staticmethod
        def add_arguments(parser):
            pass

        @staticmethod
        def run(cfg):
            raise KeyboardInterrupt

    real = cli.command
    monkeypatch.setattr(cli, "command", lambda n: Interrupted if n == name else real(n))
    code, _, err = run(capsys, name)
    assert code == 130 and err.startswith("nucleate: interrupted") and "Traceback" not in err
    assert (hint in err) if hint else err.strip() == "nucleate: interrupted"
    monkeypatch.setenv("NUCLEATE_DEBUG", "1")  # debugging keeps the traceback
    with pytest.raises(KeyboardInterrupt):
        cli.main([name])


def test_the_program_runs_main_then_collects_and_freezes(monkeypatch):
    """``run`` (the installed ``nucleate``) returns main's status; the garbage main left is
    finalized (a cycle with a finalizer), and what is left alive is frozen out of the collector
    (the interpreter's exit then does not walk it)."""
    import gc

    finalized = []

    class Cycle:
        def __del__(self):
            finalized.append(True)

    def fake_main(argv=None):
        a = Cycle()
        a.self = a  # a reference cycle: only the collector can free it
        return 3

    monkeypatch.setattr(cli, "main", fake_main)
    gc.disable()  # no collection of its own between main and the check
    try:
        assert cli.run(["x"]) == 3
        assert finalized == [True] and gc.get_freeze_count() > 0
    finally:
        atexit.unregister(cli._quiet_teardown)
        gc.unfreeze()
        gc.enable()


def test_short_commands_put_off_the_full_collections(monkeypatch):
    """A prediction's process ends soon: no full pass over every object its imports made while it
    runs (the exit collects once); a training run keeps the collector's thresholds."""
    import gc

    seen = {}
    monkeypatch.setattr(cli, "main", lambda argv=None: seen.update({argv[0]: gc.get_threshold()}))
    before = gc.get_threshold()
    try:
        for name in ("predict", "train"):
            cli.run([name])
            gc.unfreeze()
            gc.set_threshold(*before)
    finally:
        atexit.unregister(cli._quiet_teardown)
        gc.set_threshold(*before)
    assert seen["predict"] == (*before[:2], cli.FULL_PASSES_PUT_OFF)
    assert seen["train"] == before


def test_the_program_ends_without_a_leak_report(film_file):
    """A frozen exit leaves nanobind's extensions (freud) alive at the interpreter's end, which
    they report as leaks on stderr; the program's own messages still come through."""
    import subprocess
    import sys

    path = str(film_file[0])
    code = ("import sys, freud; from nucleate.cli import run; "
            f"sys.exit(run(['inspect', {path!r}, '--substrate_types', '[1]']))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "layer" in done.stdout
    assert "leak" not in done.stderr
    bad = subprocess.run([sys.executable, "-c", code.replace(path, "nothere.xyz")],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "nucleate: error: nothere.xyz" in bad.stderr


@pytest.fixture
def film_file(tmp_path, film):
    atoms, d, _ = film(size=(6, 6), n_liquid=8)
    path = tmp_path / "film.extxyz"
    write(path, shaken(atoms, 0.08, 3))
    return path, d


def test_inspect_writes_summary_and_plot(capsys, tmp_path, film_file):
    path, d = film_file
    code, out, err = run(
        capsys, "inspect", path, "--substrate_types", "[1]", "--json", tmp_path / "s.json",
        "--plot", tmp_path / "p.png",
    )  # fmt: skip
    assert code == 0, err
    assert "layer" in out and "substrate surface" in out
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["layers"][0]["peak"] == pytest.approx(d, abs=0.1 * d)
    assert (tmp_path / "p.png").stat().st_size > 10_000


@pytest.mark.parametrize("types", ["1", "[1]"])
def test_inspect_takes_one_substrate_type_plain_or_as_a_list(capsys, tmp_path, film_file, types):
    """`--substrate_types 1` as a newcomer types it, and the list form, give the same layers."""
    path, _ = film_file
    code, _, err = run(capsys, "inspect", path, "--substrate_types", types,
                       "--json", tmp_path / "s.json")  # fmt: skip
    assert code == 0, err
    assert json.loads((tmp_path / "s.json").read_text())["layers"]


def test_inspect_reads_options_from_yaml(capsys, tmp_path, film_file):
    path, _ = film_file
    config = tmp_path / "inspect.yaml"
    config.write_text(f"path: {path}\nsubstrate_types: [1]\nn_layers: 3\n")
    code, out, err = run(capsys, "inspect", "--config", config)
    assert code == 0, err
    assert "\n      3 " in out


def _one_line_error(capsys, *argv, match):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert err.startswith("nucleate: error: ")
    assert err.count("\n") == 1, err  # one line, no traceback
    assert match in err, err
    return err


def test_missing_file(capsys, tmp_path):
    _one_line_error(capsys, "inspect", tmp_path / "nope.xyz", match="no such file")


def test_empty_and_garbage_files(capsys, tmp_path):
    (tmp_path / "empty.xyz").write_text("")
    _one_line_error(capsys, "inspect", tmp_path / "empty.xyz", match="file is empty")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 4)
    _one_line_error(capsys, "inspect", tmp_path / "junk.bin", match="junk.bin")
    (tmp_path / "bad.extxyz").write_text("3\nPBC=T\nAr 0 0\nAr 0 0 x\n")
    _one_line_error(capsys, "inspect", tmp_path / "bad.extxyz", match="malformed")
    _one_line_error(capsys, "inspect", tmp_path, match="directory")


def test_truncated_trajectory(capsys, tmp_path, film_file):
    path, _ = film_file
    text = path.read_text()
    path.write_text(text[: len(text) - 500])
    _one_line_error(capsys, "inspect", path, "--substrate_types", "[1]", match="frame 2")


def test_no_substrate_and_no_liquid(capsys, film_file):
    path, _ = film_file
    _one_line_error(capsys, "inspect", path, "--substrate_types", "[7]", match="no substrate atoms")
    _one_line_error(capsys, "inspect", path, match="no substrate given")
    _one_line_error(
        capsys, "inspect", path, "--substrate_types", "[1]", "--liquid_types", "[O]",
        match="no liquid atoms",
    )  # fmt: skip


def test_nan_coordinates(capsys, tmp_path, film):
    atoms, _, _ = film()
    atoms.positions[5, 2] = np.nan
    write(tmp_path / "nan.extxyz", atoms)
    _one_line_error(
        capsys, "inspect", tmp_path / "nan.extxyz", "--substrate_types", "[1]", match="NaN"
    )


def test_non_periodic_cell(capsys, tmp_path, film):
    atoms, _, _ = film()
    atoms.pbc = False
    write(tmp_path / "np.extxyz", atoms)
    _one_line_error(
        capsys, "inspect", tmp_path / "np.extxyz", "--substrate_types", "[1]", match="periodic"
    )
    atoms.pbc = True
    atoms.cell = np.zeros((3, 3))
    write(tmp_path / "nocell.xyz", atoms, format="xyz")
    _one_line_error(
        capsys, "inspect", tmp_path / "nocell.xyz", "--substrate_types", "[1]", match="periodic"
    )


def test_atoms_outside_the_cell_are_wrapped(capsys, tmp_path, film):
    atoms, _, _ = film(noise=0.05)
    write(tmp_path / "in.extxyz", atoms)
    moved = atoms.copy()
    moved.positions[::3] += 2 * moved.cell[0] - 3 * moved.cell[1]  # whole periods away
    write(tmp_path / "out.extxyz", moved)
    a = cli_summary(tmp_path / "in.extxyz")
    b = cli_summary(tmp_path / "out.extxyz")
    for la, lb in zip(a["layers"], b["layers"], strict=True):
        for key in ("lower", "upper", "peak", "atoms_per_area"):
            assert lb[key] == pytest.approx(la[key], abs=1e-9)


def cli_summary(path):
    cfg = cli.build_parser().parse_args(["inspect", str(path), "--substrate_types", "[1]"])
    from nucleate.cli.inspect import run

    return run(cfg.inspect)


def test_no_detectable_layer(capsys, tmp_path, film):
    atoms, _, _ = film()
    atoms.positions[atoms.numbers == 2, 2] += 6.0
    atoms.cell[2, 2] += 6.0
    write(tmp_path / "detached.extxyz", atoms)
    _one_line_error(
        capsys, "inspect", tmp_path / "detached.extxyz", "--substrate_types", "[1]",
        match="no liquid layer detected",
    )  # fmt: skip


def test_inspect_a_film_upside_down_and_a_two_sided_slab(tmp_path, capsys):
    """A surface facing -z is read from below; liquid on both sides needs --side."""
    from ase.io import write
    from conftest import layered_film

    atoms, _, _ = layered_film(size=(4, 4), n_liquid=6, noise=0.03, orthogonal=True)
    up = tmp_path / "up.extxyz"
    write(up, atoms)
    down = atoms.copy()
    down.positions[:, 2] = down.cell[2, 2] - down.positions[:, 2]
    write(tmp_path / "down.extxyz", down)
    sub = atoms.numbers == 1
    mid = 0.5 * (atoms.positions[sub, 2].min() + atoms.positions[sub, 2].max())
    below = atoms[~sub]
    below.positions[:, 2] = 2 * mid - below.positions[:, 2]  # the liquid mirrored below the slab
    both = atoms + below
    both.positions[:, 2] -= both.positions[:, 2].min() - 1.0
    both.cell[2, 2] = both.positions[:, 2].max() + 1.0
    write(tmp_path / "both.extxyz", both)

    def layers(name, *extra):
        assert cli.main(["inspect", str(tmp_path / name), "--substrate_types", "[1]",
                         "--json", str(tmp_path / f"{name}.json"), *extra]) == 0  # fmt: skip
        return [la["peak"] for la in json.loads((tmp_path / f"{name}.json").read_text())["layers"]]

    assert layers("down.extxyz") == pytest.approx(layers("up.extxyz"), abs=1e-6)
    assert cli.main(["inspect", str(tmp_path / "both.extxyz"), "--substrate_types", "[1]"]) == 2
    assert "--side top or --side bottom" in capsys.readouterr().err
    assert layers("both.extxyz", "--side", "bottom") == pytest.approx(layers("up.extxyz"), abs=1e-6)
    # both faces, two samples of one surface: the same layers, from twice the frames
    assert layers("both.extxyz", "--side", "both") == pytest.approx(layers("up.extxyz"), abs=1e-6)
    assert json.loads((tmp_path / "both.extxyz.json").read_text())["n_frames"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "--trajectory", "x.extxyz"], "give --model"),
        (["predict", "--model", "[m]"], "give either --trajectory FILE or --substrate"),
        (["predict", "--model", "[m]", "--substrate", "[fcc111:+0.01]"], "needs --eps_sl"),
        (
            ["predict", "--model", "[m]", "--trajectory", "x", "--eps_sl", "[1, 2]"],
            "2 values of --eps_sl for 1 trajectory",
        ),
        (["predict", "--model", "[m]", "--task", "propensity"], "give --trajectory FILE"),
        (["predict", "--model", "[m]", "--per-atom", "true"], "give --trajectory FILE"),
        (["featurize", "--featurizer", "graph"], "give either --data DIR or --trajectory"),
        (["featurize", "--featurizer", "imgae", "--data", "d"], "unknown featurizer 'imgae'"),
        (["featurize", "--data", "d", "--settings", "{grdi: 3}"], "bad settings for featurizer"),
        (["featurize", "--trajectory", "t", "--precursor_map", "p.png"], "needs --trajectory and"),
        (["inspect", "nowhere.extxyz"], "nowhere.extxyz: no such file"),
    ],
)
def test_config_objects_refuse_bad_options_before_any_work(capsys, tmp_path, argv, message):
    """predict, featurize and inspect check their typed configs at start-up: one line, exit 2,
    and nothing written (the old --per-atom spelling is the propensity task)."""
    code, _, err = run(capsys, *argv, *(["--out", tmp_path / "o"] if argv[0] != "inspect" else []))
    assert code == 2 and message in err, err
    assert not (tmp_path / "o").exists()


def test_predict_config_reads_the_old_per_atom_spelling_as_the_task():
    from nucleate.predict.command import PredictConfig

    assert PredictConfig(per_atom=True).task == "propensity"
    assert PredictConfig().task == "tn"
    assert PredictConfig(index="-1").read_kwargs()["index"] == -1


@pytest.mark.parametrize(
    "given, want",
    [
        (["--model", "models/lj-mix-v1/gnn", "--substrate", "bcc110:-0.02", "--eps_sl", "1.0",
          "--rate", "0.005"],
         (["models/lj-mix-v1/gnn"], ["bcc110:-0.02"], [1.0], [0.005])),
        (["--model", "[a, b]", "--substrate", "[bcc110:-0.02, fcc111:+0.015]", "--eps_sl",
          "[0.5, 1.0]", "--rate", "[0.005, 0.0005]"],
         (["a", "b"], ["bcc110:-0.02", "fcc111:+0.015"], [0.5, 1.0], [0.005, 0.0005])),
    ],
)  # fmt: skip
def test_predict_takes_one_value_or_a_list_where_it_takes_several(given, want):
    """`--model models/lj-mix-v1/gnn` as a newcomer types it means a list of one, as
    `--model '[models/lj-mix-v1/gnn]'` does; lists stay lists."""
    from nucleate.cli import build_parser
    from nucleate.cli.common import section
    from nucleate.predict.command import PredictConfig

    cfg = build_parser("predict").parse_args(["predict", *given])
    got = section(PredictConfig, cfg.predict)
    assert (got.model, got.substrate, got.eps_sl, got.rate) == want
    got.validate()  # (a substrate screen: consistent)

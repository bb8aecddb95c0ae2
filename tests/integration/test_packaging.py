"""The project is installable as the README says, and CI runs exactly the README's commands."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text()
    setup = re.findall(r"^python3 -m venv \.venv && .*$", readme, flags=re.M)
    tests = re.findall(r"^\.venv/bin/python -m pytest$", readme, flags=re.M)
    assert len(setup) == 1 and setup[0].endswith(" && .venv/bin/nucleate quickstart")
    assert "pip install torch==2.13.0 -e '.[dev]'" in setup[0]
    assert len(tests) == 1
    ci = (ROOT / ".ci" / "run").read_text()
    assert "grep -m1 '^python3 -m venv .venv && ' README.md" in ci
    assert 'eval "$install"' in ci and 'eval "$tests"' in ci
    assert "WANDB_MODE=offline" in ci


def test_torch_is_bounded_and_console_script_declared():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch = next(
        d for d in meta["dependencies"] if d.startswith("torch>") or d.startswith("torch<")
    )
    assert "<" in torch, "an unbounded torch pulls a multi-GB CUDA build"
    assert meta["scripts"]["nucleate"] == "nucleate.cli:run"
    assert {"dev", "cluster"} <= set(meta["optional-dependencies"])


def test_featurizers_import_neither_torch_nor_ase():
    code = (
        "import sys, nucleate.structure.layers, nucleate.frame;"
        "print('torch' in sys.modules, 'ase' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


SUBCOMMAND_OF = {"data": "generate", "select": "select", "train": "train", "configs": "quickstart"}


@pytest.mark.parametrize(
    "config", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_shipped_config_instantiates(config):
    from nucleate.cli import build_parser

    sub = SUBCOMMAND_OF[config.parent.name]
    parser = build_parser()
    cfg = parser.instantiate(parser.parse_args([sub, "-c", str(config)]))
    assert cfg.command == sub

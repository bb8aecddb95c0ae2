"""The README and the documentation cannot drift from the code: every ``nucleate`` command they
show parses with the real CLI, every ```python block runs, every table directive renders, and the
README's headline table is the one the result files give."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])
PAGES = [p for p in PAGES if p.exists()]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`((?:\.venv/bin/)?nucleate [^`]+)`")


def _tables():
    spec = importlib.util.spec_from_file_location(
        "nucleate_docs_tables", ROOT / "docs" / "tables.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(language: str) -> list[tuple[str, str]]:
    return [
        (f"{page.relative_to(ROOT)}#{i}", m.group(2))
        for page in PAGES
        for i, m in enumerate(m for m in FENCE.finditer(page.read_text()) if m.group(1) == language)
    ]


def _commands() -> list[tuple[str, list[str]]]:
    """Every nucleate command line of the pages' bash blocks and of the README's inline code."""
    found = []
    for page in PAGES:
        text = page.read_text()
        lines = [
            line for m in FENCE.finditer(text) if m.group(1) == "bash"
            for line in m.group(2).replace("\\\n", " ").splitlines()
        ]  # fmt: skip
        if page.name == "README.md":  # the README's table of subcommands, one example each
            lines += INLINE.findall(text)
        for line in lines:
            for part in line.split("&&"):
                try:
                    words = shlex.split(part, comments=True)
                except ValueError:  # unbalanced quotes: a command no shell would run either
                    found.append((f"{page.relative_to(ROOT)}: {part.strip()}", ["--unparsable"]))
                    continue
                if words and words[0] in ("nucleate", ".venv/bin/nucleate"):
                    found.append((f"{page.relative_to(ROOT)}: {part.strip()}", words[1:]))
    return found


def test_pages_show_commands_and_code():
    """The collection below is not empty by accident: the README alone shows several commands."""
    readme = [c for c in _commands() if c[0].startswith("README.md")]
    assert len(readme) >= 8


@pytest.mark.parametrize(("where", "argv"), _commands(), ids=[c[0] for c in _commands()])
def test_command_parses(where, argv, monkeypatch):
    from nucleate.cli import build_parser

    monkeypatch.chdir(ROOT)  # configs named by the pages are read from the repository root
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # jsonargparse reports a bad command line by exiting
        pytest.fail(f"{where} does not parse (exit {exc.code})")


@pytest.mark.parametrize(
    ("where", "code"), _blocks("python"), ids=[b[0] for b in _blocks("python")]
)
def test_python_block_runs(where, code, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NUCLEATE_EXAMPLE_TMP", str(tmp_path))
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})


def test_every_directive_renders():
    tables = _tables()
    for page in PAGES:
        for line in page.read_text().splitlines():
            m = tables.DIRECTIVE.match(line.strip())
            if m:
                assert tables.render(*m.groups()).strip(), f"{page}: {line} renders empty"


def test_unknown_directive_is_an_error():
    with pytest.raises(ValueError, match="unknown table"):
        _tables().render("table", "nonsense")


@pytest.mark.parametrize("name", ["README.md", "models/lj-fcc-v1/README.md",
                                  "models/ka3d-t044/README.md"])  # fmt: skip
def test_generated_tables_are_current(name):
    """The README's and the model cards' tables are the files' numbers; `python docs/tables.py`
    rewrites them."""
    tables = _tables()
    assert name in tables.GENERATED
    text = (ROOT / name).read_text()
    found = tables.blocks(text)
    assert found, f"{name} has no generated table"
    for start, end, kind, arg in found:
        shown = "\n".join(text.splitlines()[start + 1 : end])
        assert shown == tables.render(kind, arg), f"{name}: stale table; run python docs/tables.py"
        assert shown.count("\n") >= 2  # a header, a rule and at least one row


def test_a_stale_block_is_rewritten_and_expanded_once():
    tables = _tables()
    text = "intro\n<!-- table: headline -->\n| old |\n<!-- end table -->\nafter\n"
    new = tables.refreshed(text)
    assert "| old |" not in new and new.endswith("after\n")
    assert tables.expand(text).count("| task |") == 1 and "| old |" not in tables.expand(text)


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150

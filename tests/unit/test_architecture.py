"""The import graph of the package runs downhill (shared/DESIGN.md "Layout"): no cycle, no upward
import, no private name imported from another module, and every module imports."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nucleate"

#: layer of each top-level part, bottom first: a module may import its own layer and below;
#: report sits under train and predict, which call it for their pictures and cards
RANK = {"": 0, "errors": 0, "registry": 0, "frame": 0, "resources": 0, "structure": 1, "data": 2,
        "featurize": 3, "models": 3, "report": 3.5, "train": 4, "predict": 4, "workflows": 5,
        "cli": 6, "__main__": 7}  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").relative_to(PACKAGE).parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path):
    """(target module, imported names) of every nucleate import in a file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "nucleate" or node.module.startswith("nucleate."):
                yield (
                    node.module.removeprefix("nucleate").removeprefix("."),
                    [a.name for a in node.names],
                )
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("nucleate."):
                    yield a.name.removeprefix("nucleate."), []


def resolve(target: str) -> str:
    """The module a dotted target names (a name imported from a package maps to the package)."""
    while target and target not in MODULES:
        target = target.rsplit(".", 1)[0] if "." in target else ""
    return target


def rank(module: str) -> int:
    top = module.split(".")[0]
    assert top in RANK, f"{module}: a part of the package without a layer in the test's RANK"
    return RANK[top]


def graph() -> dict[str, set[str]]:
    out = {}
    for name, path in MODULES.items():
        targets = set()
        for target, _ in imports(path):
            module = resolve(target)
            if module != name:
                targets.add(module)
        out[name] = targets
    return out


def test_imports_run_downhill():
    upward = [f"{m} -> {t}" for m, targets in graph().items() for t in targets if rank(t) > rank(m)]
    assert not upward, upward


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{m}: {n} from {t or 'nucleate'}"
        for m, path in MODULES.items()
        for t, names in imports(path)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, private


def test_the_import_graph_has_no_cycle():
    g = graph()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    cycles = []

    def visit(v, stack):
        state[v] = 1
        for w in sorted(g.get(v, ())):
            if state.get(w) == 1:
                cycles.append(" -> ".join([*stack[stack.index(w) :], w]))
            elif w not in state:
                visit(w, [*stack, w])
        state[v] = 2

    for v in sorted(g):
        if v not in state:
            visit(v, [v])
    assert not cycles, cycles


def test_the_top_level_parts_have_no_cycle():
    """Parts of one layer may import each other one way only (predict uses train, not back)."""
    parts: dict[str, set[str]] = {}
    for m, targets in graph().items():
        for t in targets:
            a, b = m.split(".")[0], t.split(".")[0]
            if a != b:
                parts.setdefault(a, set()).add(b)
    both = sorted(
        f"{a} <-> {b}" for a in parts for b in parts[a] if a < b and a in parts.get(b, ())
    )
    assert not both, both


def test_the_reader_sees_known_imports():
    """The graph reader finds what it should on known imports (so the checks cannot pass by
    reading nothing)."""
    g = graph()
    assert "structure.layers" in g["featurize.descriptors"]
    assert "frame" in g["structure.layers"]
    assert rank("cli") > rank("predict.core") > rank("data.campaign") > rank("structure.order")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "__main__"))
def test_every_module_imports(name):
    importlib.import_module(f"nucleate.{name}" if name else "nucleate")

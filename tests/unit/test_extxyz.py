"""The fast extended-XYZ reader gives what ASE gives, and hands everything else to ASE."""

import gzip
import io
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.io import read as ase_read
from ase.io import write as ase_write

from nucleate.data import extxyz
from nucleate.data.io import read_frames

ROOT = Path(__file__).resolve().parents[2]


def ase_frames(text: str, index=":"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = ase_read(io.StringIO(text), index=index, format="extxyz")
    return got if isinstance(got, list) else [got]


def assert_same(a: Atoms, b: Atoms) -> None:
    assert np.array_equal(a.numbers, b.numbers) and a.numbers.dtype == b.numbers.dtype
    assert np.array_equal(a.positions, b.positions)  # the same float parsing: exact
    assert np.array_equal(a.cell.array, b.cell.array)
    assert list(a.pbc) == list(b.pbc)
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        assert a.arrays[k].dtype == b.arrays[k].dtype, k
        assert a.arrays[k].shape == b.arrays[k].shape, k
        assert np.array_equal(a.arrays[k], b.arrays[k]), k
    assert a.info.keys() == b.info.keys()
    for k in a.info:
        assert type(a.info[k]) is type(b.info[k]) and a.info[k] == b.info[k], k
    assert b.calc is None


def bundled(every: int) -> list[Path]:
    files = sorted(ROOT.glob("data/*/samples/*/*.extxyz.gz"))
    assert files, "the bundled data sets are part of the repository"
    return files[::every]


def test_bundled_files_read_as_ase_reads_them():
    """Every kind of file the data sets hold (frames, crystals, propensity configurations with
    multi-column arrays), a sample of each: identical Atoms."""
    files = bundled(every=23)
    kinds = {f.name for f in files}
    assert {"frames.extxyz.gz", "crystals.extxyz.gz", "configs.extxyz.gz"} <= kinds
    for path in files:
        text = gzip.decompress(path.read_bytes()).decode()
        fast, slow = extxyz.read(text), ase_frames(text)
        assert len(fast) == len(slow) > 0, path
        for a, b in zip(fast, slow, strict=True):
            assert_same(a, b)


@pytest.mark.parametrize(
    "index", [":", "::2", "1:4", "-2:", -1, 0, 3, "-1", "2", slice(1, None, 2)]
)
def test_frame_selection_as_ase(film, index):
    atoms, _, _ = film(noise=0.05)
    atoms.arrays.pop("tags", None)  # (ASE's tags are left to ASE)
    frames = []
    for k in range(5):
        a = atoms.copy()
        a.positions[:, 0] += 0.01 * k
        a.info.update(step=k, temperature=0.5 + k / 8, units="lj")
        a.arrays["substrate"] = a.numbers == 1
        frames.append(a)
    buf = io.StringIO()
    ase_write(buf, frames, format="extxyz")
    text = buf.getvalue()
    fast, slow = extxyz.read(text, index), ase_frames(text, index)
    assert len(fast) == len(slow) > 0
    for a, b in zip(fast, slow, strict=True):
        assert_same(a, b)


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: a.arrays.__setitem__("forces", np.ones((len(a), 3))),  # a calculator result
        lambda a: a.info.__setitem__("note", "two words"),  # a quoted value
        lambda a: a.info.__setitem__("flag", True),  # a boolean
        lambda a: a.info.__setitem__("energy", -1.5),  # ASE makes a calculator of it
        lambda a: a.info.__setitem__("vector", np.array([1.0, 2.0])),  # an array
        lambda a: a.info.__setitem__("big", 10**20),  # beyond int64: ASE makes it a float
    ],
)
def test_what_it_does_not_read_goes_to_ase(tmp_path, film, edit):
    atoms, _, _ = film(noise=0.05)
    atoms.arrays.pop("tags", None)
    atoms.arrays["substrate"] = atoms.numbers == 1
    extxyz.read(_written(atoms))  # the fast path reads it as it is
    edit(atoms)
    path = tmp_path / "t.extxyz"
    ase_write(path, [atoms, atoms], format="extxyz")
    with pytest.raises(extxyz.Unsupported):
        extxyz.read(path.read_text())
    frames = read_frames(path)  # through ASE instead
    assert len(frames) == 2 and frames[0].n_atoms == len(atoms)


def _written(atoms) -> str:
    buf = io.StringIO()
    ase_write(buf, [atoms], format="extxyz")
    return buf.getvalue()


def test_reading_a_bundled_trajectory_imports_neither_ase_io_nor_torch():
    """What the fast path is for: a prediction's reading costs no scipy.integrate (ase.io) and
    its neighbour lists and bond order no torch or pyplot (see nucleate.structure.libraries),
    its layer profile no scipy.ndimage."""
    sample = bundled(every=1)[0]
    code = (
        "import sys\n"
        "from nucleate.data.io import read_frames\n"
        "from nucleate.structure.order import steinhardt\n"
        "from nucleate.structure.layers import LayerDetector\n"
        f"frames = read_frames({str(sample)!r})\n"
        "LayerDetector()(frames)\n"
        "assert 'scipy.ndimage' not in sys.modules\n"  # (freud imports it: checked before)
        "f = frames[0]\n"
        "q = steinhardt(f.positions[f.liquid], f.cell, f.pbc)\n"
        "assert q.shape == (int(f.liquid.sum()), 2)\n"
        "loaded = [m for m in ('ase.io', 'torch', 'matplotlib') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "import torch, matplotlib.figure, vesin\n"  # still importable afterwards
        "print(torch.zeros(1).shape[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "1"

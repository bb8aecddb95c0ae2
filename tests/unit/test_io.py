import types

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from nucleate.data.io import Selection, from_ase, iter_frames, read_frame, read_frames, write_frames
from nucleate.errors import InputError


def test_extxyz_round_trip(tmp_path, film):
    atoms, _, _ = film(noise=0.05)
    frame = from_ase(atoms, Selection(substrate_types=(1,)))
    path = write_frames(tmp_path / "film.extxyz", [frame, frame])
    frames = read_frames(path)
    assert len(frames) == 2
    for f in frames:
        np.testing.assert_allclose(f.positions, frame.positions, atol=1e-7)
        np.testing.assert_allclose(f.cell, frame.cell, atol=1e-7)
        assert (f.substrate == frame.substrate).all()
        assert (f.liquid == frame.liquid).all()
        assert f.units == "lj"
    assert not list(tmp_path.glob(".*tmp*")), "atomic write leaves no temporary file"


def test_reading_is_lazy(tmp_path, film):
    atoms, _, _ = film()
    write(tmp_path / "t.extxyz", [atoms] * 3)
    text = (tmp_path / "t.extxyz").read_text()
    (tmp_path / "t.extxyz").write_text(text[: len(text) - 200])  # truncate the last frame
    gen = iter_frames(tmp_path / "t.extxyz", selection=Selection(substrate_types=(1,)))
    assert isinstance(gen, types.GeneratorType)
    assert next(gen).n_atoms == len(atoms)  # good frames come before the bad one is read
    assert next(gen).n_atoms == len(atoms)
    with pytest.raises(InputError, match="frame 2"):
        next(gen)


def test_lammps_data_round_trip(tmp_path, film):
    atoms, _, _ = film(noise=0.05)
    frame = from_ase(atoms, Selection(substrate_types=(1,)))
    path = write_frames(tmp_path / "film.data", frame, format="lammps-data")
    back = read_frame(path, format="lammps-data", selection=Selection(substrate_types=(1,)))
    np.testing.assert_allclose(back.positions, frame.positions, atol=1e-8)
    np.testing.assert_allclose(back.cell, frame.cell, atol=1e-8)
    assert (back.types == frame.types).all()
    assert (back.substrate == frame.substrate).all()


def test_substrate_by_array_height_and_symbols(film):
    atoms, _, top = film()
    by_type = from_ase(atoms, Selection(substrate_types=("H",)))  # type 1 is hydrogen's number
    atoms.arrays["wall"] = (atoms.numbers == 1).astype(int)
    by_array = from_ase(atoms, Selection(substrate_array="wall"))
    by_height = from_ase(atoms, Selection(substrate_below=top + 0.1))
    assert (by_type.substrate == by_array.substrate).all()
    assert (by_type.substrate == by_height.substrate).all()
    with pytest.raises(InputError, match="one way"):
        Selection(substrate_types=(1,), substrate_below=1.0)
    with pytest.raises(InputError, match="no per-atom array 'nope'"):
        from_ase(atoms, Selection(substrate_array="nope"))
    with pytest.raises(InputError, match="no substrate given"):
        from_ase(Atoms("Ar2", positions=[[0, 0, 0], [1, 1, 1]], cell=[3, 3, 3], pbc=True))


def test_water_oxygens_stand_for_molecules():
    # a Pt atom and two water molecules: liquid sites are the oxygens only
    atoms = Atoms(
        "PtOH2OH2",
        positions=[[0, 0, 0], [0, 0, 3], [0.8, 0, 3.6], [-0.8, 0, 3.6], [2, 2, 6], [2.8, 2, 6.6],
                   [1.2, 2, 6.6]],
        cell=[5, 5, 20],
        pbc=(True, True, False),
    )  # fmt: skip
    f = from_ase(atoms, Selection(substrate_types=("Pt",), liquid_types=("O",)), units="metal")
    assert f.substrate.sum() == 1
    assert f.liquid.sum() == 2
    assert f.liquid.tolist() == [False, True, False, False, True, False, False]
    assert f.length_unit == "Angstrom"


def test_units_recorded_and_mismatch_is_an_error(tmp_path, film):
    atoms, _, _ = film()
    frame = from_ase(atoms, Selection(substrate_types=(1,)), units="metal")
    path = write_frames(tmp_path / "a.extxyz", frame)
    assert read_frame(path).units == "metal"
    with pytest.raises(InputError, match="records units 'metal'"):
        read_frame(path, units="lj")


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_small_compressed_files_read_in_memory_as_streamed(tmp_path, film, monkeypatch, suffix):
    import nucleate.data.io as io

    atoms, _, _ = film(noise=0.05)
    frame = from_ase(atoms, Selection(substrate_types=(1,)))
    path = write_frames(tmp_path / f"film.extxyz{suffix}", [frame, frame, frame])
    memory = read_frames(path)
    monkeypatch.setattr(io, "IN_MEMORY_BYTES", 0)  # every file streamed
    streamed = read_frames(path)
    assert len(memory) == len(streamed) == 3
    for a, b in zip(memory, streamed, strict=True):
        assert np.array_equal(a.positions, b.positions) and np.array_equal(a.cell, b.cell)
        assert (a.substrate == b.substrate).all() and (a.liquid == b.liquid).all()
    monkeypatch.undo()
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # cut short
    with pytest.raises(InputError, match=r"film\.extxyz"):
        read_frames(path)

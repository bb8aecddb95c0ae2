"""Interfaces in the geometries users have them: a surface facing -z, a slab in the middle of a
periodic box or across its boundary, liquid on both sides. Each, turned by orient, must give the
layers of the same film in the standard geometry."""

import numpy as np
import pytest
from conftest import layered_film

from nucleate.data.io import Selection, from_ase
from nucleate.errors import InputError
from nucleate.frame import Frame
from nucleate.structure.layers import LayerDetector
from nucleate.structure.orient import orient, sides


@pytest.fixture(scope="module")
def standard():
    atoms, _spacing, _ = layered_film(
        size=(4, 4), n_substrate=3, n_liquid=6, noise=0.03, orthogonal=True
    )
    return from_ase(atoms, Selection(substrate_types=(1,)))


def _peaks(frame):
    return [round(la.peak, 6) for la in LayerDetector(n_layers=2)([frame]).layers]


def _with(frame, z, keep=None, pbc_z=False, lz=None):
    keep = np.ones(frame.n_atoms, bool) if keep is None else keep
    pos = frame.positions.copy()
    pos[:, 2] = z
    cell = frame.cell.copy()
    if lz is not None:
        cell[2] = [0, 0, lz]
    return Frame(
        pos[keep],
        frame.types[keep],
        cell,
        (True, True, pbc_z),
        frame.substrate[keep],
        units=frame.units,
    )


def test_standard_geometry_is_left_alone(standard):
    assert orient(standard) is standard
    assert sides(standard) == (int(standard.liquid.sum()), 0)


def test_surface_facing_minus_z(standard):
    lz = standard.cell[2, 2]
    down = _with(standard, lz - standard.positions[:, 2])
    turned = orient(down)
    assert turned.info["side"] == "bottom"
    assert _peaks(turned) == pytest.approx(_peaks(standard), abs=1e-6)
    with pytest.raises(InputError, match="no liquid on the top side"):
        orient(down, "top")


def test_slab_in_a_periodic_box_with_liquid_on_both_sides(standard):
    """The film mirrored below the slab too, the slab in the middle of a box periodic in z."""
    z = standard.positions[:, 2]
    sub_top = z[standard.substrate].max()
    mid = 0.5 * (z[standard.substrate].min() + sub_top)
    liquid = ~standard.substrate
    zz = np.r_[z, 2 * mid - z[liquid]]  # a mirror copy of the liquid below the slab
    both = Frame(
        np.c_[
            np.r_[standard.positions[:, 0], standard.positions[liquid, 0]],
            np.r_[standard.positions[:, 1], standard.positions[liquid, 1]],
            zz + 30.0,
        ],
        np.r_[standard.types, standard.types[liquid]],
        np.diag([*np.diag(standard.cell)[:2], zz.max() - zz.min() + 6.0]) + [[0, 0, 0]] * 3,
        (True, True, True),
        np.r_[standard.substrate, np.zeros(liquid.sum(), bool)],
    ).wrapped()
    with pytest.raises(InputError, match="both sides of the slab"):
        orient(both)
    assert _peaks(orient(both, "top")) == pytest.approx(_peaks(standard), abs=1e-6)
    assert _peaks(orient(both, "bottom")) == pytest.approx(_peaks(standard), abs=1e-6)


def test_slab_split_across_the_periodic_boundary(standard):
    z = standard.positions[:, 2]
    lz = z.max() + 8.0
    middle = np.median(z[standard.substrate])  # the slab's middle plane goes to z = 0
    split = _with(standard, np.mod(z - middle, lz), pbc_z=True, lz=lz)
    assert split.positions[split.substrate, 2].max() > lz - 2.0  # part of the slab at the top
    turned = orient(split)
    assert turned.info["side"] == "top" and not turned.pbc[2]
    assert _peaks(turned) == pytest.approx(_peaks(standard), abs=1e-6)


def test_a_data_set_sample_is_read_as_the_data_set_reads_it(standard, tmp_path):
    """Liquid that seeped below the middle of a holed slab (a fifth of it here) makes a loose file
    ambiguous; the same file as a sample of a data set is read with the side its campaign built
    (top), and side=None gives the frame as stored, every atom kept."""
    from nucleate.data.io import read_frames, write_frames

    zs = standard.positions[standard.substrate, 2]
    z = standard.positions[:, 2].copy()
    liquid = np.flatnonzero(standard.liquid)
    seeped = liquid[: len(liquid) // 5]
    z[seeped] = zs.min() + 0.1 * (zs.max() - zs.min())  # below the slab's middle
    frame = _with(standard, z)
    sample = tmp_path / "ds" / "samples" / "s1" / "frames.extxyz.gz"
    sample.parent.mkdir(parents=True)
    write_frames(sample, frame)
    loose = tmp_path / "loose" / "frames.extxyz.gz"
    loose.parent.mkdir()
    write_frames(loose, frame)
    with pytest.raises(InputError, match="liquid on both sides"):
        read_frames(loose)
    with pytest.raises(InputError, match="liquid on both sides"):
        read_frames(sample)  # no manifest beside samples/: not a data set
    (tmp_path / "ds" / "manifest.csv").write_text("id\ns1\n")
    (got,) = read_frames(sample)
    (top,) = read_frames(loose, side="top")
    assert got.n_atoms == top.n_atoms == frame.n_atoms - len(seeped)
    assert np.array_equal(got.positions, top.positions)
    (stored,) = read_frames(sample, side=None)
    assert stored.n_atoms == frame.n_atoms
    assert np.allclose(stored.positions, frame.positions)

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

import numpy as np
import pytest
from conftest import same_site

from nucleate.data.io import Selection, from_ase, to_ase
from nucleate.errors import InputError
from nucleate.frame import Frame


def _frame(**kw):
    base = dict(
        positions=[[0.1, 0.1, 0.1], [0.5, 0.5, 1.5]],
        types=[1, 2],
        cell=np.diag([2.0, 2.0, 4.0]),
        pbc=(True, True, False),
        substrate=[True, False],
    )
    base.update(kw)
    return Frame(**base)


def test_frame_is_frozen_and_defaults_liquid_to_non_substrate():
    f = _frame()
    assert f.liquid.tolist() == [False, True]
    with pytest.raises(ValueError):
        f.positions[0, 0] = 3.0
    with pytest.raises(AttributeError):
        f.units = "real"
    assert f.lateral_area == pytest.approx(4.0)
    assert f.length_unit == "sigma"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_coordinates_rejected(bad):
    with pytest.raises(InputError, match="NaN or infinite"):
        _frame(positions=[[0.1, 0.1, bad], [0.5, 0.5, 1.5]])


def test_shape_and_units_errors():
    with pytest.raises(InputError, match="shape"):
        _frame(types=[1, 2, 3])
    with pytest.raises(InputError, match="unknown units"):
        _frame(units="furlongs")
    with pytest.raises(InputError, match="both substrate and liquid"):
        _frame(liquid=[True, True])


def test_wrap_moves_atoms_into_periodic_axes_only():
    f = _frame(positions=[[-0.5, 2.5, -1.0], [0.5, 0.5, 5.0]])
    w = f.wrapped()
    np.testing.assert_allclose(w.positions, [[1.5, 0.5, -1.0], [0.5, 0.5, 5.0]])
    assert f.outside_cell().tolist() == [True, False]
    assert not w.outside_cell().any()


def test_ase_round_trip_keeps_everything(film):
    atoms, _, _ = film()
    atoms.arrays["charge_like"] = np.arange(len(atoms), dtype=float)
    f = from_ase(atoms, Selection(substrate_types=(1,)), units="real")
    back = to_ase(f)
    same_site(back.positions, atoms.positions, atoms.cell)
    np.testing.assert_allclose(back.cell.array, atoms.cell.array)
    assert back.info["units"] == "real"
    assert (back.arrays["substrate"] == (atoms.numbers == 1)).all()
    again = from_ase(back)  # substrate from the array written by to_ase
    assert (again.substrate == f.substrate).all() and again.units == "real"
    np.testing.assert_allclose(again.arrays["charge_like"], np.arange(len(atoms)))

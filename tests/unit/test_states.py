"""Inherent states with LAMMPS: a shaken crystal goes back to its lattice, a minimum stays put,
and the result is cached by content."""

import numpy as np
import pytest

from nucleate.data.simulate.states import PairModel, inherent_state
from nucleate.errors import InputError
from nucleate.frame import Frame


def fcc_box(cells=4, a=1.6):
    base = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    grid = np.array([[i, j, k] for i in range(cells) for j in range(cells) for k in range(cells)])
    pos = ((grid[:, None, :] + base[None]) * a).reshape(-1, 3)
    n = len(pos)
    return Frame(positions=pos, types=np.ones(n, int), cell=np.eye(3) * cells * a,
                 pbc=(True, True, True), substrate=np.zeros(n, bool), units="lj")  # fmt: skip


def test_a_shaken_crystal_relaxes_back_to_its_lattice(tmp_path):
    perfect = fcc_box()
    rng = np.random.default_rng(0)
    shaken = perfect.replace(positions=perfect.positions + rng.normal(0, 0.05, (256, 3)))
    model = PairModel()  # type 1 alone: plain LJ, cut at 2.5 and shifted
    lattice = inherent_state(perfect, model, cache_dir=tmp_path)
    assert lattice.energy_after == pytest.approx(lattice.energy_before, abs=1e-9)
    state = inherent_state(shaken, model, cache_dir=tmp_path)
    assert state.energy_after < state.energy_before
    assert state.energy_after == pytest.approx(lattice.energy_after, abs=1e-6)
    drift = (state.frame.positions - perfect.positions).mean(axis=0)  # a rigid shift is free
    assert np.abs(state.frame.positions - perfect.positions - drift).max() < 1e-4
    assert np.allclose(state.energy, lattice.energy_after, atol=1e-5)  # every site alike
    again = inherent_state(shaken, model, cache_dir=tmp_path)  # from the cache
    assert np.array_equal(again.frame.positions, state.frame.positions)
    assert len(list((tmp_path / "states").glob("inherent-*.npz"))) == 2


def test_inherent_state_refuses_what_it_cannot_minimise(tmp_path):
    f = fcc_box(2)
    with pytest.raises(InputError, match="periodic bulk"):
        inherent_state(f.replace(pbc=(True, True, False)), cache_dir=tmp_path)
    with pytest.raises(InputError, match="atom types"):
        inherent_state(f.replace(types=np.full(f.n_atoms, 3)), cache_dir=tmp_path)


def test_the_cage_state_of_a_shaken_crystal_lies_near_its_lattice_sites(tmp_path):
    from nucleate.data.simulate.states import cage_state

    perfect = fcc_box()
    rng = np.random.default_rng(1)
    shaken = perfect.replace(positions=perfect.positions + rng.normal(0, 0.06, (256, 3)))
    cage, seconds = cage_state(shaken, temperature=0.1, run_time=1.0, replicas=3,
                               cache_dir=tmp_path)  # fmt: skip

    def rms(frame):
        d = frame.positions - perfect.positions
        d -= d.mean(axis=0)
        return float(np.sqrt((d**2).sum(axis=1).mean()))

    assert rms(cage) < 0.5 * rms(shaken)  # the vibrations average out around the sites
    again, _ = cage_state(shaken, temperature=0.1, run_time=1.0, replicas=3, cache_dir=tmp_path)
    assert np.array_equal(again.positions, cage.positions) and seconds > 0


def test_a_shaken_film_relaxes_onto_its_held_substrate(tmp_path):
    """The film's inherent state: the liquid goes back near its lattice, the substrate does not
    move, the energy falls; cached; refused without a one-component substrate or a strength."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import layered_film

    from nucleate.data.io import Selection, from_ase
    from nucleate.data.simulate.md import Potential
    from nucleate.data.simulate.states import film_inherent_state

    atoms, _, _ = layered_film(size=(4, 4), n_substrate=3, n_liquid=4)
    perfect = from_ase(atoms, Selection(substrate_types=(1,)))
    rng = np.random.default_rng(2)
    liquid = ~perfect.substrate
    shaken_pos = perfect.positions.copy()
    shaken_pos[liquid] += rng.normal(0, 0.06, (int(liquid.sum()), 3))
    shaken = perfect.replace(positions=shaken_pos)
    state = film_inherent_state(shaken, Potential(), eps_sl=1.0, cache_dir=tmp_path)
    np.testing.assert_allclose(
        state.frame.positions[~liquid], perfect.positions[~liquid], atol=1e-9
    )
    assert state.energy_after < state.energy_before

    def rms(frame):
        d = frame.positions[liquid] - perfect.positions[liquid]
        return float(np.sqrt((d**2).sum(axis=1).mean()))

    assert rms(state.frame) < 0.5 * rms(shaken)
    again = film_inherent_state(shaken, Potential(), eps_sl=1.0, cache_dir=tmp_path)
    assert np.array_equal(again.frame.positions, state.frame.positions)
    with pytest.raises(InputError, match="eps_sl must be positive"):
        film_inherent_state(shaken, Potential(), eps_sl=0.0, cache_dir=tmp_path)
    with pytest.raises(InputError, match="type 1 for the substrate"):
        film_inherent_state(shaken.replace(types=np.where(liquid, 3, 1)), Potential(), 1.0,
                            cache_dir=tmp_path)  # fmt: skip


def test_the_cage_state_of_a_shaken_film_lies_near_its_sites(tmp_path):
    """Film cage state: the liquid's vibrations average out around the lattice sites, the held
    substrate does not move, and the film keeps its height (no contraction)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import layered_film

    from nucleate.data.io import Selection, from_ase
    from nucleate.data.simulate.md import Potential
    from nucleate.data.simulate.states import film_cage_state

    atoms, _, _ = layered_film(size=(4, 4), n_substrate=3, n_liquid=4)
    perfect = from_ase(atoms, Selection(substrate_types=(1,)))
    liquid = ~perfect.substrate
    pos = perfect.positions.copy()
    pos[liquid] += np.random.default_rng(3).normal(0, 0.02, (int(liquid.sum()), 3))
    shaken = perfect.replace(positions=pos)
    cage, seconds = film_cage_state(shaken, Potential(), eps_sl=1.0, temperature=0.05,
                                    run_time=1.0, replicas=3, cache_dir=tmp_path)  # fmt: skip

    def rms(frame):
        d = frame.positions[liquid] - perfect.positions[liquid]
        return float(np.sqrt((d**2).sum(axis=1).mean()))

    assert rms(cage) < 0.7 * rms(shaken) and seconds > 0
    np.testing.assert_allclose(cage.positions[~liquid], perfect.positions[~liquid], atol=1e-9)
    top = perfect.positions[liquid, 2].max()
    assert abs(cage.positions[liquid, 2].max() - top) < 0.1


def test_a_graph_with_displacement_reads_how_far_each_atom_went_to_its_minimum(tmp_path):
    """descriptors_from: given + displacement: the node features are the given structure's
    descriptors, then each atom's distance to its inherent state (the shake it undid) and that
    distance's neighbour mean; a model on the state alone does not see the shake."""
    from nucleate.train.propensity import state_graph

    perfect = fcc_box()
    rng = np.random.default_rng(1)
    shake = np.zeros((256, 3))
    shake[::7] = rng.normal(0, 0.06, (len(shake[::7]), 3))  # a few atoms pushed off their sites
    shaken = perfect.replace(positions=perfect.positions + shake)
    base = {"local_order": {"shells": [1.1], "width": 0.1, "ls": [6]}, "cutoff": 1.5,
            "state": "inherent", "state_model": {"pairs": {"1-1": [1.0, 1.0]}, "masses": [1.0]}}  # fmt: skip
    given, _ = state_graph(shaken, {**base, "descriptors_from": "given"}, str(tmp_path))
    inherent, _ = state_graph(shaken, base, str(tmp_path))
    moved, seconds = state_graph(
        shaken, {**base, "descriptors_from": "given", "displacement": [1.2]}, str(tmp_path)
    )
    f = given.node_features.shape[1]
    assert moved.node_features.shape[1] == f + 2 and seconds > 0
    np.testing.assert_array_equal(moved.node_features[:, :f], given.node_features)
    assert not np.allclose(inherent.node_features, given.node_features)
    relaxed = inherent_state(
        shaken, PairModel(pairs={"1-1": (1.0, 1.0)}, masses=(1.0,)), cache_dir=tmp_path
    )
    went = np.linalg.norm(relaxed.frame.positions - shaken.positions, axis=1)
    np.testing.assert_allclose(moved.node_features[:, f], went[moved.atom_index], atol=1e-9)
    drift = (relaxed.frame.positions - perfect.positions).mean(axis=0)
    np.testing.assert_allclose(went, np.linalg.norm(shake - drift, axis=1), atol=2e-3)
    assert np.all(moved.node_features[:, f + 1] <= went.max() + 1e-12)

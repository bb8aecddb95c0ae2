"""Precursor classification in the q̄4–q̄6 plane against references simulated at the same
temperature: the references classify themselves, perfect crystals are crystal-like and lean to
their own lattice, a liquid is not ordered."""

import numpy as np
import pytest

from nucleate.data.simulate.references import reference_clouds, reference_lattice
from nucleate.featurize.precursors import PrecursorClassifier
from nucleate.structure.order import steinhardt

T_EQ = 0.68  # lj-fcc-v1's T_eq (1.1 T_m)


@pytest.fixture(scope="module")
def clouds():
    return reference_clouds(T_EQ, steps=1000, n_frames=3)


def test_references_at_t_eq_classify_themselves(clouds):
    pc = PrecursorClassifier.from_references(clouds)
    assert 0 < pc.q6_preordered <= pc.q6_crystal
    liquid = pc.classify(clouds["liquid"])
    assert np.mean(liquid == 0) > 0.95  # 99th percentile by construction, on fewer frames here
    for k, name in enumerate(("fcc", "hcp", "bcc")):
        c = pc.classify(clouds[name])
        assert np.mean(c == 2) > 0.9, name
        lean = np.bincount(pc.lean(clouds[name]), minlength=3) / len(c)
        assert np.argmax(lean) == k, (name, lean)
    # hcp and bcc overlap at this temperature in (q̄4, q̄6); fcc stands apart
    assert np.bincount(pc.lean(clouds["fcc"]), minlength=3)[0] / len(clouds["fcc"]) > 0.95


@pytest.mark.parametrize("k,name", [(0, "fcc"), (1, "hcp"), (2, "bcc")])
def test_perfect_crystals_are_crystal_like_and_lean_right(clouds, k, name):
    pc = PrecursorClassifier.from_references(clouds)
    atoms = reference_lattice(name, 1.617)
    q = steinhardt(atoms.positions, atoms.cell.array, True, (4, 6), True, 12)
    assert (pc.classify(q) == 2).all()
    assert (pc.lean(q) == k).mean() > 0.99


def test_precursor_descriptors_of_a_mixed_layer(clouds):
    pc = PrecursorClassifier.from_references(clouds)
    rng = np.random.default_rng(0)
    liquid = clouds["liquid"][rng.choice(len(clouds["liquid"]), 300, replace=False)]
    fcc = clouds["fcc"][rng.choice(len(clouds["fcc"]), 100, replace=False)]
    d = pc.descriptors(np.concatenate([liquid, fcc]))
    assert d["frac_crystal_like"] == pytest.approx(0.25, abs=0.03)
    assert d["frac_preordered"] < 0.05
    assert d["lean_fcc"] > 0.8
    assert sum(d[f"lean_{n}"] for n in ("fcc", "hcp", "bcc")) == pytest.approx(1.0)


def test_interface_descriptors_report_precursors_of_the_contact_layer(clouds, tmp_path):
    """A perfect fcc(111) film: its contact layer is crystal-like and leans to fcc; shaken hard
    (a liquid-like layer), it is not."""
    from conftest import layered_film

    from nucleate.data.io import Selection, from_ase
    from nucleate.featurize.descriptors import InterfaceDescriptors

    sel = Selection(substrate_types=(1,))
    names = None
    for noise, crystal in ((0.0, True), (0.35, False)):
        atoms, _, _ = layered_film(size=(6, 6), n_liquid=6, noise=noise, seed=2)
        d = InterfaceDescriptors(n_layers=2, precursor_temperature=T_EQ)(from_ase(atoms, sel))
        names = names or list(d)
        if crystal:
            assert d["crys_like_1"] > 0.9 and d["lean_fcc_1"] > 0.9
        else:
            assert d["crys_like_1"] < 0.2
    assert {"pre_frac_1", "pre_q6_1", "lean_hcp_1", "lean_bcc_1"} <= set(names)
    assert "pre_frac_1" not in InterfaceDescriptors(n_layers=2).names()

"""LAMMPS from Python: a tiny LJ system runs, and frames cross between LAMMPS and nucleate."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import same_site

from nucleate.data.io import Selection, from_ase, read_frame, read_frames, write_frames
from nucleate.data.simulate import start_lammps


def test_tiny_lj_system_runs_and_conserves_energy(tmp_path):
    log = tmp_path / "log.lammps"
    lmp = start_lammps(log_file=log)
    try:
        lmp.commands_string(
            """
            units lj
            atom_style atomic
            lattice fcc 0.8442
            region box block 0 4 0 4 0 4
            create_box 1 box
            create_atoms 1 box
            mass 1 1.0
            velocity all create 1.2 87287 loop geom
            pair_style lj/cut 2.5
            pair_coeff 1 1 1.0 1.0 2.5
            pair_modify shift yes
            neighbor 0.3 bin
            fix 1 all nve
            thermo 50
            """
        )
        lmp.command("run 0")
        e0 = lmp.get_thermo("etotal")
        lmp.command("run 300")
        e1 = lmp.get_thermo("etotal")
        assert lmp.get_natoms() == 256
        assert lmp.extract_global("ntimestep") == 300
        assert abs(e1 - e0) < 5e-3 * abs(e0)  # velocity Verlet, dt 0.005: energy is conserved
        assert lmp.get_thermo("temp") > 0.3  # the crystal melted and exchanged energy
    finally:
        lmp.close()
    assert "Loop time" in log.read_text()  # the log went where we said


def test_frames_cross_between_lammps_and_nucleate(tmp_path, film):
    atoms, _, _ = film(size=(4, 4), n_liquid=4, noise=0.05)
    sel = Selection(substrate_types=(1,))
    frame = from_ase(atoms, sel)
    write_frames(tmp_path / "in.data", frame, format="lammps-data")
    lmp = start_lammps()
    try:
        lmp.commands_string(
            f"""
            units lj
            atom_style atomic
            boundary p p f
            read_data {tmp_path / "in.data"}
            pair_style lj/cut 2.5
            pair_coeff * * 1.0 1.0
            group liquid type 2
            velocity liquid create 0.5 1 loop geom
            fix 1 liquid nve
            dump d all custom 10 {tmp_path / "traj.dump"} id type x y z
            dump_modify d sort id format float %20.15g
            run 20
            write_data {tmp_path / "out.data"}
            """
        )
        final = np.array(lmp.numpy.extract_atom("x"))[: lmp.get_natoms()].copy()
        ids = np.array(lmp.numpy.extract_atom("id"))[: lmp.get_natoms()].copy()
    finally:
        lmp.close()
    final = final[np.argsort(ids)]
    dump = read_frames(tmp_path / "traj.dump", format="lammps-dump-text", selection=sel)
    assert len(dump) == 3
    same_site(dump[0].positions, frame.positions, frame.cell)
    same_site(dump[-1].positions, final, frame.cell)
    np.testing.assert_allclose(dump[-1].cell, frame.cell, atol=1e-6)
    assert (dump[-1].substrate == frame.substrate).all()
    out = read_frame(tmp_path / "out.data", format="lammps-data", selection=sel)
    same_site(out.positions, final, frame.cell)
    assert (out.substrate == frame.substrate).all()
    assert not np.allclose(final[frame.liquid], frame.positions[frame.liquid])  # liquid moved
    same_site(final[frame.substrate], frame.positions[frame.substrate], frame.cell)


@pytest.mark.parametrize("missing", ["libmpi"])
def test_import_is_idempotent(missing):
    from nucleate.data.simulate import import_lammps

    assert import_lammps() is import_lammps()


def test_isoconfigurational_ensemble_of_a_small_film():
    from nucleate.data.propensity import propensity, self_intermediate_scattering
    from nucleate.data.simulate import start_lammps
    from nucleate.data.simulate.md import (
        Potential,
        build_interface,
        isoconfigurational,
        load_interface,
        thermalise,
    )
    from nucleate.data.substrates import fcc_slab

    atoms, _ = build_interface(fcc_slab("111", 1.617, 2, 6.0), 200, seed=1)
    lmp = start_lammps()
    try:
        load_interface(lmp, atoms, Potential(), eps_sl=1.0)
        lmp.command("minimize 1.0e-4 1.0e-6 200 2000")
        thermalise(lmp, 0.8, 200, seed=3)
        n = lmp.get_natoms()
        x_before = np.array(lmp.numpy.extract_atom("x")[:n]).copy()
        d = isoconfigurational(lmp, 0.8, [50, 200], n_replicas=4, seed=11)
        again = isoconfigurational(lmp, 0.8, [50, 200], n_replicas=1, seed=11)
        x_after = np.array(lmp.numpy.extract_atom("x")[:n])
    finally:
        lmp.close()
    sub = atoms.numbers == 1
    assert d.shape == (4, 2, n, 3)
    # the held substrate never moves (up to the round-off of unwrapping across the cell):
    # zero propensity, F_s = 1
    assert np.abs(d[:, :, sub]).max() < 1e-10
    assert propensity(d[:, -1])[sub].max() < 1e-10
    assert self_intermediate_scattering(d[:, :, sub], 7.0)[-1] == pytest.approx(1.0, abs=1e-12)
    # the liquid moves, more at the later time, differently in each replica
    msd = (d[:, :, ~sub] ** 2).sum(-1).mean(axis=(0, 2))
    assert 0 < msd[0] < msd[1]
    assert not np.allclose(d[0, -1, ~sub], d[1, -1, ~sub])
    # same start, same seed: the same replica; the configuration is restored afterwards
    np.testing.assert_allclose(again[0], d[0], atol=1e-8)
    np.testing.assert_array_equal(x_after, x_before)


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm")
@pytest.mark.parametrize("close", [True, False])
def test_a_simulation_process_leaves_no_shared_memory_behind(close):
    # MPICH makes a shared-memory segment per process (/dev/shm/mpich_shm_<pid in hex>_*, ~1 MB
    # of memory) and removes it only when MPI ends: a campaign's processes leaked one each
    code = (
        "import os\n"
        "from nucleate.data.simulate import start_lammps\n"
        "lmp = start_lammps()\n"
        "lmp.command('units lj')\n"
        f"{'lmp.close()' if close else ''}\n"
        "print(os.getpid())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    pid = int(done.stdout.split()[-1])
    assert not list(Path("/dev/shm").glob(f"mpich_shm_{pid:x}_*"))

"""Density images: peaks at the lattice sites, normalisation, periodicity, symmetry."""

import numpy as np
import pytest
from ase import Atoms
from scipy.ndimage import maximum_filter

from nucleate.data.io import Selection, from_ase
from nucleate.featurize.images import DensityImage

SUB = Selection(substrate_types=(1,))


def square_film(spacing=1.1, n=9, layer_height=1.0, shift=(0.0, 0.0)):
    """A square substrate plane at z = 0 and a square liquid layer (same lattice) above it, plus
    a second liquid layer offset by half a site; sites at (i + 1/2) * spacing + shift."""
    g = (np.arange(n) + 0.5) * spacing
    x, y = np.meshgrid(g, g, indexing="ij")
    plane = np.column_stack([x.ravel(), y.ravel()])
    sub = np.column_stack([plane, np.zeros(len(plane))])
    l1 = np.column_stack([plane + shift, np.full(len(plane), layer_height)])
    l2 = np.column_stack(
        [plane + np.asarray(shift) + spacing / 2, np.full(len(plane), 2 * layer_height)]
    )
    pos = np.concatenate([sub, l1, l2])
    atoms = Atoms(
        numbers=[1] * len(sub) + [2] * (len(l1) + len(l2)),
        positions=pos,
        cell=[n * spacing, n * spacing, 10.0],
        pbc=(True, True, False),
    )
    return from_ase(atoms, SUB)


def peaks(image, threshold=0.5):
    local = (image == maximum_filter(image, size=5, mode="wrap")) & (
        image > threshold * image.max()
    )
    return np.argwhere(local)


def test_image_peaks_at_the_lattice_sites():
    spacing = 1.1
    frame = square_film(spacing, shift=(0.025, 0.025))  # sites on pixel centres
    img = DensityImage(layers=(1, 2), pixel=0.05, sigma=0.12, size=66, window="origin")(frame)
    assert img.shape == (2, 66, 66) and img.dtype == np.float32
    # sites of layer 1 at (i + 1/2) * 1.1 + 0.025 = centre of pixel 11 + 22 i
    found = peaks(img[0])
    assert sorted(map(tuple, found)) == [(r, c) for r in (11, 33, 55) for c in (11, 33, 55)]
    # layer 2 sits half a site further along x and y: pixels 22 i (the window edge included)
    found2 = peaks(img[1])
    assert sorted(map(tuple, found2)) == [(r, c) for r in (0, 22, 44) for c in (0, 22, 44)]


def test_image_integrates_to_the_atoms_in_the_window():
    spacing = 1.1
    frame = square_film(spacing)
    pixel, size = 0.05, 66  # a 3.3 x 3.3 window: 9 layer-1 sites, away from its edges
    img = DensityImage(pixel=pixel, sigma=0.1, size=size, window="origin")(frame)
    assert img[0].sum() * pixel**2 == pytest.approx(9.0, rel=1e-3)


def test_periodic_images_leave_no_edge_artefacts():
    # a window larger than the cell tiles it: every site's peak has the same height
    frame = square_film(spacing=1.1, n=4)  # cell 4.4
    img = DensityImage(pixel=0.1, sigma=0.15, size=100, window="origin")(frame)[0]
    found = peaks(img, 0.3)
    heights = img[found[:, 0], found[:, 1]]
    assert len(found) >= 81
    assert heights.std() / heights.mean() < 0.02


def test_translation_by_a_lattice_vector_changes_nothing():
    det = DensityImage(pixel=0.1, sigma=0.15, size=40, window="origin")
    a = det(square_film(shift=(0.0, 0.0)))
    b = det(square_film(shift=(1.1, -2.2)))  # whole lattice vectors, wrapped back into the cell
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_rotation_of_a_square_lattice():
    det = DensityImage(pixel=0.1, sigma=0.15, size=44, window="origin")
    frame = square_film()
    pts = det.points(frame)
    origin = np.zeros(2)
    straight = det.render(pts, origin)
    turned = det.render(pts, origin, angle=np.pi / 2)
    # rotating the sampling grid by 90 degrees about the window centre rotates the image
    np.testing.assert_allclose(np.rot90(straight[0], k=-1), turned[0], atol=1e-4)
    mirrored = det.render(pts, origin, mirror=True)
    np.testing.assert_allclose(straight[0][:, ::-1], mirrored[0], atol=1e-4)
    aug = det.augment(pts, 3, rng=0)
    assert aug.shape == (3, 1, 44, 44)
    # every augmented render holds the same number of atoms per area, on average
    assert aug.mean() == pytest.approx(straight.mean(), rel=0.05)


def test_hexagonal_cell(film):
    atoms, _d, _ = film(size=(8, 8), orthogonal=False)
    frame = from_ase(atoms, SUB)
    img = DensityImage(pixel=0.05, sigma=0.1, size=100, window="origin")(frame)[0]
    # (111) plane: one atom per sqrt(3)/2 a_nn^2 of area
    a_nn = 1.5496 / np.sqrt(2)
    per_area = 1.0 / (np.sqrt(3) / 2 * a_nn**2)
    assert img.sum() * 0.05**2 == pytest.approx(per_area * 25.0, rel=0.05)
    found = peaks(img, 0.5)
    nearest = [np.sort(np.linalg.norm(found - f, axis=1))[1] for f in found]
    assert np.median(nearest) * 0.05 == pytest.approx(a_nn, abs=0.05)
    # every peak sits on a site of the contact layer (periodic images included), within a pixel
    z = frame.positions[:, 2]
    layer1 = frame.liquid & (z < z[frame.liquid].min() + 0.1)
    sites = frame.positions[layer1, :2]
    lateral = frame.cell[:2, :2]
    centres = (found[:, ::-1] + 0.5) * 0.05  # (row, col) -> (x, y)
    d = centres[:, None, :] - sites[None, :, :]
    frac = d @ np.linalg.inv(lateral)
    d = (frac - np.round(frac)) @ lateral
    assert np.linalg.norm(d, axis=2).min(axis=1).max() < 0.05 * np.sqrt(0.5) + 1e-9


def reference_render(img: DensityImage, pts, origin, angle: float, mirror: bool) -> np.ndarray:
    """The direct render nucleate used before the separable one: every pixel against the nearest
    periodic image of every layer atom, the 2-D Gaussian cut radially at 6 σ."""
    pixel, sigma, size = img.resolved(pts.units)
    idx = (np.arange(size) + 0.5) * pixel - 0.5 * size * pixel
    gx, gy = np.meshgrid(idx, idx, indexing="xy")
    local = np.stack([gx.ravel(), gy.ravel()], axis=1)
    if mirror:
        local[:, 0] *= -1.0
    c, s = np.cos(angle), np.sin(angle)
    pixels = local @ np.array([[c, -s], [s, c]]).T + np.asarray(origin) + 0.5 * size * pixel
    inv = np.linalg.inv(pts.lateral)
    image = np.zeros((len(img.layers), size * size))
    for ch, per_frame in enumerate(pts.points):
        for xy in per_frame:
            frac = (pixels[:, None, :] - xy[None]) @ inv
            d = (frac - np.round(frac)) @ pts.lateral
            r2 = np.einsum("pak,pak->pa", d, d)
            dens = np.where(r2 < (6 * sigma) ** 2, np.exp(-0.5 * r2 / sigma**2), 0.0)
            image[ch] += dens.sum(axis=1) / (2 * np.pi * sigma**2)
    return (image / pts.n_frames).reshape(len(img.layers), size, size)


@pytest.mark.parametrize(("angle", "mirror"), [(0.0, False), (0.7, False), (2.3, True)])
def test_separable_render_equals_the_direct_one(film, angle, mirror):
    """On shaken fcc(111) films in a hexagonal cell (two frames, two layers), windows placed
    anywhere, turned and mirrored: the separable render gives the direct render's image."""
    atoms, _, _ = film(size=(6, 6), n_liquid=6, noise=0.05)
    frames = [from_ase(a, SUB) for a in [atoms, atoms.copy()]]
    frames[1] = frames[1].replace(positions=frames[1].positions + [0.31, -0.2, 0.0]).wrapped()
    img = DensityImage(layers=(1, 2), size=24, pixel=0.2, sigma=0.18)
    pts = img.points(frames)
    for origin in ([0.0, 0.0], [3.3, -1.7], [-5.0, 8.1]):
        fast = img.render(pts, origin, angle, mirror)
        np.testing.assert_allclose(fast, reference_render(img, pts, origin, angle, mirror),
                                   rtol=1e-5, atol=1e-6)  # fmt: skip
        assert fast.max() > 1.0  # the layers are in the window

"""What the eye sees: ΔE in Oklab and lost hue, held against independent computations.

Oracles: Ottosson's published XYZ → Oklab pairs (through the standard XYZ → linear sRGB matrix
written out here), scikit-image's CIELAB ΔE 2000 for the ordering of colour differences, and
plain NumPy on the per-pixel map for the summary statistics.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

import kmeans
from kmeans.metrics import (
    delta_e_ok,
    perceptual_error,
    perceptual_error_of_colours,
)
from kmeans.oklab import linear_to_oklab, srgb_to_oklab
from tests.helpers import SAMPLE_PHOTOS, sample_rgb

#: IEC 61966-2-1 (sRGB), XYZ (D65) → linear sRGB.
XYZ_TO_LINEAR_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)
#: Ottosson (2020), "A perceptual color space for image processing": XYZ → Oklab, 3 decimals.
PUBLISHED_PAIRS = [
    ((0.950, 1.000, 1.089), (1.000, 0.000, 0.000)),
    ((1.000, 0.000, 0.000), (0.450, 1.236, -0.019)),
    ((0.000, 1.000, 0.000), (0.922, -0.671, 0.263)),
    ((0.000, 0.000, 1.000), (0.153, -1.415, -0.449)),
]


@pytest.mark.parametrize(("xyz", "lab"), PUBLISHED_PAIRS)
def test_oklab_matches_the_published_reference_values(xyz, lab):
    linear = XYZ_TO_LINEAR_SRGB @ np.array(xyz)
    np.testing.assert_allclose(linear_to_oklab(linear), lab, atol=2e-3)


def test_srgb_primaries_have_their_known_oklab_values():
    primaries = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], np.uint8)
    known = [
        (0.627955, 0.224863, 0.125846),
        (0.866440, -0.233888, 0.179498),
        (0.452014, -0.032457, -0.311528),
        (1.0, 0.0, 0.0),
    ]
    np.testing.assert_allclose(srgb_to_oklab(primaries), known, atol=1e-5)


def test_delta_e_orders_colour_pairs_as_ciede2000_does():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (2000, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    ours = delta_e_ok(a[None], b[None])[0]
    theirs = deltaE_ciede2000(rgb2lab(a[None] / 255.0), rgb2lab(b[None] / 255.0))[0]
    spearman = np.corrcoef(np.argsort(np.argsort(ours)), np.argsort(np.argsort(theirs)))[0, 1]
    assert spearman > 0.8  # two different formulas: close in rank, not identical
    # Where CIEDE2000 sees a clear difference between two pairs, ΔE_OK sees it the same way.
    i, j = rng.integers(0, len(a), (2, 5000))
    clear = theirs[i] > 2 * theirs[j] + 2
    assert np.mean(ours[i][clear] > ours[j][clear]) > 0.97


def test_identical_images_differ_by_nothing():
    rgb = sample_rgb("chelsea.png")
    assert perceptual_error(rgb, rgb) == kmeans.metrics.PerceptualError(0.0, 0.0, 0.0)
    assert delta_e_ok(rgb, rgb).max() == 0


@pytest.fixture(scope="module", params=SAMPLE_PHOTOS, ids=[p.stem for p in SAMPLE_PHOTOS])
def quantized(request):
    rgb = sample_rgb(request.param.name)
    return rgb, kmeans.quantize(rgb, 16)


def test_mean_and_p99_are_those_of_the_per_pixel_map(quantized):
    rgb, result = quantized
    per_pixel = delta_e_ok(rgb, result.image).astype(np.float64)
    seen = perceptual_error(rgb, result.image)
    assert seen.delta_e == pytest.approx(per_pixel.mean(), rel=1e-6)
    exact_p99 = np.percentile(per_pixel, 99, method="inverted_cdf")
    assert exact_p99 <= seen.delta_e_p99 <= exact_p99 + 0.01 + 1e-9


def test_the_colours_path_gives_the_per_pixel_numbers(quantized):
    rgb, result = quantized
    per_pixel = perceptual_error(rgb, result.image)
    counted = result.colours
    fast = perceptual_error_of_colours(
        counted.colours, result.palette[result.colour_labels], counted.counts
    )
    assert fast.delta_e == pytest.approx(per_pixel.delta_e, rel=1e-9)
    assert fast.delta_e_p99 == pytest.approx(per_pixel.delta_e_p99, abs=1e-9)
    assert fast.lost_hue == pytest.approx(per_pixel.lost_hue, rel=1e-9)


def red_on_grass(share: float, size: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Textured green grass with a red square covering ``share`` of the pixels, and its mask."""
    rng = np.random.default_rng(seed)
    grass = np.stack(
        [
            rng.integers(30, 70, (size, size)),
            rng.integers(110, 170, (size, size)),
            rng.integers(20, 50, (size, size)),
        ],
        axis=-1,
    ).astype(np.uint8)
    side = max(1, round(size * np.sqrt(share)))
    red = np.zeros((size, size), dtype=bool)
    red[50 : 50 + side, 80 : 80 + side] = True
    grass[red] = (210, 25, 30)
    return grass, red


def independent_delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ΔE_OK written out again from Ottosson's formulas, for the oracle."""

    def oklab(rgb):
        v = rgb.astype(np.float64) / 255
        lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
        m1 = np.array(
            [
                [0.4122214708, 0.5363325363, 0.0514459929],
                [0.2119034982, 0.6806995451, 0.1073969566],
                [0.0883024619, 0.2817188376, 0.6299787005],
            ]
        )
        m2 = np.array(
            [
                [0.2104542553, 0.7936177850, -0.0040720468],
                [1.9779984951, -2.4285922050, 0.4505937099],
                [0.0259040371, 0.7827717662, -0.8086757660],
            ]
        )
        return np.cbrt(lin @ m1.T) @ m2.T

    return 100 * np.linalg.norm(oklab(a) - oklab(b), axis=-1)


def test_losing_a_small_red_object_shows_as_lost_hue_but_hardly_in_the_mean():
    grass, red = red_on_grass(0.01)
    painted = grass.copy()
    painted[red] = (50, 140, 35)  # the object redrawn in a grass green
    seen = perceptual_error(grass, painted)
    expected = independent_delta_e(grass[red], painted[red]).mean()
    assert seen.lost_hue == pytest.approx(expected, rel=1e-4)
    assert seen.lost_hue > 20
    assert seen.delta_e < 0.02 * seen.lost_hue * 1.01
    kept = grass.copy()
    kept[red] = (200, 30, 30)  # redrawn in a slightly different red
    assert perceptual_error(grass, kept).lost_hue < 3


def test_a_family_below_its_share_of_the_image_does_not_count():
    grass, red = red_on_grass(0.0002)  # 8 of 40,000 pixels: under 0.05%
    painted = grass.copy()
    painted[red] = (50, 140, 35)
    assert perceptual_error(grass, painted).lost_hue < 1


def test_nothing_vivid_means_no_lost_hue():
    grey = np.repeat(np.random.default_rng(1).integers(0, 256, (60, 60, 1)), 3, axis=2)
    noisy = np.clip(grey + 40, 0, 255)
    seen = perceptual_error(grey.astype(np.uint8), noisy.astype(np.uint8))
    assert seen.lost_hue == 0 and seen.delta_e > 5


def test_transparent_pixels_do_not_count():
    grass, red = red_on_grass(0.05)
    painted = grass.copy()
    painted[red] = (0, 0, 255)
    alpha = np.where(red, 0, 255).astype(np.uint8)
    seen = perceptual_error(grass, painted, alpha)
    assert seen == kmeans.metrics.PerceptualError(0.0, 0.0, 0.0)
    half = perceptual_error(grass, painted, np.where(red, 128, 255).astype(np.uint8))
    full = perceptual_error(grass, painted)
    assert 0 < half.delta_e < full.delta_e


def test_the_heatmap_is_per_pixel():
    grass, red = red_on_grass(0.01)
    painted = grass.copy()
    painted[red] = (50, 140, 35)
    heat = delta_e_ok(grass, painted)
    assert heat.shape == grass.shape[:2] and heat.dtype == np.float32
    assert (heat[~red] == 0).all()
    np.testing.assert_allclose(heat[red], independent_delta_e(grass[red], painted[red]), rtol=1e-5)

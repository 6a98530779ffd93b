"""ΔE_OK, its 99th percentile and the lost hue, against published Oklab values, scikit-image's
CIEDE2000, NumPy's percentiles and window sums computed here by other means."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from kmeans import KMeansError, metrics, perceptual
from kmeans.closeness import JUST_NOTICEABLE
from kmeans.oklab import linear_to_oklab, srgb_to_oklab, srgb_to_oklab_planes
from kmeans.perceptual import (
    HUE_STEP_DEGREES,
    HUE_WINDOW_DEGREES,
    HUE_WINDOWS,
    MIN_HUE_SHARE,
    VIVID_CHROMA,
    PerceptualError,
    delta_e_ok,
    delta_e_ok_of_labels,
    hue_windows,
    perceptual_error,
    perceptual_error_of_colours,
)
from tests.helpers import SAMPLE_PHOTOS, sample_rgb
from tests.oracles import composited, drawn_by_either, independent_delta_e

#: The standard (IEC 61966-2-1) matrix from CIE XYZ (D65) to linear sRGB.
XYZ_TO_LINEAR_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)
#: Ottosson's published table of XYZ colours and their Oklab values, to 3 decimals.
OTTOSSON_XYZ_TO_OKLAB = [
    ((0.950, 1.000, 1.089), (1.000, 0.000, 0.000)),
    ((1.000, 0.000, 0.000), (0.450, 1.236, -0.019)),
    ((0.000, 1.000, 0.000), (0.922, -0.671, 0.263)),
    ((0.000, 0.000, 1.000), (0.153, -1.415, -0.449)),
]
#: Oklab of the sRGB primaries and white, as published (CSS Color 4 and Ottosson), 5 decimals.
SRGB_OKLAB = {
    (255, 0, 0): (0.62796, 0.22486, 0.12585),
    (0, 255, 0): (0.86644, -0.23389, 0.17950),
    (0, 0, 255): (0.45201, -0.03246, -0.31153),
    (255, 255, 255): (1.0, 0.0, 0.0),
}
RED, GREEN = (255, 0, 0), (0, 255, 0)
#: ΔE_OK of red against green, from the published values alone.
RED_TO_GREEN = 100 * float(np.linalg.norm(np.subtract(SRGB_OKLAB[RED], SRGB_OKLAB[GREEN])))


# --- Independent computations the tests compare against ------------------------------------


def reference_delta_e(original: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """ΔE_OK in float64 straight from the definition, on whole arrays."""
    return 100 * np.linalg.norm(srgb_to_oklab(original) - srgb_to_oklab(reconstructed), axis=-1)


def reference_window_masks(lab: np.ndarray) -> list[np.ndarray]:
    """The vivid colours in each hue window, masked in turn: ``(hue − start) mod 360 < width``."""
    vivid = np.hypot(lab[:, 1], lab[:, 2]) >= VIVID_CHROMA
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    return [
        vivid & ((hue - start) % 360 < HUE_WINDOW_DEGREES)
        for start in np.arange(0, 360, HUE_STEP_DEGREES)
    ]


def reference_lost_hue(original: np.ndarray, delta_e: np.ndarray, weights: np.ndarray) -> float:
    """Lost hue from :func:`reference_window_masks`: the worst weighted mean ΔE_OK."""
    lab = srgb_to_oklab(original.reshape(-1, 3))
    delta_e, weights = delta_e.reshape(-1).astype(np.float64), weights.reshape(-1)
    worst = 0.0
    for inside in reference_window_masks(lab):
        weight = weights[inside].sum()
        if weight > 0 and weight >= MIN_HUE_SHARE * weights.sum():
            worst = max(worst, float(np.dot(delta_e[inside], weights[inside]) / weight))
    return worst


def distinct_pairs(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct colours of a palette[labels] image, what each became, and their pixel counts."""
    channels = original.shape[-1]
    keys = original.reshape(-1, channels).astype(np.int64) @ (256 ** np.arange(channels))
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    colours = original.reshape(-1, channels)[first]
    became = reconstructed.reshape(-1, channels)[first]
    return colours, became, counts


def crude_quantise(image: np.ndarray) -> np.ndarray:
    """A palette[labels] image: every colour to the centre of its 16-level cell."""
    palette = (np.arange(16 * 16 * 16)[:, None] >> np.array([8, 4, 0]) & 15) * 16 + 8
    labels = (
        (image[..., 0] >> 4).astype(np.intp) << 8 | (image[..., 1] >> 4) << 4 | image[..., 2] >> 4
    )
    return palette.astype(np.uint8)[labels]


def ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values))


def grass(size: int, seed: int = 0) -> np.ndarray:
    """A green texture: dark to light greens, never near red."""
    rng = np.random.default_rng(seed)
    shade = rng.uniform(0.6, 1.0, (size, size, 1))
    return np.rint(np.array([60, 150, 40]) * shade).astype(np.uint8)


def with_blob(image: np.ndarray, pixels: int, colour: tuple[int, int, int]) -> np.ndarray:
    """``image`` with its first ``pixels`` pixels, in reading order, set to ``colour``."""
    out = image.copy()
    out.reshape(-1, 3)[:pixels] = colour
    return out


@pytest.fixture(scope="module", params=SAMPLE_PHOTOS, ids=[path.stem for path in SAMPLE_PHOTOS])
def photo(request) -> np.ndarray:
    return sample_rgb(request.param.name)


# --- Oklab against published values ----------------------------------------------------------


@pytest.mark.parametrize(("xyz", "expected"), OTTOSSON_XYZ_TO_OKLAB)
def test_oklab_of_ottossons_xyz_table(xyz, expected):
    linear = XYZ_TO_LINEAR_SRGB @ np.array(xyz)
    assert linear_to_oklab(linear) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("rgb", "expected"), list(SRGB_OKLAB.items()))
def test_oklab_of_srgb_primaries_and_white(rgb, expected):
    assert srgb_to_oklab(np.array(rgb, np.uint8)) == pytest.approx(expected, abs=1e-5)
    assert srgb_to_oklab(np.array(rgb, np.float64)) == pytest.approx(expected, abs=1e-5)


# --- The ΔE_OK map ---------------------------------------------------------------------------


def test_delta_e_of_red_against_green_matches_published_oklab():
    red, green = np.full((2, 3, 3), RED, np.uint8), np.full((2, 3, 3), GREEN, np.uint8)
    heatmap = delta_e_ok(red, green)
    assert heatmap.shape == (2, 3)
    assert heatmap.dtype == np.float32
    assert np.allclose(heatmap, RED_TO_GREEN, atol=2e-3)


def test_delta_e_map_matches_definition_across_strips(monkeypatch, photo):
    monkeypatch.setattr(metrics, "STRIP_PIXELS", 3 * 1000)
    reduced = crude_quantise(photo)
    expected = reference_delta_e(photo, reduced)
    assert np.allclose(delta_e_ok(photo, reduced), expected, rtol=1e-6, atol=1e-5)


def test_delta_e_of_float_reconstruction_matches_definition(photo):
    blurred = np.asarray(Image.fromarray(photo).reduce(2).resize(photo.shape[1::-1]), np.float64)
    blurred += 0.3
    expected = reference_delta_e(photo, blurred)
    assert np.allclose(delta_e_ok(photo, blurred), expected, rtol=1e-6, atol=1e-5)


def test_delta_e_of_labels_matches_definition(photo):
    """The page's heatmap: Oklab planes of the photo against a palette picked by labels."""
    palette = np.random.default_rng(3).integers(0, 256, (24, 3), dtype=np.uint8)
    labels = np.random.default_rng(4).integers(0, 24, photo.shape[:2], dtype=np.uint8)
    planes = np.moveaxis(srgb_to_oklab(photo), -1, 0).astype(np.float32)
    found = delta_e_ok_of_labels(planes, srgb_to_oklab(palette), labels)
    expected = reference_delta_e(photo, palette[labels])
    assert found.shape == labels.shape
    assert np.allclose(found, expected, rtol=1e-5, atol=1e-3)


def test_delta_e_of_labels_refuses_a_label_past_the_palette():
    planes = np.zeros((3, 1, 2), dtype=np.float32)
    with pytest.raises(KMeansError, match="palette"):
        delta_e_ok_of_labels(planes, np.zeros((2, 3)), np.array([[0, 2]], dtype=np.uint8))


def test_delta_e_ranks_colour_pairs_like_ciede2000():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (3000, 3))
    spread = rng.uniform(1, 60, (3000, 1))
    second = np.clip(np.rint(first + rng.normal(0, spread, (3000, 3))), 0, 255).astype(np.uint8)
    first = first.astype(np.uint8)
    ours = delta_e_ok(first[:, None], second[:, None])[:, 0]
    ciede = deltaE_ciede2000(rgb2lab(first / 255), rgb2lab(second / 255))
    spearman = np.corrcoef(ranks(ours), ranks(ciede))[0, 1]
    assert spearman > 0.9
    # Where CIEDE2000 calls one pair at least four times as different, ΔE_OK agrees.
    i, j = rng.integers(0, 3000, (2, 100_000))
    clear = ciede[i] > 4 * ciede[j]
    assert clear.sum() > 10_000
    assert np.mean(ours[i][clear] > ours[j][clear]) > 0.999


# --- Mean and 99th percentile ----------------------------------------------------------------


def test_mean_and_p99_match_numpy_on_the_map(photo):
    reduced = crude_quantise(photo)
    heatmap = delta_e_ok(photo, reduced)
    error = perceptual_error(photo, reduced)
    assert error.delta_e_p99 == np.percentile(heatmap, 99, method="inverted_cdf")
    assert error.delta_e == pytest.approx(heatmap.mean(dtype=np.float64), rel=1e-9)
    assert error.lost_hue == pytest.approx(
        reference_lost_hue(photo, heatmap, np.ones(heatmap.shape)), rel=1e-9
    )


def test_weighted_colours_give_the_per_pixel_numbers(photo):
    reduced = crude_quantise(photo)
    heatmap = delta_e_ok(photo, reduced)
    error = perceptual_error_of_colours(*distinct_pairs(photo, reduced))
    assert error.delta_e_p99 == np.percentile(heatmap, 99, method="inverted_cdf")
    assert error.delta_e == pytest.approx(heatmap.mean(dtype=np.float64), rel=1e-9)
    per_pixel = perceptual_error(photo, reduced)
    assert error.lost_hue == pytest.approx(per_pixel.lost_hue, rel=1e-9)


@pytest.mark.parametrize("strip_pixels", [3, 3 * 7, 3 * 1001])
def test_p99_is_exact_with_strips_of_any_size(monkeypatch, strip_pixels):
    # Strips of one pixel make the second pass recompute single pixels.
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    other = np.clip(image + rng.integers(-40, 41, image.shape), 0, 255).astype(np.uint8)
    monkeypatch.setattr(metrics, "STRIP_PIXELS", strip_pixels)
    heatmap = delta_e_ok(image, other)
    error = perceptual_error(image, other)
    assert error.delta_e_p99 == np.percentile(heatmap, 99, method="inverted_cdf")
    assert error.delta_e == pytest.approx(heatmap.mean(dtype=np.float64), rel=1e-9)


@pytest.mark.parametrize("count", [1, 2, 99, 100, 101, 199, 200, 201, 12345])
def test_p99_rank_matches_numpy_for_every_count(count):
    # The boundary cases of "at least 99% of the weight": counts around multiples of 100.
    rng = np.random.default_rng(count)
    colours = rng.integers(0, 256, (count, 3), dtype=np.uint8)
    became = rng.integers(0, 256, (count, 3), dtype=np.uint8)
    values = delta_e_ok(colours[:, None], became[:, None])[:, 0]
    expected = np.percentile(values, 99, method="inverted_cdf")
    assert perceptual_error_of_colours(colours, became, np.ones(count)).delta_e_p99 == expected
    assert perceptual_error(colours[:, None], became[:, None]).delta_e_p99 == expected


def test_identical_images_score_zero(photo):
    assert perceptual_error(photo, photo.copy()) == PerceptualError(0.0, 0.0, 0.0)


# --- Lost hue --------------------------------------------------------------------------------


def test_red_blob_painted_green_is_a_lost_hue():
    field = grass(200)
    original = with_blob(field, 400, RED)  # 1% of the pixels
    painted = with_blob(crude_quantise(field), 400, GREEN)
    error = perceptual_error(original, painted)
    assert error.lost_hue == pytest.approx(RED_TO_GREEN, abs=0.01)
    assert error.delta_e < 0.05 * RED_TO_GREEN


def test_red_blob_kept_loses_no_hue():
    field = grass(200)
    original = with_blob(field, 400, RED)
    kept = with_blob(crude_quantise(field), 400, RED)
    error = perceptual_error(original, kept)
    grass_error = delta_e_ok(field, crude_quantise(field)).max()
    assert error.lost_hue <= grass_error
    assert error.lost_hue < 5


@pytest.mark.parametrize(("blob", "counts"), [(19, False), (20, True), (21, True)])
def test_hue_window_needs_its_share_of_the_pixels(blob, counts):
    # 200 × 200 pixels: a window needs 0.05%, that is 20 pixels.
    assert MIN_HUE_SHARE * 200 * 200 == 20
    field = grass(200)
    error = perceptual_error(with_blob(field, blob, RED), with_blob(field, blob, GREEN))
    if counts:
        assert error.lost_hue == pytest.approx(RED_TO_GREEN, abs=0.01)
    else:
        assert error.lost_hue == 0.0  # the grass is kept exactly
        assert error.delta_e > 0


def test_grey_image_has_no_lost_hue():
    ramp = np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(16, 16, 3)
    error = perceptual_error(ramp, 255 - ramp)
    assert error.lost_hue == 0.0
    assert error.delta_e > 10


def test_hue_windows_at_and_between_boundaries():
    hues = np.array([0.0, 7.5, 15.0, 29.999, 30.0, 180.0, -180.0, 345.0, 359.999, -0.0001])
    expected = [
        [23, 0],
        [23, 0],
        [0, 1],
        [0, 1],
        [1, 2],
        [11, 12],
        [11, 12],
        [22, 23],
        [22, 23],
        [22, 23],
    ]
    assert hue_windows(hues).tolist() == expected
    # The windows found by masking [start, start + 30°) agree, and there are always two.
    starts = np.arange(HUE_WINDOWS) * HUE_STEP_DEGREES
    for hue, pair in zip(hues, expected, strict=True):
        inside = np.flatnonzero((hue - starts) % 360 < HUE_WINDOW_DEGREES)
        assert sorted(inside.tolist()) == sorted(pair)


def hue_step(rgb: tuple[int, int, int]) -> int:
    lab = srgb_to_oklab(np.array(rgb, np.uint8))
    return int(np.degrees(np.arctan2(lab[2], lab[1])) % 360 // HUE_STEP_DEGREES)


@pytest.mark.parametrize(
    ("neighbour", "steps_apart", "expected"),
    [
        # 25.5°, red's own 15° step (red is at 29.2°): both red windows also hold it.
        ((255, 0, 40), 0, RED_TO_GREEN / 2),
        # 31.4°, the next step: it shares red's upper window, red's lower window is red alone.
        ((255, 40, 0), 1, RED_TO_GREEN),
        # 49.8°, two steps on: no window in common.
        ((255, 120, 0), 2, RED_TO_GREEN),
    ],
)
def test_hue_windows_share_colours_by_step(neighbour, steps_apart, expected):
    assert hue_step(neighbour) - hue_step(RED) == steps_apart
    colours = np.array([RED, neighbour], np.uint8)
    became = np.array([GREEN, neighbour], np.uint8)  # only red is served badly
    error = perceptual_error_of_colours(colours, became, np.array([1, 1]))
    assert error.lost_hue == pytest.approx(expected, abs=0.01)


def test_lost_hue_matches_window_masks_on_random_vivid_colours():
    rng = np.random.default_rng(5)
    colours = rng.integers(0, 256, (5000, 3), dtype=np.uint8)
    became = np.clip(colours + rng.integers(-60, 61, colours.shape), 0, 255).astype(np.uint8)
    weights = rng.integers(1, 50, 5000).astype(np.float64)
    expected = reference_lost_hue(colours, reference_delta_e(colours, became), weights)
    got = perceptual_error_of_colours(colours, became, weights).lost_hue
    assert got == pytest.approx(expected, rel=1e-6)


def test_vivid_hue_windows_match_window_masks_on_random_colours():
    rng = np.random.default_rng(6)
    lab = srgb_to_oklab(rng.integers(0, 256, (5000, 3), dtype=np.uint8))
    masks = perceptual.vivid_hue_windows(lab)
    assert masks.shape == (HUE_WINDOWS, 5000)
    np.testing.assert_array_equal(masks, np.array(reference_window_masks(lab)))


# --- Transparency ----------------------------------------------------------------------------


def see_through(image: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Alphas for an original and its redrawing: every level, a fifth hidden, the redrawing's
    off by up to 20 levels."""
    rng = np.random.default_rng(seed)
    shape = image.shape[:2]
    alpha = rng.integers(0, 256, shape, dtype=np.uint8)
    alpha[rng.random(shape) < 0.2] = 0
    off = rng.integers(-20, 21, shape)
    return alpha, np.clip(alpha.astype(int) + off, 0, 255).astype(np.uint8)


def test_transparent_images_are_measured_as_seen_over_white_and_black(photo):
    reduced = crude_quantise(photo)
    alpha, drawn_alpha = see_through(photo, 2)
    original, redrawn = np.dstack([photo, alpha]), np.dstack([reduced, drawn_alpha])
    over = {
        g: independent_delta_e(composited(original, g), composited(redrawn, g)) for g in (0, 255)
    }
    heatmap = np.maximum(over[0], over[255])
    counted = drawn_by_either(original, redrawn)
    np.testing.assert_allclose(
        delta_e_ok(photo, reduced, alpha, drawn_alpha), heatmap, rtol=1e-6, atol=1e-4
    )
    error = perceptual_error(photo, reduced, alpha, drawn_alpha)
    assert error.delta_e == pytest.approx(heatmap[counted].mean(), rel=1e-6)
    p99 = np.percentile(heatmap[counted], 99, method="inverted_cdf")
    assert error.delta_e_p99 == pytest.approx(p99, rel=1e-5)
    # Hue is that of the original as seen over the background where the error shows most.
    seen = np.where(
        (over[0] > over[255])[..., None], composited(original, 0), composited(original, 255)
    )
    lost = reference_lost_hue(seen[counted], heatmap[counted], np.ones(counted.sum()))
    assert error.lost_hue == pytest.approx(lost, rel=1e-5)


@pytest.mark.parametrize("strip_pixels", [3, 3 * 7, 3 * 1001])
def test_the_numbers_as_seen_are_those_of_the_heatmap_across_strips(monkeypatch, strip_pixels):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    other = np.clip(image + rng.integers(-40, 41, image.shape), 0, 255).astype(np.uint8)
    alpha, drawn_alpha = see_through(image, 4)
    monkeypatch.setattr(metrics, "STRIP_PIXELS", strip_pixels)
    heatmap = delta_e_ok(image, other, alpha, drawn_alpha)[(alpha > 0) | (drawn_alpha > 0)]
    error = perceptual_error(image, other, alpha, drawn_alpha)
    assert error.delta_e_p99 == np.percentile(heatmap, 99, method="inverted_cdf")
    assert error.delta_e == pytest.approx(heatmap.mean(dtype=np.float64), rel=1e-9)


def test_distinct_rgba_colours_give_the_per_pixel_numbers(photo):
    reduced = crude_quantise(photo)
    levels = np.random.default_rng(5).integers(0, 4, photo.shape[:2]).astype(np.uint8)
    alpha, drawn_alpha = levels * 85, levels * 30  # few levels, so that colours repeat
    original, redrawn = np.dstack([photo, alpha]), np.dstack([reduced, drawn_alpha])
    per_pixel = perceptual_error(photo, reduced, alpha, drawn_alpha)
    error = perceptual_error_of_colours(*distinct_pairs(original, redrawn))
    assert error.delta_e_p99 == per_pixel.delta_e_p99
    assert error.delta_e == pytest.approx(per_pixel.delta_e, rel=1e-9)
    assert error.lost_hue == pytest.approx(per_pixel.lost_hue, rel=1e-9)


@pytest.mark.parametrize(("colour", "background"), [(0, 255), (255, 0)])
def test_an_error_in_alpha_alone_counts_as_the_grey_it_shows(colour, background):
    """A black shadow drawn too light, or a white glow too faint: the colour is right, and
    yet over white (over black) the picture shows another grey."""
    alpha = np.arange(1, 256, dtype=np.uint8)[None]
    lighter = (alpha * 0.8).astype(np.uint8)
    flat = np.full((1, 255, 3), colour, np.uint8)
    error = perceptual_error(flat, flat, alpha, lighter)
    greys = (composited(np.dstack([flat, a]), background) for a in (alpha, lighter))
    opaque = perceptual_error(*greys)
    assert error.delta_e == pytest.approx(opaque.delta_e, rel=1e-6)
    assert error.delta_e_p99 == pytest.approx(opaque.delta_e_p99, rel=1e-6)
    assert error.delta_e > 2 * JUST_NOTICEABLE


def test_transparent_pixels_do_not_count():
    field = grass(100)
    original = with_blob(field, 500, RED)
    painted = with_blob(field, 500, GREEN)
    alpha = np.full((100, 100), 255, np.uint8)
    alpha.reshape(-1)[:500] = 0  # the repainted blob is invisible
    assert perceptual_error(original, painted, alpha, alpha) == PerceptualError(0.0, 0.0, 0.0)
    opaque = np.full((100, 100), 255, np.uint8)
    visible = perceptual_error(original, painted, opaque, opaque)
    assert visible == perceptual_error(original, painted)
    assert visible.lost_hue == pytest.approx(RED_TO_GREEN, abs=0.01)


def test_empty_canvas_around_a_logo_changes_nothing(photo):
    reduced = crude_quantise(photo)
    alpha, drawn_alpha = see_through(photo, 6)
    error = perceptual_error(photo, reduced, alpha, drawn_alpha)

    def padded(image: np.ndarray) -> np.ndarray:
        widths = ((40, 40), (40, 40)) + ((0, 0),) * (image.ndim - 2)
        return np.pad(image, widths, constant_values=77)

    hidden = np.pad(alpha, 40), np.pad(drawn_alpha, 40)
    on_canvas = perceptual_error(padded(photo), padded(reduced), *hidden)
    assert on_canvas.delta_e == pytest.approx(error.delta_e, rel=1e-9)
    assert on_canvas.delta_e_p99 == error.delta_e_p99
    assert on_canvas.lost_hue == pytest.approx(error.lost_hue, rel=1e-9)


def test_wholly_transparent_image_scores_zero():
    field = grass(10)
    alpha = np.zeros((10, 10), np.uint8)
    assert perceptual_error(field, 255 - field, alpha, alpha) == PerceptualError(0.0, 0.0, 0.0)


# --- Refused input ---------------------------------------------------------------------------


def test_bad_shapes_are_refused():
    rgb = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(KMeansError, match="RGB"):
        perceptual_error(rgb[..., 0], rgb[..., 0])
    with pytest.raises(KMeansError, match="differ in shape"):
        delta_e_ok(rgb, rgb[:3])
    alpha = np.zeros((4, 5), np.uint8)
    with pytest.raises(KMeansError, match="alpha"):
        perceptual_error(rgb, rgb, np.zeros((4, 4), np.uint8), alpha)
    with pytest.raises(KMeansError, match="alpha"):
        perceptual_error(rgb, rgb, alpha, np.zeros((4, 5), np.float64))
    with pytest.raises(KMeansError, match="both images"):
        perceptual_error(rgb, rgb, alpha)
    colours = np.zeros((3, 3), np.uint8)
    with pytest.raises(KMeansError, match="weights"):
        perceptual_error_of_colours(colours, colours, np.ones(2))
    with pytest.raises(KMeansError, match="non-negative"):
        perceptual_error_of_colours(colours, colours, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(KMeansError, match="colour lists"):
        perceptual_error_of_colours(colours, colours[:2], np.ones(3))


def test_delta_e_of_one_colour_is_bit_identical_to_delta_e_among_many():
    # A p99 recomputed for a lone pixel must be the map's value to the last bit, so a colour's
    # Oklab and ΔE_OK cannot depend on how many colours are converted with it.
    rng = np.random.default_rng(7)
    colours, became = rng.integers(0, 256, (2, 300, 1, 3), dtype=np.uint8)
    together = delta_e_ok(colours, became)
    alone = np.concatenate([delta_e_ok(colours[i : i + 1], became[i : i + 1]) for i in range(300)])
    assert np.array_equal(alone, together)
    planes = srgb_to_oklab_planes(colours[:, 0])
    one_by_one = [srgb_to_oklab_planes(colours[i, :1]) for i in range(300)]
    assert np.array_equal(np.concatenate(one_by_one, axis=1), planes)

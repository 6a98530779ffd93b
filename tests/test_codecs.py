"""The same-closeness search, checked against a brute force over every quality.

The oracle encodes a small photo with Pillow at every quality from 1 to 100, decodes it, and
measures ΔE_OK per pixel itself (Oklab in NumPy, the 99th percentile by ``np.percentile``), so
neither the search nor the library's ΔE functions decide what "meets both bounds" means.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import kmeans
from kmeans.codecs import CODECS, compare_codecs, same_closeness, verdict
from kmeans.oklab import srgb_to_oklab
from kmeans.perceptual import PerceptualError
from kmeans.samples import illustration, ladybird, pixel_art
from tests.helpers import SAMPLES, assert_one_plain_sentence
from tests.oracles import drawn_by_either, seen_delta_e

PILLOW_NAMES = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}


def small_photo() -> np.ndarray:
    with Image.open(SAMPLES / "coffee.png") as image:
        return np.asarray(image.convert("RGB").resize((96, 64), Image.Resampling.LANCZOS))


def oracle_error(original: np.ndarray, data: bytes) -> tuple[float, float]:
    with Image.open(io.BytesIO(data)) as image:
        decoded = np.asarray(image.convert("RGB"))
    a, b = srgb_to_oklab(original.reshape(-1, 3)), srgb_to_oklab(decoded.reshape(-1, 3))
    delta_e = np.sqrt(((a - b) ** 2).sum(axis=1)) * 100
    return float(delta_e.mean()), float(np.percentile(delta_e, 99, method="inverted_cdf"))


def pillow_file(rgb: np.ndarray, codec: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, PILLOW_NAMES[codec], quality=quality)
    return buffer.getvalue()


def k_colour_target(rgb: np.ndarray, k: int) -> PerceptualError:
    return kmeans.quantize(rgb, k).perceptual


def meets(error: tuple[float, float], target: PerceptualError, slack: float = 1e-4) -> bool:
    """Both bounds, with a little slack for float32 against float64 sums."""
    return error[0] <= target.delta_e + slack and error[1] <= target.delta_e_p99 + slack


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("k", [4, 8, 16])
def test_it_returns_the_smallest_quality_meeting_both_bounds(codec: str, k: int) -> None:
    rgb = small_photo()
    target = k_colour_target(rgb, k)
    errors = {q: oracle_error(rgb, pillow_file(rgb, codec, q)) for q in range(1, 101)}
    meeting = [q for q, error in errors.items() if meets(error, target)]

    match = same_closeness(rgb, target, codec)

    assert meeting, "every codec reaches this photo's closeness at some quality"
    assert match.quality == min(meeting)
    assert match.data == pillow_file(rgb, codec, match.quality)
    assert meets(oracle_error(rgb, match.data), target)


def test_where_the_codec_is_not_monotonic_the_answer_still_meets_and_the_one_below_fails() -> None:
    """AVIF on this photo at K = 24 meets the bounds at quality 90, fails at some above it."""
    rgb = small_photo()
    target = k_colour_target(rgb, 24)
    errors = {q: oracle_error(rgb, pillow_file(rgb, "avif", q)) for q in range(1, 101)}
    lowest = min(q for q, error in errors.items() if meets(error, target))
    assert not all(meets(errors[q], target) for q in range(lowest, 101))  # not monotonic

    match = same_closeness(rgb, target, "avif")

    assert meets(errors[match.quality], target)
    assert not meets(errors[match.quality - 1], target)


@pytest.mark.parametrize("codec", CODECS)
def test_a_codec_that_cannot_reach_the_closeness_says_so(codec: str) -> None:
    art = pixel_art(2)
    target = k_colour_target(art, 16)  # 9 colours: the K-colour file is exact
    assert (target.delta_e, target.delta_e_p99) == (0.0, 0.0)

    match = same_closeness(art, target, codec)

    assert not match.reached and match.quality is None and match.data is None
    assert_one_plain_sentence(match.reason)
    assert f"{CODECS[codec]} cannot look this close at any quality" in match.reason
    at_best = oracle_error(art, pillow_file(art, codec, 100))
    assert at_best[0] > 0  # the oracle agrees: even quality 100 is not exact
    assert match.delta_e == pytest.approx(at_best[0], rel=1e-3)


def test_jpeg_cannot_store_transparency() -> None:
    rgb = small_photo()
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:10] = 0
    match = same_closeness(rgb, PerceptualError(3.0, 10.0, 0.0), "jpeg", alpha=alpha)

    assert not match.reached
    assert match.reason == "JPEG cannot store transparency."


def soft_edged_photo() -> tuple[np.ndarray, np.ndarray]:
    """The small photo with a soft vignette of see-through edges, and its alpha."""
    rgb = small_photo()
    yy, xx = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]]
    distance = np.hypot((yy - 32) / 32, (xx - 48) / 48)
    alpha = np.clip((1.1 - distance) * 400, 0, 255).astype(np.uint8)
    return rgb, alpha


def seen_error(original_rgba: np.ndarray, data: bytes) -> tuple[float, float]:
    """The oracle's mean and p99 ΔE_OK of a file as seen over white and black."""
    with Image.open(io.BytesIO(data)) as image:
        decoded = np.asarray(image.convert("RGBA"))
    counted = drawn_by_either(original_rgba, decoded)
    delta_e = seen_delta_e(original_rgba, decoded)[counted]
    return float(delta_e.mean()), float(np.percentile(delta_e, 99, method="inverted_cdf"))


@pytest.mark.parametrize("codec", ["webp", "avif"])
def test_with_transparency_the_smallest_quality_is_judged_as_seen(codec: str) -> None:
    rgb, alpha = soft_edged_photo()
    rgba = np.dstack([rgb, alpha])
    target = kmeans.quantize(rgba, 16).perceptual
    files = {q: pillow_file(rgba, codec, q) for q in range(1, 101)}
    meeting = [q for q, data in files.items() if meets(seen_error(rgba, data), target)]

    match = same_closeness(rgb, target, codec, alpha=alpha)

    assert meeting, "the codec reaches this image's closeness at some quality"
    assert match.quality == min(meeting)
    assert match.data == files[match.quality]


def test_on_a_large_image_the_file_meets_both_bounds_on_every_pixel() -> None:
    """Above the sample size the bisection runs on tiles; the answer is checked on the whole."""
    rgb = ladybird(1200, 900)
    target = k_colour_target(rgb, 32)

    for match in compare_codecs(rgb, target):
        assert match.reached
        assert meets(oracle_error(rgb, match.data), target)
        assert match.data == pillow_file(rgb, match.codec, match.quality)


def test_progress_reports_each_quality_measured() -> None:
    seen = []
    compare_codecs(
        small_photo(), k_colour_target(small_photo(), 16), progress=lambda *a: seen.append(a)
    )

    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1
    assert {words.split()[0] for _, words in seen} == set(CODECS.values())


def smallest_k_colour_file(rgb: np.ndarray, k: int) -> tuple[int, PerceptualError]:
    compression = kmeans.compress(kmeans.LoadedImage(rgb, None, "raw", rgb.nbytes), k)
    return min(len(compression.png), len(compression.webp)), compression.perceptual


def test_for_a_photo_a_lossy_codec_wins_and_the_verdict_names_it() -> None:
    rgb = small_photo()
    k_colour_bytes, target = smallest_k_colour_file(rgb, 8)
    matches = compare_codecs(rgb, target)
    best = min((m for m in matches if m.reached), key=lambda m: m.n_bytes)

    sentence = verdict(k_colour_bytes, matches)

    assert best.n_bytes < k_colour_bytes
    assert sentence.startswith(f"For this image a {best.name} that looks as close is ")
    assert_one_plain_sentence(sentence)


def test_for_the_flat_illustration_k_colours_beat_every_lossy_codec() -> None:
    """The bundled flat graphic shows the other side of the verdict."""
    rgb = illustration(400, 300)
    k_colour_bytes, target = smallest_k_colour_file(rgb, 16)
    matches = compare_codecs(rgb, target)

    assert all(not m.reached or m.n_bytes > k_colour_bytes for m in matches)
    sentence = verdict(k_colour_bytes, matches)
    assert sentence.startswith("Here K colours win")
    assert_one_plain_sentence(sentence)


def test_a_bad_codec_is_one_sentence() -> None:
    with pytest.raises(kmeans.KMeansError, match="The codec must be jpeg, webp or avif"):
        same_closeness(small_photo(), PerceptualError(1.0, 1.0, 0.0), "png")

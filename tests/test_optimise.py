"""Optimised PNG and lossless WebP decode to exactly encode_png's pixels, read back by Pillow."""

from __future__ import annotations

import io
import os
import signal
import threading

import numpy as np
import pytest
from PIL import Image

import kmeans
import kmeans.samples
from kmeans import optimise
from kmeans.encode import encode_png
from kmeans.errors import KMeansError
from kmeans.optimise import LEVELS, lossless_webp, optimised_png
from kmeans.samples import chart, pixel_art
from tests.test_encode import distinct_palette, labels_using_every_index
from tests.test_transparency import anti_aliased_circle, drop_shadow_logo

SAMPLES = "assets/samples"
WRITERS = {"png": optimised_png, "webp": lossless_webp}


def decoded(data: bytes) -> tuple[str, np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, np.asarray(image.convert("RGBA"))


def quantised(rgb_or_rgba: np.ndarray, k: int, **options) -> kmeans.QuantizeResult:
    return kmeans.quantize(rgb_or_rgba, k, **options)


def cases():
    coffee = kmeans.load_image(f"{SAMPLES}/coffee.png").rgb
    return {
        "photo, opaque": quantised(coffee, 16),
        "chart, opaque": quantised(chart(320, 200), 64),
        "pixel art, exact": quantised(pixel_art(4), 16),
        "one-bit transparency": quantised(hard_edged(drop_shadow_logo()), 8),
        "soft alpha (tRNS)": quantised(anti_aliased_circle(), 16),
    }


def hard_edged(rgba: np.ndarray) -> np.ndarray:
    """Alpha only 0 or 255: the 1-bit transparency of a PNG without tRNS levels."""
    return np.dstack([rgba[..., :3], np.where(rgba[..., 3] >= 128, 255, 0).astype(np.uint8)])


CASES = cases()


def arguments(result: kmeans.QuantizeResult) -> tuple[tuple, dict]:
    return (result.palette, result.labels, result.alpha), {"palette_alpha": result.palette_alpha}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kind", WRITERS)
@pytest.mark.parametrize("case", CASES)
def test_decoded_pixels_are_exactly_those_of_the_plain_png(case, kind, level):
    positional, keywords = arguments(CASES[case])
    _, expected = decoded(encode_png(*positional, **keywords))
    file_format, pixels = decoded(WRITERS[kind](*positional, **keywords, level=level))
    assert file_format == kind.upper()
    np.testing.assert_array_equal(pixels, expected)


def test_one_bit_transparency_case_has_transparent_pixels():
    """The transparency cases really exercise alpha: else they would test only opaque files."""
    result = CASES["one-bit transparency"]
    assert result.alpha is not None and (result.alpha < 128).any()
    soft = CASES["soft alpha (tRNS)"]
    assert (
        soft.palette_alpha is not None
        and ((soft.palette_alpha > 0) & (soft.palette_alpha < 255)).any()
    )


def test_with_trns_the_png_keeps_soft_alpha_levels():
    positional, keywords = arguments(CASES["soft alpha (tRNS)"])
    _, pixels = decoded(optimised_png(*positional, **keywords))
    assert len(np.unique(pixels[..., 3])) > 2


def test_a_palette_entry_no_pixel_uses_is_kept():
    """A kept colour that no pixel is nearest to is still one of the file's K colours."""
    palette = distinct_palette(6)
    labels = labels_using_every_index(6)
    labels[labels == 5] = 0  # entry 5 is now unused
    with Image.open(io.BytesIO(optimised_png(palette, labels))) as image:
        entries = np.asarray(image.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
        pixels = np.asarray(image.convert("RGB"))
    assert sorted(map(tuple, entries.tolist())) == sorted(map(tuple, palette.tolist()))
    np.testing.assert_array_equal(pixels, palette[labels])


def test_every_index_of_a_full_palette_survives():
    palette, labels = distinct_palette(256), labels_using_every_index(256, shape=(40, 60))
    _, pixels = decoded(optimised_png(palette, labels))
    np.testing.assert_array_equal(pixels[..., :3], palette[labels])


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_default_png_is_smaller_than_pillows_hardest_zlib(name):
    """The point of the optimiser: fewer bytes than Pillow's optimize=True, the same pixels."""
    result = quantised(kmeans.load_image(f"{SAMPLES}/{name}.png").rgb, 32)
    plain = encode_png(result.palette, result.labels)
    assert len(optimised_png(result.palette, result.labels)) < len(plain)


@pytest.mark.parametrize("level", [-1, 4, 2.5, True, "2"])
def test_a_bad_level_is_one_sentence(level):
    palette, labels = distinct_palette(2), labels_using_every_index(2)
    for writer in WRITERS.values():
        with pytest.raises(KMeansError, match="optimisation level must be one of"):
            writer(palette, labels, level=level)


def large_case() -> kmeans.QuantizeResult:
    """A picture above CHILD_PIXELS, so that oxipng works on it in the child process."""
    rgb = kmeans.samples.ladybird(1200, 900)
    assert rgb.shape[0] * rgb.shape[1] >= optimise.CHILD_PIXELS
    return quantised(rgb, 16)


def spun_while(work) -> int:
    """How many rounds a Python loop on another thread made while ``work()`` ran here."""
    rounds, done = [0], threading.Event()

    def spin() -> None:
        while not done.is_set():
            rounds[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        work()
    finally:
        done.set()
        spinner.join()
    return rounds[0]


def test_a_large_picture_is_optimised_in_a_child_process_to_the_same_bytes(monkeypatch):
    """pyoxipng holds the GIL: in the child, the process's other threads go on meanwhile."""
    result = large_case()
    positional, keywords = arguments(result)
    in_child = optimised_png(*positional, **keywords)  # starts the child, if need be
    spun_in_child = spun_while(lambda: optimised_png(*positional, **keywords))
    monkeypatch.setattr(optimise, "CHILD_PIXELS", 10**9)
    here = optimised_png(*positional, **keywords)
    spun_here = spun_while(lambda: optimised_png(*positional, **keywords))

    assert in_child == here
    assert decoded(in_child)[1].tolist() == decoded(encode_png(*positional, **keywords))[1].tolist()
    assert spun_in_child > 4 * max(spun_here, 1)


def test_a_child_that_died_costs_no_file(monkeypatch):
    result = large_case()
    positional, keywords = arguments(result)
    expected = optimised_png(*positional, **keywords)
    child = optimise._child
    killed = child.process
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert child.png(("a job",)) is None  # a dead child is noticed, not waited for

    assert optimised_png(*positional, **keywords) == expected  # in a new child
    assert optimise._child.process is not killed and optimise._child.process.poll() is None

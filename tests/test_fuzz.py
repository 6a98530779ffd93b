"""Fuzzing (issue 4, section 2): random and mutated bytes give a valid image or one sentence.

Hypothesis feeds the loader, the pipeline and the command line random bytes, bytes behind a real
format's signature, and small valid PNG, JPEG, GIF and WebP files with bits flipped, bytes
inserted or deleted, and the end cut off. The only allowed outcomes are a valid result or a
:class:`~kmeans.errors.KMeansError` with one sentence; for the command line, exit status 0 or 1
with one JSON line per input and no traceback.

The default run is short enough for CI (150 examples for each library test, 10 command-line
runs). ``KMEANS_FUZZ_EXAMPLES`` sets the number of examples for each library test, and the command
line gets a fifteenth of it; for a long run::

    KMEANS_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py

Failing inputs are kept in Hypothesis' example database (``.hypothesis/``) and tried first next
time.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kmeans import MAX_PIXELS, KMeansError, load_image
from kmeans.pipeline import compress
from tests.corpus import assert_refusal
from tests.helpers import (
    BLOCK_INDICES,
    BLOCK_PALETTE,
    json_reports,
    palette_image,
    run_cli,
    saved_as,
)

# Pillow warns about some damaged headers on its way to failing; the outcome is what counts.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Corrupt EXIF data"),
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
]

EXAMPLES = int(os.environ.get("KMEANS_FUZZ_EXAMPLES", "150"))
CLI_EXAMPLES = max(10, EXAMPLES // 15)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # one decode can take long on a slow CI machine; the timeout below bounds it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: A generous bound for the whole test; about 5 ms per example is typical.
TIMEOUT = 120 + EXAMPLES // 10


def _seed_files() -> dict[str, bytes]:
    """Small valid files, one or two per format, to mutate."""
    indices = BLOCK_INDICES[::4, ::4]  # 8 × 16, eight colours
    blocks = palette_image(indices, BLOCK_PALETTE)
    later = Image.new("RGB", blocks.size, (0, 255, 0))
    return {
        "png": saved_as(blocks.convert("RGB"), "PNG"),
        "png-transparent": saved_as(blocks, "PNG", transparency=2),
        "jpeg": saved_as(blocks.convert("RGB"), "JPEG", quality=80),
        "gif-animated": saved_as(blocks, "GIF", save_all=True, append_images=[later]),
        "webp": saved_as(blocks.convert("RGB"), "WEBP", lossless=True),
    }


SEEDS = _seed_files()
#: The first bytes the loader recognises a format by: random bytes behind them reach the parsers.
SIGNATURES = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF89a",
    b"RIFF\x00\x01\x00\x00WEBPVP8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes | None = None) -> bytes:
    """A seed file with one to four bit flips, insertions, deletions or truncations."""
    data = bytearray(seed if seed is not None else draw(st.sampled_from(list(SEEDS.values()))))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 8))]
        else:
            del data[position:]
    return bytes(data)


files = st.one_of(
    mutated(),
    st.builds(lambda signature, tail: signature + tail, st.sampled_from(SIGNATURES), st.binary()),
    st.binary(max_size=512),
)


def load_or_refuse(data: bytes):
    """The loaded image, or None after checking the refusal is the package's one sentence."""
    try:
        image = load_image(data)
    except KMeansError as error:
        assert_refusal(str(error))
        return None
    height, width, channels = image.rgb.shape
    assert channels == 3 and image.rgb.dtype == np.uint8
    assert 1 <= height * width <= MAX_PIXELS
    assert image.alpha is None or (image.alpha.shape, image.alpha.dtype) == (
        (height, width),
        np.uint8,
    )
    return image


@pytest.mark.timeout(TIMEOUT)
@FUZZ_SETTINGS
@given(files)
def test_loader_reads_or_refuses_any_bytes(data):
    load_or_refuse(data)


@pytest.mark.parametrize("seed_name", SEEDS)
@pytest.mark.timeout(TIMEOUT)
@FUZZ_SETTINGS
@given(data=st.data())
def test_loader_reads_or_refuses_each_format_mutated(seed_name, data):
    load_or_refuse(data.draw(mutated(SEEDS[seed_name])))


@pytest.mark.timeout(TIMEOUT)
@FUZZ_SETTINGS
@given(mutated())
def test_compress_gives_a_png_or_refuses(data):
    if load_or_refuse(data) is None:
        with pytest.raises(KMeansError):
            compress(data, 4)
        return
    compression = compress(data, 4)
    assert compression.result.k <= 4
    assert compression.png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.timeout(60 + 10 * CLI_EXAMPLES)
@settings(
    max_examples=CLI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(files, min_size=1, max_size=5))
def test_cli_reports_one_json_line_per_fuzzed_file(contents):
    with tempfile.TemporaryDirectory() as folder:
        inputs = []
        for number, data in enumerate(contents):
            path = Path(folder) / f"input{number}.png"
            path.write_bytes(data)
            inputs.append(path)

        run = run_cli(*inputs, "-k", "4", "-o", Path(folder) / "out", "--json", "--quiet")

    assert run.returncode in (0, 1)
    assert "Traceback" not in run.stderr
    reports = json_reports(run.stdout)
    assert [report["input"] for report in reports] == [str(path) for path in inputs]
    assert run.returncode == (0 if all(report["ok"] for report in reports) else 1)
    for report in reports:
        if not report["ok"]:
            assert_refusal(report["error"])

"""Hostile and unusual inputs (issue 4, section 1): each is read correctly or refused in a sentence.

The corpus (:mod:`tests.corpus`) says for every file what a correct reader shows, worked out from
how the file was built. Here the library (``load_image``, then ``compress``, whose PNG Pillow reads
back) and the command line (one batch over the whole corpus) are held to it. Every case has a
time bound, and the decompression bombs a memory bound.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmeans import KMeansError, load_image
from kmeans.pipeline import compress
from tests.corpus import (
    BAD,
    GOOD,
    LOSSLESS_K,
    Expected,
    assert_refusal,
    build_corpus,
    by_name,
    write_corpus,
)
from tests.helpers import ROOT, json_reports, run_cli

CASES = build_corpus()
BOMBS = [case for case in BAD if "bomb" in case.name]

#: Bytes a bomb's refusal may allocate; its header declares gigabytes.
BOMB_MEMORY = 50_000_000


def assert_shows(rgb: np.ndarray, alpha: np.ndarray | None, expected: Expected) -> None:
    """Loaded pixels are the picture the case was built as: size, upright, colours and alpha."""
    assert rgb.dtype == np.uint8
    assert rgb.shape == expected.rgb.shape
    if expected.alpha is None:
        assert alpha is None
    else:
        np.testing.assert_array_equal(alpha, expected.alpha)
    seen = expected.alpha is None or expected.alpha > 0
    assert_colours_match(rgb[seen], expected.rgb[seen], expected.tolerance)


def assert_colours_match(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
    if tolerance == 0:
        np.testing.assert_array_equal(actual, expected)
    else:
        assert np.abs(actual.astype(int) - expected).mean() <= tolerance


def assert_indexed_png_shows(png: bytes | Path, expected: Expected, k: int) -> None:
    """Pillow reads back an indexed PNG of the right size, with the input's transparency; it is
    exact when the input was lossless with at most K colours, and close for a lossy input.

    Soft alpha (some alpha from 1 to 254) is kept: every pixel with alpha 0 is transparent, every
    other one shows, and without K-Means' loss (at most K RGBA values) exactly as it was."""
    with Image.open(io.BytesIO(png) if isinstance(png, bytes) else png) as written:
        assert (written.format, written.mode) == ("PNG", "P")
        assert written.size == expected.size
        rgba = np.asarray(written.convert("RGBA"))
    if expected.alpha is not None and ((expected.alpha > 0) & (expected.alpha < 255)).any():
        assert_soft_alpha_shows(rgba, expected, k)
        return
    opaque = expected.opaque
    np.testing.assert_array_equal(rgba[:, :, 3], np.where(opaque, 255, 0))
    drawn = rgba[:, :, :3][opaque]
    assert len(np.unique(drawn, axis=0)) <= k
    if expected.tolerance or expected.n_colours <= k:
        assert_colours_match(drawn, expected.rgb[opaque], expected.tolerance)


def assert_soft_alpha_shows(rgba: np.ndarray, expected: Expected, k: int) -> None:
    """With K-Means' loss the error is below that of the old 1-bit alpha (opaque at 128)."""
    wanted = np.dstack([expected.rgb, expected.alpha])
    shows = expected.alpha > 0
    np.testing.assert_array_equal(rgba[:, :, 3] > 0, shows)
    drawn = rgba[shows]
    assert len(np.unique(drawn, axis=0)) <= k
    if expected.tolerance == 0 and len(np.unique(wanted[shows], axis=0)) <= k:
        np.testing.assert_array_equal(drawn, wanted[shows])
        return
    one_bit = np.dstack([expected.rgb, np.where(expected.opaque, 255, 0)])

    def premultiplied_error(image: np.ndarray) -> float:
        weighted = [image[..., :3] * image[..., 3:] / 255, image[..., 3:]]
        original = [wanted[..., :3] * wanted[..., 3:] / 255, wanted[..., 3:]]
        return sum(float(np.sum((a - b) ** 2)) for a, b in zip(weighted, original, strict=True))

    assert premultiplied_error(rgba.astype(float)) < premultiplied_error(one_bit.astype(float))


# The library -----------------------------------------------------------------------------------


@pytest.mark.timeout(20)
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's, on the way to the refusal
@by_name(BAD)
def test_bad_file_is_refused_with_one_sentence(case):
    with pytest.raises(KMeansError) as caught:
        load_image(case.data)
    assert_refusal(str(caught.value), case.reason)


@pytest.mark.timeout(20)
@by_name(GOOD)
def test_good_file_loads_as_it_was_built(case):
    image = load_image(case.data)
    assert image.n_bytes == len(case.data)
    assert_shows(image.rgb, image.alpha, case.check)


@pytest.mark.timeout(20)
@by_name(GOOD)
def test_good_file_compresses_to_an_indexed_png(case):
    compression = compress(case.data, LOSSLESS_K)
    assert_indexed_png_shows(compression.png, case.check, LOSSLESS_K)


def test_corpus_covers_the_issue():
    names = {case.name for case in CASES}
    assert len(names) == len(CASES)
    assert {f"jpeg-exif-orientation-{n}" for n in range(1, 9)} <= names
    assert len(BOMBS) >= 4 and len(GOOD) >= 30 and len(BAD) >= 15


BOMB_PROBE = """
import json, resource, sys, tracemalloc
from kmeans import KMeansError, load_image
from tests.corpus import build_corpus

limit = int(sys.argv[1])
bombs = [case for case in build_corpus() if "bomb" in case.name]
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
# Any allocation beyond the limit now fails, so a bomb that allocated would not be refused
# with its size but with the loader's out-of-memory sentence.
resource.setrlimit(resource.RLIMIT_AS, (size + limit, resource.RLIM_INFINITY))
tracemalloc.start()
refusals = {}
for case in bombs:
    try:
        load_image(case.data)
    except KMeansError as error:
        refusals[case.name] = str(error)
peak = tracemalloc.get_traced_memory()[1]
try:
    bytearray(limit + 10_000_000)
    limit_holds = False
except MemoryError:
    limit_holds = True
print(json.dumps({"refusals": refusals, "peak": peak, "limit_holds": limit_holds}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and limits address space")
@pytest.mark.timeout(60)
def test_bombs_are_refused_without_allocating():
    run = subprocess.run(
        [sys.executable, "-c", BOMB_PROBE, str(BOMB_MEMORY)],
        cwd=ROOT,
        # Building the corpus runs the HEIC encoder's threads, and glibc keeps each thread's
        # 64 MB malloc arena reserved afterwards: space already counted in VmSize that a later
        # allocation could use unseen. One arena makes every allocation count against the limit.
        env={**os.environ, "MALLOC_ARENA_MAX": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    probe = json.loads(run.stdout)
    assert probe["limit_holds"]  # the probe itself could not have allocated more
    assert probe["peak"] < BOMB_MEMORY
    assert set(probe["refusals"]) == {case.name for case in BOMBS}
    for case in BOMBS:
        assert_refusal(probe["refusals"][case.name], case.reason)


# The command line ------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_cli_batch_over_the_corpus_reports_each_file_in_order(tmp_path):
    inputs = write_corpus(tmp_path / "in")
    originals = [path.read_bytes() for path in inputs]

    run = run_cli(*inputs, "-k", "8", "-o", tmp_path / "out", "--json", "--quiet")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    reports = json_reports(run.stdout)
    assert [report["input"] for report in reports] == [str(path) for path in inputs]
    assert [report["ok"] for report in reports] == [case.expect == "ok" for case in CASES]
    for case, report in zip(CASES, reports, strict=True):
        if case.expect == "error":
            assert set(report) == {"input", "ok", "error"}
            assert_refusal(report["error"], case.reason)
        else:
            assert (report["width"], report["height"]) == case.check.size
            assert_indexed_png_shows(Path(report["output"]), case.check, 8)
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == sorted(f"{case.name}-k8.png" for case in GOOD)
    assert [path.read_bytes() for path in inputs] == originals


@pytest.mark.timeout(120)
def test_cli_batch_of_only_good_files_exits_zero(tmp_path):
    inputs = write_corpus(tmp_path / "in", GOOD)

    run = run_cli(*inputs, "-k", "8", "-o", tmp_path / "out", "--json", "--quiet")

    assert run.returncode == 0
    assert run.stderr == ""
    assert [report["ok"] for report in json_reports(run.stdout)] == [True] * len(GOOD)

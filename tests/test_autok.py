"""Automatic K: the searches checked against a brute force over every K on a small photo.

The oracle quantises a 64×48 copy of a sample photo at every K from 1 to 256 with
:func:`kmeans.quantize` (each run counting its own colours), then measures each result
independently: PSNR from the squared error in NumPy, mean ΔE_OK per pixel rather than per
distinct colour, and the file's size by encoding it. K-Means is only roughly monotone in K, so the
tests assert what the search promises rather than "the true minimum": the chosen K meets the
target, every K it tried on the wrong side of it did not, and bisection ended on a neighbour.
The command line is run through ``main`` on real files, read back with Pillow.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmeans import KMeansError, quantize
from kmeans.autok import (
    KSearch,
    QualityTarget,
    largest_k_under_bytes,
    smallest_k_for_quality,
)
from kmeans.cli import byte_budget, main
from kmeans.io import LoadedImage
from kmeans.oklab import srgb_to_oklab
from kmeans.optimise import lossless_webp, optimised_png
from tests.helpers import SAMPLES, assert_one_plain_sentence

ALL_K = range(1, 257)
POWERS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def small_photo(name: str = "coffee.png", size: tuple[int, int] = (64, 48)) -> np.ndarray:
    with Image.open(SAMPLES / name) as image:
        return np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))


@dataclass(frozen=True)
class Truth:
    """Every K's quality and file sizes, measured without the search."""

    psnr: dict[int, float]
    delta_e: dict[int, float]
    png_bytes: dict[int, int]
    webp_bytes: dict[int, int]


def numpy_psnr(original: np.ndarray, drawn: np.ndarray) -> float:
    error = np.mean((original.astype(np.float64) - drawn.astype(np.float64)) ** 2)
    return math.inf if error == 0 else 10 * math.log10(255**2 / error)


def per_pixel_delta_e(original: np.ndarray, drawn: np.ndarray) -> float:
    lab = srgb_to_oklab(original.reshape(-1, 3))
    drawn_lab = srgb_to_oklab(drawn.reshape(-1, 3))
    return float(np.sqrt(((lab - drawn_lab) ** 2).sum(axis=1)).mean()) * 100


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return small_photo()


@pytest.fixture(scope="module")
def truth(photo: np.ndarray) -> Truth:
    psnr, delta_e, png_bytes, webp_bytes = {}, {}, {}, {}
    for k in ALL_K:
        result = quantize(photo, k)
        drawn = result.palette[result.labels]
        psnr[k] = numpy_psnr(photo, drawn)
        delta_e[k] = per_pixel_delta_e(photo, drawn)
        png_bytes[k] = len(optimised_png(result.palette, result.labels))
        webp_bytes[k] = len(lossless_webp(result.palette, result.labels))
    return Truth(psnr, delta_e, png_bytes, webp_bytes)


def meets(truth: Truth, k: int, target: QualityTarget) -> bool:
    psnr_ok = target.psnr is None or truth.psnr[k] >= target.psnr
    delta_e_ok = target.delta_e is None or truth.delta_e[k] <= target.delta_e
    return psnr_ok and delta_e_ok


def tried_ks(search: KSearch) -> list[int]:
    return [tried.k for tried in search.tried]


# Smallest K for a quality --------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        QualityTarget(psnr=24),
        QualityTarget(psnr=30),
        QualityTarget(psnr=36),
        QualityTarget(delta_e=4),
        QualityTarget(delta_e=1.5),
        QualityTarget(psnr=30, delta_e=1.0),
    ],
    ids=str,
)
def test_quality_search_returns_a_k_that_meets_and_nothing_smaller_it_tried_did(
    photo: np.ndarray, truth: Truth, target: QualityTarget
) -> None:
    search = smallest_k_for_quality(photo, target)

    assert search.met and search.reason is None
    assert meets(truth, search.k, target)
    assert search.compression.result.k == search.k
    smaller_tried = [k for k in tried_ks(search) if k < search.k]
    assert not any(meets(truth, k, target) for k in smaller_tried)
    if search.k > 1:  # bisection ends on neighbours: K - 1 was tried and failed
        assert search.k - 1 in smaller_tried
    first_power_meeting = next(p for p in POWERS if meets(truth, p, target))
    assert search.k <= first_power_meeting
    assert len(search.tried) <= len(POWERS) + 7  # bisection, not a scan: log2(128) more at most


def test_quality_search_reports_the_true_figures_of_every_k_it_tried(
    photo: np.ndarray, truth: Truth
) -> None:
    search = smallest_k_for_quality(photo, QualityTarget(psnr=30, delta_e=2))

    for tried in search.tried:
        assert tried.psnr == pytest.approx(truth.psnr[tried.k], abs=1e-9)
        assert tried.delta_e == pytest.approx(
            truth.delta_e[tried.k], rel=1e-6
        )  # ΔE is kept in float32
        assert tried.file_bytes is None
    assert len(set(tried_ks(search))) == len(search.tried)  # no K quantised twice


def test_quality_out_of_reach_returns_the_largest_k_and_says_so(
    photo: np.ndarray, truth: Truth
) -> None:
    search = smallest_k_for_quality(photo, QualityTarget(psnr=80))

    assert not search.met
    assert search.k == 256
    assert tried_ks(search) == list(POWERS)
    assert_one_plain_sentence(search.reason)
    assert f"{truth.psnr[256]:.1f} dB" in search.reason


def test_an_image_with_few_colours_stops_at_them_lossless() -> None:
    rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    for column, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9), (200,) * 3]):
        rgb[:, column * 2 :] = colour

    search = smallest_k_for_quality(rgb, QualityTarget(psnr=60))

    assert search.met
    assert search.k == 5
    assert numpy_psnr(rgb, search.compression.result.image) == math.inf
    assert max(tried_ks(search)) == 5  # nothing above the number of colours is tried


# Largest K under a byte budget ---------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.15, 0.4, 0.7, 0.9])
def test_byte_search_returns_a_k_that_fits_and_nothing_larger_it_tried_did(
    photo: np.ndarray, truth: Truth, fraction: float
) -> None:
    budget = int(truth.png_bytes[256] * fraction)

    search = largest_k_under_bytes(photo, budget)

    assert search.met and search.reason is None
    png = search.compression.png
    assert len(png) == truth.png_bytes[search.k] <= budget
    with Image.open(io.BytesIO(png)) as written:
        assert len(written.getpalette()) // 3 == search.k
    larger_tried = [k for k in tried_ks(search) if k > search.k]
    assert all(truth.png_bytes[k] > budget for k in larger_tried)
    assert search.k + 1 in larger_tried  # bisection ends on neighbours
    last_power_before_breaking = max(
        p
        for i, p in enumerate(POWERS)
        if all(truth.png_bytes[q] <= budget for q in POWERS[: i + 1])
    )
    assert search.k >= last_power_before_breaking
    assert len(search.tried) <= len(POWERS) + 7
    for tried in search.tried:
        assert tried.file_bytes == truth.png_bytes[tried.k]


def test_a_budget_everything_fits_in_gives_the_largest_k(photo: np.ndarray, truth: Truth) -> None:
    search = largest_k_under_bytes(photo, truth.png_bytes[256] * 2)

    assert search.met
    assert search.k == 256


def test_a_budget_even_one_colour_breaks_returns_k_1_and_says_so(photo: np.ndarray) -> None:
    search = largest_k_under_bytes(photo, 20)

    assert not search.met
    assert search.k == 1
    assert tried_ks(search) == [1]
    assert len(search.compression.png) > 20
    assert_one_plain_sentence(search.reason)


def test_a_webp_budget_is_measured_on_the_webp(photo: np.ndarray, truth: Truth) -> None:
    budget = truth.webp_bytes[64]

    search = largest_k_under_bytes(photo, budget, file_format="webp")

    assert search.met
    assert len(search.compression.webp) == truth.webp_bytes[search.k] <= budget
    assert all(truth.webp_bytes[t.k] > budget for t in search.tried if t.k > search.k)


def test_the_search_stays_in_the_range_it_is_given(photo: np.ndarray, truth: Truth) -> None:
    search = largest_k_under_bytes(photo, truth.png_bytes[16], smallest_k=2)

    assert search.met
    assert min(tried_ks(search)) == 2
    assert truth.png_bytes[search.k] <= truth.png_bytes[16]


def test_when_nothing_in_the_range_fits_it_says_so(photo: np.ndarray, truth: Truth) -> None:
    budget = truth.png_bytes[2] - 1
    assert truth.png_bytes[1] <= budget  # K = 1 would fit, but it is outside the range

    search = largest_k_under_bytes(photo, budget, smallest_k=2)

    assert not search.met
    assert search.k == 2
    assert tried_ks(search) == [2]
    assert_one_plain_sentence(search.reason)
    assert "Even 2 colours make a PNG of" in search.reason


def test_transparent_pixels_cap_k_at_255() -> None:
    rgb = small_photo()
    alpha = np.full(rgb.shape[:2], 255, dtype=np.uint8)
    alpha[:8] = 0
    image = LoadedImage(rgb.copy(), alpha, "PNG", 1)

    search = largest_k_under_bytes(image, 10**9)

    assert search.k == 255
    with Image.open(io.BytesIO(search.compression.png)) as written:
        assert len(written.getpalette()) // 3 == 256  # 255 colours and the transparent entry


# Arguments and progress ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: QualityTarget(),
        lambda: QualityTarget(psnr=-3),
        lambda: QualityTarget(psnr=math.nan),
        lambda: QualityTarget(psnr=math.inf),
        lambda: QualityTarget(delta_e=0),
        lambda: QualityTarget(psnr=True),
        lambda: QualityTarget(delta_e="2"),
    ],
)
def test_a_bad_quality_target_is_one_sentence(make) -> None:
    with pytest.raises(KMeansError) as caught:
        make()
    assert_one_plain_sentence(str(caught.value))


@pytest.mark.parametrize("budget", [0, -5, 1.5, True, "200k"])
def test_a_bad_byte_budget_is_one_sentence(photo: np.ndarray, budget) -> None:
    with pytest.raises(KMeansError) as caught:
        largest_k_under_bytes(photo, budget)
    assert_one_plain_sentence(str(caught.value))


def test_a_bad_image_or_target_type_is_one_sentence() -> None:
    for call in (
        lambda: smallest_k_for_quality(np.zeros((4, 4)), QualityTarget(psnr=30)),
        lambda: smallest_k_for_quality(small_photo(), 30),
    ):
        with pytest.raises(KMeansError) as caught:
            call()
        assert_one_plain_sentence(str(caught.value))


def test_progress_sees_each_tried_k_once_in_order(photo: np.ndarray) -> None:
    seen = []
    search = smallest_k_for_quality(photo, QualityTarget(psnr=30), progress=seen.append)

    assert tuple(seen) == search.tried


def test_the_callers_array_stays_writable(photo: np.ndarray) -> None:
    rgb = photo.copy()
    largest_k_under_bytes(rgb, 1000)
    rgb[0, 0] = 1  # would raise if the search had marked it read-only


# Command line ----------------------------------------------------------------------------------


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(small_photo(size=(96, 64))).save(path)
    return path


def run_json(capsys, *args: str | Path) -> dict:
    assert main([*map(str, args), "--json", "-q"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    return json.loads(line)


def read_back(path: Path) -> tuple[int, np.ndarray]:
    with Image.open(path) as written:
        assert written.mode == "P"
        return len(written.getpalette()) // 3, np.asarray(written.convert("RGB"))


def test_cli_quality_writes_the_chosen_k_and_reports_what_it_tried(
    capsys, photo_file: Path
) -> None:
    report = run_json(capsys, photo_file, "--quality", "30")

    assert report["output"] == str(photo_file.with_name("photo-q30.png"))
    assert report["target_met"] is True
    palette_size, pixels = read_back(Path(report["output"]))
    assert palette_size == report["k"]
    original = np.asarray(Image.open(photo_file).convert("RGB"))
    assert numpy_psnr(original, pixels) >= 30
    assert {"k", "psnr", "delta_e", "file_bytes"} == set(report["tried"][0])
    ks = [tried["k"] for tried in report["tried"]]
    assert report["k"] in ks
    assert all(tried["psnr"] < 30 for tried in report["tried"] if tried["k"] < report["k"])


def test_cli_delta_e_quality(capsys, photo_file: Path) -> None:
    report = run_json(capsys, photo_file, "--quality", "de:3")

    assert report["output"].endswith("photo-qde3.png")
    palette_size, pixels = read_back(Path(report["output"]))
    assert palette_size == report["k"]
    original = np.asarray(Image.open(photo_file).convert("RGB"))
    assert per_pixel_delta_e(original, pixels) <= 3


def test_cli_max_bytes_writes_a_file_within_the_budget(capsys, photo_file: Path) -> None:
    report = run_json(capsys, photo_file, "--max-bytes", "4k")

    output = Path(report["output"])
    assert output.name == "photo-max4000.png"
    assert report["target_met"] is True
    assert report["output_bytes"] == output.stat().st_size <= 4000
    assert read_back(output)[0] == report["k"]
    assert all(t["file_bytes"] > 4000 for t in report["tried"] if t["k"] > report["k"])


def test_cli_max_bytes_measures_the_format_written(capsys, photo_file: Path) -> None:
    report = run_json(capsys, photo_file, "--max-bytes", "4k", "--format", "gif")

    output = Path(report["output"])
    assert output.name == "photo-max4000.gif"
    assert report["output_bytes"] == output.stat().st_size <= 4000
    assert all(t["file_bytes"] > 4000 for t in report["tried"] if t["k"] > report["k"])


def test_cli_unmet_target_writes_the_closest_and_notes_why(capsys, photo_file: Path) -> None:
    assert main([str(photo_file), "--max-bytes", "30", "-q"]) == 0

    out = capsys.readouterr().out
    assert "target NOT met" in out
    assert "note: Even one colour makes a PNG" in out
    assert read_back(photo_file.with_name("photo-max30.png"))[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-k", "4", "--quality", "30"],
        ["--quality", "30", "--max-bytes", "10k"],
        ["--quality", "loud"],
        ["--quality", "0"],
        ["--quality", "de:-1"],
        ["--max-bytes", "0"],
        ["--max-bytes", "10x"],
        ["--max-bytes", "0.5"],
    ],
)
def test_cli_bad_choice_of_k_exits_2_with_one_sentence(
    capsys, photo_file: Path, args: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([str(photo_file), *args])

    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert_one_plain_sentence(error.rsplit(": ", 1)[-1])
    assert sorted(p.name for p in photo_file.parent.iterdir()) == ["photo.png"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("300", 300), ("200k", 200_000), ("2kB", 2_000), ("1.5M", 1_500_000), ("64b", 64)],
)
def test_byte_budget_units(text: str, expected: int) -> None:
    assert byte_budget(text) == expected

"""The command line, as a user runs it: ``python -m kmeans`` in a subprocess, on real files.

Images are built here with Pillow. What the tool reports is checked against independent oracles:
Pillow reading back the file it wrote, ``os.path.getsize``, and scikit-image's metrics
recomputed on the read-back pixels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from kmeans.closeness import LEVELS
from kmeans.perceptual import delta_e_ok
from tests.helpers import assert_one_plain_sentence, json_reports, run_cli

REQUIRED_KEYS = {
    "input": str,
    "ok": bool,
    "output": str,
    "k": int,
    "width": int,
    "height": int,
    "mse": float,
    "psnr": float,
    "ssim": float,
    "delta_e": float,
    "delta_e_p99": float,
    "lost_hue": float,
    "looks": str,
    "input_bytes": int,
    "output_bytes": int,
    "seconds": float,
}


def make_photo(path: Path, width: int = 48, height: int = 40, seed: int = 0) -> Path:
    """A small smooth gradient with noise: many colours, so quantising it is lossy."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
    rgb = np.clip(rgb + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


def make_not_an_image(path: Path) -> Path:
    path.write_text("This is a text file, not a picture.\n")
    return path


def make_truncated_png(path: Path) -> Path:
    whole = make_photo(path.with_name("whole-" + path.name), width=64, height=64, seed=9)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def read_rgb(path: Path | str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def assert_good_report(report: dict, source: Path, k: int) -> None:
    """Every key present with its type, and every value confirmed by an independent oracle."""
    for key, kind in REQUIRED_KEYS.items():
        assert isinstance(report[key], kind), key
    assert report["ok"] is True
    assert report["input"] == str(source)
    original = read_rgb(source)
    assert (report["height"], report["width"]) == original.shape[:2]
    assert report["input_bytes"] == source.stat().st_size

    output = Path(report["output"])
    assert output.is_file()
    assert report["output_bytes"] == os.path.getsize(output)
    with Image.open(output) as written:
        assert written.format == "PNG"
        assert written.mode == "P"
        assert len(written.getpalette()) // 3 <= k
        assert written.size == (report["width"], report["height"])
    assert report["k"] <= k

    redrawn = read_rgb(output)
    assert len(np.unique(redrawn.reshape(-1, 3), axis=0)) <= k
    assert report["mse"] == pytest.approx(mean_squared_error(original, redrawn), rel=1e-9)
    assert report["psnr"] == pytest.approx(
        peak_signal_noise_ratio(original, redrawn, data_range=255), rel=1e-9
    )
    assert report["ssim"] == pytest.approx(
        structural_similarity(original, redrawn, channel_axis=-1, data_range=255), abs=1e-6
    )
    assert report["seconds"] >= 0
    per_pixel = delta_e_ok(original, redrawn).astype(np.float64)  # the written file, re-read
    assert report["delta_e"] == pytest.approx(per_pixel.mean(), rel=1e-6)
    p99 = np.percentile(per_pixel, 99, method="inverted_cdf")
    assert p99 <= report["delta_e_p99"] <= p99 + 0.01 + 1e-9
    assert report["looks"] in {level.word for level in LEVELS}


def test_batch_with_bad_files_reports_every_input_in_order(tmp_path: Path) -> None:
    inputs = [
        make_photo(tmp_path / "first.png", seed=1),
        make_not_an_image(tmp_path / "bad.png"),
        make_photo(tmp_path / "second.jpg", width=30, height=20, seed=2),
        make_truncated_png(tmp_path / "truncated.png"),
    ]
    originals = [path.read_bytes() for path in inputs]

    run = run_cli(*inputs, "-k", "6", "--json")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    reports = json_reports(run.stdout)
    assert [report["input"] for report in reports] == [str(path) for path in inputs]
    assert [report["ok"] for report in reports] == [True, False, True, False]
    for report in reports[1::2]:
        assert set(report) == {"input", "ok", "error"}
        assert_one_plain_sentence(report["error"])
    for report, source in zip(reports[::2], inputs[::2], strict=True):
        assert report["output"] == str(tmp_path / f"{source.stem}-k6.png")
        assert_good_report(report, source, k=6)
    assert [path.read_bytes() for path in inputs] == originals


def test_all_good_exits_zero_with_a_line_per_file_and_progress(tmp_path: Path) -> None:
    inputs = [make_photo(tmp_path / f"photo{i}.png", seed=i) for i in range(2)]

    run = run_cli(*inputs, "-k", "4", "-o", tmp_path / "out")

    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert len(lines) == 2
    for line, source in zip(lines, inputs, strict=True):
        output = tmp_path / "out" / f"{source.stem}-k4.png"
        assert line.startswith(f"{source} → {output}  K=4  looks ")
        assert "ΔE " in line and "lost hue" in line and "PSNR " in line
        size_words = f"{source.stat().st_size:,} → {output.stat().st_size:,} bytes"
        assert size_words in line
        assert "smaller" in line or "larger" in line
    assert "[1/2]" in run.stderr and "[2/2]" in run.stderr


def test_lossless_result_reports_psnr_as_null_and_explains_the_lower_k(tmp_path: Path) -> None:
    three_colours = np.zeros((12, 12, 3), dtype=np.uint8)
    three_colours[4:8] = (200, 30, 30)
    three_colours[8:] = (20, 90, 250)
    source = tmp_path / "flags.png"
    Image.fromarray(three_colours).save(source)

    run = run_cli(source, "-k", "8", "--json")

    assert run.returncode == 0
    (report,) = json_reports(run.stdout)
    assert report["psnr"] is None
    assert report["mse"] == 0.0
    assert report["k"] == 3
    assert np.array_equal(read_rgb(report["output"]), three_colours)
    assert report["notices"] and all(n.endswith(".") for n in report["notices"])


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-k", "4"],
        ["photo.png", "-k", "0"],
        ["photo.png", "-k", "300"],
        ["photo.png", "-k", "many"],
        ["photo.png"],
        ["photo.png", "-k", "4", "--iters", "0"],
        ["photo.png", "-k", "4", "--unknown-flag"],
        ["a.png", "b.png", "-k", "4", "-o", "one.png"],
        ["photo.png", "-k", "4", "-o", "photo.jpg"],
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    run = run_cli(*args, cwd=tmp_path)

    assert run.returncode == 2
    assert "usage:" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_help_describes_k_and_exits_zero() -> None:
    run = run_cli("--help")

    assert run.returncode == 0
    assert "-k" in run.stdout
    assert "examples:" in run.stdout


@pytest.mark.parametrize("force", [False, True])
def test_same_stem_into_one_folder_never_overwrites(tmp_path: Path, force: bool) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_photo(tmp_path / "a" / "photo.png", width=40, height=30, seed=3)
    second = make_photo(tmp_path / "b" / "photo.jpg", width=20, height=16, seed=4)
    originals = first.read_bytes(), second.read_bytes()

    run = run_cli(
        first, second, "-k", "4", "-o", tmp_path / "out", "--json", *(["--force"] if force else [])
    )

    assert run.returncode == 1
    written, refused = json_reports(run.stdout)
    assert_good_report(written, first, k=4)
    assert refused["ok"] is False
    assert_one_plain_sentence(refused["error"])
    # The output still holds the first photo's result: 40×30, not the second's 20×16.
    with Image.open(tmp_path / "out" / "photo-k4.png") as output:
        assert output.size == (40, 30)
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "photo-k4.png"]
    assert (first.read_bytes(), second.read_bytes()) == originals


def test_existing_output_is_replaced_only_with_force(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png")
    existing = tmp_path / "photo-k4.png"
    existing.write_bytes(b"keep me")

    refused = run_cli(source, "-k", "4", "--json")

    assert refused.returncode == 1
    (report,) = json_reports(refused.stdout)
    assert report["ok"] is False
    assert "--force" in report["error"]
    assert_one_plain_sentence(report["error"])
    assert existing.read_bytes() == b"keep me"

    forced = run_cli(source, "-k", "4", "--json", "--force")

    assert forced.returncode == 0
    assert_good_report(json_reports(forced.stdout)[0], source, k=4)


def test_an_input_is_never_overwritten_even_with_force(tmp_path: Path) -> None:
    # photo.png's output name, photo-k4.png, is the other input.
    source = make_photo(tmp_path / "photo.png", seed=5)
    other_input = make_photo(tmp_path / "photo-k4.png", seed=6)
    original = other_input.read_bytes()

    run = run_cli(source, other_input, "-k", "4", "--json", "--force")

    assert run.returncode == 1
    refused, written = json_reports(run.stdout)
    assert refused["ok"] is False
    assert_one_plain_sentence(refused["error"])
    assert other_input.read_bytes() == original
    assert_good_report(written, other_input, k=4)


def test_single_input_with_an_output_file_name(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png")
    target = tmp_path / "new" / "small.png"

    run = run_cli(source, "-k", "5", "-o", target, "--json")

    assert run.returncode == 0
    (report,) = json_reports(run.stdout)
    assert report["output"] == str(target)
    assert_good_report(report, source, k=5)


def test_gif_format_writes_a_gif(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png")

    run = run_cli(source, "-k", "4", "--format", "gif", "--json")

    assert run.returncode == 0
    (report,) = json_reports(run.stdout)
    output = tmp_path / "photo-k4.gif"
    assert report["output"] == str(output)
    assert report["output_bytes"] == os.path.getsize(output)
    with Image.open(output) as gif:
        assert gif.format == "GIF"
        assert gif.size == (48, 40)
    assert len(np.unique(read_rgb(output).reshape(-1, 3), axis=0)) <= 4


# Formats and size -------------------------------------------------------------------------------


def make_small_jpeg(path: Path) -> Path:
    """A noisy photo saved as a rough JPEG: its 64-colour PNG is larger than the input."""
    make_photo(path.with_suffix(".png"), width=96, height=64)
    with Image.open(path.with_suffix(".png")) as image:
        image.save(path, quality=30)
    path.with_suffix(".png").unlink()
    return path


@pytest.mark.parametrize(("fmt", "pillow_name"), [("png", "PNG"), ("webp", "WEBP"), ("gif", "GIF")])
def test_format_writes_that_format_with_the_same_pixels(tmp_path: Path, fmt: str, pillow_name):
    source = make_photo(tmp_path / "photo.png")

    run = run_cli(source, "-k", "8", "--format", fmt, "--json")

    assert run.returncode == 0
    (report,) = json_reports(run.stdout)
    output = Path(report["output"])
    assert output.name == f"photo-k8.{fmt}"
    assert report["format"] == fmt and report["written"] is True
    assert report["output_bytes"] == os.path.getsize(output)
    with Image.open(output) as written:
        assert written.format == pillow_name
    reference = run_cli(source, "-k", "8", "-o", tmp_path / "reference.png")
    assert reference.returncode == 0
    np.testing.assert_array_equal(read_rgb(output), read_rgb(tmp_path / "reference.png"))


def test_optimise_levels_change_only_the_bytes(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png", width=120, height=90)
    sizes = {}
    for level in ("0", "3"):
        run = run_cli(source, "-k", "16", "--optimise", level, "-o", tmp_path / f"o{level}.png")
        assert run.returncode == 0
        sizes[level] = os.path.getsize(tmp_path / f"o{level}.png")
    np.testing.assert_array_equal(read_rgb(tmp_path / "o0.png"), read_rgb(tmp_path / "o3.png"))
    assert sizes["3"] < sizes["0"]
    bad = run_cli(source, "-k", "16", "--optimise", "7")
    assert bad.returncode == 2


def test_json_gives_the_seconds_and_bytes_of_each_stage(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png")

    (report,) = json_reports(run_cli(source, "-k", "4", "--json").stdout)

    stages = report["stages"]
    assert list(stages) == ["load", "quantize", "encode", "write", "measure"]
    assert all(stage["seconds"] >= 0 for stage in stages.values())
    assert stages["load"]["bytes"] == source.stat().st_size
    assert stages["quantize"]["bytes"] == (48 * 40 * 2 + 24 * 4 + 7) // 8  # 2 bits, 4 colours
    assert stages["encode"]["bytes"] == report["output_bytes"]


def test_a_larger_output_is_written_with_a_note_naming_what_is_smaller(tmp_path: Path) -> None:
    source = make_small_jpeg(tmp_path / "rough.jpg")

    (report,) = json_reports(run_cli(source, "-k", "64", "--json").stdout)

    assert report["written"] is True and report["output_bytes"] > report["input_bytes"]
    (note,) = [n for n in report["notices"] if "larger than the input" in n]
    assert_one_plain_sentence(note)


def test_skip_if_larger_writes_nothing_says_why_and_exits_3(tmp_path: Path) -> None:
    small = make_small_jpeg(tmp_path / "rough.jpg")
    photo = make_photo(tmp_path / "photo.png")

    run = run_cli(small, photo, "-k", "64", "--skip-if-larger", "--json")

    assert run.returncode == 3
    skipped, kept = json_reports(run.stdout)
    assert skipped["ok"] is True and skipped["written"] is False and skipped["output"] is None
    assert not (tmp_path / "rough-k64.png").exists()
    assert any("larger than the input" in note for note in skipped["notices"])
    assert "Not written, because of --skip-if-larger." in skipped["notices"]
    assert kept["written"] is True and Path(kept["output"]).is_file()
    human = run_cli(small, "-k", "64", "--skip-if-larger", "--force")
    assert human.returncode == 3
    assert "(not written)" in human.stdout and "--skip-if-larger" in human.stdout
    assert "--skip-if-larger" in run_cli("--help").stdout and "3 none" in run_cli("--help").stdout


def test_compare_codecs_reports_each_codec_at_the_same_closeness(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "photo.png", width=96, height=64)

    (report,) = json_reports(run_cli(source, "-k", "8", "--compare-codecs", "--json").stdout)

    assert set(report["codecs"]) == {"jpeg", "webp", "avif"}
    assert report["lossless"]["png"] == report["output_bytes"]
    for entry in report["codecs"].values():
        if entry["reached"]:
            assert entry["delta_e"] <= report["delta_e"] + 1e-9
            assert entry["delta_e_p99"] <= report["delta_e_p99"] + 1e-9
            assert 1 <= entry["quality"] <= 100 and entry["bytes"] > 0
        else:
            assert_one_plain_sentence(entry["reason"])
    assert_one_plain_sentence(report["verdict"])
    human = run_cli(source, "-k", "8", "--compare-codecs", "--force")
    assert "as close: PNG" in human.stdout and "verdict:" in human.stdout

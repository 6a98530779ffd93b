"""The command line: reduce image files to K colours and write them as indexed PNG, WebP or GIF.

::

    python -m kmeans photo.jpg -k 16
    python -m kmeans shots/*.jpg -k 32 -o small/ --json
    python -m kmeans photo.jpg --quality 40        # the fewest colours reaching PSNR 40 dB
    python -m kmeans photo.jpg --max-bytes 200k    # the most colours in a PNG of 200 kB
    python -m kmeans photo.jpg -k 64 --compare-codecs   # and the JPEG, WebP, AVIF as close

Every input goes through :func:`kmeans.pipeline.compress`, the same call the page makes; this
module only chooses output names, writes the files and reports on them. It reports one line per
input on stdout, either for a person or, with ``--json``, as one JSON object, and a progress line
per input on stderr.

Two promises shape it:

* **A bad file never stops a batch.** Each input either succeeds or fails with one sentence; the
  exit code is 0 when all succeeded, 1 when any failed, 2 for a mistake in the arguments and 3
  when ``--skip-if-larger`` left some output unwritten.
* **Nothing is overwritten silently.** An output that already exists is replaced only with
  ``--force``; an input file is never replaced, even with ``--force``; and two inputs whose
  outputs share a name (``a/photo.jpg`` and ``b/photo.png`` into one folder) cannot replace each
  other: the later one fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kmeans.autok import KSearch, QualityTarget, largest_k_under_bytes, smallest_k_for_quality
from kmeans.codecs import CODECS as CODEC_NAMES
from kmeans.codecs import CodecMatch, compare_codecs, verdict
from kmeans.errors import KMeansError
from kmeans.io import load_image
from kmeans.optimise import DEFAULT_LEVEL, LEVELS, start_child
from kmeans.pipeline import FILE_FORMATS, FORMAT_NAMES, Compression, compress
from kmeans.settings import (
    DEFAULT_MAX_ITERS,
    DITHERS,
    INITS,
    MAX_K,
    RENAMED_INITS,
    SPACES,
    Settings,
    parse_hex_colour,
)

#: Output formats, by the file name suffix that selects them.
FORMATS = FILE_FORMATS
#: Suffixes of image formats this tool reads but does not write; -o ending in one is a mistake.
#: The stages of an input, in the order the report gives them; the first four are its own
#: work, timed as its "seconds" (the measuring overlaps the encoding, on another thread).
STAGES = ("load", "quantize", "encode", "write", "measure")
OWN_STAGES = STAGES[:4]
READ_ONLY_SUFFIXES = (".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".avif")
#: Exit statuses; see the epilog.
FAILED, USAGE, SKIPPED = 1, 2, 3

DESCRIPTION = """\
Reduce images to K colours with K-Means and save them as indexed (palette) PNG, lossless WebP or
GIF files, each as small as the optimiser makes it,
reporting how close the result looks (in words, and as ΔE in Oklab, where about 2 is just
noticeable, and lost hue, the worst-served vivid colour), MSE, PSNR, SSIM and the file sizes."""

EPILOG = """\
output names:
  without -o        next to each input, as <stem>-k<K>.png
  -o FILE.png|.webp|.gif  with a single input: that file
  -o FOLDER         <stem>-k<K>.png inside FOLDER, created if missing
  with --quality or --max-bytes, <K> is the target instead: <stem>-q40.png, <stem>-qde2.png,
  <stem>-max200000.png

An existing file is replaced only with --force, and an input never is. When two inputs would
get the same output name, the later one fails.

--json prints one JSON object per input and line; each has "input" and "ok", then either
"error" or the output's details. "psnr" is null when the result is lossless (infinite PSNR),
since JSON has no Infinity. "stages" gives the seconds of each stage (load, quantize, encode,
measure, write) and the bytes after it: the input file, the indexed pixels at ⌈log2 K⌉ bits
each plus the palette, and the file written.

file size:
  --optimise 0..3   how hard the lossless optimiser works (default 2): 0 is Pillow's zlib
                    alone, 1 to 3 are oxipng presets for PNG and libwebp methods for WebP;
                    the pixels are the same at every level
  --skip-if-larger  do not write an output larger than its input (as pngquant's option); the
                    report says why and names anything smaller ("written": false)
  --compare-codecs  also find the smallest JPEG, WebP and AVIF whose mean and 99th-percentile
                    ΔE_OK are no worse than the K-colour result's, and report their sizes
                    ("codecs", "lossless" and "verdict"); slow on large photos
Whenever the written file is larger than its input, a note says so and points to what is
smaller.

automatic K: give one of -k, --quality or --max-bytes.
  --quality 40      the smallest K whose PSNR is at least 40 dB
  --quality de:2    the smallest K whose mean colour difference (ΔE_OK, Oklab × 100) is at most 2
  --max-bytes 200k  the largest K whose file, as written (format and --optimise), is at most
                    200,000 bytes (k = 1000, M = 1000000)
K is found by trying 1, 2, 4, ... 256, then bisecting; the report adds "tried" (each K with its
"psnr", "delta_e" and "file_bytes", null where not measured) and "target_met", false when no K
meets the target (then the closest is written and a note says why).

exit status: 0 every input succeeded, 1 some input failed, 2 the arguments are wrong, 3 none
failed but --skip-if-larger left some output unwritten.

examples:
  python -m kmeans photo.jpg -k 16
  python -m kmeans photo.jpg -k 8 -o photo-small.gif
  python -m kmeans shots/*.jpg -k 32 -o small/ --json > report.jsonl
  python -m kmeans photo.jpg --quality 40
  python -m kmeans photo.jpg --max-bytes 200k --format webp
  python -m kmeans shots/*.png -k 64 --skip-if-larger --compare-codecs
"""


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_one_way_to_choose_k(parser, args)
    try:
        output_format = chosen_format(args.inputs, args.output, args.format)
    except KMeansError as error:
        parser.error(str(error))
    # Pillow warns about oddities in files it still reads (corrupt EXIF, huge frames); each file
    # already gets one clear sentence, so its warnings would only add source lines to stderr.
    warnings.simplefilter("ignore")
    try:
        return quantize_all(args, output_format)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with the help text ``--help`` shows."""
    parser = argparse.ArgumentParser(
        prog="python -m kmeans",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="image files")
    parser.add_argument(
        "-k",
        "--colours",
        dest="k",
        type=colour_count,
        help=f"number of colours, 1 to {MAX_K} (or let --quality or --max-bytes choose it)",
    )
    parser.add_argument(
        "--quality",
        type=quality_target,
        metavar="DB|de:DE",
        help="choose the smallest K reaching this PSNR in dB, or with de: this mean ΔE_OK",
    )
    parser.add_argument(
        "--max-bytes",
        type=byte_budget,
        metavar="SIZE",
        help="choose the largest K whose file fits in SIZE bytes (suffix k or M: 200k, 1.5M)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help="output file (one input) or folder (see below)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from the -o file name, else png)",
    )
    parser.add_argument(
        "--optimise",
        type=int,
        choices=LEVELS,
        default=DEFAULT_LEVEL,
        metavar="LEVEL",
        help=f"lossless optimisation, 0 (fastest) to 3 (smallest) (default: {DEFAULT_LEVEL})",
    )
    parser.add_argument(
        "--skip-if-larger",
        action="store_true",
        help="do not write an output that would be larger than its input (exit status 3)",
    )
    parser.add_argument(
        "--compare-codecs",
        action="store_true",
        help="also report the smallest JPEG, WebP and AVIF that look as close",
    )
    parser.add_argument(
        "--iters",
        type=iteration_count,
        default=DEFAULT_MAX_ITERS,
        help=f"most K-Means iterations (default: {DEFAULT_MAX_ITERS})",
    )
    parser.add_argument(
        "--init",
        choices=[*INITS, *RENAMED_INITS],
        default="histogram",
        metavar="{" + ",".join(INITS) + "}",
        help="how the starting colours are chosen (default: histogram; kmeans++ is its old name)",
    )
    parser.add_argument(
        "--space",
        choices=SPACES,
        default="rgb",
        help="where colour distances are measured: rgb (textbook) or oklab (follows the eye)",
    )
    parser.add_argument(
        "--dither",
        choices=DITHERS,
        default="none",
        help="mix palette colours in smooth areas; costs bytes (default: none)",
    )
    parser.add_argument(
        "--seed",
        type=seed_value,
        default=0,
        help="random seed, 0 or more; the same seed gives the same result (default: 0)",
    )
    parser.add_argument(
        "--fixed",
        "--keep",
        dest="fixed",
        type=hex_colour,
        action="append",
        default=[],
        metavar="COLOUR",
        help="a colour that must stay exactly, like '#ff0000' (repeat for more; --keep is its "
        "old name)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per input")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def colour_count(text: str) -> int:
    """argparse type for -k: a whole number from 1 to MAX_K."""
    return whole_number(text, "K", 1, MAX_K)


def quality_target(text: str) -> QualityTarget:
    """argparse type for --quality: '40' (PSNR in dB) or 'de:2.0' (mean ΔE_OK)."""
    prefix, is_delta_e, number = text.strip().lower().rpartition("de:")
    try:
        value = float(number) if not prefix else None
        return QualityTarget(delta_e=value) if is_delta_e else QualityTarget(psnr=value)
    except (ValueError, KMeansError):
        raise argparse.ArgumentTypeError(
            f"--quality must be a PSNR in dB such as 40 or a ΔE_OK such as de:2, not {text!r}."
        ) from None


def byte_budget(text: str) -> int:
    """argparse type for --max-bytes: bytes, or with a k (1000) or M (1000000) suffix."""
    number, scale = text.strip().lower().removesuffix("b"), 1
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if number.endswith(suffix):
            number, scale = number.removesuffix(suffix), factor
    try:
        value = float(number) * scale
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise argparse.ArgumentTypeError(
            f"--max-bytes must be a whole number of bytes, or a size such as 200k, not {text!r}."
        )
    return int(value)


def check_one_way_to_choose_k(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error unless exactly one of -k, --quality and --max-bytes was given."""
    given = [args.k is not None, args.quality is not None, args.max_bytes is not None]
    if sum(given) != 1:
        parser.error("Give exactly one of -k, --quality or --max-bytes.")


def name_tag(args: argparse.Namespace) -> str:
    """What output names carry after the stem: k16, q40, qde2, max200000."""
    if args.quality is not None:
        target = args.quality
        return f"q{target.psnr:g}" if target.psnr is not None else f"qde{target.delta_e:g}"
    if args.max_bytes is not None:
        return f"max{args.max_bytes}"
    return f"k{args.k}"


def iteration_count(text: str) -> int:
    """argparse type for --iters: a whole number, at least 1."""
    return whole_number(text, "--iters", 1)


def hex_colour(text: str) -> tuple[int, int, int]:
    """argparse type for --fixed: '#rrggbb' (or '#rgb') as an (r, g, b) tuple."""
    try:
        return parse_hex_colour(text)
    except KMeansError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def seed_value(text: str) -> int:
    """argparse type for --seed: NumPy's generators take only non-negative seeds."""
    return whole_number(text, "--seed", 0)


def whole_number(text: str, name: str, low: int, high: int | None = None) -> int:
    """``text`` as an int in [low, high], or an argparse error of one sentence naming ``name``."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise argparse.ArgumentTypeError(f"{name} must be a whole number {allowed}, not {text!r}.")
    return value


def quantize_all(args: argparse.Namespace, output_format: str) -> int:
    """Quantize every input in turn, report each one, and return the exit status.

    The files overlap by one: while one input's file is optimised on a worker thread (oxipng
    and libwebp let go of the GIL), the next input is read and quantised, and the previous
    one measured. Reports still come in the inputs' order, and at most two images are held.
    """
    targets = output_paths(args.inputs, args.output, name_tag(args), output_format)
    # Files we must never replace: the inputs, and each output once this run has claimed it.
    protected = {key: path for path in args.inputs if (key := file_id(path)) is not None}
    claimed: dict[str, Path] = {}
    failures = skipped = 0
    if output_format == "png" and args.optimise > 0:
        start_child()  # while the first input is read and quantised
    with ThreadPoolExecutor(max_workers=1) as encoder:
        started: list[Started | dict[str, Any]] = []
        for number, (source, target) in enumerate(zip(args.inputs, targets, strict=True), start=1):
            if not args.quiet:
                print(f"[{number}/{len(args.inputs)}] {source} …", file=sys.stderr, flush=True)
            started.append(
                start_one(source, target, output_format, args, protected, claimed, encoder)
            )
            while len(started) > 1 or (started and number == len(args.inputs)):
                report = finish_one(started.pop(0), args)
                show_report(report, as_json=args.json)
                failures += not report["ok"]
                skipped += report["ok"] and not report["written"]
    if failures:
        return FAILED
    return SKIPPED if skipped else 0


def chosen_format(inputs: Sequence[Path], output: Path | None, requested: str | None) -> str:
    """--format, else the -o file's suffix, else png; raises KMeansError when they clash."""
    if output is not None and output.suffix.lower() in READ_ONLY_SUFFIXES:
        raise KMeansError(
            f"This tool writes only PNG, WebP or GIF files, so -o cannot end in {output.suffix}."
        )
    suffix = output_file_suffix(output)
    if suffix and len(inputs) > 1:
        raise KMeansError(f"With several inputs, -o must be a folder, not a .{suffix} file name.")
    if suffix and requested and suffix != requested:
        raise KMeansError(f"The output file name ends in .{suffix} but --format is {requested}.")
    return requested or suffix or "png"


def output_file_suffix(output: Path | None) -> str | None:
    """The format when -o names an output file, None when it names a folder or is absent."""
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in FORMATS else None


def output_paths(
    inputs: Sequence[Path], output: Path | None, tag: str, output_format: str
) -> list[Path]:
    """Where each input's result goes; see the "output names" section of ``--help``."""
    if output is not None and output_file_suffix(output):
        return [output]
    return [
        (output if output is not None else source.parent) / f"{source.stem}-{tag}.{output_format}"
        for source in inputs
    ]


@dataclass
class Started:
    """One input read and quantised, its file being encoded on the worker thread."""

    source: Path
    target: Path
    output_format: str
    compression: Compression
    search: KSearch | None
    stages: dict[str, dict[str, float]]
    encoded: Future


def start_one(
    source: Path,
    target: Path,
    output_format: str,
    args: argparse.Namespace,
    protected: dict[tuple[int, int], Path],
    claimed: dict[str, Path],
    encoder: ThreadPoolExecutor,
) -> Started | dict[str, Any]:
    """Read and quantise one input and start encoding its file; a failure becomes its report."""
    stages: dict[str, dict[str, float]] = {}
    try:
        check_can_write(target, protected, claimed, force=args.force)
        compression, search = compressed(source, args, output_format, stages)
    except KMeansError as error:
        return failure_report(source, str(error))
    claimed[claim_of(target)] = source
    encoded = encoder.submit(timed, stages, "encode", lambda: compression.file(output_format))
    return Started(source, target, output_format, compression, search, stages, encoded)


def finish_one(started: Started | dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Write the input's encoded file (unless --skip-if-larger stops it), and its report."""
    if isinstance(started, dict):
        return started
    source, target, stages = started.source, started.target, started.stages
    compression, output_format = started.compression, started.output_format
    # Measured here, on this thread, while the worker may still be encoding the file.
    timed(stages, "measure", lambda: measured(compression))
    try:
        data = started.encoded.result()
        stages["encode"]["bytes"] = len(data)
        larger = compression.larger_notice(output_format)
        skip = args.skip_if_larger and larger is not None
        if not skip:
            timed(stages, "write", lambda: write_file(target, data, force=args.force))
    except KMeansError as error:
        return failure_report(source, str(error))
    except OSError as error:
        return failure_report(source, f"Could not write {target}: {error.strerror or error}.")
    # Its own work's time, not the time it waited beside the next input.
    seconds = sum(stages[stage]["seconds"] for stage in OWN_STAGES if stage in stages)
    report = success_report(source, target, compression, data, output_format)
    in_order = {stage: stages[stage] for stage in STAGES if stage in stages}
    report = {**report, "seconds": seconds, "written": not skip, "stages": in_order}
    if skip:
        report = {**report, "output": None}
    if started.search is not None:
        report = {**report, **search_report(started.search)}
    notices = [*report["notices"], *([] if larger is None else [larger])]
    if skip:
        notices.append("Not written, because of --skip-if-larger.")
    report["notices"] = notices
    if args.compare_codecs:
        report = {**report, **codecs_report(compression)}
    return report


def timed(stages: dict[str, dict[str, float]], stage: str, work: Callable[[], Any]) -> Any:
    """``work()``, with its seconds recorded (added up, if the stage runs twice) in ``stages``."""
    began = time.perf_counter()
    try:
        return work()
    finally:
        entry = stages.setdefault(stage, {"seconds": 0.0})
        entry["seconds"] += time.perf_counter() - began


def compressed(
    source: Path,
    args: argparse.Namespace,
    output_format: str,
    stages: dict[str, dict[str, float]],
) -> tuple[Compression, KSearch | None]:
    """The input quantised with -k, or with the K that --quality or --max-bytes chose."""
    image = timed(stages, "load", lambda: load_image(source))
    stages["load"]["bytes"] = image.n_bytes
    settings, level = settings_of(args), args.optimise

    def choose() -> tuple[Compression, KSearch | None]:
        if args.k is not None:
            return compress(image, args.k, settings, optimisation=level), None
        if args.quality is not None:
            search = smallest_k_for_quality(image, args.quality, settings)
            return replace(search.compression, optimisation=level), search
        search = largest_k_under_bytes(
            image, args.max_bytes, settings, file_format=output_format, optimisation=level
        )
        return search.compression, search

    compression, search = timed(stages, "quantize", choose)
    stages["quantize"]["bytes"] = math.ceil(compression.teaching_bits[0] / 8)
    return compression, search


def codecs_report(compression: Compression) -> dict[str, Any]:
    """--compare-codecs: the lossless sizes, each lossy codec at the same closeness, a verdict."""
    source = compression.source
    matches = compare_codecs(source.rgb, compression.perceptual, alpha=source.alpha)
    lossless = {"png": len(compression.png), "webp": len(compression.webp)}
    return {
        "lossless": lossless,
        "codecs": {match.codec: codec_entry(match) for match in matches},
        "verdict": verdict(min(lossless.values()), matches),
    }


def codec_entry(match: CodecMatch) -> dict[str, Any]:
    return {
        "reached": match.reached,
        "quality": match.quality,
        "bytes": match.n_bytes,
        "delta_e": match.delta_e,
        "delta_e_p99": match.delta_e_p99,
        "reason": match.reason,
    }


def search_report(search: KSearch) -> dict[str, Any]:
    """What an automatic K adds to the report: every K tried, and whether the target was met."""
    tried = [
        {"k": t.k, "psnr": t.psnr, "delta_e": t.delta_e, "file_bytes": t.file_bytes}
        for t in search.tried
    ]
    reason = [] if search.reason is None else [search.reason]
    notices = [*search.compression.result.notices, *reason]
    return {"target_met": search.met, "tried": tried, "notices": notices}


def settings_of(args: argparse.Namespace) -> Settings:
    """The quantisation settings the arguments chose."""
    return Settings(
        max_iters=args.iters,
        init=args.init,
        seed=args.seed,
        space=args.space,
        dither=args.dither,
        fixed_colours=tuple(args.fixed),
    )


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file, so two names for one file compare equal; else None."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def check_can_write(
    target: Path,
    protected: dict[tuple[int, int], Path],
    claimed: dict[str, Path],
    *,
    force: bool,
) -> None:
    """Raise KMeansError (one sentence) unless writing ``target`` replaces nothing it must not:
    an input, an output an earlier input of this run claimed, or (without ``force``) a file."""
    if claim_of(target) in claimed:
        raise KMeansError(
            f"The output {target} would replace the one written for "
            f"{claimed[claim_of(target)]}; use -o with a separate folder or rename one of the "
            "inputs."
        )
    target_id = file_id(target)
    if target_id is None:
        return
    if target_id in protected:
        raise KMeansError(f"The output {target} would replace the input {protected[target_id]}.")
    if not force:
        raise KMeansError(f"The output {target} already exists; use --force to replace it.")


def claim_of(target: Path) -> str:
    """The key an output is claimed by, before it exists: its absolute path, links resolved."""
    return str(target.resolve())


def measured(compression: Compression) -> tuple:
    """Every measure the report gives, worked out (each is kept once made)."""
    return compression.psnr, compression.ssim, compression.perceptual, compression.closeness


def write_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path``, creating its folder; without ``force`` never replace a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # "x" fails if the file appeared since check_can_write looked, so even then nothing is lost.
    with open(path, "wb" if force else "xb") as file:
        try:
            file.write(data)
        except OSError:
            path.unlink(missing_ok=True)  # a cut-off image is worse than none
            raise


def success_report(
    source: Path, target: Path, compression: Compression, data: bytes, output_format: str
) -> dict[str, Any]:
    """What one successful input reports; ``--json`` prints these keys as they are."""
    result = compression.result
    return {
        "input": str(source),
        "ok": True,
        "output": str(target),
        "k": result.k,
        "k_requested": result.k_requested,
        "width": compression.source.width,
        "height": compression.source.height,
        "mse": compression.mse,
        "psnr": compression.psnr,
        "ssim": compression.ssim,
        "delta_e": compression.perceptual.delta_e,
        "delta_e_p99": compression.perceptual.delta_e_p99,
        "lost_hue": compression.perceptual.lost_hue,
        "alpha_mse": None if compression.source.alpha is None else compression.alpha_mse,
        "looks": compression.closeness.word,
        "format": output_format,
        "optimisation": compression.optimisation,
        "input_bytes": compression.input_bytes,
        "output_bytes": len(data),
        "iterations": result.kmeans.n_iters,
        "converged": result.kmeans.converged,
        "notices": list(result.notices),
    }


def failure_report(source: Path, error: str) -> dict[str, Any]:
    """What one failed input reports: the one-sentence reason."""
    return {"input": str(source), "ok": False, "error": error}


def show_report(report: dict[str, Any], *, as_json: bool) -> None:
    """Print a report: JSON on stdout, or a line for a person (a failure's on stderr)."""
    if as_json:
        print(json_line(report), flush=True)
    elif report["ok"]:
        print(human_lines(report), flush=True)
    else:
        print(f"{report['input']}: {report['error']}", file=sys.stderr, flush=True)


def json_line(report: dict[str, Any]) -> str:
    """The report as one line of strict JSON, with an infinite PSNR written as null."""
    if report.get("psnr") == math.inf:
        report = {**report, "psnr": None}
    if "tried" in report:
        lossless_as_null = [
            {**tried, "psnr": None if tried["psnr"] == math.inf else tried["psnr"]}
            for tried in report["tried"]
        ]
        report = {**report, "tried": lossless_as_null}
    return json.dumps(report, ensure_ascii=False, allow_nan=False)


def human_lines(report: dict[str, Any]) -> str:
    """A successful report as a line for a person, followed by any notices."""
    psnr = "∞" if report["psnr"] == math.inf else f"{report['psnr']:.1f}"
    output = report["output"] if report["written"] else "(not written)"
    line = (
        f"{report['input']} → {output}  K={report['k']}  {looks_phrase(report['looks'])}  "
        f"ΔE {report['delta_e']:.2f} (99%: {report['delta_e_p99']:.1f}, lost hue "
        f"{report['lost_hue']:.1f})  PSNR {psnr} dB  "
        f"SSIM {report['ssim']:.3f}  {report['input_bytes']:,} → {report['output_bytes']:,} "
        f"bytes ({size_change(report['input_bytes'], report['output_bytes'])})  "
        f"{report['seconds']:.2f} s"
    )
    if "tried" in report:
        outcome = "target met" if report["target_met"] else "target NOT met"
        line += f"  ({outcome}; tried K={', '.join(str(t['k']) for t in report['tried'])})"
    lines = [line, *(f"  note: {notice}" for notice in report["notices"])]
    if "codecs" in report:
        lines.append(f"  as close: {codec_sizes(report)}")
        lines.append(f"  verdict: {report['verdict']}")
    return "\n".join(lines)


def looks_phrase(word: str) -> str:
    """'looks close', and 'looks the same' rather than 'looks looks the same'."""
    return word if word.startswith("looks") else f"looks {word}"


def codec_sizes(report: dict[str, Any]) -> str:
    """'PNG 41,020 B · WebP lossless 38,114 B · JPEG q83 20,301 B · AVIF cannot look this
    close at any quality', each codec that cannot with the first part of its reason."""
    lossless = [
        f"{FORMAT_NAMES[name]}{' lossless' if name == 'webp' else ''} {size:,} B"
        for name, size in report["lossless"].items()
    ]
    lossy = [
        f"{CODEC_NAMES[name]} q{entry['quality']} {entry['bytes']:,} B"
        if entry["reached"]
        else entry["reason"].split(":")[0].rstrip(".")
        for name, entry in report["codecs"].items()
    ]
    return " · ".join(lossless + lossy)


def size_change(input_bytes: int, output_bytes: int) -> str:
    """'88% smaller', '12% larger' or 'same size', relative to the input."""
    if output_bytes == input_bytes:
        return "same size"
    change = abs(1 - output_bytes / input_bytes)
    return f"{change:.0%} {'smaller' if output_bytes < input_bytes else 'larger'}"

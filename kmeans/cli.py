"""The command line: reduce image files to K colours and write them as indexed PNG, WebP or GIF.

::

    python -m kmeans photo.jpg -k 16
    python -m kmeans shots/*.jpg -k 32 -o small/ --json
    python -m kmeans photo.jpg --quality 40        # the fewest colours reaching PSNR 40 dB
    python -m kmeans photo.jpg --max-bytes 200k    # the most colours in a PNG of 200 kB
    python -m kmeans photo.jpg -k 64 --compare-codecs   # and the JPEG, WebP, AVIF as close

This module reads the arguments; :mod:`kmeans.batch` does the work, every input through
:func:`kmeans.pipeline.compress`, the same call the page makes. It reports one line per input on
stdout, either for a person or, with ``--json``, as one JSON object, and a progress line per
input on stderr. A bad file never stops a batch, and nothing is overwritten silently (see
:mod:`kmeans.batch`); the exit code is 0 when all succeeded, 1 when any failed, 2 for a mistake
in the arguments and 3 when ``--skip-if-larger`` left some output unwritten.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from kmeans.autok import QualityTarget
from kmeans.batch import output_file_suffix, quantize_all
from kmeans.errors import KMeansError
from kmeans.optimise import DEFAULT_LEVEL, LEVELS
from kmeans.pipeline import FILE_FORMATS
from kmeans.settings import (
    DEFAULT_MAX_ITERS,
    DITHERS,
    INITS,
    MAX_K,
    RENAMED_INITS,
    SPACES,
    parse_hex_colour,
)

#: Output formats, by the file name suffix that selects them.
FORMATS = FILE_FORMATS
#: Suffixes of image formats this tool reads but does not write; -o ending in one is a mistake.
READ_ONLY_SUFFIXES = (".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".avif")

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
        return quantize_all(args, output_format, name_tag(args))
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

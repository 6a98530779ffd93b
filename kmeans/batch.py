"""Every input of the command line in turn: read, quantised, encoded, written and reported.

:mod:`kmeans.cli` reads the arguments; this module does the work they ask for, one input after
another, with three promises:

* **A bad file never stops a batch.** Each input either succeeds or fails with one sentence, its
  report in the inputs' order.
* **Nothing is overwritten silently.** An output that already exists is replaced only with
  ``--force``; an input file is never replaced, even with ``--force``; and two inputs whose
  outputs share a name cannot replace each other: the later one fails.
* **The two cores both work.** While one input's file is optimised (oxipng works in a child
  process, libwebp lets go of the GIL), the next input is read and quantised and the previous
  one measured; at most two images are held at once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kmeans.autok import KSearch, largest_k_under_bytes, smallest_k_for_quality
from kmeans.codecs import CODECS as CODEC_NAMES
from kmeans.codecs import CodecMatch, compare_codecs, verdict
from kmeans.errors import KMeansError
from kmeans.io import load_image
from kmeans.optimise import start_child
from kmeans.pipeline import FILE_FORMATS, FORMAT_NAMES, Compression, compress
from kmeans.settings import Settings

#: Exit statuses; see the command line's epilog.
FAILED, SKIPPED = 1, 3
#: The stages of an input, in the order the report gives them; the first four are its own
#: work, timed as its "seconds" (the measuring overlaps the encoding, on another thread).
STAGES = ("load", "quantize", "encode", "write", "measure")
OWN_STAGES = STAGES[:4]


def quantize_all(args: argparse.Namespace, output_format: str, tag: str) -> int:
    """Quantize every input in turn, report each one, and return the exit status.

    The files overlap by one: while one input's file is optimised on a worker thread (oxipng
    and libwebp let go of the GIL), the next input is read and quantised, and the previous
    one measured. Reports still come in the inputs' order, and at most two images are held.
    """
    targets = output_paths(args.inputs, args.output, tag, output_format)
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


def output_file_suffix(output: Path | None) -> str | None:
    """The format when -o names an output file, None when it names a folder or is absent."""
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in FILE_FORMATS else None


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

"""The machine and library versions a run's figures come from, so runs can be compared."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import numpy as np
import PIL
import sklearn
from threadpoolctl import threadpool_info


def machine_lines() -> Iterator[str]:
    """Markdown bullets: date, CPU, load average, versions and thread pools."""
    yield f"- Date: {datetime.datetime.now():%Y-%m-%d %H:%M}"
    yield f"- Machine: {platform.machine()}, {cpu_model()}, {os.cpu_count()} CPUs"
    yield f"- Load average at start (1/5/15 min): {load_average()}"
    yield (
        f"- Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, Pillow {PIL.__version__}, imagequant {version('imagequant')}"
    )
    for pool in threadpool_info():
        yield (
            f"- Thread pool: {pool['internal_api']} ({pool['user_api']}), "
            f"{pool['num_threads']} threads, {Path(pool['filepath']).name}"
        )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as uptime prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_report(text: str, out: Path) -> None:
    """Print a run's report and write it to ``out`` (its folder made if need be)."""
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"Written to {out}", file=sys.stderr)

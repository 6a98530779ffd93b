"""Another revision's ``quantize``, timed beside this one: the one way to compare two revisions.

``--baseline`` takes a git revision (``main``, ``4db2171``, ``HEAD~3``) or the path of another
checkout. A revision is exported with ``git archive`` into a temporary folder; either way, its
``quantize`` runs in a worker process of its own, since two versions of ``kmeans`` cannot share
one interpreter. The worker times each call itself, so the pipe between the processes is not
counted, and it runs only when asked, so two versions never compete for the cores.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from bench.photos import REPO, Photo

#: The worker: reads "photo-file k" lines, answers each with the seconds quantize took (wall
#: clock and CPU, all threads), the MSE and the lost hue of its result.
WORKER = """
import json, sys, time
import numpy as np
import kmeans
from kmeans.metrics import mse
photos = {}
for line in sys.stdin:
    path, k = line.split()
    if path not in photos:
        photos[path] = np.load(path)
    rgb = photos[path]
    started, cpu_started = time.perf_counter(), time.process_time()
    result = kmeans.quantize(rgb, int(k))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    answer = {"seconds": seconds, "cpu": cpu, "mse": mse(rgb, result.image),
              "lost_hue": result.perceptual.lost_hue}
    print(json.dumps(answer), flush=True)
"""


def checkout(baseline: str, folder: Path) -> Path:
    """The baseline's files: the checkout at that path, or the git revision exported in folder."""
    path = Path(baseline)
    if path.is_dir():
        return path.resolve()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", baseline], cwd=REPO, capture_output=True, check=True
    ).stdout
    target = folder / "baseline"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


class Worker:
    """One checkout's ``quantize`` (or the ``code`` given) in a process of its own."""

    def __init__(self, tree: Path, folder: Path, code: str = WORKER):
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.files: dict[str, Path] = {}

    def quantize(self, photo: Photo, k: int) -> dict:
        """{"seconds", "cpu", "mse", "lost_hue"} of one ``quantize(photo.rgb, k)``."""
        return self.ask(self.photo_file(photo), k)

    def photo_file(self, photo: Photo) -> Path:
        """The photo's pixels saved for the worker to read (``np.load``), once."""
        if photo.name not in self.files:
            self.files[photo.name] = self.folder / f"{photo.name}.npy"
            np.save(self.files[photo.name], photo.rgb)
        return self.files[photo.name]

    def ask(self, *words: object) -> dict:
        """One line of ``words`` to the worker, and its JSON answer."""
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


class Revisions:
    """``this`` tree's worker, and the baseline's when one is given; closes them on exit."""

    def __init__(self, baseline: str | None, code: str = WORKER):
        self.baseline, self.code = baseline, code
        self.workers: dict[str, Worker] = {}

    def __enter__(self) -> dict[str, Worker]:
        self._temporary = tempfile.TemporaryDirectory()
        self.folder = Path(self._temporary.name)
        if self.baseline is not None:
            tree = checkout(self.baseline, self.folder)
            self.workers["baseline"] = Worker(tree, self.folder, self.code)
        self.workers["this"] = Worker(REPO, self.folder, self.code)
        return self.workers

    def __exit__(self, *exc: object) -> None:
        for worker in self.workers.values():
            worker.close()
        self._temporary.cleanup()

"""The child process that :mod:`kmeans.optimise` sends large pictures to.

Run as ``python -m kmeans.oxipng_child``.

pyoxipng holds the GIL while oxipng works, so the parent's other threads would stop. Each job
comes on stdin and its PNG goes back on stdout, each as an 8-byte little-endian length and then
the bytes (a pickled argument tuple in, the PNG out), one at a time, until stdin closes.

A plain child process rather than :mod:`multiprocessing`: its "spawn" re-imports the parent's
``__main__``, and under Streamlit that is the page's script, which would run again in the child.
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import BinaryIO

from kmeans.optimise import oxipng_png

LENGTH = struct.Struct("<Q")


def send(stream: BinaryIO, data: bytes) -> None:
    stream.write(LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: BinaryIO) -> bytes | None:
    """The next message, or None at the end of the stream (or a message cut short)."""
    header = stream.read(LENGTH.size)
    if len(header) < LENGTH.size:
        return None
    (length,) = LENGTH.unpack(header)
    data = stream.read(length)
    return data if len(data) == length else None


def serve(jobs: BinaryIO, answers: BinaryIO) -> None:
    while (message := receive(jobs)) is not None:
        send(answers, oxipng_png(*pickle.loads(message)))


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)

"""What the page's tests and the hand-run page scripts in bench/ share, in one importable place.

Fixtures stay in ``conftest.py`` (pytest finds them there); everything else a test or a bench
script needs (paths, sample photos, the server's start and stop, the browser's settings, and
the steps a visitor takes in an AppTest run) is here, so no module imports another test module
or ``conftest``. Nothing here imports pytest, so bench/ can use it outside a test run.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import struct
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image
from streamlit.testing.v1 import AppTest

from dashboard.serving import (  # noqa: F401  (the tests take the server's tools from here too)
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"
#: The sample photos, in name order.
SAMPLE_PHOTOS = sorted(SAMPLES.glob("*.png"))
#: The page's server settings.
CONFIG = ROOT / ".streamlit" / "config.toml"
#: A file name that is HTML and Markdown, to check the page shows names as plain text only.
HOSTILE_NAME = "<img src=x onerror=alert(1)>**bold**.png"
#: Screenshots, timings and the server's log from browser runs (git-ignored).
ARTIFACTS = ROOT / "test-artifacts"


# Photos and settings ---------------------------------------------------------------------------


@functools.cache
def sample_rgb(name: str) -> np.ndarray:
    """The sample ``name`` (a file in assets/samples) as a read-only (H, W, 3) uint8 RGB array."""
    with Image.open(SAMPLES / name) as image:
        rgb = np.asarray(image.convert("RGB"))
    rgb.setflags(write=False)
    return rgb


def jpeg_bytes(sample: str, size: tuple[int, int] | None = None) -> bytes:
    """A sample photo re-saved as a JPEG, the commonest upload, resized to ``size`` if given."""
    buffer = io.BytesIO()
    with Image.open(SAMPLES / sample) as image:
        photo = image.convert("RGB")
        if size is not None:
            photo = photo.resize(size, Image.Resampling.LANCZOS)
        photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def read_config() -> dict:
    """.streamlit/config.toml, parsed."""
    return tomllib.loads(CONFIG.read_text())


def png_button_name(k: int, width: int, height: int) -> str:
    """The page's download button for the result with K colours of a width × height photo."""
    return f"Download PNG: {k} colours, {width:,} × {height:,}"


# A visitor's steps in an AppTest run -----------------------------------------------------------


def open_page(timeout: float = 60) -> AppTest:
    """The page as a first-time visitor opens it, each script run bounded by ``timeout`` s."""
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout).run()


def upload(app: AppTest, name: str, data: bytes, mime: str = "image/jpeg") -> AppTest:
    """Pick a file in the uploader, and let the page run."""
    return app.file_uploader[0].set_value((name, data, mime)).run()


def open_details(app: AppTest) -> AppTest:
    """Open "All the numbers", as a click on it does."""
    app.session_state["details"] = True
    return app.run()


def metric(app: AppTest, label_start: str) -> str:
    """The value of the one metric whose label starts with ``label_start`` (in the numbers)."""
    if not app.session_state["details"]:
        open_details(app)
    (found,) = [m.value for m in app.metric if m.label.startswith(label_start)]
    return found


def sizes_stated(app: AppTest) -> tuple[int, int]:
    """The (original, PNG) byte counts the page states in its size sentence."""
    (sentence,) = [a.value for a in [*app.success, *app.warning] if "bytes →" in a.value]
    original, png = re.search(r"([\d,]+) bytes → ([\d,]+) bytes", sentence).groups()
    return int(original.replace(",", "")), int(png.replace(",", ""))


def png_download(app: AppTest, downloads) -> tuple[str, bytes]:
    """(file name, bytes) behind the result's PNG download button; ``downloads`` is the fixture."""
    (button,) = [b for b in app.download_button if b.label.startswith("Download PNG")]
    return downloads(button)


def no_errors(app: AppTest) -> bool:
    """Neither a traceback nor an error box on the page."""
    return not app.exception and not app.error


# ------------------------------------------------------------ images the tests build and read


# Eight flat 16×16 blocks, two rows of four: few colours (so GIF holds them exactly) and edges
# on the 8×8 grid of JPEG, so lossy formats stay close.
BLOCK_PALETTE = np.array(
    [
        [255, 0, 0],
        [0, 200, 0],
        [0, 0, 255],
        [255, 255, 0],
        [0, 0, 0],
        [255, 255, 255],
        [128, 64, 32],
        [40, 160, 200],
    ],
    dtype=np.uint8,
)


BLOCK_INDICES = np.kron(np.arange(8).reshape(2, 4), np.ones((16, 16), dtype=int)).astype(np.uint8)


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def heic(samples: np.ndarray, *, orientation: int = 1, mode: str = "", quality: int = 90) -> bytes:
    """A HEIC file of the (H, W, C) samples as stored pixels, written with pillow-heif.

    A phone stores the sensor's pixels with irot/imir boxes saying how to turn them upright and
    an EXIF orientation tag saying the same; libheif writes both for ``orientation`` != 1.
    """
    import pillow_heif  # only the HEIC cases need it

    height, width = samples.shape[:2]
    mode = mode or {3: "RGB", 4: "RGBA"}[samples.shape[2]]
    container = pillow_heif.from_bytes(mode, (width, height), samples.tobytes())
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    container.save(buffer, quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def heic_box(data: bytes, kind: bytes) -> int:
    """Offset of the body of the first box of this kind (its 4-byte size and type before it)."""
    return data.index(kind) + 4


def palette_image(indices: np.ndarray, palette: np.ndarray) -> Image.Image:
    image = Image.fromarray(indices.astype(np.uint8))
    image.putpalette(palette.astype(np.uint8).tobytes())
    return image


def assert_one_plain_sentence(message: str) -> None:
    assert message.endswith(".")
    assert "\n" not in message
    assert "Traceback" not in message
    assert ". " not in message.rstrip(".")  # one sentence, not two


# What a viewer shows for each EXIF orientation, from the stored (H, W, 3) pixels S.
UPRIGHT = {
    1: lambda S: S,
    2: lambda S: S[:, ::-1],
    3: lambda S: S[::-1, ::-1],
    4: lambda S: S[::-1],
    5: lambda S: S.transpose(1, 0, 2),
    6: lambda S: np.rot90(S, k=-1),
    7: lambda S: np.rot90(S, k=2).transpose(1, 0, 2),
    8: lambda S: np.rot90(S, k=1),
}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height RGB pixels but holds almost no image data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------ the command line, run as a user would


def run_cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kmeans`` with the repository importable, as a user would from its root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kmeans", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def json_reports(stdout: str) -> list[dict]:
    """Every stdout line parsed as strict JSON: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not valid JSON")

    return [json.loads(line, parse_constant=refuse) for line in stdout.splitlines()]


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    """Chunk type → body, read from the file's bytes by hand."""
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunks.setdefault(kind, data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return chunks

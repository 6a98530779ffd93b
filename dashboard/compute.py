"""The page's cached work, in one place, so the caching policy can be read at a glance.

Every function here calls ``kmeans/`` and returns something small and typed. Two rules:

* Heavy shared objects (decoded photos, colour counts) are resources: never copied or pickled,
  read-only, and few, because each can be hundreds of MB.
* Results are data: small frozen dataclasses, cached per (photo digest, K, settings).

Progress is passed in as a callback, so no cached function creates page elements itself.
:func:`photo_run` keeps its results in a bounded store of its own (:class:`Store`) rather
than under ``st.cache_data``, because st.cache_data records every element a cached function
touches and replays it later, and a progress bar made by the page cannot be replayed.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import images
from dashboard.layout import (
    GRID_WIDTH,
    LESSON_SIDE,
    PLOT_POINTS,
    SHOWN_WIDTH,
    ZOOM_STEPS,
    ZOOMED_SIDE,
)
from dashboard.store import Store
from dashboard.work_queue import Progress, WorkQueue
from kmeans import (
    ColourCounts,
    KMeansError,
    LoadedImage,
    Settings,
    compress,
    count_colours,
    load_image,
)
from kmeans.closeness import Level
from kmeans.encode import is_opaque
from kmeans.metrics import delta_e_ok_of_labels
from kmeans.oklab import srgb_to_oklab
from kmeans.pipeline import ssim_of
from kmeans.quantization import QuantizeResult

ONE_HOUR = "1h"


@st.cache_resource(max_entries=1, show_spinner=False)
def full_size_work() -> WorkQueue:
    """The one queue for full-size work, shared by every visitor."""
    return WorkQueue()


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def photo_bytes(photo: LoadedImage) -> int:
    return photo.rgb.nbytes + (0 if photo.alpha is None else photo.alpha.nbytes)


def counts_bytes(counted: ColourCounts) -> int:
    """What a colour count keeps alive, the photo's pixels included: it shares them, so once
    the photo store has let the photo go, they stay for as long as the count does."""
    parts = (
        counted.rgb,
        counted.alpha,
        counted.colours,
        counted.counts,
        counted.inverse,
        counted.visible,
    )
    return sum(part.nbytes for part in parts if part is not None)


#: Decoded photos: five 12 MP photos, or one at the 40 MP limit (a store always keeps its
#: newest). With a count of two, a class of visitors each trying a few K re-decoded their
#: photos at every turn; with 300 MB here and 500 MB for counts, 30 visitors with 12 MP
#: photos peaked at 2.17 GB.
MAX_PHOTO_BYTES = 200_000_000
#: Colour counts with the pixels they share: about 90 MB for a 12 MP photo (36 MB of pixels,
#: 48 MB of each pixel's colour number), 290 MB at the 40 MP limit. With the photos', the two
#: bound what a class of visitors' photos can hold to 0.5 GB.
MAX_COUNTS_BYTES = 300_000_000


@st.cache_resource(max_entries=1, show_spinner=False)
def photo_store() -> Store:
    return Store(max_items=16, max_bytes=MAX_PHOTO_BYTES, size_of=photo_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def counts_store() -> Store:
    return Store(max_items=16, max_bytes=MAX_COUNTS_BYTES, size_of=counts_bytes)


def loaded_photo(digest: str, _data: bytes, _progress: Progress | None = None) -> LoadedImage:
    """The decoded pixels, keyed on the bytes' digest; read-only, so safe to share."""

    def decode() -> LoadedImage:
        with full_size_work()(_progress):
            return load_image(_data)

    return photo_store().get_or_make(
        digest, decode, _progress, may_wait=not full_size_work().held_here()
    )


@st.cache_resource(max_entries=1, show_spinner=False)
def problem_store() -> Store:
    return Store(max_items=64, max_bytes=64 * 1000, size_of=len)


def photo_problem(digest: str, _data: bytes, _progress: Progress | None = None) -> str | None:
    """Why the upload cannot be read (one sentence), or None once it has been decoded.

    Both answers are remembered. A failure, because a damaged 40 MP file would otherwise be
    decoded again, in the full-size queue, at every rerun. A success, because with a class of
    visitors the photo store lets most photos go, and every K change of every visitor went
    through the whole queue once just to check a photo already known to be fine.
    """
    known = problem_store().get(digest)
    if known is not None:
        return known
    if facts_store().get(digest) is not None:
        return None
    try:
        photo_facts(digest, _data, _progress)
    except KMeansError as error:
        problem_store().put(digest, str(error))
        return str(error)
    return None


@dataclass(frozen=True)
class PhotoFacts:
    """What the page says about a photo, without its pixels.

    A visitor's script keeps this for its whole run, waiting in the queue included. Holding the
    decoded pixels instead pinned one photo per visitor (36 MB at 12 MP) outside every store's
    bound: 30 visitors with 12 MP photos peaked at 3 GB.
    """

    width: int
    height: int
    format: str
    n_bytes: int
    has_alpha: bool

    @property
    def n_pixels(self) -> int:
        return self.width * self.height


@st.cache_resource(max_entries=1, show_spinner=False)
def facts_store() -> Store:
    return Store(max_items=1024, max_bytes=1024, size_of=lambda _facts: 1)


def photo_facts(digest: str, _data: bytes, _progress: Progress | None = None) -> PhotoFacts:
    """The photo's size and format, decoding it only the first time it is seen."""
    known = facts_store().get(digest)
    if known is None:
        photo = loaded_photo(digest, _data, _progress)
        has_alpha = photo.alpha is not None
        known = PhotoFacts(photo.width, photo.height, photo.format, photo.n_bytes, has_alpha)
        facts_store().put(digest, known)
    return known


def original_window(digest: str, _data: bytes, window: tuple[slice, slice]) -> np.ndarray:
    """A copy of a window of the full-size photo, for the close-up; the photo itself stays put."""
    return loaded_photo(digest, _data).rgb[window].copy()


def counted_colours(digest: str, _data: bytes, _progress: Progress | None = None) -> ColourCounts:
    """The photo's distinct colours, counted once for every K tried on it."""
    photo = loaded_photo(digest, _data, _progress)

    def count() -> ColourCounts:
        with full_size_work()(_progress):
            return count_colours(photo)

    return counts_store().get_or_make(
        digest, count, _progress, may_wait=not full_size_work().held_here()
    )


@dataclass(frozen=True)
class DisplayOriginal:
    """The photo at display size (box-filtered), and its colours in Oklab for the heatmap."""

    rgb: np.ndarray  # (h, w, 3) uint8
    oklab: np.ndarray  # (3, h, w) float32: the L, a and b planes


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def original_at_display_size(digest: str, _data: bytes) -> DisplayOriginal:
    """What every run of this photo is compared with on screen, made once per photo, not per K.

    Read-only, because it is shared by every visitor.
    """
    photo = loaded_photo(digest, _data)
    with full_size_work()():  # full-size work, and heavy with many visitors at once
        rgb = np.asarray(images.scaled(Image.fromarray(photo.rgb), SHOWN_WIDTH))
        # Planes of float32: ample for a heatmap, and read a plane at a time at every new K.
        oklab = np.ascontiguousarray(
            srgb_to_oklab(rgb.reshape(-1, 3)).T.reshape(3, *rgb.shape[:2]), dtype=np.float32
        )
    rgb.flags.writeable = oklab.flags.writeable = False
    return DisplayOriginal(rgb, oklab)


#: One per visitor of a class (a JPEG of a few hundred kB each): when they were evicted, each
#: K change decoded the visitor's full photo again, in the queue, to show the original.
@st.cache_data(max_entries=48, ttl=ONE_HOUR, show_spinner=False)
def shown_original(digest: str, _data: bytes) -> bytes:
    photo = loaded_photo(digest, _data)
    if photo.alpha is None:  # the copy every run is compared with, already scaled
        return images.encoded(Image.fromarray(original_at_display_size(digest, _data).rgb))
    return images.encoded(images.scaled(images.full_image(photo.rgb, photo.alpha), SHOWN_WIDTH))


@dataclass(frozen=True)
class PhotoRun:
    """Everything the page shows about one K-Means run, small enough to cache many of.

    The full-resolution pixels stay out: the page gets the indexed PNG (the download), copies
    scaled to display size, a sample of pixels for the 3D plot, and the numbers.
    """

    k: int
    k_requested: int
    notices: tuple[str, ...]
    palette: np.ndarray
    counts: np.ndarray
    n_iter: int
    converged: bool
    inertia: tuple[float, ...]  # at the start of each round, then at the end
    n_pixels: int
    seconds: float  # from the first round to the last copy made, on the clock
    kmeans_seconds: float
    png_seconds: float  # at the same time as measuring
    measure_seconds: float
    psnr: float
    delta_e: float
    delta_e_p99: float
    lost_hue: float
    alpha_mse: float | None  # the transparency's error, for images that have some
    looks: Level
    input_bytes: int
    png: bytes
    teaching_bits: tuple[int, int]
    shown: bytes  # the redrawn photo at display size, palette colours kept exactly
    small: bytes  # a thumbnail for the comparison grid
    focus: tuple[float, float]  # where it differs most, as fractions of width and height
    label_map: bytes | None  # display pixels' palette indices, if ``shown`` does not hold them
    sample_colours: np.ndarray
    sample_labels: np.ndarray
    close_up: CloseUp  # full-size pixels around ``focus``


def run_bytes(run: PhotoRun) -> int:
    copies = len(run.png) + len(run.shown) + len(run.small)
    copies += len(run.label_map or b"")
    return copies + run.close_up.n_bytes


def zoom_window(focus: tuple[float, float], side: int, width: int, height: int) -> tuple[int, int]:
    """Left and top of the ``side``-pixel square centred on ``focus``, kept inside the photo."""
    left = min(max(0, round(focus[0] * width - side / 2)), width - side)
    top = min(max(0, round(focus[1] * height - side / 2)), height - side)
    return left, top


@dataclass(frozen=True)
class CloseUp:
    """The full-size pixels of the widest close-up window at the run's focus, cut when it is made.

    The close-up opens at the focus, so a visitor who does not click never makes the page decode
    the photo or the PNG again. Without it, a class of 30 visitors made the stores let them go,
    and every K change queued two silent full-size decodes behind the other visitors' work. Any
    narrower window at the same focus lies inside this one (:func:`zoom_window` is monotonic).
    """

    left: int
    top: int
    original: np.ndarray  # (side, side, 3) uint8, the photo
    redrawn: np.ndarray  # the same pixels as the PNG holds them

    @property
    def n_bytes(self) -> int:
        return self.original.nbytes + self.redrawn.nbytes

    def crops(self, left: int, top: int, side: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The original's and the PNG's pixels in that window, or None if it is not in here."""
        x, y = left - self.left, top - self.top
        held = self.original.shape[0]
        if min(x, y) < 0 or max(x, y) + side > held:
            return None
        window = np.s_[y : y + side, x : x + side]
        return self.original[window], self.redrawn[window]


def close_up_at(
    focus: tuple[float, float], photo: LoadedImage, result: QuantizeResult, png: bytes
) -> CloseUp:
    """The widest close-up window at ``focus``: the photo's pixels and the PNG's colours there.

    Opaque, the PNG's colours are the palette's, looked up by label. With transparency the PNG
    may order and merge its entries differently (every fully transparent pixel shares one), so
    its colours are read from the file itself, once, here in the queue, instead of at every
    rerun of the page.
    """
    side = min(ZOOMED_SIDE // min(ZOOM_STEPS), photo.width, photo.height)
    left, top = zoom_window(focus, side, photo.width, photo.height)
    window = np.s_[top : top + side, left : left + side]
    if photo.alpha is None:
        redrawn = result.palette[result.labels[window]]
    else:
        indices, palette = indices_and_palette(png)
        redrawn = palette[indices[window]]
    return CloseUp(left, top, photo.rgb[window].copy(), redrawn)


#: Runs: their PNG and display copies (about 9 MB at 12 MP), so a few 40 MP runs cannot crowd
#: out memory, and a class of visitors each keeps its last few.
MAX_RUNS, MAX_RUN_BYTES = 32, 200_000_000


@st.cache_resource(max_entries=1, show_spinner=False)
def run_store() -> Store:
    return Store(max_items=MAX_RUNS, max_bytes=MAX_RUN_BYTES, size_of=run_bytes)


def photo_run(
    digest: str, k: int, settings: Settings, _data: bytes, _progress: Progress | None = None
) -> PhotoRun:
    """The photo quantised to ``k`` colours and measured; ``_progress(fraction, words)``."""
    return run_store().get_or_make(
        (digest, k, settings),
        lambda: _quantized(digest, k, settings, _data, _progress),
        _progress,
    )


def _quantized(
    digest: str, k: int, settings: Settings, _data: bytes, _progress: Progress | None
) -> PhotoRun:
    report = _progress or (lambda fraction, words: None)

    def each_round(round_number: int, most: int, inertia: float) -> None:
        typical = (inertia / max(1, colours.counts.sum())) ** 0.5
        report(
            round_number / most,
            f"K-Means round {round_number} of at most {most} · typical colour error "
            f"{typical:.1f} levels",
        )

    # One turn of the queue for all of this photo's full-size work, so a visitor waiting for
    # their turn holds no counts or working arrays (30 at once peaked at 5 GB otherwise).
    with full_size_work()(report):
        photo = loaded_photo(digest, _data, report)
        colours = counted_colours(digest, _data, report)
        original = original_at_display_size(digest, _data)
        report(0.0, "Choosing the colours…")
        started = time.perf_counter()
        compression = compress(
            photo, k, settings, progress=each_round, colours=colours, optimize_png=False
        )
        result = compression.result
        kmeans_seconds = time.perf_counter() - started
        report(1.0, "Writing the PNG and measuring the quality…")
        # zlib lets go of the GIL, so the PNG is written on the other core while the quality
        # is measured and the display copies are made: a tenth of a second off every new K.
        with ThreadPoolExecutor(max_workers=1) as writer:
            png_job = writer.submit(_timed, lambda: compression.png)
            measuring = time.perf_counter()
            psnr, seen = compression.psnr, compression.perceptual
            measure_seconds = time.perf_counter() - measuring
            display = _display_copies(result, original)
            png, png_seconds = png_job.result()
        seconds = time.perf_counter() - started
        close_up = close_up_at(display["focus"], photo, result, png)
    sample_colours, sample_labels = sampled_pixels(photo, result.labels)
    return PhotoRun(
        k=result.k,
        k_requested=result.k_requested,
        notices=result.notices,
        palette=result.palette,
        counts=result.counts,
        n_iter=result.kmeans.n_iter,
        converged=result.kmeans.converged,
        inertia=(*result.kmeans.inertia_history, result.kmeans.inertia),
        n_pixels=int(result.counts.sum()),
        seconds=seconds,
        kmeans_seconds=kmeans_seconds,
        png_seconds=png_seconds,
        measure_seconds=measure_seconds,
        psnr=psnr,
        delta_e=seen.delta_e,
        delta_e_p99=seen.delta_e_p99,
        lost_hue=seen.lost_hue,
        alpha_mse=None if photo.alpha is None else compression.alpha_mse,
        looks=compression.closeness,
        input_bytes=compression.input_bytes,
        png=png,
        teaching_bits=compression.teaching_bits,
        sample_colours=sample_colours,
        sample_labels=sample_labels,
        close_up=close_up,
        **display,
    )


def _timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    return work(), time.perf_counter() - started


def _display_copies(result: QuantizeResult, original: DisplayOriginal) -> dict:
    """The redrawn photo, its thumbnail, where it differs most, and the label map, at display size.

    Only the label map is scaled (nearest pixel), and the colours looked up after: the same
    pixels as scaling the full-size redrawing, without building it as an image first. The
    error heatmap is not made here but when someone turns it on (:func:`heat_overlay_of`).
    """
    labels = _nearest_scaled(result.labels)
    alpha = None if result.image_alpha is None else _nearest_scaled(result.image_alpha)
    if alpha is None:
        # Opaque: an indexed PNG of the labels, the exact colours in a third of the bytes.
        indexed = images.indexed_image(labels, result.palette)
        shown, exact = images.png_bytes(indexed), indexed.convert("RGB")
    else:
        exact = images.full_image(result.palette[labels], alpha)
        shown = images.encoded(exact)
    return {
        "shown": shown,
        "small": images.encoded(images.scaled(exact, GRID_WIDTH)),
        "focus": worst_region_of(original.oklab, srgb_to_oklab(result.palette), labels),
        # Opaque, ``shown`` is itself an indexed PNG of the labels: no second copy to write.
        "label_map": images.png_bytes(labels) if alpha is not None else None,
    }


def _nearest_scaled(plane: np.ndarray) -> np.ndarray:
    return np.asarray(images.scaled(Image.fromarray(plane), SHOWN_WIDTH, exact=True))


@st.cache_data(max_entries=32, ttl=ONE_HOUR, show_spinner=False)
def run_ssim(digest: str, k: int, settings: Settings, _data: bytes, _png: bytes) -> float:
    """SSIM of the downloadable PNG against the full-size photo, measured only when asked for.

    It is the slowest of the measures (over a second at 18 MP) and the page does not lead with
    it, so it is not part of every run. The PNG is decoded, so it judges exactly the file.
    """
    photo = loaded_photo(digest, _data)
    if photo.alpha is None:  # the close-up above has decoded this PNG already
        indices, palette = png_pixels((digest, k, settings), _png)
        with full_size_work()():
            return ssim_of(photo, palette[indices], None)
    with full_size_work()(), Image.open(io.BytesIO(_png)) as file:
        drawn = np.asarray(file.convert("RGBA"))
        return ssim_of(photo, drawn[..., :3], drawn[..., 3])


#: ΔE_OK at which the heatmap is fully red: far beyond "just noticeable" (2).
HEAT_FULL = 12.0


#: Steps of the heatmap's colour scale: finer than the eye tells apart in a see-through red, and
#: few enough for an indexed PNG of one byte per pixel (a quarter of the bytes of RGBA).
HEAT_STEPS = 32


def heat_overlay(delta_e: np.ndarray) -> bytes:
    """ΔE_OK as a see-through PNG overlay: clear where it looks the same, red where it differs."""
    step = np.rint(np.clip(delta_e / HEAT_FULL, 0, 1) * (HEAT_STEPS - 1)).astype(np.uint8)
    strength = np.linspace(0, 1, HEAT_STEPS)
    colours = np.zeros((HEAT_STEPS, 4), dtype=np.uint8)
    colours[:, 0] = 255
    colours[:, 1] = (200 * (1 - strength)).astype(np.uint8)
    colours[:, 3] = (230 * np.sqrt(strength)).astype(np.uint8)
    return images.indexed_png(step, colours)


def display_labels(run: PhotoRun) -> np.ndarray:
    """The palette index of each display pixel, read back from the run's display copy."""
    with Image.open(io.BytesIO(run.label_map or run.shown)) as labels:
        return np.asarray(labels)


#: Highlighting one colour: every other pixel darkened, the colour's own left clear.
DIMMED, CLEAR = (0, 0, 0, 200), (0, 0, 0, 0)


@st.cache_data(max_entries=16, ttl=ONE_HOUR, show_spinner=False)
def highlight_overlay_of(
    digest: str, k: int, settings: Settings, colour: int, _run: PhotoRun
) -> bytes:
    """Every display pixel not drawn with palette colour ``colour`` dimmed, as a PNG: made
    once per run and colour (it decoded the display copy again at every rerun while a colour
    was highlighted, about 10 ms each)."""
    is_colour = (display_labels(_run) == colour).astype(np.uint8)
    return images.indexed_png(is_colour, np.array([DIMMED, CLEAR]))


@st.cache_data(max_entries=8, ttl=ONE_HOUR, show_spinner=False)
def heat_overlay_of(digest: str, k: int, settings: Settings, _data: bytes, _run: PhotoRun) -> bytes:
    """Where it differs, as a see-through PNG: made when someone turns it on, once per run.

    Made at every new K before, it cost 40-70 ms of each (measured in the server on a 4 MP
    photo), for an overlay most visitors never open.
    """
    original = original_at_display_size(digest, _data)
    palette = srgb_to_oklab(_run.palette)
    return heat_overlay(delta_e_ok_of_labels(original.oklab, palette, display_labels(_run)))


#: worst_region searches cells of about this many pixels' width a side, at least one pixel.
REGION_CELLS_ACROSS = 256


def worst_region_of(
    original: np.ndarray, palette: np.ndarray, labels: np.ndarray
) -> tuple[float, float]:
    """:func:`worst_region` of the ΔE_OK of ``palette[labels]`` against the Oklab planes
    ``original``, measured at one pixel of each of its cells.

    A window averages about a thousand cells, so one pixel each places it as well as all of
    them (within 1% of the best window's mean on photos of 0.3-18 MP), at a tenth of the cost.
    """
    cell = max(1, min(labels.shape) // REGION_CELLS_ACROSS)
    sparse = delta_e_ok_of_labels(original[:, ::cell, ::cell], palette, labels[::cell, ::cell])
    return worst_region(sparse)


def worst_region(delta_e: np.ndarray, side_fraction: float = 0.12) -> tuple[float, float]:
    """Centre (as fractions) of the square window where the mean ΔE_OK is largest.

    The window's side is ``side_fraction`` of the picture's shorter side. It is searched on the
    means of small square cells (4 px a side on the 1,400-px view), not every pixel: that places
    a window of 120 px to within one cell, in a tenth of the time.
    """
    height, width = delta_e.shape
    cell = max(1, min(height, width) // REGION_CELLS_ACROSS)
    rows, columns = height // cell, width // cell
    cells = (
        delta_e[: rows * cell, : columns * cell]
        .reshape(rows, cell, columns, cell)
        .sum(axis=3)
        .sum(axis=1, dtype=np.float64)
    )
    side = max(1, int(min(rows, columns) * side_fraction))
    sums = np.pad(cells, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    window = sums[side:, side:] - sums[:-side, side:] - sums[side:, :-side] + sums[:-side, :-side]
    top, left = np.unravel_index(np.argmax(window), window.shape)
    return (left + side / 2) * cell / width, (top + side / 2) * cell / height


def sampled_pixels(photo: LoadedImage, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most PLOT_POINTS visible pixels, drawn at random with a fixed seed, and their labels."""
    rng = np.random.default_rng(0)
    picked = rng.integers(0, photo.n_pixels, size=min(PLOT_POINTS, photo.n_pixels))
    if photo.alpha is not None:
        picked = picked[is_opaque(photo.alpha.reshape(-1)[picked])]
    return photo.rgb.reshape(-1, 3)[picked], labels.reshape(-1)[picked]


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def png_pixels(run_key: tuple, _png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The redrawn photo as its PNG file holds it: a palette index per pixel, and the palette.

    Decoded once per run, not at every move of the zoom; ``run_key`` names the PNG so the cache
    need not hash its megabytes at every rerun.
    """
    with full_size_work()():
        indices, palette = indices_and_palette(_png)
    indices.flags.writeable = palette.flags.writeable = False  # shared by every visitor
    return indices, palette


def indices_and_palette(png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """An indexed PNG's palette index per pixel, and its palette's RGB colours."""
    with Image.open(io.BytesIO(png)) as redrawn:
        indices = np.asarray(redrawn)
        palette = np.asarray(redrawn.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
    return indices, palette


@st.cache_data(max_entries=4, ttl=ONE_HOUR, show_spinner=False)
def lesson_pixels(digest: str, _data: bytes) -> np.ndarray:
    """The lesson's small copy of the photo: (h, w, 3) uint8, at most LESSON_SIDE a side."""
    photo = loaded_photo(digest, _data)
    small = Image.fromarray(photo.rgb)
    small.thumbnail((LESSON_SIDE, LESSON_SIDE), Image.Resampling.BOX)
    return np.asarray(small)

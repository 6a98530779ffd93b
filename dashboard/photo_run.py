"""One K-Means run as the page shows it (:class:`PhotoRun`), and how one is made (:func:`make_run`);
and the preview shown while it is on its way (:class:`Preview`, :func:`make_preview`).

A run is small enough to keep many of: the full-resolution pixels stay out. It holds the
indexed PNG (the download), copies scaled to display size, a sample of pixels for the 3D plot,
the close-up's pixels and the numbers. A preview is K-Means on the photo at display size: a
picture only, with no file and no numbers, which come from the full-size run alone. Nothing
here calls Streamlit: ``dashboard/compute.py`` decides what is cached and queued, and calls
these in the queue's workers.
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dashboard import images
from dashboard.closeup import CloseUp, close_up_at, worst_region_of
from dashboard.layout import GRID_WIDTH, PLOT_POINTS, SHOWN_WIDTH
from dashboard.work_queue import Progress
from kmeans import ColourCounts, LoadedImage, QuantizeResult, Settings, compress, quantize
from kmeans.closeness import Level, closeness_as_shown
from kmeans.encode import is_opaque
from kmeans.oklab import srgb_to_oklab
from kmeans.pipeline import Compression


@dataclass(frozen=True)
class DisplayOriginal:
    """The photo at display size (box-filtered), and its colours in Oklab for the heatmap."""

    rgb: np.ndarray  # (h, w, 3) uint8
    oklab: np.ndarray  # (3, h, w) float32: the L, a and b planes
    alpha: np.ndarray | None = None  # (h, w) uint8, for a photo with transparency


def display_original(photo: LoadedImage) -> DisplayOriginal:
    """What every run of this photo is compared with on screen; read-only, to be shared."""
    alpha = None
    if photo.alpha is None:
        rgb = np.asarray(images.scaled(Image.fromarray(photo.rgb), SHOWN_WIDTH))
    else:
        # Scaled as RGBA, which Pillow averages premultiplied, so hidden colours do not bleed in.
        rgba = np.asarray(images.scaled(images.full_image(photo.rgb, photo.alpha), SHOWN_WIDTH))
        rgb, alpha = np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])
        alpha.flags.writeable = False
    # Planes of float32: ample for a heatmap, and read a plane at a time at every new K.
    oklab = np.ascontiguousarray(
        srgb_to_oklab(rgb.reshape(-1, 3)).T.reshape(3, *rgb.shape[:2]), dtype=np.float32
    )
    rgb.flags.writeable = oklab.flags.writeable = False
    return DisplayOriginal(rgb, oklab, alpha)


@dataclass(frozen=True)
class DisplayCopies:
    """The redrawn photo at display size, its thumbnail, and where it differs most."""

    shown: bytes  # the split view's picture, the palette's colours kept exactly
    small: bytes  # a thumbnail for the comparison grid
    focus: tuple[float, float]  # where it differs most, as fractions of width and height
    label_map: bytes | None  # display pixels' palette indices, if ``shown`` does not hold them

    @property
    def n_bytes(self) -> int:
        return len(self.shown) + len(self.small) + len(self.label_map or b"")

    def labels(self) -> np.ndarray:
        """The palette index of each display pixel, read back from the PNG that holds them."""
        with Image.open(io.BytesIO(self.label_map or self.shown)) as labels:
            return np.asarray(labels)


@dataclass(frozen=True)
class Timings:
    """Seconds on the clock: the whole run, and its parts (the PNG is written while measuring)."""

    total: float
    kmeans: float
    png: float
    measuring: float


@dataclass(frozen=True)
class PlotSample:
    """Pixels drawn at random for the 3D plot, and the palette index each is drawn with."""

    colours: np.ndarray  # (n, 3) uint8
    labels: np.ndarray  # (n,)


@dataclass(frozen=True)
class PhotoRun:
    """Everything the page shows about one K-Means run."""

    k: int
    k_requested: int
    notices: tuple[str, ...]
    palette: np.ndarray
    counts: np.ndarray
    n_iters: int
    converged: bool
    inertia: tuple[float, ...]  # at the start of each round, then at the end
    n_pixels: int
    psnr: float
    delta_e: float
    delta_e_p99: float
    lost_hue: float
    alpha_mse: float | None  # the transparency's error, for images that have some
    looks: Level
    input_bytes: int
    png: bytes
    teaching_bits: tuple[int, int]
    timings: Timings
    display: DisplayCopies
    sample: PlotSample
    close_up: CloseUp  # full-size pixels around ``display.focus``

    @property
    def n_bytes(self) -> int:
        """What keeping the run costs: its files, copies and close-up."""
        return len(self.png) + self.display.n_bytes + self.close_up.n_bytes

    @property
    def shown(self) -> bytes:
        """The redrawn photo at display size, as the split view shows it."""
        return self.display.shown


@dataclass(frozen=True)
class Preview:
    """K-Means on the photo at display size, to look at while the full-size run waits its turn.

    A picture and nothing else: the file and every number come from the full-size run.
    """

    k: int
    shown: bytes  # as :attr:`PhotoRun.shown`, at ``width`` × ``height``
    width: int
    height: int

    @property
    def n_bytes(self) -> int:
        return len(self.shown)


#: A preview's rounds of K-Means at most: enough for its picture, and a visitor who asks for
#: hundreds of rounds does not hold up everyone else's previews.
PREVIEW_ROUNDS = 10


def make_preview(shown_photo: LoadedImage, k: int, settings: Settings, report: Progress) -> Preview:
    """``shown_photo`` (the photo at display size) quantised to ``k`` colours, as a picture."""
    report(0.0, "Making a preview…")
    rounds = min(settings.max_iters, PREVIEW_ROUNDS)
    result = quantize(shown_photo, k, dataclasses.replace(settings, max_iters=rounds))
    shown, _, _ = shown_picture(result.labels, result.palette, result.image_alpha)
    return Preview(result.k, shown, shown_photo.width, shown_photo.height)


def make_run(
    photo: LoadedImage,
    colours: ColourCounts,
    original: DisplayOriginal,
    k: int,
    settings: Settings,
    report: Progress,
) -> PhotoRun:
    """``photo`` quantised to ``k`` colours, written, measured and copied for display."""

    def each_round(round_number: int, most: int, inertia: float) -> None:
        typical = (inertia / max(1, colours.counts.sum())) ** 0.5
        report(
            round_number / most,
            f"K-Means round {round_number} of at most {most} · typical colour error "
            f"{typical:.1f} levels",
        )

    report(0.0, "Choosing the colours…")
    started = time.perf_counter()
    compression = compress(photo, k, settings, progress=each_round, colours=colours, optimisation=0)
    kmeans_seconds = time.perf_counter() - started
    report(1.0, "Writing the PNG and measuring the quality…")
    # zlib lets go of the GIL, so the PNG is written on the other core while the quality is
    # measured and the display copies are made.
    with ThreadPoolExecutor(max_workers=1) as writer:
        png_job = writer.submit(_timed, lambda: compression.png)
        _, measure_seconds = _timed(lambda: (compression.psnr, compression.perceptual))
        display = display_copies(compression.result, original)
        png, png_seconds = png_job.result()
    timings = Timings(time.perf_counter() - started, kmeans_seconds, png_seconds, measure_seconds)
    close_up = close_up_at(display.focus, photo, compression.result, png)
    return _run(compression, png, timings, display, close_up)


def _run(
    compression: Compression,
    png: bytes,
    timings: Timings,
    display: DisplayCopies,
    close_up: CloseUp,
) -> PhotoRun:
    result, photo = compression.result, compression.source
    seen = compression.perceptual
    return PhotoRun(
        k=result.k,
        k_requested=result.k_requested,
        notices=result.notices,
        palette=result.palette,
        counts=result.counts,
        n_iters=result.kmeans.n_iters,
        converged=result.kmeans.converged,
        inertia=(*result.kmeans.inertia_history, result.kmeans.inertia),
        n_pixels=int(result.counts.sum()),
        psnr=compression.psnr,
        delta_e=seen.delta_e,
        delta_e_p99=seen.delta_e_p99,
        lost_hue=seen.lost_hue,
        alpha_mse=None if photo.alpha is None else compression.alpha_mse,
        looks=closeness_as_shown(seen.delta_e, compression.psnr),
        input_bytes=compression.input_bytes,
        png=png,
        teaching_bits=compression.teaching_bits,
        timings=timings,
        display=display,
        sample=sampled_pixels(photo, result.labels),
        close_up=close_up,
    )


def _timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    return work(), time.perf_counter() - started


def display_copies(result: QuantizeResult, original: DisplayOriginal) -> DisplayCopies:
    """The redrawn photo, its thumbnail, where it differs most, and the label map, at display size.

    Only the label map is scaled (nearest pixel), and the colours looked up after: the same
    pixels as scaling the full-size redrawing, without building it as an image first.
    """
    labels = nearest_scaled(result.labels)
    alpha = None if result.image_alpha is None else nearest_scaled(result.image_alpha)
    shown, exact, label_map = shown_picture(labels, result.palette, alpha)
    return DisplayCopies(
        shown=shown,
        small=images.encoded(images.scaled(exact, GRID_WIDTH)),
        focus=worst_region_of(original.oklab, srgb_to_oklab(result.palette), labels),
        label_map=label_map,
    )


def shown_picture(
    labels: np.ndarray, palette: np.ndarray, alpha: np.ndarray | None
) -> tuple[bytes, Image.Image, bytes | None]:
    """Display-size labels drawn in the palette: the bytes sent to the browser, the picture
    itself, and the label map when those bytes do not hold the labels."""
    if alpha is None:
        # Opaque: an indexed PNG of the labels, the exact colours in a third of the bytes, and
        # itself the label map.
        indexed = images.indexed_image(labels, palette)
        return images.png_bytes(indexed), indexed.convert("RGB"), None
    exact = images.full_image(palette[labels], alpha)
    return images.encoded(exact), exact, images.png_bytes(labels)


def nearest_scaled(plane: np.ndarray) -> np.ndarray:
    """A full-size plane of labels or alpha at display size, each pixel a copy of one of them."""
    return np.asarray(images.scaled(Image.fromarray(plane), SHOWN_WIDTH, exact=True))


def sampled_pixels(photo: LoadedImage, labels: np.ndarray) -> PlotSample:
    """At most PLOT_POINTS visible pixels, drawn at random with a fixed seed, and their labels."""
    rng = np.random.default_rng(0)
    picked = rng.integers(0, photo.n_pixels, size=min(PLOT_POINTS, photo.n_pixels))
    if photo.alpha is not None:
        picked = picked[is_opaque(photo.alpha.reshape(-1)[picked])]
    return PlotSample(photo.rgb.reshape(-1, 3)[picked], labels.reshape(-1)[picked])

"""The page's cached work, in one place, so the caching policy can be read at a glance.

Every function here calls ``kmeans/`` (or :mod:`dashboard.photo_run`) and returns something
small and typed. Two rules:

* Heavy shared objects (decoded photos, colour counts) are resources: never copied or pickled,
  read-only, and few, because each can be hundreds of MB. They live in bounded stores
  (:class:`~dashboard.store.Store`), and all full-size work waits its turn in one queue
  (:class:`~dashboard.work_queue.WorkQueue`).
* Results are data: small frozen dataclasses, cached per (photo digest, K, settings).

Progress is passed in as a callback, so no cached function creates page elements itself.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import images
from dashboard.layout import LESSON_SIDE, SHOWN_WIDTH
from dashboard.overlays import heat_overlay, highlight_overlay
from dashboard.photo_run import DisplayOriginal, PhotoRun, display_original, make_run
from dashboard.store import Store
from dashboard.work_queue import Progress, WorkQueue
from kmeans import ColourCounts, KMeansError, LoadedImage, Settings, count_colours, load_image
from kmeans.codecs import CodecMatch, compare_codecs
from kmeans.oklab import srgb_to_oklab
from kmeans.optimise import lossless_webp, optimised_png
from kmeans.perceptual import PerceptualError, delta_e_ok, delta_e_ok_of_labels
from kmeans.pipeline import ssim_of

ONE_HOUR = "1h"

#: Decoded photos: five 12 MP photos, or one at the 40 MP limit (a store always keeps its newest).
MAX_PHOTO_BYTES = 200_000_000
#: Colour counts with the pixels they share: about 90 MB for a 12 MP photo, 290 MB at the limit.
MAX_COUNTS_BYTES = 300_000_000
#: Runs: their PNG and display copies (about 9 MB at 12 MP), so a few 40 MP runs cannot crowd
#: out memory, and a class of visitors each keeps its last few.
MAX_RUNS, MAX_RUN_BYTES = 32, 200_000_000


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


@st.cache_resource(max_entries=1, show_spinner=False)
def photo_store() -> Store:
    return Store(max_items=16, max_bytes=MAX_PHOTO_BYTES, size_of=photo_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def counts_store() -> Store:
    return Store(max_items=16, max_bytes=MAX_COUNTS_BYTES, size_of=counts_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def problem_store() -> Store:
    return Store(max_items=64, max_bytes=64 * 1000, size_of=len)


@st.cache_resource(max_entries=1, show_spinner=False)
def facts_store() -> Store:
    return Store(max_items=1024, max_bytes=1024, size_of=lambda _facts: 1)


@st.cache_resource(max_entries=1, show_spinner=False)
def run_store() -> Store:
    return Store(max_items=MAX_RUNS, max_bytes=MAX_RUN_BYTES, size_of=lambda run: run.n_bytes)


def loaded_photo(digest: str, _data: bytes, _progress: Progress | None = None) -> LoadedImage:
    """The decoded pixels, keyed on the bytes' digest; read-only, so safe to share."""

    def decode() -> LoadedImage:
        with full_size_work()(_progress):
            return load_image(_data)

    return photo_store().get_or_make(
        digest, decode, _progress, may_wait=not full_size_work().held_here()
    )


def photo_problem(digest: str, _data: bytes, _progress: Progress | None = None) -> str | None:
    """Why the upload cannot be read (one sentence), or None once it has been decoded.

    Both answers are remembered, so that no rerun decodes a file again, in the full-size queue,
    only to learn what is already known: a damaged 40 MP file, or a photo the store let go.
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

    A visitor's script keeps this for its whole run, waiting in the queue included, so the
    decoded pixels stay inside the stores' bounds meanwhile.
    """

    width: int
    height: int
    format: str
    n_bytes: int
    has_alpha: bool

    @property
    def n_pixels(self) -> int:
        return self.width * self.height


def photo_facts(digest: str, _data: bytes, _progress: Progress | None = None) -> PhotoFacts:
    """The photo's size and format, decoding it only the first time it is seen."""
    known = facts_store().get(digest)
    if known is None:
        photo = loaded_photo(digest, _data, _progress)
        has_alpha = photo.alpha is not None
        known = PhotoFacts(photo.width, photo.height, photo.format, photo.n_bytes, has_alpha)
        facts_store().put(digest, known)
    return known


def original_window(
    digest: str, _data: bytes, window: tuple[slice, slice], with_alpha: bool = False
) -> np.ndarray:
    """A copy of a window of the full-size photo, RGB or (``with_alpha``) RGBA, for a close
    look; the photo itself stays put."""
    photo = loaded_photo(digest, _data)
    if not with_alpha or photo.alpha is None:
        return photo.rgb[window].copy()
    return np.dstack([photo.rgb[window], photo.alpha[window]])


def counted_colours(digest: str, _data: bytes, _progress: Progress | None = None) -> ColourCounts:
    """The photo's distinct colours, counted once for every K tried on it."""
    photo = loaded_photo(digest, _data, _progress)

    def count() -> ColourCounts:
        with full_size_work()(_progress):
            return count_colours(photo)

    return counts_store().get_or_make(
        digest, count, _progress, may_wait=not full_size_work().held_here()
    )


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def original_at_display_size(digest: str, _data: bytes) -> DisplayOriginal:
    """What every run of this photo is compared with on screen, made once per photo, not per K."""
    photo = loaded_photo(digest, _data)
    with full_size_work()():  # full-size work, and heavy with many visitors at once
        return display_original(photo)


#: One per visitor of a class (a JPEG of a few hundred kB each), so that no K change decodes
#: the visitor's full photo again, in the queue, only to show the original.
@st.cache_data(max_entries=48, ttl=ONE_HOUR, show_spinner=False)
def shown_original(digest: str, _data: bytes) -> bytes:
    photo = loaded_photo(digest, _data)
    if photo.alpha is None:  # the copy every run is compared with, already scaled
        return images.encoded(Image.fromarray(original_at_display_size(digest, _data).rgb))
    return images.encoded(images.scaled(images.full_image(photo.rgb, photo.alpha), SHOWN_WIDTH))


def photo_run(
    digest: str, k: int, settings: Settings, _data: bytes, _progress: Progress | None = None
) -> PhotoRun:
    """The photo quantised to ``k`` colours and measured; ``_progress(fraction, words)``."""

    def make() -> PhotoRun:
        report = _progress or (lambda fraction, words: None)
        # One turn of the queue for all of this photo's full-size work, so a visitor waiting
        # for their turn holds no counts or working arrays.
        with full_size_work()(report):
            photo = loaded_photo(digest, _data, report)
            colours = counted_colours(digest, _data, report)
            original = original_at_display_size(digest, _data)
            return make_run(photo, colours, original, k, settings, report)

    return run_store().get_or_make((digest, k, settings), make, _progress)


@st.cache_data(max_entries=32, ttl=ONE_HOUR, show_spinner=False)
def run_ssim(digest: str, k: int, settings: Settings, _data: bytes, _png: bytes) -> float:
    """SSIM of the downloadable PNG against the full-size photo, measured only when asked for.

    It is the slowest of the measures and the page does not lead with it, so it is not part of
    every run. The PNG is decoded, so it judges exactly the file.
    """
    photo = loaded_photo(digest, _data)
    if photo.alpha is None:  # the close-up may have decoded this PNG already
        indices, palette = png_pixels((digest, k, settings), _png)
        with full_size_work()():
            return ssim_of(photo, palette[indices, :3], None)
    with full_size_work()():
        drawn = images.decoded_rgba(_png)
        return ssim_of(photo, drawn[..., :3], drawn[..., 3])


@st.cache_data(max_entries=16, ttl=ONE_HOUR, show_spinner=False)
def highlight_overlay_of(
    digest: str, k: int, settings: Settings, colour: int, _run: PhotoRun
) -> bytes:
    """The overlay that leaves palette colour ``colour`` alone lit, once per run and colour."""
    return highlight_overlay(_run.display.labels(), colour)


@st.cache_data(max_entries=8, ttl=ONE_HOUR, show_spinner=False)
def heat_overlay_of(digest: str, k: int, settings: Settings, _data: bytes, _run: PhotoRun) -> bytes:
    """Where it differs, as a see-through PNG: made when someone turns it on, once per run.

    With transparency, the ΔE_OK of each pixel as seen, over white and over black, the worse:
    the same measure as the numbers (see :mod:`kmeans.perceptual`).
    """
    original = original_at_display_size(digest, _data)
    if original.alpha is None:
        palette = srgb_to_oklab(_run.palette)
        return heat_overlay(delta_e_ok_of_labels(original.oklab, palette, _run.display.labels()))
    shown = images.decoded_rgba(_run.display.shown)
    return heat_overlay(delta_e_ok(original.rgb, shown[..., :3], original.alpha, shown[..., 3]))


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def png_pixels(run_key: tuple, _png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The redrawn photo as its PNG file holds it: a palette index per pixel, and the palette
    (RGBA).

    Decoded once per run, not at every move of the zoom; ``run_key`` names the PNG so the cache
    need not hash its megabytes at every rerun.
    """
    with full_size_work()():
        indices, palette = images.indices_and_palette(_png)
    indices.flags.writeable = palette.flags.writeable = False  # shared by every visitor
    return indices, palette


@st.cache_data(max_entries=4, ttl=ONE_HOUR, show_spinner=False)
def lesson_pixels(digest: str, _data: bytes) -> np.ndarray:
    """The lesson's small copy of the photo: (h, w, 3) uint8, at most LESSON_SIDE a side."""
    photo = loaded_photo(digest, _data)
    small = Image.fromarray(photo.rgb)
    small.thumbnail((LESSON_SIDE, LESSON_SIDE), Image.Resampling.BOX)
    return np.asarray(small)


# -------------------------------------------------------------------- the files and their sizes


@dataclass(frozen=True)
class LosslessFiles:
    """The downloads: the run's pixels as the optimised PNG and as a lossless WebP."""

    png: bytes
    webp: bytes

    @property
    def sizes(self) -> dict[str, int]:
        return {"png": len(self.png), "webp": len(self.webp)}

    @property
    def smaller(self) -> str:
        """'png' or 'webp', whichever is fewer bytes (PNG on a tie: it opens everywhere)."""
        return "webp" if len(self.webp) < len(self.png) else "png"


@st.cache_data(max_entries=16, ttl=ONE_HOUR, show_spinner=False)
def lossless_files(digest: str, k: int, settings: Settings, _png: bytes) -> LosslessFiles:
    """The optimised PNG and the lossless WebP of the run's PNG, made after its picture shows.

    Made from the run's quick PNG, whose pixels they keep exactly, in the full-size queue: on a
    4 MP photo they take about a second, which a new K need not wait for.
    """
    with full_size_work()():
        indices, palette, alphas = images.indexed_pixels_of(_png)
        return LosslessFiles(
            optimised_png(palette, indices, palette_alpha=alphas),
            lossless_webp(palette, indices, palette_alpha=alphas),
        )


@dataclass(frozen=True)
class CodecComparison:
    """Each lossy codec at the run's closeness, and the JPEG's picture for the split view."""

    matches: tuple[CodecMatch, ...]
    jpeg_shown: bytes | None  # the JPEG at display size, as the split view's left side

    @property
    def n_bytes(self) -> int:
        files = sum(m.n_bytes or 0 for m in self.matches)
        return files + len(self.jpeg_shown or b"")


@st.cache_resource(max_entries=1, show_spinner=False)
def codec_store() -> Store:
    return Store(max_items=16, max_bytes=64_000_000, size_of=lambda found: found.n_bytes)


def codec_comparison(
    digest: str,
    k: int,
    settings: Settings,
    _data: bytes,
    _run: PhotoRun,
    _progress: Progress | None = None,
) -> CodecComparison:
    """The smallest JPEG, WebP and AVIF as close as the run, once per photo and K, on demand."""

    def compare() -> CodecComparison:
        photo = loaded_photo(digest, _data, _progress)
        target = PerceptualError(_run.delta_e, _run.delta_e_p99, _run.lost_hue)
        with full_size_work()(_progress):
            matches = compare_codecs(photo.rgb, target, alpha=photo.alpha, progress=_progress)
        jpeg = next((m for m in matches if m.codec == "jpeg" and m.reached), None)
        shown = None
        if jpeg is not None:
            with Image.open(io.BytesIO(jpeg.data)) as decoded:
                shown = images.png_bytes(images.scaled(decoded.convert("RGB"), SHOWN_WIDTH))
        return CodecComparison(matches, shown)

    return codec_store().get_or_make((digest, k, settings), compare, _progress)


def compared_codecs(digest: str, k: int, settings: Settings) -> CodecComparison | None:
    """The comparison if it was already made, else None: the split view never waits for it."""
    return codec_store().get((digest, k, settings))

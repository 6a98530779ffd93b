"""The page's work, in one place, so what is queued and what is cached can be read at a glance.

Every function here calls ``kmeans/`` (or :mod:`dashboard.photo_run`) and returns something
small and typed. Three rules:

* **Two queues, one job at a time each** (:class:`~dashboard.work_queue.WorkQueue`). The
  *quick* queue reads photos at display size (a JPEG decoded at a reduced scale), makes the
  previews, and does all the work on photos no larger than a display copy. The *full-size*
  queue decodes photos at full size, counts their colours and makes the runs behind every
  download and number. So a visitor's first look at a new photo or K comes in about a second,
  as a preview, even while a class's full-size work queues up.
* **Heavy shared objects** (decoded photos, colour counts) are read-only, never copied or
  pickled, and few, because each can be hundreds of MB: they live in bounded stores
  (:class:`~dashboard.store.Store`), used by the queues' workers alone.
* **Results are data**: small frozen dataclasses, stored per (photo digest, K, settings).

A visitor's script only waits: the queues' workers do the work, so progress reaches the page
through a callback, ``_progress(fraction, words)``, and no function here draws on the page.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import images
from dashboard.layout import LESSON_SIDE, SHOWN_WIDTH
from dashboard.overlays import heat_overlay, highlight_overlay
from dashboard.photo_run import (
    DisplayOriginal,
    PhotoRun,
    Preview,
    display_original,
    make_preview,
    make_run,
)
from dashboard.store import Store
from dashboard.stores import (
    codec_store,
    counts_store,
    facts_store,
    lossless_store,
    original_store,
    photo_bytes,
    photo_store,
    preview_store,
    problem_store,
    run_store,
    shown_photo_store,
)
from dashboard.work_queue import Progress, Ticket, WorkQueue
from kmeans import ColourCounts, KMeansError, LoadedImage, Settings, count_colours, load_image
from kmeans.codecs import CodecMatch, compare_codecs
from kmeans.io import load_image_reduced
from kmeans.oklab import srgb_to_oklab
from kmeans.optimise import lossless_webp, optimised_png
from kmeans.perceptual import PerceptualError, delta_e_ok, delta_e_ok_of_labels
from kmeans.pipeline import ssim_of

ONE_HOUR = "1h"

#: A photo with no more pixels than a 4:3 display copy is worked on whole in the quick queue:
#: at its full size it costs about what a preview of a larger photo does.
QUICK_PIXELS = SHOWN_WIDTH * SHOWN_WIDTH * 3 // 4

#: With nothing ahead, a photo needs this many display copies' worth of pixels for a preview
#: to come well before its full-size result: at 4 MP the preview costs about as much.
PREVIEW_WORTH = 4


@st.cache_resource(max_entries=1, show_spinner=False)
def quick_work() -> WorkQueue:
    """The queue for photos read at display size, previews, and small photos' runs."""
    return WorkQueue()


@st.cache_resource(max_entries=1, show_spinner=False)
def full_size_work() -> WorkQueue:
    """The queue for full-size work: decoding, counting, runs, SSIM. It yields to the quick
    queue, so that under load every visitor's first picture comes first."""
    return WorkQueue(yields_to=quick_work())


def waiting(
    queue: WorkQueue,
    key: Hashable,
    make: Callable[[Progress], Any],
    report: Progress | None,
    later: bool = False,
) -> Any:
    """``make``'s result, made by ``queue``'s worker, while this visitor's script waits;
    ``later``: an extra, made once no visitor's picture waits (see WorkQueue)."""
    with asked(queue, key, make, later=later) as ticket:
        return ticket.wait(report)


def stored_or_queued(
    store: Store,
    key: Hashable,
    queue: WorkQueue,
    job: Hashable,
    make: Callable[[Progress], Any],
    report: Progress | None,
    later: bool = False,
) -> Any:
    """``store``'s value for ``key``, or else ``make``'s, made by ``queue``'s worker as ``job``
    while this visitor's script waits; ``make`` stores what it makes, so the next rerun (or
    another visitor) finds it without queueing."""
    known = store.get(key)
    if known is not None:
        return known
    return waiting(queue, job, make, report, later)


class ScriptTicket:
    """This visitor's script's place in a queue: how many come first, and the wait."""

    def __init__(self, ticket: Ticket, check: Callable[[], None] | None) -> None:
        self.ticket, self.check = ticket, check

    def ahead(self) -> int:
        return self.ticket.ahead()

    def wait(self, report: Progress | None) -> Any:
        return self.ticket.wait(report, self.check)


@contextmanager
def asked(
    queue: WorkQueue, key: Hashable, make: Callable[[Progress], Any], later: bool = False
) -> Iterator[ScriptTicket]:
    """This visitor's place in ``queue`` for ``make``'s result, held until the block ends.

    Streamlit stops a script when its visitor changes a setting or closes the tab, and says so
    through the run's own check, the one its cached functions poll while they wait; polled
    here too, it withdraws the script from the queue, and a job nobody waits for is dropped.
    """
    script = get_script_run_ctx(suppress_warning=True)
    visitor = None if script is None else script.session_id  # None: a bench script, a test
    with queue.asked(key, make, visitor=visitor, later=later) as ticket:
        yield ScriptTicket(ticket, None if script is None else script.yield_check)


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# In the queues' workers -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownPhoto:
    """The photo at display size (box-filtered from a reduced decode), the copy of it the split
    view shows, and the size of the full photo."""

    image: LoadedImage
    original: bytes  # a PNG with transparency, else a high-quality JPEG
    full_width: int
    full_height: int

    @property
    def n_bytes(self) -> int:
        return photo_bytes(self.image) + len(self.original)


def _shown_photo(digest: str, data: bytes) -> ShownPhoto:
    """The photo at display size, read once for the facts, the original's copy and previews."""

    def read() -> ShownPhoto:
        reduced = load_image_reduced(data, SHOWN_WIDTH)
        width, height = images.scaled_size(reduced.full_width, reduced.full_height, SHOWN_WIDTH)
        small = reduced.image
        if (small.width, small.height) != (width, height):
            rgb = np.asarray(Image.fromarray(small.rgb).resize((width, height), Image.BOX))
            alpha = small.alpha
            if alpha is not None:  # kept even if the box filter made it opaque: the photo is not
                alpha = np.asarray(Image.fromarray(alpha).resize((width, height), Image.BOX))
            small = LoadedImage(rgb, alpha, small.format, small.n_bytes)
        original = images.encoded(images.full_image(small.rgb, small.alpha))
        return ShownPhoto(small, original, reduced.full_width, reduced.full_height)

    return shown_photo_store().get_or_make(digest, read)


def _full_photo(digest: str, data: bytes) -> LoadedImage:
    return photo_store().get_or_make(digest, lambda: load_image(data))


def _colours(digest: str, data: bytes) -> ColourCounts:
    photo = _full_photo(digest, data)
    return counts_store().get_or_make(digest, lambda: count_colours(photo))


def _original(digest: str, data: bytes) -> DisplayOriginal:
    """What every run of this photo is compared with on screen, made once per photo."""
    return original_store().get_or_make(
        digest, lambda: display_original(_shown_photo(digest, data).image)
    )


def _make_run(digest: str, k: int, settings: Settings, data: bytes, report: Progress) -> PhotoRun:
    report(0.0, "Reading the photo at full size…")
    photo = _full_photo(digest, data)
    report(0.0, "Counting the photo's colours…")
    colours = _colours(digest, data)
    run = make_run(photo, colours, _original(digest, data), k, settings, report)
    run_store().put((digest, k, settings), run)
    return run


# What the page asks for --------------------------------------------------------------------------


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


def shown_photo(digest: str, _data: bytes, _progress: Progress | None = None) -> ShownPhoto:
    """The photo at display size, read in the quick queue unless it is stored already."""
    return stored_or_queued(
        shown_photo_store(),
        digest,
        quick_work(),
        ("read", digest),
        lambda _: _shown_photo(digest, _data),
        _progress,
    )


def photo_facts(digest: str, _data: bytes, _progress: Progress | None = None) -> PhotoFacts:
    """The photo's size and format, read (at display size, in the quick queue) once."""
    known = facts_store().get(digest)
    if known is None:
        shown = shown_photo(digest, _data, _progress)
        image = shown.image
        known = PhotoFacts(
            shown.full_width,
            shown.full_height,
            image.format,
            image.n_bytes,
            image.alpha is not None,
        )
        facts_store().put(digest, known)
    return known


def photo_problem(digest: str, _data: bytes, _progress: Progress | None = None) -> str | None:
    """Why the upload cannot be read (one sentence), or None once it has been read.

    Both answers are remembered, so that no rerun reads a file again only to learn what is
    already known.
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


def is_quick(facts: PhotoFacts) -> bool:
    """Whether the photo is small enough to be worked on whole in the quick queue."""
    return facts.n_pixels <= QUICK_PIXELS


def loaded_photo(digest: str, _data: bytes, _progress: Progress | None = None) -> LoadedImage:
    """The decoded full-size pixels, read-only, so safe to share; decoded in the queue."""
    return stored_or_queued(
        photo_store(),
        digest,
        full_size_work(),
        ("decode", digest),
        lambda _: _full_photo(digest, _data),
        _progress,
    )


def original_window(
    digest: str, _data: bytes, window: tuple[slice, slice], with_alpha: bool = False
) -> np.ndarray:
    """A copy of a window of the full-size photo, RGB or (``with_alpha``) RGBA, for a close
    look; the photo itself stays put."""
    photo = loaded_photo(digest, _data)
    if not with_alpha or photo.alpha is None:
        return photo.rgb[window].copy()
    return np.dstack([photo.rgb[window], photo.alpha[window]])


def stored_run(digest: str, k: int, settings: Settings) -> PhotoRun | None:
    """The run, if it is already made: then the page needs to wait for nothing."""
    return run_store().get((digest, k, settings))


def photo_run(
    digest: str, k: int, settings: Settings, _data: bytes, _progress: Progress | None = None
) -> PhotoRun:
    """The photo quantised to ``k`` colours and measured; ``_progress(fraction, words)``."""
    known = stored_run(digest, k, settings)
    if known is not None:
        return known
    with pending_run(digest, k, settings, _data) as pending:
        return pending.wait(_progress)


@dataclass(frozen=True)
class PendingRun:
    """A run this visitor's script has asked for: whether its wait will be long, a preview to
    show meanwhile, and the run itself."""

    ticket: ScriptTicket
    digest: str
    k: int
    settings: Settings
    data: bytes
    quick: bool  # the photo is small enough for the quick queue

    @property
    def long(self) -> bool:
        """Whether other work comes first, or the photo must first be decoded and counted."""
        return self.ticket.ahead() > 0 or (
            not self.quick and counts_store().get(self.digest) is None
        )

    def preview(self, report: Progress | None) -> Preview | None:
        """The photo quantised at display size, or None when that would not come much sooner
        than the full-size result: a photo no larger, or a few times larger with nothing
        ahead of it."""
        if self.quick:
            return None
        pixels = photo_facts(self.digest, self.data).n_pixels
        if pixels < PREVIEW_WORTH * QUICK_PIXELS and self.ticket.ahead() == 0:
            return None
        return photo_preview(self.digest, self.k, self.settings, self.data, report)

    def wait(self, report: Progress | None) -> PhotoRun:
        return self.ticket.wait(report)


@contextmanager
def pending_run(digest: str, k: int, settings: Settings, _data: bytes) -> Iterator[PendingRun]:
    """The run asked for (in the quick queue for a small photo, else the full-size one), so it
    goes on while the visitor's script does something else first, such as the preview."""
    quick = is_quick(photo_facts(digest, _data))

    def make(report: Progress) -> PhotoRun:
        return _make_run(digest, k, settings, _data, report)

    queue = quick_work() if quick else full_size_work()
    with asked(queue, ("run", digest, k, settings), make) as ticket:
        yield PendingRun(ticket, digest, k, settings, _data, quick)


def photo_preview(
    digest: str, k: int, settings: Settings, _data: bytes, _progress: Progress | None = None
) -> Preview:
    """K-Means on the photo at display size, in the quick queue: a picture, no numbers."""
    key = (digest, k, settings)

    def make(report: Progress) -> Preview:
        shown = _shown_photo(digest, _data).image
        return preview_store().get_or_make(key, lambda: make_preview(shown, k, settings, report))

    return stored_or_queued(preview_store(), key, quick_work(), ("preview", *key), make, _progress)


#: One per visitor of a class (a JPEG of a few hundred kB each), so that no K change reads the
#: visitor's photo again, in the queue, only to show the original.
@st.cache_data(max_entries=48, ttl=ONE_HOUR, show_spinner=False)
def shown_original(digest: str, _data: bytes) -> bytes:
    """The original as the split view shows it: the photo at display size."""
    return shown_photo(digest, _data).original


@st.cache_data(max_entries=32, ttl=ONE_HOUR, show_spinner=False)
def run_ssim(digest: str, k: int, settings: Settings, _data: bytes, _png: bytes) -> float:
    """SSIM of the downloadable PNG against the full-size photo, measured only when asked for.

    It is the slowest of the measures and the page does not lead with it, so it is not part of
    every run. The PNG is decoded, so it judges exactly the file.
    """

    def measure(_: Progress) -> float:
        photo = _full_photo(digest, _data)
        if photo.alpha is None:
            indices, palette = images.indices_and_palette(_png)
            return ssim_of(photo, palette[indices, :3], None)
        drawn = images.decoded_rgba(_png)
        return ssim_of(photo, drawn[..., :3], drawn[..., 3])

    return waiting(full_size_work(), ("ssim", digest, k, settings), measure, None)


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

    def paint(_: Progress) -> bytes:
        original = _original(digest, _data)
        if original.alpha is None:
            palette = srgb_to_oklab(_run.palette)
            labels = _run.display.labels()
            return heat_overlay(delta_e_ok_of_labels(original.oklab, palette, labels))
        shown = images.decoded_rgba(_run.display.shown)
        seen = delta_e_ok(original.rgb, shown[..., :3], original.alpha, shown[..., 3])
        return heat_overlay(seen)

    return waiting(quick_work(), ("heat", digest, k, settings), paint, None)


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def png_pixels(run_key: tuple, _png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The redrawn photo as its PNG file holds it: a palette index per pixel, and the palette
    (RGBA).

    Decoded once per run, not at every move of the zoom; ``run_key`` names the PNG so the cache
    need not hash its megabytes at every rerun.
    """

    def decode(_: Progress) -> tuple[np.ndarray, np.ndarray]:
        indices, palette = images.indices_and_palette(_png)
        indices.flags.writeable = palette.flags.writeable = False  # shared by every visitor
        return indices, palette

    return waiting(full_size_work(), ("png pixels", *run_key), decode, None)


@st.cache_data(max_entries=4, ttl=ONE_HOUR, show_spinner=False)
def lesson_pixels(digest: str, _data: bytes) -> np.ndarray:
    """The lesson's small copy of the photo: (h, w, 3) uint8, at most LESSON_SIDE a side."""
    small = Image.fromarray(shown_photo(digest, _data).image.rgb)
    small.thumbnail((LESSON_SIDE, LESSON_SIDE), Image.Resampling.BOX)
    return np.asarray(small)


# -------------------------------------------------------------------- the files and their sizes


@dataclass(frozen=True)
class LosslessFiles:
    """The downloads: the run's pixels as the optimised PNG and as a lossless WebP."""

    png: bytes
    webp: bytes

    @property
    def n_bytes(self) -> int:
        return len(self.png) + len(self.webp)

    @property
    def sizes(self) -> dict[str, int]:
        return {"png": len(self.png), "webp": len(self.webp)}

    @property
    def smaller(self) -> str:
        """'png' or 'webp', whichever is fewer bytes (PNG on a tie: it opens everywhere)."""
        return "webp" if len(self.webp) < len(self.png) else "png"


def stored_files(digest: str, k: int, settings: Settings) -> LosslessFiles | None:
    """The run's smallest files, if already written: then the headline waits for nothing."""
    return lossless_store().get((digest, k, settings))


def lossless_files(
    digest: str, k: int, settings: Settings, _png: bytes, _progress: Progress | None = None
) -> LosslessFiles:
    """The optimised PNG and the lossless WebP of the run's PNG, made after its picture shows.

    Made from the run's quick PNG, whose pixels they keep exactly, in the full-size queue as an
    extra: they take about a second on a 4 MP photo and several on a 12 MP one, and only make a
    file the visitor already has smaller, so every visitor's picture comes first.
    """

    key = (digest, k, settings)

    def write(report: Progress) -> LosslessFiles:
        indices, palette, alphas = images.indexed_pixels_of(_png)
        report(0.1, "optimising the PNG…")
        png = optimised_png(palette, indices, palette_alpha=alphas)
        report(0.6, "writing the lossless WebP…")
        webp = lossless_webp(palette, indices, palette_alpha=alphas)
        return LosslessFiles(png, webp)

    def make(report: Progress) -> LosslessFiles:
        return lossless_store().get_or_make(key, lambda: write(report))

    return stored_or_queued(
        lossless_store(), key, full_size_work(), ("lossless", *key), make, _progress, later=True
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


def codec_comparison(
    digest: str,
    k: int,
    settings: Settings,
    _data: bytes,
    _run: PhotoRun,
    _progress: Progress | None = None,
) -> CodecComparison:
    """The smallest JPEG, WebP and AVIF as close as the run, once per photo and K, on demand."""

    key = (digest, k, settings)

    def compare(report: Progress) -> CodecComparison:
        photo = _full_photo(digest, _data)
        target = PerceptualError(_run.delta_e, _run.delta_e_p99, _run.lost_hue)
        matches = compare_codecs(photo.rgb, target, alpha=photo.alpha, progress=report)
        jpeg = next((m for m in matches if m.codec == "jpeg" and m.reached), None)
        shown = None
        if jpeg is not None:
            with Image.open(io.BytesIO(jpeg.data)) as decoded:
                shown = images.png_bytes(images.scaled(decoded.convert("RGB"), SHOWN_WIDTH))
        return codec_store().get_or_make(key, lambda: CodecComparison(matches, shown))

    return stored_or_queued(
        codec_store(), key, full_size_work(), ("codecs", *key), compare, _progress
    )


def compared_codecs(digest: str, k: int, settings: Settings) -> CodecComparison | None:
    """The comparison if it was already made, else None: the split view never waits for it."""
    return codec_store().get((digest, k, settings))

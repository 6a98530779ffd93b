"""The page's bounded stores: what stays in memory between reruns and visitors, and how much.

Each store (:class:`~dashboard.store.Store`) is one per server process, shared by every
visitor, and bounded both in items and in bytes; the newest item is always kept. The bounds
below are why the server's memory stays within its budget under a class's load.
"""

from __future__ import annotations

import streamlit as st

from dashboard.store import Store
from kmeans import ColourCounts, LoadedImage

#: Decoded photos: five 12 MP photos, or one at the 40 MP limit (a store always keeps its newest).
MAX_PHOTO_BYTES = 200_000_000
#: Colour counts with the pixels they share: about 90 MB for a 12 MP photo, 290 MB at the limit.
MAX_COUNTS_BYTES = 300_000_000
#: Photos at display size (4.4 MB for a 4:3 photo): one for each visitor of a class.
MAX_SHOWN_PHOTOS, MAX_SHOWN_PHOTO_BYTES = 64, 150_000_000
#: The display copies runs are compared with, in Oklab (about 22 MB each): made again from the
#: photo at display size in a tenth of a second, so only a few are kept.
MAX_ORIGINALS, MAX_ORIGINAL_BYTES = 4, 100_000_000
#: Runs: their PNG and display copies (about 9 MB at 12 MP), so a few 40 MP runs cannot crowd
#: out memory, and a class of visitors each keeps its last few.
MAX_RUNS, MAX_RUN_BYTES = 32, 200_000_000
#: Previews: a display-size PNG each, a few hundred kB.
MAX_PREVIEWS, MAX_PREVIEW_BYTES = 64, 64_000_000


#: The downloads' optimised files, and the codec comparisons (each a few MB at most).
MAX_FILE_SETS, MAX_FILE_BYTES = 16, 64_000_000


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
def shown_photo_store() -> Store:
    return Store(MAX_SHOWN_PHOTOS, MAX_SHOWN_PHOTO_BYTES, size_of=lambda shown: shown.n_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def original_store() -> Store:
    return Store(
        MAX_ORIGINALS, MAX_ORIGINAL_BYTES, size_of=lambda kept: kept.rgb.nbytes + kept.oklab.nbytes
    )


@st.cache_resource(max_entries=1, show_spinner=False)
def problem_store() -> Store:
    return Store(max_items=64, max_bytes=64 * 1000, size_of=len)


@st.cache_resource(max_entries=1, show_spinner=False)
def facts_store() -> Store:
    return Store(max_items=1024, max_bytes=1024, size_of=lambda _facts: 1)


@st.cache_resource(max_entries=1, show_spinner=False)
def run_store() -> Store:
    return Store(max_items=MAX_RUNS, max_bytes=MAX_RUN_BYTES, size_of=lambda run: run.n_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def preview_store() -> Store:
    return Store(MAX_PREVIEWS, MAX_PREVIEW_BYTES, size_of=lambda preview: preview.n_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def lossless_store() -> Store:
    return Store(MAX_FILE_SETS, MAX_FILE_BYTES, size_of=lambda files: files.n_bytes)


@st.cache_resource(max_entries=1, show_spinner=False)
def codec_store() -> Store:
    return Store(MAX_FILE_SETS, MAX_FILE_BYTES, size_of=lambda found: found.n_bytes)

"""K chosen for the visitor: the fewest colours that look close, or the most that fit a size.

Both answers are said as the headline says a result, with how close it looks and how big its
download (the optimised PNG) is, and each is kept only for the question it answered (this
photo, these settings, this target), so a previous photo's K is never offered for the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import compute
from dashboard.compare_view import apply_k
from dashboard.formats import colour_count, decibels, file_size
from dashboard.photo_choice import Photo
from dashboard.work_queue import Progress
from kmeans import (
    MAX_K,
    KSearch,
    QualityTarget,
    Settings,
    largest_k_under_bytes,
    smallest_k_for_quality,
)
from kmeans.autok import Tried
from kmeans.closeness import LEVELS, Level, closeness_as_shown

#: The fewest colours the byte search tries: one flat colour is no picture of the photo.
MIN_K = 2


@dataclass(frozen=True)
class Found:
    """What an automatic search chose: its K, how close that looks and how big its PNG is, and
    every K it tried on the way."""

    k: int
    met: bool
    reason: str | None
    looks: Level
    delta_e: float
    psnr: float
    png_bytes: int  # the optimised PNG the page offers for download
    tried: tuple[Tried, ...]


def found_in(search: KSearch) -> Found:
    chosen = search.compression
    return Found(
        k=search.k,
        met=search.met,
        reason=search.reason,
        looks=closeness_as_shown(chosen.perceptual.delta_e, chosen.psnr),
        delta_e=chosen.perceptual.delta_e,
        psnr=chosen.psnr,
        png_bytes=len(chosen.png),
        tried=search.tried,
    )


@st.cache_data(max_entries=16, ttl=compute.ONE_HOUR, show_spinner=False)
def quality_search(digest: str, word: str, settings: Settings, _data: bytes) -> Found:
    level = next(level for level in LEVELS if level.word == word)
    target = QualityTarget(psnr=level.min_psnr, delta_e=level.max_delta_e)
    photo = compute.loaded_photo(digest, _data)

    def search(_: Progress) -> Found:
        return found_in(smallest_k_for_quality(photo, target, settings))

    return compute.waiting(
        compute.full_size_work(), ("quality", digest, word, settings), search, None
    )


@st.cache_data(max_entries=16, ttl=compute.ONE_HOUR, show_spinner=False)
def bytes_search(digest: str, max_bytes: int, settings: Settings, _data: bytes) -> Found:
    photo = compute.loaded_photo(digest, _data)

    def search(_: Progress) -> Found:
        return found_in(largest_k_under_bytes(photo, max_bytes, settings, smallest_k=MIN_K))

    return compute.waiting(
        compute.full_size_work(), ("bytes", digest, max_bytes, settings), search, None
    )


def found_sentence(found: Found) -> str:
    """The K found, how close it looks and how big it is, in the words of the headline."""
    return (
        f"**K = {found.k}** · {found.looks.word} · ΔE {found.delta_e:.1f}, "
        f"{decibels(found.psnr)} · {file_size(found.png_bytes)}"
    )


def show_found(found: Found, name: str, tried: str, offer: bool = True) -> None:
    """A search's answer, the K it tried, and a button to use the K it found."""
    st.markdown(found_sentence(found))
    if found.reason:
        st.caption(found.reason)
    st.caption(f"Tried: {tried}")
    if offer:
        st.button(f"Use K = {found.k}", key=f"apply_{name}", on_click=apply_k, args=(found.k,))


def remembered(name: str, asked: tuple) -> Found | None:
    """The last answer of search ``name``, if it answered this very question (this photo,
    these settings, this target): never a previous photo's."""
    kept = st.session_state.get(f"auto_{name}_result")
    return kept[1] if kept and kept[0] == asked else None


def show_automatic_k(photo: Photo, settings: Settings) -> None:
    """K chosen for the visitor: by how close it should look, or by how big the file may be."""
    st.subheader("Let the page choose K", anchor=False)
    close, small = st.columns(2, gap="large")
    with close:
        st.session_state.setdefault("auto_quality", LEVELS[1].word)
        word = st.selectbox(
            "Smallest K that looks…",
            [level.word for level in LEVELS[:3]],
            key="auto_quality",
        )
        asked = (photo.digest, settings, word)
        if st.button("Find it", key="find_quality"):
            with st.spinner("Trying K values…"):
                found = quality_search(photo.digest, word, settings, _data=photo.data)
            st.session_state["auto_quality_result"] = (asked, found)
        found = remembered("quality", asked)
        if found:
            tried = ", ".join(
                f"K={t.k} (ΔE {t.delta_e:.1f})" for t in sorted(found.tried, key=by_k)
            )
            show_found(found, "quality", tried)
    with small:
        budget = st.number_input(
            "Largest K whose PNG fits in (kB)",
            1,
            100_000,
            max(1, photo.facts.n_bytes // 4000),
            key="auto_bytes",
        )
        asked = (photo.digest, settings, int(budget))
        if st.button("Find it", key="find_bytes"):
            with st.spinner("Trying K values and writing their PNGs…"):
                found = bytes_search(photo.digest, int(budget) * 1000, settings, _data=photo.data)
            st.session_state["auto_bytes_result"] = (asked, found)
        found = remembered("bytes", asked)
        if found:
            tried = ", ".join(
                f"K={t.k} ({file_size(t.file_bytes)})" for t in sorted(found.tried, key=by_k)
            )
            show_found(found, "bytes", tried, offer=found.met)
            if not found.met:
                st.warning(nothing_fits(found, int(budget)))
    st.caption(
        f"The first tries {colour_count(1)} to {colour_count(MAX_K)}, the second "
        f"{colour_count(MIN_K)} to {colour_count(MAX_K)} (a single flat colour is no picture): "
        "powers of two, then halving the gap. The sizes are those of the optimised PNG the page "
        "offers for download."
    )


def by_k(tried: Tried) -> int:
    return tried.k


def nothing_fits(found: Found, budget_kb: int) -> str:
    """Said when even the fewest colours the search tries make a file over the budget."""
    return (
        f"No K from {MIN_K} to {MAX_K} fits in {budget_kb:,} kB: {MIN_K} colours make a "
        f"{file_size(found.png_bytes)} PNG, so there is nothing to use."
    )

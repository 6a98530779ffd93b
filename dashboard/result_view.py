"""The result: the headline above the tabs, and the Result tab (the split view, the close-up,
the palette and all the numbers).

The Result tab reads first what its split view shows (the palette colour picked, the
close-up's square, the K on its left), because the widgets that set them are drawn below it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import closeup_view, comparison_view, compute, palette_view, size_view
from dashboard.closeup import Window
from dashboard.compute import LosslessFiles
from dashboard.formats import colour_count, decibels, download_stem
from dashboard.photo_choice import Photo
from dashboard.photo_run import PhotoRun
from kmeans import Settings
from kmeans.closeness import JUST_NOTICEABLE, LEVELS, limits, next_better
from kmeans.encode import bits_per_index

#: The headline's parts are set closer together than the page's other parts.
HEADLINE_GAP = "xsmall"
CLOSENESS_HELP = (
    "How close the redrawn photo looks, from two numbers. **ΔE** is the average colour "
    "difference per pixel, measured in Oklab, a colour space built so that equal numbers look "
    f"like equal differences: about {JUST_NOTICEABLE:g} is the smallest difference most people "
    "notice side by side. **PSNR** is the average error in decibels; higher is closer. Each "
    "word needs both numbers within its limits, as written to one decimal.\n\n"
    + "\n".join(
        f"- **{level.word}**: {level.meaning}"
        + (f" ({limits(level)})" if math.isfinite(level.max_delta_e) else "")
        for level in LEVELS
    )
)


def closeness_sentence(run: PhotoRun) -> str:
    """What the word means, the two numbers it was read from, and the limits that decided it:
    two results a reader cannot tell apart by their numbers never get different words."""
    level = run.looks
    numbers = (
        f"colours differ by **ΔE {run.delta_e:.1f}** on average ({JUST_NOTICEABLE:g} is just "
        f"noticeable), PSNR {decibels(run.psnr)}"
    )
    better = next_better(level)
    decided = (
        f"within “{level.word}” ({limits(level)})"
        if better is None
        else f"“{better.word}” needs {limits(better)}"
    )
    return f"{level.meaning.capitalize()}: {numbers}; {decided}."


def show_heading(run: PhotoRun) -> None:
    """How close it looks, in words: shown at once, before the files are written."""
    st.markdown(
        f"### {run.looks.word.capitalize()} · {colour_count(run.k)}",
        help=CLOSENESS_HELP,
    )


class Headline:
    """The result's headline, in its ``slot`` above the tabs: whole at once when the smallest
    files are already written (a rerun), else first without their sizes, then whole."""

    def __init__(self, slot: DeltaGenerator, photo: Photo, run: PhotoRun, settings: Settings):
        self.slot, self.photo, self.run, self.settings = slot, photo, run, settings
        self.files = compute.stored_files(photo.digest, run.k_requested, settings)
        with slot.container(gap=HEADLINE_GAP):
            if self.files is None:
                self.writing = show_headline_so_far(run, photo)
            else:
                show_headline(run, photo, self.files)

    def files_written(self) -> LosslessFiles:
        """The smallest files, waited for the first time a view needs them (at the latest at
        the end of the page), and the whole headline drawn then."""
        if self.files is None:
            self.files = compute.lossless_files(
                self.photo.digest,
                self.run.k_requested,
                self.settings,
                self.run.png,
                self.writing.report,
            )
            with self.slot.container(gap=HEADLINE_GAP):
                show_headline(self.run, self.photo, self.files)
        return self.files


def show_headline_so_far(run: PhotoRun, photo: Photo) -> size_view.WritingBar:
    """The headline before the smallest files are written: the heading, how close it looks,
    the run's own PNG to download at once, and a bar for the files on their way."""
    show_heading(run)
    st.markdown(closeness_sentence(run))
    size_view.show_quick_download(run, photo, download_stem(photo.name))
    return size_view.WritingBar()


def show_headline(run: PhotoRun, photo: Photo, files: LosslessFiles) -> None:
    """The heading, one sentence on closeness and one on size, and the downloads, their labels
    never cut short. Drawn in a container with ``HEADLINE_GAP``: they are one block, and the
    picture below should start on a laptop's first screen."""
    show_heading(run)
    st.markdown(f"{closeness_sentence(run)} {size_view.size_sentence(photo, files)}")
    # Four parts, as the headline so far has: drawn over it in the same run, each takes the
    # place of one of its parts, so none (its bar) is left behind, and the row of downloads
    # takes the place of its row, so a PNG to download is there at every moment.
    size_view.show_downloads(run, photo, files, download_stem(photo.name))
    warning = size_view.larger_warning(run, photo, files)
    if warning is not None:
        st.warning(warning)
    else:
        st.empty()


def show_result(
    photo: Photo, run: PhotoRun, settings: Settings, written: Callable[[], LosslessFiles]
) -> None:
    """The Result tab: the split view, the close-up beside the palette, and all the numbers.

    ``written`` writes the downloads and puts them in the headline: called only where a view
    needs their sizes, so a new K's picture, close-up and palette never wait for them."""
    run_key = (photo.digest, run.k_requested, settings)
    picked = palette_view.picked_colour(run, run_key)
    window = closeup_view.close_up_window(photo, run)
    versus_k = comparison_view.split_against(photo, settings, run.k_requested)
    versus = None
    if versus_k is not None:
        versus_run = compute.photo_run(photo.digest, versus_k, settings, _data=photo.data)
        versus = (versus_run, (photo.digest, versus_k, settings))
    if st.session_state.get("heat"):  # the toggle under the split view, as last set
        overlay = compute.heat_overlay_of(photo.digest, run.k_requested, settings, photo.data, run)
    elif picked is not None:
        overlay = compute.highlight_overlay_of(*run_key, picked, run)
    else:
        overlay = None
    original = compute.shown_original(photo.digest, photo.data)
    jpeg = size_view.jpeg_for_split(photo, run.k_requested, settings)
    with st.container():  # where the waiting page shows the preview
        comparison_view.show_comparison_view(
            photo, run, run_key, original, overlay, window, versus, jpeg
        )
    with st.container():  # where the waiting page says what is still to come
        show_result_below(photo, run, settings, run_key, window, picked, written)


def show_result_below(
    photo: Photo,
    run: PhotoRun,
    settings: Settings,
    run_key: tuple,
    window: Window,
    picked: int | None,
    written: Callable[[], LosslessFiles],
) -> None:
    """The close-up beside the palette, all the numbers, and the codecs, under the split view."""
    zoom_column, palette_column = st.columns(2, gap="large")
    with zoom_column:
        closeup_view.show_zoom(photo, run, run_key, window)
    with palette_column:
        palette_view.show_palette(run, download_stem(photo.name), run_key, picked)
    # Opened on demand: SSIM, the slowest measure, is computed only when someone looks.
    details = st.expander("All the numbers", key="details", on_change="rerun")
    if details.open:
        with details:
            ssim = compute.run_ssim(*run_key, photo.data, run.png)
            show_details(run, photo, ssim)
            size_view.show_where_the_bytes_go(run, photo, written())
    # Opened on demand too: the lossy codecs at the same closeness take seconds.
    codecs = st.expander(size_view.CODEC_VIEW_TITLE, key="codecs", on_change="rerun")
    if codecs.open:
        with codecs:
            size_view.show_codec_view(photo, run, written(), run.k_requested, settings)


def show_details(run: PhotoRun, photo: Photo, ssim: float) -> None:
    """The numbers behind the headline, for those who want them: the run's, then the file's
    (what the bits teach is told under "Where the bytes go", beside the bars)."""
    show_run_numbers(run)
    show_file_numbers(run, photo, ssim)


def show_run_numbers(run: PhotoRun) -> None:
    columns = st.columns(5)
    columns[0].metric("Colours used (K)", run.k, help="K-Means may use fewer than asked for.")
    columns[1].metric(
        "Rounds of K-Means",
        run.n_iters,
        delta="settled" if run.converged else "round limit reached",
        delta_color="off",
        delta_arrow="off",
        help="One round: give every pixel its nearest colour, then move every colour to the "
        "average of its pixels. K-Means stops when no colour moves more than half a level, or "
        "at 'Most rounds'. The colours are first placed on a colour histogram, so a few rounds "
        "finish the job; reaching the limit is normal and costs little quality.",
    )
    columns[2].metric(
        "Time",
        f"{run.timings.total:.2f} s",
        help=f"K-Means {run.timings.kmeans:.2f} s, then writing the PNG "
        f"({run.timings.png:.2f} s) at the same time as measuring the quality "
        f"({run.timings.measuring:.2f} s) and making the copies shown here.",
    )
    columns[3].metric(
        "Worst 1% of pixels",
        f"ΔE {run.delta_e_p99:.1f}",
        help="99 in 100 pixels differ by less than this (ΔE in Oklab; "
        f"{JUST_NOTICEABLE:g} is just noticeable).",
    )
    columns[4].metric(
        "Lost hue",
        f"ΔE {run.lost_hue:.1f}",
        help="The worst-served vivid colour family: the average ΔE of the pixels of the most "
        "damaged hue (a red ladybird turned green shows here, even if it is tiny).",
    )


def show_file_numbers(run: PhotoRun, photo: Photo, ssim: float) -> None:
    plain = 32 if photo.facts.has_alpha else 24  # RGBA stores transparency too
    more = st.columns(4 if run.alpha_mse is not None else 3)
    if run.alpha_mse is not None:
        more[3].metric(
            "Transparency error",
            f"{run.alpha_mse:.1f}",
            help="Mean squared error of the alpha channel alone, in 0–255 levels: soft edges "
            "and shadows are kept as levels of see-through, not cut to on or off.",
        )
    more[0].metric(
        "SSIM",
        f"{ssim:.3f}",
        help="Structural similarity, 0 to 1: whether local patterns of light and dark (edges, "
        "textures) survive, rather than whether the colours match. It can dip as K rises, so "
        "it is not the headline.",
    )
    more[1].metric("PSNR", decibels(run.psnr), help="Higher is closer; 40 dB is very close.")
    more[2].metric(
        "Bits per pixel",
        f"{plain} → {bits_per_index(run.k)}",
        help="Plain RGB stores 24 bits per pixel (RGBA 32); an index into K colours needs "
        "⌈log₂ K⌉.",
    )

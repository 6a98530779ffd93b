"""What the result costs on disk: the two downloads, where the bytes go, and whether another
format that looks as close would be smaller (JPEG, WebP, AVIF).

Every size shown is that of a real file: the PNG and the WebP offered for download, the
original upload, and the lossy files :mod:`kmeans.codecs` found and measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from dashboard import compute
from dashboard.compute import CodecComparison, LosslessFiles
from dashboard.formats import colour_count, file_size
from dashboard.photo_choice import Photo
from dashboard.photo_run import PhotoRun
from kmeans.codecs import verdict
from kmeans.encode import bits_per_index
from kmeans.pipeline import FORMAT_NAMES, larger_notice


@dataclass(frozen=True)
class JpegSide:
    """The JPEG that looks as close, as the split view's left side."""

    shown: bytes  # at display size
    label: str
    data: bytes  # the whole file, for the view's full-resolution windows


MIME_TYPES = {"png": "image/png", "webp": "image/webp"}
CODEC_VIEW_TITLE = "Is K colours the right format for this image?"
#: Bar colours: the original file, our K-colour files, and the lossy codecs.
ORIGINAL, OURS, LOSSY = "#9aa0a6", "#1a73e8", "#e8710a"


def size_sentence(photo: Photo, files: LosslessFiles) -> str:
    """The size, said once: the PNG's bytes, saving and ratio (the WebP's are on its button)."""
    png, original = len(files.png), photo.facts.n_bytes
    sizes = f"{original:,} bytes → {png:,} bytes"
    if png <= original:
        return (
            f"The PNG is **{1 - png / original:.0%} smaller** than the original file "
            f"({sizes}, {original / png:.1f}× smaller)."
        )
    return (
        f"The PNG is **{png / original - 1:.0%} larger** than the original "
        f"{photo.facts.format} file ({sizes})."
    )


def larger_warning(run: PhotoRun, photo: Photo, files: LosslessFiles) -> str | None:
    """When even the smaller download is larger than the upload: say so, and what is smaller."""
    notice = larger_notice(files.smaller, files.sizes, photo.facts.n_bytes, run.k)
    if notice is None:
        return None
    return (
        f"{notice} Open “{CODEC_VIEW_TITLE}” below to see a JPEG, WebP or AVIF that looks as close."
    )


def quick_label(run: PhotoRun, photo: Photo) -> str:
    facts = photo.facts
    return (
        f"Download unoptimised PNG: {colour_count(run.k)}, {facts.width:,} × {facts.height:,} · "
        f"{file_size(len(run.png))}"
    )


WRITING = "Writing the smallest PNG and WebP files"


class WritingBar:
    """The headline's bar while the smallest files are written: when other visitors' pictures
    come first, it says how many."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text=f"{WRITING}…")

    def report(self, fraction: float, words: str) -> None:
        # The queue's words ("Starting…") continue the sentence.
        self.bar.progress(fraction, text=f"{WRITING}: {words[:1].lower()}{words[1:]}")


def show_quick_download(run: PhotoRun, photo: Photo, stem: str) -> None:
    """The run's own PNG, while the smaller files are written: when many visitors share the
    server those wait until every visitor's picture is made, and the result is already here.
    In a row like the downloads', which take its place."""
    row = st.container(horizontal=True, gap="xsmall")
    row.download_button(
        quick_label(run, photo),
        data=run.png,
        file_name=f"{stem}-k{run.k}.png",
        mime=MIME_TYPES["png"],
        type="secondary",
        icon=":material/download:",
        on_click="ignore",
        width="content",
        key="download_quick",
        help="Exactly the pixels of the optimised PNG and WebP being written now, compressed "
        "quickly: those will be smaller.",
    )


def show_downloads(run: PhotoRun, photo: Photo, files: LosslessFiles, stem: str) -> None:
    """Both files, each with its bytes; the smaller one says so. Same pixels in both."""
    facts = photo.facts
    what = {
        "png": f"Download PNG: {run.k} colours, {facts.width:,} × {facts.height:,}",
        "webp": "Download WebP",  # the same picture: its label stays short on a phone
    }
    row = st.container(horizontal=True, gap="xsmall")
    for file_format in ("png", "webp"):
        data = files.png if file_format == "png" else files.webp
        smaller = " · smaller" if file_format == files.smaller else ""
        row.download_button(
            f"{what[file_format]} · {file_size(len(data))}{smaller}",
            data=data,
            file_name=f"{stem}-k{run.k}.{file_format}",
            mime=MIME_TYPES[file_format],
            type="primary" if file_format == "png" else "secondary",
            icon=":material/download:",
            on_click="ignore",
            width="content",
            key=f"download_{file_format}",
            help="The PNG and the WebP hold exactly the same pixels. PNG opens everywhere; WebP "
            "is often smaller and opens in every current browser.",
        )


def show_where_the_bytes_go(run: PhotoRun, photo: Photo, files: LosslessFiles) -> None:
    """The same picture's bytes at each stage, as bars, with one line on each."""
    facts = photo.facts
    channels = 4 if facts.has_alpha else 3
    indexed_bits, plain_bits = run.teaching_bits
    stages = [
        (f"Raw pixels, {8 * channels} bits each", plain_bits // 8, ORIGINAL),
        (
            f"{run.k} colours at {bits_per_index(run.k)} bits each, and the palette",
            math.ceil(indexed_bits / 8),
            OURS,
        ),
        ("PNG, quickly compressed", len(run.png), OURS),
        (f"Optimised {FORMAT_NAMES[files.smaller]}", min(files.sizes.values()), OURS),
        (f"The original {facts.format} file", facts.n_bytes, ORIGINAL),
    ]
    st.subheader("Where the bytes go", anchor=False)
    st.plotly_chart(
        bar_chart(stages, "Bytes of the same picture"),
        config={"displayModeBar": False},
        key="bytes_chart",
    )
    st.caption(
        f"Stored plainly, each of the {facts.n_pixels:,} pixels takes {8 * channels} bits. With "
        f"{run.k} colours a pixel needs only its colour's number, ⌈log₂ {run.k}⌉ = "
        f"{bits_per_index(run.k)} bits, plus the palette. PNG then compresses those numbers "
        "(zlib finds repeated runs); the optimiser tries palette orders, filters and harder "
        "compression for the same pixels, and WebP codes them its own way."
    )


def bar_chart(bars: list[tuple[str, int, str]], title: str) -> go.Figure:
    """Horizontal bars, one per (label, bytes, colour), each labelled with its size."""
    figure = go.Figure(
        go.Bar(
            x=[n_bytes for _, n_bytes, _ in bars],
            y=[label for label, _, _ in bars],
            orientation="h",
            marker_color=[colour for _, _, colour in bars],
            text=[file_size(n_bytes) for _, n_bytes, _ in bars],
            textposition="auto",
            hovertemplate="%{y}: %{x:,} bytes<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": title},
        height=60 + 44 * len(bars),
        margin={"l": 0, "r": 10, "t": 40, "b": 0},
        xaxis={"title": {"text": "bytes"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
    )
    return figure


def show_codec_view(photo: Photo, run: PhotoRun, files: LosslessFiles, k: int, settings) -> None:
    """The K-colour files against the lossy codecs at the same closeness, and the verdict."""
    bar = st.progress(0.0, text="Finding the smallest JPEG, WebP and AVIF that look as close…")
    comparison = compute.codec_comparison(
        photo.digest, k, settings, _data=photo.data, _run=run, _progress=bar.progress
    )
    bar.empty()
    smallest = min(files.sizes.values())
    st.markdown(f"**{verdict(smallest, comparison.matches)}**")
    st.plotly_chart(
        bar_chart(codec_bars(photo, files, comparison), "Bytes for the same closeness"),
        config={"displayModeBar": False},
        key="codec_chart",
    )
    never = [m.reason for m in comparison.matches if not m.reached]
    for reason in never:
        st.caption(reason)
    st.caption(
        f"Each lossy file is the smallest of its codec whose average colour difference "
        f"(ΔE {run.delta_e:.2f}) and worst 1% (ΔE {run.delta_e_p99:.1f}) are no worse than "
        f"the {run.k}-colour result's: the average alone would forgive blur and blocking. "
        "Pillow's defaults otherwise (colour at half resolution)."
    )
    if comparison.jpeg_shown is not None:
        st.toggle(
            "Show the JPEG that looks as close in the split view",
            key="split_jpeg",
            help="The split view above then puts this JPEG on the left and the K colours on the "
            "right: banding against blocking and blur.",
        )


def codec_bars(
    photo: Photo, files: LosslessFiles, comparison: CodecComparison
) -> list[tuple[str, int, str]]:
    """The original, our two files, and each lossy codec that reached the closeness."""
    bars = [
        (f"Original {photo.facts.format}", photo.facts.n_bytes, ORIGINAL),
        ("K colours, PNG", len(files.png), OURS),
        ("K colours, WebP (lossless)", len(files.webp), OURS),
    ]
    for match in comparison.matches:
        if match.reached:
            bars.append((f"{match.name} at quality {match.quality}", match.n_bytes, LOSSY))
    return bars


def jpeg_for_split(photo: Photo, k: int, settings) -> JpegSide | None:
    """The JPEG for the split view's left side, when the visitor asked for it and the
    comparison for this very photo, K and settings is made (the view never waits for it)."""
    if not st.session_state.get("split_jpeg"):
        return None
    comparison = compute.compared_codecs(photo.digest, k, settings)
    if comparison is None or comparison.jpeg_shown is None:
        return None
    jpeg = next(m for m in comparison.matches if m.codec == "jpeg")
    label = f"JPEG at the same closeness (quality {jpeg.quality})"
    return JpegSide(comparison.jpeg_shown, label, jpeg.data)

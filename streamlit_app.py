"""K-Means colour quantiser: redraw a photo with K colours and see what it costs and saves.

The page reads top to bottom as a visitor sees it: title, photo, settings, result, comparison of
K values, explanation. Everything it shows comes from ``kmeans/`` through the cached functions
below; the page only arranges it. Nothing a visitor supplies (a file name, a file's content) is
ever rendered as Markdown or HTML, and uploads are never written to disk.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
import time
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from kmeans.core import kmeans_init_centroids, lloyd_rounds
from kmeans.encode import bits_per_index, is_opaque
from kmeans.errors import KMeansError
from kmeans.io import MAX_PIXELS, LoadedImage, load_image
from kmeans.palette import hex_codes, most_used_first, palette_gpl, palette_json
from kmeans.pipeline import compress
from kmeans.settings import DEFAULT_MAX_ITERS, MAX_K, Settings

SAMPLES_DIR = Path(__file__).parent / "assets" / "samples"
SAMPLES = {"Astronaut": "astronaut.png", "Coffee": "coffee.png", "Cat": "chelsea.png"}
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "avif"]
INITS = {"k-means++": "kmeans++", "random (classic)": "random"}
DEFAULT_K = 16
COMPARE_KS = [4, 8, 16, 32, 64]

SHOWN_WIDTH = 1200  # px sent to the browser: sharp on a laptop, a fraction of a camera photo
GRID_WIDTH = 480
PLOT_POINTS = 20_000
STEP_WIDTH = 240  # the small copy the iteration stepper redraws at every round
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZOOMED_SIDE = 384  # px on screen of each zoomed crop

ONE_HOUR = "1h"


# ---------------------------------------------------------------- cached work (calls kmeans/)


@st.cache_resource(max_entries=1, show_spinner=False)
def full_size_work() -> threading.Lock:
    """Held while a full-size photo is decoded or redrawn: one at a time, for all visitors.

    kmeans/ already spreads one photo over every core, so two at once would not finish sooner,
    but each would add its own peak memory (about 0.7 GB for 40 MP at K = 256).
    """
    return threading.Lock()


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def loaded_photo(digest: str, _data: bytes) -> LoadedImage:
    """The decoded pixels, keyed on the bytes' digest.

    A resource, not data: a 40 MP photo is 120 MB, too big to unpickle on every rerun, and a
    LoadedImage is read-only, so sharing it is safe. Only identical bytes find the same entry.
    Two entries: with four, four 40 MP uploads in a row peaked the server at 1.48 GB.
    """
    with full_size_work():
        return load_image(_data)


@st.cache_data(max_entries=8, ttl=ONE_HOUR, show_spinner=False)
def upload_problem(digest: str, _data: bytes) -> str | None:
    """Why the upload cannot be read (one sentence), or None once it is decoded and cached.

    A cache of its own because st.cache_resource keeps no exceptions: without it a damaged
    40 MP file would be decoded again, holding the full-size lock, at every rerun.
    """
    try:
        loaded_photo(digest, _data)
    except KMeansError as error:
        return str(error)
    return None


@st.cache_data(max_entries=8, ttl=ONE_HOUR, show_spinner=False)
def shown_original(digest: str, _data: bytes) -> bytes:
    photo = loaded_photo(digest, _data)
    return shown_image(full_image(photo.rgb, photo.alpha), SHOWN_WIDTH)


@st.cache_data(max_entries=32, max_size="400MB", ttl=ONE_HOUR, show_spinner=False)
def quantised_photo(
    digest: str, k: int, max_iters: int, init: str, seed: int, _data: bytes
) -> dict:
    """Everything the page shows about one K-Means run, small enough to cache many of.

    The full-resolution pixels stay out: the page gets the indexed PNG (the download), images
    scaled to display size, a sample of pixels for the 3D plot, and the numbers.
    """
    photo = loaded_photo(digest, _data)
    bar = st.progress(0.0, text="Waiting for the photos ahead of yours…")

    def progress(iteration: int, most: int, inertia: float) -> None:
        bar.progress(
            iteration / most,
            text=f"K-Means round {iteration} of at most {most} · inertia {inertia:,.0f}",
        )

    with full_size_work():
        bar.progress(0.0, text="Starting K-Means…")
        compression = compress(
            photo,
            k,
            Settings(max_iters=max_iters, init=init, seed=seed),
            progress=progress,
            optimize_png=False,
        )
        bar.progress(1.0, text="Writing the PNG and measuring the quality…")
        started = time.perf_counter()
        png = compression.png
        encoded = time.perf_counter()
        psnr, ssim = compression.psnr, compression.ssim
        measured = time.perf_counter()
        result = compression.result
        # Built once at full size (still full-size work), then scaled to both display widths;
        # transparent exactly where the PNG is.
        redrawn = full_image(
            result.image, None if result.alpha is None else is_opaque(result.alpha) * np.uint8(255)
        )
        shown, small = shown_image(redrawn, SHOWN_WIDTH), shown_image(redrawn, GRID_WIDTH)
        del redrawn
    bar.empty()

    colours, labels = sampled_pixels(photo, result.labels)
    return {
        "k": result.k,
        "k_requested": result.k_requested,
        "notices": list(result.notices),
        "palette": result.palette,
        "counts": result.counts,
        "n_iter": result.kmeans.n_iter,
        "converged": result.kmeans.converged,
        "inertia": [*result.kmeans.inertia_history, result.kmeans.inertia],
        "seconds": {
            "kmeans": result.seconds,
            "png": encoded - started,
            "measure": measured - encoded,
        },
        "psnr": psnr,
        "ssim": ssim,
        "input_bytes": compression.input_bytes,
        "png": png,
        "teaching_bits": compression.teaching_bits,
        "shown": shown,
        "small": small,
        "sample_colours": colours,
        "sample_labels": labels,
    }


@st.cache_data(max_entries=16, ttl=ONE_HOUR, show_spinner=False)
def kmeans_rounds(digest: str, k: int, max_iters: int, init: str, seed: int, _data: bytes) -> list:
    """The textbook loop on a small copy, kept round by round for the stepper.

    Round 0 is the starting colours; round i is after i times "assign, then update".
    """
    photo = loaded_photo(digest, _data)
    small = Image.fromarray(photo.rgb)
    small.thumbnail((STEP_WIDTH, STEP_WIDTH))
    pixels = np.asarray(small).reshape(-1, 3)
    centroids = kmeans_init_centroids(pixels, k, init=init, seed=seed)
    rounds = []
    for step in lloyd_rounds(pixels, centroids, max_iters):
        palette = np.clip(np.rint(step.centroids), 0, 255).astype(np.uint8)
        redrawn = palette[step.labels].reshape(small.height, small.width, 3)
        rounds.append(
            {
                "palette": palette,
                "image": png_bytes(redrawn),
                "inertia": step.inertia,
                "settled": step.settled,
            }
        )
    return rounds


@st.cache_resource(max_entries=2, ttl=ONE_HOUR, show_spinner=False)
def png_pixels(run: tuple, _png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The redrawn photo as its PNG file holds it: a palette index per pixel, and the palette.

    Decoding the whole file is the only way to read a part of it, so each PNG is decoded once,
    not at every move of the zoom; indices take a byte a pixel (40 MB at 40 MP), a third of
    RGB. ``run`` (photo digest and settings) names the PNG, so the cache need not hash its
    megabytes at every rerun.
    """
    with full_size_work(), Image.open(io.BytesIO(_png)) as redrawn:
        indices = np.asarray(redrawn)
        palette = np.asarray(redrawn.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
    indices.flags.writeable = palette.flags.writeable = False  # shared by every visitor
    return indices, palette


def full_image(rgb: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    image = Image.fromarray(rgb)
    if alpha is not None:
        image.putalpha(Image.fromarray(np.asarray(alpha, dtype=np.uint8)))
    return image


def shown_image(image: Image.Image, width: int) -> bytes:
    """The picture at most ``width`` px wide, as the browser gets it.

    Unscaled it is sent losslessly (PNG); scaled down, as a high-quality JPEG (PNG when it has
    transparency), since its colours are blended by the scaling anyway.
    """
    if image.width <= width:
        return png_bytes(image)
    height = max(1, round(image.height * width / image.width))
    image = image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if image.mode == "RGBA":
        return png_bytes(image)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, subsampling=0)
    return buffer.getvalue()


def show_image(where, data: bytes, **options) -> None:
    """``where.image(data)``, sending the bytes in the format they are in.

    Streamlit's default, ``output_format="auto"``, re-encodes a PNG without transparency as a
    quality-90 JPEG, which would blur the exact pixels that the zoom and the palettes promise.
    """
    kept = "PNG" if data.startswith(PNG_SIGNATURE) else "JPEG"
    where.image(data, output_format=kept, **options)


def png_bytes(image: Image.Image | np.ndarray) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def sampled_pixels(photo: LoadedImage, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most PLOT_POINTS visible pixels, drawn at random with a fixed seed, and their labels."""
    rng = np.random.default_rng(0)
    picked = rng.integers(0, photo.n_pixels, size=min(PLOT_POINTS, photo.n_pixels))
    if photo.alpha is not None:
        picked = picked[is_opaque(photo.alpha.reshape(-1)[picked])]
    return photo.rgb.reshape(-1, 3)[picked], labels.reshape(-1)[picked]


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def chosen_photo(sample_name: str, upload) -> tuple[str, bytes, str, bool]:
    """(file name, bytes, digest, whether uploaded): the upload if it can be read, else the sample.

    A bad upload gets one sentence saying why, and the sample stays on the page beneath it.
    """
    if upload is not None:
        data = upload.getvalue()
        digest = digest_of(data)
        problem = upload_problem(digest, data)
        if problem is None:
            return upload.name, data, digest, True
        st.error(problem)
        st.info(
            f"Showing the sample photo ({sample_name}) instead. Choose another file to try again."
        )
    sample_file = SAMPLES[sample_name]
    data = (SAMPLES_DIR / sample_file).read_bytes()
    return sample_file, data, digest_of(data), False


# ---------------------------------------------------------------- small formatting helpers


def file_size(n_bytes: int) -> str:
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.2f} MB"


def colour_count(k: int) -> str:
    return "1 colour" if k == 1 else f"{k} colours"


def decibels(psnr: float) -> str:
    return "∞ dB (identical)" if math.isinf(psnr) else f"{psnr:.1f} dB"


def download_stem(file_name: str) -> str:
    """A safe file name stem from the visitor's: letters, digits, - and _ only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", PurePath(file_name.replace("\\", "/")).stem)
    return stem.strip("-")[:60] or "photo"


# ---------------------------------------------------------------- what the visitor sees


def show_result(original: bytes, summary: dict, photo: LoadedImage, stem: str) -> None:
    """The first thing a visitor sees: before, after, the three numbers that matter, the file."""
    png_size, input_size = len(summary["png"]), summary["input_bytes"]
    before, after, numbers = st.columns([5, 5, 3])
    show_image(before, original, caption="Original", width="stretch")
    show_image(
        after, summary["shown"], caption=f"Redrawn with {summary['k']} colours", width="stretch"
    )
    with numbers:
        st.metric(
            "Indexed PNG",
            file_size(png_size),
            delta=f"{png_size / input_size - 1:+.1%} vs original",
            delta_color="inverse",
            help="The downloadable PNG: a palette of K colours plus one colour number per pixel.",
        )
        st.metric(
            "PSNR",
            decibels(summary["psnr"]),
            help="Peak signal-to-noise ratio against the original: higher is closer. Above about "
            "30 dB most people see little difference.",
        )
        st.metric(
            "SSIM",
            f"{summary['ssim']:.3f}",
            help="Structural similarity to the original, from 0 to 1 (identical).",
        )
        st.download_button(
            f"Download PNG: {colour_count(summary['k'])}, {photo.width:,} × {photo.height:,}",
            data=summary["png"],
            file_name=f"{stem}-k{summary['k']}.png",
            mime="image/png",
            type="primary",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
            wrap=True,
        )


def show_size_and_effort(summary: dict, photo: LoadedImage) -> None:
    k, seconds = summary["k"], summary["seconds"]
    png_size, input_size = len(summary["png"]), summary["input_bytes"]
    indexed_bits, rgb_bits = summary["teaching_bits"]
    index_bits = bits_per_index(k)

    sizes = f"{input_size:,} bytes → {png_size:,} bytes"
    change = 1 - png_size / input_size
    if change >= 0:
        st.success(f"The indexed PNG is **{change:.1%} smaller** than the original file ({sizes}).")
    else:
        why = (
            " JPEG already stores photos compactly by discarding detail the eye barely sees; "
            "an indexed PNG keeps every pixel exactly, so it is not always smaller."
            if photo.format in ("JPEG", "MPO", "WEBP", "AVIF")
            else ""
        )
        st.warning(
            f"The indexed PNG is **{-change:.1%} larger** than the original "
            f"{photo.format} file ({sizes}).{why}"
        )

    columns = st.columns(5)
    columns[0].metric("Colours used (K)", k, help="K-Means may use fewer than asked for.")
    columns[1].metric(
        "Rounds of K-Means",
        summary["n_iter"],
        delta="converged" if summary["converged"] else "stopped at the limit",
        delta_color="green" if summary["converged"] else "orange",
        delta_arrow="off",
        help="One round: give every pixel its nearest colour, then move every colour to the "
        "average of its pixels. K-Means stops when no colour moves more than half a level "
        "(converged) or after 'Most rounds'. A quick run on a coarse colour histogram places "
        "the colours first, so a few rounds usually suffice; raise 'Most rounds' to polish.",
    )
    columns[2].metric(
        "Time",
        f"{sum(seconds.values()):.2f} s",
        help=f"K-Means {seconds['kmeans']:.2f} s, writing the PNG {seconds['png']:.2f} s, "
        f"measuring PSNR and SSIM {seconds['measure']:.2f} s.",
    )
    columns[3].metric(f"Original file ({photo.format})", file_size(input_size))
    columns[4].metric(
        "Bits per pixel",
        f"24 → {index_bits}",
        help="Plain RGB stores 24 bits per pixel; an index into K colours needs ⌈log₂ K⌉.",
    )
    st.caption(
        f"What the method teaches: stored plainly, each of the {photo.n_pixels:,} pixels takes "
        f"24 bits, {rgb_bits // 8:,} bytes in all. With {k} colours a pixel needs only its "
        f"colour's number, ⌈log₂ {k}⌉ = {index_bits} bits, plus {k} × 24 bits for the "
        f"palette: {math.ceil(indexed_bits / 8):,} bytes, {rgb_bits / indexed_bits:.1f}× less. "
        "PNG then compresses those numbers further."
    )


def show_zoom(photo: LoadedImage, summary: dict, run: tuple) -> None:
    st.subheader("Look closely", anchor=False)
    controls = st.columns(3)
    across = controls[0].slider("Across (%)", 0, 100, 50, key="zoom_across")
    down = controls[1].slider("Down (%)", 0, 100, 50, key="zoom_down")
    zoom = controls[2].select_slider(
        "Zoom", options=[2, 4, 8, 16], value=4, format_func="×{}".format
    )
    side = min(ZOOMED_SIDE // zoom, photo.width, photo.height)
    left = round((photo.width - side) * across / 100)
    top = round((photo.height - side) * down / 100)
    window = np.s_[top : top + side, left : left + side]

    original = Image.fromarray(photo.rgb[window])
    indices, palette = png_pixels(run, _png=summary["png"])
    redrawn = Image.fromarray(palette[indices[window]])
    enlarged = (side * zoom, side * zoom)
    before, after = st.columns(2)
    show_image(
        before, png_bytes(original.resize(enlarged, Image.Resampling.NEAREST)), caption="Original"
    )
    show_image(
        after,
        png_bytes(redrawn.resize(enlarged, Image.Resampling.NEAREST)),
        caption=f"{summary['k']} colours, from the PNG file",
    )
    st.caption(
        f"{side} × {side} pixels at x {left:,}, y {top:,}, each pixel drawn {zoom}× as a square."
    )


def show_palette(summary: dict, stem: str) -> None:
    st.subheader("The palette", anchor=False)
    colours, counts = most_used_first(summary["palette"], summary["counts"])
    shares = counts / max(1, counts.sum())
    hexes = hex_codes(colours)

    # A strip where each colour's width is its share of the pixels.
    widths = np.maximum(1, np.round(shares * 1000)).astype(int)
    strip = np.repeat(colours, widths, axis=0)[None, :, :].repeat(60, axis=0)
    show_image(st, png_bytes(strip), width="stretch")

    table = pd.DataFrame(
        {"Colour": hexes, "Hex": hexes, "Share of pixels": shares * 100, "Pixels": counts}
    )
    styled = table.style.map(lambda h: f"background-color: {h}; color: {h}", subset=["Colour"])
    st.dataframe(
        styled,
        hide_index=True,
        height=280,
        column_config={
            "Colour": st.column_config.TextColumn(width="small"),
            "Share of pixels": st.column_config.ProgressColumn(
                format="%.1f%%", min_value=0, max_value=max(100 * shares.max(), 1e-9)
            ),
            "Pixels": st.column_config.NumberColumn(format="localized"),
        },
    )

    name = f"{stem}-k{summary['k']}"
    gimp, js = st.columns(2)
    gimp.download_button(
        "Palette for GIMP (.gpl)",
        data=palette_gpl(summary["palette"], summary["counts"], name),
        file_name=f"{name}.gpl",
        mime="text/plain",
        on_click="ignore",
        width="stretch",
    )
    js.download_button(
        "Palette as JSON",
        data=palette_json(summary["palette"], summary["counts"]),
        file_name=f"{name}.json",
        mime="application/json",
        on_click="ignore",
        width="stretch",
    )


def show_cluster_plot(summary: dict) -> None:
    st.subheader("The colours in 3D", anchor=False)
    by_cluster = st.toggle("Draw each pixel in its cluster's colour", key="by_cluster")
    palette, points = summary["palette"], summary["sample_colours"]
    drawn = hex_codes(palette[summary["sample_labels"]] if by_cluster else points)
    centroids = hex_codes(palette)
    axis = {"range": [0, 255], "backgroundcolor": "#f4f4f6"}
    spec = {
        "data": [
            {
                "type": "scatter3d",
                "x": points[:, 0],
                "y": points[:, 1],
                "z": points[:, 2],
                "mode": "markers",
                "marker": {"size": 2, "color": drawn},
                "text": drawn,
                "hovertemplate": "R %{x}, G %{y}, B %{z}<br>drawn as %{text}<extra>pixel</extra>",
                "name": f"{len(points):,} sampled pixels",
            },
            {
                "type": "scatter3d",
                "x": palette[:, 0],
                "y": palette[:, 1],
                "z": palette[:, 2],
                "mode": "markers",
                "marker": {"size": 12, "color": centroids, "line": {"color": "black", "width": 4}},
                "text": centroids,
                "hovertemplate": "R %{x}, G %{y}, B %{z}<br>%{text}<extra>palette colour</extra>",
                "name": "palette colours (centroids)",
            },
        ],
        "layout": {
            "height": 460,
            "margin": {"l": 0, "r": 0, "t": 10, "b": 0},
            "legend": {"orientation": "h", "y": 1.02, "x": 0},
            "scene": {
                "xaxis": {**axis, "title": {"text": "R"}},
                "yaxis": {**axis, "title": {"text": "G"}},
                "zaxis": {**axis, "title": {"text": "B"}},
                "aspectmode": "cube",
                # Look across the grey diagonal, along which most photos lie, not down it.
                "camera": {"eye": {"x": 1.7, "y": -1.5, "z": 0.6}},
            },
        },
    }
    # Plotly would check the 20k colour strings one by one (most of a second); they are ours,
    # written by hex_colours from uint8 values, so the check is skipped.
    st.plotly_chart(go.Figure(spec, _validate=False), config={"displaylogo": False})


def show_convergence(summary: dict, init: str) -> None:
    st.subheader("How K-Means settled", anchor=False)
    inertia = summary["inertia"]
    figure = go.Figure()
    figure.add_scatter(
        x=list(range(len(inertia))),
        y=inertia,
        mode="lines+markers",
        hovertemplate="after round %{x}: %{y:,.0f}<extra></extra>",
    )
    figure.update_layout(
        height=300,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={
            "title": {"text": "round"},
            "range": [-0.5, len(inertia) - 0.5],
            "dtick": math.ceil(len(inertia) / 10),
        },
        yaxis={"title": {"text": "inertia"}},
    )
    st.plotly_chart(figure, config={"displaylogo": False})
    st.caption(
        "Inertia adds up, over every pixel, the squared distance from its colour to the palette "
        "colour it is drawn with. Every round lowers it; K-Means stops when the colours stop "
        f"moving. {convergence_sentence(inertia, init)}"
    )


def convergence_sentence(inertia: list[float], init: str) -> str:
    """How far the rounds took the inertia, and why round 0 may already be close to the end.

    The plot's axis does not start at zero, so a fall of under 1% can look steep; the number
    keeps the picture honest.
    """
    start = (
        "Round 0 is the starting colours, already placed by a quick K-Means run on a coarse "
        "colour histogram"
        if init == "kmeans++"
        else "Round 0 is the starting colours, K random pixel colours"
    )
    if len(inertia) < 2 or inertia[0] <= 0:
        return start + "."
    fall = 100 * (inertia[0] - inertia[-1]) / inertia[0]
    rounds = len(inertia) - 1
    said = "the round" if rounds == 1 else f"the {rounds} rounds"
    # Three significant digits: a 0.04% fall must not print as 0, nor a 100% fall as 1e+02.
    return f"{start}; {said} lowered the inertia by {fall:.3g}%."


def show_comparison(digest: str, data: bytes, settings: dict, input_size: int) -> None:
    ks = st.multiselect(
        "K values to compare",
        options=list(range(2, MAX_K + 1)),
        default=COMPARE_KS,
        max_selections=8,
        help="Pick up to 8 values of K; each is computed once and then cached.",
    )
    ks = sorted(ks)
    if not ks:
        st.info("Pick at least one K to compare.")
        return
    bar = st.progress(0.0)
    summaries = []
    for done, k in enumerate(ks):
        bar.progress(done / len(ks), text=f"Computing K = {k} ({done + 1} of {len(ks)})…")
        summaries.append(quantised_photo(digest, k, **settings, _data=data))
    bar.empty()

    per_row = len(ks) if len(ks) <= 5 else 4
    for first in range(0, len(ks), per_row):
        columns = st.columns(per_row)
        for column, summary in zip(columns, summaries[first : first + per_row], strict=False):
            show_image(
                column,
                summary["small"],
                caption=f"K = {summary['k']} · {decibels(summary['psnr'])} · "
                f"{file_size(len(summary['png']))}",
                width="stretch",
            )

    used = [s["k"] for s in summaries]
    quality, size = st.columns(2, gap="large")
    quality.plotly_chart(
        elbow_chart(used, [s["psnr"] for s in summaries], "PSNR (dB): higher is closer"),
        config={"displaylogo": False},
    )
    sizes = elbow_chart(used, [len(s["png"]) / 1000 for s in summaries], "PNG size (kB)")
    sizes.add_scatter(
        x=[used[0], used[-1]],
        y=[input_size / 1000] * 2,
        name="original file",
        mode="lines",
        line={"dash": "dash", "color": "grey"},
        hovertemplate="original file: %{y:,.1f} kB<extra></extra>",
    )
    sizes.update_layout(showlegend=True, legend={"orientation": "h", "y": 1.1, "x": 0})
    size.plotly_chart(sizes, config={"displaylogo": False})
    st.caption(
        "Where the PSNR curve flattens, more colours buy little visible quality but still cost "
        "bytes: that bend (the elbow) is a good K."
    )


def elbow_chart(ks: list[int], values: list[float], title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(
        x=ks,
        y=values,
        mode="lines+markers",
        name=title,
        hovertemplate="K = %{x}: %{y:,.1f}<extra></extra>",
    )
    figure.update_layout(
        height=320,
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        xaxis={"title": {"text": "K (colours)"}, "type": "log", "tickvals": ks},
        yaxis={"title": {"text": title}, "rangemode": "tozero"},
    )
    return figure


def show_explanation(digest: str, data: bytes, settings: dict, k: int) -> None:
    explanation = st.expander(
        "How does this work? A plain-language tour of K-Means",
        key="explanation",
        on_change="rerun",
    )
    with explanation:
        st.markdown(
            f"""
A photo can hold hundreds of thousands of different colours. This page redraws it with only
**K** of them ({k} right now), chosen so the picture still looks as close as possible. K-Means
chooses them in four steps:

1. **Pick K colours** to start with: K pixels picked at random (the classic way), or spread
   apart on purpose (k-means++, usually better).
2. **Give each pixel its nearest colour.** Every pixel joins the team of the starting colour
   that looks most like it.
3. **Move each colour to the average of its pixels.** A team's colour becomes the average
   colour of all its members.
4. **Repeat** steps 2 and 3 until the colours stop moving. That is one *round* each time.

The file then shrinks because it stores the K colours once, and for each pixel just the
number of its colour. The 3D plot shows each pixel as a dot at its red, green and blue amounts;
the big dots are the K colours, each in the middle of its team.
"""
        )
        if explanation.open:
            show_rounds(digest, data, settings, k)


def show_rounds(digest: str, data: bytes, settings: dict, k: int) -> None:
    st.markdown("**Watch it work**, round by round, on a small copy of the photo:")
    rounds = kmeans_rounds(digest, k, **settings, _data=data)
    last = len(rounds) - 1
    step = st.slider("Round", 0, last, 0, key="round") if last > 0 else 0
    shown = rounds[step]
    left, right = st.columns([1, 2])
    show_image(left, shown["image"], width="stretch")
    strip = shown["palette"][None, :, :].repeat(max(1, 400 // len(shown["palette"])), axis=1)
    show_image(right, png_bytes(strip.repeat(40, axis=0)), width="stretch")
    right.caption(
        ("Round 0: the starting colours." if step == 0 else f"After round {step}.")
        + f" Inertia {shown['inertia']:,.0f}"
        + (" · the colours stopped moving here." if shown["settled"] else ".")
    )


# ---------------------------------------------------------------- the page

st.set_page_config(page_title="K-Means colour quantiser", page_icon="🎨", layout="wide")
st.title("K-Means colour quantiser", anchor=False)
st.caption(
    "Redraw a photo with only K colours, see how close it stays and how small the file gets, "
    "and watch K-Means choose the colours."
)

with st.sidebar:
    st.header("Photo", anchor=False)
    sample_name = st.selectbox("Sample photo", list(SAMPLES))
    upload = st.file_uploader(
        "Or upload your own",
        type=UPLOAD_TYPES,
        help="JPEG, PNG, WebP, GIF, BMP, TIFF or AVIF. Your photo stays in memory for this "
        "session only and is never saved to disk.",
    )
    st.caption(
        f"Up to {st.get_option('server.maxUploadSize')} MB per file and "
        f"{MAX_PIXELS / 1e6:g} megapixels."
    )

    st.header("Settings", anchor=False)
    k = st.slider(
        "Colours (K)",
        2,
        MAX_K,
        DEFAULT_K,
        help="How many colours the redrawn photo may use. Arrow keys move it one step.",
    )
    max_iters = st.slider(
        "Most rounds", 1, 100, DEFAULT_MAX_ITERS, help="K-Means stops earlier if it settles."
    )
    init_label = st.radio(
        "Starting colours",
        list(INITS),
        help="k-means++ spreads the starting colours apart; random picks K pixels, the classic "
        "textbook method.",
    )
    seed = st.number_input("Random seed", 0, 2**31 - 1, 0, help="The same seed, the same result.")
    settings = {"max_iters": max_iters, "init": INITS[init_label], "seed": int(seed)}
    st.divider()
    st.caption(
        "Sample photos from scikit-image: Eileen Collins (NASA, public domain); coffee by "
        "Rachel Michetti (CC0); Chelsea the cat by Stefan van der Walt (CC0)."
    )

photo_name, data, digest, uploaded = chosen_photo(sample_name, upload)
photo = loaded_photo(digest, data)
# st.text, because a visitor's file name must never be read as Markdown or HTML.
st.text(
    f"{'Your photo' if uploaded else 'Sample'}: {photo_name} · {photo.width:,} × "
    f"{photo.height:,} pixels · {photo.format} · {photo.n_bytes:,} bytes"
)

try:
    summary = quantised_photo(digest, k, **settings, _data=data)
except KMeansError as error:
    st.error(str(error))
    st.stop()
for notice in summary["notices"]:
    st.info(notice)

# Only the open tab runs: the 3D plot and the comparison cost nothing until someone looks.
result_tab, clusters_tab, compare_tab = st.tabs(
    ["Result", "Colours in 3D", "Compare K values"], key="view", on_change="rerun"
)
if result_tab.open:
    with result_tab:
        stem = download_stem(photo_name)
        show_result(shown_original(digest, data), summary, photo, stem)
        show_size_and_effort(summary, photo)
        zoom_column, palette_column = st.columns(2, gap="large")
        with zoom_column:
            show_zoom(photo, summary, run=(digest, k, *settings.values()))
        with palette_column:
            show_palette(summary, stem)
if clusters_tab.open:
    with clusters_tab:
        plot_column, convergence_column = st.columns([3, 2], gap="large")
        with plot_column:
            show_cluster_plot(summary)
        with convergence_column:
            show_convergence(summary, settings["init"])
if compare_tab.open:
    with compare_tab:
        show_comparison(digest, data, settings, photo.n_bytes)

show_explanation(digest, data, settings, k)

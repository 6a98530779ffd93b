"""The lesson's picture (the photo, the palette, the colours in 3D and the error curve) and the
3D tab's plot, each drawn once and then only restyled.

``st.plotly_chart`` sends a whole new figure at every step, and the browser then rebuilds the 3D
scene from scratch, slowly in software WebGL. This components-v1 component
(plain HTML and JavaScript in ``frontend/``, no build step, like ``dashboard/splitview``) builds
the plot once per lesson and, at each step, receives only what changed: one byte per plotted
point for its team, which points changed team, K centroid positions, the redrawn photo as a
small palette PNG, and the list of errors. The browser then restyles the points and moves the
centroids (animated, with a trail) in the plot it already has. The 3D tab's plot is the same
component without the photo: its toggle and its highlight only recolour points already drawn.

plotly.js is served from the component's folder. It is the copy the ``plotly`` Python package
ships, copied there on first use (and git-ignored), so the page needs no network and the
repository holds no 4 MB duplicate of it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from kmeans.errors import KMeansError

_FRONTEND = Path(__file__).parent / "frontend"
_PLOTLY_JS = "plotly.min.js"

_component = None


def plotly_js_source() -> Path:
    """The plotly.js bundle inside the installed ``plotly`` Python package."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / _PLOTLY_JS


def provide_plotly_js(folder: Path = _FRONTEND) -> Path:
    """Put the installed plotly.js in ``folder`` unless the same file is already there.

    Streamlit serves a component only from files inside its folder (a symlink out of it is
    refused), so the bundle is copied; the size check makes a plotly upgrade replace it.
    """
    source, target = plotly_js_source(), folder / _PLOTLY_JS
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)  # atomic: a browser never reads half a file
    return target


def palette_png(teams: np.ndarray, palette: np.ndarray) -> bytes:
    """An (h, w) map of team numbers drawn with ``palette``, as a small indexed PNG.

    Examples
    --------
    >>> data = palette_png(np.array([[0, 1]]), np.array([[255, 0, 0], [0, 0, 255]], np.uint8))
    >>> Image.open(io.BytesIO(data)).convert("RGB").getpixel((1, 0))
    (0, 0, 255)
    """
    image = Image.fromarray(np.asarray(teams, dtype=np.uint8), mode="P")
    image.putpalette(np.asarray(palette, dtype=np.uint8).ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def rgb_png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def check_plot_inputs(
    points: np.ndarray, teams: np.ndarray | None, changed: np.ndarray | None, centroids: np.ndarray
) -> None:
    """One sentence as a KMeansError if the arrays do not describe one set of points."""
    if points.ndim != 2 or points.shape[1] != 3 or points.dtype != np.uint8:
        raise KMeansError("The plotted points must be an (N, 3) array of 8-bit colours.")
    # Teams travel as one byte each, so 256 colours is the most.
    if centroids.ndim != 2 or centroids.shape[1] != 3 or not 1 <= len(centroids) <= 256:
        raise KMeansError("The centroids must be a (K, 3) array with K between 1 and 256.")
    for name, values in (("teams", teams), ("changed", changed)):
        if values is not None and values.shape != (len(points),):
            raise KMeansError(f"The {name} must have one value per plotted point.")
    if teams is not None and len(teams) and int(teams.max()) >= len(centroids):
        raise KMeansError("Every team must be the number of one of the centroids.")


def _lesson_plot_component():
    # Declared on first use, not at import, so importing the package never touches the runtime.
    global _component
    if _component is None:
        import streamlit.components.v1 as components

        provide_plotly_js()
        _component = components.declare_component("lesson_plot", path=str(_FRONTEND))
    return _component


def lesson_plot(
    *,
    points: np.ndarray,
    points_id: str,
    n_pixels: int,
    step_id: str,
    centroids: np.ndarray,
    photo_png: bytes,
    photo_caption: str,
    teams: np.ndarray | None = None,
    changed: np.ndarray | None = None,
    previous: np.ndarray | None = None,
    locked: np.ndarray | None = None,
    shares: np.ndarray | None = None,
    errors: list[float] = (),
    error_rounds: list[float] = (),
    settled: int | None = None,
    error_caption: str = "",
    step_keys: tuple[str, ...] = (),
    height: int = 420,
    key: str = "lesson_plot",
) -> dict | None:
    """Draw the lesson's step; return what the visitor last did in the picture, or None.

    Parameters
    ----------
    points : (N, 3) uint8
        The pixels plotted in 3D. They are sent at every step (3 bytes each) but the plot is
        built only when ``points_id`` changes.
    points_id : str
        Names this set of points: the same id means the same points, in the same order.
    n_pixels : int
        How many pixels the lesson has, of which ``points`` are a sample: the plot says both.
    step_id : str
        Names the step shown: the centroids glide only when it is new, not when the page
        merely runs again.
    centroids : (K, 3) float
        The palette's colours now.
    photo_png : bytes
        The photo as the lesson draws it now (see :func:`palette_png`).
    photo_caption : str
        What the photo shows, said to a screen reader (the sentence above says it to the room).
    teams : (N,) int or None
        Each point's team; None before the first assignment (points keep their own colour).
    changed : (N,) bool or None
        Points that changed team in this step, outlined in the plot.
    previous : (K, 3) float or None
        Where the centroids were before this update: they glide from there, leaving a trail.
    locked : (K,) bool or None
        Colours that never move, marked with a lock on their swatch.
    shares : (K,) float or None
        Each team's share of the pixels: the width of its swatch; None before the first
        assignment, when no pixel has a team (the swatches are then as wide as each other).
    errors : list of float
        The typical colour error after each step, drawn as a curve from zero.
    error_rounds : list of float
        The round each error belongs to, for the curve's axis: r - 0.5 after the assign of
        round r, r after its update.
    settled : int or None
        The round from which the picture looks the same as at the end, marked on the curve.
    step_keys : tuple of str
        Keys (``KeyboardEvent.key`` names) that ask for the next step while the picture has
        the focus, as they do on the page around it.

    Returns
    -------
    dict or None
        ``{"lock": "#rrggbb", "event": e}`` after the visitor clicks a swatch, ``{"step": True,
        "event": e}`` after they press a step key; ``e`` names the act, new at every act of
        every picture, so a second click on the same colour is a new value. None before the
        first.
    """
    K = len(centroids)
    return _draw(
        points,
        points_id,
        step_id,
        centroids,
        teams,
        changed=changed,
        previous=None if previous is None else np.round(previous, 2).tolist(),
        locked=[False] * K if locked is None else [bool(v) for v in locked],
        shares=[1 / K] * K if shares is None else [float(v) for v in shares],
        photo=photo_png,
        photo_caption=photo_caption,
        errors=[round(float(e), 3) for e in errors],
        error_rounds=[float(r) for r in error_rounds],
        settled=None if settled is None else int(settled),
        n_pixels=int(n_pixels),
        assigned=shares is not None,
        error_caption=error_caption,
        step_keys=list(step_keys),
        height=height,
        key=key,
    )


def cluster_plot(
    *,
    points: np.ndarray,
    teams: np.ndarray,
    centroids: np.ndarray,
    colour_by_team: bool,
    highlight: int | None,
    height: int,
    key: str = "clusters_3d",
) -> None:
    """The 3D tab's plot: ``points`` in their own colours or their team's, centroids as balls.

    The points are sent at every rerun (4 bytes each) but the plot is built only when they
    change; flipping ``colour_by_team`` or ``highlight`` (a team whose points alone keep their
    colour, the rest greyed) recolours the points the browser already has.
    """
    K = len(centroids)
    _draw(
        points,
        hashlib.blake2b(np.asarray(points).tobytes(), digest_size=8).hexdigest(),
        "",
        centroids,
        teams,
        colour_by_team=bool(colour_by_team),
        highlight=None if highlight is None else int(highlight),
        locked=[False] * K,
        height=height,
        key=key,
    )


def _draw(
    points: np.ndarray,
    points_id: str,
    step_id: str,
    centroids: np.ndarray,
    teams: np.ndarray | None,
    *,
    height: int,
    key: str,
    changed: np.ndarray | None = None,
    **args,
) -> dict | None:
    """Check the arrays, pack them as bytes and hand them, with ``args``, to the component."""
    points = np.asarray(points)
    centroids = np.asarray(centroids, dtype=float)
    check_plot_inputs(points, teams, changed, centroids)
    return _lesson_plot_component()(
        points=points.tobytes(),
        points_id=points_id,
        step_id=step_id,
        teams=None if teams is None else np.asarray(teams, dtype=np.uint8).tobytes(),
        changed=None if changed is None else np.asarray(changed, dtype=np.uint8).tobytes(),
        centroids=np.round(centroids, 2).tolist(),
        height=int(height),
        key=key,
        default=None,
        **{"colour_by_team": True, "highlight": None, **args},
    )

"""A before/after split view: two images of one size under a draggable divider, zoomed together.

Like Squoosh's two-up view, the ``before`` image shows left of the divider and the ``after`` image
right of it; Ctrl/⌘ + wheel, pinch and drag zoom and pan both sides at once, so the same pixel
stays under the divider. The plain wheel and a one-finger swipe scroll the page, as a map in a
page does, until the visitor clicks into the view. It is a Streamlit components-v1 component
whose front end is plain HTML, CSS and JavaScript in ``frontend/`` (no build step); the images
travel to it as ``data:`` URLs, so pass display-size copies (about 1400 px wide at most), not
full-resolution photos: zoomed in past them, the view asks for the window it shows at full
resolution (a :class:`Detail`).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from kmeans.errors import KMeansError

_FRONTEND = Path(__file__).parent / "frontend"
_MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}

_component = None


@dataclass(frozen=True)
class Detail:
    """A window of the full-size result, in its pixels, as the two sides show it there."""

    left: int
    top: int
    before: bytes  # PNG or JPEG of the window, (width, height) pixels
    after: bytes

    def args(self, result_id: str) -> dict:
        width, height = image_size(self.before, "before detail")
        if image_size(self.after, "after detail") != (width, height):
            raise KMeansError("The two sides of a detail must be one size.")
        return {
            "left": self.left,
            "top": self.top,
            "width": width,
            "height": height,
            "before": data_url(self.before),
            "after": data_url(self.after),
            "result": result_id,
        }


def image_size(data: bytes, name: str) -> tuple[int, int]:
    """The (width, height) of a PNG or JPEG, or a one-sentence KMeansError naming ``name``.

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO(); Image.new("RGB", (4, 3)).save(buffer, "PNG")
    >>> image_size(buffer.getvalue(), "before")
    (4, 3)
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in _MIME_TYPES:
                raise KMeansError(f"The {name} image must be a PNG or a JPEG, not {image.format}.")
            return image.size
    except (UnidentifiedImageError, OSError) as error:
        raise KMeansError(f"The {name} image is not a PNG or JPEG that can be read.") from error


def data_url(data: bytes) -> str:
    """``data`` (PNG or JPEG bytes) as a base64 ``data:`` URL a browser can show.

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO(); Image.new("RGB", (1, 1)).save(buffer, "PNG")
    >>> data_url(buffer.getvalue())[:22]
    'data:image/png;base64,'
    """
    with Image.open(io.BytesIO(data)) as image:
        mime = _MIME_TYPES[image.format]
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def check_split_inputs(
    before: bytes, after: bytes, overlay: bytes | None, focus: tuple[float, float] | None
) -> tuple[int, int]:
    """Check the images share one size and ``focus`` lies in the image; return that (width, height).

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO(); Image.new("RGB", (4, 3)).save(buffer, "PNG")
    >>> check_split_inputs(buffer.getvalue(), buffer.getvalue(), None, (0.5, 0.5))
    (4, 3)
    """
    size = image_size(before, "before")
    others = {"after": after} if overlay is None else {"after": after, "overlay": overlay}
    for name, data in others.items():
        other = image_size(data, name)
        if other != size:
            raise KMeansError(
                f"The {name} image is {other[0]} × {other[1]} but the before image is "
                f"{size[0]} × {size[1]}; the split view needs images of one size."
            )
    if focus is not None and not all(0.0 <= f <= 1.0 for f in focus):
        raise KMeansError("The focus must be two fractions between 0 and 1, as (x, y).")
    return size


def _split_view_component():
    # Declared on first use, not at import, so importing the package never touches the runtime.
    global _component
    if _component is None:
        import streamlit.components.v1 as components

        _component = components.declare_component("split_view", path=str(_FRONTEND))
    return _component


def split_view(
    before: bytes,
    after: bytes,
    *,
    before_label: str = "Original",
    after_label: str = "Redrawn",
    overlay: bytes | None = None,
    focus: tuple[float, float] | None = None,
    marker: tuple[float, float, float, float] | None = None,
    full_size: tuple[int, int] | None = None,
    result_id: str = "",
    detail: Detail | None = None,
    height: int = 560,
    key: str | None = None,
) -> dict | None:
    """Show ``before`` and ``after`` under a draggable divider; return what the visitor did.

    Parameters
    ----------
    before, after : bytes
        PNG or JPEG files of the same pixel size: ``before`` shows left of the divider.
    before_label, after_label : str
        Shown as plain text in the top corners.
    overlay : bytes or None
        An RGBA PNG of the same size drawn over the ``after`` side (an error heatmap, say).
    focus : (float, float) or None
        Open zoomed in about this point, as fractions (x, y) of the width and height: at four
        times the fitted size, or at actual pixels if that is larger.
    marker : (x, y, width, height) or None
        A rectangle drawn over both sides, as fractions of the image: where a close-up is.
    full_size : (width, height) or None
        The size of the full-resolution result the images are display copies of (their own size
        when None): "1:1" is then one pixel of it per screen pixel, and zoomed in past the
        copies, the view asks for the window it shows (see Returns).
    result_id : str
        Names the result shown; a window is asked for, and a ``detail`` accepted, for it only.
    detail : Detail or None
        The full-resolution pixels of a window the view asked for, drawn over both sides.
    height : int
        The component's height in CSS pixels; it always fills the container's width.
    key : str or None
        Streamlit's widget key, to keep two split views on one page apart.

    Returns
    -------
    dict or None
        ``{"x": fx, "y": fy, "click": c, "window": [left, top, width, height], "result": id}``:
        the last point clicked (without dragging) as fractions of the image, with a name for
        that click, new at every click of every view (so a second click on one spot is a new
        value; x and y are None before the first), and the window of the full-size result,
        in its pixels,
        that the view wants at full resolution for ``result_id`` (None while the display copies
        suffice). None until the visitor does either.
    """
    width_px, height_px = check_split_inputs(before, after, overlay, focus)
    full_width, full_height = full_size or (width_px, height_px)
    if full_width < width_px or full_height < height_px:
        raise KMeansError("The full size must be at least the size of the images shown.")
    return _split_view_component()(
        before=data_url(before),
        after=data_url(after),
        overlay=None if overlay is None else data_url(overlay),
        before_label=before_label,
        after_label=after_label,
        image_width=width_px,
        image_height=height_px,
        full_width=int(full_width),
        full_height=int(full_height),
        focus=None if focus is None else [float(focus[0]), float(focus[1])],
        marker=None if marker is None else [float(v) for v in marker],
        result_id=result_id,
        detail=None if detail is None else detail.args(result_id),
        height=int(height),
        key=key,
        default=None,
    )

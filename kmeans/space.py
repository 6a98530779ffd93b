"""The space K-Means measures colours in, and the way back to the bytes a PNG stores.

``Settings(space=...)`` picks where distances and means are taken:

* ``"rgb"``: the 8-bit sRGB values as they are, the textbook method.
* ``"oklab"``: Oklab (:mod:`kmeans.oklab`), where distance follows the eye, scaled by
  ``OKLAB_SCALE`` so that one unit is one ΔE_OK and ``tol`` means about the same visible step
  in either space.

A colour with soft transparency is clustered as pngquant does it, **premultiplied**:
``(r·a/255, g·a/255, b·a/255, a)`` in RGB, and ``100·(L·α, a·α, b·α, α)`` with α = alpha/255
in Oklab. Two pixels are then as far apart as the colours they add to whatever lies behind
them, so a nearly transparent pixel's colour hardly matters, and going from fully transparent
to opaque weighs as much as going from black to white.

>>> points_in_space(np.array([[255, 0, 0, 51]], dtype=np.uint8), "rgb").tolist()
[[51.0, 0.0, 0.0, 51.0]]
>>> palette_of(np.array([[51.0, 0, 0, 51]]), "rgb")
(array([[255,   0,   0]], dtype=uint8), array([51], dtype=uint8))
"""

from __future__ import annotations

import numpy as np

from kmeans.oklab import oklab_to_srgb, srgb_to_oklab

#: Oklab coordinates are multiplied by this before clustering, so one unit is one ΔE_OK.
OKLAB_SCALE = 100.0


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    """Straight RGBA colours (..., 4) as premultiplied float64 ``(r·a/255, g·a/255, b·a/255, a)``.

    >>> premultiplied(np.array([[255, 100, 0, 51], [9, 9, 9, 0]], dtype=np.uint8)).tolist()
    [[51.0, 20.0, 0.0, 51.0], [0.0, 0.0, 0.0, 0.0]]
    """
    rgba = np.asarray(rgba, dtype=np.float64)
    return np.concatenate([rgba[..., :3] * (rgba[..., 3:] / 255), rgba[..., 3:]], axis=-1)


def points_in_space(colours: np.ndarray, space: str) -> np.ndarray:
    """(U, C) uint8 colours, RGB or straight RGBA, as the points K-Means clusters in ``space``.

    RGB: uint8 as they are. Oklab: scaled to ΔE_OK units. RGBA: premultiplied, in 0-255 units
    or, for Oklab, ``100·(L·α, a·α, b·α, α)``.
    """
    if colours.shape[1] == 4 and space == "rgb":
        return premultiplied(colours)
    if colours.shape[1] == 4:
        opacity = colours[:, 3:] / 255
        return np.hstack([srgb_to_oklab(colours[:, :3]) * opacity, opacity]) * OKLAB_SCALE
    if space == "rgb":
        return colours
    return srgb_to_oklab(colours) * OKLAB_SCALE


def palette_of(centroids: np.ndarray, space: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The centroids as the 8-bit sRGB colours a PNG stores, and their alphas for RGBA.

    An RGBA centroid is un-premultiplied by the alpha the PNG will store, so the colour drawn,
    ``rgb·alpha/255``, is as near the centroid as 8 bits allow. Every centroid holds pixels with
    alpha > 0, so its alpha is at least 1: only the dedicated entry is fully transparent.
    """
    if centroids.shape[1] == 3:
        rgb = centroids if space == "rgb" else oklab_to_srgb(centroids / OKLAB_SCALE)
        return as_bytes(rgb), None
    full_scale = 255 if space == "rgb" else OKLAB_SCALE
    alpha = np.clip(np.rint(centroids[:, 3] * (255 / full_scale)), 1, 255)
    straight = centroids[:, :3] / (alpha[:, None] / 255)
    rgb = straight if space == "rgb" else oklab_to_srgb(straight / OKLAB_SCALE)
    return as_bytes(rgb), alpha.astype(np.uint8)


def stored_colours(centroids: np.ndarray, space: str) -> np.ndarray:
    """The centroids as the PNG will store them (:func:`palette_of`), back in ``space``: what
    each pixel's nearest palette colour is measured against.

    >>> stored_colours(np.array([[10.4, 20.6, 30.5]]), "rgb").tolist()
    [[10, 21, 30]]
    """
    palette, alpha = palette_of(centroids, space)
    colours = palette if alpha is None else np.hstack([palette, alpha[:, None]])
    return points_in_space(colours, space)


def as_bytes(values: np.ndarray) -> np.ndarray:
    """Values rounded and clipped to 0..255, as uint8."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)

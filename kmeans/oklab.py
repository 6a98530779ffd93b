"""Oklab: a colour space in which straight-line distance follows what the eye sees.

RGB distance treats a step of 10 in blue like a step of 10 in green, but the eye is far more
sensitive to some changes than to others. Oklab (Björn Ottosson, 2020) fixes that cheaply:

1. **sRGB → linear light.** Undo the sRGB transfer curve: for v = value / 255,
   ``v / 12.92`` if v ≤ 0.04045, else ``((v + 0.055) / 1.055) ** 2.4``.
2. **Linear RGB → cone responses (LMS)** with a 3×3 matrix, then a cube root, which models how
   the eye compresses intensity.
3. **LMS → Lab** with a second 3×3 matrix: L is lightness (0 black to 1 white), a runs green to
   red and b blue to yellow.

The matrices are Ottosson's published ones, to 10 digits, so a round trip is exact to about
1e-4. :func:`oklab_to_srgb` inverts each step.

>>> srgb_to_oklab(np.array([255, 255, 255])).round(4).tolist()
[1.0, 0.0, 0.0]
>>> oklab_to_srgb(srgb_to_oklab(np.array([12, 200, 99]))).round(3).tolist()
[12.0, 200.0, 99.0]
"""

from __future__ import annotations

import numpy as np

_LINEAR_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_LMS_TO_LAB = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_LAB_TO_LMS = np.array(
    [
        [1.0, 0.3963377774, 0.2158037573],
        [1.0, -0.1055613458, -0.0638541728],
        [1.0, -0.0894841775, -1.2914855480],
    ]
)
_LMS_TO_LINEAR = np.array(
    [
        [4.0767416621, -3.3077115913, 0.2309699292],
        [-1.2684380046, 2.6097574011, -0.3413193965],
        [-0.0041960863, -0.7034186147, 1.7076147010],
    ]
)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB values in 0–255 to linear light in 0–1 (float64), by the sRGB transfer curve.

    >>> srgb_to_linear(np.array([0, 255])).tolist()
    [0.0, 1.0]
    """
    v = np.asarray(values, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light in 0–1 to sRGB values in 0–255 (float64, not clipped or rounded)."""
    v = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(v)
    encoded = np.where(
        magnitude <= 0.0031308, 12.92 * magnitude, 1.055 * magnitude ** (1 / 2.4) - 0.055
    )
    return np.sign(v) * encoded * 255.0


#: Linear light of every 8-bit sRGB value: a table lookup instead of a power per pixel.
LINEAR_OF_BYTE = srgb_to_linear(np.arange(256))


def srgb_to_oklab_planes(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB colours in 0–255 to (3, N) Oklab planes L, a and b, each contiguous, float64.

    The form the per-pixel measures use (:mod:`kmeans.perceptual`): no (N, 3) array is built,
    and each colour's values depend on that colour alone, to the last bit, whatever N is.

    >>> srgb_to_oklab_planes(np.array([[255, 255, 255], [0, 0, 0]], np.uint8)).round(4).tolist()
    [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    """
    rgb = np.asarray(rgb)
    linear = np.empty((3, len(rgb)))
    for channel, plane in enumerate(linear):
        if rgb.dtype == np.uint8:
            np.take(LINEAR_OF_BYTE, rgb[:, channel], out=plane)
        else:
            plane[:] = srgb_to_linear(rgb[:, channel])
    return _linear_planes_to_oklab(linear)


def srgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB colours in 0–255 to (..., 3) Oklab (L, a, b) in float64."""
    rgb = np.asarray(rgb)
    return _as_colours(srgb_to_oklab_planes(rgb.reshape(-1, 3)), rgb.shape)


def linear_to_oklab(linear: np.ndarray) -> np.ndarray:
    """(..., 3) linear-light RGB in 0–1 to (..., 3) Oklab."""
    linear = np.asarray(linear, dtype=np.float64)
    return _as_colours(_linear_planes_to_oklab(_as_planes(linear)), linear.shape)


def oklab_to_linear(lab: np.ndarray) -> np.ndarray:
    """(..., 3) Oklab to (..., 3) linear-light RGB (not clipped: out-of-gamut values stay)."""
    lab = np.asarray(lab, dtype=np.float64)
    lms = _mixed(_as_planes(lab), _LAB_TO_LMS)
    return _as_colours(_mixed(lms**3, _LMS_TO_LINEAR), lab.shape)


def oklab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """(..., 3) Oklab to (..., 3) sRGB in 0–255 (float64, not clipped or rounded)."""
    return linear_to_srgb(oklab_to_linear(lab))


def _linear_planes_to_oklab(linear: np.ndarray) -> np.ndarray:
    """(3, N) linear-light planes to (3, N) Oklab planes."""
    lms = _mixed(linear, _LINEAR_TO_LMS)
    np.cbrt(lms, out=lms)
    return _mixed(lms, _LMS_TO_LAB)


def _mixed(planes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``matrix @ planes`` for (3, N) float64 planes: each output plane three multiply-adds.

    A product with an inner size of 3 gains nothing from BLAS, and OpenBLAS's threaded product
    stalls when the other core is busy (another visitor's work, on a server). NumPy's
    element-wise loops on whole planes run at memory speed, and give each colour the same bits
    whatever the number of colours converted with it.
    """
    out = np.empty_like(planes)
    term = np.empty_like(planes[0])
    for row, plane in zip(matrix, out, strict=True):
        np.multiply(planes[0], row[0], out=plane)
        for source, coefficient in zip(planes[1:], row[1:], strict=True):
            np.multiply(source, coefficient, out=term)
            plane += term
    return out


def _as_planes(colours: np.ndarray) -> np.ndarray:
    """(..., 3) colours as (3, N) contiguous planes."""
    return np.ascontiguousarray(colours.reshape(-1, 3).T)


def _as_colours(planes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(3, N) planes back to contiguous colours of ``shape`` (..., 3)."""
    return np.ascontiguousarray(planes.T).reshape(shape)

"""Photos and flat graphics built by code, for the cases the bundled samples lack (like
``skimage.data``).

The tests and ``bench/`` both build their pictures here, so neither imports the other. The flat
graphics (:func:`illustration`, :func:`chart`, :func:`pixel_art`) are the other side of palette
compression: a few exact colours that K colours keep and lossy codecs blur; the illustration is
also bundled, as ``assets/samples/illustration.png``.

:func:`ladybird` is the case that shaped the default seeding: a small vivid object (a red beetle,
about 0.15% of the picture) on a large textured background of greens. A quantiser that minimises
the error of the *typical* pixel easily spends all K colours on shades of green and paints the
beetle dark green.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def ladybird(
    width: int = 2000,
    height: int = 1500,
    seed: int = 0,
    shell: tuple[int, int, int] = (200, 30, 25),
) -> np.ndarray:
    """A (height, width, 3) uint8 photo-like picture: a red ladybird on blurred, textured grass.

    ``shell`` is the beetle's fully lit colour: another hue (a blue or yellow beetle) makes the
    same test for another vivid family.

    The grass mixes noise at several scales in hue and lightness, with dark gaps between blades;
    the beetle is a shaded red ellipse with black spots and a black head, off-centre, covering
    about 0.15% of the pixels at any size.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = _noise(rng, height, width, (0.25, 0.08, 0.02, 0.006))
    hue = _noise(rng, height, width, (0.15, 0.03, 0.008))
    straw = np.clip(_noise(rng, height, width, (0.05, 0.01)) * 2 - 0.6, 0, 1)
    blades = _noise(rng, height, width, (0.012, 0.004, 0.0015), anisotropy=8.0)
    # Deep shadows between bright blades: the wide spread of greens that claims the palette.
    light = np.clip(0.5 + 0.45 * shade + 0.6 * blades, 0.04, 1.25)
    green = np.stack(
        [
            75 + 70 * hue - 25 * blades + 120 * straw,
            150 + 45 * hue + 35 * blades + 40 * straw,
            45 + 45 * hue - 10 * blades + 10 * straw,
        ],
        axis=-1,
    )
    picture = green * light[..., None]

    cx, cy = 0.62 * width, 0.41 * height
    rx = 0.024 * min(width, height) * 1.25
    ry = 0.024 * min(width, height)
    u, v = (xx - cx) / rx, (yy - cy) / ry
    body = u**2 + v**2 <= 1
    lit = np.clip(1.15 - 0.45 * np.hypot(u + 0.35, v + 0.35), 0.45, 1.2)
    shell_colour = lit[..., None] * np.array(shell, dtype=np.float32)
    picture[body] = shell_colour[body]
    for sx, sy in ((-0.45, -0.3), (0.4, -0.35), (-0.2, 0.45), (0.35, 0.4), (0.0, -0.05)):
        spot = (u - sx) ** 2 + (v - sy) ** 2 <= 0.05
        picture[spot & body] = (20, 14, 12)
    head = ((xx - (cx - 1.05 * rx)) / (0.38 * rx)) ** 2 + ((yy - cy) / (0.5 * ry)) ** 2 <= 1
    picture[head] = (18, 16, 14)
    picture += rng.normal(0, 6.0, picture.shape).astype(np.float32)  # sensor noise
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)))


def _noise(rng, height, width, scales, anisotropy: float = 1.0) -> np.ndarray:
    """Smooth noise in about [-1, 1]: random values at coarse grids, resized up and summed."""
    total = np.zeros((height, width), dtype=np.float32)
    for scale in scales:
        gh = max(2, int(height * scale * 10 / anisotropy))  # blades stand upright
        gw = max(2, int(width * scale * 10))
        grid = rng.standard_normal((gh, gw)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        total += np.asarray(layer) / len(scales)
    return np.clip(total, -1.5, 1.5) / 1.5


def sky(width: int = 1200, height: int = 900, seed: int = 0) -> np.ndarray:
    """A smooth evening sky over a dark, nearly flat hillside: where palettes band and speckle.

    The sky is a vertical gradient from deep blue to orange with faint clouds; the lower third is
    a dark green-brown hill with a little sensor noise, the "dark flat area" where dithering
    must not sprinkle bright dots.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([25, 45, 110], np.float32), np.array([250, 150, 70], np.float32)
    picture = np.broadcast_to(top + (bottom - top) * t, (height, width, 3)).copy()
    picture += 18 * _noise(rng, height, width, (0.2, 0.05), anisotropy=0.3)[..., None]
    hill = np.arange(height)[:, None] > height * (0.66 + 0.05 * np.sin(np.arange(width) / 90))
    picture[hill] = (28, 32, 22)
    picture += rng.normal(0, 1.5, picture.shape).astype(np.float32)
    return np.clip(picture, 0, 255).astype(np.uint8)


# Flat graphics: the other side of palette compression, where a few exact colours beat every
# lossy codec. Shapes are drawn at SUPERSAMPLE times the size and averaged down, so edges are
# anti-aliased as a drawing program's are; the text uses Pillow's bundled font with the basic
# layout engine, so the same Pillow draws the same pixels on every machine.

#: Drawing scale of the flat graphics before averaging down to their size.
SUPERSAMPLE = 3


def illustration(width: int = 800, height: int = 600) -> np.ndarray:
    """A (height, width, 3) uint8 flat poster: sun, clouds, mountains, pine trees, a lake, a title.

    About a dozen flat colours with anti-aliased edges between them, the way vector
    illustrations and logos are drawn: a few colours cover almost every pixel, and the edges
    add a few thousand blends. It is the bundled sample ``assets/samples/illustration.png``.
    """
    s = SUPERSAMPLE
    canvas = Image.new("RGB", (width * s, height * s), (142, 202, 230))
    draw = ImageDraw.Draw(canvas)

    def at(*points: float) -> list[float]:
        """Fractions of the poster's width and height, as canvas pixels."""
        return [v * (width if i % 2 == 0 else height) * s for i, v in enumerate(points)]

    draw.ellipse(at(0.70, 0.08, 0.86, 0.29), fill=(255, 200, 87))
    for cx, cy, size in ((0.18, 0.16, 1.0), (0.52, 0.10, 0.7), (0.86, 0.36, 0.6)):
        for dx, dy, r in ((-0.05, 0.01, 0.035), (0.0, -0.015, 0.05), (0.05, 0.01, 0.035)):
            x, y, radius = cx + dx * size, cy + dy * size, r * size
            draw.ellipse(at(x - radius, y - radius * 1.2, x + radius, y + radius * 1.2), "white")
    draw.polygon(at(0.0, 0.62, 0.22, 0.30, 0.42, 0.62), fill=(92, 103, 125))
    draw.polygon(at(0.28, 0.62, 0.55, 0.22, 0.85, 0.62), fill=(74, 85, 104))
    draw.polygon(
        at(0.47, 0.33, 0.55, 0.22, 0.63, 0.33, 0.58, 0.31, 0.55, 0.34, 0.51, 0.31), "white"
    )
    draw.polygon(at(0.62, 0.62, 0.86, 0.36, 1.0, 0.50, 1.0, 0.62), fill=(92, 103, 125))
    draw.rectangle(at(0.0, 0.60, 1.0, 0.74), fill=(106, 153, 78))
    draw.rectangle(at(0.0, 0.74, 1.0, 1.0), fill=(33, 118, 174))
    for i in range(7):
        y = 0.78 + 0.03 * i
        left = 0.08 + 0.11 * ((i * 5) % 7)
        draw.rounded_rectangle(
            at(left, y, left + 0.12, y + 0.008), radius=s * 2, fill=(84, 158, 204)
        )
    for i, x in enumerate((0.05, 0.12, 0.2, 0.66, 0.74, 0.83, 0.92)):
        tall = 0.16 + 0.04 * (i % 3)
        draw.rectangle(at(x - 0.006, 0.70, x + 0.006, 0.74), fill=(96, 64, 43))
        for tier in range(3):
            top = 0.70 - tall + tier * tall * 0.28
            half = 0.025 + 0.012 * tier
            draw.polygon(
                at(x, top, x + half, top + tall * 0.42, x - half, top + tall * 0.42), (56, 102, 65)
            )
    draw.rounded_rectangle(at(0.30, 0.83, 0.70, 0.95), radius=s * 14, fill=(250, 243, 221))
    font = _font(int(0.06 * height * s))
    draw.text(at(0.50, 0.89), "Flat colours", fill=(51, 51, 68), font=font, anchor="mm")
    return _averaged_down(canvas, s)


def chart(width: int = 960, height: int = 600) -> np.ndarray:
    """A (height, width, 3) uint8 bar chart as a spreadsheet draws it, with a line on top.

    White background, light gridlines, two series of flat bars, a line with round markers, axis
    labels, a legend and a title: the kind of figure that is sent as a screenshot and that JPEG
    blurs and rings around.
    """
    s = SUPERSAMPLE
    canvas = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(canvas)
    small, large = _font(int(0.032 * height * s)), _font(int(0.05 * height * s))
    left, right, top, bottom = (
        0.1 * width * s,
        0.96 * width * s,
        0.16 * height * s,
        0.86 * height * s,
    )
    ink, grid = (60, 60, 60), (220, 220, 224)
    for step in range(6):
        y = bottom - (bottom - top) * step / 5
        draw.line([(left, y), (right, y)], fill=grid, width=s)
        draw.text((left - 2 * s * 4, y), f"{step * 20}", fill=ink, font=small, anchor="rm")
    first = (34, 40, 48, 61, 57, 72, 80, 77)
    second = (21, 30, 27, 39, 50, 46, 58, 66)
    slot = (right - left) / len(first)
    trend = []
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        x = left + slot * i + slot * 0.15
        bar = slot * 0.33
        for offset, value, colour in ((0, a, (66, 133, 244)), (bar, b, (251, 140, 0))):
            y = bottom - (bottom - top) * value / 100
            draw.rectangle([x + offset, y, x + offset + bar, bottom], fill=colour)
        trend.append((left + slot * (i + 0.5), bottom - (bottom - top) * (a + b) / 200 - 30 * s))
        draw.text(
            (left + slot * (i + 0.5), bottom + 4 * s * 4),
            f"Q{i % 4 + 1}",
            fill=ink,
            font=small,
            anchor="mt",
        )
    draw.line(trend, fill=(52, 168, 83), width=3 * s, joint="curve")
    for x, y in trend:
        draw.ellipse(
            [x - 5 * s, y - 5 * s, x + 5 * s, y + 5 * s],
            fill="white",
            outline=(52, 168, 83),
            width=2 * s,
        )
    draw.line([(left, bottom), (right, bottom)], fill=ink, width=s)
    draw.text(
        (left, 0.07 * height * s), "Orders per quarter", fill=(32, 33, 36), font=large, anchor="lm"
    )
    for i, (label, colour) in enumerate((("Online", (66, 133, 244)), ("In store", (251, 140, 0)))):
        x = 0.62 * width * s + i * 0.17 * width * s
        draw.rectangle([x, 0.05 * height * s, x + 14 * s, 0.05 * height * s + 14 * s], fill=colour)
        draw.text((x + 20 * s, 0.05 * height * s + 7 * s), label, fill=ink, font=small, anchor="lm")
    return _averaged_down(canvas, s)


def pixel_art(scale: int = 12) -> np.ndarray:
    """A (24·scale, 32·scale, 3) uint8 sprite of 9 exact colours, each art pixel a square block.

    Every pixel is one of its colours, so K = 9 or more redraws it exactly: no lossy codec can
    reach a ΔE of 0, whatever its quality.
    """
    colours = np.array(
        [
            (40, 44, 52),
            (99, 155, 255),
            (255, 255, 255),
            (128, 80, 200),
            (255, 204, 170),
            (106, 190, 48),
            (55, 148, 110),
            (251, 242, 54),
            (143, 86, 59),
        ],
        dtype=np.uint8,
    )
    rows = [
        "11111111111111111111111111111111",
        "11111111111111111111111111177711",
        "11122211111111111111111111777771",
        "11222221111111111111111111777771",
        "11111111111111111111111111177711",
        "11111111111000000001111111111111",
        "11111111110333333330111111111111",
        "11111111103333333333011111111111",
        "11111111100008484000011111111111",
        "11111111084844844448401111111111",
        "11111111084884444444801111111111",
        "11111111108844444448011111111111",
        "11111111110444444440111111111111",
        "11111111100033033000011111111111",
        "11111111033333033333301111111111",
        "11111110333303333033330111111111",
        "11111110444433333344440111111111",
        "11111110444333333334440111111111",
        "11111111003330000333001111111111",
        "55555555508880555088805555555555",
        "55565555508880555088805555565555",
        "66666666666666666666666666666666",
        "88888888888888888888888888888888",
        "88888888888888888888888888888888",
    ]
    art = colours[np.array([[int(c) for c in row] for row in rows])]
    return np.repeat(np.repeat(art, scale, axis=0), scale, axis=1)


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels, laid out without Raqm, the same everywhere."""
    return ImageFont.load_default(size).font_variant(layout_engine=ImageFont.Layout.BASIC)


def _averaged_down(canvas: Image.Image, scale: int) -> np.ndarray:
    """The mean of each ``scale`` × ``scale`` block, rounded: anti-aliasing, exactly in NumPy."""
    big = np.asarray(canvas, dtype=np.uint16)
    height, width = big.shape[0] // scale, big.shape[1] // scale
    blocks = big.reshape(height, scale, width, scale, 3).sum(axis=(1, 3))
    return ((blocks + scale * scale // 2) // (scale * scale)).astype(np.uint8)

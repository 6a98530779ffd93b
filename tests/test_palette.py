"""The palette files agree with the PNG they describe, as other programs would read them."""

import io
import json

import numpy as np
from PIL import Image

from kmeans.palette import palette_gpl, palette_json
from kmeans.pipeline import compress
from tests.helpers import SAMPLES

SAMPLE = SAMPLES / "chelsea.png"


def png_colours_and_counts(png: bytes) -> dict[tuple[int, int, int], int]:
    """What Pillow reads from the PNG: each palette colour and how many pixels use it."""
    image = Image.open(io.BytesIO(png))
    counts = np.bincount(np.asarray(image).ravel(), minlength=len(image.getpalette()) // 3)
    rgb = np.array(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    return {tuple(int(v) for v in colour): int(n) for colour, n in zip(rgb, counts, strict=True)}


def test_gpl_lists_the_png_colours_most_used_first():
    result = compress(SAMPLE, 8)
    expected = png_colours_and_counts(result.png)
    lines = palette_gpl(
        result.result.palette, result.result.counts, "cat\nsecond line"
    ).splitlines()
    assert lines[:4] == ["GIMP Palette", "Name: cat second line", "Columns: 8", "#"]
    colours = [tuple(int(v) for v in line.split()[:3]) for line in lines[4:]]
    assert sorted(colours) == sorted(expected)
    pixel_counts = [expected[colour] for colour in colours]
    assert pixel_counts == sorted(pixel_counts, reverse=True)


def test_json_counts_and_shares_match_the_png():
    result = compress(SAMPLE, 8)
    expected = png_colours_and_counts(result.png)
    document = json.loads(palette_json(result.result.palette, result.result.counts))
    assert document["k"] == len(expected)
    total = sum(expected.values())
    for entry in document["colours"]:
        colour = tuple(entry["rgb"])
        assert entry["pixels"] == expected[colour]
        assert entry["hex"] == "#{:02x}{:02x}{:02x}".format(*colour)
        assert abs(entry["share"] - expected[colour] / total) < 1e-6

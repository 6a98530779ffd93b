"""The palette as files other tools read: GIMP's ``.gpl`` and plain JSON.

Both list the colours most-used first, each with its hex code and its share of the pixels.
"""

from __future__ import annotations

import json

import numpy as np


def hex_codes(colours: np.ndarray) -> list[str]:
    """``#rrggbb`` for each row of an (N, 3) uint8 array.

    >>> hex_codes(np.array([[255, 128, 0], [0, 0, 0]], dtype=np.uint8))
    ['#ff8000', '#000000']
    """
    packed = np.asarray(colours).astype(np.int32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.int32)
    return [f"#{value:06x}" for value in packed.tolist()]


def most_used_first(palette: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The palette and its pixel counts, reordered from the most used colour to the least."""
    order = np.argsort(-np.asarray(counts), kind="stable")
    return np.asarray(palette)[order], np.asarray(counts)[order]


def palette_gpl(palette: np.ndarray, counts: np.ndarray, name: str) -> str:
    """A GIMP palette file: one ``R G B name`` line per colour, most used first.

    >>> print(palette_gpl(np.array([[0, 0, 0], [255, 255, 255]]), np.array([1, 3]), "demo"))
    GIMP Palette
    Name: demo
    Columns: 8
    #
    255 255 255	#ffffff 75.00%
      0   0   0	#000000 25.00%
    <BLANKLINE>
    """
    colours, counts = most_used_first(palette, counts)
    shares = counts / max(1, counts.sum())
    lines = [
        f"{r:3d} {g:3d} {b:3d} {code} {share:.2%}\n"
        for (r, g, b), code, share in zip(colours.tolist(), hex_codes(colours), shares, strict=True)
    ]
    # The name goes on one line of its own: a line break in it would start a bogus entry.
    one_line_name = " ".join(str(name).split())
    return f"GIMP Palette\nName: {one_line_name}\nColumns: 8\n#\n" + "".join(lines)


def palette_json(palette: np.ndarray, counts: np.ndarray) -> str:
    """The palette as JSON: ``{"k": K, "colours": [{"hex", "rgb", "pixels", "share"}, ...]}``.

    >>> print(palette_json(np.array([[255, 0, 0]]), np.array([4])))
    {"k": 1, "colours": [{"hex": "#ff0000", "rgb": [255, 0, 0], "pixels": 4, "share": 1.0}]}
    """
    colours, counts = most_used_first(palette, counts)
    total = max(1, int(counts.sum()))
    entries = [
        {"hex": code, "rgb": rgb, "pixels": int(n), "share": round(int(n) / total, 6)}
        for rgb, code, n in zip(colours.tolist(), hex_codes(colours), counts, strict=True)
    ]
    return json.dumps({"k": len(entries), "colours": entries})

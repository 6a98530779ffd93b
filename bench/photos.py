"""The photos every benchmark runs on, each built once per run.

* ``astronaut``, ``coffee``, ``chelsea``: ``assets/samples/*.png``, 0.14–0.26 MP each.
* ``ladybird-4mp``: :func:`kmeans.samples.ladybird` at 2400×1700, a red beetle covering 0.15% of a
  picture of textured grass: the small vivid object a quantiser must keep.
* ``sky-1mp``: :func:`kmeans.samples.sky`, 1200×900, a smooth evening gradient over a dark
  hill, where clusters are only a few levels wide.
* ``astronaut-12mp``: ``astronaut.png`` (512×512) resized with Pillow's Lanczos filter to
  4000×3000. Stretched to 4:3 and, being an upscale, smoother than a real 12 MP photo, but with
  a realistic pixel count and number of distinct colours (Lanczos makes many in-between ones).
* ``coffee-4mp``: ``coffee.png`` (400×300) resized with Lanczos to 2309×1732, 4:3 kept: the
  4 MP photo of the codec comparison's time target.
* ``blue-beetle``, ``yellow-beetle``, ``mosaic``: other vivid families, for work on the seeding.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

import kmeans
from kmeans.samples import ladybird, sky

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "assets" / "samples"
SAMPLES = ("astronaut", "coffee", "chelsea")
LADYBIRD_SIZE = (2400, 1700)  # 4 MP
LARGE_SIZE = (4000, 3000)  # 12 MP
COFFEE_SIZE = (2309, 1732)  # 4 MP
BEETLE_SIZE = (1600, 1200)
BLUE, YELLOW = (30, 70, 215), (225, 190, 20)


@dataclass(eq=False)
class Photo:
    """One photo, and the inputs the methods take, each made once and shared by all K."""

    name: str
    description: str
    rgb: np.ndarray
    #: Where the small vivid object is, for a photo that has one.
    small_object: np.ndarray | None = None

    @property
    def pixels(self) -> int:
        return self.rgb.shape[0] * self.rgb.shape[1]

    @property
    def megapixels(self) -> float:
        return self.pixels / 1e6

    @cached_property
    def rows(self) -> np.ndarray:
        """(N, 3) uint8, one row per pixel."""
        return self.rgb.reshape(-1, 3)

    @cached_property
    def rows_float32(self) -> np.ndarray:
        """The rows as float32, made outside any timing."""
        return self.rows.astype(np.float32)

    @cached_property
    def rows_float64(self) -> np.ndarray:
        return self.rows.astype(np.float64)

    @cached_property
    def pil(self) -> Image.Image:
        return Image.fromarray(self.rgb)


def sample(name: str) -> Photo:
    """A photo from assets/samples, read with the tool's own loader."""
    rgb = kmeans.load_image(SAMPLE_DIR / f"{name}.png").rgb
    height, width, _ = rgb.shape
    return Photo(name, f"assets/samples/{name}.png, {width}×{height}", rgb)


def ladybird_photo(size: tuple[int, int] = LADYBIRD_SIZE) -> Photo:
    rgb = ladybird(*size)
    red = (rgb[..., 0] > 100) & (rgb[..., 0] > 2.5 * rgb[..., 1].astype(int))
    description = (
        f"kmeans.samples.ladybird(), {size[0]}×{size[1]}: a red beetle on textured grass, "
        f"{red.mean():.2%} of the pixels"
    )
    return Photo(f"ladybird-{size[0] * size[1] // 1_000_000}mp", description, rgb, red)


def sky_photo() -> Photo:
    rgb = sky()
    height, width, _ = rgb.shape
    description = (
        f"kmeans.samples.sky(), {width}×{height}: a smooth evening gradient over a dark hill, "
        "where clusters are only a few levels wide"
    )
    return Photo(f"sky-{height * width // 1_000_000}mp", description, rgb)


def upscaled(name: str, size: tuple[int, int]) -> Photo:
    """A sample resized with Pillow's Lanczos filter to ``size``: a photo's pixel count."""
    source = Image.open(SAMPLE_DIR / f"{name}.png").convert("RGB")
    rgb = np.asarray(source.resize(size, Image.Resampling.LANCZOS))
    width, height = size
    description = f"{name}.png, Lanczos to {width}×{height} ({width * height / 1e6:.0f} MP)"
    return Photo(f"{name}-{round(width * height / 1e6)}mp", description, rgb)


def large_photo() -> Photo:
    return upscaled("astronaut", LARGE_SIZE)


def beetle(name: str, seed: int, shell: tuple[int, int, int]) -> Photo:
    """A ladybird of another colour: the same test for another vivid family."""
    return Photo(name, f"ladybird(seed={seed}, shell={shell})", ladybird(*BEETLE_SIZE, seed, shell))


def mosaic() -> Photo:
    """A colourful 1 MP scene: the samples and a ladybird, each resized to 512×512, in 2×2."""
    tiles = [sample(name).rgb for name in SAMPLES] + [ladybird(512, 512, seed=3)]
    tiles = [
        np.asarray(Image.fromarray(t).resize((512, 512), Image.Resampling.LANCZOS)) for t in tiles
    ]
    rgb = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
    return Photo("mosaic", "the three samples and a ladybird, 512×512 each, 2×2", rgb)


#: Every photo by name, for ``--photos`` options: built only when asked for.
BUILDERS = {
    **{name: (lambda name=name: sample(name)) for name in SAMPLES},
    "ladybird-4mp": ladybird_photo,
    "ladybird-1mp": lambda: ladybird_photo((1200, 900)),
    "sky-1mp": sky_photo,
    "astronaut-12mp": large_photo,
    "coffee-4mp": lambda: upscaled("coffee", COFFEE_SIZE),
    "blue-beetle": lambda: beetle("blue-beetle", 1, BLUE),
    "yellow-beetle": lambda: beetle("yellow-beetle", 2, YELLOW),
    "mosaic": mosaic,
}


def photos(names: list[str]) -> list[Photo]:
    """The photos named, in the order given."""
    unknown = sorted(set(names) - set(BUILDERS))
    if unknown:
        raise SystemExit(f"No photo called {unknown[0]!r}; the photos: {', '.join(BUILDERS)}.")
    return [BUILDERS[name]() for name in names]

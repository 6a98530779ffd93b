"""Every size the page draws at, in one place, each with the reason for its value."""

from __future__ import annotations

#: Width of the copies sent to the browser for the split view: sharp across a laptop's main
#: column (about 950 px at 1280×720, more on a 2× screen), a fraction of a camera photo.
SHOWN_WIDTH = 1400
#: Thumbnails in the K comparison: four or five per row on a laptop.
GRID_WIDTH = 480
#: Height of the split view: with the headline above it, it fits a 720 px high projector.
SPLIT_HEIGHT = 470
#: Pixels sampled for the 3D plot: enough to show the shape of the colour cloud, few enough
#: (a few hundred kB of JSON) to draw at once.
PLOT_POINTS = 20_000
#: Screen side of each zoomed crop, and the zoom steps offered.
ZOOMED_SIDE = 384
ZOOM_STEPS = (2, 4, 8, 16)
#: The lesson's picture: small enough that one step of Lloyd answers at once (well under
#: 0.3 s), big enough to recognise the photo on a projector.
LESSON_SIDE = 160
#: Points the lesson's 3D plot draws: enough to show the cloud's shape. Each step recolours
#: them all, and redrawing the scene in software WebGL (a projector laptop without a GPU, or
#: headless Chromium) grows with their number.
LESSON_POINTS = 4_000
#: The 3D tab's plot height: the cube as wide as its column at 1280 px, with no band above it.
PLOT_HEIGHT = 400
#: The lesson's picture (photo, palette, error curve and 3D plot): with the controls and the
#: sentence above it, it fits a 1280 × 720 projector.
LESSON_PLOT_HEIGHT = 400

#: Page-wide styling: less empty space above the title, so the result fits a 720 px screen,
#: but enough to clear Streamlit's top bar (3.75rem), which would otherwise hide the title.
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 2rem; }
h1 { font-size: 1.75rem !important; padding-top: 0 !important; }
/* Every thumbnail's caption two lines high, so the buttons under a row of them line up. */
.st-key-compare_grid [data-testid="stImageCaption"] { min-height: 3.2em; }
/* The sidebar's View choice: its two options are too long to sit side by side, so they stack,
   but each keeps the joined-group styling, which clipped the top one's right edge. */
.st-key-mode button { margin: 0 0 0.25rem 0 !important; border-radius: 0.5rem !important; }
/* An unselected option leaves its right border to its neighbour; stacked, it has none. This is
   the light theme's border colour (.streamlit/config.toml fixes the light theme). */
.st-key-mode button[aria-checked="false"] { border-right-color: rgb(215, 211, 207) !important; }
/* The upload box beside the photo's facts is its button (or the chosen file) alone: the
   sidebar's caption and the box's help give the formats and limits it would repeat on two more
   lines. */
.st-key-photo_row [data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
.st-key-photo_row [data-testid="stFileUploaderDropzone"] { padding: 0.25rem; min-height: 0; }
/* The facts give way to the box, which keeps its width, even on a phone. */
.st-key-photo_row [data-testid="stElementContainer"]:has([data-testid="stText"]) {
  flex: 1 1 0; min-width: 0;
}
@media (max-width: 640px) {
  h1 { font-size: 1.4rem !important; }
  /* All eight K presets across a phone, none cut off at the edge. */
  .st-key-k_preset button { padding-left: 0.6rem; padding-right: 0.6rem; }
  /* Room for the picture on a phone's first screen, under its headline: tighter spacing, the
     headline and the photo's facts on one line each, and the exact K box under the presets
     without a label of its own (the presets' "Colours (K)" names both). */
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  [data-testid="stMainBlockContainer"] h3 { font-size: 1.2rem !important; }
  [data-testid="stMainBlockContainer"] [data-testid="stText"] { font-size: 0.8rem; }
  .st-key-k [data-testid="stWidgetLabel"] { display: none; }
}
</style>
"""

"""How the page is laid out: its tabs, and every size it draws at, each with its reason."""

from __future__ import annotations

#: The tabs under the headline: the result, the colours in 3D, and K side by side.
RESULT_TAB, CLUSTERS_TAB, COMPARE_TAB = "Result", "Colours in 3D", "Compare K values"

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
#: The lesson's picture (photo, palette, error curve and 3D plot), at least: with the controls
#: and the sentence above it, in projected type, it fits a 1280 × 720 projector; a taller
#: screen gets a taller picture (it fills what is left of the first screen).
LESSON_PLOT_HEIGHT = 320

#: Page-wide styling. A projector (1280 × 720) must show the headline, K and a good part of the
#: picture on its first screen, so the top is tight: Streamlit's bar is made see-through (it
#: holds only a menu at the right), the title shares a row with the photo choice, and the
#: upload box is a single labelled button. On a phone the sidebar's button sits at the top
#: left, so there the page starts below it.
PAGE_CSS = """
<style>
[data-testid="stHeader"] { background: transparent; }
[data-testid="stHeader"], [data-testid="stHeader"] * { pointer-events: none; }
/* See-through, the bar must not take the clicks meant for the picture under it; its buttons
   (the menu, the sidebar's) still take theirs. */
[data-testid="stHeader"] button, [data-testid="stHeader"] a { pointer-events: auto; }
[data-testid="stMainBlockContainer"] { padding-top: 1.25rem; padding-bottom: 2rem; }
[data-testid="stMainBlockContainer"] > div > [data-testid="stVerticalBlock"] { gap: 0.75rem; }
h1 { font-size: 1.75rem !important; padding: 0 !important; }
.st-key-photo_row [data-testid="stColumn"]:first-child [data-testid="stVerticalBlock"] {
  gap: 0.3rem; }
.st-key-photo_row h1 { line-height: 1.25 !important; margin-bottom: 0.2rem !important; }
/* The upload box as one button under its label; its limits are in the label's help. */
.st-key-upload [data-testid="stFileUploaderDropzone"] {
  padding: 0; background: none; border: none; min-height: 0; display: block; }
.st-key-upload [data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
.st-key-upload [data-testid="stFileUploaderDropzone"] button { width: 100%; margin: 0; }
/* Every thumbnail's caption two lines high, so the buttons under a row of them line up. */
.st-key-compare_grid [data-testid="stImageCaption"] { min-height: 3.2em; }
/* The sidebar's View choice: its two options are too long to sit side by side, so they stack,
   but each keeps the joined-group styling, which clipped the top one's right edge. */
.st-key-mode button { margin: 0 0 0.25rem 0 !important; border-radius: 0.5rem !important; }
/* An unselected option leaves its right border to its neighbour; stacked, it has none. This is
   the light theme's border colour (.streamlit/config.toml fixes the light theme). */
.st-key-mode button[aria-checked="false"] { border-right-color: rgb(215, 211, 207) !important; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
  h1 { font-size: 1.4rem !important; }
  /* The title above, the sample and the upload button side by side under it. */
  .st-key-photo_row [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  .st-key-photo_row [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important; }
  .st-key-photo_row [data-testid="stColumn"]:first-child {
    flex-basis: 100% !important; min-width: 100% !important; }
  /* All eight K presets across a phone, none cut off at the edge, and the exact K box beside
     them, without its steppers (the presets are the steps). */
  .st-key-k_preset button { padding-left: 0.5rem; padding-right: 0.5rem; }
  .st-key-k_row [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; gap: 0.4rem; }
  .st-key-k_row [data-testid="stColumn"] { min-width: 0 !important; width: auto !important; }
  .st-key-k_row [data-testid="stColumn"]:first-child { flex: 0 0 auto !important; }
  .st-key-k_row [data-testid="stColumn"]:last-child { flex: 1 1 auto !important; }
  .st-key-k [data-testid="stNumberInputStepDown"], .st-key-k [data-testid="stNumberInputStepUp"] {
    display: none; }
  /* Room for the picture on a phone's first screen, under its headline: tighter spacing, the
     headline and the photo's facts on one line each, and the exact K box without a label of
     its own (the presets' "Colours (K)" names both). */
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  [data-testid="stMainBlockContainer"] h3 { font-size: 1.2rem !important; }
  [data-testid="stMainBlockContainer"] [data-testid="stText"] { font-size: 0.8rem; }
  .st-key-k [data-testid="stWidgetLabel"] { display: none; }
}
</style>
"""

"""A before/after split view: one image, a draggable divider, zoom and pan shared by both sides.

Like Squoosh's two-up view: the original shows left of the divider and the result right of it,
over the same pixels, so a difference is seen in place rather than by looking from one picture
to another. Built as a Streamlit components v2 element (HTML, CSS and JavaScript below, no
build step and no iframe):

* drag the divider (or focus it and press ← → Home End) to move it;
* the wheel or a pinch zooms about the pointer, dragging pans, both sides together;
* "1:1" shows one image pixel per screen pixel, "Fit" shows it whole, and +/− step the zoom;
* a click (without dragging) is sent back to Python as fractions of the width and height, and
  ``marker`` draws a rectangle, so the page can show where its close-up is.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.images import data_url

HTML = """
<div class="split" tabindex="-1">
  <div class="stage">
    <div class="layer">
      <img class="before" alt="" draggable="false">
      <div class="after-clip"><img class="after" alt="" draggable="false">
        <img class="overlay" alt="" draggable="false"></div>
      <div class="marker"></div>
    </div>
  </div>
  <div class="divider" role="slider" tabindex="0" aria-valuemin="0" aria-valuemax="100"
       aria-valuenow="50" aria-label="Divider between the original and the result">
    <div class="grip">⟷</div>
  </div>
  <span class="label left"></span><span class="label right"></span>
  <div class="tools">
    <button class="zoom-out" aria-label="Zoom out">−</button>
    <span class="zoom">100 %</span>
    <button class="zoom-in" aria-label="Zoom in">+</button>
    <button class="one" aria-label="Show actual pixels, one per screen pixel">1:1</button>
    <button class="fit" aria-label="Fit the whole image">Fit</button>
  </div>
</div>
"""

CSS = """
.split { position: relative; width: 100%; overflow: hidden; background: #e9e9ee;
  border-radius: 6px; touch-action: none; user-select: none; cursor: grab; }
.split.dragging { cursor: grabbing; }
.stage { position: absolute; inset: 0; }
.layer { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
.layer img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; display: block; }
.layer.pixelated img { image-rendering: pixelated; }
.after-clip { position: absolute; inset: 0; }
.overlay { display: none; }
.marker { position: absolute; border: 2px solid #ffd400; box-shadow: 0 0 0 1px #000;
  display: none; pointer-events: none; }
.divider { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid #fff;
  box-shadow: 0 0 3px rgba(0,0,0,.6); cursor: ew-resize; outline: none; }
.divider .grip { position: absolute; top: 50%; left: -19px; width: 36px; height: 36px;
  margin-top: -18px; border-radius: 50%; background: #fff; color: #222; font: 18px/36px sans-serif;
  text-align: center; box-shadow: 0 1px 4px rgba(0,0,0,.5); }
.divider:focus-visible .grip { outline: 3px solid #1c83e1; }
.label { position: absolute; top: 8px; padding: 2px 8px; border-radius: 4px; font: 14px sans-serif;
  background: rgba(0,0,0,.62); color: #fff; pointer-events: none; }
.label.left { left: 8px; } .label.right { right: 8px; }
.tools { position: absolute; right: 8px; bottom: 8px; display: flex; gap: 4px; align-items: center;
  background: rgba(255,255,255,.9); border-radius: 6px; padding: 3px 6px; font: 14px sans-serif; }
.tools button { font: 14px sans-serif; min-width: 32px; height: 28px; border: 1px solid #bbb;
  border-radius: 4px; background: #fff; cursor: pointer; }
.tools button:focus-visible { outline: 3px solid #1c83e1; }
.zoom { min-width: 52px; text-align: center; }
"""

JS = """
export default function(component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector('.split');
  const layer = root.querySelector('.layer');
  const clip = root.querySelector('.after-clip');
  const divider = root.querySelector('.divider');
  const marker = root.querySelector('.marker');
  const before = root.querySelector('img.before');
  const after = root.querySelector('img.after');
  const overlay = root.querySelector('img.overlay');
  const zoomLabel = root.querySelector('.zoom');
  root.querySelector('.label.left').textContent = data.before_label;
  root.querySelector('.label.right').textContent = data.after_label;
  if (before.getAttribute('src') !== data.before) before.src = data.before;
  if (after.getAttribute('src') !== data.after) after.src = data.after;
  if (data.overlay) { overlay.src = data.overlay; overlay.style.display = 'block'; }
  else { overlay.removeAttribute('src'); overlay.style.display = 'none'; }

  // The view's state lives on the element, so a rerun with new images keeps zoom and divider;
  // the listeners, wired once, read the latest data from it too.
  const view = root.view || (root.view = { split: 0.5, scale: 0, x: 0, y: 0, fitted: true });
  root.current = data;
  const imageWidth = () => root.current.width, imageHeight = () => root.current.height_px;

  function fitScale() {
    return Math.min(root.clientWidth / imageWidth(), root.clientHeight / imageHeight());
  }
  function clamp() {
    const w = imageWidth() * view.scale, h = imageHeight() * view.scale;
    const W = root.clientWidth, H = root.clientHeight;
    view.x = w <= W ? (W - w) / 2 : Math.min(0, Math.max(W - w, view.x));
    view.y = h <= H ? (H - h) / 2 : Math.min(0, Math.max(H - h, view.y));
  }
  function draw() {
    // As tall as the picture at full width, but never taller than most of the window.
    const d = root.current, most = Math.max(d.height, Math.round(window.innerHeight * 0.8));
    const tall = Math.min(most, Math.round(root.clientWidth * d.height_px / d.width));
    if (root.style.height !== tall + 'px') root.style.height = Math.max(240, tall) + 'px';
    if (!view.scale || view.fitted) { view.scale = fitScale(); }
    clamp();
    layer.style.width = imageWidth() + 'px';
    layer.style.height = imageHeight() + 'px';
    layer.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    layer.classList.toggle('pixelated', view.scale * (window.devicePixelRatio || 1) >= 2);
    const splitX = view.split * root.clientWidth;
    divider.style.left = splitX + 'px';
    divider.setAttribute('aria-valuenow', Math.round(view.split * 100));
    // The divider sits in screen space: clip the result where it crosses the image.
    const cut = (splitX - view.x) / view.scale;
    clip.style.clipPath = `inset(0 0 0 ${Math.max(0, cut)}px)`;
    zoomLabel.textContent = Math.round(view.scale * 100) + ' %';
    if (root.current.marker) {
      const [mx, my, mw, mh] = root.current.marker;
      Object.assign(marker.style, { display: 'block', left: mx * imageWidth() + 'px',
        top: my * imageHeight() + 'px', width: mw * imageWidth() + 'px',
        height: mh * imageHeight() + 'px', borderWidth: 2 / view.scale + 'px' });
    } else { marker.style.display = 'none'; }
  }
  function zoomAbout(factor, cx, cy) {
    const old = view.scale;
    const next = Math.min(32, Math.max(fitScale() * 0.5, old * factor));
    view.x = cx - (cx - view.x) * next / old;
    view.y = cy - (cy - view.y) * next / old;
    view.scale = next; view.fitted = false; draw();
  }
  function centre() { return [root.clientWidth / 2, root.clientHeight / 2]; }
  // The zoom factor that shows one image pixel per device pixel.
  function actualPixels() { return 1 / (window.devicePixelRatio || 1) / view.scale; }

  root.draw = draw; root.zoomAbout = zoomAbout; root.trigger = setTriggerValue;
  if (!root.wired) {
    root.wired = true;
    const draw = () => root.draw();
    const zoomAbout = (...args) => root.zoomAbout(...args);
    const pointers = new Map();
    let dragging = null, moved = 0, pinch = 0;
    root.addEventListener('wheel', (e) => {
      e.preventDefault();
      const box = root.getBoundingClientRect();
      zoomAbout(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    root.addEventListener('pointerdown', (e) => {
      if (e.target.closest('.tools')) return;
      root.setPointerCapture(e.pointerId);
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      dragging = e.target.closest('.divider') ? 'divider' : 'pan';
      moved = 0; root.classList.add('dragging');
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = Math.hypot(a[0] - b[0], a[1] - b[1]);
      }
    });
    root.addEventListener('pointermove', (e) => {
      if (!pointers.has(e.pointerId)) return;
      const [px, py] = pointers.get(e.pointerId);
      const dx = e.clientX - px, dy = e.clientY - py;
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      moved += Math.abs(dx) + Math.abs(dy);
      const box = root.getBoundingClientRect();
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const span = Math.hypot(a[0] - b[0], a[1] - b[1]);
        const mx = (a[0] + b[0]) / 2 - box.left, my = (a[1] + b[1]) / 2 - box.top;
        if (pinch) zoomAbout(span / pinch, mx, my);
        pinch = span; return;
      }
      if (dragging === 'divider') {
        view.split = Math.min(1, Math.max(0, (e.clientX - box.left) / box.width));
      } else { view.x += dx; view.y += dy; view.fitted = false; }
      draw();
    });
    const release = (e) => {
      if (!pointers.has(e.pointerId)) return;
      pointers.delete(e.pointerId); root.classList.remove('dragging');
      if (dragging === 'pan' && moved < 5 && pointers.size === 0) {
        const box = root.getBoundingClientRect();
        const fx = (e.clientX - box.left - view.x) / (imageWidth() * view.scale);
        const fy = (e.clientY - box.top - view.y) / (imageHeight() * view.scale);
        if (fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1) root.trigger('click', { x: fx, y: fy });
      }
      if (pointers.size === 0) { dragging = null; pinch = 0; }
    };
    root.addEventListener('pointerup', release);
    root.addEventListener('pointercancel', release);
    root.addEventListener('dblclick', (e) => {
      const box = root.getBoundingClientRect();
      zoomAbout(actualPixels(), e.clientX - box.left, e.clientY - box.top);
    });
    divider.addEventListener('keydown', (e) => {
      const steps = { ArrowLeft: -0.02, ArrowRight: 0.02, PageDown: -0.1, PageUp: 0.1 };
      if (e.key in steps) view.split = Math.min(1, Math.max(0, view.split + steps[e.key]));
      else if (e.key === 'Home') view.split = 0;
      else if (e.key === 'End') view.split = 1;
      else return;
      e.preventDefault(); draw();
    });
    root.querySelector('.zoom-in').onclick = () => zoomAbout(1.5, ...centre());
    root.querySelector('.zoom-out').onclick = () => zoomAbout(1 / 1.5, ...centre());
    root.querySelector('.one').onclick = () => zoomAbout(actualPixels(), ...centre());
    root.querySelector('.fit').onclick = () => { view.fitted = true; draw(); };
    new ResizeObserver(() => draw()).observe(root);
  }
  draw();
}
"""

_split_view = st.components.v2.component("kmeans_split_view", html=HTML, css=CSS, js=JS)


@dataclass(frozen=True)
class Click:
    """Where the visitor clicked, as fractions of the image's width and height."""

    x: float
    y: float


def split_view(
    before: bytes,
    after: bytes,
    size: tuple[int, int],
    *,
    before_label: str = "Original",
    after_label: str = "Redrawn",
    overlay: bytes | None = None,
    marker: tuple[float, float, float, float] | None = None,
    height: int = 480,
    key: str = "split",
) -> Click | None:
    """Show ``before`` and ``after`` (two images of the same ``size``, (width, height) px) as
    one picture split by a divider; return the last click, or None.

    ``overlay`` (a see-through PNG of the same size) is drawn over the ``after`` side;
    ``marker`` is a rectangle (x, y, width, height as fractions) drawn over both. The view is
    as tall as the picture at full width, at least ``height`` px if the window allows, and at
    most 80% of the window's height.
    """
    width, height_px = size
    result = _split_view(
        key=key,
        data={
            "before": data_url(before),
            "after": data_url(after),
            "overlay": data_url(overlay) if overlay else None,
            "before_label": before_label,
            "after_label": after_label,
            "marker": list(marker) if marker else None,
            "width": width,
            "height_px": height_px,
            "height": height,
        },
        on_click_change=lambda: None,
    )
    clicked = getattr(result, "click", None)
    return Click(float(clicked["x"]), float(clicked["y"])) if clicked else None

// Before/after split view, speaking Streamlit's component protocol (v1) over postMessage.
// One view (scale, tx, ty) moves both images, so the two sides always stay aligned; the after
// side is only clipped, never moved on its own. Positions are in the result's own pixels, so
// "1:1" is one pixel of the result per pixel of the screen; where the view magnifies past the
// display copies, it asks the page for that window at full resolution and lays it on top.
//
// The view shares the page's scroll, as maps and image viewers in a page do: the wheel and a
// one-finger swipe scroll the page; Ctrl/⌘ + wheel, a pinch, or the wheel after a click into
// the view zoom it; once zoomed in, a drag pans it.
"use strict";

const $ = (id) => document.getElementById(id);
const stage = $("stage");
const images = [$("before"), $("after"), $("overlay")];
const details = [$("before-detail"), $("after-detail")];
const afterSide = $("after-side");
const divider = $("divider");
const zoomOutput = $("zoom");
const hint = $("hint");

const CLICK_SLOP_PX = 5;       // movement below this is a click, above it a drag
const DOUBLE_CLICK_MS = 250;   // a click waits this long so a double-click is not also reported
const MAX_DEVICE_PX_PER_IMAGE_PX = 64;
const FOCUS_ZOOM = 4;          // a focus opens at 4× fit (or actual pixels if larger)
const SETTLE_MS = 300;         // the view rests this long before it asks for full resolution
const HINT_MS = 1800;          // how long the "how to zoom" hint stays
const MARGIN = 0.25;           // a window asked for reaches this far past the view, for small pans
const HOW = "Scroll: page · Ctrl/⌘ + scroll, pinch, or click then scroll: zoom";
const HINT = "To zoom: Ctrl + scroll (⌘ + scroll on a Mac), pinch, or click the picture first";

// Everything the view remembers between events and renders.
const state = {
  iw: 0, ih: 0,          // the result's full size, in its own pixels
  shownWidth: 0,         // the width of the display copies the page sends
  scale: 1, tx: 0, ty: 0, split: 0.5, fitted: true,
  shown: "",             // names the pictures drawn: a new name is a new result
  resultId: "",          // the page's name for this result, sent back with a window asked for
  pendingFocus: null, needsInitialView: false, lastSize: { w: 0, h: 0 },
  marker: null,          // [x, y, width, height] as fractions of the image, or null
  engaged: false,        // clicked into: the plain wheel zooms until the pointer leaves
  pendingClick: null, clicks: 0, click: null,
  // This view's own name, so that its first click is new to the page even when the page drew a
  // new view in the place of an old one (which counted its clicks from one too).
  instance: Math.random().toString(36).slice(2),
  window: null,          // the full-resolution window last asked for, [left, top, width, height]
  askTimer: null, hintTimer: null,
  detail: null,          // the window the page sent, {left, top, width, height}
};

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

// The view's value: the last click (as fractions, with its count) and the window it wants at
// full resolution, with the name of the result it wants it from.
function report() {
  const click = state.click || { x: null, y: null };
  const value = {
    x: click.x, y: click.y, click: `${state.instance}:${state.clicks}`, window: state.window,
    result: state.resultId,
  };
  send("streamlit:setComponentValue", { value, dataType: "json" });
}

const dpr = () => window.devicePixelRatio || 1;
const stageSize = () => ({ w: stage.clientWidth, h: stage.clientHeight });
const fitScale = () => {
  const { w, h } = stageSize();
  return Math.min(w / state.iw, h / state.ih);
};
const actualScale = () => 1 / dpr();

function clampPan() {
  const { w, h } = stageSize();
  const shownW = state.iw * state.scale;
  const shownH = state.ih * state.scale;
  state.tx = shownW <= w ? (w - shownW) / 2 : Math.min(0, Math.max(w - shownW, state.tx));
  state.ty = shownH <= h ? (h - shownH) / 2 : Math.min(0, Math.max(h - shownH, state.ty));
}

function place(img, left, top, width, height) {
  img.style.width = `${width}px`;
  img.style.height = `${height}px`;
  img.style.transform =
    `translate(${state.tx + left * state.scale}px, ${state.ty + top * state.scale}px) scale(${state.scale})`;
}

function render() {
  if (!state.iw) return;
  clampPan();
  for (const img of images) place(img, 0, 0, state.iw, state.ih);
  const d = state.detail;
  for (const img of details) {
    img.hidden = !d;
    if (d) place(img, d.left, d.top, d.width, d.height);
  }
  const marker = $("marker");
  marker.hidden = !state.marker;
  if (state.marker) {
    const [mx, my, mw, mh] = state.marker;
    Object.assign(marker.style, {
      left: `${state.tx + mx * state.iw * state.scale}px`, top: `${state.ty + my * state.ih * state.scale}px`,
      width: `${mw * state.iw * state.scale}px`, height: `${mh * state.ih * state.scale}px`,
    });
  }
  const { w } = stageSize();
  const x = state.split * w;
  afterSide.style.clipPath = `inset(0 0 0 ${x}px)`;
  divider.style.left = `${x}px`;
  const percent = Math.round(state.split * 100);
  divider.setAttribute("aria-valuenow", String(percent));
  divider.setAttribute("aria-valuetext", `${percent} % of the width shows the first image`);
  const devicePxPerImagePx = state.scale * dpr();
  zoomOutput.textContent = `${Math.round(devicePxPerImagePx * 100)} %`;
  stage.classList.toggle("pixelated", devicePxPerImagePx > 1.001);
  stage.classList.toggle("zoomed", !state.fitted && state.scale > fitScale() * 1.001);
  askForDetailSoon();
}

// --- full resolution where the display copies run out ----------------------------------------
// The display copies hold shownWidth of the result's iw pixels across; past that magnification
// the view asks for the window it shows (and a margin) at full resolution, once it rests.
function wantedWindow() {
  const ratio = state.shownWidth / state.iw;
  if (!state.iw || ratio >= 1 || state.scale * dpr() <= ratio * 1.01) return null;
  const { w, h } = stageSize();
  const left = -state.tx / state.scale, top = -state.ty / state.scale;
  const width = w / state.scale, height = h / state.scale;
  const x0 = Math.max(0, Math.floor(left - MARGIN * width));
  const y0 = Math.max(0, Math.floor(top - MARGIN * height));
  const x1 = Math.min(state.iw, Math.ceil(left + (1 + MARGIN) * width));
  const y1 = Math.min(state.ih, Math.ceil(top + (1 + MARGIN) * height));
  return { seen: [left, top, width, height], window: [x0, y0, x1 - x0, y1 - y0] };
}

function covers(box, [left, top, width, height]) {
  return box && box.left <= left && box.top <= top
    && box.left + box.width >= Math.min(state.iw, left + width)
    && box.top + box.height >= Math.min(state.ih, top + height);
}

const asBox = ([left, top, width, height]) => ({ left, top, width, height });

function askForDetailSoon() {
  clearTimeout(state.askTimer);
  state.askTimer = setTimeout(() => {
    const wanted = wantedWindow();
    if (!wanted || covers(state.detail, wanted.seen)) return;  // none needed, or shown already
    if (state.window && covers(asBox(state.window), wanted.seen)) return;  // asked already
    state.window = wanted.window;
    report();
  }, SETTLE_MS);
}

// --- zooming -----------------------------------------------------------------------------------
function fit() {
  state.scale = fitScale();
  state.fitted = true;
  render();
}

function zoomAbout(px, py, scale) {
  const lowest = Math.min(fitScale(), actualScale());
  const highest = MAX_DEVICE_PX_PER_IMAGE_PX / dpr();
  const next = Math.min(highest, Math.max(lowest, scale));
  // Keep the image point under (px, py) where it is.
  state.tx = px - ((px - state.tx) / state.scale) * next;
  state.ty = py - ((py - state.ty) / state.scale) * next;
  state.scale = next;
  state.fitted = false;
  render();
}

function zoomAboutCentre(scale) {
  const { w, h } = stageSize();
  zoomAbout(w / 2, h / 2, scale);
}

function showFocus([fx, fy]) {
  const { w, h } = stageSize();
  state.scale = Math.max(FOCUS_ZOOM * fitScale(), actualScale());
  state.tx = w / 2 - fx * state.iw * state.scale;
  state.ty = h / 2 - fy * state.ih * state.scale;
  state.fitted = false;
  render();
}

function applyInitialView() {
  const { w, h } = stageSize();
  if (!state.needsInitialView || !state.iw || !w || !h) return;
  state.needsInitialView = false;
  if (state.pendingFocus) showFocus(state.pendingFocus);
  else fit();
}

function stagePoint(event) {
  const rect = stage.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

function showHint() {
  hint.textContent = HINT;
  hint.hidden = false;
  clearTimeout(state.hintTimer);
  state.hintTimer = setTimeout(() => { hint.hidden = true; }, HINT_MS);
}

// --- divider: pointer and keyboard -------------------------------------------------------
function moveDividerTo(clientX) {
  const rect = stage.getBoundingClientRect();
  state.split = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
  render();
}

divider.addEventListener("pointerdown", (event) => {
  event.stopPropagation();
  divider.setPointerCapture(event.pointerId);
  divider.focus();
  moveDividerTo(event.clientX);
});
divider.addEventListener("pointermove", (event) => {
  if (divider.hasPointerCapture(event.pointerId)) moveDividerTo(event.clientX);
});
divider.addEventListener("click", (event) => event.stopPropagation());
divider.addEventListener("dblclick", (event) => event.stopPropagation());
divider.addEventListener("keydown", (event) => {
  const step = event.shiftKey ? 0.01 : 0.05;
  const moves = {
    ArrowLeft: state.split - step,
    ArrowDown: state.split - step,
    ArrowRight: state.split + step,
    ArrowUp: state.split + step,
    Home: 0,
    End: 1,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  state.split = Math.min(1, Math.max(0, moves[event.key]));
  render();
});

// --- stage: pan with one pointer, pinch with two, wheel zoom ------------------------------
const pointers = new Map();
let gesture = null; // {moved, startX, startY, pinch}

function pinchState() {
  const [a, b] = [...pointers.values()];
  return { distance: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

stage.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  if (event.pointerType === "mouse") state.engaged = true;  // a click into the view
  stage.setPointerCapture(event.pointerId);
  pointers.set(event.pointerId, stagePoint(event));
  if (pointers.size === 1) {
    const p = stagePoint(event);
    gesture = { moved: false, startX: p.x, startY: p.y, pinch: null };
  } else if (pointers.size === 2 && gesture) {
    gesture.moved = true; // a pinch is never a click
    gesture.pinch = pinchState();
  }
});

stage.addEventListener("pointermove", (event) => {
  if (!pointers.has(event.pointerId) || !gesture) return;
  const previous = pointers.get(event.pointerId);
  const p = stagePoint(event);
  pointers.set(event.pointerId, p);
  if (pointers.size >= 2 && gesture.pinch) {
    const now = pinchState();
    state.tx += now.x - gesture.pinch.x;
    state.ty += now.y - gesture.pinch.y;
    zoomAbout(now.x, now.y, state.scale * (now.distance / gesture.pinch.distance));
    gesture.pinch = now;
    return;
  }
  if (Math.hypot(p.x - gesture.startX, p.y - gesture.startY) > CLICK_SLOP_PX) gesture.moved = true;
  if (gesture.moved) {
    stage.classList.add("panning");
    state.tx += p.x - previous.x;
    state.ty += p.y - previous.y;
    state.fitted = false;
    render();
  }
});

function endPointer(event) {
  pointers.delete(event.pointerId);
  if (pointers.size < 2 && gesture) gesture.pinch = null;
  if (pointers.size === 0) stage.classList.remove("panning");
}
stage.addEventListener("pointerup", endPointer);
stage.addEventListener("pointercancel", endPointer);
stage.addEventListener("pointerleave", (event) => {
  if (event.pointerType === "mouse" && !pointers.size) state.engaged = false;
});

// The wheel zooms only when asked to (Ctrl/⌘ held, a trackpad's pinch, or after a click into
// the view); otherwise it is left to scroll the page, and the view says how to zoom.
stage.addEventListener(
  "wheel",
  (event) => {
    if (!(event.ctrlKey || event.metaKey || state.engaged)) {
      showHint();
      return;
    }
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    const p = stagePoint(event);
    zoomAbout(p.x, p.y, state.scale * Math.exp(-event.deltaY * lines * 0.002));
  },
  { passive: false },
);

// --- clicks: report the point; double-click toggles actual pixels --------------------------
stage.addEventListener("click", (event) => {
  if (!gesture || gesture.moved) return;
  const p = stagePoint(event);
  const fx = (p.x - state.tx) / (state.iw * state.scale);
  const fy = (p.y - state.ty) / (state.ih * state.scale);
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
  clearTimeout(state.pendingClick);
  state.pendingClick = setTimeout(() => {
    state.pendingClick = null;
    const round = (v) => Math.round(v * 1e5) / 1e5;
    state.clicks += 1;  // so that a second click on the same spot is a new value too
    state.click = { x: round(fx), y: round(fy) };
    report();
  }, DOUBLE_CLICK_MS);
});

stage.addEventListener("dblclick", (event) => {
  clearTimeout(state.pendingClick);
  state.pendingClick = null;
  const p = stagePoint(event);
  if (Math.abs(state.scale * dpr() - 1) < 1e-3) fit();
  else zoomAbout(p.x, p.y, actualScale());
});

$("fit").addEventListener("click", fit);
$("actual").addEventListener("click", () => zoomAboutCentre(actualScale()));
$("zoom-in").addEventListener("click", () => zoomAboutCentre(state.scale * 1.5));
$("zoom-out").addEventListener("click", () => zoomAboutCentre(state.scale / 1.5));

// --- size: follow the container, keeping the point at the centre where it was -------------
new ResizeObserver(() => {
  const { w, h } = stageSize();
  if (state.needsInitialView) applyInitialView();
  else if (state.fitted) fit();
  else if (state.lastSize.w && state.iw) {
    state.tx += (w - state.lastSize.w) / 2;
    state.ty += (h - state.lastSize.h) / 2;
    render();
  }
  state.lastSize = { w, h };
}).observe(stage);

// --- Streamlit protocol ------------------------------------------------------------------
function showDetail(detail) {
  if (!detail || detail.result !== state.resultId) return;
  const box = { left: detail.left, top: detail.top, width: detail.width, height: detail.height };
  if (state.detail && state.detail.left === box.left && state.detail.top === box.top
      && state.detail.width === box.width && state.detail.height === box.height) return;
  details[0].src = detail.before;
  details[1].src = detail.after;
  state.detail = box;
}

window.addEventListener("message", (event) => {
  if (event.data?.type !== "streamlit:render") return;
  const args = event.data.args;
  $("before-label").textContent = args.before_label;
  $("after-label").textContent = args.after_label;
  $("how").textContent = HOW;
  state.marker = args.marker || null;
  const overlay = $("overlay");
  if (args.overlay) overlay.src = args.overlay;
  overlay.hidden = !args.overlay;
  const shownNow = args.before + args.after;
  if (shownNow !== state.shown) {
    state.shown = shownNow;
    $("before").src = args.before;
    $("after").src = args.after;
    state.iw = args.full_width;
    state.ih = args.full_height;
    state.shownWidth = args.image_width;
    state.pendingFocus = args.focus;
    state.needsInitialView = true;
    state.detail = null;
    state.window = null;
  }
  state.resultId = args.result_id || "";
  showDetail(args.detail);
  send("streamlit:setFrameHeight", { height: args.height });
  applyInitialView();
  render();
});

send("streamlit:componentReady", { apiVersion: 1 });

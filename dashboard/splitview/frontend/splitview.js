// Before/after split view, speaking Streamlit's component protocol (v1) over postMessage.
// One view state (scale, tx, ty) moves both images, so the two sides always stay aligned;
// the after side is only clipped, never moved on its own.
"use strict";

const $ = (id) => document.getElementById(id);
const stage = $("stage");
const images = [$("before"), $("after"), $("overlay")];
const afterSide = $("after-side");
const divider = $("divider");
const zoomOutput = $("zoom");

const CLICK_SLOP_PX = 5;       // movement below this is a click, above it a drag
const DOUBLE_CLICK_MS = 250;   // a click waits this long so a double-click is not also reported
const MAX_DEVICE_PX_PER_IMAGE_PX = 64;
const FOCUS_ZOOM = 4;          // a focus opens at 4× fit (or actual pixels if larger)

const view = { iw: 0, ih: 0, scale: 1, tx: 0, ty: 0, split: 0.5, fitted: true };
let shownImages = "";
let pendingFocus = null;
let needsInitialView = false;
let lastSize = { w: 0, h: 0 };
let markerBox = null;  // [x, y, width, height] as fractions of the image, or null

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

const dpr = () => window.devicePixelRatio || 1;
const stageSize = () => ({ w: stage.clientWidth, h: stage.clientHeight });
const fitScale = () => {
  const { w, h } = stageSize();
  return Math.min(w / view.iw, h / view.ih);
};
const actualScale = () => 1 / dpr();

function clampPan() {
  const { w, h } = stageSize();
  const shownW = view.iw * view.scale;
  const shownH = view.ih * view.scale;
  view.tx = shownW <= w ? (w - shownW) / 2 : Math.min(0, Math.max(w - shownW, view.tx));
  view.ty = shownH <= h ? (h - shownH) / 2 : Math.min(0, Math.max(h - shownH, view.ty));
}

function render() {
  if (!view.iw) return;
  clampPan();
  const transform = `translate(${view.tx}px, ${view.ty}px) scale(${view.scale})`;
  for (const img of images) {
    img.style.width = `${view.iw}px`;
    img.style.height = `${view.ih}px`;
    img.style.transform = transform;
  }
  const marker = $("marker");
  marker.hidden = !markerBox;
  if (markerBox) {
    const [mx, my, mw, mh] = markerBox;
    Object.assign(marker.style, {
      left: `${view.tx + mx * view.iw * view.scale}px`, top: `${view.ty + my * view.ih * view.scale}px`,
      width: `${mw * view.iw * view.scale}px`, height: `${mh * view.ih * view.scale}px`,
    });
  }
  const { w } = stageSize();
  const x = view.split * w;
  afterSide.style.clipPath = `inset(0 0 0 ${x}px)`;
  divider.style.left = `${x}px`;
  const percent = Math.round(view.split * 100);
  divider.setAttribute("aria-valuenow", String(percent));
  divider.setAttribute("aria-valuetext", `${percent} % of the width shows the first image`);
  const devicePxPerImagePx = view.scale * dpr();
  zoomOutput.textContent = `${Math.round(devicePxPerImagePx * 100)} %`;
  stage.classList.toggle("pixelated", devicePxPerImagePx > 1.001);
}

function fit() {
  view.scale = fitScale();
  view.fitted = true;
  render();
}

function zoomAbout(px, py, scale) {
  const lowest = Math.min(fitScale(), actualScale());
  const highest = MAX_DEVICE_PX_PER_IMAGE_PX / dpr();
  const next = Math.min(highest, Math.max(lowest, scale));
  // Keep the image point under (px, py) where it is.
  view.tx = px - ((px - view.tx) / view.scale) * next;
  view.ty = py - ((py - view.ty) / view.scale) * next;
  view.scale = next;
  view.fitted = false;
  render();
}

function zoomAboutCentre(scale) {
  const { w, h } = stageSize();
  zoomAbout(w / 2, h / 2, scale);
}

function showFocus([fx, fy]) {
  const { w, h } = stageSize();
  view.scale = Math.max(FOCUS_ZOOM * fitScale(), actualScale());
  view.tx = w / 2 - fx * view.iw * view.scale;
  view.ty = h / 2 - fy * view.ih * view.scale;
  view.fitted = false;
  render();
}

function applyInitialView() {
  const { w, h } = stageSize();
  if (!needsInitialView || !view.iw || !w || !h) return;
  needsInitialView = false;
  if (pendingFocus) showFocus(pendingFocus);
  else fit();
}

function stagePoint(event) {
  const rect = stage.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

// --- divider: pointer and keyboard -------------------------------------------------------
function moveDividerTo(clientX) {
  const rect = stage.getBoundingClientRect();
  view.split = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
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
    ArrowLeft: view.split - step,
    ArrowDown: view.split - step,
    ArrowRight: view.split + step,
    ArrowUp: view.split + step,
    Home: 0,
    End: 1,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  view.split = Math.min(1, Math.max(0, moves[event.key]));
  render();
});

// --- stage: pan with one pointer, pinch with two, wheel zoom ------------------------------
const pointers = new Map();
let gesture = null; // {moved, startX, startY, pinchDistance}

function pinchState() {
  const [a, b] = [...pointers.values()];
  return { distance: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

stage.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 && event.pointerType === "mouse") return;
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
    view.tx += now.x - gesture.pinch.x;
    view.ty += now.y - gesture.pinch.y;
    zoomAbout(now.x, now.y, view.scale * (now.distance / gesture.pinch.distance));
    gesture.pinch = now;
    return;
  }
  if (Math.hypot(p.x - gesture.startX, p.y - gesture.startY) > CLICK_SLOP_PX) gesture.moved = true;
  if (gesture.moved) {
    stage.classList.add("panning");
    view.tx += p.x - previous.x;
    view.ty += p.y - previous.y;
    view.fitted = false;
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

stage.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    const p = stagePoint(event);
    zoomAbout(p.x, p.y, view.scale * Math.exp(-event.deltaY * lines * 0.002));
  },
  { passive: false },
);

// --- clicks: report the point; double-click toggles actual pixels --------------------------
let pendingClick = null;
let clicks = 0;

stage.addEventListener("click", (event) => {
  if (!gesture || gesture.moved) return;
  const p = stagePoint(event);
  const fx = (p.x - view.tx) / (view.iw * view.scale);
  const fy = (p.y - view.ty) / (view.ih * view.scale);
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
  clearTimeout(pendingClick);
  pendingClick = setTimeout(() => {
    pendingClick = null;
    const round = (v) => Math.round(v * 1e5) / 1e5;
    clicks += 1;  // so that a second click on the same spot is a new value too
    send("streamlit:setComponentValue", {
      value: { x: round(fx), y: round(fy), click: clicks }, dataType: "json" });
  }, DOUBLE_CLICK_MS);
});

stage.addEventListener("dblclick", (event) => {
  clearTimeout(pendingClick);
  pendingClick = null;
  const p = stagePoint(event);
  if (Math.abs(view.scale * dpr() - 1) < 1e-3) fit();
  else zoomAbout(p.x, p.y, actualScale());
});

$("fit").addEventListener("click", fit);
$("actual").addEventListener("click", () => zoomAboutCentre(actualScale()));
$("zoom-in").addEventListener("click", () => zoomAboutCentre(view.scale * 1.5));
$("zoom-out").addEventListener("click", () => zoomAboutCentre(view.scale / 1.5));

// --- size: follow the container, keeping the point at the centre where it was -------------
new ResizeObserver(() => {
  const { w, h } = stageSize();
  if (needsInitialView) applyInitialView();
  else if (view.fitted) fit();
  else if (lastSize.w && view.iw) {
    view.tx += (w - lastSize.w) / 2;
    view.ty += (h - lastSize.h) / 2;
    render();
  }
  lastSize = { w, h };
}).observe(stage);

// --- Streamlit protocol ------------------------------------------------------------------
window.addEventListener("message", (event) => {
  if (event.data?.type !== "streamlit:render") return;
  const args = event.data.args;
  $("before-label").textContent = args.before_label;
  $("after-label").textContent = args.after_label;
  markerBox = args.marker || null;
  const overlay = $("overlay");
  if (args.overlay) overlay.src = args.overlay;
  overlay.hidden = !args.overlay;
  const imagesNow = args.before + args.after;
  if (imagesNow !== shownImages) {
    shownImages = imagesNow;
    $("before").src = args.before;
    $("after").src = args.after;
    view.iw = args.image_width;
    view.ih = args.image_height;
    pendingFocus = args.focus;
    needsInitialView = true;
  }
  send("streamlit:setFrameHeight", { height: args.height });
  applyInitialView();
  render();
});

send("streamlit:componentReady", { apiVersion: 1 });

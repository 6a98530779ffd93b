// The lesson's picture, or the 3D tab's plot alone, speaking Streamlit's component protocol (v1)
// over postMessage. The 3D plot is built once per set of points; each step (or each switch of
// the 3D tab's colouring or highlight) then only recolours the points, outlines those that
// changed team and glides the centroids to where they moved, so the browser never rebuilds the
// scene or receives a whole figure again.
"use strict";

const $ = (id) => document.getElementById(id);

// A software WebGL renderer (a laptop without a GPU) spends much of a frame on multisampling,
// which the plot's 2-pixel dots and thin axes do not need. So each canvas made while the plot
// is built asks its own WebGL context for none; no other canvas, and no prototype, is touched.
function withoutMultisampling(build) {
  const create = document.createElement;
  document.createElement = function (tag, options) {
    const element = create.call(document, tag, options);
    if (String(tag).toLowerCase() === "canvas") {
      const getContext = element.getContext.bind(element);
      element.getContext = (kind, attributes) =>
        getContext(kind, String(kind).includes("webgl") ? { ...attributes, antialias: false } : attributes);
    }
    return element;
  };
  try {
    return build();
  } finally {
    document.createElement = create;
  }
}
const plot = $("plot");
const curve = $("curve");
// The lesson is projected: every word in its picture is at least 24 px, axis labels included.
const FONT = { family: '"Source Sans Pro", system-ui, sans-serif', size: 24, color: "#31333f" };
const GLIDE_MS = 700;           // how long the centroids take to glide to their new place
const AXIS = { range: [0, 255], backgroundcolor: "#f4f4f6", tickfont: { size: 24 }, tickvals: [0, 255] };
// plotly.js draws WebGL at twice the screen's pixels by default: four times the work for a software
// renderer (a laptop without a GPU), for a sharpness a projector does not show.
const CONFIG = { displaylogo: false, displayModeBar: false, responsive: true, plotGlPixelRatio: 1 };

// A padlock drawn here, not an emoji: a projector's laptop may have no emoji font.
const LOCK_ICON = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" '
  + 'd="M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5z'
  + 'm-3 8V7a3 3 0 0 1 6 0v3H9z"/></svg>';
// Everything the frame remembers between two renders, in one place.
const state = {
  pointsId: null,     // names the plotted points: a new id rebuilds the plot
  stepId: null,       // the step shown: only a new update glides
  xyz: null,          // {x, y, z} of the plotted points
  ownColours: null,   // each point's own colour, shown before the first assignment
  drawn: null,        // the centroids as drawn now, [[r, g, b], ...]
  glide: null,        // the running glide's requestAnimationFrame id
  events: 0,          // clicks and key presses reported to Python, so each is a new value
  // This picture's own name: a picture drawn in the place of an old one counts from one too.
  instance: Math.random().toString(36).slice(2),
  photoUrl: null,
  lastArgs: null,
  renders: 0,         // so that a step's late callbacks know a newer one came
  lessonHeight: null, // the lesson's height, fixed when it is first drawn
  frameHeight: null,  // the height drawn at: the lesson's, or the one asked for
};

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

// Tells Python what the visitor did; the count makes a repeat of the same act a new value.
function report(what) {
  state.events += 1;
  const event = `${state.instance}:${state.events}`;
  send("streamlit:setComponentValue", { value: { ...what, event }, dataType: "json" });
}

const clamp = (v) => Math.max(0, Math.min(255, Math.round(v)));
const hex = (c) => "#" + c.map((v) => clamp(v).toString(16).padStart(2, "0")).join("");
const lerp = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const ease = (t) => 1 - (1 - t) ** 3;

function decodePoints(bytes) {
  const n = bytes.length / 3;
  const x = new Array(n), y = new Array(n), z = new Array(n), colours = new Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = bytes[3 * i]; y[i] = bytes[3 * i + 1]; z[i] = bytes[3 * i + 2];
    colours[i] = hex([x[i], y[i], z[i]]);
  }
  return [{ x, y, z }, colours];
}

// Balls large enough to read at K = 16, small enough not to hide the cloud at K = 256.
function centroidSize(k) {
  return Math.min(20, Math.max(6, 26 - 4 * Math.log2(Math.max(k, 1))));
}

// --- the 3D plot ------------------------------------------------------------------------
// Squares, not circles: at two pixels they look alike, but plotly.js draws each dot as its
// symbol's outline filled in, and squares are the cheapest for software WebGL to draw.
function pointTrace(colours) {
  return {
    type: "scatter3d", mode: "markers", ...state.xyz, name: `${state.xyz.x.length.toLocaleString("en")} pixels`,
    marker: { size: 2, symbol: "square", color: colours, opacity: 0.55 },
    hovertemplate: "R %{x}, G %{y}, B %{z}<extra>pixel</extra>",
  };
}

function changedTrace(changed) {
  const x = [], y = [], z = [];
  if (changed) {
    for (let i = 0; i < changed.length; i++) {
      if (changed[i]) { x.push(state.xyz.x[i]); y.push(state.xyz.y[i]); z.push(state.xyz.z[i]); }
    }
  }
  return {
    type: "scatter3d", mode: "markers", x, y, z, name: "changed team", hoverinfo: "skip",
    marker: { size: 4, symbol: "circle-open", color: "black", line: { width: 2, color: "black" } },
  };
}

function trailTrace(from, to) {
  const x = [], y = [], z = [];
  if (from) {
    from.forEach((old, j) => {
      x.push(old[0], to[j][0], null); y.push(old[1], to[j][1], null); z.push(old[2], to[j][2], null);
    });
  }
  return {
    type: "scatter3d", mode: "lines", x, y, z, name: "how far each moved", hoverinfo: "skip",
    line: { color: "black", width: 4 },
  };
}

function centroidTrace(centroids, locked) {
  const fills = centroids.map(hex);
  return {
    type: "scatter3d", mode: "markers", name: "palette colours",
    x: centroids.map((c) => c[0]), y: centroids.map((c) => c[1]), z: centroids.map((c) => c[2]),
    text: fills.map((f, j) => (locked[j] ? `${f} (locked)` : f)),
    marker: {
      size: centroidSize(centroids.length), color: fills, opacity: 1,
      symbol: locked.map((l) => (l ? "diamond" : "circle")), line: { color: "black", width: 3 },
    },
    hovertemplate: "R %{x:.0f}, G %{y:.0f}, B %{z:.0f}<br>%{text}<extra>centroid</extra>",
  };
}

const LAYOUT = {
  font: FONT,
  margin: { l: 0, r: 0, t: 0, b: 0 },
  showlegend: false,  // the key under the plot says it in fewer lines
  uirevision: "keep the camera",
  scene: {
    xaxis: { ...AXIS, title: { text: "R" } },
    yaxis: { ...AXIS, title: { text: "G" } },
    zaxis: { ...AXIS, title: { text: "B" } },
    aspectmode: "cube",
    // Look across the grey diagonal, along which most photos lie, not down it.
    camera: { eye: { x: 1.55, y: -1.35, z: 0.55 } },
    domain: { x: [0, 1], y: [0, 1] },
  },
};

// The 3D tab's plot sits in a column beside other charts, in the page's smaller type.
const TAB_AXIS = { ...AXIS, tickfont: { size: 12 }, tickvals: undefined };
const TAB_LAYOUT = {
  ...LAYOUT,
  font: { ...FONT, size: 14 },
  scene: {
    ...LAYOUT.scene,
    xaxis: { ...TAB_AXIS, title: { text: "R" } },
    yaxis: { ...TAB_AXIS, title: { text: "G" } },
    zaxis: { ...TAB_AXIS, title: { text: "B" } },
  },
};

// Plotly scales the scene to the plot's height when the plot is wider than tall, and the
// cube's silhouette with its tick labels is about 1.2 times as wide as tall: so the camera
// comes as close as the column's width allows (a laptop), and stands back on a narrow phone,
// where it would otherwise cut the labels off. Seen from above, the silhouette hangs below the
// cube's centre (the R and G ticks along the bottom); looking a little below the centre lifts
// it to fill the plot's top instead of leaving a band of white there.
// Before the plot is laid out (no width yet) it stands back as far as it used to, 1.25.
// On a phone (held, not projected) the lesson's words are smaller.
function fittedLayout(base, width, height) {
  const back = width > 0 ? Math.max(1.0, (1.2 * height) / width) : 1.25;
  const eye = { x: 1.55 * back, y: -1.35 * back, z: 0.55 * back };
  const small = base === LAYOUT && onPhone();
  const axis = (a) => (small ? { ...a, tickfont: { size: 14 } } : a);
  return {
    ...base,
    font: small ? { ...FONT, size: 16 } : base.font,
    scene: {
      ...base.scene, xaxis: axis(base.scene.xaxis), yaxis: axis(base.scene.yaxis),
      zaxis: axis(base.scene.zaxis), camera: { eye, center: { x: 0, y: 0, z: -0.15 } },
    },
  };
}

const GREYED = "#d0d0d0";  // the pixels of the other colours, while one is highlighted

// Each point's own colour, or its team's; with a highlight, grey but for that team's points.
function pointColours(args) {
  const teams = args.teams, highlight = args.highlight;
  if (!teams) return state.ownColours;
  const fills = args.centroids.map(hex);
  return Array.from(teams, (team, i) =>
    highlight !== null && team !== highlight ? GREYED : args.colour_by_team ? fills[team] : state.ownColours[i]);
}

function drawPlot(args, centroids, trailFrom) {
  const data = [
    pointTrace(pointColours(args)),
    changedTrace(args.changed),
    trailTrace(trailFrom, centroids),
    centroidTrace(centroids, args.locked),
  ];
  state.drawn = centroids;
  const plotted = state.xyz.x.length.toLocaleString("en");
  $("key-points").textContent = args.n_pixels
    ? `${plotted} of the ${args.n_pixels.toLocaleString("en")} pixels` : `${plotted} pixels`;
  $("key-trail").hidden = !trailFrom;
  $("key-changed").hidden = !data[1].x.length;
  const layout = fittedLayout(args.photo ? LAYOUT : TAB_LAYOUT, plot.clientWidth, state.frameHeight);
  return withoutMultisampling(() => Plotly.react(plot, data, layout, CONFIG));
}

// Moves only the trail and the centroids: the points stay as they are.
function moveCentroids(args, centroids) {
  const trail = trailTrace(args.previous, centroids);
  const balls = centroidTrace(centroids, args.locked);
  state.drawn = centroids;
  $("key-trail").hidden = false;
  return Plotly.restyle(
    plot,
    { x: [trail.x, balls.x], y: [trail.y, balls.y], z: [trail.z, balls.z],
      "marker.color": [null, balls.marker.color] },
    [2, 3],
  );
}

function glideCentroids(args) {
  const from = args.previous, to = args.centroids, started = performance.now();
  const frame = (now) => {
    const t = Math.min(1, (now - started) / GLIDE_MS);
    const at = from.map((c, j) => lerp(c, to[j], ease(t)));
    showSwatches(args, at);
    moveCentroids(args, at).then(() => {
      if (state.glide === null) return;  // a newer step took over
      state.glide = t < 1 ? requestAnimationFrame(frame) : null;
    });
  };
  state.glide = requestAnimationFrame(frame);
}

// --- the photo, the palette and the error curve -----------------------------------------
function showPhoto(args) {
  const url = URL.createObjectURL(new Blob([args.photo], { type: "image/png" }));
  const img = $("photo");
  img.onload = () => { if (state.photoUrl && state.photoUrl !== url) URL.revokeObjectURL(state.photoUrl); state.photoUrl = url; };
  img.src = url;
  img.alt = args.photo_caption;
}

function showSwatches(args, centroids) {
  const box = $("swatches");
  while (box.children.length > centroids.length) box.lastChild.remove();
  while (box.children.length < centroids.length) {
    const button = document.createElement("button");
    button.type = "button";
    button.addEventListener("click", () => report({ lock: button.dataset.hex }));
    box.appendChild(button);
  }
  centroids.forEach((c, j) => {
    const button = box.children[j], fill = hex(c), share = args.shares[j];
    const dark = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 140;
    button.style.background = fill;
    button.style.color = dark ? "#fff" : "#000";
    button.style.flexGrow = String(Math.max(share, 0.001));
    button.dataset.hex = fill;
    button.innerHTML = args.locked[j] ? LOCK_ICON : "";
    const said = args.assigned
      ? `${fill}, ${Math.round(100 * share)}% of the pixels` : `${fill}, no pixel in its team yet`;
    button.title = args.locked[j] ? `${said}, locked` : `${said}: click to lock it`;
    button.setAttribute("aria-label", button.title);
  });
}

// The curve keeps its place from the start (empty until the first step), so the photo above it
// keeps its size; its axis counts rounds, as the sentence does, with the round from which the
// picture looks the same as at the end marked.
function showErrors(args) {
  $("error-caption").textContent = args.error_caption;
  const errors = args.errors;
  curve.style.visibility = errors.length ? "visible" : "hidden";
  if (!errors.length) return;
  const last = Math.max(1, Math.ceil(args.error_rounds[args.error_rounds.length - 1]));
  const marked = args.settled && args.settled <= last;
  Plotly.react(
    curve,
    [{ x: args.error_rounds, y: errors, mode: "lines+markers", line: { color: "#1f77b4" },
       hovertemplate: "round %{x}: %{y:.2f} levels<extra></extra>" }],
    {
      font: onPhone() ? { ...FONT, size: 16 } : FONT, height: 100, margin: { l: 56, r: 8, t: 6, b: 30 },
      showlegend: false,
      xaxis: { range: [0, last + 0.5], dtick: Math.max(1, Math.ceil(last / 6)), fixedrange: true },
      // From zero, so a small fall looks small.
      yaxis: { range: [0, Math.max(...errors) * 1.1], fixedrange: true, nticks: 3 },
      shapes: marked ? [{ type: "line", x0: args.settled, x1: args.settled, yref: "paper", y0: 0, y1: 1,
                          line: { color: "#2a9d3a", width: 3, dash: "dot" } }] : [],
    },
    { displayModeBar: false, responsive: true },
  );
}

// --- Streamlit protocol ------------------------------------------------------------------
// Projected, the lesson fills what is left of the first screen below its top, up to twice the
// height asked for, so a tall screen is not left a third empty. It is
// fixed at the first drawing, because Plotly keeps the height it first drew at. The page is
// served from the same origin as this frame; if it were not, the height asked for is kept.
function onPhone() {
  try {
    return window.parent.innerWidth <= 640;
  } catch (error) {
    return false;
  }
}

function heightToFill(asked) {
  try {
    const view = window.parent;
    if (onPhone()) return asked;  // a phone: one column, its own heights
    // Less a margin for the step's sentence above, which may yet wrap onto a second line.
    const room = view.innerHeight - window.frameElement.getBoundingClientRect().top - 48;
    return Math.round(Math.min(2 * asked, Math.max(asked, room)));
  } catch (error) {
    return asked;
  }
}

function render(args) {
  document.documentElement.classList.toggle("phone", onPhone());
  if (args.photo) state.lessonHeight ??= heightToFill(args.height);
  state.frameHeight = args.photo ? state.lessonHeight : args.height;
  document.documentElement.style.setProperty("--height", `${state.frameHeight}px`);
  if (args.points_id !== state.pointsId) {
    state.pointsId = args.points_id;
    [state.xyz, state.ownColours] = decodePoints(args.points);
    state.drawn = null;
  }
  if (state.glide !== null) { cancelAnimationFrame(state.glide); state.glide = null; }
  const thisRender = ++state.renders;
  const gliding = args.previous && state.drawn && args.step_id !== state.stepId;
  state.stepId = args.step_id;
  // Without a photo this is the 3D tab's plot: no photo, palette or error curve beside it.
  const plotOnly = !args.photo;
  $("lesson").classList.toggle("plot-only", plotOnly);
  if (!plotOnly) {
    showPhoto(args);
    showErrors(args);
  }
  if (gliding) {
    // The points take their new colours at once; once that is on screen, the centroids
    // glide to their new places, trailing a line.
    drawPlot(args, args.previous, null).then(() => {
      if (thisRender !== state.renders) return;
      state.glide = requestAnimationFrame(() => { state.glide = requestAnimationFrame(() => glideCentroids(args)); });
    });
  } else {
    if (!plotOnly) showSwatches(args, args.centroids);
    drawPlot(args, args.centroids, args.previous);
  }
  send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight });
}

window.addEventListener("message", (event) => {
  if (event.data?.type !== "streamlit:render") return;
  state.lastArgs = event.data.args;
  render(state.lastArgs);
});

// The keys Python says step the lesson step it even when the plot has the focus, as on the
// page around it: the frame tells Python, which takes the step.
window.addEventListener("keydown", (event) => {
  if (!(state.lastArgs?.step_keys || []).includes(event.key)) return;
  event.preventDefault();
  report({ step: true });
});

new ResizeObserver(() => {
  if (state.lastArgs) send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight });
}).observe(document.body);

send("streamlit:componentReady", { apiVersion: 1 });

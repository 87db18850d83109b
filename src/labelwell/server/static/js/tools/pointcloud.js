// Cuboids on LiDAR point clouds (three.js): a 3D view to orbit, and top, side and
// front views of the selected cuboid. The server parses PCD/PLY/KITTI frames and
// sends float32 x, y, z, intensity, so 500k points arrive as one buffer.
//
// Keyboard first: number keys pick the label of the next cuboid (R relabels the
// selected one); arrows move it (Shift: 1 m), PageUp/PageDown raise and lower it,
// Q/E turn it (Shift: 10°), Z/X shorten/lengthen, C/V narrow/widen, F/G lower/raise
// its height; , and . step through the frames of a sequence, K makes a keyframe of
// the selected track here (boxes between keyframes are interpolated), M asks for
// suggestions (ground removal + clustering) and Y takes the next one. Drag in the
// top view to draw a cuboid; drag inside it to move it, on an edge to resize it,
// the handle in front to turn it; in the side and front views edges change length,
// width and height and the body moves it up and down. Del removes a keyframe,
// Shift+Del its whole track; Esc steps back (relabel, selection, suggestions).
import * as THREE from "../../vendor/three-0.187.0/build/three.module.js";
import { OrbitControls } from "../../vendor/three-0.187.0/examples/jsm/controls/OrbitControls.js";
import { api } from "../api.js";
import { colourOf, h, labelChips, labelList, newId } from "../dom.js";
import { relabeller } from "./relabel.js";

const round = (x, n = 3) => Math.round(x * 10 ** n) / 10 ** n;
const wrap = (a) => Math.atan2(Math.sin(a), Math.cos(a));
const lerp = (a, b, t) => a + (b - a) * t;

// Cuboids between two keyframes of a track: linear in centre and size, yaw the
// short way round (as CVAT interpolates 3D cuboids between keyframes).
export function interpolate(a, b, frame) {
  const t = (frame - a.frame) / (b.frame - a.frame);
  const yaw = a.rotation[0] + wrap(b.rotation[0] - a.rotation[0]) * t;
  return {
    id: `${a.tracking_id}-f${frame}`, label: a.label, frame, tracking_id: a.tracking_id, interpolated: true,
    center: a.center.map((v, i) => round(lerp(v, b.center[i], t))),
    dimensions: a.dimensions.map((v, i) => round(lerp(v, b.dimensions[i], t))),
    rotation: [round(wrap(yaw), 4), 0, 0],
  };
}

// Every track's in-between boxes rebuilt from its keyframes.
export function fillTracks(boxes) {
  const keys = boxes.filter((b) => !b.interpolated);
  const tracks = new Map();
  for (const b of keys) if (b.tracking_id !== undefined && b.frame !== undefined) {
    if (!tracks.has(b.tracking_id)) tracks.set(b.tracking_id, []);
    tracks.get(b.tracking_id).push(b);
  }
  const out = [...keys];
  for (const list of tracks.values()) {
    list.sort((p, q) => p.frame - q.frame);
    for (let k = 1; k < list.length; k += 1) {
      for (let f = list[k - 1].frame + 1; f < list[k].frame; f += 1) out.push(interpolate(list[k - 1], list[k], f));
    }
  }
  return out;
}

// Colour by height: blue low, yellow high, brightened by intensity.
function colours(buf, n) {
  const c = new Float32Array(n * 3);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i += 97) { const z = buf[i * 4 + 2]; if (z < lo) lo = z; if (z > hi) hi = z; }
  const span = Math.max(1e-3, hi - lo);
  for (let i = 0; i < n; i += 1) {
    const t = Math.min(1, Math.max(0, (buf[i * 4 + 2] - lo) / span));
    const b = 0.55 + 0.45 * Math.min(1, buf[i * 4 + 3]);
    c[i * 3] = (0.2 + 0.8 * t) * b; c[i * 3 + 1] = (0.5 + 0.4 * t) * b; c[i * 3 + 2] = (1 - 0.8 * t) * b;
  }
  return c;
}

// While the 3D view moves it draws a random sample, and the whole frame once the
// camera has been still for SETTLE_MS: level of detail as large point-cloud
// viewers do it (Potree's point budget, Schütz 2016; CloudCompare's LOD while
// rotating). The sample's size follows the measured frame time: it shrinks until
// a moving frame fits FRAME_MS and grows back while there is headroom, so software
// GL (a few hundred ns a point) draws a few tens of thousands and a GPU far more.
// The sample is the first points of the frame's own buffer (shuffled into place
// once, when it loads), so a change of detail only changes the draw range: one
// geometry, uploaded once.
const MOVING_START = 30_000;
const MOVING_MIN = 4_000;
// the shuffled prefix, so the largest sample: a frame of at most this many points
// is drawn whole while moving once the frame time allows it, a larger one this much
const MOVING_MAX = 250_000;
const FRAME_MS = 20; // an animation frame at 60 Hz, with a little headroom
const SETTLE_MS = 150;

// The next sample size from the last one and the measured frame time (smoothed):
// multiplicative, as a congestion window is, a drop of at most half and a rise of
// a tenth per frame, so one slow frame does not empty the view.
export function nextBudget(points, frameMs, lo = MOVING_MIN, hi = MOVING_MAX) {
  const k = Math.min(1.1, Math.max(0.5, FRAME_MS / Math.max(1, frameMs)));
  return Math.round(Math.min(hi, Math.max(lo, points * k)));
}

// The first m of n points (x, y, z, intensity rows) made a uniform random sample
// of all n, in place (the first m steps of a Fisher-Yates shuffle; Knuth, TAOCP
// vol. 2, 3.4.2, algorithm P), with a fixed seed so a frame always looks the same.
export function sampleFirst(buf, n, m) {
  let seed = 0x9e3779b9;
  const random = () => { seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return seed / 4294967296; };
  for (let i = 0; i < Math.min(m, n - 1); i += 1) {
    const j = i + Math.floor(random() * (n - i));
    for (let k = 0; k < 4; k += 1) { const t = buf[i * 4 + k]; buf[i * 4 + k] = buf[j * 4 + k]; buf[j * 4 + k] = t; }
  }
}

const EDGES = new THREE.EdgesGeometry(new THREE.BoxGeometry(1, 1, 1));
const UNIT_BOX = new THREE.BoxGeometry(1, 1, 1);
// Ortho views of a box: camera offset (box frame), screen right and up as box axes.
const VIEWS = {
  top: { from: [0, 0, 1], right: [0, -1, 0], up: [1, 0, 0], u: 1, v: 0, uSign: -1 },
  side: { from: [0, -1, 0], right: [1, 0, 0], up: [0, 0, 1], u: 0, v: 2, uSign: 1 },
  front: { from: [1, 0, 0], right: [0, 1, 0], up: [0, 0, 1], u: 1, v: 2, uSign: 1 },
};

export function cuboid(control, data, ctx) {
  const labels = labelList(control);
  const source = control.source || "pointcloud";
  const frameRefs = Array.isArray(data[source]) ? data[source] : [data[source]];
  const sequence = Array.isArray(data[source]);
  const itemId = (ctx.mediaUrl(source).match(/\/media\/items\/(\d+)\//) || [])[1];
  const cameraField = typeof data.camera === "string" || Array.isArray(data.camera) ? "camera" : null;
  let boxes = [];
  let selected = null;
  let active = labels[0]?.name;
  let frame = 0;
  let suggestions = [];
  let note = null;
  let shownSelected = null;
  const loaded = new Map(); // frame -> {geometry, n, buf}

  // --- DOM
  const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
  const hint = h("p", { class: "spans-hint muted", role: "status" });
  const frameLine = h("span", { class: "pc-frame", dataset: { frame: "0" } });
  const status = h("span", { class: "muted pc-status", role: "status" });
  const suggestButton = h("button", { type: "button", class: "small", onclick: () => fetchSuggestions() }, `${ctx.t("work.pc_suggest")} (M)`);
  const bar = h("div", { class: "zoom pc-bar" },
    h("button", { type: "button", class: "small", onclick: () => goFrame(frame - 1), disabled: !sequence }, "‹ ,"), frameLine,
    h("button", { type: "button", class: "small", onclick: () => goFrame(frame + 1), disabled: !sequence }, ". ›"),
    sequence ? h("button", { type: "button", class: "small", onclick: () => keyframe() }, `${ctx.t("work.pc_keyframe")} (K)`) : null,
    suggestButton, status);
  const stage = h("div", { class: "pc-stage", tabindex: "0", role: "application", "aria-label": control.name });
  const mainEl = h("div", { class: "pc-main", dataset: { view: "main" } });
  const sideEls = Object.fromEntries(Object.keys(VIEWS).map((k) => [k, h("div", { class: "pc-view", dataset: { view: k } }, h("span", { class: "pc-view-name" }, ctx.t(`work.pc_${k}`)))]));
  const camera = cameraField ? h("img", { class: "pc-camera", alt: ctx.t("work.pc_camera") }) : null;
  const column = h("div", { class: "pc-column" }, ...Object.values(sideEls));
  stage.append(mainEl, column);
  const list = h("ul", { class: "region-list" });
  const suggestList = h("ul", { class: "region-list pc-suggestions" });
  const keysHelp = h("p", { class: "muted small" }, ctx.t("work.pc_keys"));
  const el = h("div", { class: "pointcloud-tool" }, palette, hint, bar, camera ? h("div", { class: "pc-with-camera" }, stage, camera) : stage, keysHelp, suggestList, list);
  Object.assign(stage.style, { display: "grid", gridTemplateColumns: "minmax(0, 2fr) minmax(0, 1fr)", gap: "4px", height: "min(70vh, 560px)", position: "relative", background: "#111", outline: "none" });
  Object.assign(column.style, { display: "grid", gridTemplateRows: "1fr 1fr 1fr", gap: "4px", minHeight: "0", position: "relative" });
  for (const v of [mainEl, ...Object.values(sideEls)]) Object.assign(v.style, { position: "relative", minHeight: "0", overflow: "hidden", background: "#000" });
  for (const v of Object.values(sideEls)) Object.assign(v.firstChild.style, { position: "absolute", left: "4px", top: "2px", color: "#ddd", font: "12px sans-serif", zIndex: "1", pointerEvents: "none" });
  if (camera) {
    Object.assign(camera.parentNode.style, { display: "grid", gridTemplateColumns: "3fr 1fr", gap: "4px" });
    Object.assign(camera.style, { width: "100%", objectFit: "contain", background: "#000" });
  }

  // --- three.js: one renderer for the 3D view, one for the three box views
  const scene = new THREE.Scene();
  const boxLayer = new THREE.Group();
  scene.add(boxLayer);
  const pointsMaterial = new THREE.PointsMaterial({ size: 2, sizeAttenuation: false, vertexColors: true });
  const cloud = new THREE.Points(new THREE.BufferGeometry(), pointsMaterial);
  cloud.frustumCulled = false;
  scene.add(cloud);
  const main = new THREE.WebGLRenderer({ antialias: false, powerPreference: "high-performance" });
  const side = new THREE.WebGLRenderer({ antialias: false, alpha: true });
  for (const r of [main, side]) { r.setPixelRatio(1); r.setClearColor(0x000000); }
  mainEl.append(main.domElement);
  Object.assign(side.domElement.style, { position: "absolute", inset: "0", pointerEvents: "none" });
  column.append(side.domElement);
  const perspective = new THREE.PerspectiveCamera(60, 1, 0.1, 1000);
  perspective.up.set(0, 0, 1);
  perspective.position.set(-18, -18, 14);
  const orbit = new OrbitControls(perspective, main.domElement);
  // Render on demand: the orbit's changes ask for one draw at the next animation
  // frame (however many pointer events came in between), the sample while the
  // camera moves, the whole frame once it has been still for SETTLE_MS. A sample
  // drawn right after another is timed to the next animation frame (what the
  // annotator waits for, the GL's work included) and sets the next sample's size.
  let moving = false; // the 3D view is being turned: draw the sample
  let forced = null; // the benchmark's choice of detail, else null
  let pending = 0;
  let settle = 0;
  let budget = MOVING_START; // points in the moving sample
  let frameMs = FRAME_MS; // smoothed time of a moving frame
  let drawnAt = -1; // the animation frame of the last sample drawn, -1 after a full one
  let timedFrom = -1; // the animation frame being timed
  const drawFrame = (now) => {
    pending = 0;
    const chained = drawnAt >= 0;
    drawnAt = drawMain() ? now : -1;
    if (drawnAt >= 0 && chained && timedFrom < 0) { timedFrom = now; requestAnimationFrame(timed); }
  };
  const timed = (now) => {
    if (now > timedFrom) {
      frameMs = 0.7 * frameMs + 0.3 * (now - timedFrom);
      budget = nextBudget(budget, frameMs);
    }
    timedFrom = -1;
  };
  const requestDraw = () => { if (!pending) pending = requestAnimationFrame(drawFrame); };
  const stopMoving = () => { moving = false; requestDraw(); };
  // The camera turning, or a box being dragged in the box views: the sample now,
  // every point once still.
  const moved = () => {
    moving = true;
    clearTimeout(settle);
    settle = setTimeout(stopMoving, SETTLE_MS);
    requestDraw();
  };
  orbit.addEventListener("change", moved);
  const ortho = Object.fromEntries(Object.keys(VIEWS).map((k) => [k, new THREE.OrthographicCamera(-1, 1, 1, -1, 0.01, 1000)]));
  let overview = { x: 0, y: 0, half: 30 }; // the top view when nothing is selected
  let frozen = null; // the box views' frames held still while a drag lasts

  // --- data
  const current = () => boxes.filter((b) => (b.frame ?? 0) === frame || (!sequence && b.frame === undefined));
  const find = (id) => boxes.find((b) => b.id === id) || null;
  const nextTrack = () => boxes.reduce((m, b) => (Number.isInteger(b.tracking_id) ? Math.max(m, b.tracking_id + 1) : m), 1);

  async function load(f) {
    if (loaded.has(f)) return loaded.get(f);
    const response = await api("GET", `/items/${itemId}/pointcloud/points?field=${encodeURIComponent(source)}&frame=${f}`, undefined, { raw: true });
    if (!response.ok) throw new Error((await response.json().catch(() => null))?.error?.message || response.statusText);
    const buf = new Float32Array(await response.arrayBuffer());
    const n = buf.length / 4;
    sampleFirst(buf, n, MOVING_MAX);
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.InterleavedBufferAttribute(new THREE.InterleavedBuffer(buf, 4), 3, 0));
    geometry.setAttribute("color", new THREE.BufferAttribute(colours(buf, n), 3));
    const entry = { geometry, n, buf };
    loaded.set(f, entry);
    return entry;
  }

  async function show(f) {
    status.textContent = ctx.t("work.pc_loading");
    el.dataset.ready = "false";
    try {
      const entry = await load(f);
      if (f !== frame) return;
      cloud.geometry = entry.geometry;
      if (!el.dataset.fitted) fitOverview(entry);
      status.textContent = `${entry.n.toLocaleString()} ${ctx.t("work.pc_points")}`;
      el.dataset.points = String(entry.n);
      el.dataset.ready = "true";
      if (camera) camera.src = `/api/v1/items/${itemId}/pointcloud/camera?field=camera&frame=${f}`;
      draw();
    } catch (error) { status.textContent = `${ctx.t("work.tool_failed")}: ${error.message}`; }
  }

  function fitOverview(entry) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < entry.n; i += 13) {
      const x = entry.buf[i * 4], y = entry.buf[i * 4 + 1];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (Number.isFinite(x0)) overview = { x: (x0 + x1) / 2, y: (y0 + y1) / 2, half: Math.max(5, (x1 - x0) / 2, (y1 - y0) / 2) * 1.05 };
    el.dataset.fitted = "1";
  }

  // --- drawing
  function buildBoxes() {
    boxLayer.clear();
    for (const b of current()) {
      const c = new THREE.Color(b.id === selected ? "#ffffff" : colourOf(labels, b.label));
      const g = new THREE.Group();
      g.position.set(...b.center);
      g.rotation.set(0, 0, b.rotation[0]);
      const edges = new THREE.LineSegments(EDGES, new THREE.LineBasicMaterial({ color: c, transparent: b.interpolated, opacity: b.interpolated ? 0.6 : 1 }));
      edges.scale.set(...b.dimensions);
      const nose = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(0, 0, 0), new THREE.Vector3(b.dimensions[0] / 2 + 0.5, 0, 0)]), new THREE.LineBasicMaterial({ color: c }));
      const body = new THREE.Mesh(UNIT_BOX, new THREE.MeshBasicMaterial({ visible: false }));
      body.scale.set(...b.dimensions);
      body.userData.id = b.id;
      g.add(edges, nose, body);
      boxLayer.add(g);
    }
    for (const s of suggestions) {
      const g = new THREE.Group();
      g.position.set(...s.center);
      g.rotation.set(0, 0, s.rotation[0]);
      const edges = new THREE.LineSegments(EDGES, new THREE.LineBasicMaterial({ color: 0x9a9a9a, transparent: true, opacity: 0.7 }));
      edges.scale.set(...s.dimensions);
      g.add(edges);
      boxLayer.add(g);
    }
  }

  // The 3D view; true when it drew a sample rather than every point.
  function drawMain() {
    const w = Math.max(1, mainEl.clientWidth), hh = Math.max(1, mainEl.clientHeight);
    if (main.domElement.width !== w || main.domElement.height !== hh) {
      main.setSize(w, hh, false);
      Object.assign(main.domElement.style, { width: "100%", height: "100%", display: "block" });
    }
    if (perspective.aspect !== w / hh) { perspective.aspect = w / hh; perspective.updateProjectionMatrix(); }
    const entry = loaded.get(frame);
    const sample = Boolean(entry) && (forced ?? moving) && entry.n > budget;
    cloud.geometry.setDrawRange(0, sample ? budget : Infinity);
    main.render(scene, perspective);
    cloud.geometry.setDrawRange(0, Infinity); // the box views draw every point
    const detail = entry ? (sample ? "sample" : "all") : "";
    if (mainEl.dataset.detail !== detail) mainEl.dataset.detail = detail;
    return sample;
  }

  // The frame of a box view: centre, yaw and half-size; the overview for the top
  // view when nothing is selected.
  function viewFrame(kind) {
    if (frozen) return frozen[kind];
    const b = find(selected);
    if (!b || (b.frame ?? 0) !== frame) return kind === "top" ? { center: [overview.x, overview.y, 0], yaw: 0, half: overview.half, depth: 500, overview: true } : null;
    const d = b.dimensions;
    const spec = VIEWS[kind];
    return { center: b.center, yaw: b.rotation[0], half: Math.max(d[spec.u], d[spec.v]) * 0.75 + 0.8, depth: d[[0, 1, 2].find((i) => i !== spec.u && i !== spec.v)] / 2 + 0.3 };
  }

  const toWorld = (vec, yaw) => new THREE.Vector3(vec[0] * Math.cos(yaw) - vec[1] * Math.sin(yaw), vec[0] * Math.sin(yaw) + vec[1] * Math.cos(yaw), vec[2]);

  function placeOrtho(kind, w, hh) {
    const f = viewFrame(kind);
    if (!f) return null;
    const cam = ortho[kind];
    const spec = VIEWS[kind];
    const aspect = w / hh;
    const half = f.half;
    Object.assign(cam, { left: -half * Math.max(1, aspect), right: half * Math.max(1, aspect), top: half / Math.min(1, aspect), bottom: -half / Math.min(1, aspect) });
    const dist = 100;
    const from = toWorld(spec.from, f.yaw).multiplyScalar(dist);
    cam.position.set(f.center[0] + from.x, f.center[1] + from.y, f.center[2] + from.z);
    cam.up.copy(toWorld(spec.up, f.yaw));
    cam.lookAt(...f.center);
    cam.near = dist - f.depth;
    cam.far = dist + f.depth;
    cam.updateProjectionMatrix();
    return f;
  }

  // A box's views look at a few metres around it, so they draw only the points
  // within a horizontal radius of it, cut from the frame once (and again when
  // the box has left that disc): on software GL each point costs a view about
  // half a microsecond whether it lands in the view or not.
  let near = null; // { geometry, entry, x, y, r }
  function nearPoints(entry, x, y, reach) {
    if (near && near.entry === entry && Math.hypot(x - near.x, y - near.y) + reach <= near.r) return near.geometry;
    near?.geometry.dispose();
    const r = 2 * reach, r2 = r * r, buf = entry.buf, colour = entry.geometry.getAttribute("color").array;
    const keep = [];
    for (let i = 0; i < entry.n; i += 1) {
      const dx = buf[i * 4] - x, dy = buf[i * 4 + 1] - y;
      if (dx * dx + dy * dy <= r2) keep.push(i);
    }
    const position = new Float32Array(keep.length * 3), colours = new Float32Array(keep.length * 3);
    keep.forEach((i, k) => {
      for (let j = 0; j < 3; j += 1) { position[k * 3 + j] = buf[i * 4 + j]; colours[k * 3 + j] = colour[i * 3 + j]; }
    });
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(position, 3));
    geometry.setAttribute("color", new THREE.BufferAttribute(colours, 3));
    near = { geometry, entry, x, y, r };
    return geometry;
  }

  function drawViews() {
    const W = Math.max(1, column.clientWidth), H = Math.max(1, column.clientHeight);
    if (side.domElement.width !== W || side.domElement.height !== H) side.setSize(W, H, false);
    Object.assign(side.domElement.style, { width: `${W}px`, height: `${H}px` });
    side.setScissorTest(true);
    side.setClearColor(0x000000, 0);
    side.setViewport(0, 0, W, H); side.setScissor(0, 0, W, H); side.clear();
    const base = column.getBoundingClientRect();
    for (const kind of Object.keys(VIEWS)) {
      const r = sideEls[kind].getBoundingClientRect();
      const x = r.left - base.left, y = H - (r.top - base.top) - r.height;
      side.setViewport(x, y, r.width, r.height);
      side.setScissor(x, y, r.width, r.height);
      side.setClearColor(0x000000, 1);
      side.clear();
      const f = placeOrtho(kind, r.width, r.height);
      const cam = ortho[kind];
      const entry = loaded.get(frame);
      if (f && entry && !f.overview) {
        // every point the view can show lies within this of its centre
        const whole = cloud.geometry;
        cloud.geometry = nearPoints(entry, f.center[0], f.center[1], Math.hypot(cam.right, cam.top, f.depth));
        side.render(scene, cam);
        cloud.geometry = whole;
      } else if (f) side.render(scene, cam);
      // where the view looks, for tests and tools that point at world positions
      sideEls[kind].dataset.frame = f ? JSON.stringify({ center: f.center, yaw: f.yaw, left: cam.left, right: cam.right, top: cam.top, bottom: cam.bottom }) : "";
    }
    side.setScissorTest(false);
  }

  function draw() {
    clearTimeout(settle); // every point is drawn now
    moving = false;
    buildBoxes();
    drawMain();
    drawViews();
    render();
  }

  // --- lists and palette
  const paletteButtons = labelChips(labels, pickLabel);
  const relabel = relabeller(ctx, {
    target: () => find(selected),
    apply: (b, name) => {
      const track = b.tracking_id;
      boxes = boxes.map((x) => (x.id === b.id || (track !== undefined && x.tracking_id === track) ? { ...x, label: name } : x));
      ctx.changed(); draw();
    },
    show: () => showState(),
  });
  palette.replaceChildren(...paletteButtons, relabel.button);

  function pickLabel(name) {
    if (relabel.take(name)) return;
    active = name;
    render();
  }

  const describe = (b) => `${sequence ? `#${b.tracking_id ?? "–"} ` : ""}(${b.center.map((v) => v.toFixed(1)).join(", ")}) ${b.dimensions.map((v) => v.toFixed(1)).join("×")} ${Math.round((b.rotation[0] * 180) / Math.PI)}°`;

  function showState() {
    if (selected !== shownSelected) { relabel.drop(); shownSelected = selected; }
    const it = relabel.sync();
    palette.classList.toggle("waiting", Boolean(it));
    if (note) { hint.textContent = note; note = null; }
    else if (it) hint.textContent = `${ctx.t("work.spans_relabelling")} ${it.label} (${describe(it)})`;
    else if (active) hint.replaceChildren(`${ctx.t("work.regions_active")} `, h("strong", {}, active), ` · ${ctx.t("work.pc_draw")}`);
  }

  function render() {
    for (const b of paletteButtons) {
      const on = b.dataset.label === active;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", String(on));
    }
    frameLine.textContent = sequence ? `${ctx.t("work.pc_frame")} ${frame + 1} / ${frameRefs.length}` : "";
    frameLine.dataset.frame = String(frame);
    list.replaceChildren(...current().map((b) => {
      const li = h("li", { class: b.id === selected ? "selected" : "", dataset: { region: b.id, track: String(b.tracking_id ?? "") } },
        h("button", { type: "button", class: "chip", onclick: () => select(b.id) }, b.label), " ",
        h("span", { class: "muted" }, describe(b), b.interpolated ? ` · ${ctx.t("work.pc_interpolated")}` : ""),
        h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${b.label}`, onclick: () => remove(b.id, false) }, "×"));
      li.querySelector(".chip").style.borderColor = colourOf(labels, b.label);
      return li;
    }));
    suggestList.replaceChildren(...suggestions.map((s, i) => h("li", { dataset: { suggestion: String(i) } },
      h("span", { class: "badge small" }, ctx.t("work.pc_suggestion")), " ", h("span", { class: "muted" }, `${describe(s)} · ${s.num_points} ${ctx.t("work.pc_points")}`),
      h("button", { type: "button", class: "small", onclick: () => accept(i) }, `✓ ${active || ""}`))));
    el.dataset.boxes = String(boxes.length);
    showState();
  }

  function select(id) { selected = id; draw(); }

  // --- edits
  function commit(next, { keep = false } = {}) {
    boxes = sequence ? fillTracks(next) : next;
    if (!keep && selected && !find(selected)) selected = null;
    ctx.changed();
    draw();
  }

  // An edit of the selected box: an interpolated box becomes a keyframe.
  function edit(change) {
    const b = find(selected);
    if (!b) return false;
    const id = b.interpolated ? newId("c") : b.id;
    const next = { ...b, ...change(b), id };
    delete next.interpolated;
    next.center = next.center.map((v) => round(v));
    next.dimensions = next.dimensions.map((v) => round(Math.max(0.05, v)));
    next.rotation = [round(wrap(next.rotation[0]), 4), 0, 0];
    selected = id;
    commit(boxes.map((x) => (x.id === b.id ? next : x)), { keep: true });
    return true;
  }

  function create(center, dimensions, yaw, extra = {}) {
    if (!active) return null;
    const b = { id: newId("c"), label: active, center: center.map((v) => round(v)), dimensions: dimensions.map((v) => round(Math.max(0.05, v))), rotation: [round(wrap(yaw), 4), 0, 0], ...extra };
    if (sequence) { b.frame = frame; b.tracking_id = nextTrack(); }
    const n = countInside(b);
    if (n !== null) b.num_points = n;
    // a suggestion under the new box is answered by it
    suggestions = suggestions.filter((x) => Math.hypot(x.center[0] - b.center[0], x.center[1] - b.center[1]) >= Math.max(b.dimensions[0], b.dimensions[1], x.dimensions[0], x.dimensions[1]) / 2);
    el.dataset.suggestions = String(suggestions.length);
    if (status.textContent.endsWith(ctx.t("work.pc_suggestions"))) status.textContent = `${suggestions.length} ${ctx.t("work.pc_suggestions")}`;
    selected = b.id;
    commit([...boxes, b], { keep: true });
    return b;
  }

  function countInside(b) {
    const entry = loaded.get(frame);
    if (!entry) return null;
    const c = Math.cos(b.rotation[0]), s = Math.sin(b.rotation[0]);
    let n = 0;
    for (let i = 0; i < entry.n; i += 1) {
      const dx = entry.buf[i * 4] - b.center[0], dy = entry.buf[i * 4 + 1] - b.center[1], dz = entry.buf[i * 4 + 2] - b.center[2];
      if (Math.abs(dx * c + dy * s) <= b.dimensions[0] / 2 && Math.abs(-dx * s + dy * c) <= b.dimensions[1] / 2 && Math.abs(dz) <= b.dimensions[2] / 2) n += 1;
    }
    return n;
  }

  function remove(id, track) {
    const b = find(id);
    if (!b) return;
    if (b.interpolated && !track) { note = ctx.t("work.pc_interpolated_delete"); render(); return; }
    if (selected === id) selected = null;
    commit(boxes.filter((x) => (track && b.tracking_id !== undefined ? x.tracking_id !== b.tracking_id : x.id !== id)));
  }

  // K: the selected track gets a keyframe in this frame (where it is interpolated,
  // or copied from its nearest keyframe).
  function keyframe() {
    const b = find(selected);
    if (!b || !sequence) return false;
    const track = boxes.filter((x) => x.tracking_id === b.tracking_id);
    const here = track.find((x) => x.frame === frame);
    if (here && !here.interpolated) { selected = here.id; draw(); return true; }
    const base = here || track.filter((x) => !x.interpolated).sort((p, q) => Math.abs(p.frame - frame) - Math.abs(q.frame - frame))[0];
    const k = { ...base, id: newId("c"), frame };
    delete k.interpolated;
    selected = k.id;
    commit([...boxes.filter((x) => x !== here), k], { keep: true });
    return true;
  }

  function goFrame(f) {
    if (!sequence) return false;
    const next = Math.min(frameRefs.length - 1, Math.max(0, f));
    if (next === frame) return true;
    const b = find(selected);
    frame = next;
    suggestions = [];
    // keep following the selected track
    const same = b && b.tracking_id !== undefined ? current().find((x) => x.tracking_id === b.tracking_id) : null;
    selected = same ? same.id : (b ? b.id : null);
    draw();
    show(frame);
    return true;
  }

  async function fetchSuggestions() {
    if (!itemId) return;
    status.textContent = ctx.t("work.pc_suggesting");
    suggestButton.disabled = true;
    try {
      const answer = await api("POST", `/items/${itemId}/pointcloud/suggestions`, { field: source, frame });
      const taken = current();
      // a suggestion over a box already drawn is left out
      suggestions = answer.data.filter((s) => !taken.some((b) => Math.hypot(b.center[0] - s.center[0], b.center[1] - s.center[1]) < Math.max(s.dimensions[0], s.dimensions[1]) / 2));
      status.textContent = `${suggestions.length} ${ctx.t("work.pc_suggestions")}`;
      el.dataset.suggestions = String(suggestions.length);
    } catch (error) { status.textContent = error.message; }
    suggestButton.disabled = false;
    draw();
  }

  function accept(i) {
    const s = suggestions[i];
    if (!s || !active) return false;
    suggestions = suggestions.filter((_, k) => k !== i);
    el.dataset.suggestions = String(suggestions.length);
    create(s.center, s.dimensions, s.rotation[0], { num_points: s.num_points });
    return true;
  }

  // --- mouse: 3D view picks, box views draw and adjust
  const raycaster = new THREE.Raycaster();
  main.domElement.addEventListener("pointerdown", (e) => {
    stage.focus({ preventScroll: true });
    ctx.activate();
    const r = main.domElement.getBoundingClientRect();
    const at = new THREE.Vector2(((e.clientX - r.left) / r.width) * 2 - 1, -((e.clientY - r.top) / r.height) * 2 + 1);
    const down = { x: e.clientX, y: e.clientY };
    const up = (ev) => {
      main.domElement.removeEventListener("pointerup", up);
      if (Math.hypot(ev.clientX - down.x, ev.clientY - down.y) > 4) return; // an orbit, not a click
      raycaster.setFromCamera(at, perspective);
      const hit = raycaster.intersectObjects(boxLayer.children.flatMap((g) => g.children.filter((c) => c.userData.id)))[0];
      select(hit ? hit.object.userData.id : null);
    };
    main.domElement.addEventListener("pointerup", up);
  });

  // A pointer position in a box view as (u, v) metres from the view's centre
  // along its screen axes.
  function viewPoint(kind, e) {
    const r = sideEls[kind].getBoundingClientRect();
    const cam = ortho[kind];
    const u = cam.left + ((e.clientX - r.left) / r.width) * (cam.right - cam.left);
    const v = cam.top - ((e.clientY - r.top) / r.height) * (cam.top - cam.bottom);
    return { u, v, px: (cam.right - cam.left) / r.width };
  }

  function viewAt(e) {
    return Object.keys(VIEWS).find((k) => {
      const r = sideEls[k].getBoundingClientRect();
      return e.clientX >= r.left && e.clientX < r.right && e.clientY >= r.top && e.clientY < r.bottom;
    });
  }

  column.addEventListener("wheel", (e) => {
    if (viewAt(e) !== "top" || find(selected)) return;
    e.preventDefault();
    // zoom about the point under the pointer (the overview's up is +x, right is -y)
    const p = viewPoint("top", e);
    const half = Math.min(500, Math.max(2, overview.half * (e.deltaY > 0 ? 1.2 : 1 / 1.2)));
    const k = 1 - half / overview.half;
    overview = { x: overview.x + p.v * k, y: overview.y - p.u * k, half };
    drawViews();
  }, { passive: false });

  column.addEventListener("pointerdown", (e) => {
    const kind = viewAt(e);
    if (!kind || e.button !== 0) return;
    e.preventDefault();
    stage.focus({ preventScroll: true });
    ctx.activate();
    const f = viewFrame(kind);
    if (!f) return;
    const spec = VIEWS[kind];
    const start = viewPoint(kind, e);
    const b = find(selected);
    const inBox = b && (b.frame ?? 0) === frame;
    let mode = null;
    if (inBox) {
      const hu = b.dimensions[spec.u] / 2, hv = b.dimensions[spec.v] / 2, tol = 8 * start.px;
      const au = Math.abs(start.u), av = Math.abs(start.v);
      if (kind === "top" && Math.abs(start.u) < tol * 1.5 && Math.abs(start.v - (hv + 0.5)) < tol * 1.5) mode = { turn: true };
      else if (Math.abs(au - hu) < tol && av < hv + tol) mode = { edge: spec.u, sign: Math.sign(start.u) * spec.uSign, axis: "u" };
      else if (Math.abs(av - hv) < tol && au < hu + tol) mode = { edge: spec.v, sign: Math.sign(start.v), axis: "v" };
      else if (au < hu && av < hv) mode = { move: true };
    }
    if (!mode && kind !== "top") return;
    const orig = b ? JSON.parse(JSON.stringify(b)) : null;
    frozen = Object.fromEntries(Object.keys(VIEWS).map((k) => [k, viewFrame(k)]));
    const target = e.target;
    target.setPointerCapture?.(e.pointerId);
    let draft = null;
    const move = (ev) => {
      const p = viewPoint(kind, ev);
      const du = p.u - start.u, dv = p.v - start.v;
      if (!mode) { draft = { u0: start.u, v0: start.v, u1: p.u, v1: p.v }; previewDraft(kind, f, draft); return; }
      // Screen (u, v) -> box-frame offset: right/up axes of this view.
      const shift = [0, 0, 0];
      spec.right.forEach((x, i) => { shift[i] += x * du; });
      spec.up.forEach((x, i) => { shift[i] += x * dv; });
      let next;
      if (mode.turn) next = { rotation: [orig.rotation[0] + Math.atan2(-p.u, p.v) - Math.atan2(-start.u, start.v), 0, 0] };
      else if (mode.move) {
        const w = toWorld(shift, orig.rotation[0]);
        next = { center: [orig.center[0] + w.x, orig.center[1] + w.y, orig.center[2] + w.z] };
      } else {
        // an edge: grow that side, the opposite side stays
        const along = mode.axis === "u" ? du * spec.uSign : dv;
        const grow = along * mode.sign;
        const dims = [...orig.dimensions];
        dims[mode.edge] = Math.max(0.05, orig.dimensions[mode.edge] + grow);
        const local = [0, 0, 0];
        local[mode.edge] = (mode.sign * (dims[mode.edge] - orig.dimensions[mode.edge])) / 2;
        const w = toWorld(local, orig.rotation[0]);
        next = { dimensions: dims, center: [orig.center[0] + w.x, orig.center[1] + w.y, orig.center[2] + w.z] };
      }
      const live = find(selected);
      Object.assign(live, next);
      buildBoxes(); moved(); drawViews();
    };
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
      frozen = null;
      if (!mode) {
        if (draft && Math.abs(draft.u1 - draft.u0) > 3 * start.px && Math.abs(draft.v1 - draft.v0) > 3 * start.px) drawBox(f, draft);
        else draw();
        return;
      }
      const live = find(selected);
      const after = { center: live.center, dimensions: live.dimensions, rotation: live.rotation };
      Object.assign(live, { center: orig.center, dimensions: orig.dimensions, rotation: orig.rotation });
      if (JSON.stringify(after) !== JSON.stringify({ center: orig.center, dimensions: orig.dimensions, rotation: orig.rotation })) edit(() => after);
      else draw();
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
  });

  const draftLines = new THREE.LineSegments(EDGES, new THREE.LineBasicMaterial({ color: 0xffff66 }));
  function previewDraft(kind, f, d) {
    const g = centreOf(f, d);
    boxLayer.remove(draftLines);
    draftLines.position.set(g.center[0], g.center[1], f.center[2]);
    draftLines.rotation.set(0, 0, f.yaw);
    draftLines.scale.set(g.length, g.width, 0.01);
    boxLayer.add(draftLines);
    drawViews();
  }

  // A top-view rectangle as a box on the ground: length up the screen, width across.
  function centreOf(f, d) {
    const cu = (d.u0 + d.u1) / 2, cv = (d.v0 + d.v1) / 2;
    const w = toWorld([cv, -cu, 0], f.yaw);
    return { center: [f.center[0] + w.x, f.center[1] + w.y], length: Math.abs(d.v1 - d.v0), width: Math.abs(d.u1 - d.u0) };
  }

  function drawBox(f, d) {
    boxLayer.remove(draftLines);
    const g = centreOf(f, d);
    // height from the points under the footprint; 1.5 m on the ground otherwise
    const entry = loaded.get(frame);
    let lo = Infinity, hi = -Infinity, n = 0;
    const c = Math.cos(f.yaw), s = Math.sin(f.yaw);
    if (entry) for (let i = 0; i < entry.n; i += 1) {
      const dx = entry.buf[i * 4] - g.center[0], dy = entry.buf[i * 4 + 1] - g.center[1];
      if (Math.abs(dx * c + dy * s) <= g.length / 2 && Math.abs(-dx * s + dy * c) <= g.width / 2) {
        const z = entry.buf[i * 4 + 2]; if (z < lo) lo = z; if (z > hi) hi = z; n += 1;
      }
    }
    if (n < 5 || hi - lo < 0.2) { lo = Number.isFinite(lo) ? lo : groundLevel(); hi = lo + 1.5; }
    create([g.center[0], g.center[1], (lo + hi) / 2], [g.length, g.width, hi - lo], f.yaw);
  }

  function groundLevel() {
    const entry = loaded.get(frame);
    if (!entry) return 0;
    const zs = [];
    for (let i = 0; i < entry.n; i += 101) zs.push(entry.buf[i * 4 + 2]);
    zs.sort((a, b) => a - b);
    return zs[Math.floor(zs.length * 0.05)] ?? 0;
  }

  // Esc: a relabel, the selection, then the suggestions.
  function cancel() {
    if (relabel.cancel()) return true;
    if (selected) { select(null); return true; }
    if (suggestions.length) { suggestions = []; el.dataset.suggestions = "0"; draw(); return true; }
    return false;
  }

  const observer = new ResizeObserver(() => { drawMain(); drawViews(); });
  observer.observe(stage);
  queueMicrotask(() => show(frame));
  render();

  return {
    el,
    // test and benchmark hook: the 3D view's camera, controls and renderer
    view: { perspective, orbit, renderer: main, drawMain, get sample() { return budget; }, settle: SETTLE_MS, detail(on) { forced = on; } },
    get: () => (boxes.length ? boxes.map((b) => ({ ...b })) : null),
    set(value) {
      boxes = (value || []).map((b) => ({ ...b, id: String(b.id ?? newId("c")) }));
      if (!find(selected)) selected = null;
      if (loaded.has(frame)) draw(); else render();
    },
    refresh() { if (loaded.has(frame)) { drawMain(); drawViews(); } },
    focus() { stage.focus({ preventScroll: true }); },
    key(e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      const n = Number(e.key);
      if (n >= 1 && n <= Math.min(9, labels.length)) { pickLabel(labels[n - 1].name); return true; }
      if (relabel.key(e)) return true;
      if (e.key === "Escape") return cancel();
      if (e.key === ",") return goFrame(frame - 1);
      if (e.key === ".") return goFrame(frame + 1);
      const k = e.key.toLowerCase();
      if (k === "m") { fetchSuggestions(); return true; }
      if (k === "y") return accept(0);
      if (k === "k") return keyframe();
      if ((e.key === "Delete" || e.key === "Backspace") && selected) { remove(selected, e.shiftKey); return true; }
      if (e.key === "Tab") return false;
      if (e.key === "n" || e.key === "N" || (e.key === "ArrowRight" && !selected) || (e.key === "ArrowLeft" && !selected)) {
        const here = current();
        if (!here.length) return false;
        const at = here.findIndex((b) => b.id === selected);
        const step = e.key === "ArrowLeft" ? -1 : 1;
        select(here[((at < 0 ? (step > 0 ? -1 : 0) : at) + step + here.length) % here.length].id);
        return true;
      }
      const b = find(selected);
      if (!b) return false;
      const step = e.shiftKey ? 1 : 0.1;
      const turn = ((e.shiftKey ? 10 : 1) * Math.PI) / 180;
      const local = { ArrowUp: [step, 0], ArrowDown: [-step, 0], ArrowLeft: [0, step], ArrowRight: [0, -step] }[e.key];
      if (local) {
        // arrows move in the top view's screen terms: up is the box's heading
        const w = toWorld([local[0], local[1], 0], b.rotation[0]);
        return edit((x) => ({ center: [x.center[0] + w.x, x.center[1] + w.y, x.center[2]] }));
      }
      const changes = {
        PageUp: (x) => ({ center: [x.center[0], x.center[1], x.center[2] + step] }),
        PageDown: (x) => ({ center: [x.center[0], x.center[1], x.center[2] - step] }),
        q: (x) => ({ rotation: [x.rotation[0] + turn, 0, 0] }),
        e: (x) => ({ rotation: [x.rotation[0] - turn, 0, 0] }),
        z: (x) => ({ dimensions: [x.dimensions[0] - step, x.dimensions[1], x.dimensions[2]] }),
        x: (x) => ({ dimensions: [x.dimensions[0] + step, x.dimensions[1], x.dimensions[2]] }),
        c: (x) => ({ dimensions: [x.dimensions[0], x.dimensions[1] - step, x.dimensions[2]] }),
        v: (x) => ({ dimensions: [x.dimensions[0], x.dimensions[1] + step, x.dimensions[2]] }),
        f: (x) => ({ dimensions: [x.dimensions[0], x.dimensions[1], x.dimensions[2] - step] }),
        g: (x) => ({ dimensions: [x.dimensions[0], x.dimensions[1], x.dimensions[2] + step] }),
      }[e.key.length === 1 ? k : e.key];
      return changes ? edit(changes) : false;
    },
  };
}

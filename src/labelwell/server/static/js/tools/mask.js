// Segmentation masks and panoptic segments, painted on a canvas over the image.
//
// The image comes as a tiled pyramid built on the server, so a 20,000 x 20,000
// scan opens at once and only the tiles in view at the zoom's level load. The
// mask is a map of layer numbers (one per instance), kept in 512 x 512 tiles
// made on first paint, each with its own little canvas. Like a paint program,
// a stroke costs what it touches, not the image's size: pointer moves (with
// the coalesced ones between frames) queue up and are stamped once a frame,
// each touched tile is copied to its canvas once a frame (the rectangle that
// changed), and the view's canvas (screen size) is redrawn only inside the
// rectangle the stamps and the cursor changed. get() encodes every layer as
// COCO compressed RLE (column-major, what the schema validates); at the end of
// a brush stroke a Web Worker does it (mask_worker.js) on a copy of the painted
// tiles, and the change (and its undo step) is reported when it answers.
//
// A very large image's pyramid is built by a background job on the server:
// until it is ready the tool shows "preparing the image: n%" over a
// downscaled preview, and labelling can start on the preview.
//
// Keys: 1-9 label, N new instance of it, B brush, E eraser, P polygon (Enter
// closes), F fill (bounded by the view), S superpixels, G GrabCut box, M model
// clicks (Shift: negative), [ ] brush size, O opacity, H hide the layer,
// ↑/↓ layer, Delete removes it, + − 0 zoom, Space+drag pans.
import { api } from "../api.js";
import { colourOf, h, labelList, newId } from "../dom.js";
import { encodeLayers } from "./mask_rle.js";
import { forEachRun } from "./rle.js";

const TS = 512; // mask tile side
const MODES = { b: "brush", e: "eraser", p: "polygon", f: "fill", s: "superpixel", g: "grabcut", m: "model" };

// One encoding worker for the page, shared by the tools (mask_worker.js):
// inWorker(message, transfer, done) posts a job and calls done(regions), or
// done(null) should the worker fail; false when workers cannot start here.
let encoder;
const waiting = new Map();
let jobs = 0;
function inWorker(message, transfer, done) {
  if (encoder === undefined) {
    try {
      encoder = new Worker(new URL("./mask_worker.js", import.meta.url), { type: "module" });
      encoder.onmessage = (e) => { const then = waiting.get(e.data.id); waiting.delete(e.data.id); then?.(e.data.regions); };
      encoder.onerror = () => { encoder = null; for (const then of waiting.values()) then(null); waiting.clear(); };
    } catch { encoder = null; }
  }
  if (!encoder) return false;
  jobs += 1;
  waiting.set(jobs, done);
  encoder.postMessage({ ...message, id: jobs }, transfer);
  return true;
}

function rgbaOf(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  // little-endian ABGR for a Uint32Array view of ImageData
  return ((Math.round(alpha * 255) << 24) | ((n & 0xff) << 16) | (n & 0xff00) | (n >> 16)) >>> 0;
}

// Instances of one label in shades of its colour: #1 as declared, then
// alternately lighter and darker.
function shade(hex, instance) {
  if (instance <= 1) return hex;
  const n = parseInt(hex.slice(1), 16), k = Math.min(0.6, 0.22 * Math.ceil((instance - 1) / 2)), to = instance % 2 ? 0 : 255;
  const mix = (c) => Math.round(c + (to - c) * k);
  return `#${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => mix(c).toString(16).padStart(2, "0")).join("")}`;
}

// A pyramid's tiles (or one plain image when there is no pyramid route, as in
// the ontology builder's preview), drawn for a view.
function imageSource(url, onLoad) {
  const m = /^\/media\/items\/(\d+)\/(\d+)/.exec(url);
  const src = { info: null, cache: new Map() };
  // ``area``: the image rectangle a tile covers (its arrival redraws only that)
  const load = (key, href, area) => {
    let im = src.cache.get(key);
    if (!im) {
      im = new Image();
      im.onload = () => { im.ready = true; onLoad(false, area); };
      im.src = href;
      src.cache.set(key, im);
    }
    return im;
  };
  const plain = () => {
    const im = load("plain", url);
    const done = () => { src.info = { width: im.naturalWidth, height: im.naturalHeight, tile: 0, levels: 1 }; onLoad(true); };
    if (im.complete && im.naturalWidth) done(); else im.addEventListener("load", done, { once: true });
  };
  // The pyramid, asked again every second while the server's job builds it
  // (202: its size, progress and whether a preview is there).
  const route = m && `/items/${m[1]}/media/${m[2]}`;
  let sized = null;
  const poll = () => api("GET", `${route}/pyramid`).then((info) => {
    const first = !src.info;
    if (info.state) {
      src.pending = info;
      if (first) src.info = { width: info.width, height: info.height, tile: 0, levels: 1 };
      if (info.preview) load("preview", `/api/v1${route}/preview`);
      onLoad(first);
      setTimeout(poll, 1000);
    } else {
      src.pending = null; src.info = info; src.base = `/api/v1${route}/tiles`;
      onLoad(first);
    }
    if (sized) { sized(); sized = null; }
  }, () => { src.pending = null; if (sized) { plain(); sized(); sized = null; } else plain(); });
  src.ready = m ? new Promise((resolve) => { sized = resolve; poll(); }) : Promise.resolve(plain());
  // Draw the view; ``clip`` [x0, y0, x1, y1] (screen pixels): only what meets it.
  src.draw = (g, view, cw, chh, clip) => {
    const { info } = src;
    if (!info) return;
    if (!info.tile) {
      const im = src.cache.get(src.pending ? "preview" : "plain");
      if (im?.ready) g.drawImage(im, -view.x * view.k, -view.y * view.k, info.width * view.k, info.height * view.k);
      else if (src.pending) { g.fillStyle = "#3a3a3a"; g.fillRect(-view.x * view.k, -view.y * view.k, info.width * view.k, info.height * view.k); } // where it will be
      return;
    }
    const [qx0, qy0, qx1, qy1] = clip || [0, 0, cw, chh];
    const want = Math.max(0, Math.min(info.levels - 1, Math.floor(Math.log2(1 / view.k))));
    const range = (level) => {
      const span = info.tile * 2 ** level;
      return [span, Math.max(0, Math.floor((view.x + qx0 / view.k) / span)), Math.max(0, Math.floor((view.y + qy0 / view.k) / span)),
        Math.min(Math.ceil(info.width / span), Math.ceil((view.x + qx1 / view.k) / span)), Math.min(Math.ceil(info.height / span), Math.ceil((view.y + qy1 / view.k) / span))];
    };
    const tileOf = (level, span, c, r) => load(`${level}/${c}/${r}`, `${src.base}/${level}/${c}/${r}`, [c * span, r * span, (c + 1) * span, (r + 1) * span]);
    // the wanted level over the coarsest (one tile, loaded at once) until every wanted tile is in
    let levels = [want];
    if (want !== info.levels - 1) {
      const [span, c0, r0, c1, r1] = range(want);
      for (let r = r0; r < r1 && levels.length === 1; r += 1) for (let c = c0; c < c1; c += 1) if (!tileOf(want, span, c, r).ready) { levels = [info.levels - 1, want]; break; }
    }
    for (const level of levels) {
      const f = 2 ** level, [span, c0, r0, c1, r1] = range(level);
      for (let r = r0; r < r1; r += 1) for (let c = c0; c < c1; c += 1) {
        const im = tileOf(level, span, c, r);
        if (im.ready) g.drawImage(im, (c * span - view.x) * view.k, (r * span - view.y) * view.k, im.naturalWidth * f * view.k, im.naturalHeight * f * view.k);
      }
    }
  };
  return src;
}

function maskTool(panoptic) {
  return (control, data, ctx) => {
    const labels = labelList(control);
    const size = { w: Number(data.width) || 0, h: Number(data.height) || 0 };
    let layers = []; // {id, label, idx, instance_id, opacity, visible}
    let active = null; // the layer painted next (null: a new one on first paint)
    let label = labels[0]?.name;
    let mode = "brush";
    let radius = 12; // image pixels
    let globalOpacity = 0.55;
    let tiles = new Map();
    let draft = null; // polygon points, grabcut box or model clicks
    let cache = null; // get()'s last answer, until the mask changes
    let version = 0; // bumped by every change to the mask
    let encoding = null; // the version the worker is encoding, if any
    let note = "";
    const lut = new Uint32Array(65536);
    const view = { x: 0, y: 0, k: 1 };
    // per frame, in ms (the benchmark reads them): the tool's work, and from the
    // frame's start to a task after its paint (the work, style, layout, the
    // canvas's drawing and the commit)
    const stats = { frames: [], render: [] };

    const canvas = h("canvas", { class: "mask-canvas", tabindex: "0", role: "application", "aria-label": control.name });
    Object.assign(canvas.style, { display: "block", width: "100%", height: "min(68vh, 620px)", touchAction: "none", cursor: "crosshair" });
    const g = canvas.getContext("2d");
    const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
    const modes = h("div", { class: "mask-modes", role: "toolbar" });
    const hint = h("p", { class: "spans-hint muted", role: "status" });
    const list = h("ul", { class: "region-list mask-layers" });
    const el = h("div", { class: "mask-tool", dataset: { type: panoptic ? "panoptic" : "mask" } }, palette, modes, hint,
      h("div", { class: "canvas-wrap mask-wrap" }, canvas), list);
    el.maskStats = stats;
    const source = imageSource(ctx.mediaUrl(control.source), (first, area) => {
      if (first === true) { if (!size.w) { size.w = source.info.width; size.h = source.info.height; } fit(); }
      if (area) { damageImage(...area); return; } // a tile came: redraw where it goes
      Promise.resolve().then(showState); paint(); // (after this function has made the toolbar)
    });

    // -- the label map ---------------------------------------------------------
    const tileAt = (tx, ty, make) => {
      const key = ty * 65536 + tx;
      let t = tiles.get(key);
      if (!t && make) {
        const c = document.createElement("canvas");
        c.width = TS; c.height = TS;
        const cg = c.getContext("2d");
        const img = cg.createImageData(TS, TS);
        t = { lab: new Uint16Array(TS * TS), c, cg, img, px: new Uint32Array(img.data.buffer), tx, ty, dirty: null };
        tiles.set(key, t);
      }
      return t;
    };
    // Tiles whose pixels changed since their canvas was last written, each with
    // the changed rectangle in image pixels; copied once a frame (flush).
    const stale = new Set();
    const touch = (t, ax, ay, bx, by) => {
      const d = t.dirty;
      if (!d) { t.dirty = [ax, ay, bx, by]; stale.add(t); } else { if (ax < d[0]) d[0] = ax; if (ay < d[1]) d[1] = ay; if (bx > d[2]) d[2] = bx; if (by > d[3]) d[3] = by; }
      damageImage(ax, ay, bx, by);
    };
    const flush = () => {
      for (const t of stale) { const [ax, ay, bx, by] = t.dirty; t.cg.putImageData(t.img, 0, 0, ax - t.tx * TS, ay - t.ty * TS, bx - ax, by - ay); t.dirty = null; }
      stale.clear();
    };
    const recolour = () => {
      lut.fill(0);
      for (const l of layers) lut[l.idx] = l.visible ? rgbaOf(shade(colourOf(labels, l.label), l.instance_id), l.opacity * globalOpacity) : 0;
      for (const t of tiles.values()) { for (let i = 0; i < t.lab.length; i += 1) t.px[i] = lut[t.lab[i]]; t.cg.putImageData(t.img, 0, 0); t.dirty = null; }
      stale.clear();
    };
    // Set pixels [x0, x1) x [y0, y1) for which inside(x, y) holds to value v.
    function setRect(x0, y0, x1, y1, v, inside) {
      x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
      x1 = Math.min(size.w, Math.ceil(x1)); y1 = Math.min(size.h, Math.ceil(y1));
      if (x1 <= x0 || y1 <= y0) return;
      const colour = lut[v];
      for (let ty = Math.floor(y0 / TS); ty <= Math.floor((y1 - 1) / TS); ty += 1) {
        for (let tx = Math.floor(x0 / TS); tx <= Math.floor((x1 - 1) / TS); tx += 1) {
          const t = tileAt(tx, ty, v !== 0);
          if (!t) continue;
          const ax = Math.max(x0, tx * TS), bx = Math.min(x1, tx * TS + TS), ay = Math.max(y0, ty * TS), by = Math.min(y1, ty * TS + TS);
          let touched = false;
          for (let y = ay; y < by; y += 1) {
            const row = (y - ty * TS) * TS - tx * TS;
            for (let x = ax; x < bx; x += 1) {
              if (inside && !inside(x, y)) continue;
              const i = row + x;
              if (v === 0 && eraseOnly && t.lab[i] !== eraseOnly) continue;
              t.lab[i] = v; t.px[i] = colour; touched = true;
            }
          }
          if (touched) touch(t, ax, ay, bx, by);
        }
      }
      cache = null; version += 1;
    }
    let eraseOnly = 0; // the eraser clears the active layer only (0: any)

    // A disc of pixel centres within the radius: row spans filled natively
    // (TypedArray.fill); the touched tiles marked for the next frame's flush.
    const stamp = (cx, cy, v) => {
      const r = radius, r2 = r * r;
      if (v === 0 && eraseOnly) { setRect(cx - r, cy - r, cx + r + 1, cy + r + 1, v, (x, y) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r2); return; }
      const y0 = Math.max(0, Math.ceil(cy - r - 0.5)), y1 = Math.min(size.h, Math.floor(cy + r - 0.5) + 1);
      const colour = lut[v], dirty = new Map();
      for (let y = y0; y < y1; y += 1) {
        const dx = Math.sqrt(Math.max(0, r2 - (y + 0.5 - cy) ** 2));
        const xa = Math.max(0, Math.ceil(cx - dx - 0.5)), xb = Math.min(size.w, Math.floor(cx + dx - 0.5) + 1);
        const ty = Math.floor(y / TS);
        for (let x = xa; x < xb;) {
          const tx = Math.floor(x / TS), end = Math.min(xb, tx * TS + TS);
          const t = tileAt(tx, ty, v !== 0);
          if (t) {
            const i = (y - ty * TS) * TS - tx * TS;
            t.lab.fill(v, i + x, i + end); t.px.fill(colour, i + x, i + end);
            const d = dirty.get(t);
            if (!d) dirty.set(t, [x, y, end, y + 1]);
            else { if (x < d[0]) d[0] = x; if (end > d[2]) d[2] = end; d[3] = y + 1; }
          }
          x = end;
        }
      }
      for (const [t, [ax, ay, bx, by]] of dirty) touch(t, ax, ay, bx, by);
      if (dirty.size) { cache = null; version += 1; }
    };
    const line = (a, b, v) => {
      const n = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(1, radius / 2)));
      for (let i = 1; i <= n; i += 1) stamp(a.x + ((b.x - a.x) * i) / n, a.y + ((b.y - a.y) * i) / n, v);
    };
    const valueAt = (x, y) => {
      const t = tileAt(Math.floor(x / TS), Math.floor(y / TS), false);
      return t ? t.lab[(y % TS) * TS + (x % TS)] : 0;
    };
    function fillPolygon(pts, v) {
      const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
      const x0 = Math.floor(Math.min(...xs)), y0 = Math.floor(Math.min(...ys));
      const w = Math.ceil(Math.max(...xs)) - x0 + 1, hh = Math.ceil(Math.max(...ys)) - y0 + 1;
      const c = document.createElement("canvas");
      c.width = w; c.height = hh;
      const cg = c.getContext("2d");
      cg.beginPath();
      pts.forEach(([x, y], i) => (i ? cg.lineTo(x - x0, y - y0) : cg.moveTo(x - x0, y - y0)));
      cg.closePath(); cg.fill();
      const alpha = cg.getImageData(0, 0, w, hh).data;
      setRect(x0, y0, x0 + w, y0 + hh, v, (x, y) => alpha[((y - y0) * w + (x - x0)) * 4 + 3] > 127);
    }
    // Flood fill (4-connected scanlines) of the clicked pixel's layer, in view.
    function fill(sx, sy, v) {
      const bx0 = Math.max(0, Math.floor(view.x)), by0 = Math.max(0, Math.floor(view.y));
      const bx1 = Math.min(size.w, Math.ceil(view.x + canvas.width / view.k)), by1 = Math.min(size.h, Math.ceil(view.y + canvas.height / view.k));
      const from = valueAt(sx, sy);
      if (from === v) return;
      const bw = bx1 - bx0, seen = new Uint8Array(bw * (by1 - by0));
      const stack = [[sx, sy]];
      const spans = [];
      while (stack.length) {
        const [x, y] = stack.pop();
        if (y < by0 || y >= by1 || seen[(y - by0) * bw + x - bx0] || valueAt(x, y) !== from) continue;
        let a = x, b = x;
        while (a - 1 >= bx0 && !seen[(y - by0) * bw + a - 1 - bx0] && valueAt(a - 1, y) === from) a -= 1;
        while (b + 1 < bx1 && !seen[(y - by0) * bw + b + 1 - bx0] && valueAt(b + 1, y) === from) b += 1;
        for (let i = a; i <= b; i += 1) { seen[(y - by0) * bw + i - bx0] = 1; stack.push([i, y - 1], [i, y + 1]); }
        spans.push([a, b, y]);
      }
      for (const [a, b, y] of spans) setRect(a, y, b + 1, y + 1, v);
    }

    // -- layers ------------------------------------------------------------------
    const labelInfo = (name) => labels.find((l) => l.name === name) || {};
    function newLayer(name, id) {
      const used = new Set(layers.map((l) => l.idx));
      let idx = 1;
      while (used.has(idx)) idx += 1;
      const same = layers.filter((l) => l.label === name).map((l) => l.instance_id);
      const layer = { id: id || newId("m"), label: name, idx, instance_id: same.length ? Math.max(...same) + 1 : 1, opacity: 1, visible: true };
      layers = [...layers, layer];
      lut[idx] = rgbaOf(shade(colourOf(labels, name), layer.instance_id), globalOpacity);
      return layer;
    }
    // The layer a paint goes into: the active one if it has the current label,
    // else the latest of that label, else a new one.
    function paintLayer() {
      if (active && active.label === label) return active;
      active = [...layers].reverse().find((l) => l.label === label) || newLayer(label);
      return active;
    }
    function removeLayer(layer) {
      for (const t of tiles.values()) for (let i = 0; i < t.lab.length; i += 1) if (t.lab[i] === layer.idx) t.lab[i] = 0;
      layers = layers.filter((l) => l !== layer);
      if (active === layer) active = null;
      cache = null; version += 1; recolour(); ctx.changed(); render();
    }

    // -- encoding ----------------------------------------------------------------
    const layerInfo = () => layers.map((l) => ({ idx: l.idx, id: l.id, label: l.label,
      extra: panoptic ? { instance_id: l.instance_id, is_thing: Boolean(labelInfo(l.label).is_thing) } : {} }));
    function encode() {
      return encodeLayers(new Map([...tiles].map(([k, t]) => [k, t.lab])), layerInfo(), size.h, size.w, TS);
    }
    // The end of a stroke: the worker encodes a copy of the tiles; its answer
    // becomes get()'s and the change is reported (one undo step), unless the
    // mask changed meanwhile or the tool left the page. Without a worker, here.
    function encodeOffThread() {
      const asked = version, copies = [...tiles].map(([k, t]) => [k, t.lab.slice()]);
      encoding = asked;
      const sent = inWorker({ tiles: copies, layers: layerInfo(), H: size.h, W: size.w, ts: TS },
        copies.map(([, lab]) => lab.buffer), (regions) => {
          if (encoding !== asked || !canvas.isConnected) return; // settled, dropped or gone
          encoding = null;
          if (regions && version === asked) { cache = regions; canvas.dataset.encodes = String(Number(canvas.dataset.encodes || 0) + 1); }
          if (!regions || version === asked) ctx.changed(); // a failed worker: encoded here
        });
      if (!sent) { encoding = null; ctx.changed(); }
    }
    // Report a change the worker is still encoding, now (before an undo or the
    // next stroke, so that each stroke stays one undo step).
    function settle() {
      if (encoding === null) return;
      encoding = null;
      ctx.changed();
    }
    function decodeInto(region, layer) {
      if (region.rle) forEachRun(region.rle, (x, y0, y1) => setRect(x, y0, x + 1, y1, layer.idx));
      else if (Array.isArray(region.points) && region.points.length >= 3) fillPolygon(region.points, layer.idx);
    }

    // -- view and drawing ----------------------------------------------------------
    function fit() {
      const cw = canvas.width || 1, chh = canvas.height || 1;
      view.k = Math.min(cw / (size.w || 1), chh / (size.h || 1));
      view.x = -(cw / view.k - size.w) / 2; view.y = -(chh / view.k - size.h) / 2;
      paint();
    }
    function zoom(f, at) {
      const c = at || { x: view.x + canvas.width / view.k / 2, y: view.y + canvas.height / view.k / 2 };
      const k = Math.min(32, Math.max(0.2 * Math.min(canvas.width / (size.w || 1), 1), view.k * f));
      view.x = c.x - ((c.x - view.x) * view.k) / k; view.y = c.y - ((c.y - view.y) * view.k) / k; view.k = k;
      paint();
    }
    // What the next frame redraws: everything (paint()), or only the screen
    // rectangle that stamps and the cursor changed (damage / damageImage).
    let queued = false, pending = 0, cursor = null, whole = true, shown = null, drawing = false;
    const damage = [Infinity, Infinity, -Infinity, -Infinity];
    const request = () => { if (!queued) { queued = true; requestAnimationFrame(frame); } };
    function paint() { whole = true; request(); }
    function damageScreen(x0, y0, x1, y1) {
      if (x0 < damage[0]) damage[0] = x0; if (y0 < damage[1]) damage[1] = y0;
      if (x1 > damage[2]) damage[2] = x1; if (y1 > damage[3]) damage[3] = y1;
      if (!drawing) request(); // (within a frame: that frame draws it)
    }
    function damageImage(x0, y0, x1, y1) {
      damageScreen((x0 - view.x) * view.k - 1, (y0 - view.y) * view.k - 1, (x1 - view.x) * view.k + 1, (y1 - view.y) * view.k + 1);
    }
    // The brush outline's screen box (the old one is damaged when it moves).
    const cursorBox = () => {
      if (!cursor || (mode !== "brush" && mode !== "eraser")) return null;
      const x = (cursor.x - view.x) * view.k, y = (cursor.y - view.y) * view.k, r = Math.max(1, radius * view.k) + 3;
      return [x - r, y - r, x + r, y + r];
    };
    const after = new MessageChannel(); // a task after this frame's paint: the frame's whole cost
    let frameStart = 0;
    after.port1.onmessage = () => { stats.render.push(performance.now() - frameStart); if (stats.render.length > 2000) stats.render.splice(0, 1000); };
    function frame() {
      queued = false;
      const t0 = performance.now();
      frameStart = t0;
      drawing = true;
      drain();
      flush();
      const cw = canvas.width, chh = canvas.height;
      g.setTransform(1, 0, 0, 1, 0, 0);
      const box = cursorBox();
      if (shown) damageScreen(...shown);
      if (box) damageScreen(...box);
      shown = box;
      let clip = null;
      if (!whole) {
        clip = [Math.max(0, Math.floor(damage[0])), Math.max(0, Math.floor(damage[1])), Math.min(cw, Math.ceil(damage[2])), Math.min(chh, Math.ceil(damage[3]))];
        if (clip[2] - clip[0] >= cw * 0.9 && clip[3] - clip[1] >= chh * 0.9) clip = null;
      }
      whole = false; drawing = false; damage[0] = damage[1] = Infinity; damage[2] = damage[3] = -Infinity;
      if (clip && (clip[2] <= clip[0] || clip[3] <= clip[1])) { pending = 0; return; }
      const [qx0, qy0, qx1, qy1] = clip || [0, 0, cw, chh];
      if (clip) { g.save(); g.beginPath(); g.rect(qx0, qy0, qx1 - qx0, qy1 - qy0); g.clip(); }
      g.fillStyle = "#222"; g.fillRect(qx0, qy0, qx1 - qx0, qy1 - qy0);
      g.imageSmoothingEnabled = view.k < 1;
      source.draw(g, view, cw, chh, clip);
      g.imageSmoothingEnabled = false;
      const span = TS * view.k;
      for (const t of tiles.values()) {
        const sx = (t.tx * TS - view.x) * view.k, sy = (t.ty * TS - view.y) * view.k;
        if (sx > qx1 || sy > qy1 || sx + span < qx0 || sy + span < qy0) continue;
        g.drawImage(t.c, sx, sy, span, span);
      }
      const k = view.k, at = (p) => [(p[0] - view.x) * k, (p[1] - view.y) * k];
      g.lineWidth = 2; g.strokeStyle = colourOf(labels, label);
      if (draft?.points?.length) {
        g.beginPath(); draft.points.forEach((p, i) => (i ? g.lineTo(...at(p)) : g.moveTo(...at(p)))); g.stroke();
        for (const p of draft.points) { g.fillStyle = p[2] === 0 ? "#d33" : "#fff"; g.fillRect(at(p)[0] - 3, at(p)[1] - 3, 6, 6); }
      }
      if (draft?.box) { const [x, y] = at([draft.box.x, draft.box.y]); g.setLineDash([6, 4]); g.strokeRect(x, y, draft.box.w * k, draft.box.h * k); g.setLineDash([]); }
      if (cursor && (mode === "brush" || mode === "eraser")) {
        g.beginPath(); g.arc(...at([cursor.x, cursor.y]), Math.max(1, radius * k), 0, 2 * Math.PI);
        g.strokeStyle = mode === "eraser" ? "#fff" : colourOf(labels, label); g.stroke();
      }
      if (source.pending) preparing(cw);
      if (clip) g.restore();
      after.port2.postMessage(0);
      stats.frames.push(performance.now() - t0 + pending);
      if (stats.frames.length > 2000) stats.frames.splice(0, 1000);
      pending = 0;
    }
    // "Preparing the image: n%" in the view's top corner while the server builds the pyramid.
    function preparing(cw) {
      const text = preparingText();
      g.font = "14px system-ui, sans-serif";
      const w = Math.min(cw - 16, g.measureText(text).width + 20);
      g.fillStyle = "rgba(0, 0, 0, 0.7)"; g.fillRect(8, 8, w, 28);
      g.fillStyle = "#fff"; g.textBaseline = "middle"; g.fillText(text, 18, 22, w - 20);
    }
    const preparingText = () => ctx.t("work.mask_preparing").replace("{n}", String(Math.round((source.pending?.progress || 0) * 100)));
    const toImage = (e, r = canvas.getBoundingClientRect()) => {
      const sx = canvas.width / (r.width || 1);
      return { x: view.x + ((e.clientX - r.left) * sx) / view.k, y: view.y + ((e.clientY - r.top) * sx) / view.k };
    };
    const resize = () => {
      const w = Math.max(200, Math.round(canvas.clientWidth || el.clientWidth || 640));
      const hh = Math.max(200, Math.round(canvas.clientHeight || 480));
      if (canvas.width !== w || canvas.height !== hh) { canvas.width = w; canvas.height = hh; fit(); }
    };
    new ResizeObserver(resize).observe(canvas);

    // -- machine help -------------------------------------------------------------
    const mediaRoute = () => { const m = /^\/media\/items\/(\d+)\/(\d+)/.exec(ctx.mediaUrl(control.source)); return m && `/items/${m[1]}/media/${m[2]}`; };
    let sp = null; // superpixels: {ids: Int32Array, w, h, boxes}
    async function superpixels() {
      if (sp) return sp;
      const route = mediaRoute();
      if (!route) throw new Error(ctx.t("work.mask_no_help"));
      const im = new Image();
      im.src = `/api/v1${route}/superpixels`;
      await im.decode();
      const c = document.createElement("canvas");
      c.width = im.naturalWidth; c.height = im.naturalHeight;
      const cg = c.getContext("2d", { willReadFrequently: true });
      cg.drawImage(im, 0, 0);
      const d = cg.getImageData(0, 0, c.width, c.height).data;
      const ids = new Int32Array(c.width * c.height), boxes = new Map();
      for (let i = 0; i < ids.length; i += 1) {
        const id = d[i * 4] + 256 * d[i * 4 + 1];
        ids[i] = id;
        const x = i % c.width, y = (i / c.width) | 0;
        const b = boxes.get(id);
        if (!b) boxes.set(id, [x, y, x, y]); else { if (x < b[0]) b[0] = x; if (x > b[2]) b[2] = x; if (y < b[1]) b[1] = y; if (y > b[3]) b[3] = y; }
      }
      sp = { ids, w: c.width, h: c.height, boxes, done: new Set() };
      return sp;
    }
    function paintSuperpixel(p, v) {
      const kx = sp.w / size.w, ky = sp.h / size.h;
      const id = sp.ids[Math.min(sp.h - 1, Math.floor(p.y * ky)) * sp.w + Math.min(sp.w - 1, Math.floor(p.x * kx))];
      if (sp.done.has(id)) return;
      sp.done.add(id);
      const b = sp.boxes.get(id);
      setRect(b[0] / kx, b[1] / ky, (b[2] + 1) / kx, (b[3] + 1) / ky, v,
        (x, y) => sp.ids[Math.min(sp.h - 1, Math.floor((y + 0.5) * ky)) * sp.w + Math.min(sp.w - 1, Math.floor((x + 0.5) * kx))] === id);
    }
    async function suggest(path, body) {
      const route = mediaRoute();
      if (!route) { say(ctx.t("work.mask_no_help")); return; }
      say(ctx.t("work.mask_asking"));
      try {
        const answer = await api("POST", `${route}/${path}`, body);
        const layer = path === "segment" && draft?.layer ? draft.layer : newLayer(label);
        if (path === "segment" && draft) {
          draft.layer = layer;
          setRect(0, 0, size.w, size.h, 0, (x, y) => valueAt(x, y) === layer.idx);
        }
        decodeInto(answer, layer);
        active = layer;
        ctx.changed(); render();
        say(`${ctx.t("work.mask_suggested")} ${answer.source} · ${answer.area} px`);
      } catch (error) { say(error.message); }
    }

    // -- pointer ---------------------------------------------------------------------
    let stroke = null, pan = null, space = false, down = false;
    canvas.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1 / 1.2 : 1.2, toImage(e)); }, { passive: false });
    canvas.addEventListener("pointerdown", async (e) => {
      canvas.focus(); ctx.activate?.();
      canvas.setPointerCapture(e.pointerId);
      const p = toImage(e);
      if (e.button === 1 || space || e.altKey) { pan = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y }; return; }
      if (e.button !== 0 || !label || p.x < 0 || p.y < 0 || p.x >= size.w || p.y >= size.h) return;
      settle(); // the last stroke's change first: each stroke one undo step
      const t0 = performance.now();
      if (mode === "brush" || mode === "eraser") {
        const v = mode === "brush" ? paintLayer().idx : 0;
        eraseOnly = mode === "eraser" && active ? active.idx : 0;
        stroke = { last: p, v, queue: [] };
        stamp(p.x, p.y, v);
      } else if (mode === "polygon") {
        draft = draft?.points ? draft : { points: [] };
        const first = draft.points[0];
        if (first && draft.points.length >= 3 && Math.hypot(first[0] - p.x, first[1] - p.y) * view.k < 8) { closePolygon(); return; }
        draft.points.push([p.x, p.y]);
      } else if (mode === "fill") {
        fill(Math.floor(p.x), Math.floor(p.y), paintLayer().idx); ctx.changed(); render();
      } else if (mode === "superpixel") {
        down = true;
        try { await superpixels(); } catch (error) { say(error.message); return; }
        sp.done.clear();
        stroke = { v: paintLayer().idx, sp: true };
        paintSuperpixel(p, stroke.v);
        if (!down) { stroke = null; ctx.changed(); render(); } // let go while they loaded
      } else if (mode === "grabcut") {
        draft = { box: { x: p.x, y: p.y, w: 0, h: 0 }, from: p };
      } else if (mode === "model") {
        if (!draft?.clicks) draft = { clicks: true, points: [] };
        draft.points.push([p.x, p.y, e.shiftKey ? 0 : 1]);
        suggest("segment", { points: draft.points.map(([x, y, f]) => [Math.round(x), Math.round(y), f]) });
      }
      pending += performance.now() - t0;
      if (stroke && !stroke.sp) request(); else paint();
    });
    // A brush stroke's moves (and the coalesced ones between them) are queued
    // and stamped at the next frame, a line from each to the next.
    function drain() {
      if (!stroke?.queue?.length) return;
      for (const p of stroke.queue) { line(stroke.last, p, stroke.v); stroke.last = p; }
      stroke.queue.length = 0;
    }
    canvas.addEventListener("pointermove", (e) => {
      const t0 = performance.now();
      if (pan) { view.x = pan.vx - (e.clientX - pan.x) / view.k; view.y = pan.vy - (e.clientY - pan.y) / view.k; paint(); return; }
      const r = canvas.getBoundingClientRect();
      const p = toImage(e, r);
      cursor = p;
      if (stroke?.sp) { paintSuperpixel(p, stroke.v); paint(); }
      else if (stroke) {
        const moves = e.getCoalescedEvents?.() || [];
        for (const m of moves.length ? moves : [e]) stroke.queue.push(toImage(m, r));
        request();
      } else if (draft?.box && draft.from) {
        const a = draft.from;
        draft.box = { x: Math.min(a.x, p.x), y: Math.min(a.y, p.y), w: Math.abs(p.x - a.x), h: Math.abs(p.y - a.y) };
        paint();
      } else request(); // the brush outline follows the pointer
      pending += performance.now() - t0;
    });
    canvas.addEventListener("pointerup", () => {
      down = false;
      if (pan) { pan = null; return; }
      if (stroke) { drain(); stroke = null; eraseOnly = 0; encodeOffThread(); render(); }
      if (draft?.box && draft.from) {
        const b = draft.box; draft = null;
        if (b.w >= 3 && b.h >= 3) suggest("grabcut", { box: [b.x, b.y, b.w, b.h].map((v) => Math.max(0, Math.round(v))) });
        paint();
      }
    });
    canvas.addEventListener("pointerleave", () => { cursor = null; paint(); });
    canvas.addEventListener("dblclick", () => { if (draft?.points && !draft.clicks) closePolygon(); });
    function closePolygon() {
      const pts = draft.points; draft = null;
      if (pts.length >= 3) { fillPolygon(pts, paintLayer().idx); ctx.changed(); }
      render();
    }

    // -- palette, modes, layer list ------------------------------------------------------
    const say = (text) => { note = text; showState(); };
    const paletteButtons = labels.map((l, i) => {
      const b = h("button", { type: "button", class: "chip", dataset: { label: l.name }, onclick: () => pick(l.name) }, h("kbd", {}, i < 9 ? String(i + 1) : ""), " ", l.name);
      b.style.borderColor = colourOf(labels, l.name);
      return b;
    });
    palette.replaceChildren(...paletteButtons);
    const modeButtons = Object.entries(MODES).map(([key, name]) => h("button", { type: "button", class: "small", dataset: { mode: name }, onclick: () => setMode(name) },
      h("kbd", {}, key.toUpperCase()), " ", ctx.t(`work.mask_${name}`)));
    const sizeLabel = h("span", { class: "muted mask-size" });
    const newButton = h("button", { type: "button", class: "small", onclick: () => newInstance() }, h("kbd", {}, "N"), " ", ctx.t("work.mask_new"));
    const opacity = h("input", { type: "range", min: "0.1", max: "1", step: "0.05", value: String(globalOpacity), "aria-label": ctx.t("work.mask_opacity"),
      oninput: (e) => { globalOpacity = Number(e.target.value); recolour(); paint(); } });
    modes.replaceChildren(...modeButtons, newButton, " ", sizeLabel, " · ", h("label", { class: "small" }, `${ctx.t("work.mask_opacity")} `, opacity), " ",
      h("button", { type: "button", class: "small", onclick: () => zoom(1.5) }, "+"), h("button", { type: "button", class: "small", onclick: () => zoom(1 / 1.5) }, "−"),
      h("button", { type: "button", class: "small", onclick: fit }, ctx.t("work.fit")));
    function pick(name) { label = name; active = [...layers].reverse().find((l) => l.label === name) || null; render(); }
    function newInstance() { active = newLayer(label); render(); }
    function setMode(name) { mode = name; if (draft && !(name === "polygon" && draft.points && !draft.clicks)) draft = null; render(); }
    function showState() {
      for (const b of paletteButtons) b.classList.toggle("active", b.dataset.label === label);
      for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
      sizeLabel.textContent = `[ ] ${ctx.t("work.mask_size")} ${radius * 2}px`;
      const wait = source.pending ? `${preparingText()}${source.cache.get("preview")?.ready ? ` · ${ctx.t("work.mask_preview")}` : ""} · ` : "";
      hint.textContent = note || `${wait}${ctx.t(`work.mask_${mode}`)} · ${label || ""}${active ? ` #${active.instance_id}` : ""} · ${ctx.t(`work.mask_hint_${mode}`)}`;
      note = "";
    }
    function render() {
      list.replaceChildren(...layers.map((l) => {
        const chip = h("button", { type: "button", class: "chip", onclick: () => { active = l; label = l.label; render(); } }, `${l.label} #${l.instance_id}`);
        chip.style.borderColor = shade(colourOf(labels, l.label), l.instance_id);
        return h("li", { class: l === active ? "selected" : "", dataset: { region: l.id } }, chip, " ",
          h("input", { type: "range", min: "0", max: "1", step: "0.1", value: String(l.opacity), "aria-label": `${ctx.t("work.mask_opacity")} ${l.label}`,
            oninput: (e) => { l.opacity = Number(e.target.value); recolour(); paint(); } }),
          h("button", { type: "button", class: "small", "aria-pressed": String(!l.visible), onclick: () => { l.visible = !l.visible; recolour(); render(); } }, ctx.t("work.mask_hide")),
          h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${l.label}`, onclick: () => removeLayer(l) }, "×"));
      }));
      showState(); paint();
    }

    showState();
    return {
      el, stats,
      get() {
        if (!size.w || !size.h) return null;
        if (!cache) cache = encode();
        return cache.length ? cache : null;
      },
      set(value) {
        tiles = new Map(); stale.clear(); layers = []; active = null; draft = null; cache = null;
        version += 1; encoding = null;
        const regions = Array.isArray(value) ? value : [];
        const apply = () => {
          for (const r of regions) {
            const layer = newLayer(r.label, String(r.id ?? newId("m")));
            if (panoptic && Number.isInteger(r.instance_id)) layer.instance_id = r.instance_id;
            decodeInto(r, layer);
          }
          recolour(); render();
        };
        if (size.w && size.h) apply();
        else source.ready.then(() => { if (!size.w) { size.w = source.info.width; size.h = source.info.height; } apply(); });
      },
      refresh() { resize(); },
      settle,
      key(e) {
        const k = e.key.toLowerCase();
        if (e.ctrlKey || e.metaKey) return false;
        const n = Number(e.key);
        if (e.key === " ") { space = true; document.addEventListener("keyup", (ev) => { if (ev.key === " ") space = false; }, { once: true }); return true; }
        if (n >= 1 && n <= Math.min(9, labels.length)) { pick(labels[n - 1].name); return true; }
        if (MODES[k] && !e.shiftKey) { setMode(MODES[k]); return true; }
        if (e.key === "[" || e.key === "]") { radius = Math.max(1, Math.min(500, e.key === "]" ? Math.ceil(radius * 1.25) : Math.floor(radius / 1.25))); render(); return true; }
        if (k === "n") { newInstance(); return true; }
        if (k === "o") { globalOpacity = globalOpacity >= 0.85 ? 0.25 : globalOpacity + 0.3; opacity.value = String(globalOpacity); recolour(); render(); return true; }
        if (k === "h" && active) { active.visible = !active.visible; recolour(); render(); return true; }
        if (e.key === "Enter" && draft?.points && !draft.clicks) { closePolygon(); return true; }
        if (e.key === "Enter" && draft?.clicks) { draft = null; render(); return true; }
        if (e.key === "Escape") { if (draft) { draft = null; render(); return true; } return false; }
        if ((e.key === "Delete" || e.key === "Backspace") && active) { removeLayer(active); return true; }
        if ((e.key === "ArrowUp" || e.key === "ArrowDown") && layers.length) {
          const at = layers.indexOf(active), step = e.key === "ArrowDown" ? 1 : -1;
          active = layers[((at < 0 ? 0 : at + step) + layers.length) % layers.length]; label = active.label; render(); return true;
        }
        if (e.key === "+" || e.key === "=") { zoom(1.5); return true; }
        if (e.key === "-") { zoom(1 / 1.5); return true; }
        if (e.key === "0") { fit(); return true; }
        return false;
      },
    };
  };
}

export const mask = maskTool(false);
export const panoptic = maskTool(true);

// Read-only views of media annotations, for the review history, the escalation
// inbox and the item page (render.js): audio time regions on a small waveform
// drawn from the server's peaks, with their times, speakers and transcripts; a
// video's tracks as a frame with its boxes and a keyframe table; cuboids as a
// top-view sketch and a table. Nothing here edits; text goes in through
// textContent only (dom.js h()), never as markup.
//
// ``item``: {id, data, media} of the item the result belongs to; without an id
// (a result shown away from its item) the views draw what the result alone gives.
import { api } from "./api.js";
import { colourOf, h, labelList } from "./dom.js";
import { mediaUrl } from "./panels.js";
import { clock } from "./tools/audio.js";
import { boxAt, timecode } from "./tools/video_tracks.js";

const WAVE_W = 480, WAVE_H = 56;
const THUMB_W = 320;
const TOP_SIDE = 240;

const chip = (labels, name) => {
  const el = h("span", { class: "chip ro" }, String(name));
  el.style.borderColor = colourOf(labels, name);
  return el;
};
const num = (x, digits = 1) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "?");

// The media index of a data field in the item's media list.
function mediaIndex(item, source) {
  if (!item?.id) return null;
  const m = /\/media\/items\/\d+\/(\d+)/.exec(mediaUrl(item.id, item.data || {}, item.media || [], source));
  return m ? m[1] : null;
}

const table = (head, rows) => h("div", { class: "ro-table-box" }, h("table", { class: "ro-table" },
  h("thead", {}, h("tr", {}, head.map((x) => h("th", {}, x)))),
  h("tbody", {}, rows)));

// -- audio (and a video's) time regions -------------------------------------------

// The regions over the whole length, on the file's waveform once its peaks come.
export function timeRegionView(c, regions, item) {
  const labels = labelList(c);
  const list = (regions || []).filter((r) => typeof r?.start === "number" && typeof r?.end === "number")
    .sort((p, q) => p.start - q.start);
  const given = Number(item?.data?.duration);
  let duration = given > 0 ? given : Math.max(1, ...list.map((r) => r.end)) * 1.05;
  const canvas = h("canvas", { class: "ro-wave", width: WAVE_W, height: WAVE_H, role: "img",
    "aria-label": `${list.length} regions over ${clock(duration)}` });
  let peaks = null;
  const draw = () => {
    const g = canvas.getContext("2d");
    g.fillStyle = "#f4f6fa"; g.fillRect(0, 0, WAVE_W, WAVE_H);
    const mid = WAVE_H / 2;
    if (peaks) {
      g.fillStyle = "#9aabd3";
      const n = peaks.max.length;
      // scaled to the loudest peak, as the editor's waveform is (normalize)
      const top = Math.max(1e-3, ...peaks.max, ...peaks.min.map((v) => -v));
      const k = (0.9 * mid) / top;
      for (let x = 0; x < WAVE_W; x++) {
        const a = Math.floor((x / WAVE_W) * n), b = Math.max(a + 1, Math.floor(((x + 1) / WAVE_W) * n));
        let hi = 0, lo = 0;
        for (let i = a; i < b && i < n; i++) { hi = Math.max(hi, peaks.max[i]); lo = Math.min(lo, peaks.min[i]); }
        g.fillRect(x, mid - hi * k, 1, Math.max(1, (hi - lo) * k));
      }
    } else {
      g.fillStyle = "#c9d2e6"; g.fillRect(0, mid, WAVE_W, 1);
    }
    for (const r of list) {
      const x0 = (r.start / duration) * WAVE_W, x1 = Math.max(x0 + 1, (r.end / duration) * WAVE_W);
      const colour = colourOf(labels, r.label);
      g.globalAlpha = 0.28; g.fillStyle = colour; g.fillRect(x0, 0, x1 - x0, WAVE_H);
      g.globalAlpha = 1; g.fillRect(x0, 0, x1 - x0, 4);
    }
    axisEnd.textContent = clock(duration);
  };
  const axisEnd = h("span", {});
  const axis = h("div", { class: "ro-axis muted" }, h("span", {}, clock(0)), axisEnd);
  draw();
  const index = mediaIndex(item, c.source || "audio");
  if (index !== null) {
    api("GET", `/items/${item.id}/audio/${index}/peaks?points=${WAVE_W * 2}`).then((p) => {
      peaks = p; duration = p.duration || duration;
      draw();
      canvas.dataset.peaks = String(p.max.length);
    }).catch(() => { canvas.dataset.peaks = "0"; }); // a video without sound: the regions alone
  }
  // a region's row, and its transcript on a row of its own (cards are narrow)
  const rows = list.flatMap((r) => [h("tr", { dataset: { region: String(r.id ?? "") } },
    h("td", {}, chip(labels, r.label)),
    h("td", { class: "ro-num" }, `${clock(r.start)}–${clock(r.end)}`),
    h("td", {}, r.speaker ? String(r.speaker) : "")),
  typeof r.text === "string" && r.text ? h("tr", { class: "ro-transcript", dataset: { transcript: String(r.id ?? "") } },
    h("td", { colspan: "3", class: "ro-text" }, r.text)) : null].filter(Boolean));
  return h("div", { class: "ro-media ro-audio" }, h("figure", { class: "ro-figure" }, canvas, axis),
    table(["", "time", "speaker"], rows));
}

// -- video tracks -----------------------------------------------------------------

// A frame of the video with every track's box on it (interpolated between
// keyframes), and each track's keyframes; a keyframe row shows its frame.
export function videoTrackView(c, tracks, item) {
  const labels = labelList(c);
  const list = (tracks || []).filter((t) => Array.isArray(t?.keyframes) && t.keyframes.length);
  const fps = Number(item?.data?.fps) || 0;
  const index = mediaIndex(item, c.source || "video");
  const img = h("img", { class: "ro-frame", alt: "" });
  const overlay = h("canvas", { class: "ro-frame-boxes", "aria-hidden": "true" });
  const caption = h("div", { class: "muted ro-caption" });
  const frameBox = h("div", { class: "ro-frame-box" }, img, overlay);
  let current = null;
  const drawBoxes = () => {
    if (!img.naturalWidth) return;
    const k = THUMB_W / img.naturalWidth;
    overlay.width = THUMB_W; overlay.height = Math.round(img.naturalHeight * k);
    const g = overlay.getContext("2d");
    g.lineWidth = 2; g.font = "11px sans-serif";
    for (const t of list) {
      const b = boxAt(t.keyframes, current);
      if (!b) continue;
      g.strokeStyle = colourOf(labels, t.label);
      g.setLineDash(b.occluded ? [4, 3] : []);
      g.strokeRect(b.x * k, b.y * k, b.width * k, b.height * k);
      g.fillStyle = g.strokeStyle;
      g.fillText(`${t.label} #${t.track_id}`, b.x * k + 2, Math.max(10, b.y * k - 3));
    }
    overlay.dataset.frame = String(current);
  };
  img.addEventListener("load", drawBoxes);
  const show = (frame) => {
    current = frame;
    const on = list.filter((t) => boxAt(t.keyframes, frame)).length;
    caption.textContent = `frame ${frame}${fps ? ` · ${timecode(frame, fps)}` : ""} · ${on} of ${list.length} tracks`;
    if (index !== null) img.src = `/api/v1/items/${item.id}/video/${index}/frames/${frame}`;
  };
  // a keyframe's box as "x, y w×h", then whether it is outside or occluded
  const rows = list.flatMap((t) => t.keyframes.map((kf, i) => h("tr", { dataset: { track: String(t.track_id), frame: String(kf.frame) } },
    h("td", {}, i === 0 ? chip(labels, t.label) : "", i === 0 ? ` #${t.track_id}` : ""),
    h("td", { class: "ro-num" }, h("button", { type: "button", class: "link", onclick: () => show(kf.frame) }, String(kf.frame))),
    h("td", { class: "ro-num" }, kf.outside ? "" : `${num(kf.x, 0)}, ${num(kf.y, 0)} ${num(kf.width, 0)}×${num(kf.height, 0)}`,
      kf.outside || kf.occluded ? h("span", { class: "muted" }, `${kf.outside ? "" : " · "}${kf.outside ? "outside" : "occluded"}`) : null))));
  const first = list.length ? Math.min(...list.map((t) => t.keyframes[0].frame)) : null;
  if (first !== null) show(first);
  return h("div", { class: "ro-media ro-video" },
    index !== null && first !== null ? h("figure", { class: "ro-figure" }, frameBox, caption) : null,
    table(["track", "frame", "x, y w×h"], rows));
}

// -- cuboids ----------------------------------------------------------------------

// The four corners of a cuboid seen from above: x forward, y left, yaw about z.
function footprint(b) {
  const [cx, cy] = b.center || [0, 0];
  const [l, w] = b.dimensions || [1, 1];
  const yaw = b.rotation?.[0] || 0;
  const cos = Math.cos(yaw), sin = Math.sin(yaw);
  return [[l / 2, w / 2], [l / 2, -w / 2], [-l / 2, -w / 2], [-l / 2, w / 2]]
    .map(([u, v]) => [cx + u * cos - v * sin, cy + u * sin + v * cos]);
}

// A top view of the boxes (one frame of a sequence at a time) and a table.
export function cuboidView(c, boxes) {
  const labels = labelList(c);
  const all = (boxes || []).filter((b) => Array.isArray(b?.center) && Array.isArray(b?.dimensions));
  const frames = [...new Set(all.map((b) => b.frame ?? 0))].sort((p, q) => p - q);
  const canvas = h("canvas", { class: "ro-topview", width: TOP_SIDE, height: TOP_SIDE, role: "img" });
  const caption = h("div", { class: "muted ro-caption" });
  const draw = (frame) => {
    const shown = all.filter((b) => (b.frame ?? 0) === frame);
    const corners = shown.flatMap(footprint);
    const xs = corners.map((p) => p[0]).concat(0), ys = corners.map((p) => p[1]).concat(0);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const half = Math.max(5, Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) / 2 * 1.15;
    const k = TOP_SIDE / (2 * half);
    // screen: x forward is up, y left is left
    const at = ([x, y]) => [TOP_SIDE / 2 - (y - cy) * k, TOP_SIDE / 2 - (x - cx) * k];
    const g = canvas.getContext("2d");
    g.fillStyle = "#1d2330"; g.fillRect(0, 0, TOP_SIDE, TOP_SIDE);
    const metres = half > 40 ? 20 : half > 15 ? 10 : 5; // a grid every few metres
    g.strokeStyle = "#2f3a4f"; g.lineWidth = 1;
    for (let m = Math.floor((cx - half) / metres) * metres; m <= cx + half; m += metres) {
      const [, py] = at([m, cy]); g.beginPath(); g.moveTo(0, py); g.lineTo(TOP_SIDE, py); g.stroke();
    }
    for (let m = Math.floor((cy - half) / metres) * metres; m <= cy + half; m += metres) {
      const [px] = at([cx, m]); g.beginPath(); g.moveTo(px, 0); g.lineTo(px, TOP_SIDE); g.stroke();
    }
    const [ox, oy] = at([0, 0]); // the sensor
    g.fillStyle = "#fff"; g.beginPath(); g.moveTo(ox, oy - 6); g.lineTo(ox - 4, oy + 4); g.lineTo(ox + 4, oy + 4); g.fill();
    g.font = "10px sans-serif";
    for (const b of shown) {
      const pts = footprint(b).map(at);
      g.strokeStyle = colourOf(labels, b.label); g.lineWidth = b.interpolated ? 1 : 2;
      g.setLineDash(b.interpolated ? [3, 3] : []);
      g.beginPath(); pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y))); g.closePath(); g.stroke();
      // the heading: from the centre to the middle of the front edge
      const [hx, hy] = at(b.center), [ex, ey] = [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2];
      g.beginPath(); g.moveTo(hx, hy); g.lineTo(ex, ey); g.stroke();
      g.fillStyle = g.strokeStyle;
      const name = b.tracking_id !== undefined ? `#${b.tracking_id}` : String(b.label);
      g.fillText(name, Math.min(hx + 3, TOP_SIDE - g.measureText(name).width - 2), Math.max(10, hy - 3));
    }
    g.setLineDash([]);
    canvas.setAttribute("aria-label", `top view: ${shown.length} cuboids`);
    canvas.dataset.frame = String(frame);
    canvas.dataset.boxes = String(shown.length);
    caption.textContent = `${frames.length > 1 ? `frame ${frame} · ` : ""}${shown.length} cuboids · grid ${metres} m · x forward (up)`;
  };
  const picker = frames.length > 1 ? h("div", { class: "ro-frames" }, frames.map((f) =>
    h("button", { type: "button", class: "small", dataset: { frame: String(f) }, onclick: () => draw(f) }, `frame ${f}`))) : null;
  if (frames.length) draw(frames[0]);
  // the frame and the points columns only where a box has them
  const keyed = all.filter((b) => !b.interpolated);
  const withFrame = frames.length > 1, withPoints = keyed.some((b) => b.num_points !== undefined);
  const rows = keyed.map((b) => h("tr", { dataset: { cuboid: String(b.id) } },
    h("td", {}, chip(labels, b.label), b.tracking_id !== undefined ? ` #${b.tracking_id}` : ""),
    withFrame ? h("td", { class: "ro-num" }, b.frame !== undefined ? String(b.frame) : "") : null,
    h("td", { class: "ro-num" }, b.center.map((x) => num(x)).join(", ")),
    h("td", { class: "ro-num" }, b.dimensions.map((x) => num(x)).join("×")),
    h("td", { class: "ro-num" }, `${Math.round(((b.rotation?.[0] || 0) * 180) / Math.PI)}°`),
    withPoints ? h("td", { class: "ro-num" }, b.num_points !== undefined ? String(b.num_points) : "") : null));
  const head = ["cuboid", withFrame ? "frame" : null, "centre (m)", "l×w×h", "yaw", withPoints ? "points" : null];
  return h("div", { class: "ro-media ro-cuboids" },
    frames.length ? h("figure", { class: "ro-figure" }, canvas, picker, caption) : null,
    table(head.filter(Boolean), rows));
}

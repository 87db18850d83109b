// Read-only views of a result, one line per control in the annotator's terms
// (the chosen option, the spans' text, a box's label and size), used wherever
// labels are shown rather than edited: the review queue, the escalation inbox
// and the feedback after a gold item. Media types get a drawn view
// (ro_media.js): time regions on the file's waveform, video tracks on a frame,
// cuboids from above. Text goes in through textContent only.
import { colourOf, h, labelList } from "./dom.js";
import { cuboidView, timeRegionView, videoTrackView } from "./ro_media.js";
import { forEachRun, rleStats } from "./tools/rle.js";

const responseName = (data, control, id) => {
  const list = data?.[control.source || "responses"];
  const i = Array.isArray(list) ? list.findIndex((r) => String(r?.id) === String(id)) : -1;
  return i >= 0 ? `${String.fromCharCode(65 + i)} (${id})` : String(id);
};

const chip = (labels, name) => {
  const el = h("span", { class: "chip ro" }, String(name));
  el.style.borderColor = colourOf(labels, name);
  return el;
};

const round = (x) => (typeof x === "number" ? Math.round(x * 10) / 10 : x);

// A span's characters, cut from the item's text by its code point offsets
// (Array.from, never UTF-16 indices); its stored text where the item's text is
// not at hand (a span may be saved without one: imports, models, the API).
function spanTexts(c, data) {
  const source = data?.[c.source || "text"];
  const cps = typeof source === "string" ? Array.from(source) : null;
  return (sp) => {
    const ok = cps && Number.isInteger(sp?.start) && Number.isInteger(sp?.end) && sp.start >= 0 && sp.end <= cps.length;
    return ok ? cps.slice(sp.start, sp.end).join("") : String(sp?.text ?? "");
  };
}

function spanLine(labels, sp, textOf) {
  return h("li", {}, chip(labels, sp.label), " ", h("span", { class: "span-text" }, textOf(sp)), h("span", { class: "muted" }, ` [${sp.start}, ${sp.end})`));
}

const VIEWS = {
  choice: (c, v) => h("span", { class: "value" }, String(v)),
  multi_choice: (c, v) => h("span", { class: "value" }, (Array.isArray(v) ? v : [v]).map(String).join(", ")),
  rating: (c, v) => (v && typeof v === "object"
    ? h("span", { class: "value" }, Object.entries(v).map(([aspect, n]) => `${aspect} ${n}`).join(" · "))
    : h("span", { class: "value" }, `${v} / ${(c.scale || [1, 5])[1]}`)),
  text: (c, v) => h("div", { class: "value ro-text" }, String(v)),
  spans: (c, v, data) => {
    const textOf = spanTexts(c, data);
    return h("ul", { class: "ro-list" }, (v || []).map((sp) => spanLine(labelList(c), sp, textOf)));
  },
  relations: (c, v, data, result, controls) => {
    const textOf = spanTexts(controls.find((x) => x.name === c.spans) || {}, data);
    const spans = new Map((result[c.spans] || []).map((sp) => [String(sp.id), `${sp.label}: ${textOf(sp)}`]));
    const name = (id) => spans.get(String(id)) ?? String(id);
    return h("ul", { class: "ro-list" }, (v || []).map((r) => h("li", {}, `${name(r.from)} —`, chip(labelList(c), r.label), `→ ${name(r.to)}`)));
  },
  bbox: (c, v) => h("ul", { class: "ro-list" }, (v || []).map((b) => h("li", {}, chip(labelList(c), b.label), ` x ${round(b.x)}, y ${round(b.y)}, ${round(b.width)} × ${round(b.height)}`))),
  polygon: (c, v) => h("ul", { class: "ro-list" }, (v || []).map((p) => h("li", {}, chip(labelList(c), p.label), ` ${(p.points || []).length} points: `,
    h("span", { class: "muted" }, (p.points || []).map(([x, y]) => `(${round(x)}, ${round(y)})`).join(" "))))),
  keypoints: (c, v) => h("ul", { class: "ro-list" }, (v || []).map((k) => {
    const points = Object.entries(k.points || {});
    const seen = points.filter(([, p]) => Array.isArray(p) && p[2] !== 0);
    return h("li", {}, chip(labelList(c), k.label), ` ${seen.length} of ${points.length} keypoints: `,
      h("span", { class: "muted" }, seen.map(([n, [x, y]]) => `${n} (${round(x)}, ${round(y)})`).join(", ")));
  })),
  time_region: (c, v, data, result, controls, item) => timeRegionView(c, v, { ...item, data }),
  video_track: (c, v, data, result, controls, item) => videoTrackView(c, v, { ...item, data }),
  cuboid: (c, v) => cuboidView(c, v),
  mask: (c, v) => maskView(c, v),
  panoptic: (c, v) => maskView(c, v),
  pairwise: (c, v) => h("span", { class: "value" }, String(v.choice), v.reason ? h("span", { class: "muted" }, ` — ${v.reason}`) : null),
  ranking: (c, v, data) => h("ol", { class: "ro-list" }, (v || []).map((tier) => h("li", {}, (Array.isArray(tier) ? tier : [tier]).map((id) => responseName(data, c, id)).join(" = ")))),
  correction: (c, v, data) => h("div", {}, h("span", { class: "muted" }, responseName(data, c, v.response_id)), h("div", { class: "value ro-text" }, String(v.text ?? ""))),
};

// Masks: a thumbnail of every region in its label's colour, and a line each
// with its label, instance, area and extent (polygons by their corners).
function maskView(c, regions) {
  const labels = labelList(c);
  const sized = (regions || []).find((r) => r?.rle?.size);
  const items = h("ul", { class: "ro-list" }, (regions || []).map((r) => {
    const what = r.rle ? rleStats(r.rle) : null;
    return h("li", {}, chip(labels, r.label), r.instance_id !== undefined ? ` #${r.instance_id}` : "",
      h("span", { class: "muted" }, what ? ` ${what.area} px · x ${what.bbox[0]}, y ${what.bbox[1]}, ${what.bbox[2]} × ${what.bbox[3]}` : ` ${(r.points || []).length} points`));
  }));
  if (!sized) return items;
  const [height, width] = sized.rle.size;
  const k = Math.min(1, 240 / Math.max(width, height));
  const canvas = h("canvas", { class: "ro-mask", width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)), "aria-hidden": "true" });
  const g = canvas.getContext("2d");
  g.fillStyle = "#eee"; g.fillRect(0, 0, canvas.width, canvas.height);
  for (const r of regions) {
    if (!r?.rle) continue;
    g.fillStyle = colourOf(labels, r.label);
    forEachRun(r.rle, (x, y0, y1) => g.fillRect(Math.floor(x * k), Math.floor(y0 * k), Math.max(1, Math.ceil(k)), Math.max(1, Math.ceil((y1 - y0) * k))));
  }
  return h("div", { class: "ro-masks" }, canvas, items);
}

const json = (v) => h("pre", { class: "ro-json" }, JSON.stringify(v, null, 2));

// A <dl>: each control of the ontology that has a value, in ontology order,
// then any keys the ontology does not know, as JSON. ``item``: {id, media} of
// the item, for the views that draw its media (none: drawn from the result alone).
export function resultView(controls, result, data = {}, item = null) {
  const out = h("dl", { class: "result-view" });
  const known = new Set();
  for (const control of controls) {
    known.add(control.name);
    const value = result?.[control.name];
    if (value === undefined || value === null) continue;
    const view = VIEWS[control.type];
    let shown;
    try { shown = view ? view(control, value, data, result, controls, item) : json(value); } catch { shown = json(value); }
    out.append(h("dt", {}, control.name), h("dd", { dataset: { control: control.name } }, shown));
  }
  for (const [key, value] of Object.entries(result || {})) {
    if (!known.has(key)) out.append(h("dt", {}, key), h("dd", { dataset: { control: key } }, json(value)));
  }
  if (!out.children.length) out.append(h("dd", { class: "muted" }, "—"));
  return out;
}

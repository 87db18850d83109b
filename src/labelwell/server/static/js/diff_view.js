// A revision against the one it replaces, drawn as the annotator sees labels:
// spans highlighted in the item's text (added, removed, relabelled), boxes
// drawn on the item's image in two colours (before dashed red, after green,
// unchanged grey), choices as the old value struck through and the new one.
// Region ids are ignored: a box moved is a change, a box renumbered is not.
// Text goes in through textContent only (dom.js h()).
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};
const strip = (v) => (Array.isArray(v) ? v.map(strip) : v && typeof v === "object"
  ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "id").sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, strip(x)]))
  : v);
export const identity = (v) => JSON.stringify(strip(v ?? null));

// Entries of two lists as added, removed and kept (by identity), and for spans
// the ones whose place stayed but whose label changed.
export function compareLists(before, after, place = null) {
  const a = (before || []).map((x) => [identity(x), x]); const b = (after || []).map((x) => [identity(x), x]);
  const inA = new Set(a.map(([k]) => k)); const inB = new Set(b.map(([k]) => k));
  let removed = a.filter(([k]) => !inB.has(k)).map(([, x]) => x);
  let added = b.filter(([k]) => !inA.has(k)).map(([, x]) => x);
  const kept = b.filter(([k]) => inA.has(k)).map(([, x]) => x);
  const changed = [];
  if (place) {
    for (const now of [...added]) {
      const old = removed.find((x) => place(x) === place(now));
      if (old) { changed.push([old, now]); removed = removed.filter((x) => x !== old); added = added.filter((x) => x !== now); }
    }
  }
  return { added, removed, kept, changed };
}

// The text with every changed span marked: runs of code points that share the
// same marks become one <mark> (class diff-added, diff-removed or
// diff-changed), titled with the labels; unchanged spans are underlined.
function spansDiff(control, before, after, data, t) {
  const text = data?.[control.source || "text"];
  const cps = typeof text === "string" ? Array.from(text) : [];
  const { added, removed, kept, changed } = compareLists(before, after, (s) => `${s.start}:${s.end}`);
  const marks = cps.map(() => []);
  const paint = (sp, kind, label) => {
    for (let i = Math.max(0, sp.start); i < Math.min(cps.length, sp.end); i += 1) marks[i].push([kind, label]);
  };
  kept.forEach((sp) => paint(sp, "kept", sp.label));
  removed.forEach((sp) => paint(sp, "removed", `−${sp.label}`));
  added.forEach((sp) => paint(sp, "added", `+${sp.label}`));
  changed.forEach(([old, now]) => paint(now, "changed", `${old.label}→${now.label}`));
  const rank = { changed: 3, added: 2, removed: 1, kept: 0 };
  const runs = [];
  cps.forEach((ch, i) => {
    const sig = marks[i].map(([k, l]) => `${k}:${l}`).join("|");
    const last = runs[runs.length - 1];
    if (last && last.sig === sig) last.text += ch; else runs.push({ sig, text: ch, marks: marks[i] });
  });
  const body = h("p", { class: "diff-text" }, runs.map((r) => {
    if (!r.marks.length) return r.text;
    const top = r.marks.reduce((x, y) => (rank[y[0]] > rank[x[0]] ? y : x))[0];
    return h("mark", { class: `diff-${top}`, title: r.marks.map(([, l]) => l).join(", ") }, r.text);
  }));
  const piece = (sp) => `“${cps.slice(sp.start, sp.end).join("")}”`;
  const lines = [
    ...added.map((sp) => h("li", { class: "diff-added" }, `+ ${sp.label} ${piece(sp)}`)),
    ...removed.map((sp) => h("li", { class: "diff-removed" }, `− ${sp.label} ${piece(sp)}`)),
    ...changed.map(([old, now]) => h("li", { class: "diff-changed" }, `${old.label} → ${now.label} ${piece(now)}`)),
  ];
  return h("div", { class: "diff-visual diff-spans" }, body, h("ul", { class: "diff-list", "aria-label": t("rvw.changes") }, lines));
}

// The image with the boxes (or polygons) of both revisions on it.
function regionsDiff(control, before, after, imageUrl, t) {
  const { added, removed, kept } = compareLists(before, after);
  const layer = svg("svg", { class: "diff-overlay", preserveAspectRatio: "none", "aria-hidden": "true" });
  const shape = (r, kind) => {
    const cls = `diff-shape diff-${kind}`;
    if (control.type === "polygon") return svg("polygon", { class: cls, points: (r.points || []).map((p) => p.join(",")).join(" ") });
    return svg("rect", { class: cls, x: r.x, y: r.y, width: r.width, height: r.height });
  };
  kept.forEach((r) => layer.append(shape(r, "kept")));
  removed.forEach((r) => layer.append(shape(r, "removed")));
  added.forEach((r) => layer.append(shape(r, "added")));
  const all = [...kept, ...removed, ...added];
  const extent = (f) => Math.max(1, ...all.map(f));
  const fit = (w, hgt) => layer.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  fit(extent((r) => (r.x ?? 0) + (r.width ?? 0) + 10), extent((r) => (r.y ?? 0) + (r.height ?? 0) + 10));
  let picture = null;
  if (imageUrl) {
    picture = h("img", { class: "diff-image", src: imageUrl, alt: "" });
    picture.addEventListener("load", () => fit(picture.naturalWidth, picture.naturalHeight));
  }
  const lines = [
    ...added.map((r) => h("li", { class: "diff-added" }, `+ ${r.label}`)),
    ...removed.map((r) => h("li", { class: "diff-removed" }, `− ${r.label}`)),
  ];
  return h("div", { class: "diff-visual diff-regions" },
    h("div", { class: "diff-stage" }, picture, layer),
    h("ul", { class: "diff-list", "aria-label": t("rvw.changes") }, lines),
    h("p", { class: "muted diff-legend" }, h("span", { class: "swatch diff-removed" }), ` ${t("rvw.before")} `,
      h("span", { class: "swatch diff-added" }), ` ${t("rvw.after")}`));
}

// A choice (or choices) changed: the old struck through, the new marked.
function choiceDiff(before, after) {
  const list = (v) => (v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String));
  const a = list(before); const b = list(after);
  return h("p", { class: "diff-visual diff-choice" },
    ...a.filter((x) => !b.includes(x)).map((x) => h("del", {}, x)), " → ",
    ...b.map((x) => (a.includes(x) ? h("span", { class: "value" }, x) : h("ins", {}, x))));
}

// The visual diff of one control, or null where its type has none (the caller
// then shows the values before and after).
export function visualDiff(control, before, after, data, t, imageOf) {
  if (control.type === "spans") return spansDiff(control, before, after, data, t);
  if (control.type === "bbox" || control.type === "polygon") {
    const source = control.source || "image";
    return regionsDiff(control, before, after, imageOf ? imageOf(source) : null, t);
  }
  if (control.type === "choice" || control.type === "multi_choice") return choiceDiff(before, after);
  return null;
}

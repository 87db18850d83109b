// Image regions: bounding boxes, polygons and keypoints (named skeleton) on an
// SVG whose viewBox is the zoom/pan window, so coordinates are image pixels.
//
// Labelling: a number key (or a palette click) picks the label of the regions
// drawn next; it never changes a region already drawn. Relabelling is its own
// action, R (or the Relabel button) on the selected region, then the new label.
import { colourOf, h, labelChips, labelList, newId, s } from "../dom.js";
import { relabeller } from "./relabel.js";

function viewer(control, data, ctx, onReady) {
  const svg = s("svg", { class: "image-canvas", tabindex: "0", role: "application", "aria-label": control.name });
  const layer = s("g", { class: "regions" });
  const image = s("image", { href: ctx.mediaUrl(control.source), x: 0, y: 0, preserveAspectRatio: "none" });
  svg.append(image, layer);
  const size = { w: Number(data.width) || 0, h: Number(data.height) || 0 };
  let view = { x: 0, y: 0, w: 1, h: 1 };
  const apply = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  const fit = () => { view = { x: 0, y: 0, w: size.w, h: size.h }; apply(); };
  const ready = () => { image.setAttribute("width", size.w); image.setAttribute("height", size.h); fit(); onReady(); };
  if (size.w && size.h) queueMicrotask(ready);
  else {
    const probe = new Image();
    probe.onload = () => { size.w = probe.naturalWidth; size.h = probe.naturalHeight; ready(); };
    probe.src = ctx.mediaUrl(control.source);
  }
  const toImage = (e) => {
    const pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    return { x: Math.min(size.w, Math.max(0, p.x)), y: Math.min(size.h, Math.max(0, p.y)) };
  };
  const zoom = (factor, centre) => {
    const c = centre || { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    const w = Math.min(size.w * 4, Math.max(8, view.w * factor));
    const k = w / view.w;
    view = { x: c.x - (c.x - view.x) * k, y: c.y - (c.y - view.y) * k, w, h: view.h * k };
    apply();
  };
  let pan = null;
  let space = false;
  svg.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, toImage(e)); }, { passive: false });
  svg.addEventListener("pointerdown", (e) => {
    if (e.button === 1 || space || e.altKey) {
      pan = { x: e.clientX, y: e.clientY, view: { ...view }, scale: view.w / svg.clientWidth };
      svg.setPointerCapture(e.pointerId); e.stopPropagation(); e.preventDefault();
    }
  }, true);
  svg.addEventListener("pointermove", (e) => {
    if (!pan) return;
    view = { ...pan.view, x: pan.view.x - (e.clientX - pan.x) * pan.scale, y: pan.view.y - (e.clientY - pan.y) * pan.scale };
    apply(); e.stopPropagation();
  }, true);
  svg.addEventListener("pointerup", (e) => { if (pan) { pan = null; e.stopPropagation(); } }, true);
  const buttons = h("div", { class: "zoom" },
    h("button", { type: "button", onclick: () => zoom(1 / 1.5) }, `${ctx.t("work.zoom_in")} +`),
    h("button", { type: "button", onclick: () => zoom(1.5) }, `${ctx.t("work.zoom_out")} −`),
    h("button", { type: "button", onclick: fit }, `${ctx.t("work.fit")} 0`));
  return {
    svg, layer, size, toImage, buttons,
    scale: () => view.w / (svg.clientWidth || 1),
    key(e) {
      if (e.key === "+" || e.key === "=") { zoom(1 / 1.5); return true; }
      if (e.key === "-") { zoom(1.5); return true; }
      if (e.key === "0") { fit(); return true; }
      return false;
    },
    setSpace: (v) => { space = v; },
  };
}

function drag(svg, e, onMove, onEnd) {
  svg.setPointerCapture(e.pointerId);
  const move = (ev) => onMove(ev);
  const up = (ev) => { svg.removeEventListener("pointermove", move); svg.removeEventListener("pointerup", up); onEnd(ev); };
  svg.addEventListener("pointermove", move);
  svg.addEventListener("pointerup", up);
}

export function imageTool(kind) {
  return (control, data, ctx) => {
    const labels = labelList(control);
    let items = [];
    let selected = null;
    let active = labels[0]?.name; // the label of the regions drawn next
    let draft = null; // polygon points or keypoint instance being placed
    let shownSelected = null; // the selection the state line was last drawn for
    let note = null; // a one-off word on the last action (a relabel refused)
    const v = viewer(control, data, ctx, () => render());
    const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
    const hint = h("p", { class: "spans-hint muted", role: "status" });
    const list = h("ul", { class: "region-list" });
    const el = h("div", { class: `image-tool ${kind}` }, palette, hint, v.buttons, h("div", { class: "canvas-wrap" }, v.svg), list);
    // R (or the Relabel button): the next label goes to the selected region. Not
    // while a skeleton is being placed: its remaining keypoints follow its label.
    const relabel = relabeller(ctx, {
      target: () => ((kind === "keypoints" && draft) ? null : items.find((x) => x.id === selected) || null),
      apply: (it, name) => {
        if (kind === "keypoints") {
          const names = labels.find((l) => l.name === name)?.skeleton?.keypoints || [];
          if (!Object.keys(it.points).every((n) => names.includes(n))) { note = `${ctx.t("work.relabel_skeleton")} ${name}`; return; }
        }
        items = items.map((x) => (x.id === it.id ? { ...x, label: name } : x));
        ctx.changed(); render();
      },
      show: () => showState(),
    });
    const r = () => v.scale(); // image pixels per screen pixel, for handle sizes
    const clampBox = (b) => {
      const width = Math.min(b.width, v.size.w), height = Math.min(b.height, v.size.h);
      return { ...b, width, height, x: Math.min(Math.max(0, b.x), v.size.w - width), y: Math.min(Math.max(0, b.y), v.size.h - height) };
    };
    const round = (x) => Math.round(x * 10) / 10;

    const paletteButtons = labelChips(labels, pickLabel);
    palette.replaceChildren(...paletteButtons, relabel.button);
    function renderPalette() {
      for (const b of paletteButtons) {
        const on = b.dataset.label === active;
        b.classList.toggle("active", on);
        b.setAttribute("aria-pressed", String(on));
      }
    }

    // A label key or palette click: finishes a relabel started with R;
    // otherwise it only picks the label of the regions drawn next (a polygon
    // still being drawn included), never touching one already drawn.
    function pickLabel(name) {
      if (relabel.take(name)) return;
      active = name;
      renderPalette(); render();
    }

    // What the next label key will do, said in words under the palette. A
    // relabel never carries over to another selection.
    function showState() {
      if (selected !== shownSelected) { relabel.drop(); shownSelected = selected; }
      const it = relabel.sync(); // the region being relabelled, if any
      palette.classList.toggle("waiting", Boolean(it));
      if (note) { hint.textContent = note; note = null; }
      else if (it) hint.textContent = `${ctx.t("work.spans_relabelling")} ${it.label} (${describe(it)})`;
      else if (active) hint.replaceChildren(`${ctx.t("work.regions_active")} `, h("strong", {}, active), ` · ${ctx.t("work.regions_keys")}`);
      else hint.textContent = "";
    }

    function render() {
      const k = r();
      const nodes = [];
      for (const it of items) {
        const c = colourOf(labels, it.label);
        const sel = it.id === selected;
        const g = s("g", { class: `region${sel ? " selected" : ""}`, "data-region": it.id });
        if (kind === "bbox") {
          g.append(s("rect", { x: it.x, y: it.y, width: it.width, height: it.height, fill: `${c}22`, stroke: c, "stroke-width": 2 * k, class: "body" }));
          if (sel) for (const [hx, hy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
            g.append(s("rect", { class: "handle", "data-hx": hx, "data-hy": hy, x: it.x + hx * it.width - 5 * k, y: it.y + hy * it.height - 5 * k, width: 10 * k, height: 10 * k, fill: "#fff", stroke: c, "stroke-width": k }));
          }
        } else if (kind === "polygon") {
          g.append(s("polygon", { points: it.points.map((p) => p.join(",")).join(" "), fill: `${c}22`, stroke: c, "stroke-width": 2 * k, class: "body" }));
          if (sel) it.points.forEach((p, i) => g.append(s("circle", { class: "handle", "data-vertex": i, cx: p[0], cy: p[1], r: 5 * k, fill: "#fff", stroke: c, "stroke-width": k })));
        } else {
          const sk = labels.find((l) => l.name === it.label)?.skeleton || { keypoints: [], edges: [] };
          for (const [a, b] of sk.edges || []) {
            const pa = it.points[sk.keypoints[a]], pb = it.points[sk.keypoints[b]];
            if (pa && pb && pa[2] > 0 && pb[2] > 0) g.append(s("line", { x1: pa[0], y1: pa[1], x2: pb[0], y2: pb[1], stroke: c, "stroke-width": 2 * k }));
          }
          for (const [name, p] of Object.entries(it.points)) {
            if (p[2] === 0) continue;
            g.append(s("circle", { class: "handle body", "data-point": name, cx: p[0], cy: p[1], r: 5 * k, fill: p[2] === 2 ? c : "#fff", stroke: c, "stroke-width": 1.5 * k }, s("title", {}, name)));
          }
        }
        g.append(s("text", { x: kind === "bbox" ? it.x : firstPoint(it)[0], y: (kind === "bbox" ? it.y : firstPoint(it)[1]) - 4 * k, fill: c, "font-size": 13 * k, class: "region-label" }, it.label));
        nodes.push(g);
      }
      if (draft && kind === "polygon" && draft.points.length) {
        nodes.push(s("polyline", { points: draft.points.map((p) => p.join(",")).join(" "), fill: "none", stroke: colourOf(labels, active), "stroke-width": 2 * k, "stroke-dasharray": `${4 * k}` }));
      }
      if (draft && kind === "bbox") nodes.push(s("rect", { ...draft, fill: "none", stroke: colourOf(labels, active), "stroke-width": 2 * k, "stroke-dasharray": `${4 * k}` }));
      v.layer.replaceChildren(...nodes);
      list.replaceChildren(...items.map((it) => {
        const li = h("li", { class: it.id === selected ? "selected" : "", dataset: { region: it.id } },
          h("button", { type: "button", class: "chip", onclick: () => { selected = it.id; render(); } }, it.label), " ",
          h("span", { class: "muted" }, describe(it)),
          h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${it.label}`, onclick: () => remove(it.id) }, "×"));
        li.querySelector(".chip").style.borderColor = colourOf(labels, it.label);
        return li;
      }));
      if (kind === "keypoints" && draft) list.append(h("li", { class: "hint" }, `${draft.label}: ${draft.next()} …`));
      showState();
    }

    const firstPoint = (it) => (kind === "polygon" ? it.points[0] : Object.values(it.points).find((p) => p[2] > 0) || [0, 0]);
    const describe = (it) => (kind === "bbox" ? `${Math.round(it.x)}, ${Math.round(it.y)}, ${Math.round(it.width)}×${Math.round(it.height)}`
      : kind === "polygon" ? `${it.points.length} pts` : `${Object.values(it.points).filter((p) => p[2] > 0).length} pts`);

    function remove(id) { items = items.filter((it) => it.id !== id); if (selected === id) selected = null; ctx.changed(); render(); }

    function startKeypoints(p) {
      const sk = labels.find((l) => l.name === active)?.skeleton || { keypoints: [] };
      const inst = { id: newId("k"), label: active, points: {} };
      draft = { label: active, names: [...sk.keypoints], inst, next: () => draft.names[0] };
      placeKeypoint(p);
    }
    function placeKeypoint(p, visibility = 2) {
      const name = draft.names.shift();
      draft.inst.points[name] = visibility ? [round(p.x), round(p.y), visibility] : [0, 0, 0];
      if (!items.includes(draft.inst)) items = [...items, draft.inst];
      selected = draft.inst.id;
      if (!draft.names.length) draft = null;
      ctx.changed(); render();
    }

    v.svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      v.svg.focus();
      ctx.activate();
      const p = v.toImage(e);
      const target = e.target;
      const regionEl = target.closest?.("[data-region]");
      const it = regionEl && items.find((x) => x.id === regionEl.dataset.region);
      if (kind === "polygon" && draft) {
        const first = draft.points[0];
        if (draft.points.length >= 3 && Math.hypot(first[0] - p.x, first[1] - p.y) < 8 * r()) { closePolygon(); return; }
        draft.points.push([round(p.x), round(p.y)]); render(); return;
      }
      if (kind === "keypoints" && draft) { placeKeypoint(p); return; }
      if (it) {
        selected = it.id; render();
        const before = JSON.stringify(it);
        const start = p;
        const orig = JSON.parse(before);
        const hx = target.dataset.hx, vertex = target.dataset.vertex, point = target.dataset.point;
        drag(v.svg, e, (ev) => {
          const q = v.toImage(ev);
          const dx = q.x - start.x, dy = q.y - start.y;
          let next;
          if (kind === "bbox" && hx !== undefined) {
            const x0 = hx === "0" ? orig.x + dx : orig.x, y0 = target.dataset.hy === "0" ? orig.y + dy : orig.y;
            const x1 = hx === "1" ? orig.x + orig.width + dx : orig.x + orig.width, y1 = target.dataset.hy === "1" ? orig.y + orig.height + dy : orig.y + orig.height;
            next = { ...orig, x: Math.min(x0, x1), y: Math.min(y0, y1), width: Math.max(1, Math.abs(x1 - x0)), height: Math.max(1, Math.abs(y1 - y0)) };
            next = clampBox(next);
          } else if (kind === "bbox") next = clampBox({ ...orig, x: orig.x + dx, y: orig.y + dy });
          else if (kind === "polygon" && vertex !== undefined) next = { ...orig, points: orig.points.map((pt, i) => (String(i) === vertex ? [q.x, q.y] : pt)) };
          else if (kind === "polygon") next = { ...orig, points: orig.points.map(([x, y]) => [Math.min(v.size.w, Math.max(0, x + dx)), Math.min(v.size.h, Math.max(0, y + dy))]) };
          else if (point) next = { ...orig, points: { ...orig.points, [point]: [q.x, q.y, orig.points[point][2]] } };
          else return;
          items = items.map((x) => (x.id === orig.id ? next : x)); render();
        }, () => {
          items = items.map((x) => (x.id === orig.id ? roundRegion(x) : x));
          if (JSON.stringify(items.find((x) => x.id === orig.id)) !== before) ctx.changed();
          render();
        });
        return;
      }
      selected = null;
      if (!active) return;
      if (kind === "bbox") {
        draft = { x: p.x, y: p.y, width: 0, height: 0 };
        drag(v.svg, e, (ev) => {
          const q = v.toImage(ev);
          draft = { x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), width: Math.abs(q.x - p.x), height: Math.abs(q.y - p.y) };
          render();
        }, () => {
          const d = draft; draft = null;
          if (d.width >= 3 * r() && d.height >= 3 * r()) {
            const box = roundRegion(clampBox({ id: newId("b"), label: active, ...d }));
            items = [...items, box]; selected = box.id; ctx.changed();
          }
          render();
        });
      } else if (kind === "polygon") { draft = { points: [[round(p.x), round(p.y)]] }; render(); }
      else startKeypoints(p);
    });
    v.svg.addEventListener("dblclick", () => { if (kind === "polygon" && draft) closePolygon(); });

    function roundRegion(it) {
      if (kind === "bbox") return clampBox({ ...it, x: round(it.x), y: round(it.y), width: Math.max(0.1, round(it.width)), height: Math.max(0.1, round(it.height)) });
      if (kind === "polygon") return { ...it, points: it.points.map(([x, y]) => [round(x), round(y)]) };
      return { ...it, points: Object.fromEntries(Object.entries(it.points).map(([n, [x, y, vis]]) => [n, [round(x), round(y), vis]])) };
    }
    function closePolygon() {
      const pts = dedupe(draft.points); draft = null;
      if (pts.length >= 3) { const poly = { id: newId("p"), label: active, points: pts }; items = [...items, poly]; selected = poly.id; ctx.changed(); }
      render();
    }
    const dedupe = (pts) => pts.filter((p, i) => i === 0 || p[0] !== pts[i - 1][0] || p[1] !== pts[i - 1][1]);

    // Escape steps back one thing at a time: a relabel, the polygon or skeleton
    // being drawn (the keypoints placed so far stay), then the selection.
    function cancel() {
      if (relabel.cancel()) return true;
      if (draft) {
        if (kind === "keypoints" && !Object.keys(draft.inst.points).length) items = items.filter((x) => x !== draft.inst);
        draft = null; render(); return true;
      }
      if (selected) { selected = null; render(); return true; }
      return false;
    }

    renderPalette();
    showState();
    return {
      el,
      get: () => (items.length ? items.map(roundRegion) : null),
      set: (val) => { items = (val || []).map((it) => ({ ...it, id: String(it.id ?? newId("r")) })); draft = null; if (!items.some((x) => x.id === selected)) selected = null; render(); },
      key(e) {
        const n = Number(e.key);
        if (e.key === " ") { v.setSpace(true); document.addEventListener("keyup", (ev) => { if (ev.key === " ") v.setSpace(false); }, { once: true }); return true; }
        if (n >= 1 && n <= Math.min(9, labels.length)) { pickLabel(labels[n - 1].name); return true; }
        if (relabel.key(e)) return true;
        if (kind === "polygon" && draft && e.key === "Enter") { closePolygon(); return true; }
        if (kind === "keypoints" && draft && e.key.toLowerCase() === "n") { placeKeypoint({ x: 0, y: 0 }, 0); return true; }
        if (e.key === "Escape") return cancel();
        if ((e.key === "Delete" || e.key === "Backspace") && selected) { remove(selected); return true; }
        if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && items.length && !e.shiftKey) {
          const at = items.findIndex((x) => x.id === selected);
          const step = e.key === "ArrowRight" ? 1 : -1;
          selected = items[((at < 0 ? (step > 0 ? -1 : 0) : at) + step + items.length) % items.length].id; render(); return true;
        }
        return v.key(e);
      },
    };
  };
}

// NER spans over text, offsets in Unicode code points (Python str indices), so
// Korean, emoji and other astral characters round-trip exactly; and relations.
//
// Labelling: a number key (or a palette click) gives its label to the text
// selection waiting for one (select, then press 1-9); with nothing waiting it
// picks the label that later selections get at once (press 1-9, then select).
// A key never changes a span already made: relabelling is its own action, R
// (or the Relabel button) on the selected span, then the new label.
import { colourOf, h, labelChips, labelList, newId } from "../dom.js";
import { relabeller } from "./relabel.js";

// From this many spans the list scrolls in its own contained box (see app.css).
const LONG_LIST = 12;

export function spans(control, data, ctx) {
  const text = String(data[control.source] ?? "");
  const cps = Array.from(text);
  const labels = labelList(control);
  let items = [];
  let active = null; // the label selections get at once; none until one is picked
  let pending = null; // {start, end}: selected text waiting for its label
  let selected = null;

  const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
  const body = h("div", { class: "ner-text item-text", tabindex: "0", "aria-label": control.source });
  const list = h("ul", { class: "region-list" });
  const hint = h("p", { class: "spans-hint muted", role: "status" });
  // R (or the Relabel button): the next label goes to the selected span.
  const relabel = relabeller(ctx, {
    target: () => (selected && items.find((x) => x.id === selected)) || null,
    apply: (sp, name) => {
      sp.label = name; // the tool's own copy: get() hands out new objects
      repaint([sp.id]);
      ctx.changed();
    },
    show: () => showState(),
    before: () => { if (pending) { pending = null; render(); } },
  });
  const el = h("div", { class: "spans-tool" }, palette, hint, body, list);

  // The palette is built once; picking a label only moves the "active" mark.
  const paletteButtons = labelChips(labels, pickLabel);
  palette.replaceChildren(...paletteButtons, relabel.button);
  function renderPalette() {
    for (const b of paletteButtons) {
      const on = b.dataset.label === active;
      if (b.classList.contains("active") !== on) { b.classList.toggle("active", on); b.setAttribute("aria-pressed", String(on)); }
    }
  }

  // What the next label key will do, said in words under the palette.
  const quote = (start, end) => {
    const part = cps.slice(start, end);
    return `“${part.length > 40 ? `${part.slice(0, 39).join("")}…` : part.join("")}”`;
  };
  function showState() {
    const sp = relabel.sync(); // the span being relabelled, if any
    palette.classList.toggle("waiting", Boolean(pending || sp));
    if (pending) hint.textContent = `${ctx.t("work.spans_pending")} ${quote(pending.start, pending.end)}`;
    else if (sp) hint.textContent = `${ctx.t("work.spans_relabelling")} ${quote(sp.start, sp.end)} (${sp.label})`;
    else if (active) hint.textContent = `${ctx.t("work.spans_active")} ${active}`;
    else hint.textContent = ctx.t("work.spans_idle");
  }

  let segs = []; // [{a, b, el}] of the last full render, in text order
  const tagOf = new Map(); // span id -> its <sup> label tag
  const rowOf = new Map(); // span id -> its row in the list

  function coveringOf(a, b) {
    return items.filter((sp) => sp.start <= a && sp.end >= b);
  }

  function paintSeg(seg, covering) {
    const el = seg.el;
    el.className = "seg";
    el.style.backgroundColor = "";
    el.style.boxShadow = "";
    el.removeAttribute("title");
    if (pending && seg.a >= pending.start && seg.b <= pending.end) el.classList.add("pending");
    if (!covering.length) return;
    el.classList.add("ent");
    el.style.backgroundColor = `${colourOf(labels, covering[0].label)}33`;
    el.style.boxShadow = covering
      .map((sp, k) => `inset 0 -${3 * (k + 1)}px 0 ${colourOf(labels, sp.label)}`)
      .join(", ");
    if (covering.length > 1) el.classList.add("overlap");
    if (selected && covering.some((sp) => sp.id === selected)) el.classList.add("selected");
    el.title = covering.map((sp) => sp.label).join(" + ");
  }

  function listRow(sp) {
    const chip = h("button", { type: "button", class: "chip", onclick: () => select(sp.id) }, sp.label);
    const del = h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${sp.label}`, onclick: () => remove(sp.id) }, "×");
    const li = h("li", { class: sp.id === selected ? "selected" : "", dataset: { span: sp.id } },
      chip, " ", h("span", { class: "span-text" }, cps.slice(sp.start, sp.end).join("")),
      h("span", { class: "muted" }, ` [${sp.start}, ${sp.end})`), del);
    chip.style.borderColor = colourOf(labels, sp.label);
    rowOf.set(sp.id, li);
    return li;
  }

  // A row brought up to date in place (label, colour, selection): no new nodes.
  function updateRow(sp) {
    const li = rowOf.get(sp.id);
    if (!li) return;
    const chip = li.firstChild;
    if (chip.textContent !== sp.label) {
      chip.textContent = sp.label;
      chip.style.borderColor = colourOf(labels, sp.label);
      li.lastChild.setAttribute("aria-label", `${ctx.t("work.delete")} ${sp.label}`);
    }
    li.classList.toggle("selected", sp.id === selected);
  }

  // Full render: segments cut at every span boundary, found by a sweep (no
  // quadratic scan), so 500 spans over 20,000 characters stay quick.
  function render() {
    const cuts = new Set([0, cps.length]);
    if (pending) { cuts.add(pending.start); cuts.add(pending.end); }
    const endsAt = new Map();
    for (const sp of items) {
      cuts.add(sp.start); cuts.add(sp.end);
      if (!endsAt.has(sp.end)) endsAt.set(sp.end, []);
      endsAt.get(sp.end).push(sp);
    }
    const bounds = [...cuts].sort((a, b) => a - b);
    const order = sorted();
    let next = 0;
    let open = [];
    const nodes = [];
    segs = [];
    tagOf.clear();
    rowOf.clear();
    for (let i = 0; i + 1 < bounds.length; i += 1) {
      const a = bounds[i], b = bounds[i + 1];
      open = open.filter((sp) => sp.end > a);
      while (next < order.length && order[next].start <= a) { if (order[next].end > a) open.push(order[next]); next += 1; }
      const seg = { a, b, el: h("span", { dataset: { cp: String(a) } }, cps.slice(a, b).join("")) };
      paintSeg(seg, open);
      segs.push(seg);
      nodes.push(seg.el);
      for (const sp of endsAt.get(b) || []) {
        const tag = h("sup", { class: "tag", "aria-hidden": "true", dataset: { tag: sp.id } }, sp.label);
        tag.style.color = colourOf(labels, sp.label);
        tagOf.set(sp.id, tag);
        nodes.push(tag);
      }
    }
    body.replaceChildren(...nodes);
    list.classList.toggle("long", order.length > LONG_LIST);
    list.replaceChildren(...order.map(listRow));
    showState();
  }

  // Incremental repaint of the given spans (relabel, selection): only their
  // segments, tags and list rows change, in place; the other spans' nodes are
  // not touched, so style and layout stay local to the span.
  function repaint(ids) {
    const touched = items.filter((sp) => ids.includes(sp.id));
    for (const sp of touched) {
      let lo = 0, hi = segs.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (segs[mid].a < sp.start) lo = mid + 1; else hi = mid; }
      for (let i = lo; i < segs.length && segs[i].a < sp.end; i += 1) paintSeg(segs[i], coveringOf(segs[i].a, segs[i].b));
      const tag = tagOf.get(sp.id);
      if (tag && tag.textContent !== sp.label) { tag.textContent = sp.label; tag.style.color = colourOf(labels, sp.label); }
      updateRow(sp);
    }
  }

  function select(id) {
    const before = selected;
    if (id !== before) relabel.drop();
    selected = id;
    repaint([before, id].filter(Boolean));
    showState();
  }

  // Spans in text order, kept until the set of spans changes (a relabel keeps it).
  let order = null;
  const sorted = () => order || (order = [...items].sort((a, b) => a.start - b.start || a.end - b.end));
  const textOf = (sp) => cps.slice(sp.start, sp.end).join("");

  // A label key or palette click: labels the waiting selection, or finishes a
  // relabel started with R; otherwise it only picks the label for new spans.
  function pickLabel(name) {
    if (pending) {
      const { start, end } = pending;
      pending = null;
      add(start, end, name);
      return;
    }
    if (relabel.take(name)) return;
    active = name;
    renderPalette();
    showState();
  }

  // Escape steps back one thing at a time: the waiting selection, a relabel,
  // the selected span, then the label picked for new spans.
  function cancel() {
    if (pending) { pending = null; render(); return true; }
    if (relabel.cancel()) return true;
    if (selected) { select(null); return true; }
    if (active) { active = null; renderPalette(); showState(); return true; }
    return false;
  }

  function remove(id) {
    items = items.filter((sp) => sp.id !== id);
    order = null;
    if (selected === id) { selected = null; relabel.drop(); }
    ctx.changed(); render();
  }

  function pointToCp(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement;
      if (seg?.classList.contains("seg")) return Number(seg.dataset.cp) + Array.from(node.data.slice(0, offset)).length;
      node = seg; offset = 0;
      if (!node) return null;
      let next = node.nextSibling;
      while (next && !next.classList?.contains("seg")) next = next.nextSibling;
      return next ? Number(next.dataset.cp) : cps.length;
    }
    let child = node.childNodes[offset] || null;
    if (node.classList?.contains("seg")) return Number(node.dataset.cp) + (offset ? Array.from(node.textContent).length : 0);
    while (child && !child.classList?.contains("seg")) child = child.nextSibling;
    return child ? Number(child.dataset.cp) : cps.length;
  }

  body.addEventListener("mouseup", (e) => {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0) return;
    const range = sel.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) return;
    if (range.collapsed) {
      const seg = e.target.closest?.(".seg");
      if (!seg) return;
      const cp = Number(seg.dataset.cp);
      if (pending) { pending = null; render(); } // a click elsewhere drops the waiting selection
      const under = sorted().filter((sp) => sp.start <= cp && sp.end > cp);
      if (!under.length) { select(null); return; }
      const at = under.findIndex((sp) => sp.id === selected);
      select(under[(at + 1) % under.length].id);
      return;
    }
    let start = pointToCp(range.startContainer, range.startOffset);
    let end = pointToCp(range.endContainer, range.endOffset);
    sel.removeAllRanges();
    if (start === null || end === null) return;
    while (start < end && /\s/u.test(cps[start])) start += 1;
    while (end > start && /\s/u.test(cps[end - 1])) end -= 1;
    if (end <= start) return;
    [start, end] = wholeGraphemes(start, end);
    if (active) { add(start, end, active); return; }
    pending = { start, end };
    relabel.drop();
    render();
  });

  // Where user-perceived characters begin, in code points: a span never splits
  // a flag (two regional indicators), an emoji from its skin tone or a ZWJ
  // sequence, or a Hangul syllable written as jamo. Found once, on first use.
  let clusterStarts = null;
  function wholeGraphemes(start, end) {
    if (!clusterStarts) {
      if (typeof Intl === "undefined" || !Intl.Segmenter) return [start, end];
      clusterStarts = [];
      let cp = 0;
      for (const { segment } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
        clusterStarts.push(cp);
        cp += Array.from(segment).length;
      }
      clusterStarts.push(cp);
    }
    const at = (x) => { let lo = 0, hi = clusterStarts.length; while (lo < hi) { const mid = (lo + hi) >> 1; if (clusterStarts[mid] <= x) lo = mid + 1; else hi = mid; } return lo; };
    const a = clusterStarts[at(start) - 1] ?? start; // the cluster start at or before start
    const i = at(end - 1); // the first cluster start after end - 1
    const b = i < clusterStarts.length ? clusterStarts[i] : end;
    return [a, b];
  }

  function add(start, end, label) {
    const span = { id: newId("s"), start, end, label };
    span.text = textOf(span);
    items = [...items, span];
    order = null;
    selected = span.id;
    ctx.changed(); render();
    return span;
  }

  renderPalette(); render();
  return {
    el,
    get: () => (items.length ? sorted().map((sp) => ({ ...sp })) : null),
    set: (v) => {
      items = (v || []).map((sp) => ({ ...sp, id: String(sp.id ?? newId("s")) }));
      for (const sp of items) sp.text = textOf(sp);
      order = null;
      pending = null;
      relabel.drop();
      if (!items.some((sp) => sp.id === selected)) selected = null;
      render();
    },
    spans: () => sorted().map((sp) => ({ id: sp.id, label: sp.label, text: sp.text })),
    add, // used by tests and the benchmark
    key(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= Math.min(9, labels.length)) { pickLabel(labels[n - 1].name); return true; }
      if (relabel.key(e)) return true;
      if ((e.key === "Delete" || e.key === "Backspace") && selected) { remove(selected); return true; }
      if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && items.length) {
        const order = sorted();
        const at = order.findIndex((sp) => sp.id === selected);
        const step = e.key === "ArrowRight" ? 1 : -1;
        select(order[(at + step + order.length + (at < 0 && step < 0 ? 1 : 0)) % order.length].id);
        return true;
      }
      if (e.key === "Escape") return cancel();
      return false;
    },
  };
}

export function relations(control, data, ctx) {
  const labels = labelList(control);
  let items = [];
  const from = h("select", { "aria-label": "from" });
  const to = h("select", { "aria-label": "to" });
  const kind = h("select", { "aria-label": "relation" }, labels.map((l) => h("option", { value: l.name }, l.name)));
  const addButton = h("button", { type: "button", onclick: () => {
    if (!from.value || !to.value || from.value === to.value) return;
    if (items.some((r) => r.from === from.value && r.to === to.value && r.label === kind.value)) return;
    items = [...items, { from: from.value, to: to.value, label: kind.value }];
    ctx.changed(); render();
  } }, "+");
  const list = h("ul", { class: "region-list" });
  const el = h("div", { class: "relations-tool" }, h("div", { class: "row" }, from, " → ", to, kind, addButton), list);
  const spanTool = () => ctx.tool(control.spans);
  function render() {
    const spans = spanTool()?.spans() || [];
    const names = new Map(spans.map((sp) => [sp.id, `${sp.label}: ${sp.text}`]));
    items = items.filter((r) => names.has(r.from) && names.has(r.to));
    for (const select of [from, to]) {
      const keep = select.value;
      select.replaceChildren(...spans.map((sp) => h("option", { value: sp.id }, names.get(sp.id))));
      if (names.has(keep)) select.value = keep;
    }
    list.replaceChildren(...items.map((r, i) => h("li", {},
      `${names.get(r.from)} —${r.label}→ ${names.get(r.to)} `,
      h("button", { type: "button", class: "small", onclick: () => { items.splice(i, 1); items = [...items]; ctx.changed(); render(); } }, "×"))));
  }
  render();
  return {
    el,
    get: () => (items.length ? items.map((r) => ({ ...r })) : null),
    set: (v) => { items = (v || []).map((r) => ({ ...r })); render(); },
    refresh: render,
    key: () => false,
  };
}

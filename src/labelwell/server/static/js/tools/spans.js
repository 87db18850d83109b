// NER spans over text, offsets in Unicode code points (Python str indices), so
// Korean, emoji and other astral characters round-trip exactly; and relations.
import { colourOf, h, labelList, newId } from "../dom.js";

export function spans(control, data, ctx) {
  const text = String(data[control.source] ?? "");
  const cps = Array.from(text);
  const labels = labelList(control);
  let items = [];
  let active = labels[0]?.name;
  let selected = null;

  const palette = h("div", { class: "label-palette", role: "toolbar", "aria-label": ctx.t("work.active_label") });
  const body = h("div", { class: "ner-text item-text", tabindex: "0", "aria-label": control.source });
  const list = h("ul", { class: "region-list" });
  const el = h("div", { class: "spans-tool" }, palette, body, list);

  function renderPalette() {
    palette.replaceChildren(...labels.map((l, i) => {
      const b = h("button", { type: "button", class: `chip${l.name === active ? " active" : ""}`, "aria-pressed": String(l.name === active) },
        h("kbd", {}, i < 9 ? String(i + 1) : ""), " ", l.name);
      b.style.borderColor = colourOf(labels, l.name);
      b.addEventListener("click", () => pickLabel(l.name));
      return b;
    }));
  }

  function render() {
    const cuts = new Set([0, cps.length]);
    for (const sp of items) { cuts.add(sp.start); cuts.add(sp.end); }
    const bounds = [...cuts].sort((a, b) => a - b);
    const nodes = [];
    for (let i = 0; i + 1 < bounds.length; i += 1) {
      const a = bounds[i], b = bounds[i + 1];
      const covering = items.filter((sp) => sp.start <= a && sp.end >= b);
      const seg = h("span", { class: "seg", dataset: { cp: String(a) } }, cps.slice(a, b).join(""));
      if (covering.length) {
        seg.classList.add("ent");
        seg.style.backgroundColor = `${colourOf(labels, covering[0].label)}33`;
        seg.style.boxShadow = covering.map((sp, k) => `inset 0 -${3 * (k + 1)}px 0 ${colourOf(labels, sp.label)}`).join(", ");
        if (covering.length > 1) seg.classList.add("overlap");
        if (selected && covering.some((sp) => sp.id === selected)) seg.classList.add("selected");
        seg.title = covering.map((sp) => sp.label).join(" + ");
      }
      nodes.push(seg);
      for (const sp of items.filter((x) => x.end === b)) {
        const tag = h("sup", { class: "tag", "aria-hidden": "true" }, sp.label);
        tag.style.color = colourOf(labels, sp.label);
        nodes.push(tag);
      }
    }
    body.replaceChildren(...nodes);
    list.replaceChildren(...sorted().map((sp) => {
      const li = h("li", { class: sp.id === selected ? "selected" : "", dataset: { span: sp.id } },
        h("button", { type: "button", class: "chip", onclick: () => { selected = sp.id; render(); } }, sp.label),
        " ", h("span", { class: "span-text" }, cps.slice(sp.start, sp.end).join("")),
        h("span", { class: "muted" }, ` [${sp.start}, ${sp.end})`),
        h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.delete")} ${sp.label}`, onclick: () => remove(sp.id) }, "×"));
      li.querySelector(".chip").style.borderColor = colourOf(labels, sp.label);
      return li;
    }));
  }

  const sorted = () => [...items].sort((a, b) => a.start - b.start || a.end - b.end);

  function pickLabel(name) {
    active = name;
    if (selected) {
      items = items.map((sp) => (sp.id === selected ? { ...sp, label: name } : sp));
      ctx.changed();
    }
    renderPalette(); render();
  }

  function remove(id) {
    items = items.filter((sp) => sp.id !== id);
    if (selected === id) selected = null;
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
      const under = sorted().filter((sp) => sp.start <= cp && sp.end > cp);
      if (!under.length) { selected = null; render(); return; }
      const at = under.findIndex((sp) => sp.id === selected);
      selected = under[(at + 1) % under.length].id;
      render();
      return;
    }
    let start = pointToCp(range.startContainer, range.startOffset);
    let end = pointToCp(range.endContainer, range.endOffset);
    sel.removeAllRanges();
    if (start === null || end === null) return;
    while (start < end && /\s/u.test(cps[start])) start += 1;
    while (end > start && /\s/u.test(cps[end - 1])) end -= 1;
    if (end <= start || !active) return;
    add(start, end, active);
  });

  function add(start, end, label) {
    const span = { id: newId("s"), start, end, label, text: cps.slice(start, end).join("") };
    items = [...items, span];
    selected = span.id;
    ctx.changed(); render();
    return span;
  }

  renderPalette(); render();
  return {
    el,
    get: () => (items.length ? sorted().map((sp) => ({ ...sp, text: cps.slice(sp.start, sp.end).join("") })) : null),
    set: (v) => { items = (v || []).map((sp) => ({ ...sp, id: String(sp.id ?? newId("s")) })); if (!items.some((sp) => sp.id === selected)) selected = null; render(); },
    spans: () => sorted().map((sp) => ({ id: sp.id, label: sp.label, text: cps.slice(sp.start, sp.end).join("") })),
    add, // used by tests and the benchmark
    key(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= Math.min(9, labels.length)) { pickLabel(labels[n - 1].name); return true; }
      if ((e.key === "Delete" || e.key === "Backspace") && selected) { remove(selected); return true; }
      if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && items.length) {
        const order = sorted();
        const at = order.findIndex((sp) => sp.id === selected);
        const step = e.key === "ArrowRight" ? 1 : -1;
        selected = order[(at + step + order.length + (at < 0 && step < 0 ? 1 : 0)) % order.length].id;
        render(); return true;
      }
      if (e.key === "Escape" && selected) { selected = null; render(); return true; }
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

// choice, multi_choice, rating (1..n, per aspect) and free text.
import { h } from "../dom.js";

let uid = 0;
const nextUid = () => `c${++uid}`;

export function choice(control, data, ctx) {
  let value = null;
  const name = nextUid();
  const inputs = control.options.map((opt, i) => {
    const id = `${name}-${i}`;
    const input = h("input", { type: "radio", name, id, value: opt });
    input.addEventListener("change", () => { value = opt; ctx.changed(); });
    return [input, h("label", { for: id, class: "option" }, h("kbd", {}, i < 9 ? String(i + 1) : ""), " ", opt)];
  });
  const el = h("div", { class: "options", role: "radiogroup" }, inputs.map(([i, l]) => h("span", { class: "opt" }, i, l)));
  const sync = () => inputs.forEach(([input]) => { input.checked = input.value === value; });
  return {
    el,
    get: () => value,
    set: (v) => { value = v ?? null; sync(); },
    key(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= Math.min(9, control.options.length)) {
        value = control.options[n - 1]; sync(); ctx.changed(); return true;
      }
      return false;
    },
  };
}

export function multiChoice(control, data, ctx) {
  let chosen = new Set();
  const name = nextUid();
  const inputs = control.options.map((opt, i) => {
    const id = `${name}-${i}`;
    const input = h("input", { type: "checkbox", id, value: opt });
    input.addEventListener("change", () => {
      if (input.checked) chosen.add(opt); else chosen.delete(opt);
      ctx.changed();
    });
    return [input, h("label", { for: id, class: "option" }, h("kbd", {}, i < 9 ? String(i + 1) : ""), " ", opt)];
  });
  const el = h("div", { class: "options" }, inputs.map(([i, l]) => h("span", { class: "opt" }, i, l)));
  const sync = () => inputs.forEach(([input]) => { input.checked = chosen.has(input.value); });
  return {
    el,
    get: () => (chosen.size ? control.options.filter((o) => chosen.has(o)) : null),
    set: (v) => { chosen = new Set(v || []); sync(); },
    key(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= Math.min(9, control.options.length)) {
        const opt = control.options[n - 1];
        if (chosen.has(opt)) chosen.delete(opt); else chosen.add(opt);
        sync(); ctx.changed(); return true;
      }
      return false;
    },
  };
}

function scaleRow(control, label, onPick) {
  const [lo, hi] = control.scale || [1, 5];
  const name = nextUid();
  const inputs = [];
  const row = h("div", { class: "rating-row", role: "radiogroup", "aria-label": label });
  if (label) row.append(h("span", { class: "aspect" }, label));
  for (let v = lo; v <= hi; v += 1) {
    const id = `${name}-${v}`;
    const input = h("input", { type: "radio", name, id, value: String(v) });
    input.addEventListener("change", () => onPick(v));
    inputs.push(input);
    row.append(h("span", { class: "opt" }, input, h("label", { for: id, class: "option star" }, String(v))));
  }
  return { row, sync: (v) => inputs.forEach((i) => { i.checked = Number(i.value) === v; }) };
}

// What a rating rates, said above its scale: the item's responses by their
// letters (the same A, B, C as the comparison beside it), or the field it reads.
function ratedLine(control, data, ctx) {
  const value = control.source ? data[control.source] : undefined;
  if (value === undefined || value === null) return null;
  const fill = (key, vars) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, v), ctx.t(key));
  let what;
  if (Array.isArray(value) && value.length && value.every((r) => r && typeof r === "object" && "text" in r)) {
    const letters = value.map((_, i) => String.fromCharCode(65 + i));
    what = letters.length === 1 ? fill("work.rates_response", { letter: letters[0] }) : fill("work.rates_together", { letters: letters.join(", ") });
  } else what = fill("work.rates_field", { field: control.source });
  return h("p", { class: "rates muted" }, `${ctx.t("work.rates")}: `, h("strong", { class: "rated" }, what));
}

export function rating(control, data, ctx) {
  const [lo, hi] = control.scale || [1, 5];
  const aspects = control.aspects || null;
  let value = aspects ? {} : null;
  let cursor = 0; // the aspect that number keys rate next
  const rows = (aspects || [null]).map((aspect) =>
    scaleRow(control, aspect, (v) => {
      if (aspect) { value[aspect] = v; cursor = Math.min(aspects.length - 1, aspects.indexOf(aspect) + 1); }
      else value = v;
      ctx.changed(); mark();
    }));
  const el = h("div", { class: "rating" }, ratedLine(control, data, ctx), rows.map((r) => r.row));
  const mark = () => rows.forEach((r, i) => r.row.classList.toggle("cursor", Boolean(aspects) && i === cursor));
  const sync = () => rows.forEach((r, i) => r.sync(aspects ? value[aspects[i]] : value));
  mark();
  return {
    el,
    get: () => (aspects ? (Object.keys(value).length ? { ...value } : null) : value),
    set: (v) => {
      value = aspects ? { ...(v || {}) } : (v ?? null);
      cursor = aspects ? Math.max(0, aspects.findIndex((a) => value[a] === undefined)) : 0;
      sync(); mark();
    },
    key(e) {
      if (aspects && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
        cursor = (cursor + (e.key === "ArrowDown" ? 1 : aspects.length - 1)) % aspects.length;
        mark(); return true;
      }
      const n = Number(e.key);
      if (!(n >= lo && n <= hi && n >= 1)) return false;
      if (aspects) {
        value[aspects[cursor]] = n;
        cursor = Math.min(aspects.length - 1, cursor + 1);
      } else value = n;
      sync(); mark(); ctx.changed(); return true;
    },
  };
}

export function text(control, data, ctx) {
  const id = nextUid();
  const area = h("textarea", { id, rows: 4, maxlength: control.max_length || undefined, "aria-label": control.name });
  area.addEventListener("change", () => ctx.changed());
  return {
    el: h("div", { class: "free-text" }, area),
    get: () => (area.value.trim() ? area.value : null),
    set: (v) => { area.value = v || ""; },
    key: () => false,
    focus: () => area.focus(),
  };
}

// DOM helpers. Text always goes in through textContent, never as markup, so
// item data (which may contain <script> or onerror=) stays inert.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function boot() {
  const el = document.getElementById("boot");
  return el ? JSON.parse(el.textContent) : {};
}

export const COLOURS = ["#3b6fd8", "#e0803a", "#3aa66b", "#c94f7c", "#8a63d2", "#2aa5b8", "#b59a2c", "#d64541", "#5d6d7e"];

export function colourOf(labels, name) {
  const i = labels.findIndex((l) => l.name === name);
  const declared = i >= 0 ? labels[i].color : null;
  return declared || COLOURS[(i < 0 ? 0 : i) % COLOURS.length];
}

// The palette's chips: one per label, with its key (1-9) and colour, that
// calls pick(name) when clicked.
export function labelChips(labels, pick) {
  return labels.map((l, i) => {
    const b = h("button", { type: "button", class: "chip", "aria-pressed": "false", dataset: { label: l.name }, onclick: () => pick(l.name) },
      h("kbd", {}, i < 9 ? String(i + 1) : ""), " ", l.name);
    b.style.borderColor = colourOf(labels, l.name);
    return b;
  });
}

// Labels of a region control as [{name, color}], from strings or mappings.
export function labelList(control) {
  return (control.labels || []).map((l) => (typeof l === "string" ? { name: l } : l));
}

let counter = 0;
export function newId(prefix) {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

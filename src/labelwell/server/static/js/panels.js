// The ontology's controls as editing panels, one tool per control: shared by
// the annotator's workspace and the expert's escalation inbox, so an
// adjudicated label is made with exactly the tools annotators use.
import { h } from "./dom.js";
import { choice, multiChoice, rating, text } from "./tools/classify.js";
import { imageTool } from "./tools/image.js";
import { correction, letterBadge, pairwise, ranking } from "./tools/rlhf.js";
import { relations, spans } from "./tools/spans.js";

// The media tools load on first use: their libraries (three.js, wavesurfer.js)
// are large, and a text project never needs them.
// A module exports one factory per control type: (control, data, ctx) -> tool.
const MEDIA_TOOLS = {
  mask: "./tools/mask.js", panoptic: "./tools/mask.js",
  time_region: "./tools/audio.js", video_track: "./tools/video.js", cuboid: "./tools/pointcloud.js",
};

// A tool that stands in until its module has loaded: values set before then are
// handed over, and it reports them back unchanged meanwhile.
function lazyTool(path, type) {
  return (control, data, ctx) => {
    const el = h("div", { class: "tool-loading muted", dataset: { loading: type } }, ctx.t("work.tool_loading"));
    let tool = null;
    let pending = null;
    const ready = import(path).then((module) => {
      tool = module[type](control, data, ctx);
      if (pending !== null) tool.set(pending);
      el.replaceWith(tool.el);
      tool.refresh?.();
      return tool;
    }).catch((error) => {
      el.textContent = `${ctx.t("work.tool_failed")}: ${error.message}`;
    });
    return {
      el, ready,
      get: () => (tool ? tool.get() : pending),
      set(value) { if (tool) tool.set(value); else pending = value; },
      key: (e) => Boolean(tool?.key(e)),
      refresh() { tool?.refresh?.(); },
      settle() { tool?.settle?.(); },
      get focus() { return tool?.focus ? () => tool.focus() : undefined; },
    };
  };
}

export const TOOLS = {
  choice, multi_choice: multiChoice, rating, text, spans, relations,
  bbox: imageTool("bbox"), polygon: imageTool("polygon"), keypoints: imageTool("keypoints"),
  pairwise, ranking, correction,
  ...Object.fromEntries(Object.entries(MEDIA_TOOLS).map(([type, path]) => [type, lazyTool(path, type)])),
};
// Controls whose tool shows its own source (the others get it shown once above).
const SHOWS_SOURCE = new Set(["spans", "bbox", "polygon", "keypoints", "mask", "panoptic", "time_region", "cuboid", "video_track", "pairwise", "ranking", "correction"]);
export const MEDIA_KEYS = ["audio", "file", "image", "url", "video"];

// The URL of an item's media file for a data field (by index, never by path).
export function mediaUrl(itemId, data, media, source) {
  const ref = data[source];
  let index = media.length ? media.indexOf(ref) : MEDIA_KEYS.filter((k) => typeof data[k] === "string").indexOf(source);
  if (index < 0) index = 0;
  return `/media/items/${itemId}/${index}`;
}

// The item's fields that no tool shows itself: text, an image, responses.
// urlOf(source): where a media field's file is (the builder's preview shows a sample).
export function contextBlock(controls, itemId, data, media, t, urlOf = (source) => mediaUrl(itemId, data, media, source)) {
  const consumed = new Set(controls.filter((c) => SHOWS_SOURCE.has(c.type)).map((c) => c.source));
  const sources = [...new Set(controls.map((c) => c.source).filter((x) => x && !consumed.has(x)))];
  return sources.map((source) => {
    const value = data[source];
    if (typeof value === "string" && MEDIA_KEYS.includes(source)) return h("img", { class: "item-image", src: urlOf(source), alt: source });
    if (typeof value === "string") return h("div", { class: "item-text", dataset: { source } }, value);
    if (Array.isArray(value) && value.every((r) => r && typeof r.text === "string")) {
      return h("div", { class: "responses" }, data.prompt ? h("div", { class: "prompt item-text" }, String(data.prompt)) : null,
        value.map((r, i) => h("div", { class: "response card" }, h("h3", {}, letterBadge(String.fromCharCode(65 + i)), `${t("work.response")} ${String.fromCharCode(65 + i)}`), h("div", { class: "item-text" }, r.text))));
    }
    return h("pre", { class: "item-json" }, JSON.stringify(value, null, 2));
  });
}

// One fieldset per control with its tool, the active panel (number keys go to
// it), Tab between panels, and an undo history of the whole state.
export class Panels {
  constructor(controls, itemId, data, media, { t, onChange = () => {}, urlOf = (source) => mediaUrl(itemId, data, media, source) }) {
    this.controls = controls;
    this.onChange = onChange;
    this.active = 0;
    this.history = [];
    this.panels = [];
    this.tools = []; // filled in order: a tool may look up an earlier one (relations -> spans)
    controls.forEach((control, i) => {
      const factory = TOOLS[control.type];
      const ctx = {
        t, changed: () => this.changed(), mediaUrl: urlOf,
        activate: () => this.setActive(i),
        tool: (name) => this.tools[controls.findIndex((c) => c.name === name)],
      };
      const tool = factory ? factory(control, data, ctx)
        : { el: h("p", { class: "muted" }, t("work.not_editable").replace("{type}", control.type)), get: () => null, set() {}, key: () => false };
      const panel = h("fieldset", { class: "control", tabindex: "-1", dataset: { control: control.name, type: control.type } },
        h("legend", {}, control.name, control.required ? " *" : "", h("span", { class: "muted" }, ` · ${control.type}`)),
        control.description ? h("p", { class: "muted" }, control.description) : null, tool.el);
      panel.addEventListener("pointerdown", () => this.setActive(i));
      panel.addEventListener("focusin", () => this.setActive(i));
      this.panels.push(panel);
      this.tools.push(tool);
    });
  }

  // After the panels are in the document: mark the first active, start the history.
  start() {
    this.history = [this.snapshot()];
    this.setActive(0);
  }

  snapshot() { return JSON.stringify(this.tools.map((tool) => tool.get())); }

  // The result: each control's value, controls left empty omitted.
  collect() {
    const result = {};
    this.tools.forEach((tool, i) => {
      const value = tool.get();
      if (value !== null && value !== undefined) result[this.controls[i].name] = value;
    });
    return result;
  }

  // Put a (partial) result into the tools; returns how many controls took a value.
  fill(result) {
    let taken = 0;
    this.tools.forEach((tool, i) => {
      const value = result?.[this.controls[i].name];
      tool.set(value === undefined ? null : value);
      if (value !== undefined && value !== null) taken += 1;
    });
    this.tools.forEach((tool) => tool.refresh?.());
    return taken;
  }

  changed() {
    const snap = this.snapshot();
    if (this.history[this.history.length - 1] !== snap) this.history.push(snap);
    this.tools.forEach((tool) => tool.refresh?.());
    this.onChange(snap);
  }

  undo() {
    this.tools.forEach((tool) => tool.settle?.()); // a change still being encoded is a step
    if (this.history.length < 2) return;
    this.history.pop();
    const values = JSON.parse(this.history[this.history.length - 1]);
    this.tools.forEach((tool, i) => tool.set(values[i]));
    this.tools.forEach((tool) => tool.refresh?.());
    this.onChange(this.history[this.history.length - 1]);
  }

  setActive(i) {
    if (!this.tools.length) return;
    this.active = (i + this.tools.length) % this.tools.length;
    this.panels.forEach((el, k) => el.classList.toggle("active", k === this.active));
  }

  // Tab / Shift+Tab between panels, then the active tool's own keys.
  key(e) {
    if (e.key === "Tab" && this.tools.length > 1 && !e.target.closest?.("button, input, a")) {
      this.setActive(this.active + (e.shiftKey ? -1 : 1));
      const tool = this.tools[this.active];
      if (tool.focus) tool.focus(); // text boxes take the typing at once
      else this.panels[this.active]?.focus();
      return true;
    }
    return Boolean(this.tools[this.active]?.key(e));
  }
}

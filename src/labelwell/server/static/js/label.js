// The annotator's workspace: next task without reload, one tool per control,
// keyboard first, undo, time spent measured while the page is visible.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { choice, multiChoice, rating, text } from "./tools/classify.js";
import { imageTool } from "./tools/image.js";
import { correction, pairwise, ranking } from "./tools/rlhf.js";
import { relations, spans } from "./tools/spans.js";

const TOOLS = {
  choice, multi_choice: multiChoice, rating, text, spans, relations,
  bbox: imageTool("bbox"), polygon: imageTool("polygon"), keypoints: imageTool("keypoints"),
  pairwise, ranking, correction,
};
// Controls whose tool shows its own source (the others get it shown once above).
const SHOWS_SOURCE = new Set(["spans", "bbox", "polygon", "keypoints", "pairwise", "ranking", "correction"]);
const MEDIA_KEYS = ["audio", "file", "image", "url", "video"];

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const controls = B.project.ontology.controls;
const $ = (id) => document.getElementById(id);
const state = { task: null, tools: [], active: 0, history: [], shownAt: 0, visibleMs: 0, busy: false, submitAt: null };
window.lw = { state, timings: [] };

$("guideline-version").textContent = B.guideline.version ? `${t("work.version")} ${B.guideline.version}` : "";
$("guideline-text").textContent = B.guideline.text || "";

function status(message, kind = "") {
  const el = $("status");
  el.textContent = message;
  el.className = `status ${kind}`;
}

function mediaUrl(task, source) {
  const ref = task.data[source];
  let index = task.media.length ? task.media.indexOf(ref) : MEDIA_KEYS.filter((k) => typeof task.data[k] === "string").indexOf(source);
  if (index < 0) index = 0;
  return `/media/items/${task.item_id}/${index}`;
}

function contextBlock(task) {
  const consumed = new Set(controls.filter((c) => SHOWS_SOURCE.has(c.type)).map((c) => c.source));
  const sources = [...new Set(controls.map((c) => c.source).filter((x) => x && !consumed.has(x)))];
  return sources.map((source) => {
    const value = task.data[source];
    if (typeof value === "string" && MEDIA_KEYS.includes(source)) return h("img", { class: "item-image", src: mediaUrl(task, source), alt: source });
    if (typeof value === "string") return h("div", { class: "item-text", dataset: { source } }, value);
    if (Array.isArray(value) && value.every((r) => r && typeof r.text === "string")) {
      return h("div", { class: "responses" }, task.data.prompt ? h("div", { class: "prompt item-text" }, String(task.data.prompt)) : null,
        value.map((r, i) => h("div", { class: "response card" }, h("h3", {}, `${t("work.response")} ${String.fromCharCode(65 + i)}`), h("div", { class: "item-text" }, r.text))));
    }
    return h("pre", { class: "item-json" }, JSON.stringify(value, null, 2));
  });
}

const snapshot = () => JSON.stringify(state.tools.map((tool) => tool.get()));

function changed() {
  const snap = snapshot();
  if (state.history[state.history.length - 1] !== snap) state.history.push(snap);
  state.tools.forEach((tool) => tool.refresh?.());
}

function undo() {
  if (state.history.length < 2) return;
  state.history.pop();
  const values = JSON.parse(state.history[state.history.length - 1]);
  state.tools.forEach((tool, i) => tool.set(values[i]));
  state.tools.forEach((tool) => tool.refresh?.());
}

function setActive(i) {
  state.active = (i + state.tools.length) % state.tools.length;
  document.querySelectorAll(".control").forEach((el, k) => el.classList.toggle("active", k === state.active));
}

function render(task) {
  state.task = task;
  const panels = [];
  state.tools = controls.map((control, i) => {
    const factory = TOOLS[control.type];
    const ctx = {
      t, changed, mediaUrl: (source) => mediaUrl(task, source), activate: () => setActive(i),
      tool: (name) => state.tools[controls.findIndex((c) => c.name === name)],
    };
    const tool = factory ? factory(control, task.data, ctx)
      : { el: h("p", { class: "muted" }, `${control.type}: not editable in the browser yet`), get: () => null, set() {}, key: () => false };
    const panel = h("fieldset", { class: "control", tabindex: "-1", dataset: { control: control.name, type: control.type } },
      h("legend", {}, control.name, control.required ? " *" : "", h("span", { class: "muted" }, ` · ${control.type}`)),
      control.description ? h("p", { class: "muted" }, control.description) : null, tool.el);
    panel.addEventListener("pointerdown", () => setActive(i));
    panel.addEventListener("focusin", () => setActive(i));
    panels.push(panel);
    return tool;
  });
  const body = $("task");
  body.replaceChildren(...contextBlock(task), ...panels);
  body.dataset.assignment = String(task.assignment_id);
  body.dataset.item = String(task.item_id);
  const suggestion = task.suggestions?.[0];
  const box = $("suggestion");
  if (suggestion) {
    state.tools.forEach((tool, i) => { if (suggestion.result[controls[i].name] !== undefined) tool.set(suggestion.result[controls[i].name]); });
    box.replaceChildren(h("strong", {}, `⚙ ${t("work.suggestion")}: `),
      `${suggestion.model_name} ${suggestion.model_version}${suggestion.score != null ? ` (${Number(suggestion.score).toFixed(2)})` : ""} `,
      h("button", { type: "button", class: "small", id: "reject-suggestion", onclick: () => { state.tools.forEach((tool) => tool.set(null)); changed(); box.hidden = true; } }, t("work.reject_suggestion")));
    box.hidden = false;
  } else box.hidden = true;
  state.history = [snapshot()];
  setActive(0);
  state.shownAt = performance.now();
  state.visibleMs = 0;
  if (state.submitAt !== null) {
    window.lw.timings.push(performance.now() - state.submitAt);
    state.submitAt = null;
  }
  status("");
  document.body.dataset.ready = String(task.assignment_id);
}

function spentMs() {
  return Math.round(state.visibleMs + (document.hidden ? 0 : performance.now() - state.shownAt));
}
document.addEventListener("visibilitychange", () => {
  if (document.hidden) state.visibleMs += performance.now() - state.shownAt;
  else state.shownAt = performance.now();
});

async function loadNext() {
  const task = await api("POST", `/projects/${B.project.id}/tasks/next`);
  if (!task) {
    state.task = null; state.tools = [];
    $("task").replaceChildren(h("p", { class: "done", id: "all-done" }, t("work.done")));
    $("suggestion").hidden = true;
    document.body.dataset.ready = "done";
    return;
  }
  render(task);
}

function collect() {
  const result = {};
  state.tools.forEach((tool, i) => {
    const value = tool.get();
    if (value !== null && value !== undefined) result[controls[i].name] = value;
  });
  return result;
}

async function submit() {
  if (!state.task || state.busy) return;
  state.busy = true;
  const task = state.task;
  try {
    state.submitAt = performance.now();
    await api("POST", `/assignments/${task.assignment_id}/submit`, {
      result: collect(), time_spent_ms: spentMs(), idempotency_key: `web-${task.assignment_id}`,
    });
    document.body.dataset.ready = "";
    await loadNext();
  } catch (err) {
    state.submitAt = null;
    status(`${t("work.error")}: ${err.message}`, "error");
  } finally {
    state.busy = false;
  }
}

function openSkip() {
  if (!state.task) return;
  $("skip-reason").value = "";
  $("skip-dialog").showModal();
  $("skip-reason").focus();
}
$("skip-cancel").addEventListener("click", () => $("skip-dialog").close());
$("skip-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const reason = $("skip-reason").value.trim();
  if (!reason) return;
  $("skip-dialog").close();
  try {
    await api("POST", `/assignments/${state.task.assignment_id}/skip`, { reason });
    document.body.dataset.ready = "";
    await loadNext();
  } catch (err) { status(`${t("work.error")}: ${err.message}`, "error"); }
});
$("btn-submit").addEventListener("click", submit);
$("btn-skip").addEventListener("click", openSkip);
$("btn-undo").addEventListener("click", undo);
$("btn-help").addEventListener("click", () => $("help-dialog").showModal());

document.addEventListener("keydown", (e) => {
  if (document.querySelector("dialog[open]")) return;
  const typing = e.target.closest?.("textarea, input[type=text], input:not([type]), select");
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); submit(); return; }
  if (typing) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  let tool = state.tools[state.active];
  if (e.key === "Tab" && state.tools.length > 1 && !e.target.closest?.("button, input, a")) {
    e.preventDefault();
    setActive(state.active + (e.shiftKey ? -1 : 1));
    const tool = state.tools[state.active];
    if (tool.focus) tool.focus(); // text boxes take the typing at once
    else document.querySelectorAll(".control")[state.active]?.focus();
    return;
  }
  if (tool?.key(e)) { e.preventDefault(); return; }
  if (e.key === "Enter" && !e.target.closest?.("button, a")) { e.preventDefault(); submit(); return; }
  if (e.key === "s" || e.key === "S") { e.preventDefault(); openSkip(); return; }
  if (e.key === "?") { e.preventDefault(); $("help-dialog").showModal(); }
});

loadNext().catch((err) => status(`${t("work.error")}: ${err.message}`, "error"));

// The annotator's workspace: next task without reload, one tool per control,
// keyboard first, undo, time spent measured while the page is visible.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { Panels, contextBlock } from "./panels.js";
import { resultView } from "./render.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const controls = B.project.ontology.controls;
const $ = (id) => document.getElementById(id);
const state = {
  task: null, panels: null, tools: [], shownAt: 0, visibleMs: 0, busy: false, submitAt: null,
  suggestion: null, // {id, prefill (the tools' state as the suggestion left it), taken, dismissed}
};
window.lw = { state, timings: [] };

$("guideline-version").textContent = B.guideline.version ? `${t("work.version")} ${B.guideline.version}` : "";
$("guideline-text").textContent = B.guideline.text || "";

function status(message, kind = "") {
  const el = $("status");
  el.textContent = message;
  el.className = `status ${kind}`;
}

function undo() {
  state.panels?.undo();
}

// A machine suggestion pre-fills the tools. Its outcome, sent with the submit:
// taken unchanged -> accepted; taken, then changed -> edited; dismissed (or
// nothing of it could be taken) -> rejected.
function suggestionOutcome(s, snap) {
  if (s.dismissed || !s.taken) return "rejected";
  return snap === s.prefill ? "accepted" : "edited";
}

function showSuggestion(suggestion) {
  const box = $("suggestion");
  box.replaceChildren(h("strong", {}, `⚙ ${t("work.suggestion")}: `),
    `${suggestion.model_name} ${suggestion.model_version}${suggestion.score != null ? ` (${Number(suggestion.score).toFixed(2)})` : ""} `,
    h("button", { type: "button", class: "small", id: "reject-suggestion", onclick: () => {
      state.suggestion.dismissed = true;
      state.panels.fill(null);
      state.panels.changed();
      // The button is about to disappear: keep the keyboard on the task.
      state.panels.panels[state.panels.active]?.focus();
      box.hidden = true;
    } }, t("work.reject_suggestion")));
  box.hidden = false;
}

function onChange(snap) {
  // Undoing a dismissal back to the suggestion takes it again.
  const s = state.suggestion;
  if (s?.dismissed && snap === s.prefill) { s.dismissed = false; $("suggestion").hidden = false; }
}

function render(task) {
  state.task = task;
  const panels = new Panels(controls, task.item_id, task.data, task.media, { t, onChange });
  state.panels = panels;
  state.tools = panels.tools;
  const body = $("task");
  body.replaceChildren(...contextBlock(controls, task.item_id, task.data, task.media, t), ...panels.panels);
  body.dataset.assignment = String(task.assignment_id);
  body.dataset.item = String(task.item_id);
  const suggestion = task.suggestions?.[0];
  state.suggestion = null;
  if (suggestion) {
    const taken = panels.fill(suggestion.result);
    state.suggestion = { id: suggestion.id, prefill: panels.snapshot(), taken, dismissed: false };
    showSuggestion(suggestion);
  } else $("suggestion").hidden = true;
  panels.start();
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
    state.task = null; state.tools = []; state.panels = null;
    $("task").replaceChildren(h("p", { class: "done", id: "all-done" }, t("work.done")));
    $("suggestion").hidden = true;
    document.body.dataset.ready = "done";
    return;
  }
  render(task);
}

// After a gold item, when the project shows feedback: right or wrong, the
// expected answer beside the annotator's, until dismissed (Enter or the button).
function showFeedback(feedback, task, given) {
  const dialog = $("feedback-dialog");
  dialog.classList.toggle("correct", Boolean(feedback.correct));
  dialog.classList.toggle("wrong", !feedback.correct);
  $("feedback-title").textContent = feedback.correct ? `✓ ${t("work.feedback_correct")}` : `✗ ${t("work.feedback_wrong")}`;
  $("feedback-message").textContent = feedback.message || "";
  $("feedback-expected").replaceChildren(resultView(controls, feedback.expected || {}, task.data));
  $("feedback-given").replaceChildren(resultView(controls, given, task.data));
  document.body.dataset.feedback = String(task.assignment_id);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => { delete document.body.dataset.feedback; resolve(); }, { once: true });
    dialog.showModal();
    $("feedback-continue").focus();
  });
}

async function submit() {
  if (!state.task || state.busy) return;
  state.busy = true;
  const task = state.task;
  try {
    state.submitAt = performance.now();
    const result = state.panels.collect();
    const body = { result, time_spent_ms: spentMs(), idempotency_key: `web-${task.assignment_id}` };
    if (state.suggestion) body.suggestion = { prediction_id: state.suggestion.id, outcome: suggestionOutcome(state.suggestion, state.panels.snapshot()) };
    const saved = await api("POST", `/assignments/${task.assignment_id}/submit`, body);
    document.body.dataset.ready = "";
    if (saved?.feedback) {
      state.submitAt = null; // reading the feedback is not the queue's latency
      await showFeedback(saved.feedback, task, result);
      state.submitAt = performance.now();
    }
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
  if (state.panels?.key(e)) { e.preventDefault(); return; }
  if (e.key === "Enter" && !e.target.closest?.("button, a")) { e.preventDefault(); submit(); return; }
  if (e.key === "s" || e.key === "S") { e.preventDefault(); openSkip(); return; }
  if (e.key === "?") { e.preventDefault(); $("help-dialog").showModal(); }
});

loadNext().catch((err) => status(`${t("work.error")}: ${err.message}`, "error"));

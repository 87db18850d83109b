// The annotator's workspace: next task without reload, one tool per control,
// keyboard first, undo, time spent measured while the page is visible.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { MEDIA_KEYS, Panels, contextBlock } from "./panels.js";
import { resultView } from "./render.js";
import { noticeGuidelines } from "./guidelines_notice.js";
import { heartbeat } from "./live.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const controls = B.project.ontology.controls;
heartbeat(B.project.id, "workspace"); // who is working now, for the project's managers
const $ = (id) => document.getElementById(id);
const state = {
  task: null, panels: null, tools: [], shownAt: 0, visibleMs: 0, busy: false, submitAt: null,
  suggestion: null, // {id, prefill (the tools' state as the suggestion left it), taken, dismissed}
  recent: [], // the annotator's latest submissions (GET /my/recent), newest first
  editing: null, // the submission reopened from the recent list, while it is shown
  parked: null, // the queue's task (its panels and nodes) while a submission is reopened
  progress: null, // GET /my/progress, as last read
};
const fmt = (key, vars) => Object.entries(vars).reduce((text, [k, v]) => text.replaceAll(`{${k}}`, String(v)), t(key));
window.lw = { state, timings: [] };

$("guideline-version").textContent = B.guideline.version ? `${t("work.version")} ${B.guideline.version}` : "";
// The guidelines' text is rendered on the server as sanitised Markdown.

function status(message, kind = "") {
  const el = $("status");
  el.textContent = message;
  el.className = `status ${kind}`;
}

// A brief, non-blocking confirmation, read out by screen readers (role=status).
let toastTimer = null;
function toast(message) {
  const el = $("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; el.textContent = ""; }, 2500);
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
  noticeGuidelines(task.guideline_version); // a task leased under newer guidelines says so
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
    $("task").replaceChildren(h("div", { class: "done", id: "all-done" },
      h("h2", {}, t("work.done_title")), h("p", {}, t("work.done"))));
    $("suggestion").hidden = true;
    syncButtons();
    showProgress();
    document.body.dataset.ready = "done";
    return;
  }
  render(task);
  syncButtons();
}

// Which toolbar buttons make sense now: none of Submit, Skip, Undo on the
// empty-queue screen; Go back while there is a submission to go back to.
function syncButtons() {
  const editing = Boolean(state.editing);
  const working = Boolean(state.task) && !editing;
  $("btn-submit").hidden = !working;
  $("btn-skip").hidden = !working;
  $("btn-undo").hidden = editing ? !state.editing.editable : !working;
  $("btn-back").hidden = !state.recent.length;
}

// "n done today / n left for you" and the list of latest submissions, asked
// for after each submit (off the submit -> next task path).
async function refreshSide() {
  const offset = -new Date().getTimezoneOffset();
  const [progress, recent, returned] = await Promise.all([
    api("GET", `/projects/${B.project.id}/my/progress?utc_offset_minutes=${offset}`),
    api("GET", `/projects/${B.project.id}/my/recent`),
    api("GET", `/projects/${B.project.id}/returned`),
  ]);
  showReturned(returned.data);
  state.progress = progress;
  showProgress();
  state.recent = recent.data;
  const list = $("recent-list");
  list.replaceChildren(...state.recent.map((sub, i) => h("li", {},
    h("button", { type: "button", class: `link${state.editing?.annotation_id === sub.annotation_id ? " current" : ""}`,
      title: fmt("work.recent_item", { id: sub.item_id }),
      dataset: { annotation: String(sub.annotation_id), item: String(sub.item_id) }, onclick: () => openSubmission(i) },
    h("span", { class: "recent-text" }, preview(sub)),
    h("span", { class: "muted" }, ` · ${summary(sub.result)}`),
    sub.revision > 1 ? h("span", { class: "muted" }, ` · ${t("work.recent_edited")}`) : null,
    sub.editable ? null : h("span", { class: "muted" }, ` · ${t("work.recent_locked")}`)))));
  $("recent-none").hidden = state.recent.length > 0;
  syncButtons();
}
// A line per submission: the start of the item's text (or its number), then the label.
function preview(sub) {
  const text = [sub.data.text, sub.data.prompt, ...Object.values(sub.data)].find((v) => typeof v === "string" && v.trim());
  if (!text || MEDIA_KEYS.some((key) => sub.data[key] === text)) return fmt("work.recent_item", { id: sub.item_id });
  const chars = Array.from(text.trim());
  return chars.length > 40 ? `${chars.slice(0, 40).join("")}…` : chars.join("");
}
const summary = (result) => Object.entries(result || {}).map(([name, v]) => (typeof v === "string" || typeof v === "number" ? String(v) : name)).join(", ") || "—";
const refresh = () => refreshSide().catch((err) => status(`${t("work.error")}: ${err.message}`, "error"));

// With the queue empty, only what was done today: what is "left" then may be
// items the queue holds back (it is an upper bound, see the API).
function showProgress() {
  const p = state.progress;
  if (!p) return;
  const working = state.editing ? Boolean(state.parked?.task) : Boolean(state.task);
  $("progress").textContent = working
    ? fmt("work.progress", { done: p.done_today, left: p.left_capped ? `${p.left}+` : p.left })
    : fmt("work.progress_done", { done: p.done_today });
}

// Returned to me: labels a reviewer rejected, with the reviewer's comment;
// each opens in the tools like a recent submission and is saved as a redo.
function showReturned(entries) {
  state.returned = entries;
  $("returned-list").replaceChildren(...entries.map((entry, i) => h("li", { class: "returned" },
    h("button", { type: "button", class: `link${state.editing?.annotation_id === entry.annotation_id ? " current" : ""}`,
      dataset: { annotation: String(entry.annotation_id), item: String(entry.item_id) }, onclick: () => openReturned(i) },
    h("span", { class: "recent-text" }, preview(entry)), h("span", { class: "muted" }, ` · ${summary(entry.result)}`)),
    h("q", { class: "returned-comment" }, entry.comment))));
  $("returned-none").hidden = entries.length > 0;
  $("returned-count").textContent = String(entries.length);
  $("returned-count").hidden = !entries.length;
}

function openReturned(i) {
  const entry = state.returned?.[i];
  if (entry) openSub({ ...entry, editable: true, returned: true }, -1);
}

// Go back: reopen one of the latest submissions in the same tools; the queue's
// task waits, untouched, until the annotator returns to it.
function openSubmission(index) {
  const sub = state.recent[index];
  if (sub) openSub(sub, index);
}

function openSub(sub, index) {
  if (state.busy) return;
  if (!state.editing) {
    state.parked = {
      task: state.task, panels: state.panels, tools: state.tools, suggestion: state.suggestion,
      nodes: [...$("task").childNodes], suggestionHidden: $("suggestion").hidden, spent: spentMs(),
    };
  }
  state.editing = { ...sub, index };
  const body = $("task");
  if (sub.editable) {
    const panels = new Panels(controls, sub.item_id, sub.data, sub.media, { t });
    body.replaceChildren(...contextBlock(controls, sub.item_id, sub.data, sub.media, t), ...panels.panels);
    panels.fill(sub.result);
    panels.start();
    state.panels = panels; state.tools = panels.tools;
  } else {
    body.replaceChildren(...contextBlock(controls, sub.item_id, sub.data, sub.media, t), resultView(controls, sub.result, sub.data, { id: sub.item_id, media: sub.media || [] }));
    state.panels = null; state.tools = [];
  }
  $("editing-text").replaceChildren(sub.returned ? fmt("rvw.redo", { id: sub.item_id }) : sub.editable ? fmt("work.editing", { id: sub.item_id }) : t("work.locked"),
    sub.returned ? h("q", { class: "returned-comment", id: "returned-comment" }, fmt("rvw.returned_by", { who: sub.reviewer, comment: sub.comment })) : "");
  $("btn-save-edit").hidden = !sub.editable;
  $("editing").hidden = false;
  $("suggestion").hidden = true;
  document.querySelectorAll("#recent-list button, #returned-list button").forEach((b) => b.classList.toggle("current", b.dataset.annotation === String(sub.annotation_id)));
  state.shownAt = performance.now(); state.visibleMs = 0;
  document.body.dataset.editing = String(sub.annotation_id);
  syncButtons();
  (sub.editable ? state.panels.panels[0] : $("btn-back-to-queue"))?.focus();
}

function backToQueue() {
  const parked = state.parked;
  if (!state.editing || !parked) return;
  state.editing = null; state.parked = null;
  Object.assign(state, { task: parked.task, panels: parked.panels, tools: parked.tools, suggestion: parked.suggestion });
  $("task").replaceChildren(...parked.nodes);
  $("suggestion").hidden = parked.suggestionHidden;
  state.visibleMs = parked.spent; state.shownAt = performance.now();
  $("editing").hidden = true;
  delete document.body.dataset.editing;
  document.querySelectorAll("#recent-list button.current, #returned-list button.current").forEach((b) => b.classList.remove("current"));
  syncButtons();
  state.panels?.panels[state.panels.active]?.focus();
}

async function saveEdit() {
  const sub = state.editing;
  if (!sub?.editable || state.busy) return;
  state.busy = true;
  try {
    const body = { result: state.panels.collect(), time_spent_ms: spentMs() };
    const saved = sub.returned
      ? await api("POST", `/annotations/${sub.annotation_id}/redo`, body)
      : await api("PATCH", `/annotations/${sub.annotation_id}`, body);
    backToQueue();
    toast(fmt(sub.returned ? "rvw.redone" : "work.edit_saved", { n: saved.revision }));
    await refreshSide();
  } catch (err) {
    status(`${t("work.edit_failed")}: ${err.message}`, "error");
  } finally {
    state.busy = false;
  }
}

// After a gold item, when the project shows feedback: right or wrong, the
// expected answer beside the annotator's, until dismissed (Enter or the button).
function showFeedback(feedback, task, given) {
  const dialog = $("feedback-dialog");
  dialog.classList.toggle("correct", Boolean(feedback.correct));
  dialog.classList.toggle("wrong", !feedback.correct);
  $("feedback-title").textContent = feedback.correct ? `✓ ${t("work.feedback_correct")}` : `✗ ${t("work.feedback_wrong")}`;
  $("feedback-message").textContent = feedback.message || "";
  $("feedback-expected").replaceChildren(resultView(controls, feedback.expected || {}, task.data, { id: task.item_id, media: task.media || [] }));
  $("feedback-given").replaceChildren(resultView(controls, given, task.data, { id: task.item_id, media: task.media || [] }));
  document.body.dataset.feedback = String(task.assignment_id);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => { delete document.body.dataset.feedback; resolve(); }, { once: true });
    dialog.showModal();
    $("feedback-continue").focus();
  });
}

async function submit() {
  if (state.editing) { saveEdit(); return; }
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
    toast(t("work.submitted"));
    await loadNext();
    refresh();
  } catch (err) {
    state.submitAt = null;
    status(`${t("work.error")}: ${err.message}`, "error");
  } finally {
    state.busy = false;
  }
}

function openSkip() {
  if (!state.task || state.editing) return;
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
    toast(t("work.skipped"));
    await loadNext();
    refresh();
  } catch (err) { status(`${t("work.error")}: ${err.message}`, "error"); }
});
$("btn-submit").addEventListener("click", submit);
$("btn-skip").addEventListener("click", openSkip);
$("btn-undo").addEventListener("click", undo);
$("btn-help").addEventListener("click", () => $("help-dialog").showModal());
$("btn-back").addEventListener("click", () => goBack());
$("btn-save-edit").addEventListener("click", saveEdit);
$("btn-back-to-queue").addEventListener("click", backToQueue);

// B: the latest submission, then each one before it.
function goBack() {
  openSubmission(state.editing ? state.editing.index + 1 : 0);
}

document.addEventListener("keydown", (e) => {
  if (document.querySelector("dialog[open]")) return;
  const typing = e.target.closest?.("textarea, input[type=text], input:not([type]), select");
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); submit(); return; }
  if (typing) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  if (state.panels?.key(e)) { e.preventDefault(); return; }
  if (e.key === "Escape" && state.editing) { e.preventDefault(); backToQueue(); return; }
  if (e.key === "b" || e.key === "B") { e.preventDefault(); goBack(); return; }
  if (e.key === "Enter" && !e.target.closest?.("button, a")) { e.preventDefault(); submit(); return; }
  if (e.key === "s" || e.key === "S") { e.preventDefault(); openSkip(); return; }
  if (e.key === "?") { e.preventDefault(); $("help-dialog").showModal(); }
});

// On opening, the side panel's requests wait (a second at most) until the task's
// tools are built (a media tool's module loaded, its first request sent) and a
// tool that says when it has its data (the waveform's peaks) has it, so that
// the server answers what the annotator looks at first.
const toolsLoaded = () => Promise.race([
  Promise.all((state.panels?.tools || []).map((tool) => Promise.resolve(tool.ready).then((made) => made?.ready))),
  new Promise((resolve) => { setTimeout(resolve, 1000); }),
]);
loadNext().then(toolsLoaded).then(refresh).catch((err) => status(`${t("work.error")}: ${err.message}`, "error"));

// The reviewer's page: a review queue opened item by item in the annotator's own
// tools. An answer shown in the tools is accepted, rejected with a comment that
// goes back to its annotator, or edited and saved as the reviewer's fix (a new
// revision that names the one it replaces). Items in consensus review are
// settled with the label in the tools. Settled items leave the list.
import { api, ApiError } from "./api.js";
import { boot, h } from "./dom.js";
import { showComments, showHistory } from "./item_view.js";
import { Panels, contextBlock } from "./panels.js";
import { heartbeat } from "./live.js";
import { externalId, fetchQueuePage, queueItems } from "./review_queue.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const pid = B.project.id;
heartbeat(pid, "review"); // who is working now, for the project's managers
const controls = B.project.ontology.controls;
const $ = (id) => document.getElementById(id);
const PAGE = B.limit || 100;
const state = { queue: [], index: 0, cursor: null, exhausted: false, panels: null, answer: null, baseline: null, busy: false };
window.lw = { state };

const pending = (entry) => entry.annotations.filter((a) => a.source === "human" && a.status === "submitted");
// What the reviewer decides on: answers awaiting review in the "submitted" list;
// in consensus review every human answer and the majority label, to start from.
const answersOf = (entry) => (B.state === "submitted" ? pending(entry) : entry.annotations);
const actionable = (entry) => (B.state === "submitted" ? pending(entry).length > 0 : B.state === "review");

async function fetchMore() {
  if (state.exhausted) return;
  do {
    await fetchQueuePage(pid, B.state, PAGE, state);
  } while (!state.queue.length && !state.exhausted); // a page of the submitted list may be empty
}

function say(message, kind = "") {
  const el = $("review-status");
  if (!el) return;
  el.textContent = message;
  el.className = `status ${kind}`;
}

function renderList() {
  $("review-count").textContent = `${state.queue.length}${state.exhausted ? "" : "+"}`;
  $("review-more").hidden = state.exhausted;
  $("review-items").replaceChildren(...queueItems(t, state, show, (entry) => (entry.disagree ? h("span", { class: "badge small" }, "≠") : null)));
  $("review-items").dataset.count = String(state.queue.length);
}

function statusText(a) {
  if (a.source !== "human") return a.agent;
  return t(`rvw.${a.status}`) || a.status;
}

// Put one answer into the tools; an edit from there on is the reviewer's fix.
function showAnswer(a) {
  if (!state.panels || !a) return;
  state.answer = a;
  state.panels.fill(a.result);
  state.panels.start();
  state.baseline = state.panels.snapshot();
  document.querySelectorAll(".answer-tab").forEach((b) => {
    const on = b.dataset.annotation === String(a.id);
    b.classList.toggle("current", on);
    b.setAttribute("aria-pressed", on ? "true" : "false");
  });
  $("review-shown").textContent = `${t("rvw.shown")}: ${a.agent}`;
  edited();
  document.body.dataset.answer = String(a.id);
}

function edited() {
  const changed = state.panels && state.baseline !== null && state.panels.snapshot() !== state.baseline;
  const open = state.answer && state.answer.source === "human" && state.answer.status === "submitted";
  $("review-edited").hidden = !changed;
  if ($("review-fix")) $("review-fix").disabled = !changed || !open;
  if ($("review-accept")) $("review-accept").disabled = changed || !open;
  if ($("review-reject")) $("review-reject").disabled = changed || !open;
}

function answerTab(a, n) {
  return h("button", { type: "button", class: `answer-tab ${a.status}${a.source !== "human" ? " consensus" : ""}`,
    dataset: { annotation: String(a.id) }, "aria-pressed": "false", onclick: () => showAnswer(a) },
  h("kbd", {}, `Alt+${n}`), " ", h("strong", {}, a.agent), " ",
  h("span", { class: `decision muted` }, statusText(a)),
  a.time_spent_ms != null ? h("span", { class: "muted" }, ` · ${(a.time_spent_ms / 1000).toFixed(1)} s`) : null);
}

function show(i) {
  state.index = Math.max(0, Math.min(i, state.queue.length - 1));
  renderList();
  const root = $("review-item");
  const entry = state.queue[state.index];
  if (!entry) {
    state.panels = null; state.answer = null;
    root.replaceChildren(h("p", { class: "done", id: "review-empty" }, t("rvw.none")));
    document.body.dataset.ready = "done";
    return;
  }
  const panels = new Panels(controls, entry.id, entry.data, entry.media || [], { t, onChange: edited });
  state.panels = panels; state.answer = null; state.baseline = null;
  const answers = answersOf(entry);
  const comment = h("textarea", { id: "review-comment", rows: 2, maxlength: 20000, placeholder: t("rvw.comment_needed"), "aria-label": t("rvw.comment") });
  const decide = [];
  if (B.state === "submitted") {
    decide.push(
      h("button", { type: "button", class: "danger", id: "review-reject", onclick: () => decideOn("reject") }, t("rvw.reject")),
      h("button", { type: "button", id: "review-fix", onclick: () => decideOn("fix") }, t("rvw.fix")),
      h("button", { type: "button", class: "primary", id: "review-accept", title: "Ctrl+Enter", onclick: () => decideOn("accept") }, `${t("rvw.accept")} (Ctrl+⏎)`));
  } else if (B.state === "review") {
    decide.push(h("button", { type: "button", class: "primary", id: "review-settle", title: "Ctrl+Enter", onclick: settle }, `${t("rvw.settle")} (Ctrl+⏎)`));
  }
  const history = h("section", { class: "card item-history", id: "review-history" });
  const comments = h("section", { class: "card item-comments", id: "review-comments" });
  root.replaceChildren(
    h("section", { class: "card review-item", dataset: { item: String(entry.id) } },
      h("h2", {}, `${t("review.item")} ${entry.id}`, externalId(entry),
        entry.disagree ? h("span", { class: "badge" }, t("review.disagree")) : null,
        " ", h("a", { class: "small", href: `/items/${entry.id}`, id: "review-open-item" }, t("rvw.open_item"))),
      h("div", { class: "answer-tabs", role: "group", "aria-label": t("rvw.answers") }, answers.map((a, k) => answerTab(a, k + 1))),
      h("p", { class: "muted" }, h("span", { id: "review-shown" }), " ", h("span", { id: "review-edited", class: "badge warn", hidden: true }, t("rvw.edited"))),
      ...contextBlock(controls, entry.id, entry.data, entry.media || [], t),
      h("div", { class: "task-body", id: "review-panels" }, panels.panels),
      actionable(entry) ? h("label", { for: "review-comment" }, t("rvw.comment")) : null,
      actionable(entry) ? comment : null,
      h("div", { class: "actions" }, h("span", { id: "review-status", class: "status", role: "status" }), h("span", { class: "spacer" }), ...decide)),
    history, comments);
  const first = answers.find((a) => a.source !== "human" && B.state === "review") || answers[0];
  if (first) showAnswer(first); else { panels.start(); edited(); }
  if (!actionable(entry)) panels.panels.forEach((p) => { p.inert = true; });
  document.body.dataset.ready = String(entry.id);
  showHistory(history, entry.id, controls, entry.data, t).catch((err) => history.append(h("p", { class: "status error" }, err.message)));
  showComments(comments, entry.id, t).catch((err) => comments.append(h("p", { class: "status error" }, err.message)));
}

// Take a settled item out of the list and show the one that took its place.
async function drop(entry) {
  state.queue = state.queue.filter((e) => e.id !== entry.id);
  if (state.queue.length <= state.index && !state.exhausted) await fetchMore();
  show(Math.min(state.index, state.queue.length - 1));
}

async function decideOn(decision) {
  const entry = state.queue[state.index];
  const a = state.answer;
  if (!entry || !a || state.busy || a.status !== "submitted") return;
  const comment = $("review-comment").value;
  if (decision === "reject" && !comment.trim()) { say(t("rvw.comment_needed"), "error"); $("review-comment").focus(); return; }
  const body = { decision, comment };
  if (decision === "fix") body.result = state.panels.collect();
  state.busy = true;
  try {
    await api("POST", `/annotations/${a.id}/reviews`, body);
    a.status = decision === "accept" ? "accepted" : "rejected";
    if (!pending(entry).length) { await drop(entry); say(t("rvw.settled"), "ok"); return; }
    show(state.index); // the next answer of this item
    say(t(`rvw.${a.status}`), "ok");
  } catch (err) {
    say(`${t("work.error")}: ${err.message}`, "error");
  } finally {
    state.busy = false;
  }
}

async function settle() {
  const entry = state.queue[state.index];
  if (!entry || !state.panels || state.busy) return;
  state.busy = true;
  try {
    await api("POST", `/items/${entry.id}/adjudicate`, { result: state.panels.collect(), note: $("review-comment").value });
    await drop(entry);
    say(t("rvw.settled"), "ok");
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) await drop(entry);
    say(`${t("work.error")}: ${err.message}`, "error");
  } finally {
    state.busy = false;
  }
}

$("review-state").addEventListener("change", () => $("review-filters").submit());
$("review-more").addEventListener("click", async () => {
  $("review-more").disabled = true;
  try { await fetchMore(); renderList(); } finally { $("review-more").disabled = false; }
});

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
    e.preventDefault();
    if (B.state === "review") settle(); else if (!$("review-accept")?.disabled) decideOn("accept");
    return;
  }
  if (e.target.closest?.("textarea, input[type=text], input:not([type]), select")) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); state.panels?.undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  const entry = state.queue[state.index];
  if (e.altKey && /^Digit[1-9]$/.test(e.code) && entry) {
    const a = answersOf(entry)[Number(e.code.slice(5)) - 1];
    if (a) { e.preventDefault(); showAnswer(a); }
    return;
  }
  if (state.panels?.key(e)) { e.preventDefault(); return; }
  if (e.key === "]") { e.preventDefault(); show(state.index + 1); return; }
  if (e.key === "[") { e.preventDefault(); show(state.index - 1); }
});

// The first page comes with the page (a page of GET /review-queue); the
// script asks the API for the next ones.
state.queue = [...B.queue.data];
state.cursor = B.queue.next_cursor;
state.exhausted = !B.queue.next_cursor;
(state.queue.length ? Promise.resolve() : fetchMore()).then(() => show(0)).catch((err) => {
  $("review-item").replaceChildren(h("p", { class: "status error", role: "alert" }, `${t("work.error")}: ${err.message}`));
});

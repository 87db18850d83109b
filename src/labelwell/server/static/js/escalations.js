// The expert's escalation inbox: items whose annotators could not agree, their
// annotations side by side (read-only), and the adjudicated label made with the
// workspace's own tools, resolved with a note. The next item follows at once.
import { api, ApiError } from "./api.js";
import { boot, h } from "./dom.js";
import { Panels, contextBlock } from "./panels.js";
import { resultView } from "./render.js";
import { externalId, fetchQueuePage, queueItems } from "./review_queue.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const pid = B.project.id;
const controls = B.project.ontology.controls;
const $ = (id) => document.getElementById(id);
const PAGE = 50;
const state = { queue: [], index: 0, cursor: null, exhausted: false, panels: null, shown: null, busy: false, note: null, status: null };
const drafts = new Map(); // item id -> {values, note}: work kept while moving between items
window.lw = { state };

async function fetchMore() {
  if (state.exhausted) return;
  await fetchQueuePage(pid, "escalated", PAGE, state);
}

function say(message, kind = "") {
  if (!state.status) return;
  state.status.textContent = message;
  state.status.className = `status ${kind}`;
}

function renderList() {
  $("esc-count").textContent = `${state.queue.length}${state.exhausted ? "" : "+"}`;
  $("esc-items").replaceChildren(...queueItems(t, state, show, externalId));
}

function annotationCard(entry, a, n) {
  return h("div", { class: `annotation card ${a.status}`, dataset: { annotation: String(a.id) } },
    h("div", {}, h("kbd", {}, `Alt+${n}`), " ", h("strong", {}, a.agent),
      a.source !== "human" ? h("span", { class: "badge" }, a.source) : null,
      a.time_spent_ms != null ? h("span", { class: "muted" }, ` · ${(a.time_spent_ms / 1000).toFixed(1)} s`) : null),
    resultView(controls, a.result, entry.data, { id: entry.id, media: entry.media || [] }),
    h("button", { type: "button", class: "small start-from", onclick: () => startFrom(a) }, t("esc.start_from")));
}

function startFrom(a) {
  if (!state.panels) return;
  state.panels.fill(a.result);
  state.panels.changed();
  state.panels.panels[state.panels.active]?.focus();
}

function show(i) {
  if (state.panels && state.shown !== null) {
    drafts.set(state.shown, { values: state.panels.tools.map((tool) => tool.get()), note: state.note.value });
  }
  state.index = Math.max(0, Math.min(i, state.queue.length - 1));
  renderList();
  const root = $("esc-item");
  const entry = state.queue[state.index];
  if (!entry) {
    state.panels = null; state.shown = null;
    root.replaceChildren(h("p", { class: "done", id: "esc-empty" }, t("esc.none")));
    document.body.dataset.ready = "done";
    return;
  }
  const panels = new Panels(controls, entry.id, entry.data, entry.media || [], { t });
  state.panels = panels;
  const humans = entry.annotations.filter((a) => !a.is_gold_check);
  state.note = h("textarea", { id: "esc-note", rows: 3, maxlength: 20000 });
  state.status = h("span", { id: "esc-status", class: "status", role: "status" });
  root.replaceChildren(
    h("section", { class: "card", dataset: { item: String(entry.id) } },
      h("h2", {}, `${t("review.item")} ${entry.id}`, externalId(entry),
        " ", h("span", { class: "badge" }, t("review.disagree"))),
      ...contextBlock(controls, entry.id, entry.data, entry.media || [], t),
      h("h3", {}, t("esc.annotations")),
      h("div", { class: "annotations" }, humans.map((a, k) => annotationCard(entry, a, k + 1)))),
    h("section", { class: "card adjudication" },
      h("h2", {}, t("esc.adjudicated")),
      h("div", { class: "task-body", id: "esc-panels" }, panels.panels),
      h("label", { for: "esc-note" }, t("esc.note")), state.note,
      h("div", { class: "actions" },
        h("button", { type: "button", id: "esc-prev", onclick: () => show(state.index - 1), disabled: state.index === 0 }, `[ ${t("esc.previous")}`),
        h("button", { type: "button", id: "esc-next", onclick: () => show(state.index + 1), disabled: state.index >= state.queue.length - 1 }, `${t("esc.next")} ]`),
        h("span", { class: "spacer" }),
        state.status,
        h("button", { type: "button", class: "primary", id: "esc-resolve", title: "Ctrl+Enter", onclick: resolve }, `${t("esc.resolve")} (Ctrl+⏎)`))));
  state.shown = entry.id;
  const draft = drafts.get(entry.id);
  if (draft) {
    panels.tools.forEach((tool, k) => tool.set(draft.values[k]));
    panels.tools.forEach((tool) => tool.refresh?.());
    state.note.value = draft.note;
  }
  panels.start();
  document.body.dataset.ready = String(entry.id);
}

// Take the item out of the inbox and show the one that took its place.
async function drop(entry) {
  drafts.delete(entry.id);
  state.panels = null;
  state.queue = state.queue.filter((e) => e.id !== entry.id);
  if (state.queue.length <= state.index && !state.exhausted) await fetchMore();
  show(Math.min(state.index, state.queue.length - 1));
}

async function resolve() {
  const entry = state.queue[state.index];
  if (!entry || !state.panels || state.busy) return;
  const result = state.panels.collect();
  if (!Object.keys(result).length) { say(t("esc.empty"), "error"); return; }
  state.busy = true;
  document.body.dataset.ready = "";
  try {
    await api("POST", `/items/${entry.id}/adjudicate`, { result, note: state.note.value });
    await drop(entry);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      await drop(entry);
      say(t("esc.taken"), "error");
    } else {
      document.body.dataset.ready = String(entry.id);
      say(`${t("work.error")}: ${err.message}`, "error");
    }
  } finally {
    state.busy = false;
  }
}

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); resolve(); return; }
  if (e.target.closest?.("textarea, input[type=text], input:not([type]), select")) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); state.panels?.undo(); return; }
  if (e.ctrlKey || e.metaKey) return;
  const entry = state.queue[state.index];
  if (e.altKey && /^Digit[1-9]$/.test(e.code) && entry) {
    const humans = entry.annotations.filter((a) => !a.is_gold_check);
    const a = humans[Number(e.code.slice(5)) - 1];
    if (a) { e.preventDefault(); startFrom(a); }
    return;
  }
  if (state.panels?.key(e)) { e.preventDefault(); return; }
  if (e.key === "]") { e.preventDefault(); show(state.index + 1); return; }
  if (e.key === "[") { e.preventDefault(); show(state.index - 1); }
});

fetchMore().then(() => show(0)).catch((err) => {
  $("esc-item").replaceChildren(h("p", { class: "status error", role: "alert" }, `${t("work.error")}: ${err.message}`));
});

// The reviewer's queue: annotations of an item side by side; accept or reject
// with a comment that goes back to the annotator.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { resultView } from "./render.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const root = document.getElementById("review-queue");

function itemView(data) {
  const parts = [];
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === "string") parts.push(h("div", { class: "item-text" }, h("strong", {}, `${key}: `), value));
    else if (Array.isArray(value) && value.every((r) => r && typeof r.text === "string")) {
      parts.push(...value.map((r) => h("div", { class: "item-text" }, h("strong", {}, `${key}[${r.id}]: `), r.text)));
    }
  }
  return parts;
}

function annotationCard(a, data) {
  const comment = h("input", { "aria-label": t("review.comment"), placeholder: t("review.comment") });
  const state = h("span", { class: "muted decision" }, a.status);
  const decide = async (decision) => {
    try {
      await api("POST", `/annotations/${a.id}/reviews`, { decision, comment: comment.value });
      card.className = `annotation card ${decision === "accept" ? "accepted" : "rejected"}`;
      state.textContent = decision === "accept" ? "accepted" : "rejected";
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    } catch (err) { state.textContent = err.message; state.classList.add("error"); }
  };
  const done = a.status !== "submitted";
  // A fix: the corrected result as JSON, validated by the server against the ontology.
  const fixText = h("textarea", { rows: 4, hidden: true, "aria-label": t("review.fix") });
  const fixSave = h("button", { type: "button", class: "fix-save primary", hidden: true, onclick: async () => {
    let result;
    try { result = JSON.parse(fixText.value); } catch (err) { state.textContent = err.message; state.classList.add("error"); return; }
    try {
      await api("POST", `/annotations/${a.id}/reviews`, { decision: "fix", comment: comment.value, result });
      card.className = "annotation card rejected";
      state.textContent = t("review.fixed");
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    } catch (err) { state.textContent = err.message; state.classList.add("error"); }
  } }, t("review.save_fix"));
  const card = h("div", { class: `annotation card ${a.status}`, dataset: { annotation: String(a.id) } },
    h("div", {}, h("strong", {}, a.agent), " · ", state, a.time_spent_ms != null ? h("span", { class: "muted" }, ` · ${(a.time_spent_ms / 1000).toFixed(1)} s`) : null),
    resultView(B.project.ontology.controls, a.result, data),
    comment,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", disabled: done, onclick: () => decide("accept") }, t("review.accept")),
      h("button", { type: "button", class: "danger", disabled: done, onclick: () => decide("reject") }, t("review.reject")),
      h("button", { type: "button", class: "fix", disabled: done, onclick: () => {
        fixText.value = JSON.stringify(a.result, null, 2); fixText.hidden = false; fixSave.hidden = false; fixText.focus();
      } }, t("review.fix"))),
    fixText, fixSave);
  return card;
}

// The first page comes with the page; "more" asks GET /review-queue (the same
// service) for the next one. A page may be short and still have a next one.
const more = document.getElementById("review-more");
let cursor = B.queue.next_cursor;
let shown = 0;

function itemSection(entry) {
  return h("section", { class: `card review-item${entry.disagree ? " disagree" : ""}`, dataset: { item: String(entry.id) } },
    h("h2", {}, `${t("review.item")} ${entry.id} `, entry.disagree ? h("span", { class: "badge" }, t("review.disagree")) : null),
    ...itemView(entry.data),
    h("div", { class: "annotations" }, entry.annotations.map((a) => annotationCard(a, entry.data))));
}

function show(entries) {
  if (!shown && entries.length) root.replaceChildren();
  root.append(...entries.map(itemSection));
  shown += entries.length;
  if (!shown && !cursor) root.replaceChildren(h("p", { id: "review-empty" }, t("review.none")));
  more.hidden = !cursor;
  root.dataset.shown = String(shown);
}

async function loadMore() {
  more.disabled = true;
  try {
    do {
      const query = new URLSearchParams({ state: "submitted", limit: String(B.limit), cursor });
      const page = await api("GET", `/projects/${B.project.id}/review-queue?${query}`);
      cursor = page.next_cursor;
      show(page.data);
    } while (!shown && cursor);
  } catch (err) {
    root.append(h("p", { class: "status error", role: "alert" }, err.message));
  } finally {
    more.disabled = false;
  }
}

more.addEventListener("click", (e) => { e.preventDefault(); loadMore(); });
show(B.queue.data);
if (!shown && cursor) loadMore();

// What the review and escalation pages share: the project's review queue read
// page by page (each item once), and the list of its items beside the one shown.
import { api } from "./api.js";
import { h } from "./dom.js";

// Append the next page of the queue in `queueState` to `state.queue`, moving
// `state.cursor` on; `state.exhausted` once the last page is read.
export async function fetchQueuePage(pid, queueState, limit, state) {
  const query = new URLSearchParams({ state: queueState, limit: String(limit) });
  if (state.cursor) query.set("cursor", state.cursor);
  const page = await api("GET", `/projects/${pid}/review-queue?${query}`);
  const known = new Set(state.queue.map((e) => e.id));
  state.queue.push(...page.data.filter((e) => !known.has(e.id)));
  state.cursor = page.next_cursor;
  state.exhausted = !page.next_cursor;
}

// " · ext-7" after an item's title, when the item has an external id.
export const externalId = (entry) => (entry.external_id ? h("span", { class: "muted" }, ` · ${entry.external_id}`) : null);

// The queue's items as list entries, the shown one marked current; `mark`
// adds what follows each item's title.
export function queueItems(t, state, show, mark) {
  return state.queue.map((entry, i) => h("li", {},
    h("button", { type: "button", class: `link${i === state.index ? " current" : ""}`, "aria-current": i === state.index ? "true" : null,
      dataset: { item: String(entry.id) }, onclick: () => show(i) },
    `${t("review.item")} ${entry.id}`, mark(entry))));
}

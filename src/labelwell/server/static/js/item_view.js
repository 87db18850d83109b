// An item's history (every revision with who, when and source, and what each
// changed: before and after, control by control) and its comment thread with
// @mentions. Shared by the reviewer's page and the item page. Text goes in
// through textContent only (dom.js h()).
import { api } from "./api.js";
import { identity, visualDiff } from "./diff_view.js";
import { h } from "./dom.js";
import { resultView } from "./render.js";

const when = (iso) => new Date(iso).toLocaleString();
// A value's identity ignoring region ids, so a box moved shows as changed and a
// box merely renumbered does not.
const key = identity;

// Control by control, what a revision changed: drawn where the type has a
// visual diff (spans in the text, boxes on the image, choices), else the old
// and the new value side by side; in lists, how many entries went and came.
// ``imageOf(source)``: the URL of the item's image for a control's source.
export function diffView(controls, before, after, data, t, imageOf = null) {
  const names = [...new Set([...controls.map((c) => c.name), ...Object.keys(before || {}), ...Object.keys(after || {})])];
  const changed = names.filter((n) => key(before?.[n]) !== key(after?.[n]));
  if (!changed.length) return h("p", { class: "muted diff-none" }, "=");
  return h("div", { class: "diff" }, changed.map((name) => {
    const control = controls.find((c) => c.name === name) || { name, type: "json" };
    const old = before?.[name]; const now = after?.[name];
    let counts = null;
    if (Array.isArray(old) || Array.isArray(now)) {
      const a = new Set((old || []).map(key)); const b = new Set((now || []).map(key));
      const gone = [...a].filter((x) => !b.has(x)).length; const came = [...b].filter((x) => !a.has(x)).length;
      counts = h("span", { class: "muted diff-counts" }, ` −${gone} +${came}`);
    }
    const drawn = visualDiff(control, old, now, data, t, imageOf);
    if (drawn) {
      return h("div", { class: "diff-control drawn", dataset: { control: name } },
        h("div", { class: "diff-name" }, h("strong", {}, name), counts), drawn);
    }
    return h("div", { class: "diff-control", dataset: { control: name } },
      h("div", { class: "diff-name" }, h("strong", {}, name), counts),
      h("div", { class: "diff-old" }, h("span", { class: "diff-label" }, t("rvw.before")), resultView([control], { [name]: old }, data)),
      h("div", { class: "diff-new" }, h("span", { class: "diff-label" }, t("rvw.after")), resultView([control], { [name]: now }, data)));
  }));
}

function reviewLine(r, t) {
  return h("li", { class: `review-event ${r.decision}` }, `${t(`rvw.decision.${r.decision}`)} ${r.reviewer || "—"} · ${when(r.created_at)}`,
    r.comment ? h("q", { class: "review-comment" }, r.comment) : null);
}

// The revisions, oldest first: each with its source, author and time, its
// reviews, and (when it replaces one shown) what it changed.
export async function showHistory(el, itemId, controls, data, t, imageOf = null) {
  const page = await api("GET", `/items/${itemId}/history`);
  const byId = new Map(page.data.filter((r) => r.kind === "annotation").map((r) => [r.id, r]));
  el.replaceChildren(h("h3", {}, t("rvw.history")), page.data.length
    ? h("ol", { class: "history", id: `history-${itemId}` }, page.data.map((r) => {
      const earlier = r.supersedes_id != null ? byId.get(r.supersedes_id) : null;
      return h("li", { class: `revision ${r.kind} source-${r.source}`, dataset: { revision: String(r.id), kind: r.kind } },
        h("div", { class: "revision-head" },
          h("span", { class: `badge source ${r.source}` }, t(`rvw.source.${r.source}`)), " ",
          h("strong", {}, r.agent), ` · ${when(r.created_at)}`,
          r.kind === "annotation" ? h("span", { class: "muted" }, ` · ${t("rvw.revision")} ${r.revision}`) : null,
          r.status ? h("span", { class: "muted" }, ` · ${r.status}`) : null,
          earlier ? h("span", { class: "muted" }, ` · ${t("rvw.replaces")} #${earlier.id}`) : null),
        earlier ? diffView(controls, earlier.result, r.result, data, t, imageOf) : resultView(controls, r.result, data, { id: itemId }),
        r.reviews.length ? h("ul", { class: "review-events" }, r.reviews.map((e) => reviewLine(e, t))) : null);
    }))
    : h("p", { class: "muted" }, t("rvw.history_none")));
  el.dataset.loaded = String(page.data.length);
}

// @email in a comment as a marked name (still text, never markup).
function bodyView(body) {
  const parts = body.split(/(@[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/);
  return h("p", { class: "comment-body" }, parts.map((p, i) => (i % 2 ? h("span", { class: "mention" }, p) : p)));
}

export async function showComments(el, itemId, t) {
  const list = h("ol", { class: "comments", id: `comments-${itemId}` });
  const body = h("textarea", { id: "comment-body", rows: 2, maxlength: 20000, placeholder: t("rvw.comment_body"), "aria-label": t("rvw.comment_body") });
  const note = h("span", { class: "status", role: "status", id: "comment-status" });
  const draw = (data) => {
    list.replaceChildren(...(data.length ? data.map((c) => h("li", { class: "comment", dataset: { comment: String(c.id) } },
      h("div", { class: "muted" }, h("strong", {}, c.author || "—"), ` · ${when(c.created_at)}`), bodyView(c.body)))
      : [h("li", { class: "muted" }, t("rvw.comments_none"))]));
    el.dataset.comments = String(data.length);
  };
  const load = async () => draw((await api("GET", `/items/${itemId}/comments`)).data);
  const post = async () => {
    if (!body.value.trim()) return;
    try {
      await api("POST", `/items/${itemId}/comments`, { body: body.value });
      body.value = ""; note.textContent = ""; note.className = "status";
      await load();
    } catch (err) { note.textContent = err.message; note.className = "status error"; }
  };
  body.addEventListener("keydown", (e) => { if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); e.stopPropagation(); post(); } });
  el.replaceChildren(h("h3", {}, t("rvw.comments")), list,
    h("div", { class: "comment-form" }, body, h("div", { class: "actions" }, note, h("span", { class: "spacer" }),
      h("button", { type: "button", id: "comment-post", onclick: post }, t("rvw.post")))));
  await load();
}

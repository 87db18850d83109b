// The comments that mention you, newest first, each linking to its item;
// unread ones are marked new, then all are marked read.
import { api } from "./api.js";
import { boot, h } from "./dom.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const list = document.getElementById("mentions");

async function main() {
  const page = await api("GET", "/me/mentions");
  list.replaceChildren(...(page.data.length ? page.data.map(({ comment: c, seen }) => h("li", { class: `comment${seen ? "" : " unread"}`, dataset: { comment: String(c.id) } },
    h("div", { class: "muted" }, seen ? null : h("span", { class: "badge" }, t("rvw.new")), " ", h("strong", {}, c.author || "—"), ` · ${new Date(c.created_at).toLocaleString()} · `,
      h("a", { href: `/items/${c.item_id}` }, `${t("rvw.item_title")} ${c.item_id}`)),
    h("p", { class: "comment-body" }, c.body)))
    : [h("li", { class: "muted", id: "mentions-none" }, t("rvw.mentions_none"))]));
  if (page.unread) await api("POST", "/me/mentions/read", {});
  document.body.dataset.ready = "1";
}
main().catch((err) => list.replaceChildren(h("li", { class: "status error", role: "alert" }, err.message)));

// One item: its data, the history of its labels (what each revision changed)
// and its comment thread.
import { boot, h } from "./dom.js";
import { showComments, showHistory } from "./item_view.js";
import { MEDIA_KEYS, mediaUrl } from "./panels.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const controls = B.project.ontology.controls;
const item = B.item;
const $ = (id) => document.getElementById(id);
// The item's fields as the tools show them: text, images, responses A, B, C.
function field([key, value]) {
  if (typeof value === "string" && MEDIA_KEYS.includes(key)) return h("img", { class: "item-image", src: mediaUrl(item.id, item.data, item.media || [], key), alt: key });
  if (typeof value === "string") return h("div", { class: "item-text", dataset: { source: key } }, value);
  if (Array.isArray(value) && value.every((r) => r && typeof r.text === "string")) {
    return h("div", { class: "responses" }, value.map((r, i) => h("div", { class: "response card" },
      h("h3", {}, `${t("work.response")} ${String.fromCharCode(65 + i)}`), h("div", { class: "item-text" }, r.text))));
  }
  return null;
}
const shown = Object.entries(item.data).map(field).filter(Boolean);
$("item-data").replaceChildren(...(shown.length ? shown : [h("pre", { class: "item-json" }, JSON.stringify(item.data, null, 2))]));
const fail = (el) => (err) => el.replaceChildren(h("p", { class: "status error", role: "alert" }, err.message));
Promise.all([
  showHistory($("item-history"), item.id, controls, item.data, t,
    (key) => (typeof item.data[key] === "string" ? mediaUrl(item.id, item.data, item.media || [], key) : null)).catch(fail($("item-history"))),
  showComments($("item-comments"), item.id, t).catch(fail($("item-comments"))),
]).then(() => { document.body.dataset.ready = String(item.id); });

// The console's webhooks section: list, add (the secret is shown once), pause,
// test, remove; a hook's delivery log with a redeliver button per delivery.
import { api } from "./api.js";
import { boot, h } from "./dom.js";

const pid = boot().project.id;
const $ = (id) => document.getElementById(id);
const root = $("webhooks");
const T = root.dataset;
const base = `/projects/${pid}/webhooks`;
const say = (message, ok) => { const el = $("hook-status"); el.textContent = message; el.className = ok ? "ok" : "error"; };
let shown = null;

async function load() {
  const hooks = (await api("GET", base)).data;
  const list = $("hook-list");
  list.replaceChildren(...(hooks.length ? hooks.map(row) : [h("li", { class: "muted" }, T.none)]));
  if (shown && !hooks.some((x) => x.id === shown.id)) { shown = null; $("hook-log").hidden = true; }
}

function row(hook) {
  const act = (label, run, cls) => h("button", { type: "button", class: cls, onclick: () => run().catch((e) => say(e.message)) }, label);
  return h("li", { class: "hook", dataset: { hook: hook.id } },
    h("code", {}, hook.url), " ",
    h("span", { class: "muted" }, hook.events.join(", ")),
    hook.active ? "" : h("span", { class: "badge" }, ` ${T.paused}`),
    h("span", { class: "actions" },
      act(T.test, async () => { const d = await api("POST", `${base}/${hook.id}/test`); say(`${d.event}: ${d.state} ${d.response_code ?? d.error ?? ""}`, d.state === "delivered"); await deliveries(hook); }),
      act(hook.active ? T.pause : T.resume, async () => { await api("PATCH", `${base}/${hook.id}`, { active: !hook.active }); await load(); }),
      act(T.deliveries, () => deliveries(hook)),
      act(T.remove, async () => { if (!window.confirm(T.confirmRemove)) return; await api("DELETE", `${base}/${hook.id}`); await load(); }, "danger")));
}

async function deliveries(hook) {
  shown = hook;
  const rows = (await api("GET", `${base}/${hook.id}/deliveries?limit=50`)).data;
  $("hook-log-url").textContent = hook.url;
  const body = $("hook-deliveries").tBodies[0];
  body.replaceChildren(...(rows.length ? rows.map((d) => h("tr", { dataset: { delivery: d.id }, class: `state-${d.state}` },
    h("td", {}, d.id), h("td", {}, h("code", {}, d.event)),
    h("td", { title: d.error || "" }, d.state), h("td", {}, d.attempts),
    h("td", {}, d.response_code ?? (d.error || "")), h("td", {}, d.latency_ms == null ? "" : `${d.latency_ms} ms`),
    h("td", {}, d.next_attempt_at ? new Date(d.next_attempt_at).toLocaleString() : ""),
    h("td", {}, h("button", { type: "button", class: "redeliver", onclick: async () => {
      try { const again = await api("POST", `${base}/${hook.id}/deliveries/${d.id}/redeliver`); say(`#${again.id}: ${again.state}`, again.state === "delivered"); await deliveries(hook); } catch (e) { say(e.message); }
    } }, T.redeliver)))) : [h("tr", {}, h("td", { colspan: 8, class: "muted" }, T.noDeliveries))]));
  $("hook-log").hidden = false;
}

$("hook-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const events = [...document.querySelectorAll('input[name="hook-event"]:checked')].map((x) => x.value);
  try {
    const made = await api("POST", base, { url: $("hook-url").value, events });
    const status = $("hook-status");
    status.className = "ok";
    status.replaceChildren(T.secret, " ", h("code", { id: "hook-secret" }, made.secret));
    $("hook-url").value = "";
    await load();
  } catch (err) { say(err.message); }
});

load().catch((e) => say(e.message));

// One person: their work per project (throughput, gold accuracy, flags) and
// the account actions: name, role, skills, deactivate or reactivate, a new
// invite link, a new password.
import { api } from "./api.js";
import { h } from "./dom.js";
import { $, B, say, showInvite, skillsOf, t, wireInviteCopy } from "./people_common.js";

const state = { person: B.person };
window.lw = { state };
const uid = () => state.person.user.id;

function pct(x) { return `${(x * 100).toFixed(0)}%`; }

function renderWork() {
  const rows = state.person.projects;
  $("work").querySelector("tbody").replaceChildren(...rows.map((w) => h("tr", { dataset: { project: String(w.project_id) } },
    h("td", { class: "project" }, h("a", { href: `/projects/${w.project_id}/manage` }, w.name)),
    h("td", {}, w.role),
    h("td", { class: "num" }, String(w.submitted)),
    h("td", { class: "num" }, String(w.skipped)),
    h("td", { class: "num" }, w.median_time_ms == null ? "–" : `${(w.median_time_ms / 1000).toFixed(1)} s`),
    h("td", { class: "num" }, String(w.labels_7d)),
    h("td", { class: "gold" }, w.gold_accuracy == null ? "–" : t("people.gold_of", { pct: pct(w.gold_accuracy), n: w.gold_n }),
      w.needs_retraining ? h("span", { class: "badge" }, " ", t("people.retrain")) : null),
    h("td", {}, w.flags.length ? h("ul", { class: "flags" }, w.flags.map((f) => h("li", {}, f))) : h("span", { class: "muted" }, t("people.no_flags"))))));
  $("work-empty").hidden = rows.length > 0;
}

function renderAccount() {
  const u = state.person.user;
  $("person-role").textContent = u.role;
  $("person-name").textContent = u.name;
  const st = $("person-state");
  st.textContent = !u.is_active ? t("people.inactive") : u.has_password ? t("people.active") : t("people.no_password");
  st.className = `state ${!u.is_active ? "inactive" : u.has_password ? "" : "pending"}`;
  if (!B.can_act) return;
  $("sessions").textContent = t("people.sessions", { n: state.person.active_sessions });
  const toggle = $("toggle-active");
  toggle.textContent = u.is_active ? t("people.deactivate") : t("people.reactivate");
  toggle.className = u.is_active ? "danger" : "primary";
  $("new-link").disabled = !u.is_active;
}

async function reload() {
  state.person = await api("GET", `/people/${uid()}`);
  renderAccount();
  renderWork();
}

if (B.can_act) wireAccount();

function wireAccount() {
  wireInviteCopy();

  $("account-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: $("a-name").value, skills: skillsOf($("a-skills").value) };
    if (!B.self) body.role = $("a-role").value;
    try {
      await api("PATCH", `/people/${uid()}`, body);
      await reload();
      say($("account-status"), t("people.saved"), "ok");
    } catch (err) {
      say($("account-status"), err.message, "error");
    }
  });

  $("toggle-active").addEventListener("click", async () => {
    const u = state.person.user;
    if (u.is_active && !window.confirm(t("people.confirm_deactivate", { email: u.email }))) return;
    try {
      await api("PATCH", `/people/${uid()}`, { is_active: !u.is_active });
      await reload();
      say($("account-status"), t(u.is_active ? "people.deactivated" : "people.reactivated"), "ok");
    } catch (err) {
      say($("account-status"), err.message, "error");
    }
  });

  $("new-link").addEventListener("click", async () => {
    try {
      showInvite(await api("POST", `/people/${uid()}/invite`));
    } catch (err) {
      say($("account-status"), err.message, "error");
    }
  });

  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", `/people/${uid()}/password`, { password: $("new-password").value });
      $("password-form").reset();
      await reload();
      say($("account-status"), t("people.password_set"), "ok");
    } catch (err) {
      say($("account-status"), err.message, "error");
    }
  });
}

renderAccount();
renderWork();
document.body.dataset.ready = "person";

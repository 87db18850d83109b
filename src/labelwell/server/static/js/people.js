// The People list: everyone the caller manages, filtered as you type, and the
// form that creates a person with a one-time invite link (or a password).
import { api } from "./api.js";
import { h } from "./dom.js";
import { $, B, say, showInvite, skillsOf, t, wireInviteCopy } from "./people_common.js";

const state = { people: B.people || [], query: "" };
window.lw = { state };

function stateCell(p) {
  if (!p.is_active) return h("span", { class: "state inactive" }, t("people.inactive"));
  if (!p.has_password) return h("span", { class: "state pending" }, t("people.no_password"));
  return h("span", { class: "state" }, t("people.active"));
}

// A moment as local "YYYY-MM-DD HH:MM" (short, sortable by eye).
function when(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function render() {
  const q = state.query.toLowerCase();
  const shown = state.people.filter((p) => !q || [p.email, p.name, ...p.skills].some((x) => x.toLowerCase().includes(q)));
  $("people-count").textContent = t("people.count", { n: shown.length });
  $("people").querySelector("tbody").replaceChildren(...shown.map((p) => h("tr", { dataset: { user: String(p.id) }, class: p.is_active ? "" : "inactive" },
    h("td", {}, h("a", { href: `/people/${p.id}` }, p.email)),
    h("td", {}, p.name),
    h("td", {}, h("span", { class: "badge" }, p.role)),
    h("td", {}, p.skills.join(", ")),
    h("td", { class: "num" }, String(p.projects)),
    h("td", { class: "num" }, String(p.labels)),
    h("td", { class: "when" }, p.last_label_at ? when(p.last_label_at) : "–"),
    h("td", { class: "state-cell" }, stateCell(p)))));
  $("people-empty").hidden = shown.length > 0;
}

$("people-search").addEventListener("input", (e) => { state.query = e.target.value; render(); });
$("p-with-password").addEventListener("change", (e) => {
  $("p-password").disabled = !e.target.checked;
  $("person-form").querySelector("button[type=submit]").textContent = t(e.target.checked ? "people.add" : "people.create");
});
wireInviteCopy();

$("person-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("person-status");
  const project = $("p-project").value;
  const body = {
    email: $("p-email").value.trim(),
    name: $("p-name").value.trim(),
    role: $("p-role").value,
    skills: skillsOf($("p-skills").value),
    project_id: project ? Number(project) : null,
    project_role: $("p-project-role").value,
  };
  if ($("p-with-password").checked) body.password = $("p-password").value;
  $("invite").hidden = true;
  try {
    const made = await api("POST", "/people", body);
    say(status, t("people.created", { email: made.user.email }), "ok");
    if (made.invite) showInvite(made.invite);
    state.people = (await api("GET", "/people")).data;
    render();
    $("person-form").reset();
    $("p-password").disabled = true;
  } catch (err) {
    say(status, err.message, "error");
  }
});

render();
document.body.dataset.ready = "people";

// Workforce cost: a project's cost per annotator and per accepted label with
// its budget, the pay rates (from presets or typed), and the payroll CSV link.
import { api } from "./api.js";
import { h } from "./dom.js";
import { $, B, money, say, t } from "./people_common.js";

const state = { rates: B.rates || [], report: null };
window.lw = { state };
const projectName = (id) => B.projects.find((p) => p.id === id)?.name ?? `#${id}`;

function scopeOf(r) {
  const parts = [];
  if (r.project_id != null) parts.push(projectName(r.project_id));
  if (r.role) parts.push(r.role);
  if (r.skill) parts.push(`${t("people.skill")}: ${r.skill}`);
  return parts.length ? parts.join(" · ") : t("people.everyone");
}

const per = (r) => t(r.basis === "hour" ? "people.per_hour" : "people.per_label");

function renderRates() {
  $("rates").querySelector("tbody").replaceChildren(...state.rates.map((r) => h("tr", { dataset: { rate: String(r.id) } },
    h("td", {}, r.name || "–"),
    h("td", {}, scopeOf(r)),
    h("td", { class: "num" }, money(r.amount)),
    h("td", {}, per(r)),
    h("td", {}, h("button", { type: "button", class: "small remove", onclick: () => removeRate(r) }, t("people.remove"))))));
  $("rates-empty").hidden = state.rates.length > 0;
}

async function refreshRates() {
  state.rates = (await api("GET", "/rates")).data;
  renderRates();
}

async function removeRate(r) {
  try {
    await api("DELETE", `/rates/${r.id}`);
    await refreshRates();
    await loadCost();
  } catch (err) {
    say($("rate-status"), err.message, "error");
  }
}

function renderCost() {
  const c = state.report;
  if (!c) return;
  $("cost").querySelector("tbody").replaceChildren(...c.people.map((p) => h("tr", { dataset: { user: String(p.user_id) } },
    h("td", {}, h("a", { href: `/people/${p.user_id}` }, p.email)),
    h("td", { title: p.rate ? `${money(p.rate.amount)} ${per(p.rate)}` : null }, p.rate ? p.rate.name || scopeOf(p.rate) : "–"),
    h("td", { class: "num" }, p.hours.toFixed(2)),
    h("td", { class: "num" }, String(p.accepted)),
    h("td", { class: "num" }, money(p.amount)),
    h("td", { class: "num" }, money(p.per_accepted_label)))));
  $("cost").querySelector("tfoot").replaceChildren(h("tr", {},
    h("td", {}, t("people.total")), h("td", {}),
    h("td", { class: "num" }, c.hours.toFixed(2)),
    h("td", { class: "num" }, String(c.accepted)),
    h("td", { class: "num", id: "cost-total" }, money(c.amount)),
    h("td", { class: "num", id: "cost-per-label" }, money(c.per_accepted_label))));
  $("cost-unpriced").hidden = !c.unpriced.length;
  $("cost-unpriced").textContent = t("people.unpriced", { who: c.unpriced.join(", ") });
  const b = c.budget;
  $("budget-text").textContent = b.cap == null
    ? `${t("people.budget_none")} · ${money(b.spent)}`
    : t("people.budget_spent", { spent: money(b.spent), cap: money(b.cap) });
  $("budget-meter").value = b.cap ? Math.min(1, b.spent / b.cap) : 0;
  $("budget-meter").hidden = b.cap == null;
  $("budget-reached").hidden = !b.reached;
  $("budget-cap").value = b.cap == null ? "" : String(b.cap);
  $("budget-remove").hidden = b.cap == null;
}

async function loadCost() {
  const id = $("cost-project").value;
  if (!id) return;
  try {
    state.report = await api("GET", `/projects/${id}/cost`);
    renderCost();
  } catch (err) {
    say($("cost-status"), err.message, "error");
  }
}

async function setBudget(cap) {
  try {
    await api("PUT", `/projects/${$("cost-project").value}/budget`, { cap });
    await loadCost();
    say($("cost-status"), t("people.saved"), "ok");
  } catch (err) {
    say($("cost-status"), err.message, "error");
  }
}

$("cost-project").addEventListener("change", loadCost);
$("budget-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("budget-cap").value;
  setBudget(value === "" ? null : Number(value));
});
$("budget-remove").addEventListener("click", () => setBudget(null));

$("r-preset").addEventListener("change", (e) => {
  const p = B.presets.find((x) => x.key === e.target.value);
  if (!p) return;
  $("r-name").value = p.name;
  $("r-basis").value = p.basis;
  $("r-amount").value = String(p.amount);
});

$("rate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const project = $("r-project").value;
  const body = {
    name: $("r-name").value.trim(),
    basis: $("r-basis").value,
    amount: Number($("r-amount").value),
    project_id: project ? Number(project) : null,
    role: $("r-role").value || null,
    skill: $("r-skill").value.trim() || null,
  };
  try {
    await api("POST", "/rates", body);
    $("rate-form").reset();
    say($("rate-status"), t("people.saved"), "ok");
    await refreshRates();
    await loadCost();
  } catch (err) {
    say($("rate-status"), err.message, "error");
  }
});

function payrollLink() {
  const q = new URLSearchParams({ start: $("pay-start").value, end: $("pay-end").value });
  if ($("pay-project").value) q.set("project_id", $("pay-project").value);
  $("payroll-link").href = `/api/v1/payroll.csv?${q}`;
}
const today = new Date();
const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
$("pay-start").value = first.toISOString().slice(0, 10);
$("pay-end").value = today.toISOString().slice(0, 10);
for (const id of ["pay-start", "pay-end", "pay-project"]) $(id).addEventListener("change", payrollLink);
payrollLink();

renderRates();
loadCost().then(() => { document.body.dataset.ready = "cost"; });

// The synthetic-data page: verdicts on items (verify, fix in an edit box,
// reject), the stored summary of the guards, and a run of the guards. Every
// figure comes from /api/v1/projects/{id}/synth/...; nothing is computed here.
import { api } from "./api.js";
import { boot, h } from "./dom.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const base = `/projects/${B.project.id}/synth`;
const items = new Map(B.items.map((it) => [it.item_id, it]));
const status = document.getElementById("syn-status");
const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);
const num = (x, d = 3) => (x === null || x === undefined ? "—" : Number(x).toFixed(d));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

function pairs(rows) {
  return h("dl", {}, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function counts(map) {
  const entries = Object.entries(map || {});
  return entries.length ? entries.map(([k, n]) => `${k}: ${n}`).join(", ") : "—";
}

function capValue(v) {
  if (v === null || v === undefined) return t("syn.cap_none");
  if (v === true) return t("syn.yes");
  if (v === false) return t("syn.no");
  return String(v);
}

function drawSummary(s) {
  const v = s.verification;
  const last = s.last_report;
  const parts = [
    pairs([
      [t("syn.n_synthetic"), String(s.n_synthetic)],
      [t("syn.by_method"), counts(s.by_method)],
      [t("syn.by_generation"), counts(s.by_generation)],
    ]),
    h("h3", {}, t("syn.verification")),
    pairs([
      [t("syn.v.verified"), String(v.verified)],
      [t("syn.v.fixed"), String(v.fixed)],
      [t("syn.v.rejected"), String(v.rejected)],
      [t("syn.v.none"), String(v.pending)],
      [t("syn.verify_rate"), h("strong", { id: "syn-verify-rate" }, pct(v.verify_rate))],
      [t("syn.error_rate"), h("strong", { id: "syn-error-rate" }, pct(v.error_rate))],
    ]),
    h("h3", {}, t("syn.flags")),
    pairs([
      [t("syn.duplicates"), String(s.near_duplicates)],
      [t("syn.copies"), String(s.verbatim)],
      [t("syn.last_report"), last ? when(last.at) : t("syn.never")],
      [t("syn.shift_auc"), last ? `${num(last.auc)} (p ${num(last.p_value)}, MMD² ${num(last.mmd2, 4)})` : "—"],
    ]),
    h("h3", {}, t("syn.caps")),
    pairs(Object.entries(s.caps).map(([k, val]) => [t(`syn.cap.${k}`), capValue(val)])),
    h("h3", {}, t("syn.overrides")),
    s.overrides.length
      ? h("ul", { id: "syn-overrides" }, s.overrides.map((o) => h("li", {},
        h("strong", {}, o.reason), ` · ${o.by} · ${when(o.at)} · ${t("syn.share")} ${pct(o.synthetic_share)}`,
        o.overridden.length ? h("div", { class: "muted" }, o.overridden.join("; ")) : null)))
      : h("p", { class: "muted", id: "syn-overrides" }, t("syn.no_overrides")),
  ];
  document.getElementById("syn-summary").replaceChildren(...parts);
}

async function refreshSummary() {
  drawSummary(await api("GET", `${base}/summary`));
}

function drawGuards(r) {
  const parts = [];
  if (r.shift.length) {
    parts.push(h("table", { id: "syn-shift" },
      h("thead", {}, h("tr", {}, [t("syn.label"), t("syn.real"), t("syn.synthetic"), "MMD²", "p", "AUC"].map((c) => h("th", {}, c)))),
      h("tbody", {}, r.shift.map((sh) => h("tr", {},
        h("td", {}, sh.label ?? t("syn.all")), h("td", {}, String(sh.n_real)), h("td", {}, String(sh.n_synthetic)),
        h("td", {}, num(sh.mmd2, 4)), h("td", {}, num(sh.p_value)), h("td", {}, num(sh.auc)))))));
    parts.push(h("p", { class: "muted" }, t("syn.auc_help")));
  } else {
    parts.push(h("p", { class: "muted" }, t("syn.no_shift")));
  }
  if (r.plot_svg) {
    const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.plot_svg)}`;
    parts.push(h("img", { id: "syn-plot", src, alt: t("syn.plot_alt") }));
  }
  parts.push(h("h3", {}, `${t("syn.duplicates")} (${r.duplicates.length})`));
  parts.push(r.duplicates.length
    ? h("ul", {}, r.duplicates.map((d) => h("li", {}, `${t("syn.item")} ${d.item_id} ~ ${t(`syn.against.${d.against}`)} ${d.of_item_id} (${d.by} ${num(d.similarity)})`)))
    : h("p", { class: "muted" }, t("syn.none_found")));
  parts.push(h("h3", {}, `${t("syn.copies")} (${r.copies.length})`));
  parts.push(r.copies.length
    ? h("ul", {}, r.copies.map((c) => h("li", {}, `${t("syn.item")} ${c.item_id} [${c.start}:${c.end}] · ${t("syn.reference")} ${c.reference}: `, h("q", {}, c.excerpt))))
    : h("p", { class: "muted" }, t("syn.none_found")));
  document.getElementById("syn-guards").replaceChildren(...parts);
}

function showVerdict(itemId, verdict) {
  const cell = document.querySelector(`tr[data-item="${itemId}"] .syn-verdict`);
  cell.replaceChildren(h("span", { class: `badge verdict ${verdict}` }, t(`syn.v.${verdict}`)));
}

async function give(itemId, verdict, fixed) {
  const body = fixed ? { verdict, fixed } : { verdict };
  const row = await api("POST", `${base}/items/${itemId}/verdict`, body);
  items.get(itemId).verdict = row.verdict;
  showVerdict(itemId, row.verdict);
  status.textContent = `${t("syn.item")} ${itemId}: ${t(`syn.v.${row.verdict}`)}`;
  await refreshSummary();
}

const dialog = document.getElementById("syn-fix");
let fixing = null;

function openFix(itemId) {
  fixing = itemId;
  const data = items.get(itemId).data;
  document.getElementById("syn-fix-error").textContent = "";
  document.getElementById("syn-fix-fields").replaceChildren(...Object.entries(data)
    .filter(([, v]) => typeof v === "string")
    .map(([k, v]) => h("label", {}, k, h("textarea", { name: k, rows: k === "context" ? 5 : 3 }, v))));
  dialog.showModal();
}

document.getElementById("syn-fix-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const data = items.get(fixing).data;
  const fixed = {};
  for (const area of dialog.querySelectorAll("textarea")) {
    if (area.value !== data[area.name]) fixed[area.name] = area.value;
  }
  if (!Object.keys(fixed).length) {
    document.getElementById("syn-fix-error").textContent = t("syn.fix_unchanged");
    return;
  }
  try {
    await give(fixing, "fixed", fixed);
    Object.assign(data, fixed);
    const row = document.querySelector(`tr[data-item="${fixing}"]`);
    for (const [k, v] of Object.entries(fixed)) {
      const cell = row.querySelector(`[data-field="${k}"] .syn-value`);
      if (cell) cell.textContent = v;
    }
    dialog.close();
  } catch (err) {
    document.getElementById("syn-fix-error").textContent = err.message;
  }
});
document.getElementById("syn-fix-cancel").addEventListener("click", () => dialog.close());

document.querySelector(".syn-items").addEventListener("click", async (ev) => {
  const button = ev.target.closest("button[data-verdict]");
  if (!button) return;
  const itemId = Number(button.closest("tr").dataset.item);
  if (button.dataset.verdict === "fixed") {
    openFix(itemId);
    return;
  }
  button.disabled = true;
  try {
    await give(itemId, button.dataset.verdict);
  } catch (err) {
    status.textContent = err.message;
  } finally {
    button.disabled = false;
  }
});

document.getElementById("syn-run").addEventListener("click", async (ev) => {
  const button = ev.currentTarget;
  const guards = document.getElementById("syn-guards");
  button.disabled = true;
  guards.replaceChildren(h("p", { class: "muted" }, t("syn.running")));
  try {
    const embed = document.getElementById("syn-embed").checked;
    drawGuards(await api("POST", `${base}/report`, { embed }));
    await refreshSummary();
  } catch (err) {
    guards.replaceChildren(h("p", { class: "status error", role: "alert" }, err.message));
  } finally {
    button.disabled = false;
  }
});

drawSummary(B.summary);
document.body.dataset.ready = "1";

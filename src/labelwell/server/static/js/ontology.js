// A project's ontology after creation: edit it with the workspace previewed
// live, name renames, see what the change touches (how many stored annotations
// each rename or removal concerns), force a removal with a reason, and keep
// every version.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { renderPreview } from "./preview.js";

const B = boot();
const pid = B.project.id;
const t = (key) => B.i18n?.[key] ?? key;
const fill = (key, vars) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), t(key));
const $ = (id) => document.getElementById(id);
let renames = [];
let current = B.ontology;

function parsed() { try { return JSON.parse($("ontology").value || "{}"); } catch { return null; } }

function describe(c) {
  const label = c.label ? fill("onto.of_label", { label: c.label, control: c.control }) : fill("onto.of_control", { control: c.control });
  return fill(`onto.kind_${c.kind}`, { what: label, to: c.to ?? "" });
}

function showVersions(versions) {
  $("versions").tBodies[0].replaceChildren(...[...versions].reverse().map((v) => h("tr", { dataset: { version: String(v.version) } },
    h("td", {}, `v${v.version}`), h("td", {}, new Date(v.created_at).toLocaleString()),
    h("td", {}, v.changes.length ? h("ul", { class: "ro-list" }, v.changes.map((c) => h("li", {}, describe(c),
      c.annotations ? h("span", { class: "muted" }, ` · ${fill("onto.n_annotations", { n: c.annotations })}`) : null))) : t("onto.first")),
    h("td", {}, v.reason || ""))));
}

function showControls() {
  $("rn-control").replaceChildren(...(current.controls || []).map((c) => h("option", { value: c.name }, c.name)));
}

function showRenames() {
  $("renames").replaceChildren(...renames.map((r, i) => h("li", {},
    r.label ? fill("onto.rn_line_label", { control: r.control, label: r.label, to: r.to }) : fill("onto.rn_line", { control: r.control, to: r.to }), " ",
    h("button", { type: "button", class: "small", "aria-label": t("onto.rn_remove"), onclick: () => { renames.splice(i, 1); showRenames(); stale(); } }, "×"))));
}

// The shown impact is about an earlier text: hide it until checked again.
function stale() { $("impact").hidden = true; $("save-status").textContent = ""; }

function problem(err) {
  const field = err.body?.error?.details?.field;
  const message = err.body?.error?.message || err.message;
  return field ? fill("onto.err_field", { field, problem: message.includes(": ") ? message.slice(message.indexOf(": ") + 2) : message }) : message;
}

function body() {
  return { ontology: parsed(), renames, force: $("force").checked, reason: $("reason").value };
}

$("check").addEventListener("click", async () => {
  const el = $("ontology-error");
  if (!parsed()) { el.textContent = t("new.err_json"); el.hidden = false; return; }
  el.hidden = true;
  try {
    const found = await api("POST", `/projects/${pid}/ontology/impact`, body());
    $("impact-version").textContent = `→ v${found.version}`;
    $("impact-table").tBodies[0].replaceChildren(...(found.changes.length ? found.changes.map((c) => h("tr", { class: c.annotations && ["remove_control", "remove_label", "retype_control"].includes(c.kind) ? "blocked" : "", dataset: { kind: c.kind } },
      h("td", {}, describe(c)), h("td", {}, String(c.annotations)))) : [h("tr", {}, h("td", { colspan: "2", class: "muted" }, t("onto.no_changes")))]));
    $("force-box").hidden = !found.needs_force;
    const touched = found.changes.filter((c) => c.annotations && ["remove_control", "remove_label", "retype_control"].includes(c.kind)).reduce((n, c) => n + c.annotations, 0);
    $("force-said").textContent = fill("onto.needs_force", { n: touched });
    $("save").disabled = !found.changes.length;
    $("impact").hidden = false;
    $("save-status").textContent = "";
  } catch (err) { $("save-status").className = "error"; $("save-status").textContent = problem(err); }
});

$("save").addEventListener("click", async () => {
  try {
    const v = await api("POST", `/projects/${pid}/ontology/versions`, body());
    B.versions.push(v);
    showVersions(B.versions);
    current = { controls: v.ontology.controls };
    renames = []; showRenames(); showControls();
    $("force").checked = false; $("reason").value = "";
    $("impact").hidden = true;
    $("save-status").className = "ok";
    $("save-status").textContent = fill("onto.saved", { version: v.version });
  } catch (err) { $("save-status").className = "error"; $("save-status").textContent = problem(err); }
});

$("rename-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const to = $("rn-to").value.trim();
  if (!to) { $("rn-to").focus(); return; }
  renames.push({ control: $("rn-control").value, ...($("rn-label").value.trim() ? { label: $("rn-label").value.trim() } : {}), to });
  $("rn-label").value = ""; $("rn-to").value = "";
  showRenames(); stale();
});

let timer = null;
const preview = () => renderPreview($("preview"), parsed(), B.sample, {
  t, sampleImage: B.sample_image, item: B.item, // the project's first item, when it has one
  messages: { empty: t("new.preview_empty"), broken: t("new.preview_broken"), failed: (p) => fill("new.err_other", { problem: p }) },
});
$("ontology").addEventListener("input", () => { stale(); clearTimeout(timer); timer = setTimeout(preview, 120); });
$("ontology").value = JSON.stringify(current, null, 2);
showControls();
showVersions(B.versions);
preview();

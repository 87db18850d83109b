// Create a project: an ontology builder that writes the ontology JSON, which
// can also be edited by hand. Mistakes are said in words next to the field
// (the server's checks too, by the field they name), and each message goes
// away as soon as its field is fixed.
import { api } from "./api.js";
import { boot } from "./dom.js";
import { renderPreview } from "./preview.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const fill = (key, vars) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), t(key));
const $ = (id) => document.getElementById(id);
const LIST_KEYS = { choice: "options", multi_choice: "options" };
const NO_SOURCE = new Set(["relations"]);
// Controls that cannot do without labels (the server names any other gap).
const NEEDS_LABELS = new Set(["spans", "relations", "bbox", "polygon", "keypoints"]);

// Each place an error shows, the fields it is about, and the check that says
// whether it still holds (null: fixed).
const PLACES = {
  name: { fields: ["name"], check: () => ($("name").value.trim() ? null : t("new.err_name")) },
  overlap: { fields: ["overlap"], check: () => {
    const n = Number($("overlap").value);
    return Number.isInteger(n) && n >= 1 && n <= 100 ? null : t("new.err_overlap");
  } },
  gold_ratio: { fields: ["gold_ratio"], check: () => {
    const raw = $("gold_ratio").value.trim();
    const x = Number(raw);
    return raw !== "" && x >= 0 && x <= 1 ? null : t("new.err_gold_ratio");
  } },
  builder: { fields: ["c-name", "c-type", "c-options"], check: () => builderProblem()?.[0] ?? null },
  ontology: { fields: ["ontology"], check: () => ontologyProblem() },
};

function show(place, message) {
  const el = $(`${place}-error`);
  el.textContent = message;
  el.hidden = false;
  el.dataset.shown = "1";
  PLACES[place].fields.forEach((id) => $(id).setAttribute("aria-invalid", "true"));
}

function clear(place) {
  const el = $(`${place}-error`);
  el.textContent = "";
  el.hidden = true;
  delete el.dataset.shown;
  delete el.dataset.server;
  PLACES[place].fields.forEach((id) => $(id).removeAttribute("aria-invalid"));
}

// A shown error is checked again as its fields change, and cleared once fixed;
// one from the server (which this page cannot check) clears on any change.
for (const [place, { fields, check }] of Object.entries(PLACES)) {
  for (const id of fields) {
    for (const kind of ["input", "change"]) {
      $(id).addEventListener(kind, () => {
        const el = $(`${place}-error`);
        if (!el.dataset.shown) return;
        const still = el.dataset.server ? null : check();
        if (still) show(place, still); else clear(place);
      });
    }
  }
}

function parsedOntology() {
  try { return JSON.parse($("ontology").value || "{}"); } catch { return null; }
}

function ontologyProblem() {
  const ontology = parsedOntology();
  if (!ontology || typeof ontology !== "object" || Array.isArray(ontology)) return t("new.err_json");
  return null;
}

// [message, field to focus] for the control being added, or null.
function builderProblem() {
  const name = $("c-name").value.trim();
  const type = $("c-type").value;
  const list = $("c-options").value.split(",").map((x) => x.trim()).filter(Boolean);
  if (!name) return [t("new.err_control_name"), "c-name"];
  const taken = (parsedOntology()?.controls || []).some((c) => c?.name === name);
  if (taken) return [t("new.err_control_dup"), "c-name"];
  if (!type) return [t("new.err_type"), "c-type"];
  if (LIST_KEYS[type] && !list.length) return [t("new.err_options"), "c-options"];
  if (NEEDS_LABELS.has(type) && !list.length) return [t("new.err_labels"), "c-options"];
  return null;
}

$("builder").addEventListener("submit", (e) => {
  e.preventDefault();
  const jsonProblem = ontologyProblem();
  if (jsonProblem) { show("ontology", jsonProblem); $("ontology").focus(); return; }
  const problem = builderProblem();
  if (problem) { show("builder", problem[0]); $(problem[1]).focus(); return; }
  clear("builder");
  const ontology = parsedOntology();
  ontology.controls = ontology.controls || [];
  const type = $("c-type").value;
  const control = { name: $("c-name").value.trim(), type };
  if ($("c-source").value.trim() && !NO_SOURCE.has(type)) control.source = $("c-source").value.trim();
  if ($("c-required").checked) control.required = true;
  const list = $("c-options").value.split(",").map((x) => x.trim()).filter(Boolean);
  if (type === "rating") { if (list.length) control.aspects = list; }
  else if (type === "relations") { control.spans = $("c-source").value.trim(); control.labels = list; }
  else if (list.length) control[LIST_KEYS[type] || "labels"] = list;
  ontology.controls.push(control);
  $("ontology").value = JSON.stringify(ontology, null, 2);
  $("ontology").dispatchEvent(new Event("input")); // a server error about the ontology is stale now
  $("c-name").value = ""; $("c-options").value = ""; $("c-type").value = "";
  $("c-name").focus();
});

// The server's error for a field, in the page's words and place.
function showServerError(err, ontology) {
  const code = err.body?.error?.code;
  const field = err.body?.error?.details?.field || "";
  const message = err.body?.error?.message || err.message;
  const problem = message.includes(": ") ? message.slice(message.indexOf(": ") + 2) : message;
  let place = "ontology";
  let text;
  if (code === "conflict") { place = "name"; text = t("new.err_name_taken"); }
  else if (field === "name") { place = "name"; text = t("new.err_name"); }
  else if (field === "overlap") { place = "overlap"; text = t("new.err_overlap"); }
  else if (field === "gold_ratio") { place = "gold_ratio"; text = t("new.err_gold_ratio"); }
  else if (field === "controls") text = t("new.err_no_controls");
  else {
    const m = /^controls\[(\d+)\]\.?([a-z_]*)/.exec(field);
    if (m) {
      const i = Number(m[1]);
      const name = ontology.controls?.[i]?.name || `#${i + 1}`;
      const words = { options: "new.err_options", labels: "new.err_labels", name: "new.err_control_name", type: "new.err_type" };
      text = fill("new.err_in_control", { name, problem: words[m[2]] ? t(words[m[2]]) : problem });
    } else text = fill("new.err_other", { problem });
  }
  show(place, text);
  $(`${place}-error`).dataset.server = "1";
  $(PLACES[place].fields[0]).focus();
}

$("create").addEventListener("click", async () => {
  $("create-status").textContent = "";
  // Every field's own check first, all shown at once; the first wrong one gets the focus.
  const wrong = ["name", "overlap", "gold_ratio", "ontology"].filter((place) => {
    const problem = PLACES[place].check();
    if (problem) show(place, problem); else clear(place);
    return Boolean(problem);
  });
  const ontology = parsedOntology();
  if (!wrong.length && !(ontology.controls || []).length) { show("ontology", t("new.err_no_controls")); wrong.push("ontology"); }
  if (wrong.length) { $(PLACES[wrong[0]].fields[0]).focus(); return; }
  const name = $("name").value.trim();
  ontology.name = ontology.name || name;
  try {
    const project = await api("POST", "/projects", {
      name, ontology, guidelines: $("guidelines").value,
      overlap: Number($("overlap").value), gold_ratio: Number($("gold_ratio").value),
    });
    window.location.assign(`/projects/${project.id}/manage`);
  } catch (err) {
    if (err.body?.error) showServerError(err, ontology);
    else $("create-status").textContent = fill("new.err_other", { problem: err.message });
  }
});

// The templates gallery: a template fills in the ontology (asking first when
// the user has written controls of their own) and gives the preview its sample item.
let sample = B.sample;
const blank = JSON.stringify({ controls: [] }, null, 2);
const byKey = Object.fromEntries((B.templates || []).map((tpl) => [tpl.key, tpl]));
function pick(key) {
  const chosen = byKey[key];
  const next = chosen ? JSON.stringify(chosen.ontology, null, 2) : blank;
  const current = parsedOntology();
  const written = current && (current.controls || []).length && $("ontology").value !== chosenText;
  if (written && $("ontology").value !== next && !window.confirm(t("new.tpl_replace"))) return;
  chosenText = next;
  sample = chosen ? chosen.data : B.sample;
  document.querySelectorAll("#template-gallery .template").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.template === key)));
  $("ontology").value = next;
  $("ontology").dispatchEvent(new Event("input"));
}
let chosenText = null; // the ontology text a template put there, unchanged since
document.querySelectorAll("#template-gallery .template").forEach((b) => b.addEventListener("click", () => pick(b.dataset.template)));

// The live preview (preview.js), rebuilt as the ontology changes.
let previewTimer = null;
const preview = () => renderPreview($("preview"), parsedOntology(), sample, {
  t, sampleImage: B.sample_image,
  messages: { empty: t("new.preview_empty"), broken: t("new.preview_broken"), failed: (problem) => fill("new.err_other", { problem }) },
});
$("ontology").addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 120); });
preview();

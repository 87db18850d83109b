// Create a project: an ontology builder that writes the ontology JSON, which
// can also be edited by hand; the server validates it and names the path of
// any error.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const LIST_KEYS = { choice: "options", multi_choice: "options" };
const NO_SOURCE = new Set(["relations"]);

$("builder").addEventListener("submit", (e) => {
  e.preventDefault();
  let ontology;
  try { ontology = JSON.parse($("ontology").value || "{}"); } catch (err) { $("create-status").textContent = err.message; return; }
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
  $("c-name").value = ""; $("c-options").value = "";
});

$("create").addEventListener("click", async () => {
  let ontology;
  try { ontology = JSON.parse($("ontology").value); } catch (err) { $("create-status").textContent = err.message; return; }
  const name = $("name").value.trim();
  ontology.name = ontology.name || name;
  try {
    const project = await api("POST", "/projects", {
      name, ontology, guidelines: $("guidelines").value,
      overlap: Number($("overlap").value), gold_ratio: Number($("gold_ratio").value),
    });
    window.location.assign(`/projects/${project.id}/manage`);
  } catch (err) { $("create-status").textContent = err.message; }
});

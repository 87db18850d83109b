// The live preview of the annotator's workspace: the workspace's own panels
// (panels.js) on a sample item, for an ontology being edited. Nothing is saved.
import { h } from "./dom.js";
import { Panels, contextBlock } from "./panels.js";

// Fill `box` with the panels of `ontology` (parsed JSON, or null when it does not
// parse) on `sample`, or on a real `item` {id, data, media} of the project (its
// media from the item's own route, as in the workspace); `t` translates,
// `messages` says the empty and broken cases.
export function renderPreview(box, ontology, sample, { t, sampleImage, messages, item = null }) {
  const note = (text) => box.replaceChildren(h("p", { class: "muted", id: "preview-note" }, text));
  const controls = ontology && Array.isArray(ontology.controls) ? ontology.controls.filter((c) => c && typeof c === "object") : null;
  if (!controls) { note(messages.broken); return; }
  if (!controls.length) { note(messages.empty); return; }
  const sampleUrl = (source) => (source === "image" ? sampleImage : "data:,");
  try {
    const panels = item ? new Panels(controls, item.id, item.data, item.media, { t })
      : new Panels(controls, 0, sample, [], { t, urlOf: sampleUrl });
    const context = item ? contextBlock(controls, item.id, item.data, item.media, t)
      : contextBlock(controls, 0, sample, [], t, sampleUrl);
    box.replaceChildren(...context, ...panels.panels);
    panels.start();
    box.onkeydown = (e) => { if (!e.target.closest?.("input, textarea, select") && panels.key(e)) e.preventDefault(); };
  } catch (err) {
    note(messages.failed(err.message));
  }
  box.dataset.controls = String(controls.length);
}

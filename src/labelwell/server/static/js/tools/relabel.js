// Relabelling a region already made, shared by the NER and image tools. A label
// key alone never changes a region: relabelling is its own action, R (or the
// Relabel button) on the selected region, then the new label's key or a label
// click; Esc cancels it.
import { h } from "../dom.js";

// The state of one tool's relabel: `target()` is the selected region ({label})
// or null; `apply(region, name)` gives it the new label; `show()` repaints what
// the tool says about its state; `before()` runs as a relabel starts.
export function relabeller(ctx, { target, apply, show, before = () => {} }) {
  let on = false;
  const button = h("button", { type: "button", class: "small relabel", title: "R", disabled: true, onclick: () => start() },
    `${ctx.t("work.relabel")} (R)`);

  function start() {
    if (!target()) return false;
    before();
    on = true;
    show();
    return true;
  }

  return {
    button,
    start,
    get on() { return on; },
    // R starts a relabel when a region is selected (otherwise the key is not taken).
    key(e) { return (e.key === "r" || e.key === "R") && !e.altKey && !e.ctrlKey && !e.metaKey ? start() : false; },
    // A label picked: finishes a relabel that was started (true), else not ours (false).
    take(name) {
      if (!on) return false;
      on = false;
      const region = target();
      if (region && region.label !== name) apply(region, name);
      show();
      return true;
    },
    cancel() {
      if (!on) return false;
      on = false;
      show();
      return true;
    },
    // The selection changed or went away: a relabel never carries over to another region.
    drop() { on = false; },
    // Called from show(): the region being relabelled, or null; enables the button.
    sync() {
      const region = target();
      if (!region) on = false;
      button.disabled = !region;
      return on ? region : null;
    },
  };
}

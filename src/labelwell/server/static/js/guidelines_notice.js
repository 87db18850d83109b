// "The guidelines changed": the workspace remembers (per browser) the guideline
// version an annotator last saw in each project, and says so when a newer one
// appears, on opening the page or with a task leased under a newer version,
// with a link to what changed.
import { boot, h } from "./dom.js";

const B = boot();
const t = (key) => B.i18n?.[key] ?? key;
const key = `labelwell.guidelines.${B.project.id}`;
const box = document.getElementById("guidelines-changed");

function seen() { return Number(localStorage.getItem(key) || 0); }
function markSeen(version) { localStorage.setItem(key, String(version)); }

export function noticeGuidelines(version) {
  if (!box || !version) return;
  const last = seen();
  if (!last) { markSeen(version); return; } // a first visit: nothing to announce
  if (version <= last) return;
  const url = `/projects/${B.project.id}/guidelines?from_version=${last}&to_version=${version}`;
  box.replaceChildren(
    h("a", { href: url, id: "guidelines-diff-link", target: "_blank", rel: "noopener", onclick: () => markSeen(version) },
      t("guide.changed").replace("{version}", String(version))), " ",
    h("button", { type: "button", class: "small", id: "guidelines-seen", onclick: () => { markSeen(version); box.hidden = true; } }, t("guide.seen")));
  box.hidden = false;
}

noticeGuidelines(B.guideline?.version || 0);

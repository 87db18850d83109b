// Live updates of a project's page: one EventSource on the project's event
// stream (ids and counts only; the page refetches what changed through its
// usual routes) and who is working now, as initials (managers) or a count.
import { api } from "./api.js";

const KINDS = ["annotation.submitted", "annotation.reviewed", "items.changed", "import.published", "job.finished", "reset"];
const PRESENCE_EVERY_MS = 20000;

const initials = (p) => (p.name || p.email.split("@")[0]).split(/[\s@._-]+/).filter(Boolean).slice(0, 2).map((w) => [...w][0].toUpperCase()).join("");

// The element's data-* attributes carry the page's words (data-label, data-count,
// data-nobody, data-page-<page>).
function showPresence(el, found) {
  const words = el.dataset;
  const label = document.createElement("span");
  label.className = "presence-label";
  label.textContent = `${words.label}: `;
  const people = found.data.map((p) => {
    const where = words[`page${p.page[0].toUpperCase()}${p.page.slice(1)}`] || p.page;
    const chip = document.createElement("span");
    chip.className = "avatar";
    chip.dataset.user = p.user_id;
    chip.textContent = initials(p);
    chip.title = `${p.name || p.email} · ${where}`;
    chip.setAttribute("aria-hidden", "true");
    const person = document.createElement("span");
    person.className = "person";
    const page = document.createElement("span");
    page.className = "muted";
    page.textContent = ` · ${where}`;
    person.append(chip, ` ${p.name || p.email.split("@")[0]}`, page);
    return person;
  });
  if (people.length) el.replaceChildren(label, ...people);
  else if (found.count === null) { el.replaceChildren(); el.hidden = true; return; }
  else if (found.data.length === 0 && found.count > 0) el.replaceChildren(words.count.replace("{n}", found.count));
  else el.replaceChildren(label, words.nobody);
  el.hidden = false;
  el.dataset.present = String(found.count ?? 0);
}

// onChange(kind, payload) for every change; presenceEl (optional) shows who is here.
export function live(pid, page, { onChange, presenceEl = null }) {
  const source = new EventSource(`/api/v1/projects/${pid}/events?page=${page}`);
  for (const kind of KINDS) source.addEventListener(kind, (e) => onChange(kind, JSON.parse(e.data || "{}")));
  const refreshPresence = async () => {
    if (!presenceEl) return;
    try { showPresence(presenceEl, await api("GET", `/projects/${pid}/presence`)); } catch { /* next round */ }
  };
  source.addEventListener("presence", refreshPresence);
  source.addEventListener("open", () => { document.body.dataset.live = "open"; refreshPresence(); });
  source.addEventListener("end", () => { source.close(); document.body.dataset.live = "ended"; });
  source.addEventListener("error", () => { document.body.dataset.live = source.readyState === EventSource.CLOSED ? "ended" : "retrying"; });
  setInterval(refreshPresence, PRESENCE_EVERY_MS);
  window.addEventListener("pagehide", () => source.close());
  return source;
}

// Pages without a stream of their own (the workspace, the review page) say
// that someone is working there, every 20 s while the page is open.
export function heartbeat(pid, page) {
  const beat = () => api("POST", `/projects/${pid}/presence`, { page }).catch(() => { /* next beat */ });
  beat();
  return setInterval(beat, PRESENCE_EVERY_MS);
}

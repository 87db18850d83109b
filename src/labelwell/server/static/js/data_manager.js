// The data manager: the project's item table (filters, sort, full-text search,
// columns chosen and ordered, saved views, keyset pages) with bulk actions on
// the ticked rows or on everything the filters select; and one item's view
// with every answer side by side. Item text goes in through textContent only.
import { api } from "./api.js";
import { boot, h } from "./dom.js";
import { live } from "./live.js";

const B = boot();
const t = (key, vars = {}) =>
  (B.i18n?.[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
const $ = (id) => document.getElementById(id);
const controls = B.project?.ontology?.controls || [];
const base = `/projects/${B.project?.id}/data`;

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// ---- the table --------------------------------------------------------------

const SPEC = Object.fromEntries((B.columns || []).map((c) => [c.key, c]));
const state = {
  filters: [], sort: "id", descending: false, search: "", columns: [],
  cursors: [null], index: 0, next: null, limit: 50,
  rows: [], selected: new Set(), allMatching: false, total: null, loads: 0,
};

function applyState(s) {
  state.filters = (s.filters || []).map((f) => ({ ...f }));
  state.sort = s.sort || "id";
  state.descending = !!s.descending;
  state.search = s.search || "";
  state.columns = (s.columns || []).filter((k) => SPEC[k]);
  if (!state.columns.length) state.columns = ["id", "data", "status"];
}

const query = () => ({
  filters: state.filters.filter((f) => f.column && f.op).map((f) => ({ column: f.column, op: f.op, value: f.value ?? null })),
  sort: state.sort, descending: state.descending, search: state.search,
});

const saveLayout = debounce(() => {
  api("PUT", `${base}/layout`, { ...query(), columns: state.columns }).catch(() => {});
}, 400);

function say(text, isError = false) {
  const el = $("dm-status");
  el.textContent = text;
  el.className = isError ? "error" : "muted";
}

const fmt = {
  pct: (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`),
  num: (v, d = 2) => (v === null || v === undefined ? "—" : Number(v).toFixed(d)),
  secs: (ms) => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`),
  when: (iso) => new Date(iso).toLocaleString(),
};
const bestScore = (r) => {
  const scores = r.predictions.map((p) => p.score).filter((s) => s !== null && s !== undefined);
  return scores.length ? Math.max(...scores) : null;
};

const CELLS = {
  id: (r) => h("td", { class: "num" }, h("a", { href: `${base}/${r.id}`, class: "dm-open" }, `#${r.id}`)),
  data: (r) => h("td", { class: "preview", title: r.preview }, r.preview),
  status: (r) => h("td", {}, h("span", { class: `pill ${r.status}` }, r.status)),
  annotations: (r) => h("td", { class: "num" }, String(r.annotations)),
  agreement: (r) => h("td", { class: "num" }, fmt.pct(r.agreement)),
  consensus: (r) => h("td", {}, r.consensus ?? "—"),
  gold: (r) => h("td", { class: r.gold ? "gold" : "" }, r.gold ? "★ gold" : ""),
  model: (r) => h("td", {}, r.predictions.length ? r.predictions[r.predictions.length - 1].model : "—"),
  score: (r) => h("td", { class: "num" }, fmt.num(bestScore(r))),
  uncertainty: (r) => { const s = bestScore(r); return h("td", { class: "num" }, s === null ? "—" : fmt.num(1 - s)); },
  review_state: (r) => h("td", {}, r.review_state ? h("span", { class: `pill ${r.review_state}` }, r.review_state) : ""),
  last_annotator: (r) => h("td", {}, r.last_annotator ?? "—"),
  time_spent: (r) => h("td", { class: "num" }, fmt.secs(r.time_spent_ms)),
  created: (r) => h("td", { class: "when" }, fmt.when(r.created_at)),
};

function renderHead() {
  const all = h("input", { type: "checkbox", id: "dm-check-page", "aria-label": t("dm.select_page"),
    onchange: (e) => { for (const r of state.rows) (e.target.checked ? state.selected.add(r.id) : state.selected.delete(r.id)); state.allMatching = false; renderBody(); renderSelection(); } });
  const cells = state.columns.map((key) => {
    const spec = SPEC[key];
    const label = t(`dm.col.${key}`);
    const sorted = state.sort === key ? (state.descending ? "descending" : "ascending") : null;
    const inner = spec.sortable
      ? h("button", { type: "button", class: "sort", dataset: { sort: key }, onclick: () => {
        if (state.sort === key) state.descending = !state.descending; else { state.sort = key; state.descending = key !== "id" && key !== "created"; }
        syncControls(); refresh();
      } }, label)
      : label;
    return h("th", { scope: "col", "aria-sort": sorted, dataset: { column: key } }, inner);
  });
  $("dm-table").tHead.replaceChildren(h("tr", {}, h("th", { scope: "col" }, all), cells));
}

function renderBody() {
  const body = $("dm-table").tBodies[0];
  if (!state.rows.length) {
    body.replaceChildren(h("tr", {}, h("td", { colspan: state.columns.length + 1, class: "muted" }, t("dm.empty"))));
    return;
  }
  body.replaceChildren(...state.rows.map((r) => {
    const ticked = state.allMatching || state.selected.has(r.id);
    const box = h("input", { type: "checkbox", checked: ticked, disabled: state.allMatching, "aria-label": `#${r.id}`,
      onchange: (e) => { (e.target.checked ? state.selected.add(r.id) : state.selected.delete(r.id)); tr.classList.toggle("selected", e.target.checked); renderSelection(); } });
    const tr = h("tr", { class: ticked ? "selected" : "", dataset: { id: r.id } }, h("td", {}, box), state.columns.map((k) => CELLS[k](r)));
    return tr;
  }));
  const page = $("dm-check-page");
  if (page) page.checked = state.rows.every((r) => state.allMatching || state.selected.has(r.id));
}

function renderSelection() {
  const n = state.allMatching ? state.total : state.selected.size;
  $("dm-selected").textContent = n ? t("dm.selected", { n }) : "";
  const pageFull = state.rows.length && state.rows.every((r) => state.selected.has(r.id));
  const more = !state.allMatching && pageFull && state.total !== null && state.total > state.selected.size;
  $("dm-select-all").hidden = !more;
  if (more) $("dm-select-all").textContent = t("dm.select_all", { n: state.total });
  $("dm-clear-selection").hidden = !n;
  if (state.allMatching) say(t("dm.all_selected", { n: state.total }));
}

// Each load and count has a number; an answer to an older one is dropped, so a
// slow response never overwrites a newer query's rows.
let loadNo = 0;
let countNo = 0;

// ``first``: a page already at hand (the table's first one comes with the
// page itself, so opening the table costs no request of its own).
async function load(first = null) {
  const table = $("dm-table");
  table.setAttribute("aria-busy", "true");
  const mine = ++loadNo;
  try {
    const asked = query();
    const page = first || await api("POST", `${base}/items`, { ...asked, cursor: state.cursors[state.index], limit: state.limit });
    if (mine !== loadNo) return;
    state.rows = page.data;
    state.next = page.next_cursor;
    table.dataset.search = asked.search; // what the rows shown were searched with
    renderHead();
    renderBody();
    $("dm-prev").disabled = state.index === 0;
    $("dm-next").disabled = !state.next;
    $("dm-page").textContent = `${state.index * state.limit + (state.rows.length ? 1 : 0)}–${state.index * state.limit + state.rows.length}`;
    renderSelection();
  } catch (err) {
    if (mine === loadNo) say(err.message, true);
  } finally {
    if (mine === loadNo) {
      state.loads += 1;
      table.setAttribute("aria-busy", "false");
      document.body.dataset.loads = String(state.loads);
    }
  }
}

// Counts already made, by filters and search (a sort changes no count): a
// view seen before shows its last count as "about" at once, until the new
// exact one comes.
const counted = new Map();
const countKey = (q) => JSON.stringify([q.filters, q.search]);
const about = (n) => new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(n);

// The count reads every selected item (seconds at a million): it is asked once
// the rows are shown, so that it never delays them, and only for a query that
// stays a moment, so that quick changes of filter and sort do not each start one.
async function askCount() {
  const mine = countNo;
  const asked = query();
  const key = countKey(asked);
  try {
    const total = (await api("POST", `${base}/count`, asked)).count;
    counted.set(key, total);
    if (mine !== countNo) return;
    state.total = total;
    $("dm-count").textContent = t("dm.items", { n: state.total.toLocaleString() });
    renderSelection();
  } catch (err) { if (mine === countNo) { $("dm-count").textContent = ""; say(err.message, true); } }
}
const countLater = debounce(askCount, 500);

function count({ now = false } = {}) {
  countNo += 1;
  const known = counted.get(countKey(query()));
  if (!state.allMatching) { // "select all" and "delete all" wait for the exact count
    state.total = null;
    renderSelection();
  }
  $("dm-count").textContent = known === undefined ? t("dm.counting") : t("dm.items_about", { n: about(known) });
  if (now) askCount(); else countLater();
}

const loadThenCount = () => load().then(() => count());

function refresh({ keepSelection = false } = {}) {
  state.cursors = [null];
  state.index = 0;
  if (!keepSelection) { state.selected.clear(); state.allMatching = false; }
  say("");
  loadThenCount();
  saveLayout();
}

// ---- filters, sort, columns, views --------------------------------------------

function valueInput(f, spec, onchange) {
  const label = { "aria-label": `${t(`dm.col.${spec.key}`)} ${t(`dm.op.${f.op}`)}` };
  if (["empty", "not_empty"].includes(f.op)) return null;
  if (spec.kind === "choice" || spec.kind === "bool") {
    const options = spec.kind === "bool" ? ["true", "false"] : spec.choices;
    if (!options.includes(String(f.value))) f.value = options[0];
    return h("select", { ...label, onchange: (e) => { f.value = e.target.value; onchange(); } },
      options.map((o) => h("option", { value: o, selected: String(f.value) === o }, o)));
  }
  const type = spec.kind === "number" ? "number" : spec.kind === "time" ? "date" : "text";
  return h("input", { ...label, type, step: type === "number" ? "any" : null, value: f.value ?? "",
    oninput: debounce((e) => { f.value = type === "number" && e.target.value !== "" ? Number(e.target.value) : e.target.value; onchange(); }, 350) });
}

function renderFilters() {
  const changed = () => { renderFilters(); refresh(); };
  $("dm-filters").replaceChildren(...state.filters.map((f, i) => {
    const spec = SPEC[f.column];
    const column = h("select", { "aria-label": t("dm.filters"), onchange: (e) => {
      f.column = e.target.value; f.op = SPEC[f.column].operators[0]; f.value = null; changed();
    } }, Object.values(SPEC).map((c) => h("option", { value: c.key, selected: c.key === f.column }, t(`dm.col.${c.key}`))));
    const op = h("select", { "aria-label": `${t(`dm.col.${f.column}`)} operator`, onchange: (e) => { f.op = e.target.value; changed(); } },
      spec.operators.map((o) => h("option", { value: o, selected: o === f.op }, t(`dm.op.${o}`))));
    const remove = h("button", { type: "button", class: "small", onclick: () => { state.filters.splice(i, 1); changed(); } }, t("dm.remove"));
    return h("div", { class: "dm-filter", dataset: { column: f.column } }, column, op, valueInput(f, spec, () => refresh()), remove);
  }));
}

function renderColumns() {
  const order = [...state.columns, ...Object.keys(SPEC).filter((k) => !state.columns.includes(k))];
  $("dm-column-list").replaceChildren(...order.map((key) => {
    const shown = state.columns.includes(key);
    const move = (step) => {
      const i = state.columns.indexOf(key);
      const j = i + step;
      if (i < 0 || j < 0 || j >= state.columns.length) return;
      [state.columns[i], state.columns[j]] = [state.columns[j], state.columns[i]];
      renderColumns(); renderHead(); renderBody(); saveLayout();
    };
    return h("li", { dataset: { column: key } },
      h("label", {}, h("input", { type: "checkbox", checked: shown, onchange: (e) => {
        if (e.target.checked) state.columns.push(key);
        else if (state.columns.length > 1) state.columns = state.columns.filter((k) => k !== key);
        else e.target.checked = true;
        renderColumns(); renderHead(); renderBody(); saveLayout();
      } }), ` ${t(`dm.col.${key}`)}`),
      h("button", { type: "button", class: "small up", "aria-label": `${t("dm.up")}: ${t(`dm.col.${key}`)}`, disabled: !shown, onclick: () => move(-1) }, "↑"),
      h("button", { type: "button", class: "small down", "aria-label": `${t("dm.down")}: ${t(`dm.col.${key}`)}`, disabled: !shown, onclick: () => move(1) }, "↓"));
  }));
}

function syncControls() {
  $("dm-search").value = state.search;
  $("dm-sort").value = state.sort;
  $("dm-desc").checked = state.descending;
  renderFilters();
  renderColumns();
}

let savedViews = B.views || [];
function renderViews(selectedId = "") {
  $("dm-views").replaceChildren(h("option", { value: "" }, t("dm.view_none")),
    ...savedViews.map((v) => h("option", { value: String(v.id), selected: String(v.id) === String(selectedId) }, v.name)));
  $("dm-delete-view").disabled = !selectedId;
}

// ---- actions --------------------------------------------------------------------

function selection() {
  if (state.allMatching) return { filter: query() };
  return state.selected.size ? { item_ids: [...state.selected] } : null;
}

function goldInput() {
  const choice = controls.find((c) => c.type === "choice" && (c.options || c.labels));
  if (choice) {
    const options = (choice.options || choice.labels).map((o) => (typeof o === "string" ? o : o.name));
    const select = h("select", { id: "dm-gold-value", "aria-label": t("dm.gold_answer") }, options.map((o) => h("option", { value: o }, o)));
    return { el: select, result: () => ({ [choice.name]: select.value }) };
  }
  const text = h("input", { id: "dm-gold-value", "aria-label": t("dm.gold_answer"), placeholder: '{"control": "value"}', size: 24 });
  return { el: text, result: () => JSON.parse(text.value || "{}") };
}

async function act(action, extra = {}) {
  const picked = selection();
  if (!picked) { say(t("dm.nothing_selected"), true); return; }
  try {
    const out = await api("POST", `${base}/actions/${action}`, { ...picked, ...extra });
    say(out.job_id
      ? t("dm.prelabel_queued", { n: out.selected, job: out.job_id })
      : t("dm.done", { action: t(`dm.${action}`), changed: out.changed, selected: out.selected, skipped: out.skipped }));
    state.selected.clear(); state.allMatching = false;
    loadThenCount();
  } catch (err) { say(err.message, true); }
}

async function exportSelection() {
  const picked = selection();
  if (!picked) { say(t("dm.nothing_selected"), true); return; }
  const format = $("dm-format").value;
  const response = await api("POST", `${base}/export`, { ...picked, format }, { raw: true });
  if (!response.ok) { const body = await response.json().catch(() => null); say(body?.error?.message || `HTTP ${response.status}`, true); return; }
  const blob = await response.blob();
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)/i.exec(response.headers.get("content-disposition") || "")?.[1] || `selection.${format}`;
  const link = h("a", { href: URL.createObjectURL(blob), download: decodeURIComponent(name) });
  document.body.append(link);
  link.click();
  link.remove();
  say(`${t("dm.export")}: ${decodeURIComponent(name)}`);
}

function tablePage() {
  applyState(B.layout || {});
  for (const c of Object.values(SPEC)) if (c.sortable) $("dm-sort").append(h("option", { value: c.key }, t(`dm.col.${c.key}`)));
  syncControls();
  renderViews();
  const gold = goldInput();
  $("dm-gold-answer").replaceChildren(gold.el);

  $("dm-search").addEventListener("input", debounce((e) => { state.search = e.target.value; refresh(); }, 300));
  $("dm-sort").addEventListener("change", (e) => { state.sort = e.target.value; refresh(); });
  $("dm-desc").addEventListener("change", (e) => { state.descending = e.target.checked; refresh(); });
  $("dm-add-filter").addEventListener("click", () => {
    state.filters.push({ column: "status", op: "eq", value: "open" });
    renderFilters(); refresh();
  });
  $("dm-columns-toggle").addEventListener("click", (e) => {
    const panel = $("dm-columns");
    panel.hidden = !panel.hidden;
    e.target.setAttribute("aria-expanded", String(!panel.hidden));
  });
  $("dm-views").addEventListener("change", (e) => {
    const view = savedViews.find((v) => String(v.id) === e.target.value);
    $("dm-delete-view").disabled = !view;
    if (!view) return;
    applyState(view.state);
    $("dm-view-name").value = view.name;
    syncControls(); refresh();
  });
  $("dm-save-view").addEventListener("click", async () => {
    const name = $("dm-view-name").value.trim();
    if (!name) { $("dm-view-name").focus(); return; }
    try {
      const saved = await api("PUT", `${base}/views`, { name, ...query(), columns: state.columns });
      savedViews = [...savedViews.filter((v) => v.id !== saved.id), saved].sort((a, b) => a.name.localeCompare(b.name));
      renderViews(saved.id);
      say(`${t("dm.save_view")}: ${name}`);
    } catch (err) { say(err.message, true); }
  });
  $("dm-delete-view").addEventListener("click", async () => {
    const id = $("dm-views").value;
    if (!id) return;
    try {
      await api("DELETE", `${base}/views/${id}`);
      savedViews = savedViews.filter((v) => String(v.id) !== id);
      renderViews();
    } catch (err) { say(err.message, true); }
  });
  $("dm-prev").addEventListener("click", () => { if (state.index > 0) { state.index -= 1; load(); } });
  $("dm-next").addEventListener("click", () => {
    if (!state.next) return;
    state.cursors[state.index + 1] = state.next;
    state.index += 1;
    load();
  });
  $("dm-limit").addEventListener("change", (e) => { state.limit = Number(e.target.value); refresh({ keepSelection: true }); });
  $("dm-select-all").addEventListener("click", () => { state.allMatching = true; renderBody(); renderSelection(); });
  $("dm-clear-selection").addEventListener("click", () => { state.selected.clear(); state.allMatching = false; say(""); renderBody(); renderSelection(); });

  for (const button of document.querySelectorAll("[data-action]")) {
    const action = button.dataset.action;
    button.addEventListener("click", () => {
      if (action === "gold_set") {
        let result;
        try { result = gold.result(); } catch (err) { say(err.message, true); return; }
        act(action, { result });
      } else if (action === "assign" || action === "unassign") {
        const userIds = [...$("dm-assignees").selectedOptions].map((o) => Number(o.value));
        if (action === "assign" && !userIds.length) { say(t("dm.pick_assignees"), true); $("dm-assignees").focus(); return; }
        act(action, userIds.length ? { user_ids: userIds } : {});
      } else if (action === "delete") {
        const n = state.allMatching ? state.total : state.selected.size;
        if (!n) { say(t("dm.nothing_selected"), true); return; }
        $("dm-confirm-text").textContent = t("dm.delete_confirm", { n });
        $("dm-confirm-yes").textContent = t("dm.delete_yes", { n });
        $("dm-confirm-yes").onclick = () => { $("dm-confirm").hidden = true; act("delete", { confirm: n }); };
        $("dm-confirm").hidden = false;
        $("dm-confirm-no").focus();
      } else {
        act(action);
      }
    });
  }
  $("dm-confirm-no").addEventListener("click", () => { $("dm-confirm").hidden = true; });
  $("dm-export").addEventListener("click", () => exportSelection().catch((err) => say(err.message, true)));
  state.limit = Number($("dm-limit").value) || state.limit;
  // The rows come with the page; the count (0.3 to 0.5 s of the database's time
  // at a million items, on several cores on PostgreSQL) and the live stream
  // start once the page has loaded, so that they never compete with its first paint.
  load(B.first && B.first.limit === state.limit ? B.first.page : null).then(loaded).then(() => {
    liveTable();
    count({ now: true });
  });
}

// Resolves once the page has loaded (its scripts, styles and images).
const loaded = () => new Promise((resolve) => {
  if (document.readyState === "complete") resolve();
  else window.addEventListener("load", () => resolve(), { once: true });
});

// ---- live ------------------------------------------------------------------------

// Rows on screen whose items changed reload in place (same page, same selection);
// changes elsewhere are counted in a banner whose button reloads the table.
function liveTable() {
  const banner = $("dm-live");
  let labels = 0;
  let other = false;
  const reloadShown = debounce(() => load().then(count), 400);
  const showBanner = () => {
    const words = [labels ? banner.dataset.new.replace("{n}", labels) : null, other ? banner.dataset.changed : null];
    $("dm-live-text").textContent = words.filter(Boolean).join(" · ");
    banner.hidden = false;
  };
  $("dm-live-refresh").addEventListener("click", () => { labels = 0; other = false; banner.hidden = true; refresh({ keepSelection: true }); });
  live(B.project.id, "data", {
    presenceEl: $("presence"),
    onChange: (kind, payload) => {
      const ids = payload.item_ids || (payload.item_id ? [payload.item_id] : []);
      const shown = new Set(state.rows.map((r) => r.id));
      if (kind === "reset" || ids.some((id) => shown.has(id))) { reloadShown(); return; }
      if (kind === "annotation.submitted") labels += 1;
      else if (kind !== "job.finished") other = true;
      else return;
      showBanner();
    },
  });
}

// ---- one item -------------------------------------------------------------------

function dataView(data) {
  return Object.entries(data).map(([key, value]) => h("div", { class: "item-text" }, h("strong", {}, `${key}: `),
    typeof value === "string" ? value : JSON.stringify(value)));
}

// The answers' renderers (render.js and every tool it draws with, some 110 kB
// of modules) are loaded by the item page only: the table opens without them.
async function itemPage() {
  const { resultView } = await import("./render.js");
  const item = B.item;
  // the item's own media, so audio regions sit on its waveform, tracks on its frames
  const media = { id: item.id, media: item.media || [] };
  $("dm-item-title").textContent = t("dm.item.title", { id: item.id }) + (item.external_id ? ` · ${item.external_id}` : "");
  $("dm-item-state").textContent = [item.status, item.review_state, item.is_gold ? "★ gold" : null].filter(Boolean).join(" · ");
  $("dm-item-data").replaceChildren(...dataView(item.data));
  const cards = B.annotations.map((a) => h("article", { class: `annotation card${a.is_current ? "" : " history"}`, dataset: { annotation: a.id } },
    h("h3", {}, a.agent),
    h("p", { class: "muted" }, [a.source, a.status, `r${a.revision}`, a.is_current ? null : t("dm.item.history"),
      a.time_spent_ms ? fmt.secs(a.time_spent_ms) : null, fmt.when(a.created_at)].filter(Boolean).join(" · ")),
    resultView(controls, a.result, item.data, media)));
  $("dm-answers").replaceChildren(...(cards.length ? cards : [h("p", { class: "muted" }, t("dm.item.no_answers"))]));
  $("dm-predictions").replaceChildren(...(B.predictions.length ? B.predictions.map((p) => h("div", { class: "prediction" },
    h("strong", {}, `${p.model}${p.version ? `@${p.version}` : ""}`), ` ${fmt.num(p.score)}`, resultView(controls, p.result, item.data, media))) : [h("p", { class: "muted" }, "—")]));
  $("dm-gold").replaceChildren(B.gold ? resultView(controls, B.gold, item.data, media) : h("p", { class: "muted" }, "—"));
  document.body.dataset.loads = "1";
}

if (B.kind === "item") itemPage();
else tablePage();

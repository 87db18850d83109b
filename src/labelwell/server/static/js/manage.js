// The manager's console: settings, guidelines (a new version per save),
// import with line-numbered errors, members, their tokens (admins), export.
import { api } from "./api.js";
import { boot } from "./dom.js";
import { live } from "./live.js";

const B = boot();
const pid = B.project.id;
const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) =>
  (B.i18n?.[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
const say = (id, message, ok) => { const el = $(id); el.textContent = message; el.className = ok === undefined ? "error" : ok ? "ok" : ""; };

$("settings-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    overlap: Number($("overlap").value), gold_ratio: Number($("gold_ratio").value), lease_seconds: Number($("lease_seconds").value),
    blind: $("blind").checked, show_predictions: $("show_predictions").checked,
    required_skills: $("required_skills").value.split(",").map((x) => x.trim()).filter(Boolean),
  };
  // Free-form settings (settings.gold_feedback) are merged key by key by their own route.
  const feedback = $("gold_feedback").checked;
  try {
    await api("PATCH", `/projects/${pid}`, body);
    if (feedback !== Boolean(B.settings?.gold_feedback)) B.settings = await api("PATCH", `/projects/${pid}/settings`, { gold_feedback: feedback });
    say("settings-status", "✓", true);
  } catch (err) { say("settings-status", err.message); }
});

$("guideline-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const g = await api("POST", `/projects/${pid}/guidelines`, { text: $("guideline").value });
    say("guideline-status", `✓ v${g.version}`, true);
  } catch (err) { say("guideline-status", err.message); }
});

$("import-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const file = $("import-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  // With a model, a label file goes onto the items it names as that model's predictions.
  const model = $("import-model").value.trim();
  const query = new URLSearchParams();
  if ($("import-format").value) query.set("format", $("import-format").value);
  if (model) query.set("model", model);
  const bar = $("import-progress");
  bar.hidden = false; bar.value = 0;
  say("import-status", "…", null);
  // XMLHttpRequest rather than fetch: it reports upload progress.
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/v1/projects/${pid}/${model ? "import-predictions" : "import"}?${query}`);
  xhr.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content);
  xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = ev.loaded / ev.total; };
  xhr.onload = () => {
    bar.value = 1;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
    if (xhr.status === 201 && model) say("import-status", `✓ ${t("imp.attached", { n: body.count, model, file: file.name })}`, true);
    else if (xhr.status === 201) say("import-status", `✓ ${t("imp.imported", { n: body.n_items ?? body.count ?? "", file: body.filename ?? file.name })}`, true);
    else say("import-status", body?.error?.message || `HTTP ${xhr.status}`);
  };
  xhr.onerror = () => say("import-status", "network error");
  xhr.send(form);
});

$("member-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const m = await api("PUT", `/projects/${pid}/members/${$("member-user").value}`, { role: $("member-role").value });
    say("member-status", `✓ ${m.email}: ${m.role}`, true);
  } catch (err) { say("member-status", err.message); }
});

// Admins: a member's API tokens and web sessions, each revocable (never the secrets).
async function showTokens(userId) {
  const table = $("tokens");
  const body = table.querySelector("tbody");
  const page = await api("GET", `/users/${userId}/tokens`);
  const live = page.data.filter((t) => !t.revoked_at && (!t.expires_at || new Date(t.expires_at) > new Date()));
  body.replaceChildren(...live.map((t) => {
    const row = document.createElement("tr");
    row.dataset.token = t.id;
    for (const text of [t.kind, `${t.name || ""} ${t.prefix}…`, t.last_used_at ? new Date(t.last_used_at).toLocaleString() : "-",
      t.expires_at ? new Date(t.expires_at).toLocaleString() : "-"]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small revoke";
    button.textContent = table.dataset.revoke;
    button.addEventListener("click", async () => {
      try {
        await api("DELETE", `/users/${userId}/tokens/${t.id}`);
        await showTokens(userId);
        say("tokens-status", "✓", true);
      } catch (err) { say("tokens-status", err.message); }
    });
    const cell = document.createElement("td");
    cell.append(button);
    row.append(cell);
    return row;
  }));
  table.hidden = false;
  say("tokens-status", live.length ? "" : table.dataset.none, true);
}

$("tokens-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  try { await showTokens($("tokens-user").value); } catch (err) { say("tokens-status", err.message); }
});

// Export: the list holds only the formats that fit this project (the server asks the
// exporter registry). A click asks the server first: a refusal (422) shows its
// reason here; otherwise the browser downloads the file itself, streamed.
$("export-list").addEventListener("click", async (e) => {
  const link = e.target.closest("a[data-format]");
  if (!link) return;
  e.preventDefault();
  say("export-status", "…", null);
  const stop = new AbortController();
  try {
    const response = await fetch(link.href, { credentials: "same-origin", signal: stop.signal });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      say("export-status", body?.error?.message || `HTTP ${response.status}`);
      return;
    }
    stop.abort();
    const download = document.createElement("a");
    download.href = link.href;
    download.download = "";
    document.body.append(download);
    download.click();
    download.remove();
    say("export-status", `✓ ${link.dataset.format}`, true);
  } catch (err) { say("export-status", err.message); }
});

// Archive or delete, each confirmed in a dialog that offers the export first;
// a delete is confirmed by typing the project's name.
const lifeDialog = $("life-dialog");
function confirmLife(kind) {
  const ok = $("life-ok");
  $("life-dialog-title").textContent = ok.dataset[kind];
  ok.textContent = ok.dataset[kind];
  ok.dataset.kind = kind;
  ok.classList.toggle("danger", kind === "delete");
  $("life-confirm-name").hidden = kind !== "delete";
  $("life-name").value = "";
  ok.disabled = kind === "delete";
  lifeDialog.showModal();
}
$("life-name").addEventListener("input", () => { $("life-ok").disabled = $("life-name").value.trim() !== $("life-name").dataset.name; });
$("life-cancel").addEventListener("click", () => lifeDialog.close());
$("archive")?.addEventListener("click", () => confirmLife("archive"));
$("delete").addEventListener("click", () => confirmLife("delete"));
$("restore")?.addEventListener("click", async () => {
  try { await api("POST", `/projects/${pid}/restore`); window.location.reload(); } catch (err) { say("life-status", err.message); }
});
$("life-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const kind = $("life-ok").dataset.kind;
  try {
    if (kind === "archive") await api("POST", `/projects/${pid}/archive`);
    else await api("DELETE", `/projects/${pid}?confirm=${encodeURIComponent($("life-name").value.trim())}`);
    lifeDialog.close();
    window.location.assign(kind === "archive" ? "/projects?archived=true" : "/projects");
  } catch (err) { lifeDialog.close(); say("life-status", err.message); }
});

// Live: the dashboard's numbers and charts follow what commits (the section is
// refetched at most once a second); who is working now shows above them.
const dashboard = $("dashboard");
let redrawing = null;
async function redraw() {
  try {
    const page = await fetch(window.location.href, { credentials: "same-origin" });
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html").getElementById("dashboard");
    if (!fresh) return;
    fresh.querySelector("#presence")?.replaceWith($("presence"));
    dashboard.replaceChildren(...fresh.childNodes);
    dashboard.dataset.updates = String(Number(dashboard.dataset.updates || 0) + 1);
  } finally { redrawing = null; }
}
live(pid, "dashboard", {
  presenceEl: $("presence"),
  onChange: (kind) => { if (kind !== "job.finished" && !redrawing) redrawing = setTimeout(redraw, 1000); },
});

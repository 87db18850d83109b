// RLHF: pairwise comparison with a reason, ranking of 3+ responses (drag or
// keyboard) and correction of a response with a word diff against the original.
import { h } from "../dom.js";

// A response's letter as a badge (drawn from data-letter: its text is said once,
// by the name beside it).
export const letterBadge = (letter) => h("span", { class: "letter", "aria-hidden": "true", dataset: { letter } });
const responsesOf = (control, data) => (Array.isArray(data[control.source || "responses"]) ? data[control.source || "responses"] : []);

export function promptBlock(data, ctx) {
  return h("div", { class: "prompt" }, h("h3", {}, ctx.t("work.prompt")), h("div", { class: "item-text" }, String(data.prompt ?? "")));
}

export function pairwise(control, data, ctx) {
  const [a, b] = responsesOf(control, data);
  const choices = [["a", ctx.t("work.a_better")], ["b", ctx.t("work.b_better")]];
  if (control.allow_tie !== false) choices.push(["tie", ctx.t("work.tie")]);
  if (control.allow_both_bad !== false) choices.push(["both_bad", ctx.t("work.both_bad")]);
  let choice = null;
  const reason = h("textarea", { rows: 2, "aria-label": ctx.t("work.reason"), placeholder: ctx.t("work.reason") + (control.require_reason ? " *" : "") });
  reason.addEventListener("change", () => ctx.changed());
  const buttons = choices.map(([value, label], i) => h("button", { type: "button", class: "choice-button", "aria-pressed": "false", dataset: { choice: value },
    onclick: () => { choice = value; sync(); ctx.changed(); } }, h("kbd", {}, String(i + 1)), " ", label));
  const sync = () => buttons.forEach((b) => { const on = b.dataset.choice === choice; b.classList.toggle("active", on); b.setAttribute("aria-pressed", String(on)); });
  // Blind evaluation: a response is A or B only, never the model that wrote it.
  const col = (resp, name) => h("div", { class: "response card" }, h("h3", {}, letterBadge(name), `${ctx.t("work.response")} ${name}`),
    h("div", { class: "item-text" }, String(resp?.text ?? "")));
  const el = h("div", { class: "pairwise" }, promptBlock(data, ctx), h("div", { class: "columns" }, col(a, "A"), col(b, "B")),
    h("div", { class: "choice-row" }, buttons), reason);
  return {
    el,
    get: () => (choice ? (reason.value.trim() ? { choice, reason: reason.value } : { choice }) : null),
    set: (v) => { choice = v?.choice ?? null; reason.value = v?.reason ?? ""; sync(); },
    key(e) {
      const n = Number(e.key);
      if (n >= 1 && n <= choices.length) { choice = choices[n - 1][0]; sync(); ctx.changed(); return true; }
      return false;
    },
  };
}

export function ranking(control, data, ctx) {
  const responses = responsesOf(control, data);
  const byId = new Map(responses.map((r) => [String(r.id), r]));
  // Responses are named by their place in the item (A, B, C...), as in pairwise
  // and the correction panel.
  const letter = new Map(responses.map((r, i) => [String(r.id), String.fromCharCode(65 + i)]));
  const ties = Boolean(control.allow_ties);
  let order = responses.map((r) => String(r.id));
  let tied = new Set(); // responses tied with the one above them (allow_ties)
  let touched = false;
  let focus = 0;
  const list = h("ol", { class: `ranking${ties ? " ties" : ""}`, "aria-label": control.name });
  const isTied = (i) => i > 0 && tied.has(order[i]);
  const move = (from, to) => {
    if (to < 0 || to >= order.length || from === to) return;
    const next = [...order];
    const [id] = next.splice(from, 1);
    next.splice(to, 0, id);
    tied.delete(id); // a response moved on its own leaves its tie
    order = next; focus = to; touched = true; ctx.changed(); render();
  };
  const toggleTie = (i) => {
    if (!ties || i < 1) return;
    const id = order[i];
    if (tied.has(id)) tied.delete(id); else tied.add(id);
    focus = i; touched = true; ctx.changed(); render();
  };
  function render() {
    let place = 0;
    list.replaceChildren(...order.map((id, i) => {
      if (!isTied(i)) place += 1;
      const r = byId.get(id);
      const L = letter.get(id);
      const li = h("li", { class: `rank-item card${i === focus ? " focused" : ""}${isTied(i) ? " tied" : ""}`, draggable: "true", tabindex: "0", dataset: { id, place: String(place) } },
        h("span", { class: "rank" }, isTied(i) ? `=${place}` : String(place)),
        h("div", {}, h("strong", { class: "response-name" }, letterBadge(L), `${ctx.t("work.response")} ${L}`),
          isTied(i) ? h("span", { class: "muted" }, ` · ${ctx.t("work.tied")}`) : null,
          h("div", { class: "item-text" }, String(r?.text ?? ""))),
        h("span", { class: "rank-buttons" },
          ties && i > 0 ? h("button", { type: "button", class: "small tie", "aria-pressed": String(isTied(i)), title: "T",
            onclick: (e) => { e.stopPropagation(); toggleTie(i); } }, isTied(i) ? ctx.t("work.untie") : `= ${ctx.t("work.tie_above")}`) : null,
          h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.move_up")} ${i + 1}`, onclick: () => move(i, i - 1) }, "↑"),
          h("button", { type: "button", class: "small", "aria-label": `${ctx.t("work.move_down")} ${i + 1}`, onclick: () => move(i, i + 1) }, "↓")));
      li.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/plain", String(i)); });
      li.addEventListener("dragover", (e) => e.preventDefault());
      li.addEventListener("drop", (e) => { e.preventDefault(); move(Number(e.dataTransfer.getData("text/plain")), i); });
      li.addEventListener("click", () => { focus = i; render(); });
      return li;
    }));
  }
  render();
  return {
    el: h("div", { class: "ranking-tool" }, promptBlock(data, ctx), list),
    // Tiers best first; tied responses share a tier.
    get: () => {
      if (!touched) return null;
      const tiers = [];
      order.forEach((id, i) => { if (isTied(i)) tiers[tiers.length - 1].push(id); else tiers.push([id]); });
      return tiers;
    },
    set: (v) => {
      touched = Boolean(v);
      order = v ? v.flat().map(String) : responses.map((r) => String(r.id));
      tied = new Set(v ? v.flatMap((tier) => (Array.isArray(tier) ? tier.slice(1) : [])).map(String) : []);
      render();
    },
    key(e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        const step = e.key === "ArrowDown" ? 1 : -1;
        if (e.altKey || e.shiftKey) move(focus, focus + step);
        else { focus = Math.min(order.length - 1, Math.max(0, focus + step)); render(); }
        return true;
      }
      if (ties && (e.key === "t" || e.key === "T")) { toggleTie(focus); return true; }
      const n = Number(e.key);
      if (n >= 1 && n <= order.length) { move(focus, n - 1); return true; }
      if (e.key === "Enter" && !touched) { touched = true; ctx.changed(); return false; }
      return false;
    },
  };
}

// Word-level diff by longest common subsequence (fine for responses of a few
// thousand words; the table is O(n·m)).
export function diffWords(before, after) {
  const a = before.split(/(\s+)/u), b = after.split(/(\s+)/u);
  if (a.length * b.length > 4e6) return [["-", before], ["+", after]];
  const n = a.length, m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) for (let j = m - 1; j >= 0; j -= 1) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  const push = (op, t) => { if (out.length && out[out.length - 1][0] === op) out[out.length - 1][1] += t; else out.push([op, t]); };
  while (i < n && j < m) {
    if (a[i] === b[j]) { push("=", a[i]); i += 1; j += 1; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) { push("-", a[i]); i += 1; }
    else { push("+", b[j]); j += 1; }
  }
  while (i < n) push("-", a[i++]);
  while (j < m) push("+", b[j++]);
  return out;
}

export function correction(control, data, ctx) {
  const responses = responsesOf(control, data);
  const pick = h("select", { "aria-label": ctx.t("work.response") }, responses.map((r, i) => h("option", { value: String(r.id) }, `${ctx.t("work.response")} ${String.fromCharCode(65 + i)}`)));
  const area = h("textarea", { rows: 6, class: "correction", "aria-label": control.name, maxlength: control.max_length || undefined });
  const diff = h("div", { class: "diff item-text", "aria-label": ctx.t("work.diff") });
  const original = () => String(responses.find((r) => String(r.id) === pick.value)?.text ?? "");
  const showDiff = () => diff.replaceChildren(...diffWords(original(), area.value).map(([op, t]) => (op === "=" ? document.createTextNode(t) : h(op === "+" ? "ins" : "del", {}, t))));
  pick.addEventListener("change", () => { area.value = original(); showDiff(); ctx.changed(); });
  area.addEventListener("input", showDiff);
  area.addEventListener("change", () => ctx.changed());
  area.value = original();
  showDiff();
  const badge = letterBadge("A");
  const showLetter = () => { badge.dataset.letter = String.fromCharCode(65 + Math.max(0, pick.selectedIndex)); };
  pick.addEventListener("change", showLetter);
  showLetter();
  return {
    el: h("div", { class: "correction-tool" }, h("div", { class: "pick" }, badge, pick), area, h("h4", {}, ctx.t("work.diff")), diff),
    get: () => (area.value !== original() ? { response_id: pick.value, text: area.value } : null),
    set: (v) => { if (v?.response_id) pick.value = String(v.response_id); area.value = v?.text ?? original(); showDiff(); showLetter(); },
    key: () => false,
    focus: () => area.focus(),
  };
}

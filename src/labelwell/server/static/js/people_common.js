// Shared by the People pages: translated text with {placeholders}, and the
// one-time invite link box (shown once, copied with a button).
import { boot } from "./dom.js";

export const B = boot();
export const t = (key, vars = {}) =>
  (B.i18n?.[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
export const $ = (id) => document.getElementById(id);

export function say(el, message, kind = "") {
  el.textContent = message;
  el.className = `status ${kind}`;
}

export function showInvite(invite) {
  const when = new Date(invite.expires_at).toLocaleString();
  $("invite-text").textContent = t("people.invite_link", { when });
  $("invite-url").value = invite.url;
  $("invite").hidden = false;
  $("invite-copy").textContent = t("people.copy");
  $("invite-url").select();
}

export function wireInviteCopy() {
  $("invite-copy").addEventListener("click", async () => {
    $("invite-url").select();
    try {
      await navigator.clipboard.writeText($("invite-url").value);
    } catch {
      document.execCommand?.("copy");
    }
    $("invite-copy").textContent = t("people.copied");
  });
}

export const skillsOf = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

export const money = (n) => (n == null ? "–" : Number(n).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));

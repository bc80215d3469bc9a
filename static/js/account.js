// My devices: every session and refresh family of mine, read live; log one out, or all others.
import { ago, cellText, csrfHeader, device, when } from "./devices.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

// The JWT page keeps its refresh token in sessionStorage or localStorage when asked to: its
// family is "this device" (tokens kept in memory live only inside the JWT page).
function myFamily() {
  for (const where of [sessionStorage, localStorage]) {
    const token = where.getItem("lab.refresh_token");
    if (token) { try { return decodeJwt(token).payload.fam; } catch { return null; } }
  }
  return null;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

async function act(path, json) {
  const { res, data } = await wireFetch(path, { method: "POST", json, headers: csrfHeader() });
  if (!res.ok) status("account-status", fmt(T.error, { status: res.status, error: data?.error, message: data?.message }), "error");
  return { res, data };
}

async function load() {
  const { res, data } = await wireFetch("/api/account");
  if (!res.ok) return status("account-status", fmt(T.error, { status: res.status, error: data?.error, message: data?.message }), "error");
  const mine = myFamily();
  const sessions = $("session-rows");
  sessions.replaceChildren();
  for (const s of data.sessions) {
    const row = sessions.insertRow();
    row.classList.toggle("current", s.current);
    cellText(row, device(s.user_agent) + (s.current ? ` (${T.this_device})` : ""), s.user_agent);
    cellText(row, s.id);
    cellText(row, when(s.created));
    cellText(row, ago(s.last_seen));
    cellText(row, fmt(T.seconds, { n: s.ttl }));
    row.insertCell().append(button(T.log_out, async () => {
      await act(`/api/account/sessions/${s.handle}/logout`);
      await load();
    }));
  }
  const families = $("family-rows");
  families.replaceChildren();
  for (const f of data.families) {
    const row = families.insertRow();
    row.classList.toggle("current", f.id === mine);
    cellText(row, device(f.user_agent) + (f.id === mine ? ` (${T.this_device})` : ""), f.user_agent);
    cellText(row, `${f.id.slice(0, 4)}…${f.id.slice(-3)}`);
    cellText(row, when(f.created));
    cellText(row, ago(f.last_rotation));
    cellText(row, fmt(T.seconds, { n: f.ttl }));
    row.insertCell().append(button(T.revoke, async () => {
      await act(`/api/account/families/${f.id}/revoke`);
      await load();
    }));
  }
  if (!data.sessions.length) cellText(sessions.insertRow(), T.none);
  if (!data.families.length) cellText(families.insertRow(), T.none);
}

$("logout-others").addEventListener("click", async () => {
  const mine = myFamily();
  const { res, data } = await act("/api/account/logout-others", mine ? { keep_family: mine } : {});
  if (res.ok) status("account-status", fmt(T.done, { sessions: data.sessions_deleted, families: data.families_revoked }));
  await load();
});

recordNavigation();
load();

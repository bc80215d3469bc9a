// The compare page: the same user in both flows, and every cell filled from a real response.
import { clock, decodeJwt } from "./jwtdecode.js";
import { summarize } from "./servertiming.js";
import * as store from "./tokenstore.js";
import { entries, recordNavigation, wireFetch } from "./wire.js";

const T = JSON.parse(document.getElementById("i18n").textContent);
const $ = (id) => document.getElementById(id);
let csrf = document.querySelector("meta[name=csrf-token]").content;
let oldSessionId = null;
let oldAccessToken = null;
const deadlines = { session: null, access: null, refresh: null }; // epoch seconds

// Fill a cell with lines; a line is text, or [label, value] shown as "label: value" with code.
function fill(id, lines) {
  const cell = $(id);
  cell.replaceChildren();
  for (const line of lines) {
    const div = document.createElement("div");
    if (Array.isArray(line)) {
      div.append(`${line[0]}: `);
      const code = document.createElement("code");
      code.textContent = line[1];
      div.append(code);
    } else div.textContent = line;
    cell.append(div);
  }
}

function status(text, kind = "info") { $("status").textContent = text; $("status").className = `msg ${kind}`; }

async function showSession() {
  const { res, data, entry } = await wireFetch("/api/session/me");
  if (res.status !== 200) {
    for (const id of ["s-browser", "s-sent", "s-server", "s-readable"]) fill(id, [T.not_logged_in]);
    fill("s-trace", [summarize(entry.steps).text]);
    deadlines.session = null;
    return;
  }
  const httpOnly = !document.cookie.split("; ").some((c) => c.startsWith(`${T.cookie_name}=`));
  fill("s-browser", [
    ["Cookie", `${data.cookie.name} (${data.cookie.length} ${T.chars})`],
    httpOnly ? T.cookie_hidden : T.cookie_visible,
    ["Set-Cookie", lastSetCookie() || flagsOf(data.cookie)],
  ]);
  fill("s-sent", [["Cookie", entry.cookieSeen], `${entry.bytes.cookie} ${T.bytes} (${T.server_saw})`]);
  fill("s-server", [T.session_server, ["key", data.session.key],
    ["TTL", `${data.session.ttl} ${T.seconds}`], ["value", `${data.session.bytes} ${T.bytes}`]]);
  fill("s-readable", [T.opaque]);
  fill("s-trace", [summarize(entry.steps).text]);
  deadlines.session = Date.now() / 1000 + data.session.ttl;
}

function flagsOf(c) {
  // What the server set the cookie with, when this page did not see the login itself.
  const flags = [`Max-Age=${c.max_age}`, `Expires=${new Date(c.expires_at * 1000).toUTCString()}`,
    `Path=${c.path}`, `SameSite=${c.samesite}`];
  if (c.httponly) flags.push("HttpOnly");
  if (c.secure) flags.push("Secure");
  return flags.join("; ");
}

function lastSetCookie() {
  // The login response's Set-Cookie, as the server reported it (JS may never read Set-Cookie).
  for (let i = entries.length - 1; i >= 0; i -= 1) if (entries[i].setCookie) return entries[i].setCookie;
  return "";
}

async function showJwt() {
  const tokens = store.load();
  if (!tokens.access_token) {
    for (const id of ["j-browser", "j-sent", "j-server", "j-readable", "j-trace"]) fill(id, [T.no_tokens]);
    deadlines.access = deadlines.refresh = null;
    return;
  }
  const where = store.location();
  const access = decodeJwt(tokens.access_token);
  const refresh = decodeJwt(tokens.refresh_token);
  fill("j-browser", [
    ["access_token", `${where === "memory" ? T.memory : where}, ${tokens.access_token.length} ${T.chars}`],
    ["refresh_token", `${where === "memory" ? T.memory : where}, ${tokens.refresh_token.length} ${T.chars}`],
    where === "memory" ? T.readable_memory : T.readable_yes,
  ]);
  const { entry } = await wireFetch("/api/jwt/me", {
    headers: { Authorization: `Bearer ${tokens.access_token}` }, credentials: "omit",
  });
  fill("j-sent", [["Authorization", `Bearer ${tokens.access_token.slice(0, 24)}…`],
    `${entry.bytes.authorization} ${T.bytes} (${T.server_saw})`]);
  fill("j-trace", [summarize(entry.steps).text]);
  fill("j-readable", [T.claims_visible, JSON.stringify(access.payload, null, 1)]);
  deadlines.access = access.payload.exp;
  deadlines.refresh = refresh.payload.exp;
  await showJwtStore(access.payload);
}

async function showJwtStore(claims) {
  const q = new URLSearchParams({ fam: claims.fam, jti: claims.jti });
  const { data } = await wireFetch(`/api/lab/jwt-store?${q}`, { credentials: "omit" });
  if (!data || !data.keys) return;
  const lines = [T.jwt_server];
  for (const k of data.keys) {
    const state = k.exists ? `${T.jwt_exists}, TTL ${k.ttl} ${T.seconds}, ${k.memory_bytes} ${T.bytes}` : T.jwt_absent;
    lines.push([k.key.replace(/([0-9a-f]{4})[0-9a-f]{25}([0-9a-f]{3})$/, "$1…$2"), state]);
  }
  lines.push(`${data.dbsize} ${T.dbsize}`);
  fill("j-server", lines);
}

function tick() {
  const now = Date.now() / 1000;
  const line = (label, at) => {
    const div = document.createElement("div");
    if (at === null) { div.textContent = `${label}: —`; return div; }
    const left = at - now;
    div.textContent = `${label}: ${left > 0 ? clock(left) : T.expired}`;
    div.className = left > 0 ? "countdown" : "countdown expired";
    return div;
  };
  $("s-expiry").replaceChildren(line(T.ttl_idle, deadlines.session));
  $("j-expiry").replaceChildren(line(T.access_exp, deadlines.access), line(T.refresh_exp, deadlines.refresh));
}

$("both-login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const creds = { username: form.get("username"), password: form.get("password") };
  const fresh = await wireFetch("/session/csrf");
  csrf = fresh.data.csrf_token;
  const s = await wireFetch("/session/login", { method: "POST", form: creds, headers: { "X-CSRFToken": csrf } });
  if (s.res.ok) csrf = s.data.csrf_token;
  store.choose(form.get("storage"));
  const j = await wireFetch("/api/jwt/login", { method: "POST", json: creds, credentials: "omit" });
  if (j.res.ok) store.save(j.data);
  if (s.res.ok && j.res.ok) status(T.logged_in_both.replace("{user}", creds.username));
  else status(`${T.login_failed}: ${s.res.status} / ${j.res.status}`, "error");
  await Promise.all([showSession(), showJwt()]);
});

$("s-call").addEventListener("click", async () => {
  const { res } = await wireFetch("/api/session/me");
  $("s-call-result").textContent = `${res.status}`;
  await showSession();
});

$("j-call").addEventListener("click", async () => {
  const { access_token } = store.load();
  const { res, data } = await wireFetch("/api/jwt/me", {
    headers: access_token ? { Authorization: `Bearer ${access_token}` } : {}, credentials: "omit",
  });
  $("j-call-result").textContent = `${res.status} ${data?.error ?? ""}`;
});

$("s-logout").addEventListener("click", async () => {
  const { res, data } = await wireFetch("/session/logout", { method: "POST", headers: { "X-CSRFToken": csrf } });
  if (res.ok) { oldSessionId = data.old_session_id; $("s-replay").disabled = false; }
  $("s-after").textContent = res.ok ? T.session_logged_out : `${res.status} ${data?.message ?? ""}`;
  await showSession();
});

$("s-replay").addEventListener("click", async () => {
  // Put the dead id back into the browser's cookie jar and send it: a real replay.
  document.cookie = `${T.cookie_name}=${oldSessionId}; path=/; SameSite=Lax`;
  const { res, data } = await wireFetch("/api/session/me");
  document.cookie = `${T.cookie_name}=; path=/; Max-Age=0`;
  $("s-after").textContent = `${T.replay_result}: ${res.status} ${data?.error ?? ""} — ${data?.message ?? ""}`;
});

$("j-logout").addEventListener("click", async () => {
  const tokens = store.load();
  if (!tokens.access_token) return;
  const { res, data } = await wireFetch("/api/jwt/logout", {
    method: "POST", headers: { Authorization: `Bearer ${tokens.access_token}` },
    json: { refresh_token: tokens.refresh_token }, credentials: "omit",
  });
  if (res.ok) {
    oldAccessToken = tokens.access_token;
    $("j-replay").disabled = false;
    store.clear();
    await showJwtStore(decodeJwt(oldAccessToken).payload);
  }
  $("j-after").textContent = res.ok ? T.jwt_logged_out : `${res.status} ${data?.message ?? ""}`;
  deadlines.access = deadlines.refresh = null;
});

$("j-replay").addEventListener("click", async () => {
  const { res, data } = await wireFetch("/api/jwt/me", {
    headers: { Authorization: `Bearer ${oldAccessToken}` }, credentials: "omit",
  });
  $("j-after").textContent = `${T.replay_result}: ${res.status} ${data?.error ?? ""} — ${data?.message ?? ""}`;
});

$("storage").value = store.location();
recordNavigation();
showSession();
showJwt();
setInterval(tick, 1000);
tick();

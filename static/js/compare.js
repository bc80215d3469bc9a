// The compare page: the same user in both flows, and every cell filled from a real response.
// After every step (login, call, logout, replay) both columns, the status line and the call
// results are redrawn from what the server answered then, never from what the page expects.
import { setVerdict, tick as tickClaims } from "./claims.js";
import { action } from "./guide.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, clock, fmt, status } from "./lab.js";
import { summarize } from "./servertiming.js";
import * as store from "./tokenstore.js";
import { recordNavigation, wireFetch } from "./wire.js";

let csrf = document.querySelector("meta[name=csrf-token]").content;
let loginSetCookie = ""; // the Set-Cookie of the login this page made, as the server reported it
let oldSessionId = null; // the id the last logout killed, for the replay
let oldAccessToken = null; // the access token the last JWT logout revoked, for the replay
let lastJwtEntry = null; // the JWT flow's last request to the server, for "the server did"
const state = {
  session: { user: null, until: null }, // the server's last answer to /api/session/me
  jwt: { user: null, held: false, access: { state: "unconfirmed" }, refresh: { state: "unconfirmed" } },
};

// "401 not_logged_in: No session: …" or "200 OK": a response as the server gave it.
const said = (res, data) => (res.ok ? `${res.status} ${res.statusText || "OK"}`
  : `${res.status} ${data?.error ?? res.statusText}: ${data?.message ?? ""}`.trim());
const traced = (entry) => `${entry.method} ${entry.path} → ${entry.status}: ${summarize(entry.steps).text}`;

// Fill a cell with lines: text, a [label, value] pair shown as "label: value" with the value as
// code, or a ready element.
function fill(id, lines) {
  const cell = $(id);
  cell.replaceChildren();
  for (const line of lines) {
    if (line instanceof Node) { cell.append(line); continue; }
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

function pre(text) {
  return Object.assign(document.createElement("pre"), { textContent: text });
}

function result(id, res, data) {
  $(id).textContent = res ? said(res, data) : "";
  $(id).className = res ? `result ${res.ok ? "ok" : "bad"}` : "result";
}

function flagsOf(c) {
  // The cookie's attributes as /api/session/me reports them (JS may never read Set-Cookie).
  const flags = [`Max-Age=${c.max_age}`, `Expires=${new Date(c.expires_at * 1000).toUTCString()}`,
    `Path=${c.path}`, `SameSite=${c.samesite}`];
  if (c.httponly) flags.push("HttpOnly");
  if (c.secure) flags.push("Secure");
  return flags.join("; ");
}

// --- Session column: always asks the server (the HttpOnly cookie is invisible to this script) --
async function showSession() {
  const { res, data, entry } = await wireFetch("/api/session/me");
  result("s-call-result", res, data);
  fill("s-trace", [traced(entry)]);
  const sent = entry.cookieSeen.split("; ").find((c) => c.startsWith(`${T.cookie_name}=`));
  const visible = document.cookie.split("; ").some((c) => c.startsWith(`${T.cookie_name}=`));
  fill("s-sent", [["Cookie", entry.cookieSeen || "—"], fmt(T.n_bytes_seen, { n: entry.bytes.cookie ?? 0 })]);
  if (res.status !== 200) {
    state.session = { user: null, until: null };
    fill("s-browser", sent ? [["Cookie", sent], visible ? T.cookie_visible : T.cookie_hidden] : [T.no_cookie_sent]);
    fill("s-server", [T.s_no_user, said(res, data)]);
    fill("s-readable", sent ? [T.opaque] : ["—"]);
    return;
  }
  state.session = { user: data.user.username, until: Date.now() / 1000 + data.session.ttl };
  fill("s-browser", [
    ["Cookie", fmt(T.name_chars, { name: data.cookie.name, n: data.cookie.length })],
    visible ? T.cookie_visible : T.cookie_hidden,
    loginSetCookie ? T.set_cookie_login : T.set_cookie_flags,
    ["Set-Cookie", loginSetCookie || flagsOf(data.cookie)],
  ]);
  fill("s-server", [T.session_server, [T.key, data.session.key],
    ["TTL", fmt(T.n_seconds, { n: data.session.ttl })], [T.value, fmt(T.n_bytes, { n: data.session.bytes })]]);
  fill("s-readable", [T.opaque]);
}

// --- JWT column: what this page holds, and what the server says of it ------------------------
async function showJwt() {
  const tokens = store.load();
  state.jwt.held = Boolean(tokens.access_token);
  if (!state.jwt.held) {
    state.jwt.user = null;
    fill("j-browser", [oldAccessToken ? T.no_tokens_old : T.no_tokens]);
    fill("j-sent", [T.nothing_sent]);
    fill("j-readable", ["—"]);
    fill("j-trace", [lastJwtEntry ? traced(lastJwtEntry) : "—"]);
    result("j-call-result", null);
    if (oldAccessToken) await showJwtStore(decodeJwt(oldAccessToken).payload, T.jwt_server_old);
    else fill("j-server", ["—"]);
    return;
  }
  const where = store.location() === "memory" ? T.memory : store.location();
  const access = decodeJwt(tokens.access_token);
  fill("j-browser", [
    ["access_token", fmt(T.where_chars, { where, n: tokens.access_token.length })],
    ["refresh_token", fmt(T.where_chars, { where, n: tokens.refresh_token.length })],
    store.location() === "memory" ? T.readable_memory : T.readable_yes,
  ]);
  fill("j-readable", [T.claims_visible, pre(JSON.stringify(access.payload, null, 1))]);
  await callJwt(tokens.access_token);
  await showJwtStore(access.payload, T.jwt_server);
}

// GET /api/jwt/me with `token` (or with no Authorization header at all), and show the answer.
async function callJwt(token) {
  const { res, data, entry } = await wireFetch("/api/jwt/me", {
    headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: "omit",
  });
  lastJwtEntry = entry;
  result("j-call-result", res, data);
  fill("j-trace", [traced(entry)]);
  fill("j-sent", token
    ? [["Authorization", `Bearer ${token.slice(0, 24)}…`], fmt(T.n_bytes_seen, { n: entry.bytes.authorization ?? 0 })]
    : [T.nothing_sent]);
  if (!token) return;
  state.jwt.user = res.ok ? data.user.username : null;
  state.jwt.access = res.ok ? { state: "accepted" } : { state: "refused", reason: said(res, data) };
}

async function showJwtStore(claims, title) {
  const q = new URLSearchParams({ fam: claims.fam, jti: claims.jti });
  const { data } = await wireFetch(`/api/lab/jwt-store?${q}`, { credentials: "omit" });
  if (!data || !data.keys) return fill("j-server", ["—"]);
  const lines = [title];
  for (const k of data.keys) {
    const seen = k.exists ? fmt(T.key_present, { ttl: k.ttl, bytes: k.memory_bytes }) : T.jwt_absent;
    lines.push([k.key.replace(/([0-9a-f]{4})[0-9a-f]{25}([0-9a-f]{3})$/, "$1…$2"), seen]);
  }
  lines.push(fmt(T.dbsize, { n: data.dbsize }));
  fill("j-server", lines);
}

// --- After every step: the countdowns, the buttons and the status line follow the state ------
function showExpiry() {
  const line = (label, exp, verdict) => {
    const div = document.createElement("div");
    div.append(`${label}: `);
    const live = document.createElement("strong");
    live.className = "countdown";
    if (exp === null) live.textContent = "—";
    else { live.dataset.exp = exp; setVerdict(live, verdict); }
    div.append(live);
    return div;
  };
  const tokens = store.load();
  const exp = (token) => (token ? decodeJwt(token).payload.exp : null);
  $("j-expiry").replaceChildren(line(T.access_exp, exp(tokens.access_token), state.jwt.access),
    line(T.refresh_exp, exp(tokens.refresh_token), state.jwt.refresh));
  tick();
}

function showButtons() {
  $("s-logout").disabled = !state.session.user;
  $("s-replay").disabled = !oldSessionId || Boolean(state.session.user);
  $("j-logout").disabled = !state.jwt.held;
  $("j-replay").disabled = !oldAccessToken;
}

function showStatus(error = "") {
  if (error) return status("status", error, "error");
  const { session: s, jwt: j } = state;
  if (s.user && s.user === j.user) return status("status", fmt(T.both_in, { user: s.user }), "info");
  const jwtPart = j.user ? fmt(T.j_in, { user: j.user }) : j.held ? T.j_refused : T.j_none;
  status("status", `${s.user ? fmt(T.s_in, { user: s.user }) : T.s_out} ${jwtPart}`, "plain");
}

async function redraw({ session = true, jwt = true, error = "" } = {}) {
  await Promise.all([session && showSession(), jwt && showJwt()]);
  showExpiry();
  showButtons();
  showStatus(error);
}

function tick() {
  const div = document.createElement("div");
  const until = state.session.until;
  if (until === null) div.textContent = `${T.ttl_idle}: —`;
  else {
    const left = until - Date.now() / 1000;
    div.textContent = `${T.ttl_idle}: ${left > 0 ? clock(left) : T.expired}`;
    div.className = left > 0 ? "countdown" : "countdown expired";
  }
  $("s-expiry").replaceChildren(div);
  tickClaims();
}

// --- The buttons -------------------------------------------------------------------------------
async function loginBoth() {
  const form = new FormData($("both-login"));
  const creds = { username: form.get("username"), password: form.get("password") };
  // A new login: the old credentials of the last logout no longer apply.
  oldSessionId = oldAccessToken = null;
  loginSetCookie = "";
  $("s-after").textContent = "";
  $("j-after").textContent = "";
  const fresh = await wireFetch("/session/csrf");
  csrf = fresh.data.csrf_token;
  const s = await wireFetch("/session/login", { method: "POST", form: creds, headers: { "X-CSRFToken": csrf } });
  if (s.res.ok) { csrf = s.data.csrf_token; loginSetCookie = s.entry.setCookie; }
  store.choose(form.get("storage"));
  const j = await wireFetch("/api/jwt/login", { method: "POST", json: creds, credentials: "omit" });
  lastJwtEntry = j.entry;
  if (j.res.ok) {
    store.save(j.data);
    state.jwt.access = { state: "unconfirmed" };
    state.jwt.refresh = { state: "accepted" }; // the server just issued it
  }
  const failed = s.res.ok && j.res.ok ? ""
    : fmt(T.login_failed, { session: said(s.res, s.data), jwt: said(j.res, j.data) });
  await redraw({ error: failed });
}
$("both-login").addEventListener("submit", (event) => { event.preventDefault(); loginBoth(); });

const callSession = () => redraw({ jwt: false });
$("s-call").addEventListener("click", callSession);

async function callJwtNow() {
  const { access_token } = store.load();
  if (access_token) return redraw({ session: false });
  await callJwt(null); // no token: the server's answer to a request without one
}
$("j-call").addEventListener("click", callJwtNow);

async function logoutSession() {
  const { res, data, entry } = await wireFetch("/session/logout", { method: "POST", headers: { "X-CSRFToken": csrf } });
  if (res.ok) {
    oldSessionId = data.old_session_id;
    loginSetCookie = "";
    fill("s-after", [T.session_logged_out, ["Set-Cookie", entry.setCookie || "—"]]);
  } else fill("s-after", [said(res, data)]);
  $("s-after").className = "result";
  await redraw({ jwt: false });
}
$("s-logout").addEventListener("click", logoutSession);

async function replaySession() {
  // Put the dead id back into the browser's cookie jar and send it: a real replay.
  document.cookie = `${T.cookie_name}=${oldSessionId}; path=/; SameSite=Lax`;
  const { res, data, entry } = await wireFetch("/api/session/me");
  document.cookie = `${T.cookie_name}=; path=/; Max-Age=0`;
  fill("s-trace", [traced(entry)]);
  fill("s-after", [fmt(T.replay_result, { sent: `Cookie: ${entry.cookieSeen || "—"}`, answer: said(res, data) })]);
  $("s-after").className = `result ${res.ok ? "ok" : "bad"}`;
}
$("s-replay").addEventListener("click", replaySession);

async function logoutJwt() {
  const tokens = store.load();
  if (!tokens.access_token) return redraw({ session: false });
  const { res, data, entry } = await wireFetch("/api/jwt/logout", {
    method: "POST", headers: { Authorization: `Bearer ${tokens.access_token}` },
    json: { refresh_token: tokens.refresh_token }, credentials: "omit",
  });
  lastJwtEntry = entry;
  if (res.ok) {
    oldAccessToken = tokens.access_token;
    store.clear();
    fill("j-after", [data.message, T.jwt_logged_out]);
  } else fill("j-after", [said(res, data)]);
  $("j-after").className = "result";
  await redraw({ session: false });
}
$("j-logout").addEventListener("click", logoutJwt);

async function replayJwt() {
  const { res, data, entry } = await wireFetch("/api/jwt/me", {
    headers: { Authorization: `Bearer ${oldAccessToken}` }, credentials: "omit",
  });
  lastJwtEntry = entry;
  fill("j-trace", [traced(entry)]);
  fill("j-after", [fmt(T.replay_result, { sent: `Authorization: Bearer ${oldAccessToken.slice(0, 16)}…`, answer: said(res, data) })]);
  $("j-after").className = `result ${res.ok ? "ok" : "bad"}`;
}
$("j-replay").addEventListener("click", replayJwt);

// --- Guided steps (auth/labs/compare/guide.py): "Show me" runs the same handlers as the buttons.
// A step whose button is still disabled (e.g. a replay before any logout) first runs the step
// before it, as a learner would.
const loggedIn = () => Boolean(state.session.user && state.jwt.held);
action("compare", "login-both", loginBoth);
action("compare", "me-both", async () => {
  if (!loggedIn()) await loginBoth();
  await callSession();
  await callJwtNow();
});
action("compare", "session-logout", async () => {
  if (!state.session.user) await loginBoth();
  await logoutSession();
});
action("compare", "session-replay", async () => {
  if (!oldSessionId || state.session.user) { if (!state.session.user) await loginBoth(); await logoutSession(); }
  await replaySession();
});
action("compare", "jwt-logout", async () => {
  if (!state.jwt.held) await loginBoth();
  await logoutJwt();
});
action("compare", "jwt-replay", async () => {
  if (!oldAccessToken) { if (!state.jwt.held) await loginBoth(); await logoutJwt(); }
  await replayJwt();
});

$("storage").value = store.location();
recordNavigation();
redraw();
setInterval(tick, 1000);
tick();

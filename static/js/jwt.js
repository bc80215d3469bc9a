// The JWT flow page: log in with fetch(), keep the tokens client-side, call the API with
// "Authorization: Bearer …", rotate the refresh token, log out. Read it in DevTools → Sources.
// Every panel follows the server's last answer: a countdown says "valid for" only while the
// server accepted the token; after a refusal it shows the server's reason.
import { claimRows, setVerdict, tick, timeRows } from "./claims.js";
import { action } from "./guide.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, fmt, status } from "./lab.js";
import { coordinated, createRefresher } from "./refreshclient.js";
import * as store from "./tokenstore.js";
import { recordNavigation, wireFetch } from "./wire.js";

// What the server last said of each token the page holds: "accepted" (it issued or accepted
// it), "refused" (with its reason) or "unconfirmed" (found in storage, or its family was
// revoked since: the server has not been asked again).
const verdict = { access: { state: "unconfirmed" }, refresh: { state: "unconfirmed" } };
let retired = null; // the refresh token the last rotation used up, kept only for the reuse demo
let loggedOut = null; // the access token the last logout revoked, kept only for the guided step

const said = (res, data) => `${res.status} ${data?.error ?? res.statusText}: ${data?.message ?? ""}`.trim();
const whereLabel = () => (store.location() === "memory" ? T.memory : store.location());

async function api(path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return wireFetch(path, {
    method: body || path.endsWith("/logout") ? "POST" : "GET",
    headers,
    json: body,
    credentials: "omit", // no cookies: the bearer header is the only credential
  });
}

function judge(kind, state, reason = "") {
  verdict[kind] = { state, reason };
  const targets = [$(`${kind}-left`)];
  if (kind === "access") targets.push(...$("claims").querySelectorAll("[data-exp]"));
  for (const live of targets) setVerdict(live, verdict[kind]);
  tick();
}

function showWhere() {
  $("storage").value = store.location();
  $("storage-note").textContent = T[`where_${store.location()}`];
  $("access-where").textContent = whereLabel();
  $("refresh-where").textContent = whereLabel();
}

function showToken(kind, token) {
  const { header, payload } = decodeJwt(token);
  $(`${kind}-length`).textContent = fmt(T.n_chars, { n: token.length });
  $(`${kind}-header`).textContent = JSON.stringify(header, null, 2);
  $(`${kind}-payload`).textContent = JSON.stringify(payload, null, 2); // the token's own JSON
  timeRows($(`${kind}-times`), payload); // and its dates, beside it, in local time
  $(`${kind}-exp`).textContent = new Date(payload.exp * 1000).toLocaleTimeString(document.documentElement.lang);
  $(`${kind}-left`).dataset.exp = payload.exp;
  setVerdict($(`${kind}-left`), verdict[kind]);
  if (kind === "access") claimRows($("claims"), payload, {}, verdict.access);
}

// Draw everything from what the page holds now; buttons are enabled only when they can work.
function render() {
  const tokens = store.load();
  const has = Boolean(tokens.access_token);
  $("tokens").hidden = !has;
  $("claims-card").hidden = !has;
  for (const id of ["call-me", "do-refresh", "do-logout", "forget"]) $(id).disabled = !has;
  $("reuse").disabled = !retired;
  showWhere();
  if (!has) {
    $("me").textContent = "";
    if (!$("login-status").classList.contains("error")) status("login-status", ""); // "Logged in" no more
    return;
  }
  showToken("access", tokens.access_token);
  showToken("refresh", tokens.refresh_token);
  tick();
}

async function callMe() {
  const { access_token } = store.load();
  if (!access_token) return status("jwt-status", T.no_token, "error");
  const { res, data } = await api("/api/jwt/me", { token: access_token });
  if (store.load().access_token !== access_token) return; // the page moved on meanwhile
  let text = `GET /api/jwt/me → ${res.status} ${res.statusText}\n${JSON.stringify(data, null, 2)}`;
  if (res.headers.get("WWW-Authenticate")) text += `\nWWW-Authenticate: ${res.headers.get("WWW-Authenticate")}`;
  $("me").textContent = text;
  $("me").classList.toggle("refused", !res.ok);
  if (res.ok) judge("access", "accepted");
  else judge("access", "refused", said(res, data));
}

function newTokens(data) {
  store.save(data);
  // The server's last answer issued both: it vouches for them until it says otherwise.
  verdict.access = { state: "accepted" };
  verdict.refresh = { state: "accepted" };
  $("me").textContent = ""; // that answer was about the previous access token
  $("me").classList.remove("refused");
  render();
}

async function login(formElement) {
  const form = new FormData(formElement);
  store.choose(form.get("storage"));
  const { res, data } = await api("/api/jwt/login", {
    body: { username: form.get("username"), password: form.get("password") },
  });
  if (!res.ok) return status("login-status", `${T.login_failed}: ${said(res, data)}`, "error");
  retired = null; // a new login is a new family: the old reuse demo no longer applies
  newTokens(data);
  status("login-status", fmt(T.logged_in, { where: whereLabel() }));
  status("jwt-status", "");
  await callMe();
}
$("jwt-login").addEventListener("submit", (event) => { event.preventDefault(); login(event.target); });

$("storage").addEventListener("change", (e) => { store.choose(e.target.value); render(); });
$("call-me").addEventListener("click", callMe);

// One refresh at a time, in this tab and across every tab of this page (refreshclient.js):
// a second refresh with the same token would look like theft and revoke the family.
const refresh = createRefresher({
  name: "lab.jwt",
  load: () => store.load(),
  save: (pair, why) => {
    retired = store.load().refresh_token; // the one this rotation used up
    newTokens(pair);
    if (why === "broadcast") status("jwt-status", T.refreshed_elsewhere);
  },
  request: (refresh_token) => api("/api/jwt/refresh", { body: { refresh_token } }),
});

async function doRefresh() {
  const out = await refresh();
  if (out.adopted) return status("jwt-status", T.refreshed_elsewhere);
  if (out.skipped) return status("jwt-status", T.no_token, "error");
  const { res, data } = out;
  if (res.ok) status("jwt-status", T.refreshed);
  else {
    judge("refresh", "refused", said(res, data));
    status("jwt-status", said(res, data), "error");
  }
}
$("do-refresh").addEventListener("click", doRefresh);

async function doLogout() {
  const { access_token, refresh_token } = store.load();
  const { res, data } = await api("/api/jwt/logout", { token: access_token, body: { refresh_token } });
  if (res.ok) {
    loggedOut = access_token;
    store.clear();
    retired = null;
    status("jwt-status", T.logged_out);
    render();
  } else {
    if (res.status === 401) judge("access", "refused", said(res, data));
    status("jwt-status", said(res, data), "error");
  }
}
$("do-logout").addEventListener("click", doLogout);

$("reuse").addEventListener("click", async () => {
  // Present the retired refresh token again: this is what a thief holding a stolen copy does.
  const stolen = retired;
  const { res, data } = await api("/api/jwt/refresh", { body: { refresh_token: stolen } });
  retired = null;
  $("reuse").disabled = true;
  const { refresh_token } = store.load();
  const sameFamily = refresh_token && decodeJwt(refresh_token).payload.fam === decodeJwt(stolen).payload.fam;
  if (!res.ok && sameFamily) {
    // The server's answer is about the family: the refresh token held here is in it.
    judge("refresh", "refused", said(res, data));
    judge("access", "unconfirmed");
    return status("jwt-status", `${said(res, data)} ${T.reused}`, "error");
  }
  status("jwt-status", said(res, data), res.ok ? "info" : "error");
});

// Tokens kept in memory exist only in this page: hand the access token to the inspector once,
// through sessionStorage (the inspector deletes it as soon as it has read it).
$("open-inspector").addEventListener("click", (event) => {
  const { access_token } = store.load();
  if (!access_token) return;
  sessionStorage.setItem("lab.inspect_handoff", access_token);
  window.location.assign(event.target.dataset.href);
});

$("forget").addEventListener("click", () => {
  store.clear();
  retired = null;
  status("jwt-status", T.forgotten);
  render();
});

// The guided steps' "Show me" (static/js/guide.js): this page's own controls, as a learner
// would use them. Verdicts come from the server's record of each request, not from here.
action("jwt", "login", () => {
  const form = $("jwt-login");
  if (!form.elements.username.value) form.elements.username.value = "alice";
  if (!form.elements.password.value) form.elements.password.value = "alice123";
  return login(form);
});
action("jwt", "me", () => callMe());
action("jwt", "refresh", () => (store.load().refresh_token ? doRefresh() : status("jwt-status", T.no_token, "error")));
action("jwt", "logout", () => (store.load().access_token ? doLogout() : status("jwt-status", T.no_token, "error")));
action("jwt", "refused", async () => {
  if (!loggedOut) return status("jwt-status", T.no_old_token, "error");
  const { res, data } = await api("/api/jwt/me", { token: loggedOut });
  $("me").textContent = `GET /api/jwt/me → ${res.status} ${res.statusText}\n${JSON.stringify(data, null, 2)}`;
  $("me").classList.toggle("refused", !res.ok);
});

recordNavigation();
if (!coordinated()) Object.assign($("coord-note"), { hidden: false, textContent: T.uncoordinated });
render();
if (store.load().access_token) callMe();
else status("jwt-status", T.no_token, "info");
setInterval(tick, 1000);

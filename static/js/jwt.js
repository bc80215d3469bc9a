// The JWT flow page: log in with fetch(), keep the tokens client-side, call the API with
// "Authorization: Bearer …", rotate the refresh token, log out. Read it in DevTools → Sources.
import { clock, decodeJwt } from "./jwtdecode.js";
import * as store from "./tokenstore.js";
import { recordNavigation, wireFetch } from "./wire.js";

const T = JSON.parse(document.getElementById("i18n").textContent);
const $ = (id) => document.getElementById(id);
const status = (text, kind = "info") => { $("jwt-status").textContent = text; $("jwt-status").className = `msg ${kind}`; };

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

function showWhere() {
  const where = store.location();
  $("storage").value = where;
  $("storage-note").textContent = T[`where_${where}`];
  const label = where === "memory" ? T.memory : where;
  $("access-where").textContent = label;
  $("refresh-where").textContent = label;
}

function showToken(kind, token) {
  const { header, payload } = decodeJwt(token);
  $(`${kind}-length`).textContent = token.length;
  $(`${kind}-header`).textContent = JSON.stringify(header, null, 2);
  const human = { ...payload };
  for (const c of ["iat", "nbf", "exp"]) {
    if (c in human) human[c] = `${payload[c]}  (${new Date(payload[c] * 1000).toLocaleString()})`;
  }
  $(`${kind}-payload`).textContent = JSON.stringify(human, null, 2);
  $(`${kind}-exp`).textContent = new Date(payload.exp * 1000).toLocaleTimeString();
  $(`${kind}-left`).dataset.exp = payload.exp;
}

function render() {
  const tokens = store.load();
  const has = Boolean(tokens.access_token);
  $("token-card").hidden = !has;
  $("tokens").hidden = !has;
  showWhere();
  if (!has) return;
  showToken("access", tokens.access_token);
  showToken("refresh", tokens.refresh_token);
  tick();
}

function tick() {
  for (const kind of ["access", "refresh"]) {
    const el = $(`${kind}-left`);
    if (!el.dataset.exp) continue;
    const left = Number(el.dataset.exp) - Date.now() / 1000;
    el.textContent = left > 0 ? `${T.valid_for} ${clock(left)}` : T.expired;
    el.classList.toggle("expired", left <= 0);
  }
}

async function callMe() {
  const { access_token } = store.load();
  if (!access_token) return status(T.no_token, "error");
  const { res, data } = await api("/api/jwt/me", { token: access_token });
  $("me").textContent = `${res.status} ${res.statusText}\n` + JSON.stringify(data, null, 2);
  if (res.headers.get("WWW-Authenticate")) {
    $("me").textContent += `\nWWW-Authenticate: ${res.headers.get("WWW-Authenticate")}`;
  }
}

$("jwt-login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  store.choose(form.get("storage"));
  const { res, data } = await api("/api/jwt/login", {
    body: { username: form.get("username"), password: form.get("password") },
  });
  if (!res.ok) return status(`${T.login_failed}: ${res.status} ${data?.message ?? ""}`, "error");
  store.save(data);
  status(T.logged_in.replace("{where}", store.location() === "memory" ? T.memory : store.location()));
  render();
  await callMe();
});

$("storage").addEventListener("change", (e) => { store.choose(e.target.value); render(); });
$("call-me").addEventListener("click", callMe);

let refreshing = null; // one refresh at a time: a duplicate would look like token reuse
let retired = null; // the refresh token the last rotation used up, kept only for the reuse demo
$("do-refresh").addEventListener("click", async () => {
  refreshing ??= (async () => {
    const { refresh_token } = store.load();
    const { res, data } = await api("/api/jwt/refresh", { body: { refresh_token } });
    if (res.ok) {
      retired = refresh_token;
      $("reuse").disabled = false;
      store.save(data); status(T.refreshed); render();
    }
    else status(`${res.status} ${data?.error}: ${data?.message}`, "error");
  })().finally(() => { refreshing = null; });
  await refreshing;
});

$("do-logout").addEventListener("click", async () => {
  const { access_token, refresh_token } = store.load();
  const { res, data } = await api("/api/jwt/logout", { token: access_token, body: { refresh_token } });
  if (res.ok) { store.clear(); status(T.logged_out); render(); $("me").textContent = ""; }
  else status(`${res.status} ${data?.error}: ${data?.message}`, "error");
});

$("reuse").addEventListener("click", async () => {
  // Present the retired refresh token again: this is what a thief holding a stolen copy does.
  const { res, data } = await api("/api/jwt/refresh", { body: { refresh_token: retired } });
  status(res.status === 400 ? `${res.status} ${data?.error}: ${T.reused}` : `${res.status}`, "error");
  $("reuse").disabled = true;
});

$("forget").addEventListener("click", () => { store.clear(); status(T.forgotten); render(); });

recordNavigation();
render();
if (store.load().access_token) callMe();
setInterval(tick, 1000);

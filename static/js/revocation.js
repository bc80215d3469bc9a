// The revocation lab. Two devices in one page: the administrator (a JWT kept in a variable of
// this module) and the user (your browser's session cookie, plus the user's tokens in another
// variable). Every verdict below comes from the server's answer to a real request: each step's
// green or red from the server's record of it (static/js/guide.js, declared once in
// auth/labs/revocation/guide.py); the panels inside the steps explain what it answered.
import { action } from "./guide.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, clock, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

let adminToken = null;        // the administrator's device
let device = { user: null, access: null, refresh: null }; // the user's device (this browser)
let windowTimer = null;

const bearer = (token) => ({ Authorization: `Bearer ${token}` });
const errorText = (res, data) => fmt(T.error, { status: res.status, error: data?.error ?? "", message: data?.message ?? "" });

// --- The administrator's device -------------------------------------------------------------

async function adminCall(path, json) {
  return wireFetch(path, { method: json === undefined ? "GET" : "POST", json, headers: bearer(adminToken), credentials: "omit" });
}

async function adminLogin() {
  const { res, data } = await wireFetch("/api/jwt/login", {
    method: "POST", json: { username: "admin", password: "admin123" }, credentials: "omit",
  });
  if (!res.ok) { status("admin-status", errorText(res, data), "error"); return false; }
  adminToken = data.access_token;
  status("admin-status", T.admin_ok);
  $("strategy-box").disabled = false;
  $("fix-box").disabled = false;
  await showState();
  return true;
}
$("admin-login").addEventListener("click", adminLogin);

async function showState() {
  if (!adminToken) return;
  const s = await adminCall("/api/admin/revocation-strategy");
  if (s.res.ok) document.querySelector(`input[name=strategy][value="${s.data.strategy}"]`).checked = true;
  const f = await adminCall("/api/admin/stale-claims");
  if (f.res.ok) document.querySelector(`input[name=fix][value="${f.data.fix}"]`).checked = true;
}

$("strategy-switch").addEventListener("click", async () => {
  const chosen = document.querySelector("input[name=strategy]:checked");
  if (!chosen) return;
  const { res, data } = await adminCall("/api/admin/revocation-strategy", { strategy: chosen.value });
  status("strategy-status", res.ok ? fmt(T.switched, { s: data.strategy }) : errorText(res, data), res.ok ? "info" : "error");
});

$("fix-switch").addEventListener("click", async () => {
  const chosen = document.querySelector("input[name=fix]:checked");
  if (!chosen) return;
  const { res, data } = await adminCall("/api/admin/stale-claims", { fix: chosen.value });
  status("fix-status", res.ok ? fmt(T.fix_switched, { s: data.fix }) : errorText(res, data), res.ok ? "info" : "error");
});

// "Reset this lab" (the guide's button, POST /api/guide/<lab>/reset): the server cleared this
// learner's steps (and, from this machine or for an admin, the lab's switches); clear the
// panels that explained them, and read the switches again.
const PANELS = {
  revocation: ["login-verdict", "revoke-verdict", "next-session", "next-jwt", "next-window", "next-cost", "next-why"],
  "stale-claims": ["promote-verdict", "demote-verdict", "stale-session", "stale-jwt", "stale-claim", "stale-window", "stale-why"],
};
document.addEventListener("guide:reset", async (event) => {
  for (const id of PANELS[event.detail.lab] ?? []) {
    $(id).textContent = "";
    delete $(id).dataset.state;
  }
  if (event.detail.lab === "revocation") { clearInterval(windowTimer); $("keys-rows").replaceChildren(); }
  await showState();
});

// --- The user's device (this browser) --------------------------------------------------------

async function logInBoth(username, password) {
  // The session flow: a JSON login with the CSRF token of this browser's (anonymous) session.
  const fresh = await wireFetch("/session/csrf");
  const s = await wireFetch("/session/login", {
    method: "POST", form: { username, password }, headers: { "X-CSRFToken": fresh.data.csrf_token },
  });
  const j = await wireFetch("/api/jwt/login", { method: "POST", json: { username, password }, credentials: "omit" });
  if (j.res.ok) device = { user: username, access: j.data.access_token, refresh: j.data.refresh_token };
  return { ok: s.res.ok && j.res.ok, s, j };
}

async function showKeys() {
  if (!device.access) return;
  const c = decodeJwt(device.access).payload;
  const q = new URLSearchParams({ sub: c.sub, jti: c.jti, fam: c.fam });
  const { data } = await wireFetch(`/api/lab/revocation?${q}`, { credentials: "omit" });
  const body = $("keys-rows");
  body.replaceChildren();
  for (const k of data?.keys ?? []) {
    const row = body.insertRow();
    row.classList.toggle("active", k.strategy === data.strategy);
    row.insertCell().textContent = k.strategy;
    const code = document.createElement("code");
    code.textContent = k.key.replace(/([0-9a-f]{4})[0-9a-f]{25}([0-9a-f]{3})$/, "$1…$2");
    row.insertCell().append(code);
    row.insertCell().textContent = k.exists ? T.present : T.absent;
    row.insertCell().textContent = k.ttl === null ? "—" : fmt(T.seconds, { n: k.ttl });
    row.insertCell().textContent = k.exists ? fmt(T.bytes, { n: k.memory_bytes }) : "—";
  }
}

const RUN = {
  async login() {
    const { ok, s, j } = await logInBoth("alice", "alice123");
    $("login-verdict").textContent = ok
      ? fmt(T.logged_in_both, { cookie: s.entry.setCookie || "lab_session", n: device.access.length })
      : fmt(T.login_failed, { status: `${s.res.status} / ${j.res.status}` });
    await showKeys();
  },

  async revoke() {
    const { res, data } = await adminCall("/api/admin/users/alice/logout-everywhere", {});
    $("revoke-verdict").textContent = res.ok
      ? fmt(T.revoked, { sessions: data.sessions_deleted, families: data.families_revoked, s: data.strategy })
      : errorText(res, data);
    await showKeys();
  },

  async next() {
    const strategy = document.querySelector("input[name=strategy]:checked")?.value;
    const s = await wireFetch("/api/session/me");
    $("next-session").textContent = s.res.status === 401 ? T.session_refused : T.session_accepted;
    $("next-session").dataset.state = s.res.status === 401 ? "refused" : "accepted";
    const j = await wireFetch("/api/jwt/me", { headers: bearer(device.access), credentials: "omit" });
    const jwtEl = $("next-jwt");
    jwtEl.dataset.state = j.res.ok ? "accepted" : "refused";
    jwtEl.textContent = j.res.ok ? T.jwt_accepted : fmt(T.jwt_refused, { reason: j.data?.message ?? j.res.status });
    $("next-why").textContent = j.res.ok ? T.why_none : fmt(T.why_other, { s: strategy });
    // What that check cost, from the server's own trace of this very request.
    const redis = j.entry.steps.filter((s) => s.name.startsWith("redis-"));
    const micros = redis.reduce((sum, s) => sum + s.dur * 1000, 0);
    $("next-cost").textContent = fmt(T.cost, { n: redis.length, us: micros.toFixed(0) });
    showWindow(j.res.ok);
    await showKeys();
  },

  async promote() {
    const p = await adminCall("/api/admin/users/bob/role", { role: "admin" });
    if (!p.res.ok) { $("promote-verdict").textContent = errorText(p.res, p.data); return; }
    const { ok } = await logInBoth("bob", "bob123");
    const role = ok ? decodeJwt(device.access).payload.role : "?";
    $("promote-verdict").textContent = fmt(T.promoted, { role });
  },

  async demote() {
    const { res, data } = await adminCall("/api/admin/users/bob/role", { role: "user" });
    if (!res.ok) { $("demote-verdict").textContent = errorText(res, data); return; }
    $("demote-verdict").textContent = data.tokens_revoked
      ? fmt(T.demoted_revoked, { families: data.families_revoked })
      : fmt(T.demoted, { n: data.sessions_updated });
  },

  async stale() {
    const s = await wireFetch("/api/session/me");
    $("stale-session").textContent = s.res.ok ? fmt(T.stale_session, { role: s.data.user.role }) : errorText(s.res, s.data);
    const j = await wireFetch("/api/jwt/admin-only", { headers: bearer(device.access), credentials: "omit" });
    const source = j.data?.role_from === "database" ? T.source_database : T.source_token;
    let text;
    if (j.res.ok) text = fmt(T.stale_ok, { role: j.data.role, source });
    else if (j.res.status === 403) text = fmt(T.stale_forbidden, { role: j.data.role, source });
    else text = fmt(T.stale_refused, { reason: j.data?.message ?? j.res.status });
    $("stale-jwt").textContent = text;
    $("stale-jwt").dataset.state = j.res.ok ? "accepted" : "refused";
    const claims = decodeJwt(device.access).payload;
    // The claim the route believed, highlighted, with the times that bound how long it is believed.
    const mark = document.createElement("mark");
    mark.textContent = `"role": ${JSON.stringify(claims.role)}`;
    $("stale-claim").replaceChildren("{\n ", mark, `,\n "iat": ${claims.iat},\n "exp": ${claims.exp}\n}`);
    $("stale-window").textContent = j.res.ok
      ? fmt(T.stale_window, { iat: new Date(claims.iat * 1000).toLocaleTimeString(), t: clock(claims.exp - Date.now() / 1000) })
      : "";
    $("stale-why").textContent = j.res.ok ? T.why_stale : T.why_stale_fixed;
  },
};

function showWindow(accepted) {
  clearInterval(windowTimer);
  const el = $("next-window");
  if (!accepted) { el.textContent = ""; return; }
  const exp = decodeJwt(device.access).payload.exp + T.leeway;
  const tick = () => {
    const left = exp - Date.now() / 1000;
    el.textContent = left > 0 ? fmt(T.window, { t: clock(left), leeway: T.leeway }) : T.window_over;
  };
  tick();
  windowTimer = setInterval(tick, 1000);
}

// The guided steps' "Show me": the administrator's device logs in first if it has not yet.
const LAB = { login: "revocation", revoke: "revocation", next: "revocation", promote: "stale-claims", demote: "stale-claims", stale: "stale-claims" };
for (const [step, lab] of Object.entries(LAB)) {
  action(lab, step, async () => {
    if (!adminToken && !(await adminLogin())) throw new Error(T.admin_first);
    await RUN[step]();
  });
}

for (const el of document.querySelectorAll("[data-strategy-desc]")) el.textContent = T.strategy[el.dataset.strategyDesc];
for (const el of document.querySelectorAll("[data-fix-desc]")) el.textContent = T.fix[el.dataset.fixDesc];
recordNavigation();

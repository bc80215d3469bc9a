// The scale-out lab. Every node is another origin (its own port): this page calls them with
// fetch() under CORS (each node allows the cluster's own origins only). The session cookie is
// sent to every node of this host all the same: cookies ignore ports. Every verdict below comes
// from the nodes' answers and their X-Lab-Node header.
import { action, ticket } from "./guide.js";
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

const DATA = JSON.parse($("scale-data").textContent);
const NODES = DATA.nodes;
const byName = Object.fromEntries(NODES.map((n) => [n.name, n]));
let token = null;
let stickyNode = null; // the node the balancer's sticky cookie names, once asked

const bearer = () => ({ Authorization: `Bearer ${token}` });
const errorText = (res, data) => fmt(T.error, { status: res.status, error: data?.error ?? "", message: data?.message ?? "" });

function enable(name, on = true) {
  for (const b of document.querySelectorAll(`[data-run="${name}"]`)) b.disabled = !on;
}

// Who is doing the guided steps (static/js/guide.js's ticket): wire.js sends it to this page's
// own origin only, so the calls to the other nodes (other origins) carry it here; each node's
// CORS allows these two headers for the cluster's own origins.
function guided(url, options = {}) {
  const other = new URL(url, location.href).origin !== location.origin;
  if (!other || !ticket()) return options;
  return { ...options, headers: { ...(options.headers || {}), "X-Lab-Guide": ticket(), "X-Lab-Guide-Labs": "scale" } };
}

// A fetch that reports a refused connection (a stopped node) instead of throwing. quiet: without
// the guide's ticket (the reset's own calls must not count as steps done).
async function call(url, options, quiet = false) {
  try {
    return await wireFetch(url, quiet ? options : guided(url, options));
  } catch (err) {
    return { res: null, data: null, error: err };
  }
}

function nodeBadge(name) {
  const span = document.createElement("span");
  span.className = `node-badge ${byName[name]?.css ?? ""}`;
  span.textContent = name || "?";
  return span;
}

// --- The cluster table -----------------------------------------------------------------------

async function readNodes() {
  for (const n of NODES) {
    const row = document.querySelector(`tr[data-node="${n.name}"]`);
    const r = await call(`${n.url}/api/lab/scale/node`, { credentials: "omit" });
    const cell = (cls) => row.querySelector(`.${cls}`);
    row.dataset.up = r.res?.ok ? "yes" : "no";
    if (!r.res?.ok) {
      cell("state").textContent = T.down;
      for (const c of ["pid", "store", "keys"]) cell(c).textContent = "";
      continue;
    }
    const d = r.data;
    const box = document.querySelector(`[data-fail-open="${n.name}"]`);
    if (box) box.checked = d.fail_mode === "open";
    cell("state").textContent = d.redis === "ok" ? T.up : T.redis_down;
    cell("pid").textContent = d.pid;
    cell("store").textContent = d.session_store === "local" ? T.store_local : T.store_shared;
    cell("keys").textContent = d.verify_only
      ? (d.jwks?.age == null ? T.verify_only_empty
        : fmt(T.verify_only, { kids: d.jwks.kids.map((k) => k.slice(0, 8)).join(", ") || "—", age: Math.round(d.jwks.age) }))
      : fmt(T.signs, { kid: `${d.algorithm} ${(d.signing_kid ?? "").slice(0, 8)}…` });
  }
}

async function stopNode(name) {
  const n = byName[name];
  const r = await call(`${n.url}/api/lab/scale/stop`, { method: "POST", json: {}, credentials: "omit" });
  if (r.res?.ok) status("nodes-status", fmt(T.stopping, { node: n.name, pid: r.data.pid }));
  else status("nodes-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error");
  setTimeout(readNodes, 1200);
}
document.querySelectorAll("[data-stop]").forEach((b) => b.addEventListener("click", () => stopNode(b.dataset.stop)));

// Any live node can ask the supervisor (through Redis) to start a stopped one.
async function askAnyNode(path, json) {
  for (const n of NODES) {
    const r = await call(`${n.url}${path}`, { method: "POST", json, credentials: "omit" });
    if (r.res) return r;
  }
  return { res: null, data: null };
}

document.querySelectorAll("[data-start]").forEach((b) => b.addEventListener("click", async () => {
  const r = await askAnyNode("/api/lab/scale/start", { node: b.dataset.start });
  if (r.res?.ok) status("nodes-status", fmt(T.starting, { node: b.dataset.start }));
  else status("nodes-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error");
  for (const wait of [3000, 6000, 10000]) setTimeout(readNodes, wait);
}));

$("refresh-nodes")?.addEventListener("click", readNodes);

$("store-switch")?.addEventListener("click", async () => {
  const chosen = document.querySelector("input[name=store]:checked");
  if (!chosen) return;
  const r = await askAnyNode("/api/lab/scale/store", { session_store: chosen.value });
  if (!r.res?.ok) return status("store-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error");
  status("store-status", fmt(T.restarting, { store: chosen.value }));
  token = null;
  enable("ask", false);
  for (const wait of [4000, 8000, 14000, 20000]) setTimeout(readNodes, wait);
});

// --- Log in once, ask every node -------------------------------------------------------------

const loginBase = DATA.balancer ? `${DATA.balancer}` : "";
const sticky = DATA.balancer ? "?lb=sticky" : "";

async function login() {
  // The session flow, as a user does it: through the balancer (sticky) when there is one.
  const fresh = await call(`${loginBase}/session/csrf${sticky}`, { credentials: "include" });
  const s = fresh.res?.ok ? await call(`${loginBase}/session/login${sticky}`, {
    method: "POST", form: { username: "alice", password: "alice123" },
    headers: { "X-CSRFToken": fresh.data.csrf_token }, credentials: "include",
  }) : fresh;
  // The JWT flow: issued by this page's own node.
  const j = await call("/api/jwt/login", { method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit" });
  if (j.res?.ok) token = j.data.access_token;
  const ok = Boolean(s.res?.ok && j.res?.ok);
  $("login-verdict").dataset.ok = String(ok);
  $("login-verdict").textContent = ok
    ? fmt(T.logged_in, { snode: s.res.headers.get("X-Lab-Node") ?? "?", jnode: j.res.headers.get("X-Lab-Node") ?? "?" })
    : fmt(T.login_failed, { status: `${s.res ? `${s.res.status} ${s.data?.message ?? ""}` : T.no_answer} / ${j.res ? `${j.res.status} ${j.data?.message ?? ""}` : T.no_answer}` });
  enable("ask", ok);
}

function answerCell(row, r, okText) {
  const td = row.insertCell();
  if (!r.res) { td.textContent = T.no_answer; td.dataset.state = "refused"; return; }
  const name = r.res.headers.get("X-Lab-Node");
  if (name) td.append(nodeBadge(name), " ");
  td.append(`${r.res.status} ${r.res.ok ? okText(r.data) : (r.data?.error ?? "")}`);
  td.dataset.state = r.res.ok ? "accepted" : "refused";
}

async function ask() {
  const rows = $("answer-rows");
  rows.replaceChildren();
  const targets = NODES.map((n) => ({ label: n.name, url: n.url, suffix: "", direct: true }));
  if (DATA.balancer) {
    for (let i = 1; i <= 3; i += 1) targets.push({ label: `HAProxy round-robin #${i}`, url: DATA.balancer, suffix: "" });
    for (let i = 1; i <= 3; i += 1) targets.push({ label: `HAProxy sticky #${i}`, url: DATA.balancer, suffix: "?lb=sticky" });
  }
  let sOk = 0; let jOk = 0; let direct = 0; let local = false;
  stickyNode = null;
  for (const t of targets) {
    const s = await call(`${t.url}/api/session/me${t.suffix}`, { credentials: "include" });
    const j = await call(`${t.url}/api/jwt/me${t.suffix}`, { headers: bearer(), credentials: t.suffix ? "include" : "omit" });
    const row = rows.insertRow();
    row.insertCell().textContent = t.label;
    answerCell(row, s, (d) => d.user.username);
    answerCell(row, j, (d) => d.user.username);
    if (t.direct) {
      direct += 1;
      if (s.res?.ok) sOk += 1;
      if (j.res?.ok) jOk += 1;
    }
    if (t.suffix && s.res) stickyNode = s.res.headers.get("X-Lab-Node");
  }
  const stores = [...document.querySelectorAll("#node-rows .store")].map((c) => c.textContent);
  local = stores.some((text) => text === T.store_local);
  $("ask-verdict").textContent = fmt(T.ask_verdict, { s: sOk, j: jOk, n: direct });
  $("ask-why").textContent = `${local ? T.why_local : T.why_shared} ${T.why_jwt}`;
  $("ask-verdict").dataset.ok = String(local ? sOk >= 1 && jOk >= 1 : sOk === direct && jOk >= 1);
  $("sticky-node").textContent = stickyNode ? fmt(T.sticky_node, { node: stickyNode }) : "";
}

const RUN = { login, ask };
document.querySelectorAll("[data-run]").forEach((b) => b.addEventListener("click", () => RUN[b.dataset.run]()));

async function showJwks() {
  const el = $("jwks-view");
  if (!el) return;
  // The JWKS is cacheable (Cache-Control max-age) on purpose; this view revalidates so that it
  // shows what the server publishes now, not the browser's copy.
  try {
    const res = await fetch("/.well-known/jwks.json", { cache: "no-cache", credentials: "omit" });
    el.textContent = JSON.stringify(await res.json(), null, 2);
  } catch {
    el.textContent = T.no_answer;
  }
}

recordNavigation();
if (NODES.length) { readNodes(); showJwks(); }

// --- Keys: rotation and a verify-only node ---------------------------------------------------

const held = []; // every access token this page was given, oldest first
const kidOf = (t) => JSON.parse(atob(t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).kid ?? "";

async function newToken() {
  const j = await call("/api/jwt/login", { method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit" });
  if (!j.res?.ok) return status("keys-status", j.res ? errorText(j.res, j.data) : T.no_answer, "error");
  held.push(j.data.access_token);
  await checkTokens();
}

async function rotate(emergency) {
  const r = await call("/api/lab/scale/rotate", { method: "POST", json: { emergency }, credentials: "omit" });
  if (!r.res?.ok) return status("keys-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error");
  const d = r.data;
  const until = Object.values(d.retired)[0];
  status("keys-status", emergency
    ? fmt(T.rotated_emergency, { kid: d.new.slice(0, 8), dropped: d.dropped.map((k) => k.slice(0, 8)).join(", "), max_age: d.jwks_max_age })
    : fmt(T.rotated, { kid: d.new.slice(0, 8), until: until ? new Date(until * 1000).toLocaleString() : "—" }));
  await showJwks();
  await checkTokens();
}

async function checkTokens() {
  const head = $("tokens-head");
  head.replaceChildren(head.firstElementChild);
  for (const n of NODES) { const th = document.createElement("th"); th.append(nodeBadge(n.name)); head.append(th); }
  const rows = $("token-rows");
  rows.replaceChildren();
  for (const [i, t] of held.entries()) {
    const row = rows.insertRow();
    row.insertCell().textContent = fmt(T.token_label, { n: i + 1, kid: kidOf(t).slice(0, 8) });
    for (const n of NODES) {
      const r = await call(`${n.url}/api/jwt/me`, { headers: { Authorization: `Bearer ${t}` }, credentials: "omit" });
      const td = row.insertCell();
      td.dataset.state = r.res?.ok ? "accepted" : "refused";
      const reason = (r.res?.headers.get("WWW-Authenticate") ?? "").match(/error_description="([^"]+)"/)?.[1];
      td.textContent = r.res ? `${r.res.status}${r.res.ok ? "" : ` ${reason ?? r.data?.error ?? ""}`}` : T.no_answer;
      if (r.data?.message && !r.res.ok) td.title = r.data.message;
    }
  }
  // The verify-only node's cache, as it reports it (age, kids, fetches).
  const lines = [];
  for (const n of NODES) {
    const k = await call(`${n.url}/api/lab/scale/keys`, { credentials: "omit" });
    if (k.res?.ok && k.data.verify_only) {
      const j = k.data.jwks;
      lines.push(fmt(T.cache_status, { node: n.name, kids: j.kids.map((x) => x.slice(0, 8)).join(", ") || "—", url: j.url, age: j.age ?? "—", max_age: j.max_age, n: j.fetches }));
    }
  }
  $("jwks-cache").textContent = lines.join(" ");
}

$("token-new")?.addEventListener("click", newToken);
$("rotate")?.addEventListener("click", () => rotate(false));
$("rotate-emergency")?.addEventListener("click", () => rotate(true));
$("tokens-check")?.addEventListener("click", checkTokens);

// --- The store goes away ---------------------------------------------------------------------

let revokedToken = null;

document.querySelectorAll("[data-fail-open]").forEach((box) => box.addEventListener("change", async () => {
  const n = byName[box.dataset.failOpen];
  const mode = box.checked ? "open" : "closed";
  const r = await call(`${n.url}/api/lab/scale/fail-mode`, { method: "POST", json: { mode }, credentials: "omit" });
  if (r.res?.ok) status("outage-status", fmt(T.fail_mode, { node: n.name, mode }));
  else { box.checked = !box.checked; status("outage-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error"); }
}));

$("revoke-one")?.addEventListener("click", async () => {
  const j = await call("/api/jwt/login", { method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit" });
  if (!j.res?.ok) return status("outage-status", j.res ? errorText(j.res, j.data) : T.no_answer, "error");
  const out = await call("/api/jwt/logout", { method: "POST", json: {}, headers: { Authorization: `Bearer ${j.data.access_token}` }, credentials: "omit" });
  if (!out.res?.ok) return status("outage-status", errorText(out.res, out.data), "error");
  revokedToken = j.data.access_token;
  status("outage-status", T.revoked_one);
  await outageCheck();
});

$("outage")?.addEventListener("click", async () => {
  const r = await askAnyNode("/api/lab/scale/redis-outage", { seconds: 120 });
  status("outage-status", r.res?.ok ? T.outage_asked : (r.res ? errorText(r.res, r.data) : T.no_answer), r.res?.ok ? "info" : "error");
  setTimeout(outageCheck, 1500);
});

$("restore")?.addEventListener("click", async () => {
  const r = await askAnyNode("/api/lab/scale/redis-restore", {});
  status("outage-status", r.res?.ok ? T.restore_asked : (r.res ? errorText(r.res, r.data) : T.no_answer), r.res?.ok ? "info" : "error");
  setTimeout(outageCheck, 2500);
});

function outageCell(row, r, okText) {
  const td = row.insertCell();
  if (!r) { td.textContent = "—"; return; }
  if (!r.res) { td.textContent = T.no_answer; td.dataset.state = "refused"; return; }
  td.dataset.state = r.res.ok ? "accepted" : "refused";
  const reason = (r.res.headers.get("WWW-Authenticate") ?? "").match(/error_description="([^"]+)"/)?.[1];
  td.textContent = `${r.res.status} ${r.res.ok ? okText(r.data) : (reason ?? r.data?.error ?? r.data?.redis ?? "")}`;
  if (!r.res.ok && r.data?.message) td.title = r.data.message;
}

async function outageCheck() {
  const rows = $("outage-rows");
  rows.replaceChildren();
  for (const n of NODES) {
    const row = rows.insertRow();
    row.insertCell().append(nodeBadge(n.name));
    outageCell(row, await call(`${n.url}/healthz`, { credentials: "omit" }), (d) => d.redis);
    outageCell(row, await call(`${n.url}/api/session/me`, { credentials: "include" }), (d) => d.user.username);
    // The JWT check as this node's fail-mode switch says (the lab's endpoint: the real
    // /api/jwt/me always fails closed).
    const jwtCall = (t) => (t ? call(`${n.url}/api/lab/scale/jwt-me-fail-mode`, { headers: { Authorization: `Bearer ${t}` }, credentials: "omit" }) : null);
    outageCell(row, await jwtCall(revokedToken), (d) => d.user.username);
    outageCell(row, await jwtCall(token), (d) => d.user.username);
  }
}

$("outage-check")?.addEventListener("click", outageCheck);

// --- Revocation across nodes: ask Redis, or a local view fed by a push -----------------------

let pushToken = null;

async function pushState() {
  for (const n of NODES) {
    const row = document.querySelector(`tr[data-push-node="${n.name}"]`);
    if (!row) continue;
    const r = await call(`${n.url}/api/lab/scale/push`, { credentials: "omit" });
    row.querySelector(".push-state").textContent = !r.res ? T.no_answer
      : !r.res.ok ? errorText(r.res, r.data)
        : r.data.connected ? fmt(T.push_on, { n: r.data.messages_received, r: r.data.reloads }) : T.push_off;
  }
}

async function pushSwitch(name, kind) {
  const n = byName[name];
  if (kind === "resync") await call(`${n.url}/api/lab/scale/push`, { method: "POST", json: { connected: false }, credentials: "omit" });
  const json = kind === "break" ? { connected: false } : { connected: true, resync: kind === "resync" };
  const r = await call(`${n.url}/api/lab/scale/push`, { method: "POST", json, credentials: "omit" });
  if (!r.res?.ok) status("push-status", r.res ? errorText(r.res, r.data) : T.no_answer, "error");
  await pushState();
  if (pushToken) await pushCheck();
}
document.querySelectorAll("[data-push]").forEach((b) => b.addEventListener("click", () => pushSwitch(b.closest("tr").dataset.pushNode, b.dataset.push)));

async function pushRevoke() {
  const j = await call("/api/jwt/login", { method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit" });
  if (!j.res?.ok) return status("push-status", j.res ? errorText(j.res, j.data) : T.no_answer, "error");
  const out = await call("/api/jwt/logout", { method: "POST", json: {}, headers: { Authorization: `Bearer ${j.data.access_token}` }, credentials: "omit" });
  if (!out.res?.ok) return status("push-status", errorText(out.res, out.data), "error");
  pushToken = j.data.access_token;
  status("push-status", T.push_revoked);
  await pushState();
  await pushCheck();
}
$("push-revoke")?.addEventListener("click", pushRevoke);

async function pushCheck() {
  if (!pushToken) return;
  for (const n of NODES) {
    const row = document.querySelector(`tr[data-push-node="${n.name}"]`);
    const auth = { headers: { Authorization: `Bearer ${pushToken}` }, credentials: "omit" };
    for (const [cls, path] of [["via-redis", "/api/jwt/me"], ["via-local", "/api/lab/scale/jwt-me-local"]]) {
      const r = await call(`${n.url}${path}`, auth);
      const td = row.querySelector(`.${cls}`);
      const reason = (r.res?.headers.get("WWW-Authenticate") ?? "").match(/error_description="([^"]+)"/)?.[1];
      td.dataset.state = r.res?.ok ? "accepted" : "refused";
      td.textContent = !r.res ? T.no_answer : r.res.ok ? `${r.res.status} ${r.data.user.username}` : `${r.res.status} ${reason ?? r.data?.error ?? ""}`;
    }
  }
}

$("push-check")?.addEventListener("click", pushCheck);
if (NODES.length) pushState();

// --- Guided steps (auth/labs/scale/guide.py): "Show me" runs the page's own handlers ----------
// The node a step acts on: never the one serving this page (it must keep answering the page),
// and one that is up (as the table last read it).
const up = (n) => document.querySelector(`tr[data-node="${n.name}"]`)?.dataset.up !== "no";
const other = () => (NODES.filter((n) => n.name !== DATA.self && up(n)).at(-1) ?? NODES.at(-1))?.name;
let brokenNode = null;
action("scale", "nodes", readNodes);
action("scale", "ask", async () => {
  await login();
  if (token) await ask();
});
action("scale", "stop", async () => {
  if (!stickyNode) { await login(); if (token) await ask(); }
  await stopNode(stickyNode && stickyNode !== DATA.self ? stickyNode : other());
});
action("scale", "push-broken", async () => {
  brokenNode = other();
  await pushSwitch(brokenNode, "break");
  await pushRevoke();
});
action("scale", "push-fixed", async () => {
  if (!brokenNode || !pushToken) { brokenNode = other(); await pushSwitch(brokenNode, "break"); await pushRevoke(); }
  await pushSwitch(brokenNode, "resync");
});

// The lab's reset (on the node that served it): every stopped node starts again, this node's
// switches are back to their defaults. The other nodes' in-memory switches are reached from here.
document.addEventListener("guide:reset", async (event) => {
  if (event.detail.lab !== "scale" || !event.detail.shared_reset) return;
  for (const n of NODES) {
    if (n.name === DATA.self) continue;
    const post = (path, json) => call(`${n.url}${path}`, { method: "POST", json, credentials: "omit" }, true);
    await post("/api/lab/scale/fail-mode", { mode: "closed" });
    await post("/api/lab/scale/push", { connected: false });
    await post("/api/lab/scale/push", { connected: true, resync: true });
  }
  brokenNode = null;
  pushToken = null;
  for (const wait of [500, 4000, 10000]) setTimeout(readNodes, wait);
  await pushState();
});

// The refresh-token lab. Part 1: two devices in two variables of this module, the victim and the
// attacker holding a stolen copy. Part 2: three framed JWT clients (refreshtab.js) told to refresh
// at the same moment. Every verdict is the server's answer; the keys are read from Redis after
// every step (GET /api/lab/refresh/family/<fam>).
import { action } from "./guide.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, fmt, status } from "./lab.js";
import { coordinated } from "./refreshclient.js";
import { recordNavigation, wireFetch } from "./wire.js";

const victim = { access: null, refresh: null };
const attacker = { access: null, refresh: null };
let theftFam = null;
let raceFam = null;

const famOf = (token) => decodeJwt(token).payload.fam;
const api = (path, json, token) => wireFetch(path, {
  method: json === undefined ? "GET" : "POST", json, credentials: "omit",
  headers: token ? { Authorization: `Bearer ${token}` } : {},
});

// --- The keys -----------------------------------------------------------------------------------
async function showKeys(fam, tbodyId) {
  const { res, data } = await api(`/api/lab/refresh/family/${fam}`);
  if (!res.ok) return null;
  const rows = data.keys.map((k) => {
    const tr = document.createElement("tr");
    tr.className = k.exists ? "" : "gone";
    const value = k.value === null ? "—" : typeof k.value === "string" ? k.value : JSON.stringify(k.value);
    for (const text of [k.key, k.exists ? T.yes : T.no, value, k.ttl ?? "—"]) {
      tr.append(Object.assign(document.createElement("td"), { textContent: String(text) }));
    }
    return tr;
  });
  $(tbodyId).replaceChildren(...rows);
  return data;
}

// --- Part 1: victim and attacker ---------------------------------------------------------------
function holds(who, device) {
  $(`${who}-holds`).textContent = device.refresh
    ? fmt(T.holds, { tail: device.refresh.slice(-8), fam: famOf(device.refresh).slice(0, 8) }) : T.holds_none;
}

function log(who, text, ok) {
  const li = Object.assign(document.createElement("li"), { textContent: text });
  li.className = ok ? "accepted" : "refused";
  $(`${who}-log`).append(li);
}

const said = (what, res, data) => fmt(T.answer, { what, status: res.status, error: data?.error ?? "", message: data?.message ?? "" }).trim();

async function afterStep() {
  holds("victim", victim);
  holds("attacker", attacker);
  const data = await showKeys(theftFam, "theft-keys");
  if (!data) return;
  const [fam, revoked, meta] = data.keys;
  const why = $("theft-why");
  if (!fam.exists && revoked.exists) {
    why.dataset.state = "dead";
    why.textContent = T.why_dead;
  } else if (fam.exists && meta.value) {
    why.dataset.state = "";
    why.textContent = fmt(T.why_window, {
      created: data.now - Number(meta.value.created), rotated: data.now - Number(meta.value.rotated), exp: fam.ttl,
    });
  }
}

async function victimLogin() {
  const { res, data } = await api("/api/jwt/login", { username: "alice", password: "alice123" });
  log("victim", said("POST /api/jwt/login", res, data), res.ok);
  if (!res.ok) return;
  Object.assign(victim, { access: data.access_token, refresh: data.refresh_token });
  Object.assign(attacker, { access: null, refresh: null });
  theftFam = famOf(data.refresh_token);
  $("attacker-log").replaceChildren();
  for (const id of ["steal", "victim-refresh", "both-me"]) $(id).disabled = false;
  $("attacker-refresh").disabled = true;
  await afterStep();
}
$("victim-login").addEventListener("click", victimLogin);

async function steal() {
  attacker.refresh = victim.refresh;
  attacker.access = null;
  log("attacker", fmt(T.stolen, { tail: victim.refresh.slice(-8) }), true);
  $("attacker-refresh").disabled = false;
  await afterStep();
}
$("steal").addEventListener("click", steal);

async function refreshAs(who, device) {
  const { res, data } = await api("/api/jwt/refresh", { refresh_token: device.refresh });
  log(who, said("POST /api/jwt/refresh", res, data), res.ok);
  if (res.ok) Object.assign(device, { access: data.access_token, refresh: data.refresh_token });
  await afterStep();
}
$("attacker-refresh").addEventListener("click", () => refreshAs("attacker", attacker));
$("victim-refresh").addEventListener("click", () => refreshAs("victim", victim));

async function bothMe() {
  for (const [who, device] of [["victim", victim], ["attacker", attacker]]) {
    if (!device.access) continue;
    const { res, data } = await api("/api/jwt/me", undefined, device.access);
    log(who, said("GET /api/jwt/me", res, data), res.ok);
  }
  await afterStep();
}
$("both-me").addEventListener("click", bothMe);

// --- Part 2: three tabs ------------------------------------------------------------------------
const frames = () => [...$("frames").querySelectorAll("iframe")];
const mode = () => document.querySelector("input[name=mode]:checked").value;
let pending = null; // {want, answers, resolve}
let ready = null;   // {count, resolve, promise}: the three frames' "ready" messages

function buildFrames() {
  const src = $("frames").dataset.src;
  ready = { count: 0 };
  ready.promise = new Promise((resolve) => { ready.resolve = resolve; });
  $("frames").replaceChildren(...[1, 2, 3].map((n) => Object.assign(document.createElement("iframe"), {
    src: `${src}?tab=${n}&mode=${mode()}`, title: `tab ${n}`, id: `tab-${n}`,
  })));
  $("race-go").disabled = true;
  $("race-again").disabled = true;
  $("race-summary").textContent = "";
}

window.addEventListener("message", (event) => {
  if (event.origin !== location.origin) return;
  if (event.data?.kind === "ready" && ready && (ready.count += 1) === 3) ready.resolve();
  if (!pending || event.data?.kind !== pending.kind) return;
  pending.answers.push(event.data);
  if (pending.answers.length === 3) { pending.resolve(pending.answers); pending = null; }
});

function toAll(message) {
  return new Promise((resolve) => {
    pending = { kind: message.cmd, answers: [], resolve };
    for (const frame of frames()) frame.contentWindow.postMessage(message, location.origin);
  });
}

async function race() {
  const answers = await toAll({ cmd: "refresh" });
  const keys = await showKeys(raceFam, "race-keys");
  const ok = answers.filter((a) => a.ok).length;
  const sent = answers.filter((a) => a.status !== null).length;
  const adopted = answers.filter((a) => a.adopted).length;
  const dead = keys && !keys.keys[0].exists;
  const summary = $("race-summary");
  summary.dataset.state = dead ? "dead" : ok === 3 ? "fine" : "";
  if (dead) summary.textContent = fmt(T.race_dead, { ok });
  else if (ok === 3 && keys?.keys[3].exists && sent === 3) summary.textContent = T.race_grace;
  else if (ok === 3) summary.textContent = fmt(T.race_fine, { sent, adopted });
  else summary.textContent = fmt(T.race_partial, { ok });
  summary.dataset.ok = String(ok);
}

async function raceLogin() {
  const { res, data } = await api("/api/jwt/login", { username: "alice", password: "alice123" });
  if (!res.ok) return;
  raceFam = famOf(data.refresh_token);
  await toAll({ cmd: "pair", pair: { access_token: data.access_token, refresh_token: data.refresh_token } });
  $("race-summary").textContent = "";
  $("race-go").disabled = false;
  $("race-again").disabled = false;
  await showKeys(raceFam, "race-keys");
}
$("race-login").addEventListener("click", raceLogin);
$("race-go").addEventListener("click", race);
$("race-again").addEventListener("click", race);
for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", buildFrames);

// --- The grace switch (as admin, with a bearer token this page keeps in a variable) ------------
let adminToken = null;
async function showGrace() {
  const { res, data } = await api("/api/lab/refresh/grace");
  if (res.ok) { $("grace-seconds").value = data.grace; status("grace-status", fmt(T.grace_now, { s: data.grace })); }
}
async function setGrace() {
  if (!adminToken) {
    const login = await api("/api/jwt/login", { username: "admin", password: "admin123" });
    if (!login.res.ok) return status("grace-status", fmt(T.error, { status: login.res.status, error: login.data?.error, message: login.data?.message }), "error");
    adminToken = login.data.access_token;
  }
  const seconds = Number($("grace-seconds").value);
  const { res, data } = await api("/api/lab/refresh/grace", { seconds }, adminToken);
  if (!res.ok) {
    if (res.status === 401) adminToken = null;
    return status("grace-status", fmt(T.error, { status: res.status, error: data?.error ?? "", message: data?.message ?? "" }), "error");
  }
  status("grace-status", fmt(T.grace_now, { s: data.grace }));
}
$("grace-set").addEventListener("click", setGrace);

// --- Guided steps (auth/labs/refresh/guide.py): "Show me" runs the page's own handlers ----------
// Steps 1–4 show strict rotation: a grace left on by step 5 would let the reuse through, so
// "Show me" switches it off first (as admin, as the grace box does), and says so in its status.
async function noGrace() {
  const { res, data } = await api("/api/lab/refresh/grace");
  if (res.ok && data.grace > 0) {
    $("grace-seconds").value = 0;
    await setGrace();
  }
}
async function theftThenReuse() {
  await noGrace();
  await victimLogin();
  await steal();
  await refreshAs("attacker", attacker);
  await refreshAs("victim", victim);
}
async function raceNaive(grace = 0) {
  if (!grace) await noGrace();
  const naive = document.querySelector("input[name=mode][value=naive]");
  if (!naive.checked) { naive.checked = true; buildFrames(); }
  await ready.promise; // the frames must listen before they are told anything
  await raceLogin();
  await race();
}
action("refresh", "stolen", async () => {
  await noGrace();
  await victimLogin();
  await steal();
  await refreshAs("attacker", attacker);
});
action("refresh", "reuse", theftThenReuse);
action("refresh", "dead", async () => {
  await theftThenReuse();
  await bothMe();
});
action("refresh", "race", () => raceNaive());
action("refresh", "grace", async () => {
  $("grace-seconds").value = 10;
  await setGrace();
  await raceNaive(10);
});
// The lab's reset put the grace back on the server: show it.
document.addEventListener("guide:reset", (event) => { if (event.detail.lab === "refresh") showGrace(); });

$("coord-missing").hidden = coordinated();
buildFrames();
showGrace();
recordNavigation();

// The CSRF lab. Each guided step starts a run (the victim's cookies, set by the server with that
// step's SameSite), opens the attacker's page, then polls the server's record of what the LAB
// TARGET received. Green or red is the server's verdict on that record (auth/labs/attacks/guide.py,
// painted by guide.js), never the attacker's page's or this script's.
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";
import { action, refresh } from "./guide.js";

const STEPS = JSON.parse($("csrf-steps").textContent);
const COOKIE = { session: "lab_csrf_session", "jwt-cookie": "lab_csrf_jwt", bearer: null };
let free = null; // the free-play run: { run, csrf_token, access_token, attacker, target }

export function browserSays(rec) {
  const B = T.browser;
  const name = COOKIE[rec.column];
  const ss = rec.settings.samesite;
  const site = rec.sec_fetch_site;
  if (!name) return B.no_auth;
  const sent = rec.cookies[name] !== null;
  const verb = sent ? B.sent : B.not_sent;
  if (!site) return B.no_fetch_site;
  if (site === "same-origin") return fmt(B.same_origin, { sent: verb });
  if (site === "same-site") return fmt(B.same_site, { ss, sent: verb });
  if (site === "cross-site") {
    const nav = rec.method === "GET" && rec.sec_fetch_dest === "document";
    if (!sent) {
      if (ss === "absent") return B.cross_default_lax;
      if (ss === "None") return B.cross_none_blocked;
      return fmt(B.cross_blocked, { method: rec.method, ss });
    }
    if (ss === "None") return fmt(B.cross_none_sent, { method: rec.method });
    if (ss === "Lax" && nav) return B.cross_lax_nav;
    if (ss === "absent") {
      // Chromium's "Lax by default" lets a cookie younger than 2 minutes through on a top-level
      // cross-site POST; Firefox and Safari treat a missing SameSite as None.
      const chromium = /Chrome\//.test(rec.user_agent || "");
      return chromium && rec.method === "POST" && rec.cookie_age < 120
        ? fmt(B.cross_lax_post, { age: Math.round(rec.cookie_age) }) : B.cross_default_none;
    }
    return fmt(B.cross_sent, { ss });
  }
  return "";
}

function factsLine(rec) {
  const name = COOKIE[rec.column];
  const cookie = name ? `${name}=${rec.cookies[name] ?? T.none}` : T.none;
  return fmt(T.facts, {
    method: rec.method, site: rec.sec_fetch_site ?? T.none, origin: rec.origin ?? T.none,
    cookie, auth: rec.authorization ?? T.none,
  });
}

function attackerUrl(origin, run, column, vector, auto) {
  const q = new URLSearchParams({ run, col: column, v: vector });
  if (auto) q.set("auto", "1");
  return `${origin}/csrf?${q}`;
}

async function startRun(settings) {
  return wireFetch("/api/attacks/csrf/runs", { method: "POST", json: settings });
}

// Polls quietly (plain fetch, so the wire panel is not flooded); the answer that settles it is
// fetched once more through wireFetch, so the panel shows the record the verdict came from.
async function poll(run, { until = () => false, onRecords }) {
  const path = `/api/attacks/csrf/runs/${run}`;
  for (let i = 0; i < 300; i += 1) {
    const res = await fetch(path, { headers: { Accept: "application/json" } });
    if (!res.ok) return null;
    const data = await res.json();
    onRecords(data);
    if (until(data)) {
      const settled = await wireFetch(path);
      if (settled.res.ok) onRecords(settled.data);
      return settled.data;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return null;
}

function showRecord(box, rec, expect) {
  box.replaceChildren();
  const p = (cls, text) => {
    const el = document.createElement("p");
    el.className = cls;
    el.textContent = text;
    box.append(el);
  };
  p("outcome", T.outcome[rec.outcome] ?? rec.outcome);
  p("facts-line", factsLine(rec));
  p("browser-says", browserSays(rec));
  if (expect && rec.outcome !== expect) p("note", fmt(T.expected, { outcome: T.outcome[expect] }));
}

// "Show me" of a guided step (static/js/guide.js runs it, then paints the step from the
// server's verdict): a run with the step's switches, the attacker's page, the record.
async function runStep(step) {
  const li = $(`step-csrf-${step.id}`);
  const box = li.querySelector("[data-record]");
  // Open the tab now, inside the click (pop-up blockers allow that), and point it at the
  // attacker once the victim's cookies are set.
  const tab = window.open("about:blank", `attacker-${step.id}`);
  const { res, data } = await startRun(step.settings);
  if (!res.ok) {
    if (tab) tab.close();
    throw new Error(fmt(T.error, { status: res.status, ...data }));
  }
  const url = attackerUrl(data.attacker[step.origin], data.run, step.column, step.vector, true);
  li.dataset.run = data.run;
  if (tab) tab.location.href = url; else window.open(url, `attacker-${step.id}`);
  box.textContent = T.waiting;
  // The quiet polls and the settling request carry the guide ticket (cookie, then header):
  // the server judges the step from the record each of them reads.
  await poll(data.run, {
    until: (d) => d.records.length > 0,
    onRecords: (d) => {
      const rec = d.records[0];
      if (!rec) return;
      li.dataset.outcome = rec.outcome;
      showRecord(box, rec, step.expect);
    },
  });
}

for (const step of STEPS) action("csrf", step.id, () => runStep(step));

document.addEventListener("guide:reset", (event) => {
  if (event.detail.lab !== "csrf") return;
  // The server forgot every run: the records shown here are gone with them.
  for (const box of document.querySelectorAll("[data-record]")) box.replaceChildren();
  for (const li of document.querySelectorAll("li.step[data-outcome]")) delete li.dataset.outcome;
  freePolling += 1;
  free = null;
  $("free-rows").replaceChildren();
  $("free-links").hidden = true;
  $("free-status").textContent = "";
});

// --- Free play ---------------------------------------------------------------------------------

let freeSeen = 0;
function renderFree(d) {
  // A free-play attack with a guided step's switches, vector and attacker completes that step:
  // the poll that read the record carried the ticket, so ask the server for the verdicts again.
  if (d.records.length !== freeSeen) { freeSeen = d.records.length; refresh("csrf"); }
  const body = $("free-rows");
  body.replaceChildren();
  for (const rec of [...d.records].reverse()) {
    const row = body.insertRow();
    row.dataset.outcome = rec.outcome;
    row.className = rec.changed ? "changed" : "refused";
    row.insertCell().textContent = rec.column;
    row.insertCell().textContent = `${rec.method} ${rec.vector || ""} (${rec.sec_fetch_dest ?? "?"})`;
    row.insertCell().textContent = `${rec.sec_fetch_site ?? T.none} / ${rec.origin ?? T.none}`;
    const name = COOKIE[rec.column];
    row.insertCell().textContent = name ? (rec.cookies[name] ?? T.browser.not_sent) : "—";
    row.insertCell().textContent = rec.authorization ?? T.none;
    const out = row.insertCell();
    out.textContent = T.outcome[rec.outcome] ?? rec.outcome;
    const why = document.createElement("small");
    why.textContent = ` ${browserSays(rec)}`;
    out.append(why);
  }
}

let freePolling = 0;
$("free-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const settings = { samesite: form.samesite.value };
  for (const name of ["token", "origin", "fetchmeta", "double_submit"]) settings[name] = form[name].checked;
  const { res, data } = await startRun(settings);
  if (!res.ok) return status("free-status", fmt(T.error, { status: res.status, ...data }), "error");
  free = data;
  status("free-status", fmt(T.started, { run: data.run }));
  $("free-cross").href = attackerUrl(data.attacker.cross, data.run, "session", "form", false);
  $("free-same").href = attackerUrl(data.attacker.same, data.run, "session", "form", false);
  $("free-links").hidden = false;
  const mine = ++freePolling;
  poll(data.run, { until: () => mine !== freePolling, onRecords: renderFree });
});

$("free-legit").addEventListener("click", async () => {
  if (!free) return;
  // The victim's own page: same origin, the token it was given, the bearer token it holds.
  const q = `?run=${free.run}&v=legit`;
  const { data } = await wireFetch(`/attacks/csrf/target/session${q}`, {
    method: "POST", form: { amount: "100", csrf_token: free.csrf_token },
  });
  status("free-status", fmt(T.legit_done, { outcome: T.outcome[data?.outcome] ?? data?.outcome }));
});

if (location.hostname !== "localhost") { $("where-bad").hidden = false; $("where-ok").hidden = true; }
recordNavigation();

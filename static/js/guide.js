// Guided steps, the same on every lab page (templates/_guide.html renders them; the steps are
// declared once on the server, auth/labs/guide/). A lab's own script registers what "Show me"
// runs — usually the handler its own button already has:
//   import { action } from "./guide.js";
//   action("revocation", "login", () => RUN.login());
// Every verdict is painted from the server's record (GET /api/guide/<lab>), never from what the
// page thinks happened: after "Show me", and whenever the wire panel logs a request (so a step
// done by hand with the page's own controls turns green too).
import { fmt } from "./lab.js";
import { onEntry } from "./wire.js";

const KEY = "lab.guide";
const actions = new Map(); // "lab/step" -> async function
const sections = () => [...document.querySelectorAll("section.guide[data-lab]")];

export function action(lab, stepId, fn) {
  actions.set(`${lab}/${stepId}`, fn);
  const button = document.querySelector(`#step-${lab}-${stepId} [data-guide-run]`);
  if (button) { button.hidden = false; button.disabled = false; }
}

function texts(section) {
  const el = section.querySelector("script.guide-i18n");
  return el ? JSON.parse(el.textContent) : {};
}

// The ticket: who did a step, signed by the server. wire.js sends it as X-Lab-Guide on every
// call; the forms this page posts carry it as a lab_guide field (below).
export function ticket() { return localStorage.getItem(KEY) || ""; }

let ticketReady = null;
export function ensureTicket() {
  ticketReady ??= (async () => {
    const headers = { Accept: "application/json" };
    if (ticket()) headers["X-Lab-Guide"] = ticket();
    try {
      const res = await fetch("/api/guide/ticket", { headers, credentials: "same-origin" });
      const data = await res.json();
      if (res.ok && data.ticket) localStorage.setItem(KEY, data.ticket);
    } catch { /* offline: steps are simply not credited */ }
    return ticket();
  })();
  return ticketReady;
}

function headers() {
  const h = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "ko" };
  if (ticket()) h["X-Lab-Guide"] = ticket();
  return h;
}

const time = (ts) => new Date(ts * 1000).toLocaleTimeString();

// Paint one guide from the server's answer.
export function paint(section, data) {
  const T = texts(section);
  section.querySelector(".guide-count").textContent = fmt(T.count, { done: data.done, total: data.total });
  section.dataset.done = String(data.done);
  for (const s of data.steps) {
    const li = section.querySelector(`li.step[data-step="${s.id}"]`);
    if (!li) continue;
    li.dataset.state = s.state;
    const verdict = li.querySelector(":scope > .verdict");
    if (s.state === "ok") verdict.textContent = fmt(T.ok, { t: time(s.at) });
    else if (s.state === "bad") verdict.textContent = fmt(T.bad, { detail: s.detail });
    else {
      const n = (s.parts || []).filter((p) => p === "ok").length;
      verdict.textContent = n ? fmt(T.partial, { n, m: s.parts.length }) : "";
    }
    // (lab.css hides a .verdict whose data-state is "": a neutral verdict has none.)
    if (s.state) verdict.dataset.state = s.state; else verdict.removeAttribute("data-state");
    const why = li.querySelector(":scope > .why");
    if (why) why.hidden = !s.state;
  }
  section.dispatchEvent(new CustomEvent("guide:painted", { bubbles: true, detail: data }));
}

export async function refresh(lab) {
  const targets = lab ? sections().filter((s) => s.dataset.lab === lab) : sections();
  await ensureTicket();
  await Promise.all(targets.map(async (section) => {
    try {
      const res = await fetch(`/api/guide/${encodeURIComponent(section.dataset.lab)}`, { headers: headers(), credentials: "same-origin" });
      if (res.ok) paint(section, await res.json());
    } catch { /* the next refresh will try again */ }
  }));
}

// A step done by hand: the wire panel saw a request, so ask the server again (debounced).
let pending = null;
onEntry(() => {
  clearTimeout(pending);
  pending = setTimeout(() => refresh(), 250);
});

async function run(section, li) {
  const T = texts(section);
  const lab = section.dataset.lab;
  const fn = actions.get(`${lab}/${li.dataset.step}`);
  const button = li.querySelector("[data-guide-run]");
  const verdict = li.querySelector(":scope > .verdict");
  if (!fn) { verdict.textContent = T.no_action; return; }
  await ensureTicket();
  button.disabled = true;
  verdict.removeAttribute("data-state");
  verdict.textContent = T.running;
  try {
    await fn();
  } catch (error) {
    verdict.textContent = fmt(T.failed, { error: error?.message ?? String(error) });
    verdict.dataset.state = "bad";
    button.disabled = false;
    return;
  }
  button.disabled = false;
  clearTimeout(pending);
  await refresh(lab);
  // Nothing recorded: the server did not see this step's request (an earlier step missing?).
  if (!li.dataset.state && (verdict.textContent === T.running || !verdict.textContent)) verdict.textContent = T.none_yet;
}

async function reset(section) {
  const T = texts(section);
  const lab = section.dataset.lab;
  await ensureTicket();
  const h = headers();
  const token = document.querySelector("meta[name=csrf-token]")?.content;
  if (token) h["X-CSRFToken"] = token;
  const status = section.querySelector(".guide-status");
  const res = await fetch(`/api/guide/${encodeURIComponent(lab)}/reset`, { method: "POST", headers: h, credentials: "same-origin" });
  const data = await res.json().catch(() => null);
  if (!res.ok || !data) {
    status.textContent = fmt(T.reset_failed, { status: data?.message ?? res.status });
    status.className = "msg guide-status error";
    return;
  }
  status.textContent = data.message || T.reset_done;
  status.className = `msg guide-status ${data.shared_reset ? "info" : "plain"}`;
  paint(section, data);
  document.dispatchEvent(new CustomEvent("guide:reset", { detail: { lab, shared_reset: data.shared_reset } }));
}

// A form this page posts (the session flow's login and logout) carries the ticket as a field:
// a plain form post has no script to add a header, and a cookie sent with every request would
// sit in the very Cookie headers the lab measures.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" || !ticket()) return;
  if (new URL(form.action, location.href).origin !== location.origin) return;
  let field = form.querySelector("input[name=lab_guide]");
  if (!field) {
    field = Object.assign(document.createElement("input"), { type: "hidden", name: "lab_guide" });
    form.append(field);
  }
  field.value = ticket();
}, true);

document.addEventListener("click", (event) => {
  const runButton = event.target.closest("[data-guide-run]");
  const resetButton = event.target.closest("[data-guide-reset]");
  const section = event.target.closest("section.guide[data-lab]");
  if (!section) return;
  if (runButton) run(section, runButton.closest("li.step"));
  else if (resetButton) reset(section);
});

function start() {
  // A step no script registered an action for is done by hand: say so rather than offer a
  // button that does nothing.
  for (const section of sections()) {
    for (const li of section.querySelectorAll("li.step")) {
      const button = li.querySelector("[data-guide-run]");
      if (button && !actions.has(`${section.dataset.lab}/${li.dataset.step}`)) button.hidden = true;
    }
  }
  refresh();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

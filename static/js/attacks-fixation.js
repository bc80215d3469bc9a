// The fixation lab. The attacker's pages open in another tab; every verdict comes from the lab's
// server: the ids this page's own requests carried compared with the planted ones, the record of
// what the lab answered the attacker, and what the server says this browser is logged in as.
// The steps' green or red is the server's judgement of those requests (auth/labs/attacks/guide.py),
// painted by guide.js; the lines under each step are the answers themselves.
import { $, T, fmt } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";
import { action } from "./guide.js";

let run = null;
let attacker = null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const note = (id, text) => { $(id).textContent = text; };

async function newRun() {
  const { res, data } = await wireFetch("/api/attacks/fixation/runs", { method: "POST", json: {} });
  if (!res.ok) throw new Error(fmt(T.error, { status: res.status, ...data }));
  run = data.run;
  attacker = data.attacker;
}

// Each state() request carries the browser's cookies: the server compares them with the planted
// ids. Waiting polls quietly (plain fetch) and ends with one state() the wire panel shows.
const state = async () => (await wireFetch(`/api/attacks/fixation/runs/${run}`)).data;
const count = (d, kind) => d.records.filter((r) => r.kind === kind).length;

async function until(test) {
  for (let i = 0; i < 120; i += 1) {
    const res = await fetch(`/api/attacks/fixation/runs/${run}`, { headers: { Accept: "application/json" } });
    if (res.ok && test(await res.json())) return state();
    await sleep(700);
  }
  return null;
}

// The attacker's tab is opened inside the click (pop-up blockers allow that) and pointed at the
// attacker once the run is ready.
function open(name) {
  const tab = window.open("about:blank", name);
  const go = (target) => { if (tab) tab.location.href = target; else window.open(target, name); };
  go.close = () => { if (tab) tab.close(); };
  return go;
}

function need(ok, text) { if (!ok) throw new Error(text); }

const RUN = {
  async plant() {
    const go = open("attacker-fixation");
    await newRun();
    note("plant-verdict", T.waiting);
    go(`${attacker.same}/fixation?run=${run}`);
    const s = await until((d) => count(d, "planted") > 0);
    if (!s) return;
    const again = await state(); // this request carries whatever the browser now holds
    const real = again.cookies.lab_session;
    const weak = again.cookies.lab_fix_weak;
    const ok = real.is_planted && weak.is_planted;
    note("plant-verdict", fmt(T.planted, { real: real.sent, weak: weak.sent, verdict: ok ? T.planted_yes : T.planted_no }));
  },

  async login() {
    need(run, T.plant_first);
    const fresh = await wireFetch("/session/csrf");
    const s = await wireFetch("/session/login", {
      method: "POST", form: { username: "alice", password: "alice123" }, headers: { "X-CSRFToken": fresh.data.csrf_token },
    });
    const w = await wireFetch(`/attacks/fixation/weak/login?run=${run}`, {
      method: "POST", json: { username: "alice", password: "alice123" },
    });
    if (!s.res.ok || !w.res.ok) {
      note("login-verdict", fmt(T.login_failed, { status: `${s.res.status} / ${w.res.status}` }));
      return;
    }
    const d = await state();
    const real = d.cookies.lab_session;
    const weak = d.cookies.lab_fix_weak;
    note("login-verdict", fmt(T.logged_in, {
      real: real.is_planted ? fmt(T.kept, { id: real.sent }) : fmt(T.regenerated, { id: real.sent }),
      weak: weak.is_planted ? fmt(T.kept, { id: weak.sent }) : fmt(T.not_planted, { id: weak.sent }),
    }));
  },

  async try() {
    need(run, T.plant_first);
    const go = open("attacker-fixation");
    const first = await state();
    if (!count(first, "weak-login")) { go.close(); need(false, T.login_first); }
    const before = count(first, "attacker-try");
    go(`${attacker.same}/fixation/try?run=${run}`);
    const d = await until((s) => count(s, "attacker-try") > before);
    if (!d) return;
    const t = d.records.filter((r) => r.kind === "attacker-try").pop();
    const realEl = $("try-real");
    const weakEl = $("try-weak");
    realEl.dataset.state = t.real_status === 200 ? "accepted" : "refused";
    realEl.textContent = t.real_status === 200 ? fmt(T.real_accepted, { status: t.real_status, user: t.real_user })
      : fmt(T.real_refused, { status: t.real_status });
    weakEl.dataset.state = t.weak_status === 200 ? "accepted" : "refused";
    weakEl.textContent = t.weak_status === 200 ? fmt(T.weak_accepted, { status: t.weak_status, user: t.weak_user })
      : fmt(T.weak_refused, { status: t.weak_status });
  },

  async "lcsrf-weak"() {
    const go = open("attacker-login");
    if (!run) await newRun();
    const before = count(await state(), "weak-login");
    note("lcsrf-weak-verdict", T.waiting);
    go(`${attacker.cross}/fixation/login-csrf?run=${run}&target=weak&auto=1`);
    const d = await until((s) => count(s, "weak-login") > before);
    if (!d) return;
    const me = await wireFetch("/attacks/fixation/weak/me");
    const user = me.data?.user?.username;
    note("lcsrf-weak-verdict", user === "bob" ? fmt(T.weak_as, { user })
      : fmt(T.weak_not, { status: me.res.status, user: user ?? "" }));
  },

  async "lcsrf-real"() {
    const go = open("attacker-login");
    if (!run) await newRun();
    const before = count(await state(), "real-login");
    note("lcsrf-real-verdict", T.waiting);
    go(`${attacker.cross}/fixation/login-csrf?run=${run}&target=real&auto=1`);
    // The real login's answer to the forged form, as the lab filed it under this run.
    const d = await until((s) => count(s, "real-login") > before);
    if (!d) return;
    await whoAmI();
  },
};

// What the REAL session says this browser is now (?run= lets the server tie the answer to the
// forged login it recorded for this run; the real view ignores it).
async function whoAmI() {
  const me = await wireFetch(run ? `/api/session/me?run=${run}` : "/api/session/me");
  const user = me.data?.user?.username;
  note("lcsrf-real-verdict", user === "bob" ? fmt(T.real_hijacked, { user })
    : user ? fmt(T.real_as, { user }) : fmt(T.real_as_none, { status: me.res.status }));
}

$("lcsrf-check").addEventListener("click", whoAmI);

for (const [name, fn] of Object.entries(RUN)) action("fixation", name, fn);

document.addEventListener("guide:reset", (event) => {
  if (event.detail.lab !== "fixation") return;
  // The server forgot the runs and the weak sessions: start again from the plant.
  run = null;
  for (const id of ["plant-verdict", "login-verdict", "lcsrf-weak-verdict", "lcsrf-real-verdict", "try-real", "try-weak"]) {
    $(id).textContent = "";
    delete $(id).dataset.state;
  }
});

if (location.hostname !== "localhost") { $("where-bad").hidden = false; $("where-ok").hidden = true; }
recordNavigation();

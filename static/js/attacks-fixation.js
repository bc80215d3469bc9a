// The fixation lab. The attacker's pages open in another tab; every verdict here comes from the
// lab's server: the ids this page's own requests carried compared with the planted ones, and
// the record of what the lab answered the attacker.
import { $, T, fmt } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

let run = null;
let attacker = null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mark = (id, ok) => { $(id).dataset.state = ok ? "ok" : "bad"; };
const enable = (name) => { document.querySelector(`[data-run="${name}"]`).disabled = false; };

async function newRun() {
  const { data } = await wireFetch("/api/attacks/fixation/runs", { method: "POST", json: {} });
  run = data.run;
  attacker = data.attacker;
}

// Each state() request carries the browser's cookies: the server compares them with the planted
// ids. Waiting polls quietly (plain fetch) and ends with one state() the wire panel shows.
const state = async () => (await wireFetch(`/api/attacks/fixation/runs/${run}`)).data;

async function until(test) {
  for (let i = 0; i < 120; i += 1) {
    const res = await fetch(`/api/attacks/fixation/runs/${run}`, { headers: { Accept: "application/json" } });
    if (res.ok && test(await res.json())) return state();
    await sleep(700);
  }
  return null;
}

function open(name) {
  const tab = window.open("about:blank", name);
  return (target) => { if (tab) tab.location.href = target; else window.open(target, name); };
}

const RUN = {
  async plant() {
    const go = open("attacker-fixation");
    await newRun();
    $("plant-verdict").textContent = T.waiting;
    go(`${attacker.same}/fixation?run=${run}`);
    const s = await until((d) => d.records.some((r) => r.kind === "planted"));
    if (!s) return;
    const again = await state(); // this request carries whatever the browser now holds
    const real = again.cookies.lab_session;
    const weak = again.cookies.lab_fix_weak;
    const ok = real.is_planted && weak.is_planted;
    mark("step-plant", ok);
    $("plant-verdict").textContent = fmt(T.planted, { real: real.sent, weak: weak.sent, verdict: ok ? T.planted_yes : T.planted_no });
    enable("login");
  },

  async login() {
    const fresh = await wireFetch("/session/csrf");
    const s = await wireFetch("/session/login", {
      method: "POST", form: { username: "alice", password: "alice123" }, headers: { "X-CSRFToken": fresh.data.csrf_token },
    });
    const w = await wireFetch(`/attacks/fixation/weak/login?run=${run}`, {
      method: "POST", json: { username: "alice", password: "alice123" },
    });
    if (!s.res.ok || !w.res.ok) {
      mark("step-login", false);
      $("login-verdict").textContent = fmt(T.login_failed, { status: `${s.res.status} / ${w.res.status}` });
      return;
    }
    const d = await state();
    const real = d.cookies.lab_session;
    const weak = d.cookies.lab_fix_weak;
    mark("step-login", !real.is_planted && weak.is_planted);
    $("login-verdict").textContent = fmt(T.logged_in, {
      real: real.is_planted ? fmt(T.kept, { id: real.sent }) : fmt(T.regenerated, { id: real.sent }),
      weak: weak.is_planted ? fmt(T.kept, { id: weak.sent }) : fmt(T.not_planted, { id: weak.sent }),
    });
    enable("try");
  },

  async try() {
    const go = open("attacker-fixation");
    const before = (await state()).records.filter((r) => r.kind === "attacker-try").length;
    go(`${attacker.same}/fixation/try?run=${run}`);
    const d = await until((s) => s.records.filter((r) => r.kind === "attacker-try").length > before);
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
    mark("step-try", t.real_status === 401 && t.weak_status === 200 && t.weak_user === "alice");
  },

  async "lcsrf-weak"() {
    const go = open("attacker-login");
    if (!run) await newRun();
    const before = (await state()).records.filter((r) => r.kind === "weak-login").length;
    $("lcsrf-weak-verdict").textContent = T.waiting;
    go(`${attacker.cross}/fixation/login-csrf?run=${run}&target=weak&auto=1`);
    const d = await until((s) => s.records.filter((r) => r.kind === "weak-login").length > before);
    if (!d) return;
    const me = await wireFetch("/attacks/fixation/weak/me");
    const user = me.data?.user?.username;
    mark("step-lcsrf-weak", user === "bob");
    $("lcsrf-weak-verdict").textContent = user === "bob" ? fmt(T.weak_as, { user })
      : fmt(T.weak_not, { status: me.res.status, user: user ?? "" });
  },

  async "lcsrf-real"() {
    const go = open("attacker-login");
    if (!run) await newRun();
    go(`${attacker.cross}/fixation/login-csrf?run=${run}&target=real&auto=1`);
    $("lcsrf-check").disabled = false;
  },
};

$("lcsrf-check").addEventListener("click", async () => {
  const me = await wireFetch("/api/session/me");
  const user = me.data?.user?.username;
  mark("step-lcsrf-real", user !== "bob");
  $("lcsrf-real-verdict").textContent = user === "bob" ? fmt(T.real_hijacked, { user })
    : user ? fmt(T.real_as, { user }) : fmt(T.real_as_none, { status: me.res.status });
});

for (const button of document.querySelectorAll("[data-run]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await RUN[button.dataset.run](); } finally { button.disabled = false; }
  });
}
if (location.hostname !== "localhost") { $("where-bad").hidden = false; $("where-ok").hidden = true; }
recordNavigation();

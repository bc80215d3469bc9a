// The cost page's live run: start it (POST), poll its progress (GET), draw what it measured.
// The server refuses a second run while one is going (409): then we just follow that one.
import { $, T, fmt, status } from "./lab.js";

const URL_RUN = $("live").dataset.url;
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const POLL_MS = 250;

const say = (text, kind = "info") => status("live-status", text, kind);
const us = (value) => (value === null || value === undefined ? "" : Math.round(value));

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function bar(row, value, top) {
  const td = cell(row, "");
  td.className = "bar-cell";
  const div = document.createElement("div");
  div.className = "bar";
  div.style.width = `${Math.max(1, (100 * value) / top)}%`;
  td.appendChild(div);
}

function draw(result) {
  const rows = result.order.map((name) => [name, result.scenarios[name]]);
  const top = Math.max(...rows.map(([, r]) => r.median_us || 0));
  const body = $("live-table").querySelector("tbody");
  body.replaceChildren();
  for (const [name, r] of rows) {
    const tr = document.createElement("tr");
    tr.dataset.scenario = name;
    cell(tr, T[name] || name);
    cell(tr, us(r.median_us));
    cell(tr, us(r.p99_us));
    cell(tr, r.vs_baseline === null ? "" : `${r.vs_baseline.toFixed(2)}×`);
    cell(tr, r.errors);
    bar(tr, r.median_us || 0, top || 1);
    body.appendChild(tr);
  }
  const steps = $("live-steps").querySelector("tbody");
  steps.replaceChildren();
  for (const name of result.step_order) {
    const s = result.steps[name];
    const tr = document.createElement("tr");
    cell(tr, T[name] || name);
    cell(tr, us(s.median_us));
    cell(tr, us(s.p99_us));
    steps.appendChild(tr);
  }
  const strategies = $("live-strategies").querySelector("tbody");
  strategies.replaceChildren();
  for (const name of result.strategy_order || []) {
    const s = result.strategies[name];
    const tr = document.createElement("tr");
    const code = document.createElement("code");
    code.textContent = name;
    tr.appendChild(document.createElement("td")).appendChild(code);
    cell(tr, us(s.median_us));
    cell(tr, us(s.p99_us));
    cell(tr, s.round_trips);
    cell(tr, s.view ? us(s.view.median_us) : "");
    cell(tr, s.view ? s.view.round_trips : "");
    cell(tr, s.redis_bytes ? fmt(T.strategy_bytes, { n: s.redis_bytes }) : "0");
    cell(tr, name === "none" ? T.window_none : T.window_now);
    strategies.appendChild(tr);
  }
  for (const id of ["live-table", "live-note", "live-steps", "live-strategies"]) $(id).hidden = false;
}

function show(state) {
  const progress = $("live-progress");
  progress.hidden = state.state !== "running";
  $("live-run").disabled = state.state === "running";
  if (state.state === "running") {
    progress.value = state.total ? state.done / state.total : 0;
    say(fmt(T.running, { done: state.done, total: state.total }));
  } else if (state.state === "done") {
    draw(state.result);
    const done = fmt(T.done, { n: state.requests, alg: state.result.algorithm });
    say(state.result.truncated ? `${done} ${T.truncated}` : done);
  } else if (state.state === "failed") {
    say(T[state.error] || T.failed, "error");
  }
}

async function poll() {
  let state;
  try {
    const res = await fetch(URL_RUN, { credentials: "same-origin" });
    state = await res.json();
  } catch {
    return say(T.unreachable, "error");
  }
  show(state);
  if (state.state === "running") setTimeout(poll, POLL_MS);
}

$("live-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const requests = Number(new FormData(event.target).get("requests"));
  let res;
  try {
    res = await fetch(URL_RUN, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify({ requests }),
    });
  } catch {
    return say(T.unreachable, "error");
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.status === 409) {
    say(T.busy);
  } else if (!res.ok) {
    say((data && data.message) || T.failed, "error");
    return;
  }
  poll();
});

// The check-mode switch: what is in force, and this process's view of Redis.
const URL_MODE = $("check-mode").dataset.url;

function showMode(data) {
  for (const input of document.querySelectorAll('#mode-form input[name="mode"]')) {
    input.checked = input.value === data.mode;
  }
  for (const row of document.querySelectorAll("#mode-table tr[data-mode]")) {
    row.classList.toggle("current", row.dataset.mode === data.mode);
  }
  const v = data.view;
  const link = !v ? T.view_none : v.up ? fmt(T.view_up, v) : T.view_down;
  status("mode-status", `${T[`mode_${data.mode}`] || data.mode} ${link}`, v && !v.up ? "error" : "info");
}

async function loadMode() {
  try {
    const res = await fetch(URL_MODE, { credentials: "same-origin" });
    if (res.ok) showMode(await res.json());
  } catch { /* the live run's status line already says when the server is away */ }
}

$("mode-form").addEventListener("change", async (event) => {
  const res = await fetch(URL_MODE, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF },
    body: JSON.stringify({ mode: event.target.value }),
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    status("mode-status", (data && data.message) || T.failed, "error");
    loadMode();
    return;
  }
  showMode(data);
});

loadMode();
setInterval(() => { if (!document.hidden) loadMode(); }, 3000);

poll(); // a run started from another tab, or the last result, shows up at once

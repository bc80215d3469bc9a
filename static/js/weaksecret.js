// The weak-secret lab: the lab node issues a token, the server cracks it (this page polls the
// job), the found secret signs an admin token, and the same attack runs on the real app's token.
// Every number on this page is the server's; the steps' verdicts are the server's records
// (auth/labs/weaksecret/guide.py, painted by guide.js).
import { action } from "./guide.js";
import { decodeJwt } from "./jwtdecode.js";
import { $, T, fmt } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

let token = null;
let found = null;
const post = (path, json, headers = {}) => wireFetch(path, { method: "POST", json, headers, credentials: "omit" });

async function issue(newSecret) {
  const { res, data } = await post("/api/lab/weak/node/token", { new_secret: newSecret });
  if (!res.ok) return;
  token = data.token;
  found = null;
  $("node-token").textContent = `${data.token}\n\n${JSON.stringify(decodeJwt(data.token).payload, null, 2)}`;
  $("node-token").title = fmt(T.issued, { n: data.secret_length });
  $("crack").disabled = false;
  $("forge").disabled = true;
  for (const id of ["crack-facts", "crack-verdict", "forged-token", "forge-verdict"]) $(id).textContent = "";
}
$("issue").addEventListener("click", () => issue(false));
$("issue-new").addEventListener("click", () => issue(true));

function showJob(job, factsId) {
  $("crack-progress").max = job.total || 1;
  $("crack-progress").value = job.tried;
  $(factsId).textContent = fmt(T.progress, { tried: job.tried.toLocaleString(), total: job.total.toLocaleString(), elapsed: job.elapsed, rate: job.rate.toLocaleString() });
  if (job.real_secret) {
    const r = job.real_secret;
    $("arith").textContent = fmt(T.arith, { bits: r.bits, keys: r.log10_keys, rate: r.log10_rate, seconds: r.log10_seconds, years: r.log10_years, ages: r.log10_universe_ages });
  }
}

// Start the dictionary attack on `target` and poll the job until it ends: the job as the
// server last reported it, or null when it could not start (the reason is shown in `verdictId`).
async function crackToken(target, factsId, verdictId) {
  const { res, data } = await post("/api/lab/weak/crack", { token: target });
  if (res.status !== 202) {
    $(verdictId).textContent = fmt(T.busy, { status: res.status, message: data?.message ?? "" });
    return null;
  }
  for (;;) {
    const poll = await wireFetch(`/api/lab/weak/crack/${data.job}`, { credentials: "omit" });
    if (!poll.res.ok) return null;
    showJob(poll.data, factsId);
    if (poll.data.state !== "running") {
      $(verdictId).textContent = poll.data.found ? fmt(T.found, { secret: poll.data.found }) : T.exhausted;
      return poll.data;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function crackIt() {
  $("crack").disabled = true;
  const job = await crackToken(token, "crack-facts", "crack-verdict");
  if (job) {
    found = job.found;
    $("forge").disabled = !found;
  }
  $("crack").disabled = false;
}
$("crack").addEventListener("click", crackIt);

async function forgeAndKnock() {
  const { header, payload } = decodeJwt(token);
  const made = await post("/api/lab/forge/make", {
    recipe: "secret", header, payload: { ...payload, role: "admin" }, options: { secret: found },
  });
  if (!made.res.ok) return;
  $("forged-token").textContent = made.data.token;
  const { res, data } = await post("/api/lab/weak/node/admin", {}, { Authorization: `Bearer ${made.data.token}` });
  $("forge-verdict").textContent = res.ok
    ? fmt(T.admin_ok, { status: res.status, message: data.message })
    : fmt(T.admin_no, { status: res.status, error: data?.error ?? "", message: data?.message ?? "" });
}
$("forge").addEventListener("click", forgeAndKnock);

// The same attack on the real flow's token: alice's access token from POST /api/jwt/login.
async function crackReal() {
  const { res, data } = await post("/api/jwt/login", { username: "alice", password: "alice123" });
  if (!res.ok) throw new Error(`POST /api/jwt/login → ${res.status}`);
  await crackToken(data.access_token, "real-facts", "real-verdict");
}

// --- Guided steps: "Show me" runs the same handlers as the buttons, the steps before it first
// when they have not been done on this page yet.
action("weaksecret", "issue", () => issue(false));
action("weaksecret", "crack", async () => {
  if (!token) await issue(false);
  await crackIt();
});
action("weaksecret", "forge", async () => {
  if (!token) await issue(false);
  if (!found) await crackIt();
  if (found) await forgeAndKnock();
});
action("weaksecret", "real", crackReal);

// The lab's reset drew a new secret for the node (at its next login): the token here is stale.
document.addEventListener("guide:reset", (event) => {
  if (event.detail.lab !== "weaksecret" || !event.detail.shared_reset) return;
  token = null;
  found = null;
  $("crack").disabled = true;
  $("forge").disabled = true;
  for (const id of ["node-token", "crack-facts", "crack-verdict", "forged-token", "forge-verdict", "real-facts", "real-verdict", "arith"]) $(id).textContent = "";
  $("crack-progress").value = 0;
});

recordNavigation();

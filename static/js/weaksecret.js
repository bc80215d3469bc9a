// The weak-secret lab: the lab node issues a token, the server cracks it (this page polls the
// job), the found secret signs an admin token, and the measured rate is applied to the real
// app's 48-byte secret. Every number on this page is the server's.
import { decodeJwt } from "./jwtdecode.js";
import { $, T, fmt } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

let token = null;
let found = null;
const post = (path, json, headers = {}) => wireFetch(path, { method: "POST", json, headers, credentials: "omit" });
const mark = (id, ok) => { $(id).dataset.state = ok === null ? "" : ok ? "ok" : "bad"; };

async function issue(newSecret) {
  const { res, data } = await post("/api/lab/weak/node/token", { new_secret: newSecret });
  mark("step-issue", res.ok);
  if (!res.ok) return;
  token = data.token;
  found = null;
  $("node-token").textContent = `${data.token}\n\n${JSON.stringify(decodeJwt(data.token).payload, null, 2)}`;
  $("node-token").title = fmt(T.issued, { n: data.secret_length });
  $("crack").disabled = false;
  $("forge").disabled = true;
  for (const id of ["step-crack", "step-forge", "step-real"]) mark(id, null);
  for (const id of ["crack-facts", "crack-verdict", "forged-token", "forge-verdict", "arith"]) $(id).textContent = "";
}
$("issue").addEventListener("click", () => issue(false));
$("issue-new").addEventListener("click", () => issue(true));

function showJob(job) {
  $("crack-progress").max = job.total || 1;
  $("crack-progress").value = job.tried;
  $("crack-facts").textContent = fmt(T.progress, { tried: job.tried.toLocaleString(), total: job.total.toLocaleString(), elapsed: job.elapsed, rate: job.rate.toLocaleString() });
  if (job.real_secret) {
    const r = job.real_secret;
    $("arith").textContent = fmt(T.arith, { bits: r.bits, keys: r.log10_keys, rate: r.log10_rate, seconds: r.log10_seconds, years: r.log10_years, ages: r.log10_universe_ages });
  }
}

$("crack").addEventListener("click", async () => {
  $("crack").disabled = true;
  const { res, data } = await post("/api/lab/weak/crack", { token });
  if (res.status !== 202) {
    $("crack").disabled = false;
    mark("step-crack", false);
    return $("crack-verdict").textContent = fmt(T.busy, { status: res.status, message: data?.message ?? "" });
  }
  for (;;) {
    const poll = await wireFetch(`/api/lab/weak/crack/${data.job}`, { credentials: "omit" });
    if (!poll.res.ok) break;
    showJob(poll.data);
    if (poll.data.state !== "running") {
      found = poll.data.found;
      mark("step-crack", Boolean(found));
      mark("step-real", Boolean(poll.data.real_secret));
      $("crack-verdict").textContent = found ? fmt(T.found, { secret: found }) : T.exhausted;
      $("forge").disabled = !found;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  $("crack").disabled = false;
});

$("forge").addEventListener("click", async () => {
  const { header, payload } = decodeJwt(token);
  const made = await post("/api/lab/forge/make", {
    recipe: "secret", header, payload: { ...payload, role: "admin" }, options: { secret: found },
  });
  if (!made.res.ok) return mark("step-forge", false);
  $("forged-token").textContent = made.data.token;
  const { res, data } = await post("/api/lab/weak/node/admin", {}, { Authorization: `Bearer ${made.data.token}` });
  mark("step-forge", res.ok);
  $("forge-verdict").textContent = res.ok
    ? fmt(T.admin_ok, { status: res.status, message: data.message })
    : fmt(T.admin_no, { status: res.status, error: data?.error ?? "", message: data?.message ?? "" });
});

recordNavigation();

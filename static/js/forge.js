// The Forge tab of the inspector: edit a header and payload, forge a token (on the server, so it
// works on any origin), and send it to the naive verifier (with the flaws ticked) and to the real
// one at once. Each verdict, its decision path and the admin door's answer come from the server.
import { action } from "./guide.js";
import { $, fmt } from "./lab.js";
import { wireFetch } from "./wire.js";

const T = JSON.parse($("forge-i18n").textContent);
let signature = ""; // the signature of the token the forge started from (keep/strip/truncate)

// --- Tabs ---------------------------------------------------------------------------------------
function showTab(name) {
  for (const tab of ["inspect", "forge"]) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(`panel-${tab}`).hidden = tab !== name;
  }
  if (name === "forge") history.replaceState(null, "", "#forge");
  else if (location.hash === "#forge") history.replaceState(null, "", location.pathname);
}
$("tab-inspect").addEventListener("click", () => showTab("inspect"));
$("tab-forge").addEventListener("click", () => showTab("forge"));
if (location.hash === "#forge") showTab("forge");

// --- Starting point -----------------------------------------------------------------------------
function b64urlJson(part) {
  const text = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
}

function startFrom(token) {
  const [head, body, sig = ""] = token.replace(/\s+/g, "").split(".");
  let header;
  let payload;
  try { header = b64urlJson(head); payload = b64urlJson(body); } catch {
    return $("forge-start-status").textContent = fmt(T.bad_json, { part: "token" });
  }
  if (payload && typeof payload === "object") payload.role = "admin";
  signature = sig;
  $("forge-header").value = JSON.stringify(header, null, 2);
  $("forge-payload").value = JSON.stringify(payload, null, 2);
  $("forge-start-status").textContent = T.started;
}

async function startFromLogin() {
  const { res, data } = await wireFetch("/api/jwt/login", {
    method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit",
  });
  if (!res.ok) return $("forge-start-status").textContent = fmt(T.failed, { status: res.status });
  startFrom(data.access_token);
}
$("forge-from-login").addEventListener("click", startFromLogin);

$("forge-from-inspector").addEventListener("click", () => {
  const token = $("token").value.trim();
  if (!token) return $("forge-start-status").textContent = T.no_inspected;
  startFrom(token);
});

// --- What this lab offers -----------------------------------------------------------------------
(async () => {
  const { res, data } = await wireFetch("/api/lab/forge/info", { credentials: "omit" });
  if (!res.ok) return;
  $("opt-kid").value = data.kid_path;
  $("jku-link").href = data.jku;
  $("jku-link").textContent = data.jku;
  const hasKey = data.encodings.length > 0;
  $("recipe-public-key").disabled = !hasKey;
  $("opt-encoding").disabled = !hasKey;
  $("public-key-note").hidden = hasKey;
  for (const option of $("opt-encoding").options) option.disabled = !data.encodings.includes(option.value);
})();

// --- Forging ------------------------------------------------------------------------------------
function parsed(id, part) {
  const text = $(id).value.trim() || "{}";
  try { return JSON.parse(text); } catch { throw new Error(fmt(T.bad_json, { part })); }
}

async function makeToken() {
  const recipe = document.querySelector("input[name=recipe]:checked").value;
  let header;
  let payload;
  try { header = parsed("forge-header", "header"); payload = parsed("forge-payload", "payload"); } catch (e) {
    $("forge-status").className = "msg error";
    return $("forge-status").textContent = e.message;
  }
  const options = {
    casing: $("opt-casing").value, secret: $("opt-secret").value, encoding: $("opt-encoding").value,
    kid: $("opt-kid").value, preset: $("opt-preset").value,
  };
  const { res, data } = await wireFetch("/api/lab/forge/make", {
    method: "POST", json: { recipe, header, payload, options, signature }, credentials: "omit",
  });
  $("forge-status").className = res.ok ? "msg info" : "msg error";
  if (!res.ok) return $("forge-status").textContent = data?.message ?? fmt(T.failed, { status: res.status });
  $("forge-token").value = data.token;
  $("forge-status").textContent = fmt(T.made, { recipe });
}
$("forge-make").addEventListener("click", makeToken);

// --- Both verifiers -----------------------------------------------------------------------------
function show(side, answer, door) {
  $(`${side}-side`).dataset.state = answer.accepted ? "accepted" : "refused";
  $(`${side}-decision`).textContent = answer.accepted ? T.accept : `${T.reject}: ${answer.reason}`;
  const steps = $(`${side}-steps`);
  steps.replaceChildren(...answer.steps.map((s) => Object.assign(document.createElement("li"), { textContent: s })));
  $(`${side}-message`).textContent = answer.message;
  const el = $(`${side}-door`);
  el.dataset.state = door.res.ok ? "open" : "shut";
  el.textContent = door.res.ok
    ? fmt(T.door_open, { status: door.res.status, message: door.data.message })
    : fmt(T.door_shut, { status: door.res.status, error: door.data?.error ?? "", message: door.data?.message ?? "" });
}

async function ask(token, verifier, flaws) {
  const verdict = await wireFetch("/api/lab/forge/verify", {
    method: "POST", json: { token, verifier, flaws }, credentials: "omit",
  });
  const door = await wireFetch("/api/lab/forge/admin", {
    method: "POST", json: { verifier, flaws }, credentials: "omit",
    headers: { Authorization: `Bearer ${token}` },
  });
  return { verdict, door };
}

async function sendBoth() {
  const token = $("forge-token").value.replace(/\s+/g, "");
  if (!token) return $("forge-status").textContent = T.no_token;
  const flaws = [...document.querySelectorAll("input[name=flaw]:checked")].map((el) => el.value);
  $("naive-flaws").textContent = flaws.length ? flaws.join(", ") : T.no_flaws;
  const [naive, real] = await Promise.all([ask(token, "naive", flaws), ask(token, "real", [])]);
  for (const [side, { verdict, door }] of [["naive", naive], ["real", real]]) {
    if (!verdict.res.ok) {
      $(`${side}-side`).dataset.state = "refused";
      $(`${side}-decision`).textContent = fmt(T.failed, { status: verdict.res.status });
      $(`${side}-message`).textContent = verdict.data?.message ?? "";
      continue;
    }
    show(side, verdict.data, door);
  }
}
$("forge-send").addEventListener("click", sendBoth);

// --- Guided steps (auth/labs/forge/guide.py): "Show me" sets the page's own controls, then runs
// the same handlers as the buttons: start, forge, send to both verifiers.
async function scenario(recipe, flaws, options = {}) {
  showTab("forge");
  await startFromLogin(); // a fresh token each time: "keep" needs its original signature
  document.querySelector(`input[name=recipe][value="${recipe}"]`).checked = true;
  for (const [id, value] of Object.entries(options)) $(id).value = value;
  for (const box of document.querySelectorAll("input[name=flaw]")) box.checked = flaws.includes(box.value);
  await makeToken();
  await sendBoth();
}
action("forge", "tamper", () => scenario("keep", []));
action("forge", "none", () => scenario("none", ["accept-none"], { "opt-casing": "none" }));
action("forge", "jwk", () => scenario("embed-jwk", ["key-from-jwk"]));
action("forge", "expired", () => scenario("preset", ["skip-exp"], { "opt-preset": "expired" }));

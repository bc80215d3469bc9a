// The token inspector: show a JWT's three parts, ask /api/inspect to decode and verify it, explain
// each claim, and let you edit the payload to watch the old signature fail. The token and the key
// live only in these text boxes: this page never writes them to any storage (it only deletes the
// one-time hand-off the JWT page leaves in sessionStorage, once read).
import { claimRows, setVerdict, tick } from "./claims.js";
import { action } from "./guide.js";
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

const PARTS = ["header", "payload", "signature"];
const HANDOFF = "lab.inspect_handoff"; // written by the JWT page's "Open in the inspector"

let original = "";        // the token as pasted or loaded, before any edit of its payload
let payloadStale = true;  // the payload box must be refilled from the next answer
let latest = 0;           // only the newest answer is shown, whatever order answers arrive in
let timer = null;
let labKey = false;       // verify with this lab's key (on the server) instead of the key box

const clean = (token) => token.replace(/\s+/g, "");

// base64url of the UTF-8 bytes of `text`: how each JWT part is encoded (RFC 7515 §2).
function textToBase64url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function showParts(token, badPart) {
  const el = $("parts");
  el.replaceChildren();
  clean(token).split(".").forEach((piece, i) => {
    if (i) el.append(".");
    const span = document.createElement("span");
    span.className = i < 3 ? `jwt-${PARTS[i]}` : "jwt-extra";
    span.classList.toggle("bad", badPart === "token" || badPart === PARTS[i]);
    span.textContent = piece;
    el.append(span);
  });
}

// What the countdowns (claims.js) may say: "valid for" only under a verified signature.
const countdownVerdict = (data) => (data.verified === true ? { state: "accepted" }
  : data.verified === false ? { state: "refused", reason: T.failed } : { state: "unconfirmed" });

function showVerdict(data) {
  const state = data.verified === true ? "verified" : data.verified === false ? "failed" : "unchecked";
  $("verdict").dataset.state = state;
  $("verdict-title").textContent = T[state];
  $("verdict-reason").textContent = data.reason;
  const pill = $("verdict-expired");
  const exp = data.payload?.exp;
  // Next to the verdict, a failed signature needs no repeating: the pill only counts down.
  const verdict = data.verified === true ? countdownVerdict(data) : { state: "unconfirmed" };
  if (typeof exp === "number") { pill.dataset.exp = exp; setVerdict(pill, verdict); }
  else { delete pill.dataset.exp; pill.textContent = T.no_exp; pill.classList.remove("expired"); }
}

function render(data) {
  $("decoded").hidden = false;
  $("header-json").textContent = JSON.stringify(data.header, null, 2);
  const isObject = typeof data.payload === "object";
  if (payloadStale) {
    $("payload-edit").value = isObject ? JSON.stringify(data.payload, null, 2) : data.payload;
    payloadStale = false;
  }
  $("claims-card").hidden = !isObject;
  claimRows($("claims"), isObject ? data.payload : {}, T, countdownVerdict(data));
  showVerdict(data);
  const payloadOf = (token) => clean(token).split(".")[1];
  const edited = Boolean(original) && payloadOf($("token").value) !== payloadOf(original);
  $("edit-note").textContent = edited ? T.edited : "";
  $("restore").hidden = clean($("token").value) === clean(original);
  tick(T);
}

function clear(message = "") {
  $("token-error").textContent = message;
  $("decoded").hidden = true;
  $("claims-card").hidden = true;
  $("verdict").dataset.state = "";
}

async function inspect() {
  clearTimeout(timer);
  const mine = ++latest;
  const token = $("token").value;
  if (!token.trim()) { showParts(""); return clear(); }
  const body = { token };
  if (labKey) body.lab_key = true; // the server uses its own key: none is sent from here
  else if ($("key").value.trim()) body.key = $("key").value;
  let res = null;
  let data = null;
  try {
    ({ res, data } = await wireFetch("/api/inspect", {
      method: "POST",
      json: body,
      credentials: "omit", // the inspector needs no cookie, and gets none
    }));
  } catch { data = null; }
  if (mine !== latest) return; // a newer request was sent meanwhile
  showParts(token, res?.ok ? null : data?.part);
  if (!res?.ok) return clear(data?.message ?? String(res?.status ?? ""));
  $("token-error").textContent = "";
  render(data);
}

const schedule = () => { clearTimeout(timer); timer = setTimeout(inspect, 250); };

function setToken(token) {
  $("token").value = token;
  original = token;
  payloadStale = true;
  inspect();
}

function useLabKey(on) {
  labKey = on;
  $("verify-lab").setAttribute("aria-pressed", String(on));
  $("key-mode").hidden = !on;
}

$("token").addEventListener("input", () => { original = $("token").value; payloadStale = true; schedule(); });
$("key").addEventListener("input", () => { useLabKey(false); schedule(); });
$("verify").addEventListener("click", () => { useLabKey(false); inspect(); });
$("verify-lab").addEventListener("click", () => { useLabKey(true); inspect(); });
$("restore").addEventListener("click", () => setToken(original));

// Editing re-encodes the payload and keeps the old signature: exactly what a forger can do.
function reencode() {
  const text = $("payload-edit").value;
  let encoded = text; // a payload that is not JSON (RFC 7515 A.4) is re-encoded as it is
  if (/^\s*[{[]/.test(text)) {
    try { encoded = JSON.stringify(JSON.parse(text)); } catch { $("edit-note").textContent = T.bad_json; return; }
  }
  const [head, , signature = ""] = clean($("token").value).split(".");
  $("token").value = `${head}.${textToBase64url(encoded)}.${signature}`;
  schedule();
}
$("payload-edit").addEventListener("input", reencode);

// A one-time hand-off from the JWT page: read it, delete it at once, so it is never kept.
function takeHandoff() {
  const token = sessionStorage.getItem(HANDOFF);
  sessionStorage.removeItem(HANDOFF);
  if (!token) return false;
  status("mine-status", T.handoff);
  setToken(token);
  return true;
}

// The JWT page keeps tokens under lab.access_token / lab.refresh_token (see tokenstore.js) when
// told to use sessionStorage or localStorage; tokens it keeps in memory exist only inside that
// page's JavaScript, so they reach this page only through the hand-off above.
$("load-mine").addEventListener("click", () => {
  if (takeHandoff()) return;
  for (const kind of ["access", "refresh"]) {
    for (const where of ["sessionStorage", "localStorage"]) {
      const token = window[where].getItem(`lab.${kind}_token`);
      if (!token) continue;
      status("mine-status", fmt(T.loaded, { kind: T[kind], where }));
      return setToken(token);
    }
  }
  const el = $("mine-status");
  const link = Object.assign(document.createElement("a"), { href: el.dataset.jwtPage, textContent: T.jwt_page });
  status("mine-status", "", "error");
  el.replaceChildren(`${T.none_stored} `, link);
});

// --- Guided steps (auth/labs/inspector/guide.py): "Show me" uses the page's own controls -------
async function freshToken() {
  const { res, data } = await wireFetch("/api/jwt/login", {
    method: "POST", json: { username: "alice", password: "alice123" }, credentials: "omit",
  });
  if (!res.ok) throw new Error(`POST /api/jwt/login → ${res.status}`);
  return data.access_token;
}

// The untouched token in the box (a fresh one for alice if there is none), payload edits undone.
async function untouched() {
  if (!clean($("token").value)) original = await freshToken();
  $("token").value = original;
  payloadStale = true;
}

action("inspector", "decode", async () => {
  original = await freshToken();
  $("token").value = original;
  payloadStale = true;
  $("key").value = "";
  useLabKey(false);
  await inspect();
});
action("inspector", "verify-lab", async () => {
  await untouched();
  useLabKey(true);
  await inspect();
});
action("inspector", "tamper", async () => {
  await untouched();
  useLabKey(true);
  await inspect(); // fills the payload box from the server's decoding
  const payload = JSON.parse($("payload-edit").value);
  payload.role = "admin";
  $("payload-edit").value = JSON.stringify(payload, null, 2);
  reencode();
  await inspect();
});

takeHandoff(); // the JWT page opened this page with a token to inspect
setInterval(() => tick(T), 1000);
recordNavigation();

// The claims of a JWT, explained, and the countdowns to its exp and nbf. Used by the token
// inspector and the JWT page. Texts come from the page's <script id="claims-i18n"> block
// (templates/_claims_i18n.html); a page without it passes its own texts as T.
//
// Three kinds of claim name (RFC 7519 §4):
//  registered  §4.1: the seven names the standard defines
//  public      §4.2: names in the IANA "JSON Web Token Claims" registry, or collision-resistant
//              names (a URI, e.g. "https://example.com/claims/plan")
//  private     §4.3: names the issuer and the receiver agree on between themselves
import { clock, fmt } from "./lab.js";

const REGISTERED = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
// Names from https://www.iana.org/assignments/jwt/jwt.xhtml (OpenID Connect, OAuth, SCIM, ...).
const PUBLIC = new Set([
  "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
  "profile", "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo",
  "locale", "phone_number", "phone_number_verified", "address", "updated_at", "azp", "nonce",
  "auth_time", "at_hash", "c_hash", "acr", "amr", "sub_jwk", "cnf", "sid", "events", "toe", "txn",
  "act", "may_act", "scope", "client_id", "roles", "groups", "entitlements", "vot", "vtm", "attest",
  "orig", "dest", "mky", "origid", "jcard", "at_use_nbr", "div", "opt", "vc", "vp", "sph",
  "ace_profile", "cnonce", "exi", "htm", "htu", "ath", "authorization_details", "sub_id",
]);
const TIMES = ["iat", "nbf", "exp"];
const lang = document.documentElement.lang;

const TEXTS = (() => {
  const block = document.getElementById("claims-i18n");
  return block ? JSON.parse(block.textContent) : {};
})();
// The page's own texts (T) fill in whatever the claims block does not say.
const texts = (T = {}) => ({ ...T, ...TEXTS, claims: { ...(T.claims || {}), ...(TEXTS.claims || {}) } });

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);

// "registered", "public" or "private" for a claim name.
export function category(name) {
  if (REGISTERED.includes(name)) return "registered";
  if (PUBLIC.has(name) || /^[a-z][a-z0-9+.-]*:/i.test(name)) return "public";
  return "private";
}

function meaning(name, t) {
  if (name in t.claims) return t.claims[name];
  const kind = category(name);
  if (kind === "public") return (name.includes(":") ? t.uri_claim : t.public_claim) ?? "";
  return t.private_claim ?? t.other_claim ?? "";
}

// The three categories, each explained once, as the table's caption.
function legend(table, t) {
  if (!t.about_registered || !table) return;
  let caption = table.querySelector("caption.claim-legend");
  if (caption) return;
  caption = table.createCaption();
  caption.className = "claim-legend";
  const list = el("dl");
  for (const kind of ["registered", "public", "private"]) {
    list.append(el("dt", { className: `kind kind-${kind}`, textContent: t[kind] }),
      el("dd", { textContent: t[`about_${kind}`] }));
  }
  caption.append(list);
}

function claimRow(body, name, value, t) {
  const row = body.insertRow();
  row.dataset.claim = name;
  const kind = category(name);
  row.dataset.kind = kind;
  const label = t[kind] ?? (kind === "registered" ? t.registered : "");
  row.insertCell().append(el("code", { textContent: name }), el("br"),
    el("small", { className: `kind kind-${kind}`, textContent: label }));
  const cell = row.insertCell();
  cell.append(el("code", { textContent: JSON.stringify(value) }));
  if (TIMES.includes(name) && typeof value === "number") {
    cell.append(el("br"), new Date(value * 1000).toLocaleString(lang), " ");
    if (name !== "iat") {
      const live = el("strong", { className: "countdown" });
      live.dataset[name] = value;
      cell.append(live);
    }
  }
  row.insertCell().textContent = meaning(name, t);
}

// Fill `body` (a <tbody>) with one row per claim of `payload`; T holds the page's texts.
// `verdict` (optional) is what the server last said of this token, for the exp countdown:
// {state: "accepted" | "refused" | "unconfirmed", reason}.
export function claimRows(body, payload, T, verdict) {
  const t = texts(T);
  body.replaceChildren();
  legend(body.closest("table"), t);
  for (const [name, value] of Object.entries(payload)) claimRow(body, name, value, t);
  if (verdict) for (const live of body.querySelectorAll("[data-exp]")) setVerdict(live, verdict);
}

// The NumericDate claims (iat, nbf, exp) of `payload` as rows: name, number, local date and time.
export function timeRows(body, payload) {
  body.replaceChildren();
  for (const name of TIMES) {
    if (typeof payload[name] !== "number") continue;
    const row = body.insertRow();
    row.dataset.claim = name;
    row.insertCell().append(el("code", { textContent: name }));
    row.insertCell().append(el("code", { textContent: String(payload[name]) }));
    row.insertCell().textContent = new Date(payload[name] * 1000).toLocaleString(lang);
  }
}

// Record on a countdown element what the server last said of its token. Only "accepted" lets
// the countdown say "valid for"; "refused" shows the server's reason instead.
export function setVerdict(live, { state, reason = "" }) {
  live.dataset.verdict = state;
  if (reason) live.dataset.reason = reason;
  else delete live.dataset.reason;
}

// What a countdown to `exp` says now.
export function expiryText(live, now, t) {
  const left = Number(live.dataset.exp) - now;
  const leeway = Number(live.dataset.leeway ?? t.leeway ?? 0);
  const state = live.dataset.verdict || "unconfirmed";
  if (state === "refused") {
    return { text: fmt(t.refused ?? "{reason}", { reason: live.dataset.reason || "" }), bad: true };
  }
  if (left > 0) {
    const template = state === "accepted" ? t.valid_for : t.unconfirmed;
    return { text: template ? fmt(template, { left: clock(left) }) : clock(left), bad: false };
  }
  if (left > -leeway && t.expired_leeway) {
    return { text: fmt(t.expired_leeway, { left: Math.ceil(leeway + left), leeway }), bad: true };
  }
  if (leeway && t.expired_past_leeway) return { text: fmt(t.expired_past_leeway, { leeway }), bad: true };
  return { text: t.expired ?? "", bad: true };
}

// Every [data-exp] / [data-nbf] element on the page, recomputed from the clock (every second).
export function tick(T) {
  const t = texts(T);
  const now = Date.now() / 1000;
  for (const live of document.querySelectorAll("[data-exp]")) {
    const { text, bad } = expiryText(live, now, t);
    live.textContent = text;
    live.classList.toggle("expired", bad);
  }
  for (const live of document.querySelectorAll("[data-nbf]")) {
    const left = Number(live.dataset.nbf) - now;
    const template = t.not_yet ?? "";
    const text = template.includes("{left}") ? fmt(template, { left: clock(left) }) : `${template} (${clock(left)})`;
    live.textContent = left > 0 ? text : "";
  }
}

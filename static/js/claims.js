// The claims table of the token inspector: each claim with its value, what it means (RFC 7519
// §4.1 for the registered ones, this lab's own for the private ones), times as local date/time,
// and a live countdown to exp (and to nbf, when the token is not valid yet).
import { clock } from "./jwtdecode.js";

const REGISTERED = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
const TIMES = ["exp", "nbf", "iat"];
const lang = document.documentElement.lang;

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);

function claimRow(body, name, value, T) {
  const row = body.insertRow();
  row.dataset.claim = name;
  const kind = REGISTERED.includes(name) ? T.registered : name in T.claims ? T.private : "";
  row.insertCell().append(el("code", { textContent: name }), el("br"),
    el("small", { className: "note", textContent: kind }));
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
  row.insertCell().textContent = T.claims[name] ?? T.other_claim;
}

// Fill `body` (a <tbody>) with one row per claim of `payload`; T holds the translated texts.
export function claimRows(body, payload, T) {
  body.replaceChildren();
  for (const [name, value] of Object.entries(payload)) claimRow(body, name, value, T);
}

// Every [data-exp] / [data-nbf] element on the page, recomputed from the clock (every second).
export function tick(T) {
  const now = Date.now() / 1000;
  for (const el of document.querySelectorAll("[data-exp]")) {
    const left = Number(el.dataset.exp) - now;
    el.textContent = left > 0 ? `${T.valid_for} ${clock(left)}` : T.expired;
    el.classList.toggle("expired", left <= 0);
  }
  for (const el of document.querySelectorAll("[data-nbf]")) {
    const left = Number(el.dataset.nbf) - now;
    el.textContent = left > 0 ? `${T.not_yet} (${clock(left)})` : "";
  }
}

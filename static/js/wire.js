// The in-page network panel: every request this page makes with wireFetch() is listed with what
// really crossed the wire — the auth header sent, Set-Cookie or tokens received, byte counts as
// the server measured them (X-Lab-Request-Bytes), and the server's own trace (Server-Timing).
// Open DevTools → Network → the request → Headers to see the same values.
import { parseServerTiming } from "./servertiming.js";
import { drawSequence } from "./seqdiagram.js";

export const entries = [];
window.labWire = { entries }; // for DevTools: labWire.entries
const listeners = [];
export function onEntry(fn) { listeners.push(fn); }

function parseBytes(header) {
  const out = {};
  for (const part of (header || "").split(";")) {
    const [k, v] = part.trim().split("=");
    if (k) out[k] = Number(v);
  }
  return out;
}

function short(value, keep = 24) {
  return value && value.length > keep + 8 ? `${value.slice(0, keep)}… (${value.length} chars)` : value;
}

export async function wireFetch(path, { method = "GET", headers = {}, json, form, credentials = "same-origin" } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials };
  if (json !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(json); }
  if (form) init.body = new URLSearchParams(form);
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.clone().json(); } catch { data = null; }
  const entry = {
    method, path, status: res.status,
    authorization: init.headers.Authorization || "",
    cookieSeen: res.headers.get("X-Lab-Cookie-Seen") || "",
    setCookie: res.headers.get("X-Lab-Set-Cookie") || "",
    tokens: data && data.access_token ? ["access_token", "refresh_token"].filter((k) => data[k]) : [],
    bytes: parseBytes(res.headers.get("X-Lab-Request-Bytes")),
    responseBytes: Number(res.headers.get("Content-Length") || 0),
    steps: parseServerTiming(res.headers.get("Server-Timing")),
    wwwAuthenticate: res.headers.get("WWW-Authenticate") || "",
  };
  entries.push(entry);
  render();
  listeners.forEach((fn) => fn(entry, data));
  return { res, data, entry };
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function render() {
  const table = document.getElementById("wire-rows");
  if (!table) return;
  table.replaceChildren();
  entries.slice().reverse().forEach((e, i) => {
    const row = table.insertRow();
    row.dataset.index = entries.length - 1 - i;
    cell(row, e.method);
    cell(row, e.path, "path");
    cell(row, String(e.status), e.status >= 400 ? "bad" : "ok");
    const sent = [];
    if (e.authorization) sent.push(`Authorization: ${short(e.authorization)}`);
    if (e.cookieSeen) sent.push(`Cookie: ${e.cookieSeen}`);
    cell(row, sent.join("\n") || "—");
    const got = [];
    if (e.setCookie) got.push(`Set-Cookie: ${e.setCookie}`);
    if (e.tokens.length) got.push(`JSON: ${e.tokens.join(", ")}`);
    if (e.wwwAuthenticate) got.push(`WWW-Authenticate: ${e.wwwAuthenticate}`);
    cell(row, got.join("\n") || "—");
    cell(row, `${e.bytes.headers ?? "?"} / ${e.responseBytes}`);
    row.addEventListener("click", () => showSequence(e));
  });
  if (entries.length) showSequence(entries[entries.length - 1]);
}

function showSequence(entry) {
  const svg = document.getElementById("seq");
  if (!svg) return;
  drawSequence(svg, entry);
  const caption = document.getElementById("seq-caption");
  if (caption) caption.textContent = `${entry.method} ${entry.path} → ${entry.status}`;
}

// The page itself (a navigation) has a Server-Timing header too; the browser exposes it.
export function recordNavigation() {
  const nav = performance.getEntriesByType("navigation")[0];
  if (!nav) return;
  entries.push({
    method: "GET", path: location.pathname, status: nav.responseStatus || 200, authorization: "",
    cookieSeen: "", setCookie: "", tokens: [], bytes: {}, responseBytes: nav.transferSize || 0,
    steps: (nav.serverTiming || []).map((s) => ({ name: s.name, dur: s.duration, desc: s.description })),
    wwwAuthenticate: "",
  });
  render();
}

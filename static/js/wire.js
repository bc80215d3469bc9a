// The in-page network panel: every request this page makes with wireFetch() is listed with what
// really crossed the wire — the credential sent (header, cookie or body), Set-Cookie or tokens
// received, byte counts as the server measured them, and the server's own trace (Server-Timing).
// The page itself (a navigation) is listed too: its response headers are out of a script's
// reach, but its Server-Timing is not, so the server repeats the wire facts there as lab-*
// entries. Open DevTools → Network → the request → Headers to see the same values.
import { $, fmt } from "./lab.js";
import { parseNumbers, parseServerTiming, wireFacts } from "./servertiming.js";
import { drawSequence } from "./seqdiagram.js";

export const entries = [];
window.labWire = { entries }; // for DevTools: labWire.entries
const listeners = [];
export function onEntry(fn) { listeners.push(fn); }

// The panel's texts in the page's language (templates/_wire.html renders them with _()).
const W = (() => {
  const el = $("wire-i18n");
  return el ? JSON.parse(el.textContent) : {};
})();
const t = (key, values) => fmt(W[key] ?? key, values);
// "(74 bytes)" as one unit: a line may break before it, never inside it.
const unit = (key, values) => t(key, values).replace(/ /g, "\u00a0");

const NEWEST = 6; // rows shown until "show all" is pressed
let showAll = false;
let selected = null;

function short(value, keep = 24) {
  return value && value.length > keep + 8
    ? `${value.slice(0, keep)}… ${unit("chars", { n: value.length })}` : value;
}

// What a request body carried, by field name: the credential travels there for a form or JSON
// login and for a refresh, not in a header.
function bodyOf(json, form) {
  if (json !== undefined && json !== null) {
    const text = JSON.stringify(json);
    const fields = typeof json === "object" ? Object.keys(json) : [];
    return { kind: "json", fields, bytes: new TextEncoder().encode(text).length };
  }
  if (form) {
    const text = new URLSearchParams(form).toString();
    return { kind: "form", fields: [...new URLSearchParams(form).keys()], bytes: text.length };
  }
  return null;
}

// Who is doing the lab's guided steps (static/js/guide.js keeps the server-signed ticket): a
// bearer call carries no cookie, so the ticket travels in a header of its own, with the guides
// this page shows (only a request made from a lab's page may turn that lab's step red).
// Same origin only: another origin (a cluster's other node) would need a CORS preflight for it.
function guideHeaders(path) {
  const ticket = localStorage.getItem("lab.guide");
  if (!ticket || new URL(path, location.href).origin !== location.origin) return {};
  const labs = [...document.querySelectorAll("section.guide[data-lab]")].map((s) => s.dataset.lab);
  return labs.length ? { "X-Lab-Guide": ticket, "X-Lab-Guide-Labs": labs.join(" ") } : { "X-Lab-Guide": ticket };
}

export async function wireFetch(path, { method = "GET", headers = {}, json, form, credentials = "same-origin" } = {}) {
  // The page's language, said out loud: a bearer call carries no cookie (so not the language
  // toggle's either), and the server's messages should still match the page.
  const init = { method, headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang || "ko", ...guideHeaders(path), ...headers }, credentials };
  if (json !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(json); }
  if (form) init.body = new URLSearchParams(form);
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.clone().json(); } catch { data = null; }
  const steps = parseServerTiming(res.headers.get("Server-Timing"));
  const facts = wireFacts(steps);
  const bytes = parseNumbers(res.headers.get("X-Lab-Request-Bytes"));
  const body = bodyOf(json, form);
  if (body && bytes.body !== undefined) body.bytes = bytes.body; // as the server received it
  const setCookie = res.headers.get("X-Lab-Set-Cookie") || "";
  const entry = {
    source: "fetch", method, path, status: res.status,
    authorization: init.headers.Authorization || "",
    cookieSeen: res.headers.get("X-Lab-Cookie-Seen") ?? facts?.cookieSeen ?? "",
    setCookie,
    setCookies: facts ? facts.setCookies : (setCookie ? [setCookie] : []),
    tokens: data && data.access_token ? ["access_token", "refresh_token"].filter((k) => data[k]) : [],
    body,
    bytes,
    reported: Boolean(facts) || res.headers.has("X-Lab-Request-Bytes"),
    responseBytes: Number(res.headers.get("Content-Length") || facts?.bytes.response || 0),
    steps,
    wwwAuthenticate: res.headers.get("WWW-Authenticate") || "",
  };
  entry.node = nodeOf(res.headers.get("X-Lab-Node"), steps);
  entries.push(entry);
  selected = entry;
  render();
  listeners.forEach((fn) => fn(entry, data));
  return { res, data, entry };
}

// A header value that may wrap at its spaces ("; " separators) but never inside a word:
// "Max-Age=28800" must not become "Max-" / "Age=28800".
function words(text) {
  // "(135 bytes)" stays together too.
  return text.replace(/(\(\d+) (?=[^\s()]*\))/g, "$1\u00a0").split(/( +)/).filter(Boolean).map((part) => {
    if (part.trim() === "") return document.createTextNode(part);
    const span = document.createElement("span");
    span.className = "tok";
    span.textContent = part;
    return span;
  });
}

function cell(row, lines, cls) {
  const td = row.insertCell();
  for (const line of [].concat(lines)) {
    const div = document.createElement("div");
    if (typeof line === "string") div.textContent = line;
    else div.append(...line);
    td.append(div);
  }
  if (cls) td.className = cls;
  return td;
}

function pill(text, title) {
  const div = document.createElement("div");
  const span = document.createElement("span");
  span.className = "pill";
  span.textContent = text;
  if (title) span.title = title;
  div.append(span);
  return div;
}

// "/api/lab/jwt-store?fam=4d03c5…dd06&jti=fac6ae…913f": the path and its query parts, long
// query values shortened with a visible "…" (the whole path is in the row's title).
export function pathSegments(path) {
  const [base, query] = path.split(/\?(.*)/s);
  const parts = [base];
  if (query !== undefined) {
    query.split("&").forEach((pair, i) => {
      const [k, v = ""] = pair.split(/=(.*)/s);
      const value = v.length > 16 ? `${v.slice(0, 6)}…${v.slice(-4)}` : v;
      parts.push(`${i ? "&" : "?"}${k}${pair.includes("=") ? "=" : ""}${value}`);
    });
  }
  return parts;
}

// The segments as unbreakable parts, a line break allowed only before "?" and "&".
function pathParts(path) {
  const parts = pathSegments(path);
  const nodes = [];
  parts.forEach((text, i) => {
    if (i) nodes.push(document.createElement("wbr"));
    const span = document.createElement("span");
    span.className = "seg";
    span.textContent = text;
    nodes.push(span);
  });
  return nodes;
}

function sentLines(e) {
  const sent = [];
  if (e.authorization) sent.push(`Authorization: ${short(e.authorization)}`);
  if (e.cookieSeen) {
    const n = e.bytes.cookie;
    sent.push(`Cookie: ${e.cookieSeen}${n ? ` ${unit("bytes", { n })}` : ""}`);
  }
  if (e.body && e.body.fields.length) {
    sent.push(t(e.body.kind === "form" ? "form_body" : "json_body",
      { fields: e.body.fields.join("/"), n: e.body.bytes }));
  } else if (e.bytes.body) sent.push(t("some_body", { n: e.bytes.body })); // a form post navigation
  if (sent.length) return sent;
  return [e.reported ? t("nothing") : t("not_reported")];
}

function receivedLines(e) {
  const got = e.setCookies.map((line) => `Set-Cookie: ${line}`);
  if (e.tokens.length) got.push(t("json_received", { fields: e.tokens.join(", ") }));
  if (e.wwwAuthenticate) got.push(`WWW-Authenticate: ${e.wwwAuthenticate}`);
  return got.length ? got : ["—"];
}

function render() {
  const table = $("wire-rows");
  if (!table) return;
  const hadFocus = table.contains(document.activeElement); // keep the keyboard where it was
  table.replaceChildren();
  const shown = showAll ? entries : entries.slice(-NEWEST);
  shown.slice().reverse().forEach((e) => {
    const row = table.insertRow();
    row.dataset.index = entries.indexOf(e);
    row.dataset.source = e.source;
    if (e === selected) {
      row.classList.add("on");
      row.setAttribute("aria-selected", "true");
    }
    cell(row, e.method, "method");
    const path = cell(row, [pathParts(e.path)], "path");
    path.title = e.path;
    if (e.source === "navigation") path.append(pill(t("page_load"), t("page_load_title")));
    if (e.source === "record") path.append(pill(t("record"), t("record_title")));
    if (e.node) path.append(nodePill(e.node));
    cell(row, String(e.status), `status ${e.status >= 400 ? "bad" : "ok"}`);
    cell(row, sentLines(e).map(words), "sent");
    cell(row, receivedLines(e).map(words), "received");
    cell(row, `${e.bytes.headers ?? "?"} / ${e.responseBytes ?? "?"}`, "bytes");
    row.tabIndex = 0;
    const pick = () => { selected = e; render(); };
    row.addEventListener("click", pick);
    row.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
  });
  if (hadFocus) table.querySelector("tr.on")?.focus();
  const toggle = $("wire-toggle");
  if (toggle) {
    toggle.hidden = entries.length <= NEWEST;
    toggle.textContent = showAll ? t("show_newest", { n: NEWEST }) : t("show_all", { n: entries.length });
    toggle.setAttribute("aria-expanded", String(showAll));
  }
  if (selected) showSequence(selected);
}

function showSequence(entry) {
  const svg = $("seq");
  if (!svg) return;
  drawSequence(svg, entry, W);
  const caption = $("seq-caption");
  if (caption) {
    caption.title = entry.path;
    caption.textContent = `${entry.method} ${pathSegments(entry.path).join("")} → ${entry.status}`
      + (entry.source === "record" ? ` (${t("record_no_steps")})` : "");
  }
}

const toggle = $("wire-toggle");
if (toggle) toggle.addEventListener("click", () => { showAll = !showAll; render(); });
// Redraw the diagram at the new width (it is drawn in real pixels, never scaled down).
const seqBox = $("seq")?.parentElement;
if (seqBox && window.ResizeObserver) {
  let last = seqBox.clientWidth;
  new ResizeObserver(() => {
    if (seqBox.clientWidth !== last && selected) { last = seqBox.clientWidth; showSequence(selected); }
  }).observe(seqBox);
}

// What the server recorded about requests this page could not see (the login's 303 and its
// Set-Cookie, which the browser followed before any script ran): rendered by the server into
// <script type="application/json" id="wire-records">.
function serverRecords() {
  const el = $("wire-records");
  if (!el) return [];
  return JSON.parse(el.textContent).map((r) => ({
    source: "record", method: r.method, path: r.path, status: r.status, authorization: "",
    cookieSeen: r.cookie || "", setCookie: r.set_cookie || "",
    setCookies: r.set_cookie ? [r.set_cookie] : [], tokens: [],
    body: r.fields ? { kind: r.body_kind || "form", fields: r.fields, bytes: r.bytes?.body ?? 0 } : null,
    bytes: r.bytes || {}, reported: true, responseBytes: r.bytes?.response,
    steps: [], wwwAuthenticate: "",
  }));
}

// The page itself (a navigation): its Server-Timing carries the steps and the wire facts.
export function recordNavigation() {
  for (const record of serverRecords()) entries.push(record);
  const nav = performance.getEntriesByType("navigation")[0];
  if (!nav) { render(); return; }
  // Some browsers give scripts serverTiming only on secure pages (HTTPS, localhost): then say so.
  const steps = (nav.serverTiming || []).map((s) => ({ name: s.name, dur: s.duration, desc: s.description }));
  const facts = wireFacts(steps);
  // "POST 401": the method and status as the server answered (a failed form login is a POST).
  const [method, status] = (steps.find((s) => s.name === "lab-request")?.desc || "").split(" ");
  const entry = {
    source: "navigation", method: method || "GET", path: location.pathname + location.search,
    status: Number(status) || nav.responseStatus || "?", authorization: "",
    cookieSeen: facts ? facts.cookieSeen : "",
    setCookie: facts ? facts.setCookies.find((l) => l.startsWith(`${W.cookie_name}=`)) || "" : "",
    setCookies: facts ? facts.setCookies : [], tokens: [], body: null,
    bytes: facts ? facts.bytes : {}, reported: Boolean(facts),
    responseBytes: facts?.bytes.response ?? nav.encodedBodySize,
    steps, wwwAuthenticate: "",
  };
  entry.node = nodeOf(null, steps);
  entries.push(entry);
  selected = entry;
  render();
}

// The node (process) that answered, when the app runs as a cluster (auth/cluster/): from the
// X-Lab-Node header, or the lab-node entry of Server-Timing (a page load has no headers to read).
function nodeOf(header, steps) {
  return header || steps.find((s) => s.name === "lab-node")?.desc || "";
}

function nodePill(name) {
  const div = document.createElement("div");
  const span = document.createElement("span");
  const n = Number(name.match(/(\d+)$/)?.[1] ?? 0);
  span.className = `node-badge${n ? ` node-c${((n - 1) % 6) + 1}` : ""}`;
  span.textContent = name;
  div.append(span);
  return div;
}

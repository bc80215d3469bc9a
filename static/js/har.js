// Save the page's wire log as a HAR 1.2 file (the format DevTools exports), redacted by default:
// Cookie, Set-Cookie and Authorization values, token bodies and JWT signatures masked. The
// server's trace goes into custom fields (_serverTiming), as HAR allows ("_" prefix).
import { entries, onEntry } from "./wire.js";

const T = JSON.parse(document.getElementById("har-i18n")?.textContent || "{}");
const bodies = new WeakMap(); // entry -> the JSON the page received (fetch() answers only)
const times = new WeakMap();  // entry -> when it was recorded (the page load: timeOrigin)
onEntry((entry, data) => {
  times.set(entry, Date.now());
  if (data !== null && data !== undefined) bodies.set(entry, data);
});

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

// A JWT keeps its header and payload (anyone can read them anyway) and loses its signature,
// which is what makes it usable. Anything else that is secret is replaced by its length.
export function maskToken(token) {
  if (JWT.test(token)) {
    const [head, payload] = token.split(".");
    return `${head}.${payload}.REDACTED`;
  }
  return `REDACTED(${token.length})`;
}

function maskJson(value) {
  if (Array.isArray(value)) return value.map(maskJson);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = typeof v === "string" && (/token|password|secret|session_id/i.test(k) || JWT.test(v)) ? maskToken(v) : maskJson(v);
    }
    return out;
  }
  return value;
}

function header(name, value) { return { name, value: String(value) }; }

export function toHar(list, { redact = true } = {}) {
  const origin = location.origin;
  const harEntries = list.map((e) => {
    const headers = [];
    if (e.authorization) {
      const [scheme, token = ""] = e.authorization.split(" ");
      headers.push(header("Authorization", redact ? `${scheme} ${maskToken(token)}` : e.authorization));
    }
    // The server reports the cookies it received already masked (X-Lab-Cookie-Seen): the page
    // itself can never read an HttpOnly cookie, so even "unredacted" holds no session id.
    if (e.cookieSeen) headers.push(header("Cookie", e.cookieSeen));
    const responseHeaders = (e.setCookies || []).map((line) => header("Set-Cookie", line));
    if (e.wwwAuthenticate) responseHeaders.push(header("WWW-Authenticate", e.wwwAuthenticate));
    const data = bodies.get(e);
    const text = data === undefined ? "" : JSON.stringify(redact ? maskJson(data) : data);
    const total = e.steps.find((s) => s.name === "total")?.dur ?? 0;
    return {
      startedDateTime: new Date(times.get(e) || performance.timeOrigin).toISOString(),
      time: total,
      request: {
        method: e.method, url: origin + e.path, httpVersion: "HTTP/1.1",
        cookies: [], headers, queryString: [...new URL(origin + e.path).searchParams].map(([name, value]) => ({ name, value })),
        headersSize: e.bytes?.headers ?? -1, bodySize: e.bytes?.body ?? -1,
      },
      response: {
        status: Number(e.status) || 0, statusText: "", httpVersion: "HTTP/1.1", cookies: [], headers: responseHeaders,
        content: { size: e.responseBytes || 0, mimeType: text ? "application/json" : "text/html", ...(text ? { text } : {}) },
        redirectURL: "", headersSize: -1, bodySize: e.responseBytes || 0,
      },
      cache: {},
      timings: { send: 0, wait: total, receive: 0 },
      _serverTiming: e.steps.map((s) => ({ name: s.name, dur: s.dur, desc: s.desc })),
      _source: e.source,
    };
  });
  return {
    log: {
      version: "1.2",
      creator: { name: "Session vs JWT Lab", version: "1" },
      pages: [{ startedDateTime: new Date().toISOString(), id: "page_1", title: document.title, pageTimings: {} }],
      entries: harEntries.map((h) => ({ pageref: "page_1", ...h })),
      comment: redact ? "redacted" : "UNREDACTED: contains live credentials",
    },
  };
}

const button = document.getElementById("har-export");
if (button) {
  button.addEventListener("click", () => {
    const raw = document.getElementById("har-unredacted").checked;
    if (raw && !window.confirm(T.confirm_raw)) return;
    const har = toHar(entries, { redact: !raw });
    const file = `${location.pathname.replace(/\W+/g, "-").replace(/^-|-$/g, "") || "home"}${raw ? "-UNREDACTED" : ""}.har`;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(har, null, 1)], { type: "application/json" }));
    link.download = file;
    link.click();
    URL.revokeObjectURL(link.href);
    const status = document.getElementById("har-status");
    status.textContent = (raw ? T.saved_raw : T.saved).replace("{file}", file).replace("{n}", har.log.entries.length);
    status.append(" ", T.replay_hint.replace("{url}", T.replay_url));
    status.className = `msg ${raw ? "error" : "info"}`;
  });
}

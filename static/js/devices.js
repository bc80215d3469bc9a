// What the account and admin pages share: a readable device name from a User-Agent string, and
// times as "3:02 ago". (A rough parse on purpose: enough to tell a phone from a laptop.)
import { T, clock, fmt } from "./lab.js";

export function device(ua) {
  if (!ua) return "—";
  const os = /iPhone|iPad/.test(ua) ? "iOS" : /Android/.test(ua) ? "Android" : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /HeadlessChrome/.test(ua) ? "Headless Chrome"
    : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : /curl|python|Werkzeug|locust/i.test(ua) ? ua.split(/[\s/]/)[0] : "";
  return [browser, os].filter(Boolean).join(" · ") || ua.slice(0, 40);
}

export function ago(epoch) {
  if (!epoch) return "—";
  return fmt(T.ago, { t: clock(Date.now() / 1000 - epoch) });
}

export const when = (epoch) => (epoch ? new Date(epoch * 1000).toLocaleString(document.documentElement.lang) : "—");

export function csrfHeader() {
  return { "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content };
}

export function cellText(row, text, title) {
  const td = row.insertCell();
  td.textContent = text;
  if (title) td.title = title;
  return td;
}

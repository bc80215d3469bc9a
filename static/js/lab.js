// What every page script shares (read it in DevTools → Sources): element lookup, the page's
// translated texts, a status line, a countdown clock and a tiny template filler.

// document.getElementById, shorter.
export const $ = (id) => document.getElementById(id);

// The page's texts in its language: the server renders them into <script type="application/json"
// id="i18n"> (data, not code: the Content-Security-Policy runs no inline script).
export const T = (() => {
  const el = document.getElementById("i18n");
  return el ? JSON.parse(el.textContent) : {};
})();

// "{n} bytes" → "65 bytes": fill {name} placeholders from `values`.
export function fmt(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

// Show `text` in the status line `id` (a .msg element): kind is "info" or "error".
export function status(id, text, kind = "info") {
  const el = $(id);
  if (!el) return;
  el.textContent = text;
  el.className = `msg ${kind}`;
}

// "4:12" (or "1:02:03") for a number of seconds.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

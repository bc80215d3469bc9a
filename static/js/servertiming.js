// Parse a Server-Timing header ('name;dur=0.12;desc="...", ...') into steps.
// The same header shows in DevTools → Network → the request → Timing → Server Timing.
// Entries named lab-* are not steps but facts about the wire (bytes, cookies seen and set):
// the server sends them so a page can read them for its own navigation too.

// A small tokenizer: desc is an HTTP quoted-string, which may hold commas, ";" and \" escapes.
export function parseServerTiming(header) {
  const steps = [];
  if (!header) return steps;
  let i = 0;
  const n = header.length;
  const skip = () => { while (i < n && (header[i] === " " || header[i] === "\t")) i += 1; };
  const token = () => {
    const start = i;
    while (i < n && !";,= \t".includes(header[i])) i += 1;
    return header.slice(start, i);
  };
  const value = () => {
    if (header[i] !== '"') return token();
    let out = "";
    i += 1;
    while (i < n && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < n) i += 1;
      out += header[i];
      i += 1;
    }
    i += 1; // the closing quote
    return out;
  };
  while (i < n) {
    skip();
    const step = { name: token(), dur: 0, desc: "" };
    skip();
    while (header[i] === ";") {
      i += 1; skip();
      const key = token().toLowerCase();
      skip();
      let v = "";
      if (header[i] === "=") { i += 1; skip(); v = value(); skip(); }
      if (key === "dur") step.dur = Number(v) || 0;
      if (key === "desc") step.desc = v;
    }
    while (i < n && header[i] !== ",") i += 1; // anything unparsable up to the next entry
    i += 1;
    if (step.name) steps.push(step);
  }
  return steps;
}

// A wire fact (lab-bytes, lab-cookie, lab-set-cookie), not a step the server took.
export const isFact = (s) => s.name.startsWith("lab-");

// The steps the server really took: no facts, no total.
export const workSteps = (steps) => steps.filter((s) => s.name !== "total" && !isFact(s));

// "headers=612 cookie=65 authorization=0" → { headers: 612, cookie: 65, authorization: 0 }.
export function parseNumbers(text) {
  const out = {};
  for (const part of (text || "").split(/[;\s]+/)) {
    const [k, v] = part.split("=");
    if (k && v !== undefined && v !== "" && !Number.isNaN(Number(v))) out[k] = Number(v);
  }
  return out;
}

// What the server reported about the wire, from its lab-* entries; null when it sent none.
export function wireFacts(steps) {
  const facts = steps.filter(isFact);
  if (!facts.length) return null;
  const one = (name) => facts.find((s) => s.name === name);
  return {
    bytes: parseNumbers(one("lab-bytes")?.desc),
    cookieSeen: one("lab-cookie")?.desc || "",
    setCookies: facts.filter((s) => s.name === "lab-set-cookie").map((s) => s.desc),
  };
}

// Which box of the diagram a step talks to, from its name's prefix.
export function targetOf(step) {
  if (step.name.startsWith("redis-")) return "Redis";
  if (step.name.startsWith("db-")) return "SQLite";
  return "Flask"; // jwt-verify, jwt-sign, hash-check: work done inside the app
}

// "1 Redis GETEX · 1 HS256 verify" with measured microseconds, for one request's steps.
export function summarize(steps) {
  const work = workSteps(steps);
  if (!work.length) return { text: "—", micros: 0 };
  const counts = new Map();
  for (const s of work) {
    const label = s.name.startsWith("redis-") ? `Redis ${s.name.slice(6).toUpperCase()}` : s.name;
    const c = counts.get(label) || { n: 0, us: 0 };
    c.n += 1; c.us += s.dur * 1000;
    counts.set(label, c);
  }
  const text = [...counts].map(([label, c]) => `${c.n}× ${label} (${c.us.toFixed(0)} µs)`).join(" + ");
  return { text, micros: work.reduce((a, s) => a + s.dur * 1000, 0) };
}

// Parse a Server-Timing header ("name;dur=0.12;desc=\"...\", ...") into steps.
// The same header shows in DevTools → Network → the request → Timing → Server Timing.
export function parseServerTiming(header) {
  if (!header) return [];
  const steps = [];
  for (const part of header.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const [name, ...params] = part.trim().split(";");
    const step = { name: name.trim(), dur: 0, desc: "" };
    for (const p of params) {
      const [k, v = ""] = p.split("=");
      if (k.trim() === "dur") step.dur = Number(v);
      if (k.trim() === "desc") step.desc = v.replace(/^"|"$/g, "");
    }
    steps.push(step);
  }
  return steps;
}

// Which box of the diagram a step talks to, from its name's prefix.
export function targetOf(step) {
  if (step.name.startsWith("redis-")) return "Redis";
  if (step.name.startsWith("db-")) return "SQLite";
  return "Flask"; // jwt-verify, jwt-sign, hash-check: work done inside the app
}

// "1 Redis GETEX · 1 HS256 verify" with measured microseconds, for one request's steps.
export function summarize(steps) {
  const work = steps.filter((s) => s.name !== "total");
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

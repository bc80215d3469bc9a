// Draw one request as a sequence diagram (Browser → Flask → Redis / SQLite), in plain SVG,
// from the steps the server reported in its Server-Timing header — not from a script.
// Drawn at the box's real pixel width (1 SVG unit = 1 CSS px), so the labels keep the size the
// stylesheet gives them; when a label is wider than the box, the box scrolls sideways.
import { fmt } from "./lab.js";
import { targetOf, workSteps } from "./servertiming.js";

const NS = "http://www.w3.org/2000/svg";
const MIN_WIDTH = 720; // below this the lanes would crowd: scroll instead
const ROW = 44; // px per arrow: a 17px label above its line
const TOP = 56;

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// The server writes its step descriptions in English ("SELECT user by name", "GETEX
// session:9N0V...-tE"). The page shows them in its language: fixed descriptions are translated
// whole; for the rest a per-step template keeps the Redis command and key exactly as sent.
export function stepLabel(step, W = {}) {
  const desc = (W.step_desc || {})[step.desc] ?? step.desc;
  const template = (W.step_name || {})[step.name];
  if (!template) return desc || step.name;
  const alg = (step.desc.match(/^(\S+)/) || [])[1] || "";
  const kind = (step.desc.match(/sign (\w+) token/) || [])[1] || "";
  return fmt(template, { desc: desc || step.name, alg, kind: (W.token_kind || {})[kind] ?? kind });
}

// Long query values shortened with a visible "…", as in the wire table.
function shortPath(path) {
  return path.replace(/=([^&]{17,})/g, (m, v) => `=${v.slice(0, 6)}…${v.slice(-4)}`);
}

export function drawSequence(svg, entry, W = {}) {
  const steps = workSteps(entry.steps);
  const lanes = ["Browser", "Flask", "Redis", "SQLite"];
  // In a cluster the app lane names the node (process) that answered (X-Lab-Node).
  const names = [W.lane_browser || "Browser", entry.node ? `Flask (${entry.node})` : "Flask", "Redis", "SQLite"];
  const box = svg.parentElement;
  const base = Math.max(MIN_WIDTH, Math.floor(box ? box.clientWidth : MIN_WIDTH));
  const edge = 70;
  const laneX = (i) => edge + i * ((base - 2 * edge) / 3);
  const height = TOP + (steps.length + 2) * ROW;
  svg.replaceChildren();
  const defs = el("defs", {});
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z" }));
  defs.append(marker);
  svg.append(defs);
  names.forEach((lane, i) => {
    svg.append(el("text", { x: laneX(i), y: 24, "text-anchor": "middle", class: "lane" }, lane));
    svg.append(el("line", { x1: laneX(i), y1: 34, x2: laneX(i), y2: height - 8, class: "life" }));
  });
  let y = TOP + 10;
  // Labels start just right of the arrow's left end and may cross a lifeline (with a halo).
  const arrow = (from, to, label, cls = "") => {
    const x1 = laneX(lanes.indexOf(from)), x2 = laneX(lanes.indexOf(to));
    if (from === to) {
      svg.append(el("rect", { x: x1 - 6, y: y - 16, width: 12, height: 22, class: "self" }));
      svg.append(el("text", { x: x1 + 14, y: y + 1, class: "label" }, label));
    } else {
      svg.append(el("line", { x1, y1: y, x2, y2: y, class: `arrowline ${cls}`, "marker-end": "url(#arrow)" }));
      svg.append(el("text", { x: Math.min(x1, x2) + 10, y: y - 8, class: "label" }, label));
    }
    y += ROW;
  };
  arrow("Browser", "Flask", `${entry.method} ${shortPath(entry.path)}`);
  for (const s of steps) {
    const target = targetOf(s);
    const label = `${stepLabel(s, W)} · ${(s.dur * 1000).toFixed(0)} µs`;
    arrow("Flask", target, label);
  }
  const back = entry.setCookies && entry.setCookies.length ? `${entry.status} + Set-Cookie` : `${entry.status}`;
  arrow("Flask", "Browser", back, "back");
  // Wider than the box? Grow (the box scrolls) rather than shrink the text.
  let right = 0;
  for (const text of svg.querySelectorAll("text")) {
    try { const b = text.getBBox(); right = Math.max(right, b.x + b.width); } catch { /* not rendered */ }
  }
  const width = Math.max(base, Math.ceil(right + 12));
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
}

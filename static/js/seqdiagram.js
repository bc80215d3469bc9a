// Draw one request as a sequence diagram (Browser → Flask → Redis / SQLite), in plain SVG,
// from the steps the server reported in its Server-Timing header — not from a script.
import { targetOf } from "./servertiming.js";

const LANES = ["Browser", "Flask", "Redis", "SQLite"];
const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawSequence(svg, entry) {
  const steps = entry.steps.filter((s) => s.name !== "total");
  const width = 760, laneX = (i) => 70 + i * 200, rowH = 34;
  const height = 70 + (steps.length + 2) * rowH;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  LANES.forEach((lane, i) => {
    svg.append(el("text", { x: laneX(i), y: 20, "text-anchor": "middle", class: "lane" }, lane));
    svg.append(el("line", { x1: laneX(i), y1: 28, x2: laneX(i), y2: height - 10, class: "life" }));
  });
  let y = 50;
  const arrow = (from, to, label, cls = "") => {
    const x1 = laneX(LANES.indexOf(from)), x2 = laneX(LANES.indexOf(to));
    if (from === to) {
      svg.append(el("rect", { x: x1 - 6, y: y - 12, width: 12, height: 18, class: "self" }));
      svg.append(el("text", { x: x1 + 12, y: y + 2, class: "label" }, label));
    } else {
      svg.append(el("line", { x1, y1: y, x2, y2: y, class: `arrowline ${cls}`, "marker-end": "url(#arrow)" }));
      svg.append(el("text", { x: (x1 + x2) / 2, y: y - 5, "text-anchor": "middle", class: "label" }, label));
    }
    y += rowH;
  };
  const defs = el("defs", {});
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z" }));
  defs.append(marker);
  svg.append(defs);
  const path = entry.path.length > 34 ? `${entry.path.slice(0, 33)}…` : entry.path;
  arrow("Browser", "Flask", `${entry.method} ${path}`);
  for (const s of steps) {
    const target = targetOf(s);
    const label = `${s.desc || s.name} · ${(s.dur * 1000).toFixed(0)} µs`;
    if (target === "Flask") arrow("Flask", "Flask", label);
    else arrow("Flask", target, label);
  }
  arrow("Flask", "Browser", `${entry.status}`, "back");
}

// The class view: poll the roster and each student's steps in every lab (the server's records
// of the students' own requests, auth/labs/guide/). One cell per student and lab: "2/3", a tick
// per step, and the steps themselves when the cell is opened (kept open across refreshes).
import { $, T, fmt, status } from "./lab.js";

const open = new Set(); // "student/lab" cells the instructor opened
const MARK = { ok: "✓", bad: "✗", "": "○" };

function cell(row, student, lab, progress, titles) {
  const td = row.insertCell();
  td.dataset.lab = lab.lab;
  const done = progress?.done ?? 0;
  const total = progress?.total ?? lab.steps.length;
  td.className = done === total && total ? "done" : done ? "some" : "";
  const details = document.createElement("details");
  const key = `${student}/${lab.lab}`;
  details.open = open.has(key);
  details.addEventListener("toggle", () => (details.open ? open.add(key) : open.delete(key)));
  const summary = document.createElement("summary");
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = fmt(T.cell, { done, total });
  const ticks = document.createElement("span");
  ticks.className = "ticks";
  ticks.setAttribute("aria-hidden", "true");
  const list = document.createElement("ol");
  const lines = [];
  for (const step of progress?.steps ?? lab.steps.map((s) => ({ id: s.id, state: "" }))) {
    const tick = document.createElement("span");
    tick.className = `tick ${step.state || "none"}`;
    ticks.append(tick);
    const li = document.createElement("li");
    li.dataset.step = step.id;
    li.dataset.state = step.state;
    const line = `${MARK[step.state] ?? "○"} ${titles[step.id] ?? step.id}${step.at ? ` (${fmt(T.at, { t: new Date(step.at * 1000).toLocaleTimeString() })})` : ""}`;
    li.textContent = line;
    lines.push(line);
    list.append(li);
  }
  summary.append(count, ticks);
  summary.title = lines.join("\n"); // the steps on hover too
  details.append(summary, list);
  td.append(details);
}

async function load() {
  const res = await fetch("/api/class", { headers: { Accept: "application/json" } });
  if (!res.ok) return;
  const data = await res.json();
  const body = $("class-rows");
  body.replaceChildren();
  for (const s of data.students) {
    const row = body.insertRow();
    row.dataset.student = s.username;
    const name = document.createElement("th");
    name.scope = "row";
    // "student-amber-009" shows as "amber-009" (every joined name starts the same way).
    name.textContent = s.username.replace(/^student-/, "");
    name.title = s.username;
    row.append(name);
    for (const lab of data.labs) {
      const titles = Object.fromEntries(lab.steps.map((st) => [st.id, st.title]));
      cell(row, s.username, lab, s.labs[lab.lab], titles);
    }
  }
  if (!data.students.length) {
    const td = body.insertRow().insertCell();
    td.colSpan = data.labs.length + 1;
    td.textContent = T.nobody;
  }
}

$("class-reset").addEventListener("click", async () => {
  const token = document.querySelector("meta[name=csrf-token]").content;
  const res = await fetch("/api/class/reset", { method: "POST", headers: { "X-CSRFToken": token, Accept: "application/json" } });
  const data = await res.json().catch(() => ({}));
  status("class-status", res.ok ? fmt(T.reset, { n: data.forgotten }) : String(res.status), res.ok ? "info" : "error");
  load();
});

load();
setInterval(load, 3000);

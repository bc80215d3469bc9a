// The class view: poll the roster and each student's completed steps (the server's records).
import { $, T, fmt, status } from "./lab.js";

for (const th of document.querySelectorAll("th[data-step]")) th.textContent = T.steps[th.dataset.step];

async function load() {
  const res = await fetch("/api/class", { headers: { Accept: "application/json" } });
  if (!res.ok) return;
  const data = await res.json();
  const body = $("class-rows");
  body.replaceChildren();
  for (const s of data.students) {
    const row = body.insertRow();
    row.dataset.student = s.username;
    row.insertCell().textContent = s.username;
    for (const step of data.steps) {
      const cell = row.insertCell();
      const at = s.steps[step];
      cell.textContent = at ? "✓" : "";
      cell.className = at ? "done" : "";
      cell.dataset.step = step;
      if (at) cell.title = new Date(at * 1000).toLocaleTimeString();
    }
  }
  if (!data.students.length) body.insertRow().insertCell().textContent = T.nobody;
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

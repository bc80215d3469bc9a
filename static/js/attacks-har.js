// The attacker's HAR replay page: upload the file, show what the lab answered to each credential.
import { $, T, status } from "./lab.js";

$("har-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const res = await fetch("/har/replay", { method: "POST", body: new FormData(event.target) });
  const data = await res.json().catch(() => null);
  if (!res.ok) return status("har-status", data?.message ?? String(res.status), "error");
  const body = $("har-results").querySelector("tbody");
  body.replaceChildren();
  for (const r of data.results) {
    const row = body.insertRow();
    row.insertCell().textContent = `${T.kinds[r.kind] ?? r.kind} ${r.credential}`;
    row.insertCell().textContent = `${r.status}${r.message ? ` ${r.message}` : ""}`;
    row.insertCell().textContent = r.user ?? "—";
    row.className = r.status === 200 ? "bad" : "";
  }
  $("har-results").hidden = !data.results.length;
  if (!data.results.length) status("har-status", T.none, "info");
  else status("har-status", data.logged_in ? T.in : T.out, data.logged_in ? "error" : "info");
});

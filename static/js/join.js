// Join: one click creates a demo account; its password is shown here once and never again.
import { $ } from "./lab.js";

$("join-button").addEventListener("click", async () => {
  const res = await fetch("/api/join", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const data = await res.json().catch(() => null);
  if (!res.ok) { $("join-error").textContent = data?.message ?? String(res.status); return; }
  $("join-name").textContent = data.user.username;
  $("join-password").textContent = data.password;
  $("join-message").textContent = data.message;
  $("join-login").href = `/session/login?username=${encodeURIComponent(data.user.username)}`;
  $("join-result").hidden = false;
  $("join-button").disabled = true;
});

// Join: one click creates a demo account; its password is shown here once and never again.
// The answer also carries the student's guide ticket ("student:<name>", signed by the server):
// kept where wire.js finds it, so every lab's steps are credited to this student from now on.
import { $ } from "./lab.js";

$("join-button").addEventListener("click", async () => {
  const res = await fetch("/api/join", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const data = await res.json().catch(() => null);
  if (!res.ok) { $("join-error").textContent = data?.message ?? String(res.status); return; }
  if (data.ticket) localStorage.setItem("lab.guide", data.ticket);
  $("join-name").textContent = data.user.username;
  $("join-password").textContent = data.password;
  $("join-message").textContent = data.message;
  $("join-login").href = `/session/login?username=${encodeURIComponent(data.user.username)}`;
  $("join-result").hidden = false;
  $("join-button").disabled = true;
});

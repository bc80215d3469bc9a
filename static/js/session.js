// Session pages (login and home): list this page's own request in the wire panel, and count the
// Redis TTL down locally, from the value the server read from Redis.
// (Polling the server would itself renew the idle timeout, which would hide what we want to see.)
// The guided steps' "Show me" (static/js/guide.js) run this page's own controls: the login form,
// the logout button, and two calls the wire panel lists.
import { $ } from "./lab.js";
import { action } from "./guide.js";
import { recordNavigation, wireFetch } from "./wire.js";

recordNavigation(); // this page's own Server-Timing: the wire facts and the sequence diagram
const ttl = $("redis-ttl");
if (ttl) {
  let left = Number(ttl.dataset.ttl);
  setInterval(() => {
    left = Math.max(0, left - 1);
    ttl.textContent = String(left);
    ttl.classList.toggle("expired", left === 0);
  }, 1000);
}

const loginForm = document.querySelector("form[action^='/session/login']");
const logoutButton = $("logout");

action("session", "login", async () => {
  if (loginForm) {
    // The form itself, as a learner would fill it: the browser posts it and follows the 303.
    loginForm.querySelector("input[name=username]").value = "alice";
    loginForm.querySelector("input[name=password]").value = "alice123";
    loginForm.requestSubmit();
    return;
  }
  // Already logged in (this is the session page): log in again with fetch(), then show the
  // page of the new session.
  const fresh = await wireFetch("/session/csrf");
  await wireFetch("/session/login", { method: "POST", form: { username: "alice", password: "alice123" },
    headers: { "X-CSRFToken": fresh.data?.csrf_token ?? "" } });
  location.assign("/session/");
});
action("session", "me", () => wireFetch("/api/session/me"));
action("session", "devices", () => wireFetch("/api/account"));
action("session", "logout", async () => {
  if (logoutButton) { logoutButton.click(); return; } // the page's own form: 303, then the login page
  const fresh = await wireFetch("/session/csrf");
  await wireFetch("/session/logout", { method: "POST", headers: { "X-CSRFToken": fresh.data?.csrf_token ?? "" } });
});
action("session", "refused", () => wireFetch("/api/session/me"));

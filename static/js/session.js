// Session pages (login and home): list this page's own request in the wire panel, and count the
// Redis TTL down locally, from the value the server read from Redis.
// (Polling the server would itself renew the idle timeout, which would hide what we want to see.)
import { $ } from "./lab.js";
import { recordNavigation } from "./wire.js";

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

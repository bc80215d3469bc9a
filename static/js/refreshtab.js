// One small JWT client, framed three times by the refresh lab: tokens in a variable of this
// frame only, refreshed on the lab page's signal, without or with coordination (refreshclient.js).
// The lab page hands it the first pair and asks it to act with postMessage (same origin only).
import { $, T, fmt } from "./lab.js";
import { createRefresher } from "./refreshclient.js";

const params = new URLSearchParams(location.search);
const n = params.get("tab") || "?";
const mode = params.get("mode") === "coordinated" ? "coordinated" : "naive";
let tokens = {};

// Who is doing the lab's guided steps: the ticket static/js/guide.js keeps (localStorage
// "lab.guide", shared with the lab page: same origin). A bearer call carries no cookie, so it
// goes as a header, with the lab page's guide named, as wire.js does for the page's own calls.
const guided = () => {
  const ticket = localStorage.getItem("lab.guide");
  return ticket ? { "X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "refresh" } : {};
};

$("tab-name").textContent = fmt(T.tab, { n });
$("tab-mode").textContent = T[mode];

function show() {
  $("tab-holds").textContent = tokens.refresh_token
    ? fmt(T.holds, { tail: tokens.refresh_token.slice(-8) }) : T.empty;
}

const refresh = createRefresher({
  name: "lab.race",
  coordinate: mode === "coordinated",
  load: () => tokens,
  save: (pair) => { tokens = { access_token: pair.access_token, refresh_token: pair.refresh_token }; show(); },
  request: async (refresh_token) => {
    const res = await fetch("/api/jwt/refresh", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json", ...guided() },
      body: JSON.stringify({ refresh_token }),
    });
    return { res, data: await res.json().catch(() => null) };
  },
});

function report(kind, result) {
  parent.postMessage({ tab: n, kind, ...result }, location.origin);
}

window.addEventListener("message", async (event) => {
  if (event.origin !== location.origin || event.source !== parent) return;
  const { cmd, pair } = event.data || {};
  if (cmd === "pair") { tokens = { ...pair }; show(); return report("pair", { ok: true }); }
  if (cmd !== "refresh") return;
  const out = await refresh();
  if (out.adopted) {
    $("tab-last").dataset.state = "accepted";
    $("tab-last").textContent = T.adopted;
    return report("refresh", { ok: true, adopted: true, status: null });
  }
  if (out.skipped) return report("refresh", { ok: false, status: null, error: "no_token" });
  const { res, data } = out;
  $("tab-last").dataset.state = res.ok ? "accepted" : "refused";
  $("tab-last").textContent = fmt(T.answer, { status: res.status, error: data?.error ?? "" });
  if (!res.ok) { tokens = {}; show(); } // the server refused: this tab is logged out
  report("refresh", { ok: res.ok, status: res.status, error: data?.error ?? null, message: data?.message ?? "" });
});

show();
parent.postMessage({ tab: n, kind: "ready" }, location.origin);

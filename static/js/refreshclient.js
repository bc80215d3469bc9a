// One refresh at a time across every tab of this origin, and the new pair shared with them all.
//  navigator.locks   a lock named per client: while one tab refreshes, the others wait for it
//  BroadcastChannel  the tab that refreshed posts the new pair; tabs holding the same family
//                    take it, so nobody presents the refresh token that was just used up
//  localStorage      only the jti (an id, not a credential) of the refresh token last used up,
//                    written before the lock is released: a tab that gets the lock next knows at
//                    once that its token is spent and waits for the pair instead of sending it
// Without this, two tabs refreshing at the same moment send the same refresh token twice: the
// server cannot tell that from a stolen copy, revokes the family, and logs every tab out.
// navigator.locks exists only in a secure context (https, or http://localhost): elsewhere the
// tabs are not coordinated, and the page says so (coordinated() is false).
const jtiOf = (token) => {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).jti ?? null;
  } catch { return null; }
};

export const coordinated = () => Boolean(navigator.locks) && typeof BroadcastChannel === "function";

// load() → {access_token, refresh_token}; save(pair, why) keeps a pair ("refresh" or "broadcast");
// request(refresh_token) → {res, data} sends POST /api/jwt/refresh.
export function createRefresher({ name, load, save, request, coordinate = true }) {
  const on = coordinate && coordinated();
  const channel = on ? new BroadcastChannel(name) : null;
  const spent = `${name}.spent`;
  const waiting = new Map(); // jti of a spent token → resolve(pair)
  channel?.addEventListener("message", (event) => {
    const { from, pair } = event.data || {};
    if (!from || !pair?.refresh_token) return;
    if (jtiOf(load().refresh_token ?? "") === from) save(pair, "broadcast");
    waiting.get(from)?.(pair);
    waiting.delete(from);
  });

  async function run(before) {
    const token = load().refresh_token;
    if (!token) return { skipped: true };
    if (on && token !== before) return { adopted: true, pair: load() }; // another tab did it
    const jti = jtiOf(token);
    if (on && localStorage.getItem(spent) === jti) {
      // Used up by another tab a moment ago: its pair is on its way over the channel.
      const pair = await new Promise((resolve) => {
        waiting.set(jti, resolve);
        if (load().refresh_token !== token) resolve(load());
      });
      return { adopted: true, pair };
    }
    const { res, data } = await request(token);
    if (res.ok && on) {
      localStorage.setItem(spent, jti);
      save(data, "refresh");
      channel.postMessage({ from: jti, pair: { access_token: data.access_token, refresh_token: data.refresh_token } });
    } else if (res.ok) save(data, "refresh");
    return { res, data };
  }

  let inflight = null; // single flight inside this tab too
  return function refresh() {
    const before = load().refresh_token;
    inflight ??= (on ? navigator.locks.request(`${name}.lock`, () => run(before)) : run(before))
      .finally(() => { inflight = null; });
    return inflight;
  };
}

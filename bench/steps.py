"""In-process measurements: server time per request, Redis commands, a profile, Redis memory."""
import cProfile
import os
import pstats
import secrets
import statistics
import time
import uuid

import jwt

from auth.labs.cost import probe as cost_probe
from auth.session import store as session_store
from auth.tokens import store as token_store


def server_time(callers, n):
    """Each scenario's app time per request (WSGI call, no network), interleaved round-robin."""
    samples = {name: [] for name in callers}
    for i in range(n + n // 10):  # the first tenth warms up and is not kept
        for name, call in callers.items():
            seconds, code, body = call()
            assert code == 200, (name, code, body[:200])
            if name == "refresh":
                call.chain_refresh(body)
            if i >= n // 10:
                samples[name].append(seconds)
    return {name: cost_probe.summary(s) for name, s in samples.items()}


def redis_commands(client, call, n=50):
    """Redis commands one request sends, from the server's own counters (INFO commandstats)."""
    def counts():
        stats = client.info("commandstats")
        # (INFO is this measurement's own; PING is the local views' heartbeat, once a second
        # per process in the background: neither is sent by the request being counted.)
        return {k[8:]: v["calls"] for k, v in stats.items()
                if k not in ("cmdstat_info", "cmdstat_ping")}
    before = counts()
    for _ in range(n):
        _seconds, _code, body = call()
        if call.body:
            call.chain_refresh(body)
    after = counts()
    per = {name: round((after[name] - before.get(name, 0)) / n, 2) for name in after}
    return {name: v for name, v in sorted(per.items()) if v}


def round_trips(call, n=50):
    """Round trips to Redis per request: a pipeline is one, however many commands it holds."""
    from redis.connection import AbstractConnection

    original, seen = AbstractConnection.send_packed_command, [0]

    def counting(self, command, check_health=True):
        seen[0] += 1
        return original(self, command, check_health)
    AbstractConnection.send_packed_command = counting
    try:
        for _ in range(n):
            _seconds, _code, body = call()
            if call.body:
                call.chain_refresh(body)
    finally:
        AbstractConnection.send_packed_command = original
    return round(seen[0] / n, 2)


def _where(path):
    marker = os.sep + "site-packages" + os.sep
    if marker in path:
        return path.split(marker, 1)[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.relpath(path, root) if path.startswith(root) else os.path.basename(path)


def profile(call, n=2000, top=12):
    """cProfile, in µs per request (profiling inflates them all): the top entries by own time,
    and the app's own functions by cumulative time (where the auth work sits)."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        _seconds, _code, body = call()
        if call.body:
            call.chain_refresh(body)
    prof.disable()
    rows = []
    for (path, line, func), (_cc, calls, own, cumulative, _by) in pstats.Stats(prof).stats.items():
        rows.append({"function": f"{_where(path)}:{line}({func})",
                     "calls_per_request": round(calls / n, 1),
                     "own_us": round(own / n * 1e6, 1),
                     "cumulative_us": round(cumulative / n * 1e6, 1)})
    ours = [r for r in rows if r["function"].startswith(("auth/", "app.py", "bench/apps_in_process"))]
    return {"own": sorted(rows, key=lambda r: r["own_us"], reverse=True)[:top],
            "ours": sorted(ours, key=lambda r: r["cumulative_us"], reverse=True)[:top]}


def signing(app, n=200):
    """µs to sign one access token with the app's algorithm (login and refresh pay it twice)."""
    key = app.extensions["lab_keyring"].current
    claims = {"sub": "1", "jti": uuid.uuid4().hex, "exp": int(time.time()) + 60}
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        jwt.encode(claims, key.sign, algorithm=key.alg, headers={"kid": key.kid})
        samples.append(time.perf_counter() - started)
    return cost_probe.summary(samples)


def _used(client):
    time.sleep(0.3)  # let the AOF buffer drain, so it is not counted as data
    return client.info("memory")["used_memory"]


def _lookup_us(fn, keys, n=2000):
    for key in keys[:200]:  # warm up
        fn(key)
    samples = []
    for i in range(n):
        key = keys[(i * 7919) % len(keys)]
        started = time.perf_counter()
        fn(key)
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1e6, 1)


def _fill(client, keys, value, ttl):
    for start in range(0, len(keys), 1000):
        with client.pipeline(transaction=False) as pipe:
            for key in keys[start:start + 1000]:
                pipe.set(key, value, ex=ttl)
            pipe.execute()


def memory(client, session_value, idle, deny_ttl, sizes=(1000, 100000)):
    """Bytes per stored session and per denylist entry, and the lookup time, at each size."""
    out = {}
    for size in sizes:
        client.flushall()
        row = {}
        for kind, value, ttl in (("session", session_value, idle), ("denylist", b"1", deny_ttl)):
            # The stores' own key functions, so the bench measures the keys the app writes.
            if kind == "session":
                keys = [session_store.key(secrets.token_urlsafe(32)) for _ in range(size)]
            else:
                keys = [token_store.deny_key(uuid.uuid4().hex, uuid.uuid4().hex)
                        for _ in range(size)]
            before = _used(client)
            _fill(client, keys, value, ttl)
            after = _used(client)
            usage = [client.memory_usage(keys[i * len(keys) // 200], samples=0)
                     for i in range(200)]
            command = "getex" if kind == "session" else "exists"
            client.config_resetstat()
            if kind == "session":
                lookup = _lookup_us(lambda k: client.getex(k, ex=ttl), keys)
            else:
                # As the app asks: the token's deny key and its family's revoked marker.
                lookup = _lookup_us(lambda k: client.exists(
                    k, token_store.revoked_key(token_store.family_of(k))), keys)
            inside = client.info("commandstats")[f"cmdstat_{command}"]["usec_per_call"]
            row[kind] = {"keys": size, "used_memory_per_key": round((after - before) / size, 1),
                         "memory_usage_cmd": int(statistics.median(usage)),
                         "value_bytes": len(value), "lookup": command.upper(),
                         "round_trip_us": lookup, "redis_usec_per_call": inside}
        out[str(size)] = row
    client.flushall()
    return out

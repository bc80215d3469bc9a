"""The attacker replays a shared HAR recording against the lab: live credentials log it in, a
redacted recording replays to nothing. The verdict is the lab's own answer to each replay."""
import http.cookiejar
import json
import re
import threading
import urllib.parse
import urllib.request

import pytest
from waitress.server import create_server

from auth.attacker import create_attacker_app
from tests.helpers import jwt_login


@pytest.fixture
def lab_and_attacker(app):
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    port = int(server.effective_port)
    app.config.update(PORT=port, ATTACKER_PORT=port + 100)
    try:
        yield f"http://127.0.0.1:{port}", create_attacker_app(app).test_client()
    finally:
        server.close()


def har_of(*headers):
    """A recording as DevTools saves one: each request with the headers the browser sent."""
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                               "entries": [{"request": {"method": "GET", "url": "/x",
                                                        "headers": [{"name": n, "value": v}],
                                                        "cookies": []}}
                                           for n, v in headers]}})


def replay(attacker, har):
    return attacker.post("/har/replay", data=har, content_type="application/json")


def session_cookie_of(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/session/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    opener.open(base + "/session/login", data=urllib.parse.urlencode(
        {"username": "alice", "password": "alice123", "csrf_token": token}).encode()).read()
    return next(c.value for c in jar if c.name == "lab_session"), opener


def test_a_recorded_session_cookie_logs_the_attacker_in(lab_and_attacker):
    base, attacker = lab_and_attacker
    sid, opener = session_cookie_of(base)
    answer = replay(attacker, har_of(("Cookie", f"lang=en; lab_session={sid}"))).get_json()
    assert answer["logged_in"] is True
    assert answer["results"][0] == {"kind": "session cookie", "credential": f"{sid[:6]}…{sid[-4:]}",
                                    "status": 200, "user": "alice", "message": None}
    assert sid not in json.dumps(answer)  # the attacker's page never repeats the credential


def test_a_recorded_bearer_token_too_but_not_a_redacted_one(lab_and_attacker, client):
    base, attacker = lab_and_attacker
    token = jwt_login(client)["access_token"]
    answer = replay(attacker, har_of(("Authorization", f"Bearer {token}"))).get_json()
    assert answer["logged_in"] and answer["results"][0]["user"] == "alice"
    head, payload, _signature = token.split(".")
    redacted = replay(attacker, har_of(("Authorization", f"Bearer {head}.{payload}.REDACTED"),
                                       ("Cookie", "lab_session=9N0V...-tE"))).get_json()
    assert redacted["logged_in"] is False
    assert {r["status"] for r in redacted["results"]} == {401}


def test_a_logged_out_session_replays_to_nothing(lab_and_attacker):
    base, attacker = lab_and_attacker
    sid, opener = session_cookie_of(base)
    html = opener.open(base + "/session/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    opener.open(base + "/session/logout", data=urllib.parse.urlencode(
        {"csrf_token": token}).encode()).read()
    answer = replay(attacker, har_of(("Cookie", f"lab_session={sid}"))).get_json()
    assert answer["logged_in"] is False and answer["results"][0]["status"] == 401


def test_not_a_har_file_is_400(lab_and_attacker):
    _base, attacker = lab_and_attacker
    assert replay(attacker, "not json").status_code == 400
    assert replay(attacker, "[" * 100000 + "]" * 100000).status_code == 400
    empty = replay(attacker, json.dumps({"log": {"entries": []}})).get_json()
    assert empty == {"found": {"session_cookies": 0, "bearer_tokens": 0}, "results": [],
                     "logged_in": False}
    assert attacker.get("/har").status_code == 200

"""The compare page and the JSON it needs: fetch logins, the dead-id replay, the JWT store view."""
from tests.helpers import bearer, jwt_login

JSON = {"Accept": "application/json"}


def fetch_login(client, username="alice", password="alice123"):
    token = client.get("/session/csrf").get_json()["csrf_token"]
    return client.post("/session/login", data={"username": username, "password": password},
                       headers={**JSON, "X-CSRFToken": token})


def test_page_renders(client):
    html = client.get("/compare").get_data(as_text=True)
    assert 'id="compare"' in html and 'name="csrf-token"' in html and "wire-rows" in html


def test_fetch_login_and_logout_in_json(client, r):
    login = fetch_login(client)
    assert login.status_code == 200
    body = login.get_json()
    assert body["user"]["username"] == "alice" and body["csrf_token"]
    me = client.get("/api/session/me").get_json()
    assert me["cookie"]["name"] == "lab_session" and me["cookie"]["length"] == 43
    assert me["cookie"]["httponly"] is True and me["cookie"]["samesite"] == "Lax"
    assert me["cookie"]["header_bytes"] == len(f"Cookie: {client.get_cookie('lab_session').key}="
                                               f"{client.get_cookie('lab_session').value}\r\n")
    assert me["session"]["key"].startswith("session:") and "…" in me["session"]["key"]
    logout = client.post("/session/logout", headers={**JSON, "X-CSRFToken": body["csrf_token"]})
    old = logout.get_json()["old_session_id"]
    assert logout.status_code == 200 and not r.exists(f"session:{old}")
    replay = client.application.test_client()
    replay.set_cookie("lab_session", old)
    assert replay.get("/api/session/me").status_code == 401


def test_fetch_login_failure_is_json(client):
    response = fetch_login(client, password="wrong")
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_credentials"


def test_fetch_login_needs_csrf_header(client):
    client.get("/session/csrf")
    response = client.post("/session/login", data={"username": "alice", "password": "alice123"},
                           headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"


def _claims(token):
    import base64
    import json
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def test_jwt_store_view_follows_logout(client, r):
    tokens = jwt_login(client)
    claims = _claims(tokens["access_token"])
    query = {"fam": claims["fam"], "jti": claims["jti"]}
    before = {k["key"].split(":")[1]: k for k in
              client.get("/api/lab/jwt-store", query_string=query).get_json()["keys"]}
    assert before["fam"]["exists"] and before["fam"]["ttl"] > 0
    assert before["fam"]["memory_bytes"] == r.memory_usage(f"jwt:fam:{{{claims['fam']}}}")
    assert not before["deny"]["exists"] and not before["famrevoked"]["exists"]
    client.post("/api/jwt/logout", headers=bearer(tokens["access_token"]))
    after = {k["key"].split(":")[1]: k for k in
             client.get("/api/lab/jwt-store", query_string=query).get_json()["keys"]}
    assert not after["fam"]["exists"]
    assert after["deny"]["exists"] and 0 < after["deny"]["ttl"] <= 303
    assert after["famrevoked"]["exists"]


def test_jwt_store_rejects_bad_ids(client):
    for query in ({}, {"fam": "x", "jti": "y"}, {"fam": "*", "jti": "0" * 32}):
        response = client.get("/api/lab/jwt-store", query_string=query)
        assert response.status_code == 400


def _texts(html, block="i18n"):
    import json
    import re
    from html import unescape
    found = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S)
    return json.loads(unescape(found.group(1)))


def test_every_text_the_scripts_use_comes_from_the_page(client):
    """compare.js and jwt.js write no words of their own: each T.key they use is in the page."""
    import re
    from pathlib import Path
    static = Path(__file__).resolve().parent.parent / "static" / "js"
    for path, script in (("/compare", "compare.js"), ("/jwt/", "jwt.js")):
        html = client.get(path).get_data(as_text=True)
        texts = _texts(html)
        used = set(re.findall(r"\bT\.(\w+)", (static / script).read_text()))
        assert used and used <= set(texts), (script, sorted(used - set(texts)))
        claims = _texts(html, "claims-i18n")  # the countdown and claim texts (claims.js)
        assert "{left}" in claims["valid_for"] and "{reason}" in claims["refused"]


def test_jwt_page_states_the_servers_leeway(make_app):
    client = make_app(JWT_LEEWAY=7).test_client()
    html = client.get("/jwt/").get_data(as_text=True)
    assert "forgives 7 s of clock skew" in html
    assert _texts(html, "claims-i18n")["leeway"] == 7


def test_compare_page_labels_set_cookie_as_sent(client):
    texts = _texts(client.get("/compare").get_data(as_text=True))
    assert "sent" in texts["set_cookie_login"] and "received" not in texts["set_cookie_login"]
    assert not any("received:" in v for v in texts.values() if isinstance(v, str))

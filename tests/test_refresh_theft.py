"""A stolen refresh token: both theft orders kill the whole family; the reuse grace lets a thief
in the window through unnoticed; the lab's family view shows the Redis keys change."""
import time

from auth.tokens import store as token_store

from .helpers import bearer, jwt_login


def _refresh(client, token):
    return client.post("/api/jwt/refresh", json={"refresh_token": token})


def _fam(client, token):
    import base64
    import json
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["fam"]


def _keys(client, fam):
    res = client.get(f"/api/lab/refresh/family/{fam}")
    assert res.status_code == 200
    return {k["key"].split(":")[1]: k for k in res.get_json()["keys"]}


def _dead(client, fam, *refresh_tokens):
    keys = _keys(client, fam)
    assert not keys["fam"]["exists"] and keys["famrevoked"]["exists"]
    for token in refresh_tokens:
        res = _refresh(client, token)
        assert res.status_code == 400 and res.get_json()["error"] == "invalid_grant"


def test_attacker_first_then_victim_kills_the_family_for_both(client):
    victim = jwt_login(client)
    fam = _fam(client, victim["refresh_token"])
    stolen = victim["refresh_token"]  # the copy
    assert _keys(client, fam)["fam"]["exists"]
    attacker = _refresh(client, stolen)
    assert attacker.status_code == 200  # the thief is first: it works
    assert _keys(client, fam)["fam"]["value"] != victim["refresh_token"]
    res = _refresh(client, victim["refresh_token"])  # the victim comes back
    assert res.status_code == 400 and "already used" in res.get_json()["message"]
    _dead(client, fam, attacker.get_json()["refresh_token"], victim["refresh_token"])
    # The thief's fresh access token dies with the family (denylist strategy: famrevoked).
    me = client.get("/api/jwt/me", headers=bearer(attacker.get_json()["access_token"]))
    assert me.status_code == 401


def test_victim_first_then_attacker_kills_the_family_for_both(client):
    victim = jwt_login(client)
    fam = _fam(client, victim["refresh_token"])
    stolen = victim["refresh_token"]
    renewed = _refresh(client, victim["refresh_token"])
    assert renewed.status_code == 200
    res = _refresh(client, stolen)
    assert res.status_code == 400 and "already used" in res.get_json()["message"]
    _dead(client, fam, renewed.get_json()["refresh_token"])
    me = client.get("/api/jwt/me", headers=bearer(renewed.get_json()["access_token"]))
    assert me.status_code == 401


def test_an_idle_victim_leaves_the_thief_a_sliding_window(client):
    """While the victim does not refresh, nothing is detected, and each of the thief's rotations
    pushes exp forward again: only an absolute lifetime would end the family."""
    victim = jwt_login(client)
    fam = _fam(client, victim["refresh_token"])
    token, exps = victim["refresh_token"], []
    for _ in range(3):
        res = _refresh(client, token)
        assert res.status_code == 200
        token = res.get_json()["refresh_token"]
        import base64
        import json
        body = token.split(".")[1]
        exps.append(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])
    meta = _keys(client, fam)["fammeta"]["value"]
    assert int(meta["created"]) <= int(meta["rotated"])
    assert exps == sorted(exps) and exps[-1] >= int(meta["created"]) + 86400  # it slides
    assert _refresh(client, victim["refresh_token"]).status_code == 400  # the victim is back
    _dead(client, fam, token)


def _admin_grace(client, seconds):
    admin = jwt_login(client, "admin", "admin123")["access_token"]
    res = client.post("/api/lab/refresh/grace", json={"seconds": seconds}, headers=bearer(admin))
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def test_grace_lets_a_second_refresh_through_and_a_thief_too(client):
    assert client.get("/api/lab/refresh/grace").get_json() == {"grace": 0, "default": 0}
    assert _admin_grace(client, 30)["grace"] == 30
    pair = jwt_login(client)
    fam = _fam(client, pair["refresh_token"])
    first = _refresh(client, pair["refresh_token"])
    second = _refresh(client, pair["refresh_token"])  # another tab, same moment
    assert first.status_code == 200 and second.status_code == 200
    keys = _keys(client, fam)
    assert keys["famalt"]["value"] == [_jti(second.get_json()["refresh_token"])]
    # Both branches go on refreshing, undetected: this is also what a thief inside the window gets.
    assert _refresh(client, first.get_json()["refresh_token"]).status_code == 200
    assert _refresh(client, second.get_json()["refresh_token"]).status_code == 200
    assert _keys(client, fam)["fammeta"]["value"]["grace_used"] == "1"
    # Outside the window (two rotations later) the old token is reuse again: the family dies.
    res = _refresh(client, pair["refresh_token"])
    assert res.status_code == 400
    keys = _keys(client, fam)
    assert not keys["fam"]["exists"] and not keys["famalt"]["exists"]


def _jti(token):
    import base64
    import json
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["jti"]


def test_grace_window_ends(client, app, monkeypatch):
    _admin_grace(client, 2)
    pair = jwt_login(client)
    assert _refresh(client, pair["refresh_token"]).status_code == 200
    real_time = time.time
    monkeypatch.setattr(token_store.time, "time", lambda: real_time() + 3)
    assert _refresh(client, pair["refresh_token"]).status_code == 400  # past the window


def test_grace_default_from_config_and_strict_without(make_app):
    client = make_app(REFRESH_REUSE_GRACE=10).test_client()
    assert client.get("/api/lab/refresh/grace").get_json()["grace"] == 10
    pair = jwt_login(client)
    assert _refresh(client, pair["refresh_token"]).status_code == 200
    assert _refresh(client, pair["refresh_token"]).status_code == 200
    _admin_grace(client, 0)  # the live switch wins over the config
    pair = jwt_login(client)
    assert _refresh(client, pair["refresh_token"]).status_code == 200
    assert _refresh(client, pair["refresh_token"]).status_code == 400


def test_grace_switch_is_for_admins_and_checks_its_input(client):
    alice = jwt_login(client)["access_token"]
    assert client.post("/api/lab/refresh/grace", json={"seconds": 5},
                       headers=bearer(alice)).status_code == 403
    assert client.post("/api/lab/refresh/grace", json={"seconds": 5}).status_code == 401
    admin = jwt_login(client, "admin", "admin123")["access_token"]
    for bad in (-1, 301, "5", True, 1.5):
        res = client.post("/api/lab/refresh/grace", json={"seconds": bad}, headers=bearer(admin))
        assert res.status_code == 400, bad
    assert client.get("/api/lab/refresh/family/nothex").status_code == 400


def test_the_environment_sets_the_grace(monkeypatch):
    from auth import config
    monkeypatch.setenv("REFRESH_REUSE_GRACE", "7")
    assert config.from_env()["REFRESH_REUSE_GRACE"] == 7
    assert config.DEFAULTS["REFRESH_REUSE_GRACE"] == 0


def test_only_the_tab_client_may_be_framed_and_only_by_this_origin(client):
    tab = client.get("/labs/refresh/tab")
    assert tab.status_code == 200 and tab.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in tab.headers["Content-Security-Policy"]
    page = client.get("/labs/refresh")
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

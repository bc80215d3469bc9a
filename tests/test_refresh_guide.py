"""The refresh lab's guided steps (auth/labs/refresh/guide.py) over HTTP: the lab page's
refreshes (its Referer) record each step from the status and what Redis holds for the family
right after; the same requests from another page count for nothing; reset() puts the reuse
grace back and touches nothing else."""
from auth.tokens import store as token_store
from tests.helpers import bearer

LAB = "http://localhost:5000"
PAGE = {"Referer": f"{LAB}/labs/refresh"}
TAB = {"Referer": f"{LAB}/labs/refresh/tab?tab=1&mode=naive"}


def guided(client, where=PAGE):
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return dict(where, **{"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "refresh"})


def steps(client, headers):
    body = client.get("/api/guide/refresh", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def states(client, headers):
    return {k: v["state"] for k, v in steps(client, headers).items()}


def login(client, headers, username="alice", password="alice123"):
    res = client.post("/api/jwt/login", base_url=LAB, headers=headers,
                      json={"username": username, "password": password})
    assert res.status_code == 200
    return res.get_json()


def refresh(client, headers, token):
    return client.post("/api/jwt/refresh", base_url=LAB, headers=headers,
                       json={"refresh_token": token})


def test_theft_reuse_and_both_logged_out(client):
    headers = guided(client)
    victim = login(client, headers)
    stolen = victim["refresh_token"]
    attacker = refresh(client, headers, stolen)
    assert attacker.status_code == 200
    assert states(client, headers)["stolen"] == "ok"
    assert refresh(client, headers, victim["refresh_token"]).status_code == 400
    assert states(client, headers)["reuse"] == "ok"
    for token in (victim["access_token"], attacker.get_json()["access_token"]):
        me = client.get("/api/jwt/me", base_url=LAB, headers=dict(headers, **bearer(token)))
        assert me.status_code == 401
    assert states(client, headers) == {"stolen": "ok", "reuse": "ok", "dead": "ok", "race": "",
                                       "grace": ""}


def test_a_refused_refresh_that_revoked_nothing_is_red_for_reuse(client):
    """After the theft step, a refresh refused for another reason (a token that is not even
    one of ours) revoked no family: the reuse step is red, saying what the server did."""
    headers = guided(client)
    victim = login(client, headers)
    assert refresh(client, headers, victim["refresh_token"]).status_code == 200
    assert refresh(client, headers, "not.a.token").status_code == 400
    found = steps(client, headers)["reuse"]
    assert found["state"] == "bad"
    assert found["detail"] == "400 (expected the family revoked in Redis)"


def test_the_same_requests_from_another_page_count_for_nothing(client):
    headers = guided(client, {"Referer": f"{LAB}/jwt/"})
    victim = login(client, headers)
    refresh(client, headers, victim["refresh_token"])
    assert refresh(client, headers, victim["refresh_token"]).status_code == 400
    assert set(states(client, headers).values()) == {""}


def test_three_tabs_race_and_the_grace(client, app, r):
    tab = guided(client, TAB)
    pair = login(client, guided(client))
    answers = [refresh(client, tab, pair["refresh_token"]).status_code for _ in range(3)]
    assert answers == [200, 400, 400]
    assert states(client, tab)["race"] == "ok"
    # The grace, switched on by an administrator, then the race again: side branches.
    admin = login(client, guided(client), "admin", "admin123")["access_token"]
    res = client.post("/api/lab/refresh/grace", base_url=LAB, json={"seconds": 30},
                      headers=dict(guided(client), **bearer(admin)))
    assert res.status_code == 200 and res.get_json()["grace"] == 30
    assert steps(client, tab)["grace"]["parts"] == ["ok", ""]
    pair = login(client, guided(client))
    answers = [refresh(client, tab, pair["refresh_token"]).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert states(client, tab)["grace"] == "ok"


def test_reset_puts_the_grace_back_and_nothing_else(client, app, r):
    headers = guided(client)
    with app.app_context():
        token_store.set_reuse_grace(30)
    r.set("lab:revocation-strategy", "denylist")  # the revocation lab's switch
    victim = login(client, headers)
    refresh(client, headers, victim["refresh_token"])
    answer = client.post("/api/guide/refresh/reset", base_url=LAB, headers=headers).get_json()
    assert answer["shared_reset"] is True
    assert not r.exists(token_store.GRACE_KEY)
    with app.app_context():
        assert token_store.reuse_grace() == app.config["REFRESH_REUSE_GRACE"]
    assert r.get("lab:revocation-strategy") == b"denylist"
    assert set(states(client, headers).values()) == {""}
    r.delete("lab:revocation-strategy")

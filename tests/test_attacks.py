"""The attack labs over HTTP: the real app's Fetch-Metadata check and headers, and each lab's
server-side record of what its targets received."""
import json

import pytest

from auth.attacker import create_attacker_app
from tests.helpers import bearer, csrf_token, jwt_login, session_login

LAB = "http://localhost:5000"
CROSS = {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:5100"}
SAME_SITE = {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:5100"}


# --- The real app: Fetch Metadata and headers --------------------------------------------------

def test_real_app_refuses_a_cross_site_login_even_with_a_valid_token(client):
    token = csrf_token(client)
    response = client.post("/session/login", headers=dict(CROSS, Accept="application/json"),
                           data={"username": "alice", "password": "alice123",
                                 "csrf_token": token})
    assert response.status_code == 403
    assert response.get_json()["error"] == "cross_site_refused"
    assert client.get("/api/session/me").status_code == 401  # nobody was logged in


def test_real_app_refuses_a_cross_site_logout_with_the_session_cookie(client):
    session_login(client)
    token = csrf_token(client, "/session/")
    response = client.post("/session/logout", data={"csrf_token": token}, headers=CROSS)
    assert response.status_code == 403
    assert client.get("/api/session/me").status_code == 200  # still logged in


@pytest.mark.parametrize("site", ["same-origin", "none", None])
def test_same_origin_and_typed_requests_reach_the_view(client, site):
    headers = {"Sec-Fetch-Site": site} if site else {}
    token = csrf_token(client)
    response = client.post("/session/login", headers=headers,
                           data={"username": "alice", "password": "alice123",
                                 "csrf_token": token})
    assert response.status_code == 303


def test_cross_site_get_and_bearer_only_calls_are_not_refused(client):
    assert client.get("/session/login", headers=CROSS).status_code == 200
    tokens = jwt_login(client)
    client.delete_cookie("lab_session")
    response = client.post("/api/jwt/logout", headers=dict(CROSS, **bearer(tokens["access_token"])))
    assert response.status_code == 200


def test_real_pages_send_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "upgrade-insecure-requests" not in csp  # an http classroom on a LAN still works
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


# --- CSRF lab: the target's record -------------------------------------------------------------

def start(client, **settings):
    response = client.post("/api/attacks/csrf/runs", json=settings, base_url=LAB)
    assert response.status_code == 200, response.get_json()
    return response


def fire(client, run, column="session", headers=CROSS, data=None, **kw):
    return client.post(f"/attacks/csrf/target/{column}?run={run}&v=form", base_url=LAB,
                       headers=headers, data=data or {"amount": "100"}, **kw)


def last_record(client, run):
    return client.get(f"/api/attacks/csrf/runs/{run}", base_url=LAB).get_json()["records"][-1]


@pytest.mark.parametrize("samesite, expect", [
    ("None", "SameSite=None"), ("Lax", "SameSite=Lax"), ("Strict", "SameSite=Strict"),
    ("absent", None)])
def test_run_sets_the_lab_cookies_with_the_chosen_samesite(client, samesite, expect):
    lines = start(client, samesite=samesite).headers.getlist("Set-Cookie")
    session_line = next(line for line in lines if line.startswith("lab_csrf_session="))
    assert "HttpOnly" in session_line and "Path=/attacks/csrf/target" in session_line
    if expect:
        assert expect in session_line
    else:
        assert "SameSite" not in session_line
    assert ("Secure" in session_line) == (samesite == "None")
    assert not any(line.startswith("lab_session=") for line in lines)  # never the real cookie


def test_no_cookie_is_recorded_and_refused(app):
    victim = app.test_client()
    run = start(victim, samesite="Lax").get_json()["run"]
    attacker = app.test_client()  # a browser that sent no cookie
    response = fire(attacker, run)
    assert response.status_code == 401
    record = last_record(victim, run)
    assert record["outcome"] == "no_cookie" and not record["changed"]
    assert record["cookies"]["lab_csrf_session"] is None
    assert record["origin"] == CROSS["Origin"] and record["sec_fetch_site"] == "cross-site"
    assert record["authorization"] is None


def test_every_defence_off_the_forged_post_changes_state(client):
    body = start(client, samesite="None").get_json()
    response = fire(client, body["run"])
    assert response.status_code == 200 and response.get_json()["changed"]
    record = last_record(client, body["run"])
    assert record["outcome"] == "changed"
    masked = record["cookies"]["lab_csrf_session"]
    assert "…" in masked and len(masked) < 12  # masked, never the credential itself
    assert client.get(f"/api/attacks/csrf/runs/{body['run']}",
                      base_url=LAB).get_json()["changes"] == 1


@pytest.mark.parametrize("switch, headers, outcome", [
    ("token", SAME_SITE, "csrf_token"),
    ("fetchmeta", SAME_SITE, "fetch_metadata"),
    ("origin", SAME_SITE, "origin"),
    ("origin", {"Sec-Fetch-Site": "cross-site"}, "origin"),  # no Origin, no Referer
])
def test_each_defence_refuses_the_same_site_attacker(client, switch, headers, outcome):
    run = start(client, samesite="Lax", **{switch: True}).get_json()["run"]
    response = fire(client, run, headers=headers)
    assert response.status_code == 403
    assert last_record(client, run)["outcome"] == outcome


def test_the_victims_own_request_passes_every_defence(client):
    body = start(client, samesite="Strict", token=True, origin=True, fetchmeta=True).get_json()
    response = fire(client, body["run"], headers={"Sec-Fetch-Site": "same-origin", "Origin": LAB},
                    data={"amount": "100", "csrf_token": body["csrf_token"]})
    assert response.status_code == 200 and response.get_json()["changed"]


def test_bearer_column_forged_request_has_no_authorization(client):
    body = start(client, samesite="None").get_json()
    assert fire(client, body["run"], column="bearer").status_code == 401
    assert last_record(client, body["run"])["outcome"] == "no_authorization"
    ok = fire(client, body["run"], column="bearer",
              headers=dict(bearer(body["access_token"]), **{"Sec-Fetch-Site": "same-origin"}))
    assert ok.status_code == 200
    assert last_record(client, body["run"])["authorization"] == "Bearer"


def test_jwt_in_a_cookie_is_vulnerable_until_double_submit(client):
    run = start(client, samesite="None").get_json()["run"]
    assert fire(client, run, column="jwt-cookie").status_code == 200
    run = start(client, samesite="None", double_submit=True).get_json()["run"]
    assert fire(client, run, column="jwt-cookie").status_code == 403
    assert last_record(client, run)["outcome"] == "double_submit"
    double = client.get_cookie("lab_csrf_double").value
    assert fire(client, run, column="jwt-cookie",
                data={"amount": "1", "csrf_double": double}).status_code == 200


def test_csrf_lab_bad_input_is_a_clear_4xx(client):
    assert client.post("/api/attacks/csrf/runs", json={"samesite": "Loose"}).status_code == 400
    assert client.post("/api/attacks/csrf/runs", json={"token": "yes"}).status_code == 400
    assert client.post("/api/attacks/csrf/runs", data="x").status_code == 415
    assert client.get("/api/attacks/csrf/runs/nope").status_code == 404
    assert client.post("/attacks/csrf/target/session?run=0123456789abcdef").status_code == 404
    assert client.post("/attacks/csrf/target/other?run=x").status_code == 404


def test_csrf_page_warns_when_not_opened_on_localhost(client):
    html = client.get("/attacks/csrf", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert 'id="where-bad" hidden' not in html
    assert "Open this lab at http://localhost:5000/attacks/csrf" in html
    html = client.get("/attacks/csrf", base_url=LAB).get_data(as_text=True)
    assert 'id="where-bad" hidden' in html
    assert "http://127.0.0.1:5100" in html and "http://localhost:5100" in html


# --- XSS lab -------------------------------------------------------------------------------------

def xss_run(client, **body):
    response = client.post("/api/attacks/xss/runs", json=dict({"store": "cookie"}, **body))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["run"]


PAYLOAD = '<script src="http://127.0.0.1:5100/static/js/attacks-payload.js"></script>'


def test_victim_page_is_injectable_only_while_vulnerable(client):
    run = xss_run(client)
    html = client.get("/attacks/xss/victim", query_string={"run": run, "q": PAYLOAD}).get_data(
        as_text=True)
    assert PAYLOAD in html and "VULNERABLE ON PURPOSE" in html
    run = xss_run(client, vulnerable=False)
    html = client.get("/attacks/xss/victim", query_string={"run": run, "q": PAYLOAD}).get_data(
        as_text=True)
    assert PAYLOAD not in html and "&lt;script" in html


def test_victim_csp_switch_is_nonce_based(client):
    run = xss_run(client, csp=True)
    response = client.get("/attacks/xss/victim", query_string={"run": run})
    csp = response.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert "strict-dynamic" in csp and f"report-uri /api/attacks/xss/csp-report?run={run}" in csp
    off = client.get("/attacks/xss/victim", query_string={"run": xss_run(client)})
    assert off.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert off.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_csp_report_is_recorded(client):
    run = xss_run(client, csp=True)
    report = {"csp-report": {"violated-directive": "script-src-elem",
                             "blocked-uri": "http://127.0.0.1:5100/static/js/attacks-payload.js"}}
    assert client.post(f"/api/attacks/xss/csp-report?run={run}", data=json.dumps(report),
                       content_type="application/csp-report").status_code == 204
    record = client.get(f"/api/attacks/xss/runs/{run}").get_json()["records"][-1]
    assert record["kind"] == "csp" and record["directive"] == "script-src-elem"


def test_riding_the_httponly_cookie_is_recorded_with_the_genuine_cookie(client):
    run = xss_run(client)
    login = client.post(f"/api/attacks/xss/runs/{run}/login")
    assert "HttpOnly" in login.headers["Set-Cookie"]
    response = client.post(f"/api/attacks/xss/runs/{run}/act", headers={"X-Lab-Payload": "ride"})
    assert response.status_code == 200
    record = client.get(f"/api/attacks/xss/runs/{run}").get_json()["records"][-1]
    assert record["changed"] and record["via"] == "lab_xss_session"
    assert record["cookies"]["lab_xss_session"] and record["payload"] == "ride"


def test_bff_keeps_tokens_server_side(client):
    run = xss_run(client, store="bff")
    response = client.post(f"/api/attacks/xss/runs/{run}/login")
    assert "access_token" not in response.get_data(as_text=True)
    assert client.get(f"/api/attacks/xss/runs/{run}/me").get_json()["via"] == "lab_xss_bff"


def test_refresh_cookie_row_mints_from_the_httponly_cookie(client):
    run = xss_run(client, store="refresh-cookie")
    first = client.post(f"/api/attacks/xss/runs/{run}/login")
    assert "Path=/api/attacks/xss/refresh" in first.headers["Set-Cookie"]
    minted = client.post("/api/attacks/xss/refresh")
    assert minted.status_code == 200 and minted.get_json()["access_token"]
    assert client.delete_cookie("lab_xss_refresh", path="/api/attacks/xss/refresh") is None
    assert client.post("/api/attacks/xss/refresh").status_code == 401


def test_collector_verifies_what_reaches_the_attacker(app):
    client = app.test_client()
    run = xss_run(client, store="localStorage")
    token = jwt_login(client)["access_token"]
    attacker = create_attacker_app(app).test_client()
    body = {"run": run, "kind": "steal", "found": {"localStorage.x": token, "junk": "abc"}}
    assert attacker.post("/xss/collect", data=json.dumps(body),
                         content_type="text/plain").status_code == 200
    loot = client.get(f"/api/attacks/xss/runs/{run}").get_json()["loot"]
    items = {i["name"]: i for i in loot[0]["items"]}
    assert items["localStorage.x"]["verified"] == "access" and items["junk"]["verified"] is None
    assert token not in json.dumps(loot)  # masked
    assert attacker.post("/xss/collect", data="{").status_code == 400


# --- Session fixation -----------------------------------------------------------------------------

def test_fixation_real_store_refuses_the_planted_id_weak_one_falls(app):
    lab_client = app.test_client()
    run = lab_client.post("/api/attacks/fixation/runs", json={}).get_json()["run"]
    attacker = create_attacker_app(app).test_client()
    planted = attacker.get(f"/fixation?run={run}", base_url="http://localhost:5100")
    cookies = {line.split("=", 1)[0]: line.split("=", 1)[1].split(";")[0]
               for line in planted.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"lab_session", "lab_fix_weak"}
    # The victim's browser now holds the planted ids, and logs in with them.
    victim = app.test_client()
    victim.set_cookie("lab_session", cookies["lab_session"], domain="localhost")
    victim.set_cookie("lab_fix_weak", cookies["lab_fix_weak"], domain="localhost")
    assert session_login(victim).status_code == 303
    assert victim.get_cookie("lab_session").value != cookies["lab_session"]  # regenerated
    weak = victim.post(f"/attacks/fixation/weak/login?run={run}",
                       json={"username": "alice", "password": "alice123"})
    assert weak.get_json()["kept_id"] is True
    attacker.get(f"/fixation/try?run={run}")
    state = lab_client.get(f"/api/attacks/fixation/runs/{run}").get_json()
    tried = [r for r in state["records"] if r["kind"] == "attacker-try"][-1]
    assert (tried["real_status"], tried["real_user"]) == (401, None)
    assert (tried["weak_status"], tried["weak_user"]) == (200, "alice")


def test_weak_login_is_open_to_login_csrf_real_one_is_not(app):
    victim = app.test_client()
    forged = victim.post("/attacks/fixation/weak/login", headers=CROSS,
                         data={"username": "bob", "password": "bob123"})
    assert forged.status_code == 200
    assert victim.get("/attacks/fixation/weak/me").get_json()["user"]["username"] == "bob"
    real = victim.post("/session/login", headers=CROSS,
                       data={"username": "bob", "password": "bob123"})
    assert real.status_code == 403
    assert victim.get("/api/session/me").status_code == 401


# --- The attacker's pages ------------------------------------------------------------------------

def test_attacker_pages_may_reach_only_the_lab(app):
    app.config.update(PORT=5000, ATTACKER_PORT=5100)
    attacker = create_attacker_app(app).test_client()
    attacker.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = attacker.get("/csrf?run=0123456789abcdef&col=bearer&v=img&auto=1",
                        base_url="http://127.0.0.1:5100")
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://localhost:5000" in csp
    assert "connect-src 'self' http://localhost:5000" in csp and "script-src 'self';" in csp
    html = page.get_data(as_text=True)
    assert '"column": "bearer"' in html and '"vector": "img"' in html and "cross-site" in html
    assert "Set-Cookie" not in page.headers
    # Without a run, the fixation page plants nothing.
    empty = attacker.get("/fixation", base_url="http://localhost:5100")
    assert empty.status_code == 200 and "Set-Cookie" not in empty.headers
    assert attacker.get("/xss?run=0123456789abcdef").status_code == 200
    console = attacker.get("/").get_data(as_text=True)
    for path in ("/csrf", "/xss", "/fixation"):
        assert f'href="{path}"' in console

"""The attack labs' guided steps (auth/labs/attacks/guide.py) over HTTP: a step's requests make
the server record it ok or bad (read back through the guide API), and each lab's reset() puts
back its own Redis state and nobody else's."""
from auth.attacker import create_attacker_app
from tests.helpers import session_login

LAB = "http://localhost:5000"
CROSS = {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:5100"}
SAME_SITE = {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:5100"}


def guided(client, lab):
    """Headers of a lab page's own request: the learner's signed ticket, and the guide shown."""
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": lab}


def steps(client, lab, headers):
    body = client.get(f"/api/guide/{lab}", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def reset(client, lab, headers):
    response = client.post(f"/api/guide/{lab}/reset", base_url=LAB, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def keys(r, pattern):
    return sorted(k.decode() for k in r.scan_iter(match=pattern))


# --- CSRF ----------------------------------------------------------------------------------------

def csrf_attack(client, headers, column="session", attacker=CROSS, vector="form", **settings):
    """A run with these switches and one forged request; then the lab page reads the record."""
    run = client.post("/api/attacks/csrf/runs", json=settings, base_url=LAB,
                      headers=headers).get_json()["run"]
    client.post(f"/attacks/csrf/target/{column}?run={run}&v={vector}", base_url=LAB,
                headers=attacker, data={"amount": "100"})
    state = client.get(f"/api/attacks/csrf/runs/{run}", base_url=LAB, headers=headers)
    assert state.status_code == 200
    return run


def test_csrf_step_is_judged_from_the_targets_record(client):
    headers = guided(client, "csrf")
    assert steps(client, "csrf", headers)["all-off"]["state"] == ""
    csrf_attack(client, headers, samesite="None")
    found = steps(client, "csrf", headers)
    assert found["all-off"]["state"] == "ok" and found["all-off"]["at"]
    # The same record is no evidence for the steps with other switches, columns or attackers.
    assert {s for s, v in found.items() if v["state"]} == {"all-off"}
    csrf_attack(client, headers, column="bearer", samesite="None")
    assert steps(client, "csrf", headers)["bearer"]["state"] == "ok"


def test_csrf_step_turns_red_when_the_target_decided_otherwise(client):
    """The test client sends every cookie (it knows no SameSite), so the "Lax" step's forged POST
    changes state where a browser's would be refused: the server records that, red."""
    headers = guided(client, "csrf")
    csrf_attack(client, headers, samesite="Lax")
    lax = steps(client, "csrf", headers)["lax"]
    assert lax["state"] == "bad"
    assert "the cookie did not arrive" in lax["detail"]
    # A same-site attack with the token on is refused: that step is green.
    csrf_attack(client, headers, attacker=SAME_SITE, samesite="Lax", token=True)
    assert steps(client, "csrf", headers)["token"]["state"] == "ok"


def test_csrf_poll_without_the_guide_header_never_turns_a_step_red(client):
    """A quiet poll carries the ticket cookie, not the page's guide header: it may credit a step,
    never blame one."""
    headers = guided(client, "csrf")
    csrf_attack(client, {}, samesite="Lax")  # no header: the cookie alone
    assert steps(client, "csrf", headers)["lax"]["state"] == ""


def test_csrf_reset_forgets_its_runs_and_nobody_elses(client, r):
    headers = guided(client, "csrf")
    run = csrf_attack(client, headers, samesite="None")
    xss = client.post("/api/attacks/xss/runs", json={"store": "cookie"}, base_url=LAB).get_json()
    fixation = client.post("/api/attacks/fixation/runs", json={}, base_url=LAB).get_json()
    assert keys(r, f"attacks:csrf:{run}*")
    body = reset(client, "csrf", headers)
    assert body["shared_reset"] is True
    assert all(not s["state"] for s in body["steps"])
    assert keys(r, "attacks:csrf:*") == []
    assert client.get(f"/api/attacks/csrf/runs/{run}", base_url=LAB).status_code == 404
    # The victim's cookie now matches no run: a forged request is filed nowhere.
    assert client.post(f"/attacks/csrf/target/session?run={run}", base_url=LAB,
                       headers=CROSS).status_code == 404
    assert keys(r, f"attacks:xss:{xss['run']}") and keys(r, f"attacks:fixation:{fixation['run']}")


# --- Session fixation and login CSRF ----------------------------------------------------------

def fixation_state(client, run, headers):
    response = client.get(f"/api/attacks/fixation/runs/{run}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def plant(app, client, headers):
    """A run, and the attacker's same-site page planting its two ids in `client` (the victim)."""
    run = client.post("/api/attacks/fixation/runs", json={}, headers=headers).get_json()["run"]
    attacker = create_attacker_app(app).test_client()
    planted = attacker.get(f"/fixation?run={run}", base_url="http://localhost:5100")
    for line in planted.headers.getlist("Set-Cookie"):
        name, value = line.split(";")[0].split("=", 1)
        client.set_cookie(name, value, domain="localhost")
    return run, attacker


def test_fixation_steps_from_the_runs_record(app, client):
    headers = guided(client, "fixation")
    run, attacker = plant(app, client, headers)
    fixation_state(client, run, headers)
    assert steps(client, "fixation", headers)["plant"]["state"] == "ok"
    assert session_login(client).status_code == 303
    client.post(f"/attacks/fixation/weak/login?run={run}", headers=headers,
                json={"username": "alice", "password": "alice123"})
    fixation_state(client, run, headers)
    attacker.get(f"/fixation/try?run={run}")
    fixation_state(client, run, headers)
    found = steps(client, "fixation", headers)
    assert {s: found[s]["state"] for s in ("plant", "login", "try")} == dict.fromkeys(
        ("plant", "login", "try"), "ok")
    # Login CSRF, weak: asked while the weak session is alice's, the verdict is red...
    client.get("/attacks/fixation/weak/me", headers=headers)
    assert steps(client, "fixation", headers)["lcsrf-weak"]["state"] == "bad"
    # ...and green once the attacker's forged form logged this browser in as bob.
    client.post(f"/attacks/fixation/weak/login?run={run}", headers=CROSS,
                data={"username": "bob", "password": "bob123"})
    client.get("/attacks/fixation/weak/me", headers=headers)
    assert steps(client, "fixation", headers)["lcsrf-weak"]["state"] == "ok"
    # Login CSRF, real: the forged form (naming the run) is refused, and the lab files that.
    forged = client.post(f"/session/login?run={run}", headers=CROSS,
                         data={"username": "bob", "password": "bob123"})
    assert forged.status_code == 403
    real = [r for r in fixation_state(client, run, headers)["records"] if r["kind"] == "real-login"]
    assert real[-1]["status"] == 403 and real[-1]["user"] == "bob"
    assert steps(client, "fixation", headers)["lcsrf-real"]["parts"] == ["ok", ""]
    me = client.get(f"/api/session/me?run={run}", headers=headers)
    assert me.get_json()["user"]["username"] == "alice"
    assert steps(client, "fixation", headers)["lcsrf-real"]["state"] == "ok"


def test_fixation_plant_is_red_when_the_browser_does_not_send_the_planted_ids(app, client,
                                                                                monkeypatch):
    from auth.labs.attacks import guide

    monkeypatch.setattr(guide, "PLANT_GRACE", 0)
    headers = guided(client, "fixation")
    run, _attacker = plant(app, client, headers)
    client.delete_cookie("lab_fix_weak", domain="localhost")  # as if set for another host
    fixation_state(client, run, headers)
    assert steps(client, "fixation", headers)["plant"]["state"] == "bad"


def test_fixation_reset_forgets_runs_and_weak_sessions_only(app, client, r):
    headers = guided(client, "fixation")
    run, _attacker = plant(app, client, headers)
    client.post(f"/attacks/fixation/weak/login?run={run}",
                json={"username": "alice", "password": "alice123"})
    assert client.get("/attacks/fixation/weak/me").status_code == 200
    csrf_run = csrf_attack(client, {}, samesite="None")
    assert reset(client, "fixation", headers)["shared_reset"] is True
    assert keys(r, "attacks:fixation:*") == [] and keys(r, "attacks:weak-session:*") == []
    assert client.get("/attacks/fixation/weak/me").status_code == 401
    assert client.get(f"/api/attacks/fixation/runs/{run}").status_code == 404
    assert keys(r, f"attacks:csrf:{csrf_run}")


# --- XSS ---------------------------------------------------------------------------------------

def xss_run(client, headers, **body):
    response = client.post("/api/attacks/xss/runs", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["run"]


def collect(app, run, kind, found):
    attacker = create_attacker_app(app).test_client()
    assert attacker.post("/xss/collect", json={"run": run, "kind": kind, "found": found},
                         base_url="http://127.0.0.1:5100").status_code == 200


def xss_state(client, run, headers, final=False):
    response = client.get(f"/api/attacks/xss/runs/{run}" + ("?final=1" if final else ""),
                          headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_xss_cookie_step_from_the_collector_and_the_action_record(app, client):
    headers = guided(client, "xss")
    run = xss_run(client, headers, store="cookie")
    client.post(f"/api/attacks/xss/runs/{run}/login")  # the HttpOnly lab session
    collect(app, run, "steal", {"document.cookie": "lang=en"})  # nothing that verifies
    xss_state(client, run, headers)
    assert steps(client, "xss", headers)["cookie"]["state"] == ""  # mint and ride still running
    collect(app, run, "mint", {})
    client.post(f"/api/attacks/xss/runs/{run}/act", headers={"X-Lab-Payload": "ride"})
    xss_state(client, run, headers)
    found = steps(client, "xss", headers)
    assert found["cookie"]["state"] == "ok"
    assert {s for s, v in found.items() if v["state"]} == {"cookie"}  # not the bff's, not escaped


def test_xss_step_is_red_when_the_row_answers_otherwise(app, client):
    headers = guided(client, "xss")
    run = xss_run(client, headers, store="localStorage")
    client.get(f"/attacks/xss/victim?run={run}&q=x")
    collect(app, run, "steal", {"junk": "not-a-token"})
    xss_state(client, run, headers)
    assert steps(client, "xss", headers)["localstorage"]["state"] == ""
    xss_state(client, run, headers, final=True)  # the payloads had their time: judge now
    bad = steps(client, "xss", headers)["localstorage"]
    assert bad["state"] == "bad" and "steal: yes" in bad["detail"]


def test_xss_escaped_step_needs_the_page_served_and_nothing_arriving(client):
    headers = guided(client, "xss")
    run = xss_run(client, headers, store="cookie", vulnerable=False)
    xss_state(client, run, headers, final=True)
    assert steps(client, "xss", headers)["escaped"]["state"] == ""  # never served: no evidence
    page = client.get(f"/attacks/xss/victim?run={run}&q=%3Cscript%3E").get_data(as_text=True)
    assert "&lt;script&gt;" in page
    xss_state(client, run, headers, final=True)
    assert steps(client, "xss", headers)["escaped"]["state"] == "ok"


def test_xss_csp_step_from_the_browsers_report(client):
    headers = guided(client, "xss")
    run = xss_run(client, headers, store="localStorage", csp=True)
    report = {"csp-report": {"violated-directive": "script-src-elem", "blocked-uri": "http://x"}}
    client.post(f"/api/attacks/xss/csp-report?run={run}", json=report)
    xss_state(client, run, headers)
    assert steps(client, "xss", headers)["csp"]["state"] == "ok"


def test_xss_reset_forgets_runs_and_loot_only(app, client, r):
    headers = guided(client, "xss")
    run = xss_run(client, headers, store="cookie")
    collect(app, run, "steal", {})
    client.get(f"/attacks/xss/victim?run={run}&q=x")
    csrf_run = csrf_attack(client, {}, samesite="None")
    assert keys(r, f"attacker:xss:{run}") and keys(r, f"attacks:xss:{run}:served")
    assert reset(client, "xss", headers)["shared_reset"] is True
    assert keys(r, "attacks:xss:*") == [] and keys(r, "attacker:xss:*") == []
    assert client.get(f"/api/attacks/xss/runs/{run}").status_code == 404
    assert keys(r, f"attacks:csrf:{csrf_run}")

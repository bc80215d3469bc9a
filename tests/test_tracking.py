"""The local view kept true by Redis (auth/core/tracking.py): immediate revocation on every node,
and failing closed when the tracking link drops."""
import time

import pytest

from auth.core import tracking
from tests.helpers import bearer, csrf_token, jwt_login, session_cookie, session_login
from tests.test_trace import names


def _view(app):
    view = app.extensions["lab_view"]
    assert view is not None and view.up
    return view


def _wait(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _kill_link(r):
    # The tracking link is the app's only subscribed connection: kill it the way a network
    # blip or a Redis restart would end it.
    return r.client_kill_filter(_type="pubsub")


def test_session_logout_on_one_node_is_refused_at_once_by_another(make_app):
    a, b = make_app(), make_app()  # two nodes: two processes' views of one Redis
    ca, cb = a.test_client(), b.test_client()
    session_login(ca)
    cb.set_cookie("lab_session", session_cookie(ca))
    for _ in range(2):
        assert cb.get("/api/session/me").status_code == 200
    assert names(cb.get("/api/session/me")) == ["local-view", "total"]  # node b: from its view
    assert ca.post("/session/logout", data={"csrf_token": csrf_token(ca, "/session/")}).status_code in (200, 303)
    assert cb.get("/api/session/me").status_code == 401  # the very next request


def test_admin_forced_logout_reaches_every_view(make_app, r):
    make_app()  # another node, whose view also follows the change
    cb = make_app().test_client()
    session_login(cb)
    for _ in range(2):
        assert cb.get("/api/session/me").status_code == 200
    r.delete(f"session:{session_cookie(cb)}")  # anyone, even redis-cli, changes the key
    assert cb.get("/api/session/me").status_code == 401


@pytest.mark.parametrize("strategy", ["denylist", "valid-after", "user-key", "introspection"])
def test_jwt_logout_on_one_node_is_refused_at_once_by_another(make_app, strategy):
    a, b = make_app(REVOCATION_STRATEGY=strategy), make_app(REVOCATION_STRATEGY=strategy)
    ca, cb = a.test_client(), b.test_client()
    tokens = jwt_login(ca)
    for _ in range(2):
        assert cb.get("/api/jwt/me", headers=bearer(tokens["access_token"])).status_code == 200
    warm = cb.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert names(warm) == ["jwt-reuse", "local-view", "total"]
    if strategy in ("denylist", "introspection"):  # the user logs this token out on node a
        out = ca.post("/api/jwt/logout", headers=bearer(tokens["access_token"]),
                      json={"refresh_token": tokens["refresh_token"]})
    else:  # these revoke by user: the admin's "log out everywhere", on node a
        admin = jwt_login(ca, "admin", "admin123")["access_token"]
        out = ca.post("/api/admin/users/alice/logout-everywhere", headers=bearer(admin))
    assert out.status_code == 200
    refused = cb.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert refused.status_code == 401
    assert 'error_description="revoked"' in refused.headers["WWW-Authenticate"]


def test_link_drop_flushes_the_view_and_checks_ask_redis_until_it_is_back(app, r):
    client = app.test_client()
    session_login(client)
    tokens = jwt_login(client)
    view = _view(app)
    links = view.stats["links"]
    for _ in range(2):
        client.get("/api/session/me")
        client.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert view.describe()["entries"] > 0
    assert _kill_link(r) >= 1
    # While no link tells this process about changes, a change must still be seen: the view
    # was flushed the moment the link closed, and every check goes to Redis.
    r.delete(f"session:{session_cookie(client)}")
    gone = client.get("/api/session/me")
    assert gone.status_code == 401 and "local-view" not in names(gone)
    assert not view.up and view.describe()["entries"] == 0
    asked = client.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert asked.status_code == 200 and "jwt-verify" in names(asked)  # nothing reused either
    assert "local-view" not in names(asked) and any(n.startswith("redis-") for n in names(asked))
    # The keepalive thread links again; from then on the view is used again, from scratch.
    assert _wait(lambda: view.up and view.stats["links"] > links)
    client.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert names(client.get("/api/jwt/me", headers=bearer(tokens["access_token"]))) == \
        ["jwt-reuse", "local-view", "total"]


def test_a_silent_link_is_declared_down_after_two_heartbeats(app):
    view = _view(app)
    view._ping_sent = time.monotonic() - 10 * view.heartbeat  # a PING that was never answered
    view._stop.set()  # (no reconnect in this test: we look at the state right after the beat)
    view._beat()
    assert not view.up and view.describe()["entries"] == 0
    ok, _value = view.get("session:anything")
    assert not ok  # down: nothing is answered from the view


def test_a_value_read_while_its_key_changed_is_not_kept(app, r):
    view = _view(app)
    ticket = view.begin()
    stale = r.get("jwt:deny:{f}:j")  # None: read "before"
    r.set("jwt:deny:{f}:j", "1")  # ... and changed before the reader could keep it
    assert view.put(ticket, "jwt:deny:{f}:j", tracking.ABSENT if stale is None else stale) is False
    assert view.get("jwt:deny:{f}:j") == (False, None)


def test_ask_redis_mode_is_switched_for_every_node_at_once(make_app):
    from auth.core import checkmode

    a, b = make_app(), make_app()
    cb = b.test_client()
    session_login(cb)
    for _ in range(2):
        cb.get("/api/session/me")
    with a.app_context():
        checkmode.choose("ask-redis")
    # node b reads the new mode (its copy was invalidated) and asks Redis at once.
    assert names(cb.get("/api/session/me")) == ["redis-get", "redis-getex", "total"]
    assert names(cb.get("/api/session/me")) == ["redis-getex", "total"]
    with a.app_context():
        checkmode.choose("local-view")
    cb.get("/api/session/me")
    assert names(cb.get("/api/session/me")) == ["local-view", "total"]


def test_no_view_on_cluster_or_sentinel_clients():
    class Fake:
        connection_pool = None

    assert tracking.for_client(Fake(), ("session:",)) is None

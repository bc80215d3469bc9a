"""The refresh lab's guided steps: a stolen refresh token used first, the victim's reuse that
revokes the family, both devices logged out, three tabs tripping the same alarm, and the
reuse grace that lets them through.

Credited from the server's own record: the status of each refresh, and what Redis holds for the
token's family right after it (revoked marker, side branches of the grace). Which part of the
lab a request came from is the page that sent it (the browser's Referer: the lab page itself, or
one of its framed tab clients), so a refresh on the JWT page counts for neither.
"""
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ...tokens import store as token_store
from ..guide import Guide, Step, done_when as _done, token_claims


PAGE, TAB = "/labs/refresh", "/labs/refresh/tab"


def _from(path):
    def when(*_args):
        referrer = request.referrer or ""
        try:
            return urlsplit(referrer).path.rstrip("/") == path
        except ValueError:
            return False
    return when


def _alice(req, res):
    """The victim's login: alice's (the grace switch logs the administrator in from the same
    page)."""
    body = request.get_json(silent=True)
    return isinstance(body, dict) and str(body.get("username", "")).strip().lower() == "alice"


def _claims(token):
    """The claims of a token this request carried or got (verified with the app's keys): its
    family and jti, to look the family up in Redis."""
    return token_claims(token) if isinstance(token, str) else {}


def _sent_family():
    body = request.get_json(silent=True)
    token = body.get("refresh_token") if isinstance(body, dict) else None
    return _claims(token).get("fam") if isinstance(token, str) else None


def _family_revoked(req, res):
    """The family of the refresh token just presented is revoked in Redis now."""
    fam = _sent_family()
    return bool(fam) and current_app.extensions["lab_redis"].exists(
        token_store.revoked_key(fam)) == 1


def _grace_branch(req, res):
    """This refresh was let through by the reuse grace: the refresh token it handed out is a
    side branch of the family (jwt:famalt), not the family's current one."""
    data = res.get_json(silent=True) or {}
    new = _claims(data.get("refresh_token", ""))
    fam, jti = new.get("fam"), new.get("jti")
    return bool(fam and jti) and bool(current_app.extensions["lab_redis"].sismember(
        token_store.alt_key(fam), jti))


def _race_reuse(req, res):
    """A tab's refresh in the race without a grace: the refused ones are the evidence (their
    family revoked: reuse); the one that won says nothing either way."""
    if res.status_code == 200 or token_store.reuse_grace() > 0:
        return None
    return _family_revoked(req, res)


def _grace_race(req, res):
    """A tab's refresh while a grace is in force: a side branch is the grace at work (ok); the
    family's ordinary rotation (the race's winner) says nothing; a refusal is red (the grace did
    not cover this tab: too short, or the token was older than the last rotation)."""
    if token_store.reuse_grace() <= 0:
        return None
    if res.status_code == 200:
        return True if _grace_branch(req, res) else None
    return False


def _grace_on(req, res):
    """The switch answered with a grace in force: on (ok); switched off again, which the other
    steps' "Show me" does, says nothing; a refusal (not an administrator) is red."""
    data = res.get_json(silent=True) or {}
    if not isinstance(data.get("grace"), int):
        return False
    return True if data["grace"] > 0 else None


def reset():
    """The lab's one switch: the reuse grace goes back to the configured default."""
    token_store.set_reuse_grace(None)


GUIDE = Guide(
    lab="refresh",
    title=_l("Refresh tokens"),
    steps=[
        Step(id="stolen",
             title=_l("The attacker refreshes first, with a stolen copy"),
             will=_l("What will happen: the victim logs in (alice); the attacker copies the "
                     "victim's refresh token and presents it to POST /api/jwt/refresh before "
                     "the victim does."),
             why=_l("Why: the server accepts it and rotates: a refresh token is a bearer "
                    "credential, and nothing in the request tells a thief from the victim. The "
                    "attacker now holds a fresh pair."),
             hint=_l("Hint: “Victim logs in”, “Attacker steals a copy”, “Attacker refreshes”."),
             done=[_done("jwt_flow.login", "POST", (200,), when=_from(PAGE), check=_alice),
                   _done("jwt_flow.refresh", "POST", (200,), when=_from(PAGE))]),
        Step(id="reuse",
             title=_l("The victim refreshes: reuse, the family is revoked"),
             will=_l("What will happen: the victim presents the refresh token it still holds, "
                     "the one the attacker already used."),
             why=_l("Why: that token was already spent, and a spent token coming back means a "
                    "copy exists. The server cannot tell which side is the thief, so it refuses "
                    "(400) and revokes the whole family: jwt:fam is gone, jwt:famrevoked is set."),
             hint=_l("Hint: “Victim refreshes” after the attacker did (or the other way round: "
                     "whoever comes second trips the alarm)."),
             done=[_done("jwt_flow.refresh", "POST", (400,), when=_from(PAGE), after="stolen",
                         check=_family_revoked, expect=_l("the family revoked in Redis"))]),
        Step(id="dead",
             title=_l("Both devices are logged out"),
             will=_l("What will happen: the victim and the attacker each call GET /api/jwt/me "
                     "with the access token they hold."),
             why=_l("Why: a revoked family takes its access tokens with it (under the default "
                    "denylist strategy), so the attacker's fresh token is refused too: 401."),
             hint=_l("Hint: “Both call /api/jwt/me”."),
             done=[_done("jwt_flow.me", "GET", (401,), when=_from(PAGE), after="reuse")]),
        Step(id="race",
             title=_l("Three tabs refresh at once: the same alarm"),
             will=_l("What will happen: one login gives the same pair to three tab clients; "
                     "without coordination all three send the same refresh token at the same "
                     "moment."),
             why=_l("Why: one wins, the other two present a spent token, and the server sees "
                    "exactly what it saw with the thief: reuse, the family revoked, everyone "
                    "logged out. The cure is on the client: one refresh at a time "
                    "(navigator.locks) and the new pair shared (BroadcastChannel)."),
             hint=_l("Hint: “No coordination”, “Log in once…”, then “All three refresh at the "
                     "same moment”. Then try the coordinated mode: nobody is logged out."),
             done=[_done("jwt_flow.refresh", "POST", (400,), when=_from(TAB),
                         check=_race_reuse, expect=_l("the family revoked in Redis"))]),
        Step(id="grace",
             title=_l("The server's other fix: a reuse grace"),
             will=_l("What will happen: an administrator switches the reuse grace on (POST "
                     "/api/lab/refresh/grace), then the three tabs race again without "
                     "coordination."),
             why=_l("Why: inside the grace the retired token still works once more, so every "
                    "tab gets a pair, each a side branch of the family (jwt:famalt). The cost: a "
                    "thief inside the same window gets a branch too, and nobody notices."),
             hint=_l("Hint: set a few seconds, “Switch (as admin)”, log the tabs in again and "
                     "race. Reset this lab to put the grace back."),
             done=[_done("refresh.set_grace", "POST", (200,), check=_grace_on,
                         expect=_l("a grace above 0 s")),
                   _done("jwt_flow.refresh", "POST", (200,), when=_from(TAB),
                         check=_grace_race,
                         expect=_l("a side branch of the family (jwt:famalt)"))]),
    ],
    reset=reset,
)

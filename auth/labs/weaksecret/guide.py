"""The weak-secret lab's guided steps: the lab node issues a token, the server cracks it, the
found secret opens the node's admin door, and the same attack fails on the real app's token.

Credited from the server's own records: the node's answers, and the crack job as the server
keeps it in Redis (its state, and the kid of the token it was started on)."""
from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ..guide import Guide, Step, done_when as _done
from . import crack
from .views import NODE, SECRET_REDIS_KEY


STATUS = "weaksecret.crack_status"


def _job():
    """The crack job this status request asked about, as Redis holds it now."""
    job = (request.view_args or {}).get("job", "")
    data = current_app.extensions["lab_redis"].hgetall(crack.job_key(job)) if job else {}
    return {k.decode(): v.decode() for k, v in data.items()}


def _finished(node):
    """A status answer for a finished job on the node's token (node=True) or on any other."""
    def when(*_args):
        job = _job()
        return job.get("state") in ("found", "exhausted") and (job.get("kid") == NODE) == node
    return when


def _state(want):
    def check(req, res):
        return (res.get_json(silent=True) or {}).get("state") == want
    return check


def reset():
    """The lab's shared state: the node's secret (a new one is drawn at the next login) and the
    crack jobs' progress records. A job still running finishes on its own, bounded."""
    client = current_app.extensions["lab_redis"]
    client.delete(SECRET_REDIS_KEY)
    doomed = list(client.scan_iter(match=crack.job_key("*"), count=200))
    if doomed:
        client.delete(*doomed)


GUIDE = Guide(
    lab="weaksecret",
    title=_l("Weak secret"),
    steps=[
        Step(id="issue",
             title=_l("The lab node issues a token"),
             will=_l("What will happen: the lab node logs alice in (POST "
                     "/api/lab/weak/node/token) and signs an HS256 token with its short secret, "
                     "a word from a list plus a usual suffix."),
             why=_l("Why: this one token is all an attacker needs. Its signature is an HMAC of "
                    "header.payload with the secret, so every guess can be checked offline "
                    "against it, with no server to slow the guessing down."),
             hint=_l("Hint: “Log in to the lab node (alice)”; “Give the node a new weak secret” "
                     "draws another word."),
             done=[_done("weaksecret.node_token", "POST", (200,))]),
        Step(id="crack",
             title=_l("Crack it on the server"),
             will=_l("What will happen: the server runs a dictionary attack on that token in "
                     "one background thread: HMAC-SHA256 over header.payload with each guess, "
                     "compared with the signature. The page polls the job until it ends."),
             why=_l("Why: a secret that is a word with a suffix is one of a few thousand "
                    "guesses; a machine tries far more than that every second."),
             hint=_l("Hint: “Crack the token” after the node issued one. The job's state comes "
                     "from GET /api/lab/weak/crack/ followed by the job's id."),
             done=[_done(STATUS, "GET", (200,), when=_finished(node=True), after="issue",
                        check=_state("found"), expect=_l("the secret found"))]),
        Step(id="forge",
             title=_l("Forge an admin token with the found secret"),
             will=_l("What will happen: the payload gets role admin and is signed HS256 with the "
                     "secret just found (the forge tab's “guessed secret” recipe), then sent to "
                     "the lab node's admin-only door."),
             why=_l("Why: the node's verifier is correct, only its secret is weak. A signature "
                    "made with the right secret is genuine, whoever made it: the door opens "
                    "(200)."),
             hint=_l("Hint: “Forge and knock”, once the secret is found."),
             done=[_done("weaksecret.node_admin", "POST", (200,), after="crack")]),
        Step(id="real",
             title=_l("The same attack on the real app's token"),
             will=_l("What will happen: the page gets an access token from the real JWT flow "
                     "and starts the same dictionary attack on it."),
             why=_l("Why: every guess fails. The real app's generated JWT_SECRET_KEY is 48 "
                    "random bytes (384 bits): at the rate just measured, an average search "
                    "takes the arithmetic below, far beyond any machine."),
             hint=_l("Hint: the page has no button of its own for this: “Show me” logs alice in "
                     "to the JWT flow and cracks her access token. An RS256 or ES256 token "
                     "cannot be cracked with a word list at all."),
             done=[_done(STATUS, "GET", (200,), when=_finished(node=False),
                        check=_state("exhausted"), expect=_l("every guess failed"))]),
    ],
    reset=reset,
)

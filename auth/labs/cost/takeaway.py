""""What this means": the committed measurements (results.json) said in plain words.

Every number comes from results.json; nothing here is a constant about sessions or JWTs. When a
part of the results is missing (an older or partial `make bench`), its sentence is left out.
"""
from flask_babel import gettext as _


def _n(value, digits=0):
    return f"{value:,.{digits}f}"


def _jwt_name(results, alg):
    """The JWT row to speak of: the lab's own algorithm when it was measured, else the first."""
    names = [n for n in results.get("http", {}) if n.startswith("jwt-")]
    return f"jwt-{alg}" if f"jwt-{alg}" in names else (names[0] if names else None)


def _size(longest_us):
    if longest_us < 100:
        return _("tens of microseconds")
    if longest_us < 1000:
        return _("a few hundred microseconds, well under a millisecond")
    return _("about %(ms)s ms", ms=_n(longest_us / 1000, 1))


def _commands(results, name):
    found = results.get("redis_commands", {}).get(name) or {}
    return " + ".join(c.upper() for c in found)


def _round_trips(count):
    count = int(round(count))
    if count == 1:
        return _("one Redis round trip")
    return _("%(num)s Redis round trips", num=count)


def _time(results, jwt, alg):
    work = results["auth_work"]
    session_us, jwt_us = work["session"]["work_us"], work[jwt]["work_us"]
    return _("Both checks are cheap: on the server, checking a session took %(session)s µs and "
             "checking a JWT (%(alg)s) %(jwt)s µs (median), that is %(size)s.",
             session=_n(session_us), jwt=_n(jwt_us), alg=alg,
             size=_size(max(session_us, jwt_us)))


def _store(results, jwt, alg):
    trips = results["round_trips"]
    session = _("The session costs %(trips)s per request (%(cmd)s): the server looks the session "
                "up.", trips=_round_trips(trips["session"]), cmd=_commands(results, "session"))
    decode = results["steps"][alg]["jwt_decode"]["median_us"]
    if trips[jwt]:
        token = _("The JWT costs a signature check (%(sig)s µs) plus a revocation lookup: "
                  "%(trips)s too (%(cmd)s).", sig=_n(decode), trips=_round_trips(trips[jwt]),
                  cmd=_commands(results, jwt))
    else:
        token = _("The JWT costs a signature check (%(sig)s µs) and no store at all.",
                  sig=_n(decode))
    return f"{session} {token}"


def _whatif(results, jwt):
    server = results["server_time"]
    return _("Without the revocation lookup (the what-if row), a JWT would need no store at all: "
             "%(without)s µs per request instead of %(jwt)s µs, but a logged-out token would "
             "keep working until it expires.",
             without=_n(server["whatif-jwt-no-revocation"]["median_us"]),
             jwt=_n(server[jwt]["median_us"]))


def _wire(results, jwt):
    http = results["http"]
    return _("On the wire, the credential travels with every request: the session cookie is "
             "%(cookie)s bytes, the JWT header %(token)s bytes (whole requests: %(session_req)s "
             "and %(jwt_req)s bytes).",
             cookie=_n(http["session"]["credential_bytes"]),
             token=_n(http[jwt]["credential_bytes"]),
             session_req=_n(http["session"]["request_bytes"]),
             jwt_req=_n(http[jwt]["request_bytes"]))


def _load(results, jwt):
    http = results["http"]
    base, session, token = (http[n]["requests_per_s"] for n in ("baseline", "session", jwt))
    apart = abs(session - token) / max(session, token) * 100 if max(session, token) else 0
    return _("Under load, the server answered %(base)s requests per second with no credential, "
             "%(session)s with a session and %(jwt)s with a JWT: the two flows are %(apart)s%% "
             "apart.", base=_n(base), session=_n(session), jwt=_n(token), apart=_n(apart))


def sentences(results, alg):
    """The plain-words takeaway for `results` (the lab's own JWT algorithm preferred)."""
    jwt = _jwt_name(results or {}, alg)
    if jwt is None:
        return []
    alg = jwt[4:]
    out = []
    for part in (lambda: _time(results, jwt, alg), lambda: _store(results, jwt, alg),
                 lambda: _whatif(results, jwt), lambda: _wire(results, jwt),
                 lambda: _load(results, jwt)):
        try:
            out.append(part())
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue  # that part of the results is missing: say nothing rather than guess
    return out

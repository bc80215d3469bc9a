"""Class progress, from the server's own records: what each student's requests actually did.

Who joined is kept in `class:students` (the roster, a hash name -> joined at). What each one did
is the guided steps' record (auth/labs/guide/): `POST /api/join` gives the student a ticket for
"student:<name>", and every lab's steps are credited to it from the server's answers — a session
login answered 303, a refresh answered with a new pair, ... — never from what a page reports.

The class view's first columns (the steps it showed before every lab had a guide) now read the
session and JWT guides' records: STEPS maps each old column to (lab, step).
"""
from ..guide import records

ROSTER = "class:students"

# The old progress columns, kept in /api/class's "steps" for the class page and any script that
# reads them: (column id, lab, step id).
STEPS = [
    ("session-login", "session", "login"),
    ("session-logout", "session", "logout"),
    ("jwt-login", "jwt", "login"),
    ("jwt-refresh", "jwt", "refresh"),
    ("jwt-logout", "jwt", "logout"),
    ("devices", "session", "devices"),
]
STEP_IDS = [s[0] for s in STEPS]


def actor(name):
    return records.student(name)


def read(client, names, guides):
    """{name: {lab: {field: value}}} for every student and every lab, in one pipeline."""
    labs = list(guides)
    if not names or not labs:
        return {n: {} for n in names}
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            for lab in labs:
                pipe.hgetall(records.key(actor(name), lab))
        found = pipe.execute()
    out, i = {}, 0
    for name in names:
        out[name] = {}
        for lab in labs:
            raw = {records._text(k): records._text(v) for k, v in found[i].items()}
            if raw:
                out[name][lab] = raw
            i += 1
    return out


def summary(raw_by_lab, guides):
    """(old columns {id: ts}, {lab: {"done", "total", "steps": [{id, state, at}]}}) of one
    student, from the raw records."""
    labs = {}
    for lab, guide in guides.items():
        raw = raw_by_lab.get(lab, {})
        steps = []
        for step in guide.steps:
            state, at, _i, _status, _kinds = records.step_state(step, raw)
            steps.append({"id": step.id, "state": state, "at": at})
        labs[lab] = {"done": sum(s["state"] == "ok" for s in steps), "total": len(steps),
                     "steps": steps}
    columns = {}
    for column, lab, step_id in STEPS:
        found = next((s for s in labs.get(lab, {}).get("steps", []) if s["id"] == step_id), None)
        if found and found["state"] == "ok":
            columns[column] = found["at"]
    return columns, labs

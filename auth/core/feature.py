"""What a feature (a flow or a lab) declares about itself, so that no central list names it.

`create_app` registers each declared blueprint, exempts it from CSRF when it says so, adds its
stateless URL prefixes to the session store's skip list, and `base.html` draws the nav from it.
"""
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Feature:
    name: str
    blueprint: object  # a flask.Blueprint
    # (endpoint, label) for the top nav, or None; the label is a lazy_gettext string.
    nav: tuple | None = None
    # Where the nav entry goes: "main" (the bar itself) or "labs" (the Labs menu).
    menu: str = "labs"
    # URL prefixes that never need a session: the session store does not even open one there.
    stateless: tuple = ()
    # True when every view of the blueprint reads no cookie (bearer or body only), so there is
    # no ambient credential for a cross-site request to ride on: Flask-WTF's CSRF check is off.
    csrf_exempt: bool = False
    # Single views exempt from CSRF (JSON-only endpoints of a blueprint that also has forms).
    csrf_exempt_views: tuple = field(default=())
    # Called with the app once the blueprint is registered, for app-wide hooks a feature needs
    # (e.g. the classroom's progress recorder); None for most.
    setup: object = None
    # The lab's guided steps (auth/labs/guide/): a Guide, or a tuple of Guides for a feature
    # with several pages or parts; None for a feature without steps.
    guide: object = None


# --- Guided steps: declared once per lab (see auth/labs/guide/) ------------------------------
# They live here, beside Feature, so that a flow (auth/session, auth/tokens) can declare its own
# steps without importing a lab: dependencies point one way only (labs -> flows -> core).

_ID = re.compile(r"[a-z0-9-]+")


@dataclass(frozen=True)
class Done:
    """The server's record that completes (part of) a step: a finished request to `endpoint`
    with `method`, answered with one of `statuses`, and `check(request, response)` true if given.

    `check` may also return None: "not this step's request" (e.g. another user's login), which
    records nothing. `after="<step id>"`: counts only once that step is ok for the same actor.
    `expect`: a lazy text saying what the check wants, shown with a red verdict."""
    endpoint: str
    method: str = "GET"
    statuses: tuple = (200,)
    check: object = None
    after: str | None = None
    expect: object = None


def done_when(endpoint, method="GET", statuses=(200,), when=None, check=None, after=None,
          expect=None):
    """A Done whose check first asks `when()`: False means "not this step's request" (None to
    the core: nothing is recorded), so steps that share an endpoint never mark each other."""
    if when is None:
        return Done(endpoint, method, statuses, check=check, after=after, expect=expect)

    def scoped(req, res):
        if not when():
            return None
        return True if check is None else check(req, res)
    return Done(endpoint, method, statuses, check=scoped, after=after, expect=expect)


@dataclass(frozen=True)
class Step:
    id: str
    title: object
    will: object = ""
    why: object = ""
    hint: object = ""
    done: tuple = ()

    def __post_init__(self):
        if not _ID.fullmatch(self.id):
            raise ValueError(f"step id {self.id!r}: use [a-z0-9-]+")
        object.__setattr__(self, "done", tuple(self.done))


@dataclass(frozen=True)
class Guide:
    lab: str
    title: object
    steps: tuple = ()
    # Puts the lab's shared state back (its Redis keys, demo users' roles, switches); or None.
    reset: object = None

    def __post_init__(self):
        if not _ID.fullmatch(self.lab):
            raise ValueError(f"guide lab {self.lab!r}: use [a-z0-9-]+")
        object.__setattr__(self, "steps", tuple(self.steps))
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"guide {self.lab}: duplicate step ids")
        for step in self.steps:
            for done in step.done:
                if done.after is not None and done.after not in ids:
                    raise ValueError(f"guide {self.lab}: step {step.id} waits for unknown "
                                     f"step {done.after!r}")

    def step(self, step_id):
        return next((s for s in self.steps if s.id == step_id), None)

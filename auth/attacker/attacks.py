"""The attack labs' pages on the attacker's origin (one blueprint each), as BLUEPRINTS entries."""
from . import csrf, fixation, xss

ENTRIES = [(csrf.bp, csrf.TITLE), (xss.bp, xss.TITLE), (fixation.bp, fixation.TITLE)]

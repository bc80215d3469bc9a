# Two commands for a newcomer: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: run test extract-messages clean bench loadtest cluster

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# The app compiles translations/*.po itself when it starts (into instance/translations), so
# `python app.py` is as bilingual as `make run`.
run: $(VENV)/.installed
	$(PY) app.py

# The scale-out lab (/labs/scale): NODES app nodes on consecutive ports from PORT, one shared
# Redis, HAProxy in front when installed (on PORT + 10). `make cluster JWT_ALGORITHM=ES256
# VERIFY_ONLY=1` makes the last node verify-only (public keys from the first node's JWKS).
NODES ?= 3
cluster: $(VENV)/.installed
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || echo "HAProxy is not \
	installed: the nodes run without a load balancer. Install it with: sudo apt-get install \
	haproxy (Debian/Ubuntu) or brew install haproxy (macOS)."
	$(PY) app.py --nodes $(NODES) $(if $(PORT),--port $(PORT)) $(if $(VERIFY_ONLY),--verify-only) \
	  $(if $(SESSION_STORE),--session-store $(SESSION_STORE))

test: $(VENV)/.dev-installed
	$(PY) -m pytest

# Measurements, not tests (they take minutes): `make bench` rewrites docs/bench/results.json and
# chart.svg (with the lab beside a minimal Flask-Session and Flask-JWT-Extended app, wrk when
# installed); `make loadtest [STUDENTS=500]` runs a class with Locust, docs/bench/loadtest.*.
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PIP) install -q -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk not found (Debian: apt-get install wrk): using the lab's own load generator"
	$(PY) -m bench.run

loadtest: $(VENV)/.bench-installed
	$(PY) -m bench.loadtest $(if $(STUDENTS),--users $(STUDENTS))

# For developers adding text: re-extract and merge into the catalogues, then translate.
extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(VENV)/bin/pybabel -q update --ignore-obsolete -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) .pytest_cache

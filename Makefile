# The two commands a new machine needs: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# Links the demo prints and its emails carry point at the port in use.
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test test-fast lint-imports install setup migrate browsers clean

# uv installs the same pins as pip in a third of the time (a fresh clone's `make test` pays it once);
# plain pip when uv cannot be had.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv && $(VENV)/bin/uv pip install --python $(PY) --quiet -e '.[dev]' \
	  || $(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Test-only JavaScript: axe-core, which the browser tests inject into Chromium (no CDN). Skipped
# with a note when npm is missing (the browser tests then skip too, except in CI).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	   npm ci --no-audit --no-fund --silent && touch $(NODE_STAMP) \
	   || echo "npm ci failed: the accessibility check of the browser tests will be skipped."; \
	 else echo "npm not found: the accessibility check of the browser tests will be skipped."; fi

migrate: install
	$(PY) manage.py migrate --noinput

# Courts: the official feed when reachable, else the built-in catalog; the demo when the database is empty.
setup: migrate
	@$(PY) manage.py import_pacer_courts 2>/dev/null \
		|| { echo "The PACER court feed could not be read (offline?): using the built-in court catalog instead."; $(PY) manage.py load_court_catalog; }
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py demo_users

# The Procfile's web (gunicorn on http://127.0.0.1:$(PORT)), worker and beat, run by honcho in
# development mode; Ctrl-C stops all of it. First the notices due now are sent (and, in the demo, one
# reminder to a Montana filer), so var/mail/ holds a real email before the server is up.
run: setup
	@ROLLOUT_MODE=development $(PY) manage.py send_due_notices --demo-reminder
	@echo "Emails: without EMAIL_HOST about one file per message in var/mail/ (newest: ls -t var/mail | head -1),"
	@echo "        every message in full. Send what is due now at any time: $(PY) manage.py send_due_notices"
	ROLLOUT_MODE=development PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --port $(PORT)

# Tests run in development mode whatever the shell says (the deployment test starts its own
# production processes). TEST_PROCESSES pytest processes (pytest-xdist; default one more than the
# cores: the browser, worker and deployment tests spend some of their time waiting, and more
# processes than that only compete for the cores), each with its
# own test database, Redis database and var/; a test module stays in one process, so its Celery
# worker starts once. Modules are handed out in the order tests/conftest.py gives them (the slowest
# first), not by their number of tests.
TEST_PROCESSES ?= $(shell echo $$(( $$(nproc) + 1 )))
test: install $(NODE_STAMP) lint-imports
	ROLLOUT_MODE=development $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The inner loop: SQLite and the filesystem broker whatever the shell says, no browser, no Celery worker,
# no deployment.
test-fast: install
	$(VENV)/bin/lint-imports --no-cache
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL ROLLOUT_MODE=development \
		$(PY) -m pytest -q -n auto -m "not browser and not celery_worker and not deployment and not release" $(PYTEST_ARGS)

lint-imports: install
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf var/ .pytest_cache

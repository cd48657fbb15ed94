# The two commands a new machine needs: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: run test test-fast lint-imports install setup migrate browsers clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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
# development mode; Ctrl-C stops all of it.
run: setup
	ROLLOUT_MODE=development PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --port $(PORT)

# Tests run in development mode whatever the shell says (the deployment test starts its own
# production processes).
test: install $(NODE_STAMP) lint-imports
	ROLLOUT_MODE=development $(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: SQLite and the filesystem broker whatever the shell says, no browser, no Celery worker,
# no deployment.
test-fast: install
	$(VENV)/bin/lint-imports --no-cache
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL ROLLOUT_MODE=development \
		$(PY) -m pytest -q -m "not browser and not celery_worker and not deployment and not release" $(PYTEST_ARGS)

lint-imports: install
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf var/ .pytest_cache

# The two commands a new machine needs: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install setup migrate browsers clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

# Courts: the official feed when reachable, else the built-in catalog; the demo when the database is empty.
setup: migrate
	@$(PY) manage.py import_pacer_courts 2>/dev/null \
		|| { echo "The PACER court feed could not be read (offline?): using the built-in court catalog instead."; $(PY) manage.py load_court_catalog; }
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py demo_users

# Web server on http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all of it.
run: setup
	$(PY) manage.py rundev

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf var/ .pytest_cache

# The front door: make run, make test, make lint, make bench.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The Python versions pyproject.toml accepts.
SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))
# The first supported Python on PATH, unless PYTHON names one.
PYTHON ?= $(firstword $(foreach p,python3.11 python3.12 python3,$(shell $(p) -c '$(SUPPORTED)' >/dev/null 2>&1 && echo $(p))))
MANAGE := $(PY) manage.py
# Test processes side by side (pytest-xdist): one per core; 0 runs the suite in one process.
TEST_WORKERS ?= auto

# A .venv made with another Python (an older checkout, a system upgrade) is rebuilt.
ifneq ($(wildcard $(PY)),)
ifneq ($(shell $(PY) -c '$(SUPPORTED)' >/dev/null 2>&1 && echo ok),ok)
$(info $(VENV) was made with $(shell $(PY) --version 2>&1), which this project does not support: rebuilding it)
$(shell rm -rf $(VENV))
endif
endif

.PHONY: run install install-dev python migrate static demo test test-postgres lint format bench clean

# One dev server is one process: per-process rate limits (topics.W001) are what it wants.
run migrate static demo: export SILENCED_SYSTEM_CHECKS ?= topics.W001

run: install migrate static demo ## set up and start on http://127.0.0.1:$(PORT)
	$(MANAGE) runserver 127.0.0.1:$(PORT)

python: ## stop early, with a clear message, without Python 3.11 or 3.12
	@test -n "$(PYTHON)" && $(PYTHON) -c '$(SUPPORTED)' 2>/dev/null || { \
	  echo "This project needs Python 3.11 or 3.12 (found: $$($(or $(PYTHON),python3) --version 2>&1))."; \
	  echo "Install one (e.g. apt-get install python3.11), or name it: make run PYTHON=/path/to/python3.11"; \
	  exit 1; }

# What running needs (make run); the test and lint tools come with install-dev.
install: python $(VENV)/.installed
install-dev: python $(VENV)/.installed-dev

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

migrate: install
	$(MANAGE) migrate --noinput

static: install
	$(MANAGE) collectstatic --noinput --verbosity 0

demo: migrate
	$(MANAGE) load_demo --accounts

test: install-dev static ## the whole suite (SQLite, or DATABASE_URL's database)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

test-postgres: ## the whole suite against the local PostgreSQL
	DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/kb} $(MAKE) test

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check templates

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml templates

bench: install static ## figures: import time, tally time, requests per second, hostile inputs, reading speed
	$(PY) bench/bench_import.py
	$(PY) bench/bench_tally.py
	bash bench/bench_pages.sh
	$(PY) bench/bench_abuse.py
	$(PY) bench/bench_front_door.py
	$(PY) bench/bench_speed.py
	$(PY) bench/bench_backup.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache

# The front door: make run, make test, make lint, make bench.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run install migrate static demo test test-postgres lint format bench clean

run: install migrate static demo ## set up and start on http://127.0.0.1:8000
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput

static: install
	$(PY) manage.py collectstatic --noinput --verbosity 0

demo: migrate
	$(PY) manage.py load_demo --accounts

test: install static ## the whole suite (SQLite, or DATABASE_URL's database)
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: ## the whole suite against the local PostgreSQL
	DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/kb} $(MAKE) test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check templates

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djhtml templates

bench: install static ## figures: import time, tally time, requests per second, hostile inputs
	$(PY) bench/bench_import.py
	$(PY) bench/bench_tally.py
	bash bench/bench_pages.sh
	$(PY) bench/bench_abuse.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache

# studyapp front door. `make run` and `make test` are all a newcomer needs.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-all coverage unit lint fmt bench migrate demo translations messages db clean help

help:
	@echo "make run     install, migrate, load the demo study, serve on http://$(HOST):$(PORT)"
	@echo "make test    install dev tools, run unit + integration + browser tests (CI)"
	@echo "make coverage  every test traced: the whole package's coverage (slower)"
	@echo "make test-all  every test on PostgreSQL too (TEST_DATABASE_URL), coverage of both"
	@echo "make lint    ruff (lint, format check) and mypy --strict on clinical/ and protocol/"
	@echo "make fmt     ruff format and fix"
	@echo "make bench   run the benchmarks in benchmarks/"
	@echo "make migrate m='message'   new Alembic revision from the models"
	@echo "make demo    reset the local demo database and reload the demo study"

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed (set PY=/path/to/python3.11)"; exit 1; }
	$(PY) -m venv $(VENV)

$(VENV)/.stamp-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

$(VENV)/.stamp-dev: requirements-dev.txt requirements.txt $(VENV)/.stamp-run
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

translations: $(VENV)/.stamp-run
	@$(BIN)/pybabel compile --statistics -d studyapp/translations

messages: $(VENV)/.stamp-run  ## extract strings and merge them into the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -o studyapp/translations/messages.pot .
	$(BIN)/pybabel update -i studyapp/translations/messages.pot -d studyapp/translations

db: $(VENV)/.stamp-run translations
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) demo-data

run: db
	@echo ""
	@echo "studyapp is serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(FLASK) run --host $(HOST) --port $(PORT)

demo: $(VENV)/.stamp-run translations
	rm -f instance/studyapp.db instance/studyapp.db-wal instance/studyapp.db-shm
	@$(MAKE) --no-print-directory db

# worksteal: a worker that runs out of tests takes the rest of the other's queue, so the
# long tests (input fuzzing, browser journeys) do not leave one core idle at the end.
# Coverage: the pure core (clinical/, protocol/) must keep 100 % branch coverage, traced on the
# unit tests alone (tests/conftest.py); `make coverage` gives the whole package's figure.
CORE_COV := --cov=studyapp/clinical --cov=studyapp/protocol --cov-branch \
	--cov-report=term-missing:skip-covered --cov-fail-under=100

test: $(VENV)/.stamp-dev translations
	$(BIN)/python -m pytest -n auto --dist worksteal $(CORE_COV) $(PYTEST_ARGS) \
		|| { status=$$?; [ $$status -eq 5 ] && echo "no tests ran"; exit $$status; }
	@$(BIN)/python -m tests.validation_map

# Every test traced: the whole package's coverage (at least 85 %, pyproject.toml) and the
# pure core's 100 %, as `make test` checks it.
coverage: $(VENV)/.stamp-dev translations
	STUDYAPP_COVERAGE=all $(BIN)/python -m pytest -n auto --dist worksteal --cov \
		--cov-report=term $(PYTEST_ARGS)
	$(BIN)/coverage report --include='studyapp/clinical/*,studyapp/protocol/*' --fail-under=100 \
		>/dev/null || { $(BIN)/coverage report --include='studyapp/clinical/*,studyapp/protocol/*'; \
		echo "studyapp/clinical/ and studyapp/protocol/ must have 100% branch coverage"; exit 1; }

# Every test on both engines with coverage measured on both (docs/testing.md).
test-all:
	@test -n "$(TEST_DATABASE_URL)" || { echo "set TEST_DATABASE_URL to a PostgreSQL database"; exit 1; }
	@STUDYAPP_EVERY_ENGINE=1 $(MAKE) --no-print-directory coverage

unit: $(VENV)/.stamp-dev translations
	$(BIN)/python -m pytest tests/unit -q

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict studyapp/clinical studyapp/protocol

fmt: $(VENV)/.stamp-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.stamp-dev
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

migrate: $(VENV)/.stamp-run
	@test -n "$(m)" || { echo "usage: make migrate m='what changes'"; exit 1; }
	$(FLASK) db revision --autogenerate -m "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov

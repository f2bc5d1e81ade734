# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup lint migrations-check benchmark clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

## Set up, migrate, load demo data and serve on the embedded default (SQLite, local cache, eager Celery).
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "API docs:  http://$(HOST):$(PORT)/api/v1/docs/   (ReDoc: /api/v1/redoc/, schema: /api/v1/schema/)"
	@echo "Admin:     http://$(HOST):$(PORT)/admin/   (admin@demo.example)"
	@echo "Health:    http://$(HOST):$(PORT)/health"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## Set up and run the whole suite: lint, migrations check, tests.
test: setup lint migrations-check
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

## Run a benchmark: make benchmark NAME=session_check ARGS="--iterations 500"
benchmark: setup
	$(PY) -m benchmarks $(NAME) $(ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache

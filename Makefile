# The two commands of the README: `make run` and `make test` (its fast tier; `make test-all` runs every tier).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Which tests `make test` runs: fast (the default: no subprocess, no real server, no sleep), all, or one
# slow tier (worker, faults, fuzz, deployment, oidc, mcp). Tiers are marked in tests/conftest.py.
TEST_TIER ?= fast
# The fast tier runs on this many processes (pytest-xdist; each has its own test database and Redis database).
# The slow tiers run in one: they start servers, workers and drills that share the machine's ports. `all` runs
# the fast tier so, then the slow tiers.
TEST_WORKERS ?= 2
TIER_fast := -m "not slow" -n $(TEST_WORKERS)
TIER_all :=
TIER_worker := -m worker
TIER_faults := -m faults
TIER_fuzz := -m fuzz
TIER_deployment := -m deployment
TIER_oidc := -m oidc
TIER_mcp := -m mcp
ifeq ($(filter $(TEST_TIER),fast all worker faults fuzz deployment oidc mcp),)
$(error TEST_TIER must be fast, all, worker, faults, fuzz, deployment, oidc or mcp, not "$(TEST_TIER)")
endif

.PHONY: run test test-all setup lint migrations-check benchmark clean

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

## Set up and run lint, the migrations check and the fast tests (TEST_TIER=all: every tier).
test: setup lint migrations-check
ifeq ($(TEST_TIER),all)
	$(PY) -m pytest $(TIER_fast) $(PYTEST_ARGS)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)
else
	$(PY) -m pytest $(TIER_$(TEST_TIER)) $(PYTEST_ARGS)
endif

## Everything `make test` runs, with every test tier (CI runs it on PostgreSQL and Redis).
test-all:
	$(MAKE) test TEST_TIER=all

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

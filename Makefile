# The two commands of the README: `make run` and `make test` (its fast tier; `make test-all` runs every tier).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
EMAIL_DIR := sent-emails
# Which tests `make test` runs: fast (the default: no subprocess, no real server, no sleep), all, or one
# slow tier (worker, faults, fuzz, deployment, oidc, mcp, frontend). Tiers are marked in tests/conftest.py.
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
TIER_frontend := -m frontend
ifeq ($(filter $(TEST_TIER),fast all worker faults fuzz deployment oidc mcp frontend),)
$(error TEST_TIER must be fast, all, worker, faults, fuzz, deployment, oidc, mcp or frontend, not "$(TEST_TIER)")
endif

.PHONY: run test test-all setup setup-runtime lint migrations-check benchmark clean

# Two stamps: serving needs requirements.txt only; the test tools (requirements-dev.txt) come with `make test`.
$(VENV)/.installed-runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup-runtime: $(VENV)/.installed-runtime

setup: $(VENV)/.installed-dev

## Set up (what serving needs), migrate, load demo data and serve on the embedded default (SQLite, local cache,
## eager Celery). Emails are files in sent-emails/, each logged in one line with its link.
run: setup-runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "API docs:  http://$(HOST):$(PORT)/api/v1/docs/   (ReDoc: /api/v1/redoc/, schema: /api/v1/schema/)"
	@echo "Admin:     http://$(HOST):$(PORT)/admin/   (admin@demo.example)"
	@echo "Health:    http://$(HOST):$(PORT)/health"
	@echo "Emails:    written to $(EMAIL_DIR)/ (one line per email below; verification and reset links in it)"
	@echo "Frontend:  FRONTEND_URL's origin (http://localhost:3000 by default) may call the API (CORS)"
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
	rm -rf $(VENV) db.sqlite3 media staticfiles sent-emails .pytest_cache .ruff_cache

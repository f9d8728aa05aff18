# Two commands work on a fresh machine with only Python and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format typecheck unit docs test-bare test-floors test-httpx2-only bench mutate clean redis-server

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py
	@echo
	$(BIN)/python examples/cli_demo.py

test: lint typecheck redis-server unit docs test-bare test-floors test-httpx2-only

lint: $(STAMP)
	$(BIN)/ruff check meetbot_sdk tests examples benchmarks docs/conf.py
	$(BIN)/ruff format --check meetbot_sdk tests examples benchmarks docs/conf.py

format: $(STAMP)
	$(BIN)/ruff check --fix meetbot_sdk tests examples benchmarks docs/conf.py
	$(BIN)/ruff format meetbot_sdk tests examples benchmarks docs/conf.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict meetbot_sdk tests/typing examples

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-branch --cov-report=term --cov-fail-under=90

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# The shared-budget tests run a real redis-server of their own (on a unix socket). Install the
# Debian package when it is missing and we can (root with apt-get, as in CI); otherwise those
# tests fail with the install line, they are never skipped.
redis-server:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null \
	      || echo "could not install redis-server; the tests that need it will fail"; \
	  else echo "redis-server missing: apt-get update && apt-get install -y redis-server"; fi; }

# The suite again in a venv with the runtime dependencies only: no optional extra installed, so
# every feature behind an extra must give its install line and `import meetbot_sdk` must work.
# With `unit` (whose venv has every extra, msgspec included) this runs the suite with and
# without the speedups extra.
BARE := .venv-bare
$(BARE)/.installed: pyproject.toml
	test -x $(BARE)/bin/python || $(PYTHON) -m venv $(BARE)
	$(BARE)/bin/python -m pip install --quiet --upgrade pip
	$(BARE)/bin/python -m pip install --quiet -e . pytest pytest-httpx hypothesis
	touch $@

test-bare: $(BARE)/.installed
	MEETBOT_TEST_BARE=1 $(BARE)/bin/python -m pytest -q -p no:cacheprovider

# The suite again against the declared minimum versions of the runtime dependencies (the
# floors in pyproject.toml; tests/test_floors.py keeps the two lists equal), so a floor that
# no longer works is caught. No extras: tests needing one skip visibly, as in test-bare.
FLOORS_VENV := .venv-floors
FLOORS := httpx==0.27.0 attrs==23.1.0 cattrs==24.1.0 tenacity==8.2.0
$(FLOORS_VENV)/.installed: pyproject.toml Makefile
	test -x $(FLOORS_VENV)/bin/python || $(PYTHON) -m venv $(FLOORS_VENV)
	$(FLOORS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLOORS_VENV)/bin/python -m pip install --quiet -e . $(FLOORS) pytest pytest-httpx hypothesis
	touch $@

test-floors: $(FLOORS_VENV)/.installed
	$(FLOORS_VENV)/bin/python -c "import httpx, attrs, cattrs, tenacity; from importlib.metadata import version as v; print('floors:', *(f'{n} {v(n)}' for n in ('httpx', 'attrs', 'cattrs', 'tenacity')))"
	MEETBOT_TEST_BARE=1 $(FLOORS_VENV)/bin/python -m pytest -q -p no:cacheprovider

# The SDK again with httpx2 and no httpx at all (installed without the declared
# dependencies): it must never need httpx when it runs on httpx2. Only the module that covers
# both libraries (clients, timeouts, errors, the fake in-process and over loopback), without
# the shared conftest: the rest of the suite builds httpx objects and mocks with
# pytest-httpx, and runs on both libraries in `unit`.
HTTPX2_VENV := .venv-httpx2
HTTPX2_TESTS := tests/test_http_libraries.py
$(HTTPX2_VENV)/.installed: pyproject.toml Makefile
	test -x $(HTTPX2_VENV)/bin/python || $(PYTHON) -m venv $(HTTPX2_VENV)
	$(HTTPX2_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HTTPX2_VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(HTTPX2_VENV)/bin/python -m pip install --quiet attrs cattrs tenacity httpx2 pytest hypothesis
	touch $@

test-httpx2-only: $(HTTPX2_VENV)/.installed
	$(HTTPX2_VENV)/bin/python -c "import importlib.util as u; assert u.find_spec('httpx') is None, 'httpx is installed'"
	MEETBOT_TEST_NO_HTTPX=1 $(HTTPX2_VENV)/bin/python -m pytest -q -p no:cacheprovider --noconftest $(HTTPX2_TESTS)


# On demand, never in `make test`: client CPU per call against raw httpx + pydantic and the
# Stainless runtime (plain and with speedups), decoding, import time, event-loop blocking, then
# the pagination and resilience figures. `python -m benchmarks targets` runs only the first four.
bench: $(STAMP) redis-server
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

# On demand, never in `make test`: mutation testing of the core modules (tests/mutate.py), each
# mutant in a fresh pytest process against its module's tests; a score per module and the
# survivors. `make mutate MUTATE="_retry _window --max 60"` picks modules and samples;
# `--rerun FILE` runs again only the survivors a previous run printed to FILE.
MUTATE ?=
mutate: $(STAMP)
	nice -n 19 $(BIN)/python -m tests.mutate $(MUTATE)

clean:
	rm -rf $(VENV) $(BARE) $(FLOORS_VENV) $(HTTPX2_VENV) docs/_build docs/_generated .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov

# Two commands work on a fresh machine with only Python and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format typecheck unit docs test-bare test-postgres bench mutate clean redis-server

# Every extra users can install, and the development tools (the `dev` dependency group; pip
# reads dependency groups from 25.1 on).
EXTRAS := pandas,polars,plot,cli,speedups,redis,httpx2,arrow,dlt
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]' --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py
	@echo
	$(BIN)/python examples/cli_demo.py

# The docs are built (with -W) once, by tests/test_docs_build.py in `unit`; `make docs` builds
# them on their own into docs/_build/html. The checks are independent, so they run two at a
# time on two cores (the longest, the suite with every extra, first; lint and mypy after the
# bare run), each one's output printed whole when it ends; any failure fails `make test`.
test: redis-server
	$(MAKE) --no-print-directory -j2 --output-sync=target unit test-bare lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check meetbot_sdk tests examples benchmarks docs/conf.py
	$(BIN)/ruff format --check meetbot_sdk tests examples benchmarks docs/conf.py

format: $(STAMP)
	$(BIN)/ruff check --fix meetbot_sdk tests examples benchmarks docs/conf.py
	$(BIN)/ruff format meetbot_sdk tests examples benchmarks docs/conf.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict meetbot_sdk tests/typing examples

# The suite with every extra installed, httpx2 among them, asking for httpx2
# (MEETBOT_HTTP_LIBRARY): every test runs on httpx2 except those pinned to httpx, the default
# (pytest-httpx mocks, @pytest.mark.httpx_backend, the tests of the choice itself).
# test-bare runs the whole suite on httpx.
# Two pytest workers (pytest-xdist, each taking the next test when it is free): many tests wait
# on subprocesses and loopback servers, and another worker's test runs meanwhile.
unit: $(STAMP)
	RUNTIME__DLTHUB_TELEMETRY=false MEETBOT_HTTP_LIBRARY=httpx2 $(BIN)/pytest -n 2 --dist worksteal --cov --cov-branch --cov-report=term --cov-fail-under=90

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

# The suite again as a `pip install meetbot-sdk` user on the oldest of everything gets it: the
# oldest Python the package claims (3.10, from pyenv when there) and the declared minimum
# versions of the runtime dependencies (the floors in pyproject.toml; tests/test_floors.py
# keeps the two lists equal), with no optional extra. So `import meetbot_sdk` must work, every
# feature behind an extra must give its install line, a floor that no longer works is caught,
# and the whole suite runs on httpx. Tests needing an extra skip visibly.
# The first Python 3.10 that runs: on PATH, else pyenv's (whose shim on PATH may refuse to run
# a version that is not selected); else the default Python, and the run says so.
PYTHON_OLDEST ?= $(or $(shell for p in python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10; do \
  "$$p" -c "" 2>/dev/null && { echo "$$p"; break; }; done),$(PYTHON))
BARE := .venv-bare
FLOORS := httpx==0.27.0 attrs==23.1.0 cattrs==24.1.0 tenacity==8.2.0
$(BARE)/.installed: pyproject.toml Makefile
	test -x $(BARE)/bin/python || $(PYTHON_OLDEST) -m venv $(BARE)
	$(BARE)/bin/python -m pip install --quiet --upgrade pip
	$(BARE)/bin/python -m pip install --quiet -e . $(FLOORS) pytest pytest-httpx hypothesis
	touch $@

test-bare: $(BARE)/.installed
	$(BARE)/bin/python -c "import sys, httpx, attrs, cattrs, tenacity; from importlib.metadata import version as v; print('bare run: python', sys.version.split()[0], *(f'{n} {v(n)}' for n in ('httpx', 'attrs', 'cattrs', 'tenacity')))"
	RUNTIME__DLTHUB_TELEMETRY=false MEETBOT_TEST_BARE=1 $(BARE)/bin/python -m pytest -q -p no:cacheprovider

# On demand, never in `make test`, and before every change to the dlt source: the warehouse
# kill test (ten kill -9 in extraction, normalisation and load, then a run to the end) on
# DuckDB and on a real PostgreSQL, which the test starts on a unix socket in a temporary
# folder (initdb, pg_ctl: Debian's postgresql package; as root it runs as the postgres user).
# dlt's postgres extra brings psycopg2.
test-postgres: $(STAMP)
	$(BIN)/python -m pip install --quiet 'dlt[postgres]'
	RUNTIME__DLTHUB_TELEMETRY=false MEETBOT_TEST_POSTGRES=1 $(BIN)/pytest -q -p no:cacheprovider -s tests/warehouse/test_kill.py


# On demand, never in `make test`: client CPU per call against raw httpx + pydantic and the
# Stainless runtime (plain and with speedups), decoding, import time, event-loop blocking, then
# the pagination and resilience figures, and the warehouse (dlt into DuckDB, to_arrow). `python -m benchmarks targets` runs only the first four.
bench: $(STAMP) redis-server
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]' --group dev --group bench
	RUNTIME__DLTHUB_TELEMETRY=false $(BIN)/python -m benchmarks

# On demand, never in `make test`: mutation testing of the core modules with cosmic-ray (the
# `mutation` dependency group), each mutant in a fresh pytest process against its module's tests
# (tests/mutation/cosmic-ray.toml), in a scratch copy of the repository; a score per module and
# the survivors. `make mutate MUTATE="_retry _window --max 60"` picks modules and samples.
MUTATE ?=
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet --group mutation
	$(BIN)/python -m tests.mutation $(MUTATE)

clean:
	rm -rf $(VENV) $(BARE) docs/_build docs/_generated .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov

# Two commands work on a fresh machine with only Python and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format typecheck unit docs test-bare bench clean redis-server

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: lint typecheck redis-server unit docs test-bare

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
BARE := .venv-bare
$(BARE)/.installed: pyproject.toml
	test -x $(BARE)/bin/python || $(PYTHON) -m venv $(BARE)
	$(BARE)/bin/python -m pip install --quiet --upgrade pip
	$(BARE)/bin/python -m pip install --quiet -e . pytest pytest-httpx hypothesis
	touch $@

test-bare: $(BARE)/.installed
	MEETBOT_TEST_BARE=1 $(BARE)/bin/python -m pytest -q -p no:cacheprovider

bench: $(STAMP) redis-server
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(BARE) docs/_build .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov

# Two commands work on a fresh machine with only Python and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format typecheck unit docs test-bare bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: lint typecheck unit docs test-bare

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

# The suite again in a venv with the runtime dependencies only: no optional extra installed, so
# every feature behind an extra must give its install line and `import meetbot_sdk` must work.
# With `unit` (whose venv has every extra, orjson included) this runs the suite with and
# without the speedups extra.
BARE := .venv-bare
$(BARE)/.installed: pyproject.toml
	test -x $(BARE)/bin/python || $(PYTHON) -m venv $(BARE)
	$(BARE)/bin/python -m pip install --quiet --upgrade pip
	$(BARE)/bin/python -m pip install --quiet -e . pytest pytest-httpx hypothesis
	touch $@

test-bare: $(BARE)/.installed
	MEETBOT_TEST_BARE=1 $(BARE)/bin/python -m pytest -q -p no:cacheprovider

# On demand, never in `make test`: client CPU per call against raw httpx + pydantic and the
# Stainless runtime (plain and with speedups), decoding, import time, event-loop blocking, then
# the pagination and resilience figures. `python -m benchmarks targets` runs only the first four.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(BARE) docs/_build .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov

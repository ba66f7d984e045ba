# Two commands for a newcomer: `make demo` (install + the guided tour on SQLite) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.argus-installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The suite on every core (pytest-xdist); a test file stays on one worker, so its module-scoped setup
# (the browser tests' demo server, a simulated world) is built once. PYTEST_ARGS="-n 0" runs it serially.
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: install demo test lint pytest test-pg bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Argus needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes argus 2>/dev/null || true  # the distribution was renamed argus-quality
	$(BIN)/python -m pip install --quiet -e ".[dev,server,ml]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/argus demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint pytest

test-pg: $(STAMP)
	ARGUS_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) argus-demo .pytest_cache .mypy_cache .ruff_cache

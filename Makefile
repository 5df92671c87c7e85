# Set-up is two commands: `make demo` and `make test`; each creates the environment when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests dbt_project/seeds -type f 2>/dev/null) dbt_project/dbt_project.yml

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: env demo test test-fast bench ui lint clean

env: $(MANIFEST)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# dagster-dbt loads the dbt manifest at import time: prepare it whenever the dbt project changes.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet --no-version-check
	touch $@

demo: env
	$(BIN)/python -m demo

test: env
	$(BIN)/python -m pytest

test-fast: env
	$(BIN)/python -m pytest -m "not slow"

bench: env
	$(BIN)/python -m bench

ui: env
	$(BIN)/icp ui

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs

# Style, the import contract (pyproject's [tool.importlinter]) and a load check of the code location.
lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

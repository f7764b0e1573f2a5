# Two commands set everything up: `make run` and `make test`.
# `make run` installs only what the workbench needs to run; `make test` adds the test and lint
# tools (the `test` extra). Each install is redone only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint install install-run bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PIP) -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

# what running needs
install-run: $(RUN_STAMP)

# for development: running, tests and linters
install: $(TEST_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/workbench open .

test: $(TEST_STAMP) lint
	$(PY) -m pytest -q

# style, the layers (core ↛ tui/cli, widgets ↛ core) and the core's types; part of `make test`
lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check workbench tests bench
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

bench: $(TEST_STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info

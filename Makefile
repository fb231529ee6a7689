# Two commands for a fresh machine: `make reports` and `make test`.
# The environment is built from the committed uv.lock; nothing is fetched at run time.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv: the one on PATH, else a private copy bootstrapped from the package registry.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
STAMP := $(VENV)/.synced

.PHONY: reports test lab bench clean env

env: $(STAMP)

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Re-sync only when the lock or the project metadata changed.
$(STAMP): uv.lock pyproject.toml | $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	@touch $@

reports: $(STAMP)
	$(BIN)/research validate

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lab: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name research --display-name "research (.venv)" >/dev/null
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

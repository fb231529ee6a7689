# Two commands for a fresh machine: `make reports` and `make test`.
# The environment is built from the committed uv.lock; nothing is fetched at run time.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv: the one on PATH, else a private copy bootstrapped from the package registry.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
STAMP := $(VENV)/.synced

.PHONY: reports test lab bench bench-large clean env

env: $(STAMP)

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Re-sync only when the lock or the project metadata changed.
$(STAMP): uv.lock pyproject.toml Makefile | $(UV)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	$(BIN)/python -m ipykernel install --sys-prefix --name research --display-name "research (.venv)" >/dev/null
	@touch $@

reports: $(STAMP)
	$(BIN)/research build

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# Offline: the extension manager does not query PyPI. New notebooks open on the project's
# kernel (registered in .venv by the env step), not on whatever `python3` the machine has.
# Root (containers) needs --allow-root.
LAB_ARGS := --notebook-dir=. --LabApp.extension_manager=readonly \
	--MultiKernelManager.default_kernel_name=research
lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_ARGS) $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_say_do.py --positions 1000 --events 10000
	$(BIN)/python benchmarks/bench_say_do.py --positions 10000 --events 100000
	$(BIN)/python benchmarks/bench_say_do.py --positions 100000 --events 1000000
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_build.py --scale 100
	$(BIN)/python benchmarks/bench_events.py --rows 10000000

# The largest sizes of the issue: the say-do at 1M x 10M (minutes and several GB for the
# DuckDB baseline), and event data at 100M rows (about 40 GB of export files written to a
# temporary directory, BENCH_TMP to choose where; an hour or more on 2 cores).
BENCH_TMP ?= $(or $(TMPDIR),/tmp)
bench-large: $(STAMP)
	$(BIN)/python benchmarks/bench_say_do.py --positions 1000000 --events 10000000 --repeat 1 --no-evidence
	TMPDIR=$(BENCH_TMP) $(BIN)/python benchmarks/bench_events.py --rows 100000000 --repeat 1

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# kpi_toolkit — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kpi-installed
MONTH ?=
WORKERS ?=

.PHONY: setup pyc demo test lint lab bench clean help

help:
	@echo "make demo   set up, generate demo data, run the monthly reports for every demo client"
	@echo "make test   set up, run every test"
	@echo "make lint   ruff"
	@echo "make lab    JupyterLab on notebooks/ with the project's kernel"
	@echo "make bench  benchmarks (ratios against anchors measured in the same run)"

# The venv is (re)built when pyproject.toml or uv.lock change. uv is installed into the venv
# with pip when the machine lacks it; `--inexact` keeps uv itself in the venv. Bytecode is compiled
# at install time: where PYTHONDONTWRITEBYTECODE is set (as on CI here), every report kernel would
# otherwise recompile scipy, pandas and statsmodels from source (~5 s per kernel).
$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@command -v uv >/dev/null 2>&1 && UV=uv || { test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv; UV=$(BIN)/uv; }; \
	  UV_PROJECT_ENVIRONMENT=$(VENV) $$UV sync --frozen --inexact --extra dev --compile-bytecode --python $(BIN)/python -q
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (kpi_toolkit)" >/dev/null
	@touch $(STAMP)

# our own package's bytecode (cheap, incremental; __pycache__ is git-ignored)
pyc: $(STAMP)
	@$(BIN)/python -m compileall -q kpi_toolkit benchmarks >/dev/null

setup: $(STAMP)

demo: pyc
	$(BIN)/kpi demo
	$(BIN)/kpi run --all $(if $(MONTH),--month $(MONTH),) $(if $(WORKERS),--workers $(WORKERS),)

test: pyc
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check kpi_toolkit tests benchmarks

# Jupyter refuses to start as root unless told; a container often runs as root, so it is told there.
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: pyc
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) outputs/*/

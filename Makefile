# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader calls `alembic` by name: the venv's tools must come first on PATH.
export PATH := $(BIN):$(PATH)
INSTALLED := $(VENV)/.installed
ASSIGNMENTS := $(notdir $(wildcard solutions/[0-9]*))
JUPYTER_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup jars run test lab release grade doctor bench clean

help:
	@echo "make run      set up, then run every lesson headless and print a table"
	@echo "make test     set up, then run the test suite (what CI runs)"
	@echo "make lab      open JupyterLab with the nbgrader extensions"
	@echo "make release  regenerate notebooks/ (student versions) from solutions/"
	@echo "make grade DIR=folder  autograde a folder of submissions into grades.csv"
	@echo "make doctor   check Java, Spark, Delta, MLflow and ports"
	@echo "make bench    measure the scoring paths side by side (bench/)"

# The venv, with every pinned dependency (pins: pyproject.toml). Redone when the pins change.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version)). Set PYTHON=python3.11."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

# Spark's Delta jars into ~/.cache/mldeploy/ivy and the data lake into datasets/lake (both idempotent).
setup: $(INSTALLED)
	$(BIN)/python -m mldeploy prepare

jars: $(INSTALLED)
	$(BIN)/python -m mldeploy jars

run: setup
	$(BIN)/python -m mldeploy run

test: setup
	$(BIN)/python -m pytest

lab: setup
	mkdir -p exchange
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(JUPYTER_ROOT_FLAG)

release: $(INSTALLED)
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force || exit 1; done

grade: $(INSTALLED)
	@test -n "$(DIR)" || { echo "Usage: make grade DIR=path/to/submissions (laid out as STUDENT/ASSIGNMENT/*.ipynb)"; exit 2; }
	$(BIN)/python -m mldeploy grade "$(DIR)"

doctor: $(INSTALLED)
	$(BIN)/python -m mldeploy doctor

bench: setup
	$(BIN)/python bench/scoring_paths.py

clean:
	rm -rf build gradebook.db autograded feedback submitted grades.csv

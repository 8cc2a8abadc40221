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

.PHONY: help setup jars run test lab release grade progress doctor bench lock clean

help:
	@echo "make run      set up, then run every lesson headless, two at a time, and print a table"
	@echo "             [HIDDEN=1: with the hidden tests] [JOBS=1: one at a time, each timed as a learner runs it]"
	@echo "make test     set up, then run the test suite (what CI runs)"
	@echo "make lab      open JupyterLab with the nbgrader extensions"
	@echo "make release  regenerate notebooks/ (student versions) from solutions/"
	@echo "make grade DIR=folder  autograde a folder of submissions, each in a sandbox: grades.csv, feedback/, objectives"
	@echo "           [UNSAFE=1]  where no sandbox can be made (macOS): run submissions with your rights"
	@echo "make progress [LESSONS=\"04_streaming 08_kafka_streaming\"]  grade your own notebooks/: score per objective"
	@echo "make doctor   check Java, Spark, Delta, MLflow and ports"
	@echo "make bench    measure the course's speed claims side by side (bench/)"
	@echo "make lock     rebuild constraints.txt (every installed version) from pyproject.toml"

# The venv: pyproject.toml's pins, every other distribution at constraints.txt's version. Redone when
# either file changes. Before making the venv, utils/check_python.py says what to install if $(PYTHON)
# cannot (wrong version, or Debian's pythonX.Y-venv missing).
# uv installs the same versions as pip from the same constraints, about three times faster (a fresh
# machine: 52 s instead of 142 s), and compiles the bytecode as pip does. uv does not read pip's own
# settings (pip.conf's index-url, for a company mirror): where it cannot install, pip does.
PIP_QUIET := --quiet --disable-pip-version-check
UV_VERSION := 0.13.9
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || { $(PYTHON) utils/check_python.py && $(PYTHON) -m venv $(VENV); }
	{ $(BIN)/python -m pip install $(PIP_QUIET) uv==$(UV_VERSION) \
	  && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e ".[test]"; } \
	|| { echo "uv could not install the packages: pip installs them instead (a few minutes)."; \
	     $(BIN)/python -m pip install $(PIP_QUIET) -c constraints.txt -e ".[test]"; }
	touch $@

# Spark's Delta and Kafka connector jars into ~/.cache/mldeploy/ivy, the Kafka broker's jars into
# ~/.cache/mldeploy/kafka_2.13-<version>, and the data lake into datasets/lake (all idempotent).
setup: $(INSTALLED)
	$(BIN)/python -m mldeploy prepare

jars: $(INSTALLED)
	$(BIN)/python -m mldeploy jars

# Every lesson as a learner runs it, two at a time on two cores or more; HIDDEN=1 adds the hidden tests
# (grading's time); JOBS=1 runs one at a time (the lessons' headers give those times).
run: setup
	$(BIN)/python -m mldeploy run $(if $(HIDDEN),--hidden-tests,) $(if $(JOBS),--jobs $(JOBS),)

test: setup
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(JUPYTER_ROOT_FLAG)

release: $(INSTALLED)
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force || exit 1; done

grade: $(INSTALLED)
	@test -n "$(DIR)" || { echo "Usage: make grade DIR=path/to/submissions (laid out as STUDENT/ASSIGNMENT/*.ipynb)"; exit 2; }
	$(BIN)/python -m mldeploy grade "$(DIR)" $(if $(UNSAFE),--unsafe,)

# Your own notebooks/, graded as an instructor would (hidden tests included): progress/progress.txt and .png.
progress: setup
	$(BIN)/python -m mldeploy progress $(LESSONS)

doctor: $(INSTALLED)
	$(BIN)/python -m mldeploy doctor

bench: setup
	$(BIN)/python bench/scoring_paths.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/stream.py
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/jvm_start.py

# constraints.txt from scratch: a fresh venv in a temporary folder gets pyproject.toml's requirements
# alone (no constraints), and its `pip freeze` (less pip and mldeploy itself) becomes the lock. The
# setuptools that venv bundles (on Python < 3.12) goes first, so that setuptools, which nbgrader
# imports, is resolved and locked like any other dependency.
lock:
	@$(PYTHON) utils/check_python.py
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; py="$$tmp/venv/bin/python"; \
	echo "Resolving pyproject.toml's requirements in a fresh venv ($$tmp)..."; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$py" -m pip uninstall $(PIP_QUIET) --yes setuptools 2>/dev/null || true; \
	"$$py" -m pip install $(PIP_QUIET) -e ".[test]"; \
	"$$py" -m pip check --disable-pip-version-check; \
	{ echo "# Every distribution the course installs, transitive ones included, at the version tested."; \
	  echo "# Made by \`make lock\`: a fresh venv ($$("$$py" -c 'import platform; print("Python", platform.python_version(), "on", platform.system(), platform.machine())')) got"; \
	  echo "# \`pip install -e \".[test]\"\` from pyproject.toml alone; this is its \`pip freeze --all\` less pip and mldeploy."; \
	  echo "# \`make\` installs with it (\`pip install -c constraints.txt -e \".[test]\"\`), and so does environment.yml."; \
	  echo "# Do not edit: change pyproject.toml, then regenerate with: make lock"; \
	  "$$py" -m pip freeze --all --exclude-editable --exclude pip --disable-pip-version-check; } > "$$tmp/constraints.txt"; \
	mv "$$tmp/constraints.txt" constraints.txt; \
	echo "constraints.txt: $$(grep -c '==' constraints.txt) distributions pinned."

clean:
	rm -rf build gradebook.db autograded feedback submitted grades.csv objectives.csv objectives_summary.csv progress

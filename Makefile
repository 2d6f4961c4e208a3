# The two commands that matter (see README): `make preview` and `make test`.
# Each creates .venv and installs the pinned dependencies from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: preview test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $(STAMP)

preview: $(STAMP)
	$(VENV)/bin/ztc preview --stack dev

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2

bench: $(STAMP)
	$(VENV)/bin/ztc bench preview

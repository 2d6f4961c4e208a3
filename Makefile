# The two commands that matter (see README): `make preview` and `make test`.
# Each creates .venv and installs the pinned dependencies from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# Azurite, the Azure Storage emulator the ledger's Azure Blob store is tested against (npm).
AZURITE_VERSION := 3.37.0
AZURITE := .tools/node_modules/.bin/azurite-blob

.PHONY: preview test lint bench bench-fleet

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[all,test,ledger-azure,ledger-gcp]"
	touch $(STAMP)

$(AZURITE):
	npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)

preview: $(STAMP)
	$(VENV)/bin/ztc preview --stack dev

test: $(STAMP) $(AZURITE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n 2

bench: $(STAMP)
	$(VENV)/bin/ztc bench preview

# A 30-cluster fleet split into 6 environments: one process, then one process per CPU.
bench-fleet: $(STAMP)
	$(VENV)/bin/ztc bench preview --fleet --clusters 30 --stacks 6

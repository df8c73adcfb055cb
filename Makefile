# `make run` and `make test` are the two commands a new clone needs; both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test prerequisites lint unit fuzz bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/checkout-engine run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

# PostgreSQL and Chromium for the suite: started or installed here when this machine can, else one clear line.
prerequisites:
	scripts/test-prerequisites

test: prerequisites lint
	$(BIN)/pytest -n 2 --dist loadfile

unit: install
	$(BIN)/pytest tests/unit

# Schemathesis against the real stack, by hand, with the `long` profile (a quarter of an hour or so; `make test` runs
# the bounded `ci` one). Needs PostgreSQL as the suite does (`make prerequisites`).
fuzz: install
	CHECKOUT_FUZZ_PROFILE=long $(BIN)/pytest tests/fuzz

# Benchmarks, by hand (never part of `make test`): tables on screen, JSON in bench/results/, the chart in docs/.
# The load comes from wrk (Debian's package), installed here when missing.
# RECONCILE_ORDERS=100000 for the full reconciliation figure (about a quarter of an hour here).
RECONCILE_ORDERS ?= 20000
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python bench/checkout_rate.py --levels 1 16 64
	$(BIN)/python bench/webhook_ingest_rate.py --levels 1 16 64
	$(BIN)/python bench/hot_sku.py --buyers 1000 --units 100
	$(BIN)/python bench/reconcile_rate.py --orders $(RECONCILE_ORDERS)
	$(BIN)/python bench/soak.py --minutes 10
	$(BIN)/python bench/chart.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Two commands on a fresh machine: `make run` and `make test`. Both build on `make install`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-postgres bench demo migrate lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Set up and start the bot (web, and the worker in a child process). Without Slack credentials it says
# which are missing before it creates or migrates anything.
run: install
	$(PY) -m bot run --migrate

# A whole case against the local Slack stand-in, in under a minute, no Slack needed.
# `make demo KEEP=1` keeps its database (casekeeper-demo.sqlite3) to try report and export on.
demo: install
	$(PY) -m bot demo $(if $(KEEP),--keep)

migrate: install
	$(PY) -m bot migrate

lint: install
	$(VENV)/bin/ruff check .

# The whole suite on SQLite and, side by side, on a throwaway PostgreSQL 15 when one can be
# started (scripts/with-postgres starts it; it says so and skips when it can't).
test: install lint
	PY=$(PY) scripts/test-both

test-sqlite: install
	$(PY) -m pytest -q

# Its own cache folder: the two runs may go at once (scripts/test-both).
test-postgres: install
	scripts/with-postgres $(PY) -m pytest -q -p no:cacheprovider

# Benchmarks (bench/): every figure against a baseline measured in the same run, written to
# bench/RESULTS.md. About 10 minutes on 2 cores. ARGS='--only ack,memory' or ARGS=--quick.
bench: install
	WITHOUT_POSTGRES_RUN_ANYWAY=1 scripts/with-postgres $(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

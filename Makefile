# Two commands on a fresh machine: `make run` and `make test`. Both build on `make install`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Exact versions with their hashes, from pyproject.toml's ranges by `make lock`: every checkout
# installs the same packages, and pip refuses a file whose hash doesn't match.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: install lock run test test-sqlite test-postgres bench demo migrate lint clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing a dependency in pyproject.toml: `make lock`, then `make test`, and commit
# pyproject.toml with both lock files. (requirements.lock alone is what a production box needs.)
lock: install
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file=$(LOCK) pyproject.toml
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra=dev --output-file=$(DEV_LOCK) pyproject.toml

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

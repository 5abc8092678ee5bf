PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test bench lint fuzz

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'

run:
	$(BIN)/python -m symbols serve

test:
	$(BIN)/python -m pytest -q

bench:
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench
	$(BIN)/python -m bench.http_resolve
	$(BIN)/python -m bench.capture
	$(BIN)/python -m bench.rules
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.hostile

# Schemathesis against a live service, 200 examples per operation, SQLite then PostgreSQL.
fuzz:
	$(BIN)/python -m tests.api.fuzz --max-examples $${FUZZ_EXAMPLES:-200}

lint:
	$(BIN)/ruff check symbols tests bench
	$(BIN)/lint-imports

# Every target bootstraps the virtualenv it needs from pyproject.toml.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Check the embedded kata monorepo in its Postgres/Drizzle state: findings are the expected outcome.
demo: $(STAMP)
	@echo '$$ conformance check fixtures/kata-before'
	@$(BIN)/conformance check fixtures/kata-before; test $$? -eq 1
	@echo
	@echo '$$ conformance check fixtures/kata-after'
	@$(BIN)/conformance check fixtures/kata-after

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint test

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) dist build

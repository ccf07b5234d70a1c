# Every target bootstraps the virtualenv it needs from pyproject.toml.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Bytecode now, as pip compiles a wheel's: the first runs of an editable install would
	# otherwise pay for compiling (or, with PYTHONDONTWRITEBYTECODE, every run would).
	$(BIN)/python -m compileall -q conformance
	touch $(STAMP)

# The embedded kata monorepo in its Postgres/Drizzle state: check (findings expected), preview the
# fix as a diff, apply it to a committed temporary copy, and check again (green).
demo: $(STAMP)
	@echo '$$ conformance check fixtures/kata-before'
	@$(BIN)/conformance check fixtures/kata-before; test $$? -eq 1
	@echo
	@echo '$$ conformance fix --dry-run fixtures/kata-before'
	@$(BIN)/conformance fix --dry-run fixtures/kata-before; test $$? -eq 1
	@echo
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp -r fixtures/kata-before "$$tmp/kata" && \
	git -C "$$tmp/kata" init -q && git -C "$$tmp/kata" add -A && \
	git -C "$$tmp/kata" -c user.name=demo -c user.email=demo@example.com commit -qm before && \
	echo "$$ conformance fix $$tmp/kata" && $(BIN)/conformance fix "$$tmp/kata" && \
	echo && echo "$$ conformance check $$tmp/kata" && $(BIN)/conformance check "$$tmp/kata"

# Two workers: the machine has two cores, and the typecheck tests spend their time in tsc.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint test

# The scaling table of issue 12 (10k-500k tracked files vs repolinter, then the TypeScript, --rev,
# start-up and changed-since benchmarks) in bench/RESULTS.md; exit 1 when a target is missed.
bench: $(STAMP)
	$(BIN)/python bench/scale.py --conformance-cmd $(BIN)/conformance --markdown bench/RESULTS.md --check-targets

clean:
	rm -rf $(VENV) dist build

# The fuzz suite of the tests with a large budget (FUZZ_EXAMPLES examples per property, random
# seeds): the figures in the README come from `make fuzz FUZZ_EXAMPLES=…`.
FUZZ_EXAMPLES ?= 3400
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -n 3 -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics

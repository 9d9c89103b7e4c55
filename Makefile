# ccp-assets — `make run` starts the Dagster UI on demo data (or your data); `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: one per core (2 here); a test file stays on one worker so its module fixtures run once, and
# tests/tiers.py orders the files heaviest first (xdist's own reorder, by test count, put them last).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
# pytest caches its assertion-rewritten modules as .pyc only when bytecode may be written: with
# PYTHONDONTWRITEBYTECODE set, every worker rewrites ~470 modules again (about 5 s of collection each).
unexport PYTHONDONTWRITEBYTECODE
export DAGSTER_HOME ?= $(abspath dagster_home)

.PHONY: run test test-fast test-profile install system-deps oracle lint schemas bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Debian packages the tests need (chromium, strace, postgresql, git): installed only when missing.
system-deps:
	./scripts/system-deps.sh

# The outside oracle: ccusage 20.0.24 from the npm registry, beside the repo's venv (its 20.0.26 lacks the
# linux-x64 build). tests/sources/test_ccusage_cases.py runs it on every ported case.
CCUSAGE := .tools/ccusage/node_modules/.bin/ccusage
oracle: $(CCUSAGE)

$(CCUSAGE):
	command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix .tools/ccusage ccusage@20.0.24 \
	  || echo "npm is missing: the ccusage oracle tests will be skipped"

run: install
	./scripts/run.sh

test: install system-deps oracle
	$(BIN)/ruff check ccp_assets tests bench
	$(BIN)/pytest $(PYTEST_XDIST)

# The tier to run often: everything not marked `slow` (no whole-graph run, browser, PostgreSQL or BDD scenario;
# tests/tiers.py marks them at collection).
test-fast: install system-deps oracle
	$(BIN)/ruff check ccp_assets tests bench
	$(BIN)/pytest $(PYTEST_XDIST) -m "not slow"

# Where the suite waits instead of computing: wall and CPU per test (tests/timing.py) into test-profile/, then
# the files and tests that wait most. `make test-profile PROFILE_ARGS="-m slow tests/browser"` for a part.
PROFILE_ARGS ?= -m slow
test-profile: install system-deps oracle
	rm -rf test-profile && mkdir -p test-profile
	CCP_TEST_PROFILE=$(abspath test-profile)/tests.jsonl $(BIN)/pytest $(PYTEST_XDIST) $(PROFILE_ARGS); \
	  rc=$$?; $(BIN)/python -m tests.timing test-profile/tests.jsonl.*; exit $$rc

schemas: install
	$(BIN)/ccp schemas write

lint: install
	$(BIN)/ruff check ccp_assets tests bench

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .tools

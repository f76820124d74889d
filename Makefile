PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8080

SEED_SESSIONS ?= 1000000
SEED_USERS ?= 10000
BENCH_ARGS ?=
FUZZ_EXAMPLES ?= 1000

.PHONY: serve test lint typecheck unit clean bench fuzz screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/sessiond serve --host $(HOST) --port $(PORT)

# Needs PostgreSQL (127.0.0.1:5432, user postgres), wrk, Node and npm; Redis if it is there.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench_http.py --seed-sessions $(SEED_SESSIONS) --seed-users $(SEED_USERS) \
		--command "make bench SEED_SESSIONS=$(SEED_SESSIONS) SEED_USERS=$(SEED_USERS) $(BENCH_ARGS)" \
		$(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

# The OpenAPI conformance tests (run in `make test` with a few cases each) with many more cases per
# operation, freshly random each run. Set SESSIOND_TEST_DATABASE_URL to fuzz PostgreSQL too.
fuzz: $(STAMP)
	SESSIOND_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:cacheprovider \
		tests/api/test_openapi_conformance.py $(PYTEST_ARGS)

# Refreshes docs/screenshots/ from the browser test (needs Debian's chromium).
screenshots: $(STAMP)
	SESSIOND_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -p no:cacheprovider \
		tests/web/test_browser.py -k "sqlite and (signs_in or ends_all_matching)"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

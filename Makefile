# The two commands of the README: `make run` (baseline batch, prints its table) and `make test`
# (ruff, mypy, the import-linter architecture contracts, pytest).
# Both build .venv on first use (scripts/bootstrap.sh finds a Python >= 3.12 by itself).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

run: $(STAMP)
	$(BIN)/summit run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

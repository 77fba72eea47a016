# descend: `make demo` runs the tutorials end to end, `make test` runs lint, types and tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(PY) -m descend.demo --out out

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	MPLBACKEND=Agg $(VENV)/bin/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(PY) -m benchmarks --json benchmarks/results/latest.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

# descend: `make demo` runs the tutorials end to end, `make test` runs lint, types and tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-only bench-quick docs docs-serve wheel-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[all,dev,docs]'
	touch $(DOCS_STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(PY) -m descend.demo --out out

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	MPLBACKEND=Agg $(VENV)/bin/pytest

test: lint typecheck unit

# PyTorch (CPU), pyfixest, DuckDB and dask-ml are peers in the benchmarks only; torch==2.13.0 exactly (a local CPU
# build).
bench: $(STAMP)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0 || \
		echo "PyTorch unavailable: its column will be empty"
	$(PY) -c "import pyfixest" 2>/dev/null || $(PY) -m pip install --quiet pyfixest || \
		echo "pyfixest unavailable: its row in the analyst's table will say so"
	$(PY) -c "import duckdb" 2>/dev/null || $(PY) -m pip install --quiet duckdb || \
		echo "DuckDB unavailable: the big-file rows will name it missing"
	$(PY) -c "import dask_ml" 2>/dev/null || $(PY) -m pip install --quiet dask-ml || \
		echo "dask-ml unavailable: the Dask row will name it missing"
	MPLBACKEND=Agg $(PY) -m benchmarks --json benchmarks/results/latest.json --md benchmarks/results/latest.md

# One module again, its figures merged into latest.json and the summary recomputed:
# make bench-only ONLY=grid (or bigfile, scale, startup, ...)
bench-only: $(STAMP)
	MPLBACKEND=Agg $(PY) -m benchmarks --only $(ONLY) --merge --json benchmarks/results/latest.json --md benchmarks/results/latest.md

bench-quick: $(STAMP)
	MPLBACKEND=Agg $(PY) -m benchmarks --quick --json benchmarks/results/quick.json --md benchmarks/results/quick.md

# The documentation site (mkdocs-material + mkdocstrings): warnings are errors.
docs: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

docs-serve: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs serve

# Build the wheel, install it core-only in a clean venv, run the light commands from there.
wheel-check: $(STAMP)
	PYTHON=$(PY) .ci/wheel-check

clean:
	rm -rf $(VENV) out site .pytest_cache .mypy_cache .ruff_cache

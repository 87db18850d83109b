# labelwell: `make demo` starts the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_FLAGS ?= --disable-pip-version-check

.PHONY: demo test install install-test lint bench clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install $(PIP_FLAGS) -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install $(PIP_FLAGS) -q -c constraints.txt -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(BIN)/labelwell demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff on everything, mypy on src/ (--strict on the library packages; see [tool.mypy]).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# Re-resolve every dependency (runtime and all extras) in a scratch venv and rewrite constraints.txt.
# Run it deliberately, review the diff, then run the suite.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install $(PIP_FLAGS) -q --upgrade pip
	.venv-constraints/bin/pip install $(PIP_FLAGS) -q -e ".[test,embed,dask,torch,rlhf]"
	{ echo "# Exact versions CI and 'make' install with (pip install -c constraints.txt)."; \
	  echo "# Update deliberately with 'make constraints', review the diff, and run the suite."; \
	  .venv-constraints/bin/pip freeze --exclude-editable | sed 's/+cpu$$//' | sort -f; } > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

# Two commands do all the set-up on a fresh machine:
#   make demo   - create .venv, install edi837 (runtime dependencies only), screen the
#                 bundled sample batch
#   make test   - create .venv, install edi837 with dev extras, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime

.PHONY: demo test quick lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME_STAMP)

# The demo needs the runtime only (no pyspark, pyarrow, pytest): a small venv.
$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/edi837 check --policy bcbsma \
	    --authorizations fixtures/sample/authorizations.csv \
	    --providers fixtures/sample/providers.csv \
	    --format text fixtures/sample/claims; \
	status=$$?; echo "exit status $$status (0 all accepted, 1 some rejected, 2 unreadable)"; \
	test $$status -le 1

# Bytecode is cached for the suite even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): the tests start edi837 in hundreds of child processes, and
# each would compile every module again (pytest's collection alone takes 4x longer).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

test: $(STAMP)
	$(BIN)/ruff check edi837 tests bench
	$(PYTEST)

# The quick suite for the edit-test loop: everything not marked slow (CI runs all).
quick: $(STAMP)
	$(PYTEST) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check edi837 tests bench
	$(BIN)/ruff format --check edi837 tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_reader.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

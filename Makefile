# ipflow: two commands.
#   make book   build the whole book (default preset: paper) into _build/html
#   make test   run the test suite (library tests + the book built in the quick preset)
# Both create .venv from the pinned requirements.txt on first use (needs python3.11 and make).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ipflow-installed
PRESET ?= paper

.PHONY: book test lint benchmarks clean-book help

help:
	@echo "make book      build the book (IPFLOW_PRESET=$(PRESET)) into _build/html"
	@echo "make test      run the test suite (includes a quick-preset book build into _build/quick)"
	@echo "make lint      ruff check"
	@echo "make benchmarks  speed and memory ratios (not part of the tests)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { echo ">>> creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo ">>> installing pinned requirements into $(VENV) (first time: a few minutes, ~4 GB)"
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --progress-bar on -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

book: $(STAMP)
	@echo ">>> computing the experiments of every chapter (preset: $(PRESET)); results are cached"
	IPFLOW_PRESET=$(PRESET) $(BIN)/ipflow run all
	@echo ">>> building the book (every notebook is executed; cached results load in seconds)"
	IPFLOW_PRESET=$(PRESET) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo ">>> open _build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

benchmarks: $(STAMP)
	$(BIN)/python -m benchmarks

clean-book:
	rm -rf _build

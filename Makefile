# ipflow: two commands.
#   make book   build the whole book (default preset: paper) into _build/html
#   make test   run the test suite (library tests + the book built in the quick preset + the site check)
#   make book-student   the same book with every solution hidden, into _build/student/_build/html
#   make site-check     open every page of the quick book (built by make test) in headless Chromium
# Both create .venv from the pinned requirements.txt on first use (needs python3.11 and make).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ipflow-installed
PRESET ?= paper

.PHONY: book book-student site-check test lint benchmarks clean-book help

help:
	@echo "make book      build the book (IPFLOW_PRESET=$(PRESET)) into _build/html"
	@echo "make test      run the test suite (includes a quick-preset book build into _build/quick)"
	@echo "make book-student  the book with solutions hidden, into _build/student"
	@echo "make site-check    the quick book opened page by page in headless Chromium"
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
	@echo ">>> computing the experiments of every chapter (preset: $(PRESET)), one process each; results are cached"
	@for e in $$($(BIN)/ipflow list); do IPFLOW_PRESET=$(PRESET) $(BIN)/ipflow run $$e || exit $$?; done
	@echo ">>> the quick preset too: the instructor page reports its measured runtimes (cached after the first time)"
	$(BIN)/ipflow run all --preset quick
	@echo ">>> building the book (every notebook is executed; cached results load in seconds)"
	IPFLOW_PRESET=$(PRESET) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo ">>> open _build/html/index.html"

book-student: $(STAMP)
	IPFLOW_PRESET=$(PRESET) $(BIN)/ipflow run all
	IPFLOW_STUDENT=1 IPFLOW_PRESET=$(PRESET) $(BIN)/jupyter-book build . --path-output _build/student -W -n --keep-going
	@echo ">>> open _build/student/_build/html/index.html"

site-check: $(STAMP)
	IPFLOW_REUSE_BOOK=1 $(BIN)/python -m pytest tests/test_site.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

benchmarks: $(STAMP)
	$(BIN)/python -m benchmarks

clean-book:
	rm -rf _build

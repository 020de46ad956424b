# Opspor: `make demo` and `make test` are the two commands a fresh clone needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
DEMO_PATIENTS ?= 3000
# The larger synthetic region (Parquet only) behind the quality dashboard's region-wide figures.
DEMO_QUALITY_PATIENTS ?= 100000
VENV := .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12 or newer; prefer 3.12, which requirements.lock was resolved for.
PYTHON ?= $(shell for p in python3.12 /root/.pyenv/versions/3.12*/bin/python3 python3.13 /root/.pyenv/versions/3.13*/bin/python3 python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
INSTALLED := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.spark
# PySpark starts the Java this finds: $JAVA_HOME's when set, as Spark does, else the one on PATH.
JAVA := $(if $(JAVA_HOME),$(JAVA_HOME)/bin/java,java)
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-m 'not browser'"`; empty runs everything.
PYTEST_ARGS ?=
# The suite runs in one pytest-xdist worker a core (`PYTEST_WORKERS=0` runs it in one process,
# e.g. for a debugger). Each worker has a test database of its own (test_<name>_gw0, ...).
# worksteal gives each worker one contiguous half of the suite, so a module's tests mostly
# stay together and its module-scoped fixtures (a seeded region) are built once, and a worker
# that is done takes over the rest of the other's queue. `--dist loadscope` left a worker
# alone for minutes at the end: it hands out the modules with the fewest tests last, and those
# are the slowest (the migration tests, the Spark parity, the API fuzzing).
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal
NODE_STAMP := node_modules/.installed
STATIC_STAMP := build/.static
VENDOR := build/static/vendor

.PHONY: help
help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(INSTALLED): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

.PHONY: install
install: $(INSTALLED)  ## Create the virtualenv and install the pinned dependencies

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Also after a change to this recipe (a file it now copies or writes). With the source maps
# that the minified files name: production's collectstatic (hashed names,
# tests/test_deployment.py) refuses a file that names one missing.
$(STATIC_STAMP): Makefile $(NODE_STAMP) $(INSTALLED) $(shell find src/opspor -name '*.po' 2>/dev/null)
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/dkfds $(VENDOR)/htmx $(VENDOR)/vega
	cp -r node_modules/dkfds/dist/css node_modules/dkfds/dist/js node_modules/dkfds/dist/fonts node_modules/dkfds/dist/img $(VENDOR)/dkfds/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js node_modules/vega-embed/build/vega-embed.min.js $(VENDOR)/vega/
	cp node_modules/vega-lite/build/vega-lite.min.js.map node_modules/vega-embed/build/vega-embed.min.js.map $(VENDOR)/vega/
	@# vega-embed and its tooltip add their style sheets as inline <style> elements, which the
	@# Content-Security-Policy refuses (settings.py): the same rules as static files instead.
	sed -n '/^var embedStyle = `/,/^`;/{s/^var embedStyle = `//;/^`;/d;p}' node_modules/vega-embed/build/embed.js > $(VENDOR)/vega/vega-embed.css
	sed -n '/^var defaultStyle = `/,/^`;/{s/^var defaultStyle = `//;/^`;/d;p}' node_modules/vega-tooltip/build/index.js > $(VENDOR)/vega/vega-tooltip.css
	test -s $(VENDOR)/vega/vega-embed.css && test -s $(VENDOR)/vega/vega-tooltip.css
	$(BIN)/opspor compilemessages --verbosity 0 --ignore=.venv --ignore=node_modules --ignore=build --ignore=var
	$(BIN)/opspor collectstatic --noinput --verbosity 0
	touch $@

.PHONY: static
static: $(STATIC_STAMP)  ## Install the front-end packages (npm ci) and build the static files

.PHONY: browser
browser:  ## Make sure Debian's chromium is installed for the browser tests
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# PySpark and py4j come from their own lock, so `make demo` never downloads Spark; the lock is
# resolved against requirements.lock and so pins nothing that differs from it.
$(SPARK_STAMP): $(INSTALLED) requirements-spark.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-spark.lock
	touch $@

# Spark 4 runs on Java 17 or newer. The major version is the first number of `java -version`
# ("1.8.0" reads as 1, so Java 8 counts as too old).
.PHONY: spark
spark: $(SPARK_STAMP)  ## Install PySpark and make sure Java 17 or newer is present, for the Spark tests
	@major() { "$(JAVA)" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'; }; \
	found=$$(major); \
	if [ "$${found:-0}" -lt 17 ]; then \
		test -z "$$JAVA_HOME" || { echo "JAVA_HOME=$$JAVA_HOME has Java $${found:-?}; Spark needs 17 or newer"; exit 1; }; \
		echo "Installing Debian's openjdk-17-jre-headless for the Spark tests (found Java $${found:-none})"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
		found=$$(major); \
		test "$${found:-0}" -ge 17 || { echo "java on PATH is still Java $${found:-none}; Spark needs 17 or newer"; exit 1; }; \
	fi

LOAD_STAMP := $(VENV)/.load
$(LOAD_STAMP): $(INSTALLED) requirements-load.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-load.lock
	touch $@

.PHONY: load-install
load-install: $(LOAD_STAMP)  ## Install locust, for the load test

# LOAD_ARGS, e.g. LOAD_ARGS="--stages 20,40 --keep"; benchmarks/README.md has the figures of
# the defaults.
LOAD_ARGS ?=
.PHONY: load
load: static $(LOAD_STAMP)  ## Load-test the production setup (gunicorn, worker, PostgreSQL) with locust
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

.PHONY: migrate
migrate: $(INSTALLED)
	mkdir -p var
	$(BIN)/opspor migrate --noinput --verbosity 0

.PHONY: seed
seed: migrate  ## Seed the synthetic region and the demo users (idempotent)
	$(BIN)/opspor seed --patients $(DEMO_PATIENTS) --seed 2026 --quality-region-patients $(DEMO_QUALITY_PATIENTS)

# The background worker (notification e-mails, escalations, deadline checks) runs beside
# the server and is stopped with it: the trap sends it SIGTERM however the server ends
# (Ctrl+C, an error, a port in use). As a background job of this shell it ignores Ctrl+C
# itself, so it gets exactly one stop signal and finishes the task in hand. Both get the
# address the e-mails link to, on this port, unless OPSPOR_BASE_URL is set already.
.PHONY: demo
demo: static seed  ## Install, build, migrate, seed, start the worker and serve on http://127.0.0.1:$(PORT)
	@echo "Opspor is served on http://127.0.0.1:$(PORT) — demo users are listed in README.md"
	@echo "The background worker runs beside it (e-mails are printed here); Ctrl+C stops both"
	@export OPSPOR_BASE_URL="$${OPSPOR_BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(BIN)/opspor worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/opspor runserver 127.0.0.1:$(PORT) --noreload

.PHONY: test
test: static browser spark $(LOAD_STAMP)  ## Run the whole test suite (DATABASE_URL selects PostgreSQL)
	$(PYTEST) $(PYTEST_ARGS)

# Tests that never touch a database, by directory or file. pytest-django refuses the database
# to a test that does not ask for it, so these run the same on SQLite and PostgreSQL, and a
# second pass on another database can leave them out. tests/conftest.py keeps the same list
# and refuses a test there that asks for the database.
NO_DATABASE_TESTS := tests/engine tests/synth tests/population/scan tests/benchmarks \
	tests/test_layers.py tests/test_makefile.py tests/test_timeouts.py tests/test_translations.py

# The browser tests check what a page shows and does in chromium; the data behind each page is
# read and written by the same selectors and services the HTTP tests run on both databases, so
# the second pass leaves the browser out too (it would double the slowest part of CI).
BROWSER_TESTS := tests/e2e

.PHONY: test-db
test-db: static browser spark $(LOAD_STAMP)  ## The tests that use a database, for a second pass on another one
	$(PYTEST) $(addprefix --ignore=,$(NO_DATABASE_TESTS) $(BROWSER_TESTS)) $(PYTEST_ARGS)

.PHONY: lint
lint: $(INSTALLED)  ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

.PHONY: schemas
schemas: $(INSTALLED)  ## Write the engine's JSON Schemas to docs/schemas (a test checks they are current)
	$(BIN)/python -c "import json; from opspor.engine.cli import schemas; s = schemas(); \
	[open(f'docs/schemas/{n}.schema.json', 'w').write(json.dumps(s[k], indent=2, ensure_ascii=False) + '\n') \
	 for n, k in (('patient-context', 'PatientContext'), ('assessment', 'Assessment'))]"

.PHONY: lock
lock: $(INSTALLED)  ## Re-resolve the pinned dependencies after editing pyproject.toml
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes -o requirements.lock
	@# The spark extra, constrained by requirements.lock and leaving out what it pins already:
	@# the file holds only what Spark adds (PySpark, py4j).
	$(BIN)/uv pip compile pyproject.toml --extra spark --python-version 3.12 --generate-hashes \
		-c requirements.lock --custom-compile-command "make lock" -o requirements-spark.lock \
		$$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/--no-emit-package \1/p' requirements.lock)
	@# The load extra (locust) likewise: only what the load test adds.
	$(BIN)/uv pip compile pyproject.toml --extra load --python-version 3.12 --generate-hashes \
		-c requirements.lock --custom-compile-command "make lock" -o requirements-load.lock \
		$$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/--no-emit-package \1/p' requirements.lock)

.PHONY: clean
clean:
	rm -rf build var node_modules $(VENV)

# CareLoop — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CARELOOP := $(BIN)/careloop
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_RESIDENTS ?= 12000
DEMO_SEED ?= 2026
PYTEST_ARGS ?= -n 2

.PHONY: help install install-test run serve demo migrate test test-only lint format bench browser lock messages clean

help:
	@echo "make run     serve the demo community on http://$(HOST):$(PORT) (SQLite, no other server)"
	@echo "make test    install test tools and run every test, lint included"
	@echo "make install create .venv with the pinned dependencies"
	@echo "make lint    ruff, import contracts, mypy, migrations and translations checks"
	@echo "make bench   run the benchmarks in benchmarks/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/main.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements/main.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.lock
	$(BIN)/pip install --quiet -r requirements/test.lock
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(CARELOOP) migrate --no-input -v 0

demo: migrate
	$(CARELOOP) demo --residents $(DEMO_RESIDENTS) --seed $(DEMO_SEED) --analyse

run: demo
	$(CARELOOP) collectstatic --no-input -v 0
	$(CARELOOP) serve --host $(HOST) --port $(PORT)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used);
# a CJK font makes the screenshots legible (best effort: the tests do not need it).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else echo "browser tests need /usr/bin/chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing a Chinese font for legible screenshots"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
	      || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null)) \
	      || echo "no Chinese font: screenshots will show boxes for Chinese text"; \
	  else echo "no Chinese font: sudo apt-get install fonts-wqy-microhei for legible screenshots"; fi; \
	fi

lint: install-test
	$(BIN)/ruff check src tests benchmarks tools typings
	$(BIN)/ruff format --check src tests benchmarks tools typings
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(CARELOOP) makemigrations --check --dry-run -v 1

test: install-test browser lint test-only

test-only:
	$(BIN)/pytest $(PYTEST_ARGS)

format: install-test
	$(BIN)/ruff format src tests benchmarks tools typings
	$(BIN)/ruff check --fix src tests benchmarks tools typings

bench: install-test
	@set -e; for script in benchmarks/bench_*.py; do \
	  echo "== $$script"; $(BIN)/python $$script; done

# Refresh the pinned lock files after changing dependencies in pyproject.toml.
lock: install-test
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements/main.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra test -o requirements/test.lock pyproject.toml

# Extract strings, fill the zh-Hans translations kept in tools/i18n/zh_hans.py (it lists any
# string still missing there and fails), and compile the catalogue.
messages: install-test
	cd src/careloop && ../../$(CARELOOP) makemessages -l zh_Hans --no-obsolete --no-location
	$(BIN)/python tools/i18n/zh_hans.py
	cd src/careloop && ../../$(CARELOOP) compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache

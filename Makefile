# Glassnet: `make run` serves the app, `make test` runs every test. Both install what is missing first;
# stamps make a second call with nothing changed skip straight to the work.
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
# What pip installs for torch: CI pins the CPU wheel (TORCH_SPEC=torch==2.13.0); extra pip flags
# (for example an index URL for CPU wheels) go in TORCH_PIP_ARGS.
TORCH_SPEC ?= torch
TORCH_PIP_ARGS ?=
# What pip installs of Glassnet itself: editable with the dev tools and Ray (tests/ray runs a local Ray cluster)
# here, a plain install with Ray in Docker.
PIP_TARGET ?= -e .[dev,ray]
# pytest's arguments: two pytest-xdist workers, a file's tests on one of them (its servers and browser made once;
# tests/conftest.py). Most tests wait on servers and browsers: two workers take about two thirds of the time of
# one on two cores; a third gained nothing (the cores were busy). PYTEST_ARGS= runs in one process. tests/ray
# (marked ray) runs after the rest, in one process.
PYTEST_ARGS ?= -n 2 --dist loadgroup
HOST ?= 127.0.0.1
PORT ?= 8000

BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.glassnet-installed
NODE_STAMP := frontend/node_modules/.glassnet-installed
UI := backend/glassnet/static/index.html
# everything the UI build reads, except the types it generates itself
UI_SOURCES := $(filter-out frontend/src/lib/api-types.ts,$(shell find frontend/src -type f 2>/dev/null)) \
	frontend/index.html frontend/vite.config.ts frontend/svelte.config.js frontend/tsconfig.json \
	frontend/openapi.json frontend/package.json
PY_DIRS := backend tests $(wildcard bench)

.PHONY: run test venv ui lint format browser openapi dev bench clean

run: venv ui ## serve Glassnet at http://$(HOST):$(PORT)
	$(BIN)/glassnet serve --host $(HOST) --port $(PORT)

test: venv ui browser ## lint, then every test: Python (unit, API, WebSocket, phenomena, browser, packaging) and vitest
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy
	cd frontend && npm test
	$(BIN)/pytest $(PYTEST_ARGS) -m "not ray"
	$(BIN)/pytest -m ray  # the Ray cluster tests alone: under the other tests' load their fault timings failed

venv: $(PY_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install --quiet $(PIP_TARGET)
	touch $@

ui: $(UI)

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(UI): $(NODE_STAMP) $(UI_SOURCES)
	cd frontend && npm run build

# Browser tests use Debian's Chromium where it is (or can be) installed, else Playwright's own download.
browser: venv
	@if [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else $(BIN)/playwright install chromium; fi
	@# a Chinese font, so screenshots of the Simplified Chinese page are readable (best effort)
	@if ! fc-list :lang=zh 2>/dev/null | grep -q . && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
		|| echo "browser: no Chinese font installed; zh screenshots will show boxes"; fi

lint: venv
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy
	cd frontend && npm run check

format: venv
	$(BIN)/ruff check --fix $(PY_DIRS)
	$(BIN)/ruff format $(PY_DIRS)

openapi: venv ## refresh frontend/openapi.json after changing the API (a test fails while it is stale)
	@# rewritten only when it changed, so that an unchanged schema does not make the UI build again
	$(BIN)/glassnet openapi > frontend/openapi.json.new
	cmp -s frontend/openapi.json.new frontend/openapi.json && rm frontend/openapi.json.new \
		|| mv frontend/openapi.json.new frontend/openapi.json

dev: venv $(NODE_STAMP) ## API with reload on :$(PORT) and Vite's dev server on :5173
	trap 'kill 0' EXIT; \
	$(BIN)/uvicorn glassnet.api.app:create_app --factory --reload --host $(HOST) --port $(PORT) & \
	cd frontend && npm run dev

bench: venv ui browser
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) frontend/node_modules backend/glassnet/static test-artifacts

# DescentLab: `make run` serves the app, `make test` runs the whole suite (browser tests too).
# Everything installs into .venv from pyproject.toml; the Dockerfile runs `make install` too,
# so there is one list of dependencies and one way to install them.

PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `-e` for a working tree; the Dockerfile sets INSTALL_TARGET=. for a plain install.
INSTALL_TARGET ?= -e .
# Optional dependencies the app uses: `animate` for the page's video export (pyproject.toml).
EXTRAS ?= animate
# The CPU build of PyTorch: the reference for the optimiser tests. An unpinned `torch` would
# resolve to a multi-GB CUDA build.
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: install run test test-deps chromium lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(INSTALL_TARGET)$(if $(EXTRAS),'[$(EXTRAS)]')
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/descentlab serve --host $(HOST) --port $(PORT)

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[test,dev]' '$(TORCH)'
	touch $@

test-deps: $(VENV)/.test-installed chromium

# Debian's Chromium drives the browser tests (never `playwright install`, which downloads).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Chromium is missing and cannot be installed as this user:" \
		     "run 'sudo apt-get install chromium' (browser tests skip without it)."; \
	fi

lint: $(VENV)/.test-installed
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

format: $(VENV)/.test-installed
	$(BIN)/ruff format backend tests bench
	$(BIN)/ruff check --fix backend tests bench

test: test-deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

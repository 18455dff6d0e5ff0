# The two commands of the README:
#   make demo   install what running needs, then run the main job (the demo on the replay fleet)
#   make test   install the test tools too, then run lint, type checks and the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
RUN_STAMP := $(VENV)/.run-stamp
STAMP := $(VENV)/.installed-stamp
TOOLS := .tools

.PHONY: demo test setup tools lint typecheck pytest bench clean

# Two installs: what running needs (the demo, `escalator` itself) and, on top, what the
# tests need (pytest, mypy, ruff, and llama-cpp-python, which builds llama.cpp from source).
$(PYTHON):
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "escalator needs Python 3.11 or newer: set PY=python3.11")'
	$(PY) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(PYTHON)
	@echo "installing escalator and its pinned runtime dependencies (wheels only, no compiler needed)"
	$(PYTHON) -m pip install -q --disable-pip-version-check -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	$(PYTHON) -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	@echo "installing the test tools (the first install builds llama.cpp: about 15 minutes on 2 cores)"
	$(PYTHON) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Toolchains and services for the tests (each test skips with a reason when its tool is
# absent): Chromium (the HTML report), bubblewrap (the sandbox), PostgreSQL (the shared
# task log). On CI (root, Debian) the missing ones are installed with apt-get.
tools:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ] && [ -n "$$CI" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages for the tests:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		|| echo "note: could not install$$missing; the tests that need them will be skipped"; \
	elif [ -n "$$missing" ]; then \
		echo "note: not installed:$$missing (apt-get install$$missing); their tests will be skipped"; fi
	@if command -v npm >/dev/null 2>&1 && [ ! -x $(TOOLS)/node_modules/.bin/tsc ]; then \
		npm install -s --no-audit --no-fund --prefix $(TOOLS) typescript@5.9.3 >/dev/null 2>&1 \
		|| echo "note: could not install TypeScript; tsc tests will be skipped"; fi

demo: $(RUN_STAMP)
	$(BIN)/escalator demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) tools
	PATH="$(CURDIR)/$(TOOLS)/node_modules/.bin:$$PATH" $(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/pytest tests -m bench --benchmark-enable -q

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache

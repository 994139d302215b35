# Two commands on a fresh clone:  `make demo` (make a gag)  and  `make test` (run the tests).
# Everything else is set up on the way, once.

PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch by default. With a GPU, install the torch build for your CUDA into the venv
# first (see the README); `make` then leaves it alone.
TORCH ?= torch==2.13.0
REQUEST ?= my dog Biscuit giving a TED talk about squirrels

BIN := $(VENV)/bin

.PHONY: demo test setup setup-test clean

demo: $(VENV)/.installed
	$(BIN)/sightgag make "$(REQUEST)" --seed 7

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml scripts/setup.sh scripts/install-fonts.sh
	VENV=$(VENV) PYTHON=$(PYTHON) TORCH="$(TORCH)" bash scripts/setup.sh
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	VENV=$(VENV) PYTHON=$(PYTHON) TORCH="$(TORCH)" bash scripts/setup.sh test
	touch $@

clean:
	rm -rf $(VENV) build src/*.egg-info

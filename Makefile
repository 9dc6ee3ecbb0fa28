# One command each: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SAMPLES := build/samples

.PHONY: demo test lint typecheck unit bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) examples/make_samples.py $(SAMPLES)
	$(VENV)/bin/asyncmedia upload $(SAMPLES)/cat.png --alt-text "A generated test card"
	$(VENV)/bin/asyncmedia upload $(SAMPLES)/clip.mp4

lint: $(VENV)/.installed-test
	$(PY) -m ruff check asyncmedia tests benchmarks examples

typecheck: $(VENV)/.installed-test
	$(PY) -m mypy

test: lint typecheck
	$(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) benchmarks/throughput.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache *.egg-info

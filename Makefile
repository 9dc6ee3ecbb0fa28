# One command each: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SAMPLES := build/samples

.PHONY: demo test lint typecheck unit bench docs clean fuzz

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,peers]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-docs: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) examples/make_samples.py $(SAMPLES)
	$(VENV)/bin/asyncmedia upload $(SAMPLES)/cat.png --alt-text "A generated test card"
	$(VENV)/bin/asyncmedia upload $(SAMPLES)/clip.mp4
	$(VENV)/bin/asyncmedia post "Hello from the asyncmedia demo" $(SAMPLES)/cat.png \
		--alt-text "A generated test card" --service x2 --service mastodon --service bluesky

lint: $(VENV)/.installed-test
	$(PY) -m ruff check asyncmedia tests benchmarks examples docs conftest.py

typecheck: $(VENV)/.installed-test
	$(PY) -m mypy

# The HTML site in docs/_build/html; any Sphinx warning fails the build.  -E rereads every
# page, so docstrings changed in the package are checked too.
docs: $(VENV)/.installed-docs
	$(VENV)/bin/sphinx-build -E -W --keep-going -q -b html docs docs/_build/html

# ruff, mypy, the docs build, then pytest: tests/ plus every Python block of README.rst and
# docs/ (conftest.py runs them against the sandbox).
test: lint typecheck docs
	$(PY) -m pytest

# The fuzz tests of `make test` with FUZZ_FACTOR times as many cases (thousands), from a fixed
# seed; the summary prints the cases tried per category.  FUZZ_SEED=... explores other cases.
FUZZ_FACTOR ?= 20
FUZZ_SEED ?= 20261201
fuzz: $(VENV)/.installed-test
	ASYNCMEDIA_FUZZ=$(FUZZ_FACTOR) $(PY) -m pytest -q -p no:cacheprovider --timeout=3600 \
		--hypothesis-seed=$(FUZZ_SEED) --hypothesis-show-statistics tests/functional/test_fuzz_*.py

bench: $(VENV)/.installed-test
	$(PY) benchmarks/throughput.py

# Emulated WAN paths (network namespaces, tbf, an NFQUEUE delay line): needs root, a C
# compiler and libnetfilter-queue-dev; never part of `make test`.  ~10 minutes.
.PHONY: bench-wan
bench-wan: $(VENV)/.installed-test
	$(PY) benchmarks/wan.py --rounds 3 --rss-sizes 64,512

# The tests against the real reference Bluesky PDS (tests/real, marker `real`, left out of
# `make test`).  tests/real/pds/install.sh installs the pinned npm packages, Node 22 and a
# better-sqlite3 compiled for it into a cache folder outside the repo once (minutes; the
# folder is keyed by a hash of the lock file), later runs reuse it (seconds).  Needs node and
# npm on PATH, and fails (never skips) without them.
.PHONY: test-real
test-real: $(VENV)/.installed-test
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "make test-real: needs node and npm on PATH (any Node >= 18: they install the" \
	       "reference PDS, which brings its own Node 22); install them (e.g. apt-get install" \
	       "nodejs npm) and run again." >&2; exit 1; }
	bash tests/real/pds/install.sh >/dev/null
	$(PY) -m pytest tests/real -m real

clean:
	rm -rf $(VENV) build docs/_build .pytest_cache .mypy_cache .ruff_cache *.egg-info

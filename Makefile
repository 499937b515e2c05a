# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
# setuptools' "Editable installation ... be careful with folders" note is information only,
# printed on every editable install made by a meta path finder, the only editable mode that
# maps index/, service/ and eval/ to ragqa.* (package-dir); it is silenced, nothing else is.
EDITABLE := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e

.PHONY: setup setup-test browser serve index test test-heavy clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned, so no other package can pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(EDITABLE) .
	touch $(STAMP)

# The test extra adds llama-cpp-python, compiled from source (a C++ compiler, ~6 min once).
$(TEST_STAMP): $(STAMP)
	$(EDITABLE) '.[test]'
	touch $(TEST_STAMP)

setup: $(STAMP)

setup-test: $(TEST_STAMP)

# The widget's browser tests drive Debian's chromium (tests/service/browser).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing chromium for the browser tests" >&2; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "make: the browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; \
	    exit 1; \
	  fi; }

index: setup
	$(VENV)/bin/ragqa index

# Indexes corpus/ if it changed (progress on stderr), then serves http://127.0.0.1:8000
serve: setup
	@echo "make: the ragqa command is $(VENV)/bin/ragqa (or: source $(VENV)/bin/activate, then ragqa)"
	$(VENV)/bin/ragqa serve

# The suite without its heavy tests (pyproject.toml's markers), which CI runs after it.
test: setup-test browser
	$(PY) -m pytest $(PYTEST_ARGS)

test-heavy: setup-test browser
	$(PY) -m pytest -m heavy $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .ragqa .pytest_cache

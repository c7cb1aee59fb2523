# The two commands of the README: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow bench lab doctor clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name recon --display-name "recon (Python 3)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/recon demo

test: $(STAMP)
	bash tools/ensure-test-packages
	$(PY) -m pytest $(PYTEST_ARGS)

# the long soak runs (tests marked `slow`), left out of `make test` and CI
test-slow: $(STAMP)
	bash tools/ensure-test-packages
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m recon.bench

lab: $(STAMP)
	$(VENV)/bin/recon lab

doctor: $(STAMP)
	$(VENV)/bin/recon doctor

clean:
	rm -rf $(VENV) .pytest_cache reports/*/

# The two commands of the README: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow bench bench-views bench-apply screenshots app lab doctor clean

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

# the approval grids with 1,000 and 10,000 actions (notebook, app, chromium); writes docs/benchmarks.md "Views"
bench-views: $(STAMP)
	$(PY) -m recon.bench views

# 1,000 supplier updates applied into the Xero emulator under its real limits (about 6 minutes); writes
# docs/benchmarks.md "Apply"
bench-apply: $(STAMP)
	$(PY) -m recon.bench apply

# the screenshots of the README and docs/workbench.md (docs/images/), made from a fresh demo run in chromium
screenshots: $(STAMP)
	bash tools/ensure-test-packages
	$(PY) tools/screenshots.py

app: $(STAMP)
	$(VENV)/bin/recon app --open

lab: $(STAMP)
	$(VENV)/bin/recon lab

doctor: $(STAMP)
	$(VENV)/bin/recon doctor

clean:
	rm -rf $(VENV) .pytest_cache reports/*/

# Two commands do all the set-up on a fresh machine with python3, make and git (make test: apt-get too, as root):
#   make serve   runs the service under gunicorn on $(HOST):$(PORT)
#   make test    lints, type-checks and runs the whole test suite (first installs the Debian packages it needs,
#                if missing: scripts/system-packages.sh, which lists them)
# Dependencies come from lock files with hashes (requirements.lock, requirements-test.lock); `make lock`
# refreshes them from pyproject.toml.
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
# The parallel part of the suite: one pytest worker per core (2 on the CI machine).
WORKERS ?= 2
export HOST PORT

.PHONY: serve test lint bench bench-attacks lock clean system-packages

$(VENV)/.installed: requirements-test.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-test.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Checked on every run (a few milliseconds when nothing is missing), so a package removed since is noticed.
system-packages:
	bash scripts/system-packages.sh

serve: $(VENV)/.installed
	$(VENV)/bin/gunicorn --config keras_shape_service/gunicorn_conf.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check keras_shape_service tests bench scripts
	$(VENV)/bin/ruff format --check keras_shape_service tests bench scripts
	$(VENV)/bin/mypy

# The tests that measure time or load (marked serial) run alone, after the rest has run on every core; they
# live in tests/integration only (tests/unit/test_suite_layout.py), so the serial run collects nothing else.
test: system-packages lint
	$(VENV)/bin/python -m pytest -n $(WORKERS) --dist worksteal -m "not serial"
	$(VENV)/bin/python -m pytest -m serial tests/integration

# `make bench ATTACKS=1` adds bench-attacks' table (about 5 minutes more).
bench: $(VENV)/.installed
	$(VENV)/bin/python bench/run.py $(if $(ATTACKS),--attacks)

# Issue 21's findings replayed against a fresh service, each "Done when" target measured (bench/attacks.py).
bench-attacks: $(VENV)/.installed
	$(VENV)/bin/python bench/attacks.py

lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -q -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" -q -o requirements-test.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

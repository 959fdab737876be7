# Two commands do all the set-up on a fresh machine with python3, make and git (make test: apt-get too, as root):
#   make serve   runs the service under gunicorn on $(HOST):$(PORT)
#   make test    runs the whole test suite (first installs the Debian packages it needs, if missing:
#                scripts/system-packages.sh, which lists them)
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: serve test bench clean system-packages

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

# Checked on every run (a few milliseconds when nothing is missing), so a package removed since is noticed.
system-packages:
	bash scripts/system-packages.sh

serve: $(VENV)/.installed
	$(VENV)/bin/gunicorn --config service/gunicorn_conf.py

test: system-packages $(VENV)/.installed
	$(VENV)/bin/python -m pytest

bench: $(VENV)/.installed
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

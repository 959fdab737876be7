# Two commands do all the set-up on a fresh machine with python3, make and git:
#   make serve   runs the service under gunicorn on $(HOST):$(PORT)
#   make test    runs the whole test suite
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: serve test bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

serve: $(VENV)/.installed
	$(VENV)/bin/gunicorn --config service/gunicorn_conf.py

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest

bench: $(VENV)/.installed
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

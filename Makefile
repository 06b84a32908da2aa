# Public targets (the README documents these two only):
#   make run   - set up .venv, migrate, serve on http://127.0.0.1:8000
#   make test  - set up .venv, run the test suite
# Extra pytest arguments: make test PYTEST_ARGS="-k settings -x"

SHELL := /bin/bash

VENV     := .venv
VENV_PY  := $(VENV)/bin/python
# Touched after a successful install; older than a requirements file = reinstall.
STAMP    := $(VENV)/.requirements-installed

# First interpreter on PATH that really is Python >= 3.11. Running it (rather
# than only finding it) skips pyenv shims whose version is not installed.
# Override with: make run PYTHON=/path/to/python3.x
PYTHON_CANDIDATES := python3.11 python3.12 python3.13 python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	  if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
	    echo "$$p"; break; \
	  fi; \
	done)

.PHONY: run test venv

# A bare `make run` works on a laptop: .env (git-ignored, read by the settings)
# turns DEBUG on and holds a random development SECRET_KEY, so every
# `.venv/bin/python manage.py ...` command in the README works too. Anything
# already set in the environment wins over the file.
run: $(STAMP) .env
	$(VENV_PY) manage.py migrate --noinput && \
	exec $(VENV_PY) manage.py runserver 127.0.0.1:8000

.env: | $(VENV_PY)
	@printf '# Development settings written by `make run`; never used in production.\nDEBUG=true\nSECRET_KEY=%s\n' \
	  "$$($(VENV_PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DEBUG=true, a random development SECRET_KEY)"

# Tests run with DEBUG off, the production code path, so they need a key;
# a throwaway one is supplied unless SECRET_KEY is already set. ENV_FILE= keeps
# a developer's .env (DEBUG on) out of the tests.
# --create-db: never reuse a test database left behind by an earlier run.
# PYTEST_RC_FILE (used by .ci/run): file that receives pytest's own exit code,
# which make itself would collapse into 2.
test: $(STAMP)
	@rc=0; \
	ENV_FILE= SECRET_KEY="$${SECRET_KEY:-insecure-key-for-tests-only}" \
	  $(VENV_PY) -m pytest --create-db $(PYTEST_ARGS) || rc=$$?; \
	if [ -n "$(PYTEST_RC_FILE)" ]; then echo "$$rc" > "$(PYTEST_RC_FILE)"; fi; \
	exit $$rc

# Helper: create the virtual environment and install the requirements.
venv: $(STAMP)

$(VENV_PY):
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: no Python >= 3.11 found (tried: $(PYTHON_CANDIDATES))" >&2; exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) -c 'import sys; print(sys.version.split()[0])'))"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): requirements.txt requirements-dev.txt | $(VENV_PY)
	$(VENV_PY) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

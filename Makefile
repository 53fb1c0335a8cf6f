# Two commands for a fresh machine: `make run` serves the app, `make test` runs every test.
VENV    ?= .venv
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 5000
# Unset: gunicorn.conf.py decides (2 workers of 12 threads).
WORKERS ?=
THREADS ?=
BIN      = $(VENV)/bin
FLASK    = $(BIN)/flask --app predictions

.PHONY: run dev db test lint install install-test browser clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

db: install
	$(FLASK) db upgrade
	$(FLASK) questions seed

## make run: upgrade the database, load the seed question, serve with gunicorn on HOST:PORT
## (worker model and timeouts in gunicorn.conf.py).
run: db
	$(BIN)/gunicorn --bind $(HOST):$(PORT) $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(THREADS),--threads $(THREADS)) wsgi:app

## make dev: the same with Flask's debug server.
dev: db
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

## Debian's chromium for the browser tests (installed when missing and we may use apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; }

## make test: the whole suite, on SQLite and (when it answers) on PostgreSQL.
test: install-test browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

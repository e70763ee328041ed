# Kehu: `make run` installs and starts Kehu on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install bench lint messages clean

$(BIN)/kehu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/kehu

install: $(BIN)/kehu

run: install
	$(BIN)/kehu migrate --no-input -v0
	$(BIN)/kehu demo --if-empty
	@echo ""
	@echo "  Kehu is running at http://$(HOST):$(PORT)/"
	@$(BIN)/kehu demo --logins
	@echo ""
	$(BIN)/kehu runserver $(HOST):$(PORT)

test: install
	$(BIN)/ruff check kehu tests benchmarks
	$(BIN)/kehu makemigrations --check --dry-run -v0
	$(BIN)/pytest

bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check kehu tests benchmarks

messages:
	$(BIN)/kehu makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/kehu compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) var

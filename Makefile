# Kehu: `make run` installs and starts Kehu (web server and worker) on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install bench lint typecheck messages clean

$(BIN)/kehu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/kehu

install: $(BIN)/kehu

run: install
	$(BIN)/kehu migrate --no-input -v0
	$(BIN)/kehu demo --if-empty --no-logins
	@echo ""
	@echo "  Kehu is running at http://$(HOST):$(PORT)/"
	@$(BIN)/kehu demo --logins
	@echo ""
	@# The worker runs long work (large imports, exports) beside the web server and stops with it.
	@$(BIN)/kehu worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/kehu runserver $(HOST):$(PORT)

# ruff, mypy and the migrations check come first, then pytest.
# PYTEST_ARGS narrows a run, e.g. PYTEST_ARGS='-m "not browser"' (CI's second pass, on PostgreSQL).
test: install
	$(BIN)/ruff check kehu tests benchmarks
	$(BIN)/mypy kehu
	$(BIN)/kehu makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check kehu tests benchmarks

# mypy with django-stubs and djangorestframework-stubs (settings in pyproject.toml).
typecheck: install
	$(BIN)/mypy kehu

messages:
	$(BIN)/kehu makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/kehu compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) var

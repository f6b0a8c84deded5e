# Guanxi — one command to run, one to test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
VENDOR := guanxi/static/vendor

.PHONY: run test test-fast lint format install install-dev vendor messages bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/tabler $(VENDOR)/icons $(VENDOR)/htmx $(VENDOR)/echarts \
		$(VENDOR)/sortable $(VENDOR)/tom-select $(VENDOR)/flatpickr
	cp -r node_modules/@tabler/core/dist/css node_modules/@tabler/core/dist/js $(VENDOR)/tabler/
	cp -r node_modules/@tabler/icons-webfont/dist/tabler-icons.min.css node_modules/@tabler/icons-webfont/dist/fonts $(VENDOR)/icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortable/
	cp node_modules/tom-select/dist/js/tom-select.complete.min.js node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css $(VENDOR)/tom-select/
	cp node_modules/flatpickr/dist/flatpickr.min.js node_modules/flatpickr/dist/flatpickr.min.css $(VENDOR)/flatpickr/
	cp node_modules/flatpickr/dist/l10n/zh.js $(VENDOR)/flatpickr/zh.js
	touch $@

install: $(VENV)/.installed $(VENDOR)/.installed
install-dev: $(VENV)/.installed-dev $(VENDOR)/.installed
vendor: $(VENDOR)/.installed

## run: install everything, migrate, load demo data the first time, serve web + API + worker
run: install
	$(VENV)/bin/guanxi run

## test: the whole suite (browser tests run where a chromium is installed)
test: install-dev
	$(VENV)/bin/pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

test-fast: install-dev
	$(VENV)/bin/pytest -q -m "not browser" $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check guanxi tests benchmarks
	$(VENV)/bin/ruff format --check guanxi tests benchmarks
	$(VENV)/bin/guanxi makemigrations --check --dry-run
	$(VENV)/bin/mypy guanxi/core guanxi/accounts/policy.py

format: install-dev
	$(VENV)/bin/ruff check --fix guanxi tests benchmarks
	$(VENV)/bin/ruff format guanxi tests benchmarks

messages: install-dev
	cd guanxi && ../$(VENV)/bin/django-admin makemessages -l zh_Hans -l en --ignore 'static/*'
	cd guanxi && ../$(VENV)/bin/django-admin compilemessages

bench: install-dev
	$(PY) benchmarks/search.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)

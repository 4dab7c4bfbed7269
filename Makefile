# Two commands: `make run` brings up the whole service with demo data, `make test` runs
# the full suite. Both install what is missing first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test lint format bench bench-ha install system-packages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian packages the service and its tests run: BIND, the real dyndns2 clients, wrk.
system-packages:
	@bash scripts/system-packages.sh $(PACKAGES)

run: install
	@bash scripts/system-packages.sh bind9 bind9-dnsutils
	$(PY) -m devtools.run

# The local OpenID Connect provider the browser tests log in through.
tests/portal/oidc/node_modules: tests/portal/oidc/package-lock.json
	cd tests/portal/oidc && npm ci --no-audit --no-fund
	touch $@

test: install
	@bash scripts/system-packages.sh bind9 bind9-dnsutils ddclient inadyn chromium nodejs pebble lego openssl
	$(MAKE) tests/portal/oidc/node_modules
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	@bash scripts/system-packages.sh bind9 wrk
	$(PY) bench/update_path.py

# High availability: checks/s one worker keeps on schedule, and failover time through
# Celery beat and a worker (docs/performance.md). Needs PostgreSQL and Redis on loopback.
bench-ha: install
	@bash scripts/system-packages.sh bind9
	$(PY) bench/checks.py
	$(PY) bench/failover.py

clean:
	rm -rf var/ .pytest_cache

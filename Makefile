# Sceau: every target installs what it needs (run as root on Debian; apt-get for system packages).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
SCEAU := $(VENV)/bin/sceau
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# nginx: Sceau runs its own instance (-p/-c, port 8443) for `make serve-tls` and the tests; the
# Debian service that the package may start (port 80, default site) is not used by Sceau.
SYSTEM_PACKAGES := chromium poppler-utils fonts-dejavu-core openssl softhsm2 opensc libnss3-tools nginx curl golang-go golang-golang-x-mod-dev
PYTEST_WORKERS ?= 2

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies

sysdeps: ## Install the Debian packages the tests need, when missing
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: venv ## Migrate, seed the demo office, serve http://127.0.0.1:8000 (SQLite, local blobs)
	$(SCEAU) demo
	$(SCEAU) serve --host 127.0.0.1 --port 8000

serve-tls: venv sysdeps ## The demo behind nginx, officer sign-in by certificate: https://127.0.0.1:8443 (TEST PKI)
	$(SCEAU) demo
	$(SCEAU) tls serve-local --port 8443 --app-port 8000

oidc-provider: tests/oidc_provider/node_modules/.package-lock.json ## Install the test OpenID Connect provider (npm ci)

tests/oidc_provider/node_modules/.package-lock.json: tests/oidc_provider/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	npm ci --prefix tests/oidc_provider --no-audit --no-fund --loglevel=error

test: venv sysdeps oidc-provider ## Run the whole suite (set DATABASE_URL=postgresql://... for PostgreSQL)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q

lint: venv ## ruff check, format check, and the import layers (import-linter contracts in pyproject.toml)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

format: venv ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

bench: venv ## Benchmarks (vault throughput vs openssl speed), not part of the tests
	$(PY) benchmarks/vault.py
	$(PY) benchmarks/journal.py

services: ## Start the local PostgreSQL and Redis when they are down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@pg_isready -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping

clean: ## Remove the virtualenv and caches (keeps ./var)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

.PHONY: help venv sysdeps oidc-provider run serve-tls test lint format bench services clean

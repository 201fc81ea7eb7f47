# `make up` runs the platform with demo data; `make test` runs the whole suite.
# Both install what is missing first: the venv and its packages, HAProxy, CuraEngine and
# Cura's printer definitions, and they start Postgres and Redis when they are down.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The shop pages' scripts and styles: npm packages from the lock file, built by Vite into
# src/fabrika/static; each step runs again only when what it reads changed.
NODE_STAMP := web/node_modules/.installed-stamp
WEB_STAMP  := web/.built-stamp
WEB_INPUTS := $(wildcard web/src/*) web/vite.config.js web/compress.mjs

.PHONY: up test install system services lint coverage mutation bench clean web node browser

up: install services web
	$(VENV)/bin/fabrika up $(if $(SCALE),--scale $(SCALE),)

test: install services web browser lint
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (lint and format) and mypy (strict, with the pydantic plugin) over src/.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The whole suite with coverage that follows the platform's child processes and DBOS's
# threads; the report is per package.
coverage: install services web browser
	rm -rf .coverage .coverage.* htmlcov
	$(PY) -m coverage run -m pytest $(PYTEST_ARGS)
	$(PY) -m coverage combine -q
	$(PY) tools/coverage_by_package.py

# Mutation testing of the pure domain modules against the unit tests (mutmut); prints the
# score per module. Takes some minutes; not part of `make test`.
mutation: install
	$(PY) tools/mutation.py

bench: install services
	@command -v wrk >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(PY) bench/run_all.py

install: $(STAMP) system

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# CuraEngine slices FDM parts for exact quotes (fabrika.mes.slicing). It loads Cura's printer
# definitions, which Debian ships only inside the cura GUI package: the two files are taken
# out of that package into .cache/cura, so the GUI and its Qt stack are never installed.
CURA_ENGINE_VERSION := 1:4.13.0-1+b1
CURA_VERSION        := 4.13.0-1
CURA_DEFINITIONS    := .cache/cura/definitions
CURA_FILES          := fdmprinter.def.json fdmextruder.def.json

# Debian's HAProxy is the gateway, CuraEngine the slicer; install them when absent. The
# tests check the alerting rules with Prometheus's promtool and Alertmanager's amtool, and
# the metric names with the Postgres and Redis exporters. Their daemons are not needed (the tests run the binaries),
# nor are the recommended extras: prometheus-node-exporter would take port 9100.
system:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy)
	@(command -v promtool && command -v amtool && command -v prometheus-postgres-exporter && \
	  command -v prometheus-redis-exporter) >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends prometheus prometheus-alertmanager \
			prometheus-postgres-exporter prometheus-redis-exporter)
	@command -v CuraEngine >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			cura-engine=$(CURA_ENGINE_VERSION))
	@$(foreach file,$(CURA_FILES),test -f $(CURA_DEFINITIONS)/$(file) &&) true || \
		(set -e; mkdir -p .cache/cura; printf '*\n' > .cache/.gitignore; \
		 work=$$(mktemp -d .cache/cura/download.XXXXXX); trap 'rm -rf "$$work"' EXIT; \
		 apt-get update -qq; \
		 (cd "$$work" && apt-get download -qq -o APT::Sandbox::User=root cura=$(CURA_VERSION)); \
		 mkdir "$$work/definitions"; \
		 dpkg-deb --fsys-tarfile "$$work"/cura_*.deb | tar -x -C "$$work/definitions" \
			--strip-components=6 $(addprefix ./usr/share/cura/resources/definitions/,$(CURA_FILES)); \
		 rm -rf $(CURA_DEFINITIONS); mv "$$work/definitions" $(CURA_DEFINITIONS))

web: $(WEB_STAMP)

$(WEB_STAMP): $(NODE_STAMP) $(WEB_INPUTS)
	cd web && npm run build
	touch $@

$(NODE_STAMP): web/package-lock.json web/package.json | node
	cd web && npm ci --no-audit --no-fund
	touch $@

# Node 20 and npm build the pages (Vite); Debian's packages when absent.
node:
	@command -v npm >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

# Debian's Chromium runs the pages' tests through Playwright (which downloads no browser).
browser:
	@test -x /usr/bin/chromium || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
		(pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n 1) main start && \
		 for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done)
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
		(mkdir -p /var/lib/redis /var/log/redis && \
		 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
			--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log && \
		 for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done)

clean:
	rm -rf .run .pytest_cache $(WEB_STAMP)

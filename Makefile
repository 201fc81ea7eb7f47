# `make up` runs the platform with demo data; `make test` runs the whole suite.
# Both install what is missing first: the venv and its packages, HAProxy, CuraEngine and
# Cura's printer definitions, and they start Postgres and Redis when they are down.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: up test install system services lint bench clean

up: install services
	$(VENV)/bin/fabrika up $(if $(SCALE),--scale $(SCALE),)

test: install services
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

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

# Debian's HAProxy is the gateway, CuraEngine the slicer; install them when absent.
system:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy)
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
	rm -rf .run .pytest_cache

# `make up` runs the platform with demo data; `make test` runs the whole suite.
# Both install what is missing first: the venv and its packages, HAProxy, and they start
# Postgres and Redis when they are down.

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

# Debian's HAProxy is the gateway; install it when absent. The tests check the alerting
# rules with Prometheus's promtool and Alertmanager's amtool, and the metric names with the
# Postgres and Redis exporters. Their daemons are not needed (the tests run the binaries),
# nor are the recommended extras: prometheus-node-exporter would take port 9100.
system:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy)
	@(command -v promtool && command -v amtool && command -v prometheus-postgres-exporter && \
	  command -v prometheus-redis-exporter) >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends prometheus prometheus-alertmanager \
			prometheus-postgres-exporter prometheus-redis-exporter)

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

# The user interface of the project: `make demo`, `make test`, `make lint`, `make bench`.
# Every target is idempotent: a second run reuses the virtual environment and the seeded data.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_PIN := $(shell grep -E '^uv==' requirements-dev.txt)
ENV := source scripts/env.sh &&
SCALE ?= S
SEED ?= 42
MONTHS ?= 3
# Every file of the embedded default lives under one folder per scale (scripts/env.sh): data/ for the
# demo's S, data/scale-M for `make demo SCALE=M`, so scales never mix.
DATA_DIR ?= $(if $(filter S s,$(SCALE)),data,data/scale-$(SCALE))
export RECOUVRA_DATA_DIR := $(DATA_DIR)
# Python caches what it compiles (__pycache__, ignored by git). Container images often set
# PYTHONDONTWRITEBYTECODE=1: then every process compiles Airflow, pandas, Great Expectations... from source
# again (`airflow version` 3.9 s instead of 1.9 s on the 2-core machine), and the demo and the tests start
# hundreds of processes. The installers write no bytecode either (uv by default), so each module is
# compiled once, by the first process that imports it, and cached for the next.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install demo reproduce backfill production-cycle test test-unit test-integration lint bench bench-seed bench-pg-load hostile seed airflow-init clean system-deps services pg-start \
	stack stack-stop stack-status

help:
	@echo "make demo   install, seed the synthetic fund database, run the months under Airflow's scheduler (MONTHS=3)"
	@echo "make reproduce  after make demo: re-run two months, the demo, a scheduler backfill; prove nothing changed"
	@echo "make backfill   the demo's months replayed by Airflow's scheduler (airflow backfill create) into DATA_DIR/replay"
	@echo "make production-cycle  (root) the demo's months on Celery, PostgreSQL, Redis and sshd into DATA_DIR/production"
	@echo "make test   install, then the whole test suite (unit, DAG integrity, integration)"
	@echo "make lint   ruff, mypy and the import contracts (import-linter)"
	@echo "make bench  the monthly cycle stage by stage at SCALE=S|M|L (default S; figures go to docs/benchmarks.md)"
	@echo "make bench-seed  seeding benchmark (SCALE=S|M|L)"
	@echo "make bench-pg-load  PostgreSQL warehouse loads against raw COPY, on a bench run's lake (SCALE=S|M|L)"
	@echo "make hostile  10,000 generated hostile return files through the ingestion (figures in docs/benchmarks.md)"
	@echo "make stack  the production topology natively (Celery executor); make stack-stop stops it by PID"

# The venv is rebuilt only when the pins or the package metadata change. constraints.txt is the runtime's
# full freeze (no dev tools): the same file constrains the Docker image.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the same pins as pip about ten times faster (10 s instead of about 2 min on this 2-core
	@# machine, cold cache): half of make demo's time budget otherwise. Its pin is requirements-dev.txt's;
	@# pip does the install when uv cannot be had or fails (offline mirror, an unsupported platform).
	@if $(BIN)/python -m pip install -qq --disable-pip-version-check "$(UV_PIN)" && \
	    $(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.txt -c constraints.txt && \
	    $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .; then \
	  echo "installed with $(UV_PIN) into $(VENV)"; \
	else \
	  echo "uv unavailable or failed: installing with pip (about 2 minutes)"; \
	  $(BIN)/python -m pip install -qq --disable-pip-version-check -r requirements-dev.txt -c constraints.txt && \
	  $(BIN)/python -m pip install -qq --disable-pip-version-check --no-deps -e .; \
	fi
	@touch $@

install: $(STAMP)

# Debian packages the integration tests use; installed when we are root and they are missing.
system-deps:
	@bash scripts/system-deps.sh

# Local services of the integration tests (PostgreSQL), started when installed but stopped.
services pg-start:
	@bash scripts/services.sh

airflow-init: install
	@mkdir -p $(DATA_DIR)/airflow
	@$(ENV) airflow db migrate >$(DATA_DIR)/airflow/db-migrate.log 2>&1 || { cat $(DATA_DIR)/airflow/db-migrate.log; exit 1; }
	@# Pools of recouvra.operations.POOLS (sftp_agencies, warehouse_writer): idempotent.
	@$(BIN)/python -m recouvra.operations pools >$(DATA_DIR)/airflow/pools.json
	@$(ENV) airflow pools import $(DATA_DIR)/airflow/pools.json >$(DATA_DIR)/airflow/pools.log 2>&1 || { cat $(DATA_DIR)/airflow/pools.log; exit 1; }
	@echo "embedded Airflow ready: AIRFLOW_HOME=$(DATA_DIR)/airflow (SQLite metadata, LocalExecutor, pools)"

seed: install
	@$(ENV) recouvra seed --scale $(SCALE) --seed $(SEED)

# The months run under Airflow's own scheduler (scripts/demo.sh); RUNNER=dags-test runs them as explicit
# `airflow dags test` runs instead (slower: Airflow starts for every run). The first month is July 2026
# unless MONTHS more would reach a month not yet past (Airflow backfills past dates only): then it is
# earlier, and the seed's history ends before it (scripts/demo-lib.sh demo_window; DEMO_START pins it).
RUNNER ?= scheduler
demo: install
	@$(ENV) recouvra config check >/dev/null
	@$(ENV) source scripts/demo-lib.sh && demo_window $(MONTHS) && \
	  recouvra seed --scale $(SCALE) --seed $(SEED) && \
	  RUNNER=$(RUNNER) DEMO_MONTHS=$(MONTHS) bash scripts/demo.sh

# After `make demo`: re-run the first two months, then the whole demo, and prove nothing changed
# (every file in the agencies' outboxes, every mart row: `recouvra fingerprint --compare`).
reproduce: install
	@$(ENV) SCALE=$(SCALE) SEED=$(SEED) DEMO_MONTHS=$(MONTHS) bash scripts/reproduce.sh "$(MAKE) --no-print-directory demo SCALE=$(SCALE) SEED=$(SEED) MONTHS=$(MONTHS) DATA_DIR=$(DATA_DIR)"

# The demo's months replayed by Airflow's scheduler (`airflow backfill create`, LocalExecutor) into a
# fresh folder, $(DATA_DIR)/replay: what `make reproduce` compares with the demo.
backfill: install
	@SCALE=$(SCALE) SEED=$(SEED) DEMO_MONTHS=$(MONTHS) bash scripts/backfill.sh $(DATA_DIR)/replay

# The same months in the production form, natively (Celery, PostgreSQL, Redis, OpenSSH's sshd; as root):
# tests/integration/test_production_cycle.py compares its fingerprint with make backfill's.
production-cycle: install services
	@SCALE=$(SCALE) SEED=$(SEED) DEMO_MONTHS=$(MONTHS) bash scripts/production-cycle.sh $(DATA_DIR)/production

# Two lanes side by side, one per core: the integration tests as they run, the unit tests niced beside them
# (scripts/test.sh; TEST_LANES=1 for one pytest over the whole suite).
test: install system-deps services
	@BIN=$(BIN) bash scripts/test.sh

# each lane of make test alone (the same folders as scripts/test.sh's lanes)
test-unit: install
	$(BIN)/pytest tests/unit tests/dags tests/bench

test-integration: install system-deps services
	$(BIN)/pytest tests/integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The monthly cycle, stage by stage (bench/bench_cycle.py): seeds data/bench-<SCALE>/seed once, then on a
# fresh copy runs the first month (full load) and a steady month through the DAG tasks' own calls, and
# writes its section of docs/benchmarks.md. Its own folder: never the demo's data.
bench: install
	$(BIN)/python bench/bench_cycle.py --scale $(SCALE)

bench-seed: install
	$(BIN)/python bench/bench_seed.py --scale $(SCALE)

# Loads into a PostgreSQL warehouse against psql's raw COPY of the same rows (issue 16: >= 80 %), on the
# lake a `make bench SCALE=...` run left in data/bench-<SCALE>/run/lake.
bench-pg-load: install
	$(BIN)/python bench/bench_pg_load.py --lake data/bench-$(SCALE)/run/lake

# Hostile return files (issue 13, item 8): HOSTILE_FILES generated files (default 10,000; the suite runs
# 2,000) through the calls of the returns_ingest DAG on a local-folder account, then 400 over the
# embedded SFTP server; figures as JSON in $(DATA_DIR)/hostile/, table in docs/benchmarks.md.
HOSTILE_FILES ?= 10000
hostile: install
	@mkdir -p $(DATA_DIR)/hostile
	RECOUVRA_HOSTILE_FILES=$(HOSTILE_FILES) RECOUVRA_HOSTILE_REPORT=$(DATA_DIR)/hostile/local.json \
		$(BIN)/pytest -q -p no:cacheprovider tests/unit/ingest/test_hostile.py
	RECOUVRA_HOSTILE_SFTP_REPORT=$(DATA_DIR)/hostile/sftp.json \
		$(BIN)/pytest -q -p no:cacheprovider tests/integration/test_ingest_hostile_sftp.py

# The production topology natively (CeleryExecutor; PostgreSQL metadata, Redis broker): api-server,
# scheduler, dag-processor, triggerer, Celery worker. Prints the UI URL and credentials. docker-compose.yaml
# runs the same components in containers.
stack: install services
	@bash scripts/stack.sh start

stack-stop:
	@bash scripts/stack.sh stop

stack-status:
	@bash scripts/stack.sh status

clean:
	rm -rf data

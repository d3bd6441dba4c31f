#!/usr/bin/env bash
# The production topology of Airflow, natively, without Docker: api-server, scheduler, dag-processor,
# triggerer and a Celery worker, with PostgreSQL metadata, a Redis broker and the Celery result backend
# in PostgreSQL. `make stack` / `make stack-stop` call it; tests/integration/test_stack_celery.py runs
# the very same script against a fresh database, so what the test proves is what `make stack` runs.
#
#   scripts/stack.sh start    migrate, create the pools, start every component, wait until healthy
#   scripts/stack.sh stop     stop every component by the PID it recorded (its whole session), verify
#   scripts/stack.sh status   which components run
#
# Settings (environment; defaults in brackets):
#   STACK_DIR        pid files, logs, AIRFLOW_HOME, the admin password      [data/stack]
#   STACK_AIRFLOW_HOME  AIRFLOW_HOME (task logs, airflow.cfg)                [STACK_DIR/airflow]
#   STACK_DB_URL     Airflow metadata     [postgresql+psycopg2://postgres@127.0.0.1:5432/recouvra_airflow]
#                    (the database is created when missing)
#   STACK_BROKER_URL Celery broker: Redis, a dedicated DB number             [redis://127.0.0.1:6379/5]
#   STACK_PORT       api-server port on 127.0.0.1                            [8080]
#   STACK_PORT_BASE  first of 3 free ports: scheduler health, worker and triggerer log servers [18974]
#   STACK_USER       admin user of the simple auth manager                  [admin]
#   STACK_PARALLELISM / STACK_CONCURRENCY  task slots (2-core machine)       [4 / 2]
#   STACK_EXECUTOR   CeleryExecutor, or LocalExecutor (no broker, no Celery worker)   [CeleryExecutor]
#   STACK_REPLAY_ONLY  1: the scheduler creates no run of its own (no cron, no asset trigger:
#                    [scheduler] use_job_schedule off); it runs only what is asked (backfills,
#                    triggered runs). The replay of past months (scripts/backfill.sh) uses it.   [0]
#   STACK_CONNECTIONS  required: the source, the warehouse and every agency's SFTP connection must be
#                    defined, or the start stops naming the AIRFLOW_CONN_* variable to set; embedded:
#                    the source and warehouse may be the configuration's embedded SQLite/DuckDB files
#                    (the demo's replay); none: no check (a test of the stack itself)
#                    [required with the CeleryExecutor, embedded with the LocalExecutor]
# STACK_DB_URL may be sqlite:////abs/path/airflow.db with the LocalExecutor (one machine).
# Connections: every component inherits this script's environment, so the calling shell's
# AIRFLOW_CONN_RECOUVRA_SOURCE, AIRFLOW_CONN_RECOUVRA_WAREHOUSE and AIRFLOW_CONN_SFTP_AG01.. (URI or JSON;
# the ids are config/recouvra.yaml's storage.*_conn_id and agencies[].sftp_conn_id) are the stack's; a
# connection added with `airflow connections add` lives in the metadata database instead. `start`
# prints each one (where it was found, no password) before starting anything.
# The lake and the embedded defaults come from config/recouvra.yaml or RECOUVRA__STORAGE__* overrides.
# Lineage and metrics as scripts/env.sh sets them: OpenLineage events in $STACK_DIR/lineage/events.jsonl,
# StatsD to 127.0.0.1:8125 (override with AIRFLOW__OPENLINEAGE__* / AIRFLOW__METRICS__*).
# Production runs the same components from docker-compose.yaml instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="$(mkdir -p "${STACK_DIR:-$ROOT/data/stack}" && cd "${STACK_DIR:-$ROOT/data/stack}" && pwd)"
executor="${STACK_EXECUTOR:-CeleryExecutor}"
case "$executor" in
  CeleryExecutor) COMPONENTS=(api-server scheduler dag-processor triggerer celery-worker) ;;
  LocalExecutor) COMPONENTS=(api-server scheduler dag-processor triggerer) ;;
  *) echo "error: STACK_EXECUTOR must be CeleryExecutor or LocalExecutor, not $executor" >&2; exit 2 ;;
esac

export AIRFLOW_HOME="${STACK_AIRFLOW_HOME:-$STACK_DIR/airflow}"
source "$ROOT/scripts/env.sh"   # dags/, plugins/, time zone, .venv on PATH (values set above win)

port="${STACK_PORT:-8080}"
port_base="${STACK_PORT_BASE:-18974}"
user="${STACK_USER:-admin}"
db_url="${STACK_DB_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/recouvra_airflow}"
# The result backend is SQLAlchemy through Celery: "db+" and a driver it knows (psycopg2).
db_plain="${db_url/postgresql+psycopg2:\/\//postgresql://}"
db_plain="${db_plain/postgresql+psycopg:\/\//postgresql://}"

secret_file="$STACK_DIR/secrets.env"
if [ ! -f "$secret_file" ]; then
  # One JWT secret shared by every component (tasks authenticate to the execution API with it): 64 bytes,
  # the length RFC 7518 asks of a key for the HS512 tokens (PyJWT warns in every component below that).
  ( umask 077; printf 'STACK_JWT_SECRET=%s\nSTACK_PASSWORD=%s\n' \
      "$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
      "$(python -c 'import secrets; print(secrets.token_urlsafe(12))')" >"$secret_file" )
fi
source "$secret_file"

export AIRFLOW__CORE__EXECUTOR="$executor"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$db_url"
if [ "$executor" = CeleryExecutor ]; then
  export AIRFLOW__CELERY__BROKER_URL="${STACK_BROKER_URL:-redis://127.0.0.1:6379/5}"
  export AIRFLOW__CELERY__RESULT_BACKEND="db+${db_plain/postgresql:\/\//postgresql+psycopg2://}"
  export AIRFLOW__CELERY__WORKER_CONCURRENCY="${STACK_CONCURRENCY:-2}"
fi
if [ "${STACK_REPLAY_ONLY:-0}" = 1 ]; then
  export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False
fi
export AIRFLOW__CORE__PARALLELISM="${STACK_PARALLELISM:-4}"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$port"
export AIRFLOW__API__WORKERS=1
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
export AIRFLOW__API_AUTH__JWT_SECRET="$STACK_JWT_SECRET"
export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$user:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$STACK_DIR/passwords.json"
export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=True
export AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST=127.0.0.1
export AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT="$port_base"
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$((port_base + 1))"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="$((port_base + 2))"
# New DAG files are picked up within 30 s (default 5 min).
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"

pids="$STACK_DIR/pids"
logs="$STACK_DIR/logs"
mkdir -p "$pids" "$logs" "$AIRFLOW_HOME"

alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }

# Every process of a component: its session (setsid made the component a session leader) plus any
# descendant that left it.
members() {
  local pid="$1"
  { ps -e -o pid=,sid= | awk -v s="$pid" '$2 == s {print $1}'; descendants "$pid"; } | sort -un
}
descendants() {
  local c
  for c in $(ps -e -o pid=,ppid= | awk -v p="$1" '$2 == p {print $1}'); do echo "$c"; descendants "$c"; done
}

create_database() {
  python - "$db_plain" <<'PY'
import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

target = conninfo_to_dict(sys.argv[1])
name = target["dbname"]
with psycopg.connect(make_conninfo(sys.argv[1], dbname="postgres"), autocommit=True) as conn:
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
PY
}

init() {  # the metadata database, the pools and the connections the tasks will use, before any component
  case "$db_url" in sqlite*) ;; *) create_database ;; esac
  # The admin password is ours, not generated: the simple auth manager reads this file.
  [ -f "$STACK_DIR/passwords.json" ] || ( umask 077; printf '{"%s": "%s"}\n' "$user" "$STACK_PASSWORD" \
      >"$STACK_DIR/passwords.json" )
  local how="${STACK_CONNECTIONS:-}"
  [ -n "$how" ] || { [ "$executor" = CeleryExecutor ] && how=required || how=embedded; }
  case "$how" in
    none|embedded|required) ;;
    *) echo "error: STACK_CONNECTIONS must be required, embedded or none, not $how" >&2; exit 2 ;;
  esac
  # One process does `airflow db migrate`, the pools of recouvra.operations.POOLS and the connection
  # check (embedded: the source and warehouse may be the configuration's embedded files): Airflow starts
  # once instead of three times (about 15 s less on the 2-core machine).
  local rc=0
  python -m recouvra.airflow_adapter.bootstrap --log "$logs/db-migrate.log" --connections "$how" || rc=$?
  case "$rc" in
    0) ;;
    1) echo "error: connections missing (above); see the header of scripts/stack.sh and docs/runbook.md," \
            "\"The stack's connections\"" >&2; exit 1 ;;
    *) echo "error: the metadata database could not be prepared; last lines of $logs/db-migrate.log:" >&2
       tail -n 40 "$logs/db-migrate.log" >&2; exit 1 ;;
  esac
}

start_component() {
  local name="$1"; shift
  if [ -f "$pids/$name.pid" ] && alive "$(cat "$pids/$name.pid")"; then
    echo "  $name already running (pid $(cat "$pids/$name.pid"))"; return
  fi
  # setsid: the component leads its own session, so stop() finds every child it forks.
  setsid airflow "$@" >"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pids/$name.pid"
  echo "  $name pid $! (log $logs/$name.log)"
}

wait_for() {  # wait_for WHAT TIMEOUT_S COMMAND...
  local what="$1" timeout="$2"; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    for name in "${COMPONENTS[@]}"; do
      if [ -f "$pids/$name.pid" ] && ! alive "$(cat "$pids/$name.pid")"; then
        echo "error: $name exited; last lines of $logs/$name.log:" >&2; tail -n 30 "$logs/$name.log" >&2
        return 1
      fi
    done
    if (( SECONDS - t0 > timeout )); then echo "error: $what not ready after ${timeout}s" >&2; return 1; fi
    sleep 1
  done
  echo "  $what ready ($((SECONDS - t0))s)"
}

start() {
  local t0=$SECONDS
  local mode=""; [ "${STACK_REPLAY_ONLY:-0}" = 1 ] && mode=", replay only: no run of the scheduler's own"
  echo "== Airflow stack ($executor$mode) in $STACK_DIR"
  init
  start_component api-server api-server --port "$port"
  start_component scheduler scheduler
  start_component dag-processor dag-processor
  start_component triggerer triggerer
  if [ "$executor" = CeleryExecutor ]; then
    start_component celery-worker celery worker --concurrency "${STACK_CONCURRENCY:-2}" \
      --celery-hostname "recouvra-stack@%h"
  fi
  wait_for api-server 120 curl -fsS "http://127.0.0.1:$port/api/v2/monitor/health"
  wait_for scheduler 120 curl -fsS "http://127.0.0.1:$port_base/health"
  [ "$executor" != CeleryExecutor ] || wait_for celery-worker 120 celery --app airflow.providers.celery.executors.celery_executor.app \
    inspect ping -d "recouvra-stack@$(hostname)" --timeout 2
  echo "== up in $((SECONDS - t0))s"
  echo "   UI:        http://127.0.0.1:$port   user $user, password $STACK_PASSWORD"
  echo "   token:     curl -X POST http://127.0.0.1:$port/auth/token -H 'Content-Type: application/json' \\"
  echo "                -d '{\"username\": \"$user\", \"password\": \"$STACK_PASSWORD\"}'"
  echo "   logs:      $logs   task logs: $AIRFLOW_HOME/logs"
  echo "   stop:      make stack-stop"
}

stop() {
  local name pid all=() left
  for name in "${COMPONENTS[@]}"; do
    [ -f "$pids/$name.pid" ] || continue
    pid=$(cat "$pids/$name.pid")
    mapfile -t members_of < <(members "$pid")
    all+=("${members_of[@]}")
    # The whole process group first (children included), then any member outside it.
    kill -TERM -- "-$pid" 2>/dev/null || true
    kill -TERM "${members_of[@]}" 2>/dev/null || true
    echo "  $name: SIGTERM to pid $pid and ${#members_of[@]} process(es) of its session"
  done
  [ ${#all[@]} -gt 0 ] || { echo "nothing to stop"; return 0; }
  for _ in $(seq 1 40); do
    left=(); for pid in "${all[@]}"; do alive "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.5
  done
  if [ ${#left[@]} -gt 0 ]; then
    echo "  SIGKILL to ${left[*]} (still running after 20s)"
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 1
    left=(); for pid in "${all[@]}"; do alive "$pid" && left+=("$pid"); done
  fi
  rm -f "$pids"/*.pid
  if [ ${#left[@]} -gt 0 ]; then echo "error: still running: ${left[*]}" >&2; return 1; fi
  echo "stopped: ${#all[@]} process(es), none left"
}

status() {
  local name pid
  for name in "${COMPONENTS[@]}"; do
    if [ -f "$pids/$name.pid" ] && alive "$(cat "$pids/$name.pid")"; then
      pid=$(cat "$pids/$name.pid"); echo "  $name running (pid $pid, $(members "$pid" | wc -l) processes)"
    else
      echo "  $name stopped"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

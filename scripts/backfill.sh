#!/usr/bin/env bash
# The demo's months replayed by Airflow's own scheduler into a fresh data folder: the backfill of the
# whole range that `make reproduce` compares, file by file and row by row, with what `make demo` made.
#
#   scripts/backfill.sh TARGET_DIR
#
# In TARGET_DIR (emptied first): the same seed as the demo (SCALE, SEED), the embedded SFTP server, and an
# Airflow stack of its own (scripts/stack.sh: api-server, scheduler, dag-processor, triggerer;
# LocalExecutor; SQLite metadata, or STACK_DB_URL) that creates no run of its own (STACK_REPLAY_ONLY=1).
# Then, month by month as the demo does (scripts/demo-lib.sh: the source advances, the agencies
# answer), every DAG run of the demo is asked of the scheduler at the demo's logical instant: the DAGs on
# a clock by `airflow backfill create --from-date T --to-date T`, the asset-scheduled and unscheduled
# ones (debtor_master, collections_reconcile, assignment_monthly, commission_monthly, kpi_load,
# warehouse_setup) by a run triggered with that logical date, each waited for. Ends with `recouvra fingerprint --out TARGET_DIR/fingerprint.json`; every process it
# started is stopped by its PID, also on failure.
# Settings: SCALE [S], SEED [42], DEMO_MONTHS [3], DEMO_START [the demo's], STACK_DB_URL [SQLite].
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/backfill.sh TARGET_DIR}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
find "$target" -mindepth 1 -delete

# Everything of the embedded default lives under TARGET_DIR: drop what a caller's environment points at.
for var in $(compgen -e | grep -E '^(RECOUVRA__STORAGE__|RECOUVRA_DEMO_DAGS$|RECOUVRA_SCHEDULE_END$|AIRFLOW_CONN_|AIRFLOW__DATABASE__|AIRFLOW_HOME$|STACK_AIRFLOW_HOME$)' || true); do
  unset "$var"
done
export RECOUVRA_DATA_DIR="$target"
export STACK_DIR="$target/stack"
export AIRFLOW_HOME="$STACK_DIR/airflow"
source scripts/env.sh
source scripts/demo-lib.sh
logs="$target/backfill-logs"
mkdir -p "$logs" "$AIRFLOW_HOME"
timings=""

export STACK_EXECUTOR=LocalExecutor STACK_REPLAY_ONLY=1 STACK_CONNECTIONS=embedded
export STACK_DB_URL="${STACK_DB_URL:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$STACK_DB_URL"   # for `airflow backfill create`
ports="$(free_ports 4 23000)"
export STACK_PORT="$ports" STACK_PORT_BASE=$((ports + 1))  # api-server, then the three of stack.sh
export STACK_PARALLELISM=2

echo "== replaying the demo's months under Airflow's scheduler into $target"
months="${DEMO_MONTHS:-3}"
demo_window "$months"   # the demo's months and seed window (scripts/demo-lib.sh)
recouvra seed --scale "${SCALE:-S}" --seed "${SEED:-42}" >"$logs/seed.log" 2>&1 || { tail -n 30 "$logs/seed.log"; exit 1; }
recouvra sftp serve --daemon >/dev/null
cleanup() {
  bash scripts/stack.sh stop >"$logs/stack-stop.log" 2>&1 || cat "$logs/stack-stop.log"
  recouvra sftp stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$(recouvra sftp env)"   # AIRFLOW_CONN_SFTP_AGxx: the stack's components inherit them
bash scripts/stack.sh start | grep -v -E "password|token|-d .\{|stop: " | sed "s/^/  /"

# demo_agencies is not loaded (RECOUVRA_DEMO_DAGS unset): the agencies answer through the same call,
# `recouvra simulate-agencies` (scripts/demo-lib.sh), at the same point of each month.
dags=(warehouse_setup portfolio_extract debtor_master collections_reconcile assignment_monthly
      commission_monthly kpi_load payments_weekly returns_ingest)
printf '  %-49s ' "DAGs parsed and unpaused"
python scripts/scheduler_run.py ready "${dags[@]}"

RUNNER=scheduler
start="$DEMO_START"
run_dag warehouse_setup "$start"
month="$start"
for i in $(seq 0 "$months"); do
  run_month "$i" "$month" "$months"
  month="$(next_month "$month")"
done
recouvra fingerprint --out "$target/fingerprint.json" >/dev/null
echo "== replay done: fingerprint $target/fingerprint.json"

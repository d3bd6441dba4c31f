#!/usr/bin/env bash
# The demo's DAG runs, through the embedded Airflow (`airflow dags test`: real task runs, SQLite metadata).
# Called by `make demo` after install, `airflow db migrate` and the seed. Each step prints its time;
# the full Airflow log of each run is kept under data/airflow/demo-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
logs="$AIRFLOW_HOME/demo-logs"
mkdir -p "$logs"

timings="$logs/timings.tsv"  # dag, logical date, seconds, peak MiB: the figures of docs/benchmarks.md
source scripts/demo-lib.sh

month_start="${DEMO_START:-$DEMO_START_DEFAULT}"  # scripts/demo-lib.sh: the seed's history ends before it

# The agencies' SFTP drops: the project's own server on loopback, one chrooted account per agency, a
# pinned host key; Airflow reaches it through one connection per agency (AIRFLOW_CONN_SFTP_AGxx).
recouvra sftp serve --daemon
trap 'recouvra sftp stop >/dev/null 2>&1 || true' EXIT  # by its PID, also when a run fails
eval "$(recouvra sftp env)"

echo "== DAG runs through the embedded Airflow (logs: $logs)"
: >"$timings"
run_dag warehouse_setup "$month_start"
month="$month_start"
months="${DEMO_MONTHS:-3}"
for i in $(seq 0 "$months"); do
  run_month "$i" "$month" "$months"
  month="$(next_month "$month")"
done

echo
echo "== What the demo produced"
recouvra status

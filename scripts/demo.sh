#!/usr/bin/env bash
# The demo's DAG runs, through the embedded Airflow (`airflow dags test`: real task runs, SQLite metadata).
# Called by `make demo` after install, `airflow db migrate` and the seed. Each step prints its time;
# the full Airflow log of each run is kept under data/airflow/demo-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
logs="$AIRFLOW_HOME/demo-logs"
mkdir -p "$logs"

run_dag() {  # run_dag DAG_ID LOGICAL_DATE
  local dag="$1" date="$2" log="$logs/$1_$2.log" t0=$SECONDS
  printf '  %-28s %-12s ' "$dag" "$date"
  if airflow dags test "$dag" "$date" >"$log" 2>&1; then
    printf 'ok (%ss)\n' $((SECONDS - t0))
  else
    printf 'FAILED (%ss), last lines of %s:\n' $((SECONDS - t0)) "$log"
    tail -n 40 "$log"
    exit 1
  fi
}

# The demo's first month: the day after the seed's as-of date (its history ends with October 2026).
month_start="${DEMO_START:-2026-11-01}"

# The agencies' SFTP drops: the project's own server on loopback, one chrooted account per agency, a
# pinned host key; Airflow reaches it through one connection per agency (AIRFLOW_CONN_SFTP_AGxx).
recouvra sftp serve --daemon
eval "$(recouvra sftp env)"
airflow pools set sftp_agencies 4 "SFTP connections to agency servers" >/dev/null

echo "== DAG runs through the embedded Airflow (logs: $logs)"
run_dag warehouse_setup "$month_start"
run_dag portfolio_extract "$month_start"
run_dag debtor_master "$month_start"
run_dag assignment_monthly "$month_start"

echo
echo "== What the demo produced"
recouvra status

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
run_dag() {  # run_dag DAG_ID LOGICAL_DATE
  local dag="$1" date="$2" log="$logs/$1_$2.log" stats="$logs/.stats" secs mib
  printf '  %-28s %-20s ' "$dag" "$date"
  rm -f "$stats"  # a failure to start must not report the previous run's figures
  if python scripts/measure.py "$stats" -- airflow dags test "$dag" "$date" >"$log" 2>&1; then
    read -r secs mib <"$stats"
    printf 'ok (%ss, peak %s MiB)\n' "$secs" "$mib"
    printf '%s\t%s\t%s\t%s\n' "$dag" "$date" "$secs" "$mib" >>"$timings"
  else
    read -r secs mib <"$stats" || true
    printf 'FAILED (%ss), last lines of %s:\n' "${secs:-?}" "$log"
    tail -n 40 "$log"
    exit 1
  fi
}

# The demo's first month: the day after the seed's as-of date (its history ends with October 2026).
month_start="${DEMO_START:-2026-11-01}"

# The agencies' SFTP drops: the project's own server on loopback, one chrooted account per agency, a
# pinned host key; Airflow reaches it through one connection per agency (AIRFLOW_CONN_SFTP_AGxx).
recouvra sftp serve --daemon
trap 'recouvra sftp stop >/dev/null 2>&1 || true' EXIT  # by its PID, also when a run fails
eval "$(recouvra sftp env)"


month_end() { date -d "$1 +1 month -1 day" +%Y-%m-%d; }
next_month() { date -d "$1 +1 month" +%Y-%m-%d; }

echo "== DAG runs through the embedded Airflow (logs: $logs)"
: >"$timings"
run_dag warehouse_setup "$month_start"
month="$month_start"
months="${DEMO_MONTHS:-3}"
for i in $(seq 0 "$months"); do
  echo "-- ${month:0:7}"
  run_dag portfolio_extract "$month"       # the fund's ledger and portfolio up to the 1st
  run_dag debtor_master "$month"           # one legal entity, one debtor
  run_dag collections_reconcile "$month"   # ledger payments matched and attributed to dossiers
  if [ "$i" -gt 0 ]; then
    run_dag commission_monthly "$month"    # last month's statements, integrity checked, published
    run_dag kpi_load "$month"              # KPI marts and the monthly report
  fi
  [ "$i" -eq "$months" ] && break
  run_dag assignment_monthly "$month"      # select, allocate, publish the packages and recalls
  run_dag payments_weekly "$month"         # what the ledger received for open dossiers
  end="$(month_end "$month")"
  printf '  %-28s %-12s ' "agencies (simulated)" "$end"
  recouvra simulate-agencies --until "$end" --quiet >"$logs/simulate_$end.log" 2>&1 \
    && echo "ok (files in each agency's inbox/)" || { echo FAILED; tail -n 30 "$logs/simulate_$end.log"; exit 1; }
  run_dag returns_ingest "${end}T23:00:00" # judge, load, acknowledge
  month="$(next_month "$month")"
done

echo
echo "== What the demo produced"
recouvra status

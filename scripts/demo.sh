#!/usr/bin/env bash
# The demo's months as real DAG runs under Airflow's own scheduler. Called by `make demo` after install
# and the seed:
#
#   1. the embedded SFTP server (one chrooted account per agency) and an Airflow stack of the demo's own
#      (scripts/stack.sh: api-server, scheduler, dag-processor, triggerer; LocalExecutor; SQLite metadata
#      at $AIRFLOW_HOME/airflow.db, new for each demo), with the demo-only DAG demo_agencies
#      (RECOUVRA_DEMO_DAGS=1) and the DAGs on a clock ending at the demo's last month
#      (RECOUVRA_SCHEDULE_END: the scheduler never starts today's run of its own);
#   2. every DAG unpaused: warehouse_setup runs once by itself (@once);
#   3. month by month, in time order: the fund's source advances (synthetic), then a backfill (the one
#      `airflow backfill create` makes, asked through the REST API) of each DAG on a clock at the month's
#      instants (portfolio_extract the 1st 02:00,
#      payments_weekly the first Monday from the 4th, returns_ingest the last day 23:00); each backfill's
#      asset events start the rest (debtor_master, collections_reconcile, assignment_monthly, demo_agencies,
#      commission_monthly, kpi_load: docs/architecture.md "Data-aware scheduling") and the demo waits
#      until no run is queued or running before the next;
#   4. a table of every run (type, DAG, month, wall, tasks, state, the run summary's counts), then every
#      process it started is stopped by its PID (also on failure).
#
# RUNNER=dags-test runs the same months as explicit `airflow dags test` runs instead (scripts/demo-lib.sh
# run_month; about 9 s of Airflow start-up per run). Logs: $AIRFLOW_HOME/demo-logs/.
# Settings: DEMO_MONTHS [3], DEMO_START [July 2026, earlier when the months would reach the future], STACK_PORT / STACK_PORT_BASE [free ports],
# STACK_PARALLELISM [2], SCHEDULER_RUN_BACKFILL [api; cli: `airflow backfill create`].
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
logs="$AIRFLOW_HOME/demo-logs"
rm -rf "$logs"
mkdir -p "$logs"

timings="$logs/timings.tsv"  # step, logical date, seconds[, peak MiB]: the figures of docs/benchmarks.md
source scripts/demo-lib.sh

months="${DEMO_MONTHS:-3}"
demo_window "$months"   # scripts/demo-lib.sh: the seed's history ends before the first month
month_start="$DEMO_START"
: >"$timings"

# The agencies' SFTP drops: the project's own server on loopback, one chrooted account per agency, a
# pinned host key; Airflow reaches it through one connection per agency (AIRFLOW_CONN_SFTP_AGxx).
recouvra sftp serve --daemon
trap 'recouvra sftp stop >/dev/null 2>&1 || true' EXIT  # by its PID, also when a run fails
eval "$(recouvra sftp env)"

if [ "${RUNNER:-scheduler}" = dags-test ]; then
  airflow db migrate >"$logs/db-migrate.log" 2>&1 || { cat "$logs/db-migrate.log"; exit 1; }
  python -m recouvra.operations pools >"$logs/pools.json"
  airflow pools import "$logs/pools.json" >"$logs/pools.log" 2>&1 || { cat "$logs/pools.log"; exit 1; }
  echo "== DAG runs through the embedded Airflow, \`airflow dags test\` (logs: $logs)"
  run_dag warehouse_setup "$month_start"
  month="$month_start"
  for i in $(seq 0 "$months"); do
    run_month "$i" "$month" "$months"
    month="$(next_month "$month")"
  done
  echo
  echo "== What the demo produced"
  recouvra status
  exit 0
fi

last="$month_start"
for _ in $(seq 1 "$months"); do last="$(next_month "$last")"; done
export RECOUVRA_DEMO_DAGS=1                          # dags/demo_agencies.py defines its DAG
export RECOUVRA_SCHEDULE_END="${last}T02:00"         # the clock DAGs' end_date: the last instant asked
if [ "$(TZ=Africa/Casablanca date -d "$RECOUVRA_SCHEDULE_END" +%s)" -ge "$(date +%s)" ]; then
  echo "error: the demo's last instant $RECOUVRA_SCHEDULE_END (Africa/Casablanca) is not past:" \
       "Airflow backfills past dates only; ask fewer months (MONTHS) or an earlier DEMO_START" >&2
  exit 2
fi
export STACK_EXECUTOR=LocalExecutor
export STACK_DIR="$AIRFLOW_HOME/stack" STACK_AIRFLOW_HOME="$AIRFLOW_HOME"
export STACK_DB_URL="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$STACK_DB_URL"   # for `airflow backfill create`
if [ -z "${STACK_PORT:-}" ]; then
  ports="$(free_ports 4)"
  export STACK_PORT="$ports" STACK_PORT_BASE=$((ports + 1))  # api-server, then the three of stack.sh
fi
export STACK_PARALLELISM="${STACK_PARALLELISM:-2}"
# The scheduler's settings for short tasks (heartbeat, idle sleep, preloaded task modules).
source scripts/scheduler-tuning.sh
# The tasks' own words in their logs (what the UI shows): the pipeline's loggers and what a task prints
# at INFO, Airflow's own at WARNING as everywhere in the embedded default (scripts/env.sh).
export AIRFLOW__LOGGING__NAMESPACE_LEVELS="${AIRFLOW__LOGGING__NAMESPACE_LEVELS:-recouvra=INFO task=INFO}"
# Backfills through the REST API (POST /api/v2/backfills): the backfill `airflow backfill create` makes,
# without starting Airflow's CLI for each (SCHEDULER_RUN_BACKFILL=cli to use the CLI).
export SCHEDULER_RUN_BACKFILL="${SCHEDULER_RUN_BACKFILL:-api}"
rm -f "$AIRFLOW_HOME/airflow.db"   # each demo's run history starts empty (its data is re-made the same)

cleanup() {
  bash scripts/stack.sh stop >"$logs/stack-stop.log" 2>&1 || cat "$logs/stack-stop.log"
  echo "== stopped by PID: $(grep -c 'SIGTERM' "$logs/stack-stop.log" || true) Airflow components" \
       "($(tail -n 1 "$logs/stack-stop.log")), and the SFTP server"
  recouvra sftp stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
t0=$SECONDS
bash scripts/stack.sh start | grep -v -E "password|token|-d .\{|stop: " | sed "s/^/  /"

dags=(warehouse_setup portfolio_extract debtor_master collections_reconcile assignment_monthly demo_agencies
      commission_monthly kpi_load payments_weekly returns_ingest)
printf '  %-49s ' "DAGs parsed and unpaused"
python scripts/scheduler_run.py ready "${dags[@]}"

step() {  # step DAG INSTANT: backfill the DAG on a clock at INSTANT, then wait for what its assets start
  local dag="$1" when="$2" log="$logs/$1_$2.log" t=$SECONDS
  printf '  %-28s %-20s ' "$dag" "$when"
  if ! python scripts/scheduler_run.py backfill "$dag" "$when" >"$log" 2>&1; then
    echo "backfill: FAILED, $log:"; tail -n 40 "$log"; exit 1
  fi
  if ! python scripts/scheduler_run.py settle >>"$log" 2>&1; then
    echo "FAILED, $log:"; tail -n 40 "$log"; exit 1
  fi
  echo "backfill: ok, and the runs its assets started ($((SECONDS - t))s)"
  printf '%s\t%s\t%s\n' "$dag" "$when" "$((SECONDS - t))" >>"$timings"
}

echo "== The demo's months under Airflow's scheduler (logs: $logs; task logs: $AIRFLOW_HOME/logs)"
printf '  %-28s %-20s ' "warehouse_setup" "@once"
python scripts/scheduler_run.py settle warehouse_setup >"$logs/warehouse_setup.log" 2>&1 \
  && echo "scheduled: ok" || { echo "FAILED:"; tail -n 40 "$logs/warehouse_setup.log"; exit 1; }
month="$month_start"
for i in $(seq 0 "$months"); do
  echo "-- ${month:0:7}"
  [ "$i" -gt 0 ] && advance_source "$month"
  step portfolio_extract "${month}T02:00"   # then debtor_master, reconcile, assignment, agencies, commission, kpi
  if [ "$i" -lt "$months" ]; then
    step payments_weekly "$(first_monday_from "${month:0:8}04")T07:00"
    step returns_ingest "$(month_end "$month")T23:00"   # then the returns' reconciliation
  fi
  month="$(next_month "$month")"
done

echo
echo "== What each DAG run did (run summaries: $RECOUVRA_DATA_DIR/runs/)"
python scripts/scheduler_run.py report "$logs/runs.json"
echo "   demo under the scheduler: $((SECONDS - t0)) s from the stack's start"
echo
echo "== What the demo produced"
recouvra status

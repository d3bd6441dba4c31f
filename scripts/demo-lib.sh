# The demo's DAG runs as functions, sourced by scripts/demo.sh (`make demo`), scripts/reproduce.sh
# (`make reproduce`) and scripts/backfill.sh (`make backfill`): one place says which runs make a month
# and in which order.
# Needs: scripts/env.sh sourced, $logs (the log folder), the embedded SFTP server started.
#
# `make demo` runs the months under Airflow's scheduler (scripts/demo.sh): it backfills the DAGs on a
# clock and the assets start the rest. run_month below is the same month written as explicit runs, in
# the order the assets make them happen (docs/architecture.md "Data-aware scheduling"), for the runs
# that are asked one by one: `airflow dags test` (RUNNER=dags-test: the re-runs of `make reproduce`,
# `make demo RUNNER=dags-test`) and the replay (RUNNER=scheduler, scripts/backfill.sh: a backfill of each
# instant for the DAGs on a clock, a run triggered at that instant for the others). Each run takes an
# explicit logical instant (the fund's local time):
#   portfolio_extract 1st 02:00 ("0 2 * * *"), then debtor_master and collections_reconcile at the same
#   instant (they follow its assets); assignment_monthly 1st 06:00, then the agencies work the month
#   (demo_agencies, on the placements; not the last month, which ends with its 1st); commission_monthly
#   2nd 08:00 (on the recalls), kpi_load 3rd 09:00 (on the statements): asset-triggered runs take
#   their inputs' instant, these three only their month; payments_weekly the first Monday from the
#   4th, 07:00; returns_ingest the last day, 23:00 (hourly), and the reconciliation its return files
#   trigger at that instant.
# RUNNER=scheduler makes run_dag drive a running stack (scripts/scheduler_run.py) instead of
# `airflow dags test`.

# The demo's first month: the day after the seed's as-of date. Its history ends with June 2026
# (config/recouvra.yaml, seed.end_month), so that every month the demo runs is in the past: Airflow's
# scheduler refuses future logical dates for backfills.
DEMO_START_DEFAULT=2026-07-01

# demo_window MONTHS [NOW_EPOCH]: exports DEMO_START (the first of MONTHS months, then the closing month)
# and RECOUVRA__SEED__END_MONTH (the seed's last declared month: the one before DEMO_START), each kept
# when already set. Without DEMO_START: DEMO_START_DEFAULT, or earlier when its closing month (MONTHS
# months after it, the last instant backfilled: its 1st 02:00, Africa/Casablanca) is not past at
# NOW_EPOCH [now]: then the closing month is the latest past one. `make demo MONTHS=7` on 2026-12-03
# runs May to November 2026 (the shares switch to results in November, docs/selection.md) and closes
# with December, on a seed whose history ends with April.
demo_window() {
  local months="$1" now="${2:-$(date +%s)}" latest
  if [ -z "${DEMO_START:-}" ]; then
    latest="$(TZ=Africa/Casablanca date -d "@$now" +%Y-%m-01)"
    if [ "$(TZ=Africa/Casablanca date -d "${latest}T02:00" +%s)" -ge "$now" ]; then
      latest="$(date -d "$latest -1 month" +%Y-%m-%d)"   # the 1st before 02:00: this month is not past
    fi
    DEMO_START="$(date -d "$latest -$months month" +%Y-%m-%d)"
    [[ "$DEMO_START" > "$DEMO_START_DEFAULT" ]] && DEMO_START="$DEMO_START_DEFAULT"
  fi
  : "${RECOUVRA__SEED__END_MONTH:=$(date -d "$DEMO_START -1 month" +%Y-%m)}"
  export DEMO_START RECOUVRA__SEED__END_MONTH
}

month_end() { date -d "$1 +1 month -1 day" +%Y-%m-%d; }
next_month() { date -d "$1 +1 month" +%Y-%m-%d; }
previous_month_label() { date -d "$1 -1 month" +%Y-%m; }

first_monday_from() { local d="$1"; while [ "$(date -d "$d" +%u)" != 1 ]; do d="$(date -d "$d +1 day" +%Y-%m-%d)"; done; echo "$d"; }

run_dag() {  # run_dag DAG_ID LOGICAL_DATE: one real DAG run (`airflow dags test`), timed
  local dag="$1" date="$2" log="$logs/$1_$2.log" stats="$logs/.stats" secs mib
  printf '  %-28s %-20s ' "$dag" "$date"
  if [ "${RUNNER:-dags-test}" = scheduler ]; then
    local how=backfill
    case "$dag" in  # no backfill takes a DAG without a clock (on assets, or manual): trigger it
      warehouse_setup|debtor_master|collections_reconcile) how=trigger ;;
      assignment_monthly|commission_monthly|kpi_load) how=trigger ;;
    esac
    if python scripts/scheduler_run.py "$how" "$dag" "$date" >"$log" 2>&1; then
      echo "$how: $(tail -n 1 "$log")"; return 0
    fi
    echo "$how: FAILED, $log:"; tail -n 40 "$log"; exit 1
  fi
  rm -f "$stats"  # a failure to start must not report the previous run's figures
  if python scripts/measure.py "$stats" -- airflow dags test "$dag" "$date" >"$log" 2>&1; then
    read -r secs mib <"$stats"
    printf 'ok (%ss, peak %s MiB)\n' "$secs" "$mib"
    [ -n "${timings:-}" ] && printf '%s\t%s\t%s\t%s\n' "$dag" "$date" "$secs" "$mib" >>"$timings"
    return 0
  fi
  read -r secs mib <"$stats" || true
  printf 'FAILED (%ss), last lines of %s:\n' "${secs:-?}" "$log"
  tail -n 40 "$log"
  exit 1
}

advance_source() {  # advance_source FIRST_DAY: the fund's database lives through the month before it
  local label
  label="$(previous_month_label "$1")"
  printf '  %-28s %-20s ' "source advanced (synthetic)" "$label"
  recouvra seed --advance-to "$label" --quiet >"$logs/advance_$label.log" 2>&1 \
    && { if grep -q "^  $label:" "$logs/advance_$label.log"; then
           echo "ok (+new/~changed rows: $(grep -m1 "^  $label:" "$logs/advance_$label.log" | sed "s/^  $label: //"))"
         else echo "ok ($(tail -n 1 "$logs/advance_$label.log" | sed 's/^source [^ ]* //'))"; fi; } \
    || { echo FAILED; tail -n 30 "$logs/advance_$label.log"; exit 1; }
}

simulate_agencies() {  # simulate_agencies LAST_DAY: the agencies work the month and send their returns
  printf '  %-28s %-12s ' "agencies (simulated)" "$1"
  recouvra simulate-agencies --until "$1" --quiet >"$logs/simulate_$1.log" 2>&1 \
    && echo "ok (files in each agency's inbox/)" || { echo FAILED; tail -n 30 "$logs/simulate_$1.log"; exit 1; }
}

run_month() {  # run_month INDEX FIRST_DAY LAST_INDEX [agencies]: the month's DAG runs, as the assets order them
  local i="$1" month="$2" last="$3" agencies="${4:-agencies}" end
  local day2="${month:0:8}02" day3="${month:0:8}03" day4="${month:0:8}04"
  end="$(month_end "$month")"
  echo "-- ${month:0:7}"
  [ "$i" -gt 0 ] && advance_source "$month"
  run_dag portfolio_extract "${month}T02:00"      # the fund's ledger and portfolio up to 02:00 on the 1st
  run_dag debtor_master "${month}T02:00"          # one legal entity, one debtor
  run_dag collections_reconcile "${month}T02:00"  # ledger payments matched; closes the month before
  run_dag assignment_monthly "${month}T06:00"     # recalls; select, allocate, publish the packages
  if [ "$i" -lt "$last" ] && [ "$agencies" = agencies ]; then
    simulate_agencies "$end"                      # the agencies work the month, send their returns
  fi
  run_dag commission_monthly "${day2}T08:00"      # last month's statements (the first month's: none)
  if [ "$i" -gt 0 ]; then
    run_dag kpi_load "${day3}T09:00"              # KPI marts and the monthly report
  fi
  [ "$i" -eq "$last" ] && return 0
  run_dag payments_weekly "$(first_monday_from "$day4")T07:00"  # what the ledger received for open dossiers
  run_dag returns_ingest "${end}T23:00"           # judge, load, acknowledge
  run_dag collections_reconcile "${end}T23:00"    # the returns' reconciliation (asset return_files)
  return 0
}

free_ports() {  # free_ports N [FIRST]: the first of N consecutive ports free on 127.0.0.1, from FIRST [21000]
  python - "$1" "${2:-21000}" <<'PY'
import socket
import sys

n, first = int(sys.argv[1]), int(sys.argv[2])
for base in range(first, 60000, 7):
    socks = []
    try:
        for port in range(base, base + n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
PY
}

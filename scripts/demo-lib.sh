# The demo's DAG runs as functions, sourced by scripts/demo.sh (`make demo`) and scripts/reproduce.sh
# (`make reproduce`): one place says which runs make a month and in which order.
# Needs: scripts/env.sh sourced, $logs (the log folder), the embedded SFTP server started.

month_end() { date -d "$1 +1 month -1 day" +%Y-%m-%d; }
next_month() { date -d "$1 +1 month" +%Y-%m-%d; }
previous_month_label() { date -d "$1 -1 month" +%Y-%m; }

run_dag() {  # run_dag DAG_ID LOGICAL_DATE: one real DAG run (`airflow dags test`), timed
  local dag="$1" date="$2" log="$logs/$1_$2.log" stats="$logs/.stats" secs mib
  printf '  %-28s %-20s ' "$dag" "$date"
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

run_month() {  # run_month INDEX FIRST_DAY LAST_INDEX [agencies]: the month's DAG runs in order
  local i="$1" month="$2" last="$3" agencies="${4:-agencies}" end
  echo "-- ${month:0:7}"
  [ "$i" -gt 0 ] && advance_source "$month"
  run_dag portfolio_extract "$month"       # the fund's ledger and portfolio up to the 1st
  run_dag debtor_master "$month"           # one legal entity, one debtor
  run_dag collections_reconcile "$month"   # ledger payments matched and attributed to dossiers
  if [ "$i" -gt 0 ]; then
    run_dag commission_monthly "$month"    # last month's statements, integrity checked, published
    run_dag kpi_load "$month"              # KPI marts and the monthly report
  fi
  [ "$i" -eq "$last" ] && return 0
  run_dag assignment_monthly "$month"      # select, allocate, publish the packages and recalls
  run_dag payments_weekly "$month"         # what the ledger received for open dossiers
  end="$(month_end "$month")"
  [ "$agencies" = agencies ] && simulate_agencies "$end"
  run_dag returns_ingest "${end}T23:00:00" # judge, load, acknowledge
  return 0
}

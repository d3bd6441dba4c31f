#!/usr/bin/env bash
# `make reproduce`: the proof that re-runs and backfills change nothing that was right (issue 12).
# After `make demo` (its months under Airflow's scheduler, driven by assets): fingerprint every file in
# the agencies' outboxes and every mart row; re-run the first two months' DAG runs one by one with
# `airflow dags test` (the agencies are not asked to send again: their returns are in); fingerprint
# and compare; run `make demo` again (on the same data its extractions find their dates published and
# emit nothing, so nothing downstream runs again); fingerprint and compare; replay the whole range
# under Airflow's own scheduler into a fresh folder (scripts/backfill.sh: `airflow backfill create` of
# every run on a clock, the asset-scheduled DAGs triggered at the same instants, LocalExecutor) and
# compare its fingerprint too: the explicit runs of scripts/demo-lib.sh against the demo's asset-driven
# ones.
# Prints the figures (files compared, rows compared, differences) and fails on any difference.
# Usage: scripts/reproduce.sh "<the make demo command line>"   (REPRODUCE_BACKFILL=0 skips the replay)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
demo_cmd="$1"
logs="$AIRFLOW_HOME/reproduce-logs"
mkdir -p "$logs"
source scripts/demo-lib.sh
RUNNER=dags-test   # the re-runs are asked one by one, as explicit `airflow dags test` runs
fp="$logs/fingerprints"
mkdir -p "$fp"

[ -f "$AIRFLOW_HOME/demo-logs/timings.tsv" ] || { echo "run make demo first"; exit 1; }
months="${DEMO_MONTHS:-3}"
demo_window "$months"   # the demo's months and seed window (scripts/demo-lib.sh)
start="$DEMO_START"
recouvra fingerprint --out "$fp/0-after-demo.json"

status=0
recouvra sftp serve --daemon
eval "$(recouvra sftp env)"
echo "== re-running the first two months' DAG runs, one by one (logs: $logs)"
run_dag warehouse_setup "$start"
month="$start"
for i in 0 1; do
  run_month "$i" "$month" "$months" no-agencies
  month="$(next_month "$month")"
done
recouvra sftp stop >/dev/null 2>&1 || true
recouvra fingerprint --out "$fp/1-after-reruns.json"
echo "== after the re-runs, compared with the demo's first run"
recouvra fingerprint --compare "$fp/0-after-demo.json" "$fp/1-after-reruns.json" || status=1

echo "== make demo again"
$demo_cmd >"$logs/demo-again.log" 2>&1 || { tail -n 40 "$logs/demo-again.log"; exit 1; }
grep -E '^(-- |  [a-z_]+ +[0-9])' "$logs/demo-again.log" | sed 's/^/  /' | tail -n 5
recouvra fingerprint --out "$fp/2-after-demo-again.json"
echo "== after make demo again, compared with the demo's first run"
recouvra fingerprint --compare "$fp/0-after-demo.json" "$fp/2-after-demo-again.json" || status=1

if [ "${REPRODUCE_BACKFILL:-1}" = 1 ]; then
  replay="$(cd "$(dirname "$AIRFLOW_HOME")" && pwd)/replay"
  echo "== the whole range backfilled under Airflow's scheduler into $replay"
  bash scripts/backfill.sh "$replay" >"$logs/backfill.log" 2>&1 || { tail -n 60 "$logs/backfill.log"; exit 1; }
  grep -E '^(-- |  [a-z_]+ +[0-9])' "$logs/backfill.log" | sed 's/^/  /' | tail -n 5
  echo "== after the scheduler's backfill, compared with the demo's first run"
  recouvra fingerprint --compare "$fp/0-after-demo.json" "$replay/fingerprint.json" || status=1
fi
exit "$status"

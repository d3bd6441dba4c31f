#!/usr/bin/env bash
# `make test`: the whole suite in two lanes side by side, one per core of the 2-core machine.
#
#   integration lane  tests/integration: real PostgreSQL, OpenSSH, Airflow processes, `make demo`,
#                     `make reproduce`, the production cycle. Shown as it runs.
#   unit lane         tests/unit, tests/dags, tests/bench: pure functions and embedded engines. Run at a
#                     lower priority (nice 10), so that the integration lane's deadlines see the machine as
#                     they would alone; its output is kept in a log and shown when both lanes have ended.
#
# One after the other, the suite took 80 minutes on a slow machine of this kind (45 on a quick one), close to
# CI's 90. The lanes share nothing: PostgreSQL databases are created per test under random names, every
# test writes under its own tmp_path (the unit lane has its own base folder), and the servers the
# integration tests start listen on ports they pick.
#
#   TEST_LANES=1 make test       the old single run (one pytest, the whole suite)
#   bash scripts/test.sh ARGS    one pytest with ARGS (a file, -k, -x...): no lanes
# Exit status: 0 when both lanes pass, else the integration lane's pytest status if it failed, else the
# unit lane's.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

if [ "$#" -gt 0 ] || [ "${TEST_LANES:-2}" = 1 ]; then
  exec "$BIN/pytest" "$@"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/recouvra-test.XXXXXX")
unit_log="$work/unit-lane.log"
lanes=()
stop_lanes() {  # on an early exit (a signal): neither lane outlives the script
  local pid
  for pid in "${lanes[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      pkill -TERM -P "$pid" 2>/dev/null  # the lane's pytest (the subshell waits for it)
      kill -TERM "$pid" 2>/dev/null
    fi
  done
}
trap stop_lanes EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

clock() { date +%s; }
minutes() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }

started=$(clock)
echo "make test: two lanes side by side; the unit lane (tests/unit tests/dags tests/bench, nice 10) writes to"
echo "  $unit_log and is shown when the integration lane (tests/integration, below) has ended"
(
  lane_start=$(clock)
  nice -n 10 "$BIN/pytest" tests/unit tests/dags tests/bench --durations=15 --basetemp="$work/unit-tmp" \
    > "$unit_log" 2>&1
  status=$?
  echo "unit lane: pytest exit status $status after $(minutes $(($(clock) - lane_start)))" >> "$unit_log"
  exit "$status"
) &
lanes+=($!)
# in the background too, so that a signal reaches the trap at once (bash runs it only between commands)
"$BIN/pytest" tests/integration --durations=15 &
lanes+=($!)

wait "${lanes[1]}"
integration_status=$?
integration_time=$(($(clock) - started))
wait "${lanes[0]}"
unit_status=$?
lanes=()

echo
echo "================================ unit lane (tests/unit tests/dags tests/bench) ================================"
cat "$unit_log"
echo
echo "make test: integration lane exit status $integration_status after $(minutes "$integration_time");" \
  "unit lane exit status $unit_status; whole suite $(minutes $(($(clock) - started)))"
if [ "$unit_status" -ne 0 ]; then
  echo "make test: the unit lane's log stays in $unit_log"
fi
if [ "$integration_status" -ne 0 ]; then
  exit "$integration_status"
fi
if [ "$unit_status" -ne 0 ]; then
  exit "$unit_status"
fi
rm -rf "$work"

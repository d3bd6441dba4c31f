#!/usr/bin/env bash
# The production form of Recouvra, natively, end to end: the demo's months (every DAG, the agencies'
# returns included) run by Airflow's scheduler on the Celery executor, with PostgreSQL for Airflow's
# metadata, the fund's source and the warehouse, Redis as the broker, and OpenSSH's sshd on loopback
# with one chrooted SFTP account per agency (scripts/sftp-host.sh). tests/integration/test_production_cycle.py
# runs it and compares its outputs with the embedded default's (scripts/backfill.sh): same files, same
# mart rows.
#
#   scripts/production-cycle.sh TARGET_DIR        (as root: system users, sshd's ChrootDirectory)
#
# In TARGET_DIR (emptied first): the lake, the keys, the logs, the stack (scripts/stack.sh) and
# fingerprint.json (`recouvra fingerprint`: every file the fund wrote in the agencies' homes, every mart
# row). Three fresh PostgreSQL databases <prefix>airflow, <prefix>source, <prefix>warehouse; the agencies'
# homes under /srv/recouvra-e2e-<id>/home, users and groups prefixed re<id>-; sshd on a free loopback
# port. Every connection reaches the stack the production way, from the environment
# (AIRFLOW_CONN_RECOUVRA_SOURCE, AIRFLOW_CONN_RECOUVRA_WAREHOUSE, AIRFLOW_CONN_SFTP_AG01..: checked by
# stack.sh at start, STACK_CONNECTIONS=required); the simulated agencies use the same ones
# (RECOUVRA_AGENCY_KEYS: each agency logs in with its own key). Then, month by month, the runs of the
# demo (scripts/demo-lib.sh, RUNNER=scheduler: a backfill of the instant for a DAG on a clock, a run
# triggered at the instant for the others), each waited for; the monthly DAGs and the extraction by the
# runbook's own commands (scripts/runbook_recipe.py: its recipes tested as written). Everything it started (stack, sshd) is
# stopped by PID, the users, groups, homes and databases removed, also on failure (E2E_KEEP=1 keeps the
# databases and homes to look at).
# Settings: SCALE [S], SEED [42], DEMO_MONTHS [3], E2E_PG_URL [postgresql://postgres@127.0.0.1:5432/postgres],
# E2E_DB_PREFIX [e2e_<id>_], E2E_BROKER_URL [redis://127.0.0.1:6379/9: its DB is flushed first],
# STACK_PORT / STACK_PORT_BASE [free ports].
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/production-cycle.sh TARGET_DIR}"
[ "$(id -u)" = 0 ] || { echo "error: run as root (agency users, sshd's ChrootDirectory)" >&2; exit 2; }
[ -x /usr/sbin/sshd ] || { echo "error: /usr/sbin/sshd missing: apt-get install openssh-server" >&2; exit 2; }
mkdir -p "$target"
target="$(cd "$target" && pwd)"
find "$target" -mindepth 1 -delete

for var in $(compgen -e | grep -E '^(RECOUVRA__STORAGE__|AIRFLOW_CONN_|AIRFLOW__DATABASE__|AIRFLOW_HOME$)' || true); do
  unset "$var"
done
export RECOUVRA_DATA_DIR="$target"
export STACK_DIR="$target/stack"
export AIRFLOW_HOME="$STACK_DIR/airflow"
source scripts/env.sh
source scripts/demo-lib.sh
logs="$target/cycle-logs"
mkdir -p "$logs" "$AIRFLOW_HOME"
timings=""

id="$(python -c 'import secrets; print(secrets.token_hex(3))')"
pg="${E2E_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
prefix="${E2E_DB_PREFIX:-e2e_${id}_}"
broker="${E2E_BROKER_URL:-redis://127.0.0.1:6379/9}"
sftp_root="/srv/recouvra-e2e-$id"
login_prefix="re$id-"
mapfile -t agencies < <(python -c 'from recouvra.config import load_settings
for a in load_settings().agencies: print(a.code)')

databases() {  # databases create|drop: the run's three databases
  python - "$1" "$pg" "${prefix}airflow" "${prefix}source" "${prefix}warehouse" <<'PY'
import sys

import psycopg
from psycopg import sql

action, url, *names = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    for name in names:
        if action == "create":
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
PY
}
db_url() {  # db_url SCHEME NAME: the admin URL pointing at database NAME
  python - "$pg" "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

url, scheme, name = sys.argv[1:]
parts = urlsplit(url)
print(urlunsplit((scheme, parts.netloc, "/" + name, parts.query, "")))
PY
}

sshd_pid=""
cleanup() {
  local rc=$?
  bash scripts/stack.sh stop >"$logs/stack-stop.log" 2>&1 || cat "$logs/stack-stop.log"
  if [ -n "$sshd_pid" ]; then  # the listener and its sessions (its children), by PID
    kill $(ps -e -o pid=,ppid= | awk -v p="$sshd_pid" '$2 == p {print $1}') "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
  if [ "${E2E_KEEP:-0}" != 1 ]; then
    local removed=0
    for _ in 1 2 3; do  # userdel refuses a login while one of its sessions is still ending
      bash scripts/sftp-host.sh remove --base "$sftp_root/home" --keys "$sftp_root/keys" --prefix "$login_prefix" \
        "${agencies[@]}" >"$logs/sftp-host-remove.log" 2>&1 && { removed=1; break; }
      sleep 2
    done
    [ "$removed" = 1 ] || echo "warning: users ${login_prefix}* not removed: $logs/sftp-host-remove.log" >&2
    rm -rf "$sftp_root"
    databases drop >/dev/null 2>&1 || echo "warning: could not drop the databases ${prefix}*" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

echo "== the production form: Celery, PostgreSQL (${prefix}airflow, ${prefix}source, ${prefix}warehouse), $broker, sshd"
databases create
python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).flushdb()" "$broker"

# --- sshd on loopback, one chroot and two logins per agency (scripts/sftp-host.sh) ---------------------
mkdir -p "$target/keys" "$target/sshd"
python - "$target/keys" "${agencies[@]}" <<'PY'
import sys
from pathlib import Path

from recouvra.sftp.keys import ensure_key_pair

keys = Path(sys.argv[1])
for name in ("fund", "host", *sys.argv[2:]):
    ensure_key_pair(keys / f"{name}_ed25519", comment=f"recouvra-e2e-{name}")
PY
mkdir -p -m 0755 /srv "$sftp_root"
host_opts=(--base "$sftp_root/home" --keys "$sftp_root/keys" --prefix "$login_prefix")
pairs=(); for a in "${agencies[@]}"; do pairs+=("$a=$target/keys/${a}_ed25519.pub"); done
bash scripts/sftp-host.sh provision "${host_opts[@]}" --fund-key "$target/keys/fund_ed25519.pub" "${pairs[@]}" \
  >"$logs/sftp-host.log"
bash scripts/sftp-host.sh sshd-config "${host_opts[@]}" >"$target/sshd/recouvra-sftp.conf"
sshd_port="$(free_ports 1 23000)"
cat >"$target/sshd/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $target/keys/host_ed25519
PidFile $target/sshd/sshd.pid
UsePAM no
PermitRootLogin no
StrictModes yes
LogLevel VERBOSE
AllowGroups ${login_prefix}recouvra-agency ${login_prefix}recouvra-fund
Subsystem sftp internal-sftp
Include $target/sshd/recouvra-sftp.conf
EOF
mkdir -p -m 0755 /run/sshd
/usr/sbin/sshd -t -f "$target/sshd/sshd_config"
/usr/sbin/sshd -D -f "$target/sshd/sshd_config" -E "$target/sshd/sshd.log" </dev/null &
sshd_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && break; sleep 0.1; done
echo "  sshd pid $sshd_pid on 127.0.0.1:$sshd_port, homes $sftp_root/home (${agencies[*]})"

# --- the connections, as production sets them: the environment every component inherits -------------
export AIRFLOW_CONN_RECOUVRA_SOURCE AIRFLOW_CONN_RECOUVRA_WAREHOUSE
AIRFLOW_CONN_RECOUVRA_SOURCE="$(db_url postgresql "${prefix}source")"
AIRFLOW_CONN_RECOUVRA_WAREHOUSE="$(db_url postgresql "${prefix}warehouse")"
eval "$(python - "$target/keys" "$sshd_port" "$login_prefix" <<'PY'
import json
import shlex
import sys
from pathlib import Path

from recouvra.config import load_settings
from recouvra.sftp.keys import public_key_line

keys, port, prefix = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
host_key = public_key_line(keys / "host_ed25519")
for a in load_settings().agencies:
    value = {"conn_type": "sftp", "host": "127.0.0.1", "port": port, "login": f"{prefix}fund-{a.code.lower()}",
             "extra": {"key_file": str(keys / "fund_ed25519"), "host_key": host_key, "look_for_keys": False,
                       "conn_timeout": 10}}
    print(f"export AIRFLOW_CONN_{a.sftp_conn_id.upper()}={shlex.quote(json.dumps(value))}")
PY
)"
# Tools outside Airflow (seed, fingerprint) read the configuration: point it at the same places.
export RECOUVRA__STORAGE__SOURCE_URL RECOUVRA__STORAGE__WAREHOUSE_URL RECOUVRA__STORAGE__SFTP_ROOT="$sftp_root"
RECOUVRA__STORAGE__SOURCE_URL="$(db_url postgresql+psycopg "${prefix}source")"
RECOUVRA__STORAGE__WAREHOUSE_URL="$(db_url postgresql+psycopg "${prefix}warehouse")"
export RECOUVRA_AGENCY_KEYS="$target/keys"

# --- the stack: Celery, PostgreSQL metadata, Redis broker; no run of the scheduler's own ---------------
export STACK_EXECUTOR=CeleryExecutor STACK_REPLAY_ONLY=1 STACK_CONNECTIONS=required
export STACK_DB_URL
STACK_DB_URL="$(db_url postgresql+psycopg2 "${prefix}airflow")"
export STACK_BROKER_URL="$broker"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$STACK_DB_URL"   # for `airflow backfill create`
if [ -z "${STACK_PORT:-}" ]; then
  ports="$(free_ports 4 23000)"
  export STACK_PORT="$ports" STACK_PORT_BASE=$((ports + 1))
fi
export STACK_PARALLELISM="${STACK_PARALLELISM:-4}" STACK_CONCURRENCY="${STACK_CONCURRENCY:-2}"

months="${DEMO_MONTHS:-3}"
demo_window "$months"   # the demo's months and seed window (scripts/demo-lib.sh)
recouvra seed --scale "${SCALE:-S}" --seed "${SEED:-42}" >"$logs/seed.log" 2>&1 || { tail -n 30 "$logs/seed.log"; exit 1; }
bash scripts/stack.sh start | grep -v -E "password|token|-d .\{|stop: " | sed "s/^/  /"

dags=(warehouse_setup portfolio_extract debtor_master collections_reconcile assignment_monthly
      commission_monthly kpi_load payments_weekly returns_ingest)
printf '  %-49s ' "DAGs parsed and unpaused"
python scripts/scheduler_run.py ready "${dags[@]}"

RUNNER=scheduler
# The runbook's recipes as written (docs/runbook.md, "Backfill a month"; scripts/runbook_recipe.py):
# the monthly DAGs are triggered and the extraction backfilled by the operator's own commands; the
# other runs go through scripts/scheduler_run.py as in the demo's replay.
eval "demo_$(declare -f run_dag)"
run_dag() {  # run_dag DAG_ID LOGICAL_DATE
  case "$1" in
    assignment_monthly|commission_monthly|kpi_load|portfolio_extract) ;;
    *) demo_run_dag "$@"; return ;;
  esac
  local log="$logs/$1_$2.log"
  printf '  %-28s %-20s ' "$1" "$2"
  if python scripts/runbook_recipe.py "$1" "$2" >"$log" 2>&1; then
    echo "runbook: $(tail -n 1 "$log")"; return 0
  fi
  echo "runbook: FAILED, $log:"; tail -n 40 "$log"; exit 1
}
start="$DEMO_START"
run_dag warehouse_setup "$start"
month="$start"
for i in $(seq 0 "$months"); do
  run_month "$i" "$month" "$months"
  month="$(next_month "$month")"
done
recouvra fingerprint --out "$target/fingerprint.json" >/dev/null
python - "$target/facts.json" <<'PY'
import json
import sys

from recouvra.config import load_settings
from recouvra.warehouse import connect

with connect(load_settings().warehouse_url) as wh:
    facts = {
        "return_files": wh.query("SELECT count(*) FROM core.return_file")[0][0],
        "published": wh.query("SELECT count(*) FROM core.publication_log")[0][0],
        "dossiers": wh.query("SELECT count(*) FROM core.dossier")[0][0],
    }
open(sys.argv[1], "w").write(json.dumps(facts))
PY
echo "== production cycle done: fingerprint $target/fingerprint.json"

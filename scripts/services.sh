#!/usr/bin/env bash
# Starts the local services the integration tests talk to, where they are installed but stopped.
# PostgreSQL: 127.0.0.1:5432 (override with RECOUVRA_TEST_PG_URL). Never fails by itself: a service
# still missing afterwards makes its tests skip locally, or fail under CI=true.
set -uo pipefail
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if [ -z "${RECOUVRA_TEST_PG_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 && ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version (pg_ctlcluster $version main start)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1 || true
    for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  fi
  pg_up || echo "note: PostgreSQL is not reachable on 127.0.0.1:5432; its tests will skip (fail under CI=true)"
fi
exit 0

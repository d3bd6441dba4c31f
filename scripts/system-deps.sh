#!/usr/bin/env bash
# Installs the Debian packages the integration tests use, when they are missing and we may (root).
# Elsewhere it only says what is missing: those tests then skip with the same advice (fail under CI=true).
set -euo pipefail
need=()
command -v sftp >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)   # the production SFTP host (tests/integration/test_sshd_chroot.py)
command -v useradd >/dev/null 2>&1 || need+=(passwd)  # ... whose agencies are system users (scripts/sftp-host.sh)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)              # the monthly report's rendering test
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)  # validates docker-compose.yaml
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  # The tests start their own sshd on loopback; the system's ssh service must not start (and listen on
  # port 22) because its package was installed: without a policy-rc.d, add one for the install only.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: missing Debian packages ${need[*]} (sudo apt-get install ${need[*]}); the tests needing them will skip"
fi

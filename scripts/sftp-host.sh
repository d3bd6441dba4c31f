#!/usr/bin/env bash
# The production form of the agency exchange on a Debian host: OpenSSH's sshd, one chroot per agency,
# two logins to it (docs/sftp.md, "Production"):
#   <agency>      the agency's own login (its key): reads its home, writes only inbox/;
#   fund-<agency> the fund's login to the same home (the one fund key): writes outbox/, outbox/acks/
#                 and inbox/processed/, reads and moves what the agency sent.
# The contract (agency-exchange/1, "Accounts and folders") is enforced by the kernel, through
# ownership and modes, and by sshd's internal-sftp options (see `sshd-config`).
#
#   sftp-host.sh provision [OPTIONS] --fund-key FUND.pub AG01=ag01.pub [AG02=ag02.pub ...]
#       create or repair (idempotent) the users, groups, chroots, folders and authorized keys
#   sftp-host.sh sshd-config [OPTIONS]
#       print the sshd_config Match blocks (install as /etc/ssh/sshd_config.d/recouvra-sftp.conf)
#   sftp-host.sh remove [OPTIONS] AG01 [AG02 ...]
#       delete the agency's two users, its group and keys; its home and files stay (they are evidence)
#
# OPTIONS
#   --base DIR    parent of the chroots, DIR/<AGENCY> (default /srv/recouvra/sftp); every component of
#                 DIR must be owned by root and writable by no one else (sshd's ChrootDirectory rule)
#   --keys DIR    authorized keys, one file per login, root-owned (default /etc/ssh/recouvra-keys)
#   --prefix P    prefix of every user and group name (default none; the integration test uses one)
#
# Per agency AG01 (agency user ag01, its group ag01, fund user fund-ag01 in group ag01):
#   DIR/AG01                  root:root       0755  the chroot (sshd requires root-owned, not writable)
#   DIR/AG01/outbox           fund-ag01:ag01  2750  the fund writes; the agency reads (group)
#   DIR/AG01/outbox/acks      fund-ag01:ag01  2750
#   DIR/AG01/inbox            fund-ag01:ag01  3770  both write; sticky: the agency renames and removes
#                                                   only its own files, the fund (owner) any
#   DIR/AG01/inbox/processed  fund-ag01:ag01  2750  the fund moves files here; the agency reads them
# The agency's files are created r--r----- (umask 0227) and it may not change attributes: once the fund
# has moved one into inbox/processed/, the agency can no longer change or remove it.
set -euo pipefail

base=/srv/recouvra/sftp
keys=/etc/ssh/recouvra-keys
prefix=""
fund_key=""
die() { echo "sftp-host.sh: $*" >&2; exit 2; }

command=${1:-}
[ -n "$command" ] || die "usage: sftp-host.sh provision|sshd-config|remove [OPTIONS] ... (see the header)"
shift
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=${2:?--base needs a folder}; shift 2 ;;
    --keys) keys=${2:?--keys needs a folder}; shift 2 ;;
    --prefix) prefix=${2?--prefix needs a value}; shift 2 ;;
    --fund-key) fund_key=${2:?--fund-key needs a public key file}; shift 2 ;;
    --*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$base" in /*) ;; *) die "--base must be an absolute path: $base" ;; esac
case "$keys" in /*) ;; *) die "--keys must be an absolute path: $keys" ;; esac

agency_class="${prefix}recouvra-agency"  # sshd matches these two groups
fund_class="${prefix}recouvra-fund"

agency_user() { echo "${prefix}$(echo "$1" | tr '[:upper:]' '[:lower:]')"; }
fund_user() { echo "${prefix}fund-$(echo "$1" | tr '[:upper:]' '[:lower:]')"; }
check_code() { [[ "$1" =~ ^[A-Z0-9]{2,16}$ ]] || die "agency code must be 2-16 capitals or digits: $1"; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$command needs root (users, groups, ownership)"; }

check_key() {  # one or more OpenSSH public keys, nothing else
  [ -r "$1" ] || die "cannot read public key file $1"
  grep -Eq '^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+' "$1" \
    || die "$1 holds no OpenSSH public key"
  if grep -q 'PRIVATE KEY' "$1"; then die "$1 is a private key: give the .pub"; fi
}

check_chroot_parent() {  # sshd refuses a chroot with a component not root-owned or writable by others
  local dir=$1
  while :; do
    if [ -e "$dir" ]; then
      local owner mode
      owner=$(stat -c %u "$dir"); mode=$(stat -c %a "$dir")
      if [ "$owner" != 0 ] || [ $((8#$mode & 8#022)) -ne 0 ]; then
        die "$dir is owned by uid $owner with mode $mode: every component of a ChrootDirectory must be" \
            "owned by root and writable by no one else (sshd refuses the login otherwise); choose another --base"
      fi
    fi
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
}

ensure_group() { getent group "$1" >/dev/null || groupadd --system "$1"; }

ensure_user() {  # ensure_user NAME HOME GROUPS: a system user, own group, no shell, no password
  local name=$1 home=$2 groups=$3
  if id -u "$name" >/dev/null 2>&1; then
    local had
    had=$(getent passwd "$name" | cut -d: -f6)
    [ "$had" = "$home" ] || die "user $name exists with home $had, not $home: not ours, or provisioned" \
                               "under another --base (remove it first)"
    usermod --home "$home" --shell /usr/sbin/nologin --append --groups "$groups" "$name"
  else
    # '*': no password can match, yet the account is not "locked" ('!'), which sshd refuses even for
    # a key when UsePAM is off
    useradd --system --user-group --home-dir "$home" --no-create-home --shell /usr/sbin/nologin \
      --password '*' --groups "$groups" "$name"
  fi
}

folder() {  # folder PATH OWNER GROUP MODE: create if missing, then set (never recursive: files untouched)
  [ -d "$1" ] || mkdir "$1"
  chown "$2:$3" "$1"
  chmod "$4" "$1"
}

install_key() {  # install_key SOURCE.pub LOGIN
  install -o root -g root -m 0644 "$1" "$keys/$2"
}

provision() {
  need_root
  [ -n "$fund_key" ] || die "provision needs --fund-key FUND.pub (the fund's public key)"
  [ ${#args[@]} -gt 0 ] || die "provision needs at least one AGENCY=KEY.pub"
  check_key "$fund_key"
  for spec in "${args[@]}"; do
    [[ "$spec" == *=* ]] || die "expected AGENCY=KEY.pub, got $spec"
    check_code "${spec%%=*}"; check_key "${spec#*=}"
  done
  check_chroot_parent "$(dirname "$base")"
  mkdir -p "$base" "$keys"
  chown root:root "$base" "$keys"; chmod 0755 "$base" "$keys"
  check_chroot_parent "$base"
  ensure_group "$agency_class"
  ensure_group "$fund_class"
  for spec in "${args[@]}"; do
    local code=${spec%%=*} key=${spec#*=}
    local home="$base/$code" agency fund
    agency=$(agency_user "$code"); fund=$(fund_user "$code")
    ensure_user "$agency" "$home" "$agency_class"
    ensure_user "$fund" "$home" "$fund_class,$agency"  # in the agency's group: reads what it sends
    folder "$home" root root 0755
    folder "$home/outbox" "$fund" "$agency" 2750
    folder "$home/outbox/acks" "$fund" "$agency" 2750
    folder "$home/inbox" "$fund" "$agency" 3770
    folder "$home/inbox/processed" "$fund" "$agency" 2750
    install_key "$key" "$agency"
    install_key "$fund_key" "$fund"
    echo "$code: chroot $home; logins $agency (the agency, writes inbox/) and $fund (the fund)"
  done
}

sshd_config() {
  # what both logins share: chrooted, keys only, SFTP only, nothing forwarded
  local locked_down
  locked_down="$(cat <<EOF
    ChrootDirectory %h
    AuthorizedKeysFile $keys/%u
    AuthenticationMethods publickey
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    AllowAgentForwarding no
    X11Forwarding no
    PermitTunnel no
    PermitTTY no
    PermitUserRC no
EOF
)"
  cat <<EOF
# Recouvra agency exchange (agency-exchange/1), from scripts/sftp-host.sh sshd-config: one chroot per
# agency, two logins to it, SFTP only, keys only. Users and folders: scripts/sftp-host.sh provision.
Match Group $agency_class
    # the agency: files it creates are r--r----- (the fund reads them through the group); no attribute
    # changes and no links, so nothing it sent can be changed once the fund moved it to inbox/processed/
    ForceCommand internal-sftp -u 0227 -P setstat,fsetstat,lsetstat,mkdir,rmdir,symlink,hardlink
$locked_down
Match Group $fund_class
    # the fund: files it writes are rw-r----- (the agency reads them through the group)
    ForceCommand internal-sftp -u 0027
$locked_down
EOF
}

remove() {
  need_root
  [ ${#args[@]} -gt 0 ] || die "remove needs at least one AGENCY"
  for code in "${args[@]}"; do
    check_code "$code"
    local agency fund
    agency=$(agency_user "$code"); fund=$(fund_user "$code")
    for user in "$fund" "$agency"; do
      if id -u "$user" >/dev/null 2>&1; then userdel "$user"; fi  # its own group goes with it
      rm -f "$keys/$user"
    done
    if getent group "$agency" >/dev/null; then groupdel "$agency"; fi
    echo "$code: logins $agency and $fund removed; $base/$code kept (archive it, then remove it)"
  done
  for class in "$agency_class" "$fund_class"; do  # the last agency gone: its Match groups too
    if getent group "$class" >/dev/null && [ -z "$(getent group "$class" | cut -d: -f4)" ]; then
      groupdel "$class"
    fi
  done
}

case "$command" in
  provision) provision ;;
  sshd-config) sshd_config ;;
  remove) remove ;;
  *) die "unknown command $command (provision, sshd-config, remove)" ;;
esac

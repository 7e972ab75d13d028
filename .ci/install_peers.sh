#!/usr/bin/env bash
# Installs the Debian programs that the interop tests and benchmarks drive
# as real peers; safe to run again:
#   fetchmail      a POP3 retriever (tests)
#   swaks          an SMTP submission client (tests)
#   dovecot-pop3d  Dovecot's POP3 server (client tests, POP3 benchmark)
#   postfix        only for smtp-sink and smtp-source (client tests, SMTP benchmark)
# Packages are installed behind a policy-rc.d that forbids starting services
# (postfix preseeded to "No configuration"), and any system dovecot or
# postfix daemon is stopped: tests and benchmarks run private instances.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

need=()
command -v fetchmail >/dev/null 2>&1 || need+=(fetchmail)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
[ -e /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
[ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ] || need+=(postfix)

install_packages() {
  local policy=/usr/sbin/policy-rc.d added_policy=0 status=0
  if [ ! -e "$policy" ]; then
    # Exit status 101 tells invoke-rc.d "action forbidden": nothing starts.
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get update -qq || status=$?
  if [ "$status" -eq 0 ]; then
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${need[@]}" || status=$?
  fi
  if [ "$added_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
  return "$status"
}

stop_system_daemons() {
  if [ -e /run/dovecot/master.pid ]; then "${sudo_cmd[@]}" doveadm stop >/dev/null 2>&1 || true; fi
  if pgrep -f '^/usr/lib/postfix/sbin/master' >/dev/null 2>&1; then
    "${sudo_cmd[@]}" postfix stop >/dev/null 2>&1 || true
  fi
}

ensure_dovecot_users() {
  local user
  for user in dovecot dovenull; do
    id "$user" >/dev/null 2>&1 ||
      "${sudo_cmd[@]}" useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  done
}

if [ ${#need[@]} -gt 0 ]; then install_packages; fi
stop_system_daemons
ensure_dovecot_users
echo "install_peers: fetchmail, swaks, dovecot-pop3d and postfix tools present"

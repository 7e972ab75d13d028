#!/usr/bin/env bash
# Installs the benchmark's peer servers; safe to run again.
#
# - Debian's postfix, only for /usr/sbin/smtp-source and /usr/sbin/smtp-sink.
#   It is preseeded to "No configuration" and installed behind a policy-rc.d
#   that forbids starting services, so no postfix daemon is ever started.
# - npm smtp-server (pinned by bench/peers/package-lock.json) in bench/peers/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

install_postfix() {
  if [ -x /usr/sbin/smtp-source ] && [ -x /usr/sbin/smtp-sink ]; then
    echo "install_peers: smtp-source and smtp-sink already present"
    return
  fi
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    # Exit status 101 tells invoke-rc.d "action forbidden": nothing starts.
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${sudo_cmd[@]}" debconf-set-selections
  local status=0
  "${sudo_cmd[@]}" apt-get update -qq || status=$?
  if [ "$status" -eq 0 ]; then
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends postfix || status=$?
  fi
  if [ "$added_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
  [ "$status" -eq 0 ] || exit "$status"
}

stop_postfix_daemon() {
  # Belt and braces: "No configuration" leaves no main.cf, so the master
  # cannot start, but make sure none is left running either way.
  if pgrep -f '^/usr/lib/postfix/sbin/master' >/dev/null 2>&1; then
    "${sudo_cmd[@]}" postfix stop >/dev/null 2>&1 || true
  fi
}

install_node_peer() {
  cd "$here/peers"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
}

install_postfix
stop_postfix_daemon
install_node_peer
echo "install_peers: done"

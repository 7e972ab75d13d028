#!/usr/bin/env bash
# Installs the benchmarks' peers; safe to run again: the Debian programs
# (the full postfix package: smtp-source, smtp-sink, and Postfix's master,
# smtpd and local(8) for the postfix peer; Dovecot's POP3 server) through
# scripts/provision_test_peers.sh, which fails here when it cannot install
# them, and npm smtp-server (pinned by bench/peers/package-lock.json) in
# bench/peers/. A system dovecot or postfix daemon is stopped: the benchmarks
# run private instances, and a busy system daemon would skew them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../scripts/provision_test_peers.sh" --strict

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo -n); fi
if [ -e /run/dovecot/master.pid ]; then "${as_root[@]}" doveadm stop >/dev/null 2>&1 || true; fi
if pgrep -f '^/usr/lib/postfix/sbin/master' >/dev/null 2>&1; then
  "${as_root[@]}" postfix stop >/dev/null 2>&1 || true
fi

cd "$here/peers"
npm ci --no-audit --no-fund --loglevel=error
echo "install_peers: done"

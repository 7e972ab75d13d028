#!/usr/bin/env bash
# Installs the benchmarks' peers; safe to run again: the Debian programs
# (Postfix's smtp-source and smtp-sink, Dovecot's POP3 server) through
# .ci/install_peers.sh, and npm smtp-server (pinned by
# bench/peers/package-lock.json) in bench/peers/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../.ci/install_peers.sh"
cd "$here/peers"
npm ci --no-audit --no-fund --loglevel=error
echo "install_peers: done"

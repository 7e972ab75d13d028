#!/usr/bin/env bash
# Installs the client benchmark's peer, Debian's neomutt, when it is missing
# (as root, or through password-less sudo). Safe to run again.
set -euo pipefail
if command -v neomutt >/dev/null 2>&1; then exit 0; fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo -n); fi
echo "client_install: installing neomutt" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq neomutt >/dev/null

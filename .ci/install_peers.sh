#!/usr/bin/env bash
# Installs the Debian programs that the interop tests drive as real peers:
# fetchmail (POP3 retriever), Dovecot's POP3 server and Postfix's smtp-sink.
# Their own daemons are kept from starting: the tests run private instances.
set -euo pipefail
need=()
command -v fetchmail >/dev/null 2>&1 || need+=(fetchmail)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-pop3d)
[ -x /usr/sbin/smtp-sink ] || need+=(postfix)
[ ${#need[@]} -eq 0 ] && exit 0

policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  added_policy=1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
[ -n "$added_policy" ] && rm -f "$policy"
exit 0

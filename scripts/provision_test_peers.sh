#!/usr/bin/env bash
# Installs the programs that the tests drive as real peers: the Debian packages
# listed in scripts/test_peers.txt, with apt-get, when one is missing. Silent
# when all are there; one line naming what it installs when it installs.
#
# `deno task test` runs it first, and it never fails that task: where it cannot
# install (MAIL_TEST_NO_PROVISION=1, not root and no password-less sudo, no
# apt-get, apt-get failing), it says so in one line and exits 0, and the tests
# that need a missing program are ignored (tests/helpers/peers.ts).
# With --strict (bench/install_peers.sh) it exits 1 instead.
#
# Packages are installed behind a policy-rc.d that forbids starting services,
# with postfix preseeded to "No configuration": tests run private instances.
set -uo pipefail # no -e: each failure is handled where it happens

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
strict=0
if [ "${1:-}" = --strict ]; then strict=1; fi

say() { echo "provision_test_peers: $*" >&2; }

# Gives up installing: one line, then exit 0 (1 with --strict).
give_up() {
  say "$1; the tests that need ${need[*]} will be skipped"
  exit "$strict"
}

# Whether each probe (an absolute path, a command on PATH, perl:Module) is installed. An
# absolute path is a file that must exist, a program or a library; a `*` in it was expanded
# where the list is read (Debian's multiarch directories), and one left unexpanded matched nothing.
installed() {
  local probe
  for probe in "$@"; do
    if [[ $probe == /* ]]; then
      [ -f "$probe" ] || return 1
    elif [[ $probe == perl:* ]]; then
      perl "-M${probe#perl:}" -e 1 >/dev/null 2>&1 || return 1
    else
      command -v "$probe" >/dev/null 2>&1 || return 1
    fi
  done
}

missing_packages() {
  local line pkg probes
  while IFS= read -r line; do
    read -r pkg probes <<<"${line%%#*}"
    [ -n "${pkg:-}" ] || continue
    # shellcheck disable=SC2086 # the probes are split and their `*` expanded on purpose
    installed $probes || echo "$pkg"
  done <"$here/test_peers.txt"
}

# Dovecot's package adds these users; a test instance cannot start without them.
ensure_dovecot_users() {
  local user
  [ -x /usr/sbin/dovecot ] || return 0
  for user in dovecot dovenull; do
    id "$user" >/dev/null 2>&1 ||
      "${as_root[@]}" useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
      say "could not add the user $user that Dovecot needs"
  done
}

apt_install() {
  local policy=/usr/sbin/policy-rc.d added_policy=0 status=0
  if [ ! -e "$policy" ]; then
    # Exit status 101 tells invoke-rc.d "action forbidden": nothing starts.
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null &&
      "${as_root[@]}" chmod 755 "$policy" && added_policy=1
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=120 update -q || status=$?
  if [ "$status" -eq 0 ]; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 \
      install -y -q --no-install-recommends "${need[@]}" || status=$?
  fi
  if [ "$added_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
  return "$status"
}

mapfile -t need < <(missing_packages)
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo -n); fi
if [ ${#need[@]} -eq 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then ensure_dovecot_users; fi
  exit 0
fi

if [ -n "${MAIL_TEST_NO_PROVISION:-}" ]; then give_up "not installing (MAIL_TEST_NO_PROVISION is set)"; fi
if [ "$(id -u)" -ne 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
  give_up "cannot install as $(id -un) (run as root: apt-get install ${need[*]})"
fi
if ! command -v apt-get >/dev/null 2>&1; then give_up "no apt-get here to install them with"; fi

log=$(mktemp -t provision_test_peers.XXXXXX)
say "installing ${need[*]} with apt-get"
if ! apt_install >"$log" 2>&1; then give_up "apt-get failed (its output is in $log)"; fi
rm -f "$log"
ensure_dovecot_users
mapfile -t need < <(missing_packages)
if [ ${#need[@]} -gt 0 ]; then give_up "still missing after apt-get"; fi

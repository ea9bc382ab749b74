#!/usr/bin/env bash
# Checks the systemd integration files in systemd/ without a running systemd (works in a container
# or a build chroot; systemd-analyze, systemd-tmpfiles and systemd-sysusers from systemd >= 250):
#   1. `systemd-analyze verify` accepts moderatord.service: exit status 0 and not one message about it.
#   2. `systemd-analyze security --offline=yes` rates its sandbox at an exposure of 2.0 or less.
#   3. The tmpfiles.d entry, applied to a scratch root holding the shipped config/, copies the config,
#      rules and samples to /etc/moderatord, and leaves an admin's edits alone when applied again.
#   4. The sysusers.d entry creates the user the unit runs as.
#
# Usage: unit_test.sh SYSTEMD_DIR [MODERATORD_BINARY]
#   SYSTEMD_DIR        the source folder with moderatord.service, .sysusers and .tmpfiles
#                      (the shipped config is expected next to it, in SYSTEMD_DIR/../config)
#   MODERATORD_BINARY  optional; an executable to stand in for /usr/sbin/moderatord (default /bin/true)
set -euo pipefail

systemd_dir=$(cd "${1:?usage: unit_test.sh SYSTEMD_DIR [MODERATORD_BINARY]}" && pwd)
stand_in=${2:-/bin/true}
config_dir=$(cd "$systemd_dir/../config" && pwd)
max_exposure=2.0

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

for tool in systemd-analyze systemd-tmpfiles systemd-sysusers; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (install systemd)" >&2; exit 1; }
done
[[ -x $stand_in ]] || { echo "FAIL: stand-in binary $stand_in is not executable" >&2; exit 1; }
stand_in=$(realpath "$stand_in") # unit files take absolute paths only

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. verify ---
# verify fails on an ExecStart=/ExecReload= command that is not executable, and on a build machine
# /usr/sbin/moderatord does not exist (it is only there once the package is installed). So the unit
# is verified as a copy in which that one path is replaced by an existing executable; nothing else
# changes, and the copy keeps the unit's name because verify derives the unit type and name from it.
unit_src=$systemd_dir/moderatord.service
unit=$work/moderatord.service
grep -q '^ExecStart=/usr/sbin/moderatord ' "$unit_src" ||
  fail "ExecStart= no longer starts /usr/sbin/moderatord: update this test's stand-in"
sed "s#/usr/sbin/moderatord#$stand_in#g" "$unit_src" >"$unit"

# --man=no: no Documentation= to check, and no man(1) needed. Messages go to stderr; keep both.
set +e
verify_output=$(SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no "$unit" 2>&1)
verify_status=$?
set -e
echo "--- systemd-analyze verify ---"
[[ -n $verify_output ]] && echo "$verify_output"
if ((verify_status != 0)); then
  fail "systemd-analyze verify exited with $verify_status"
fi
# Any message naming the unit is a warning about it (unknown key, bad value, missing command...).
# Messages about other units it pulls in (network-online.target) belong to the host, not to us.
if grep -E 'moderatord' <<<"$verify_output" >/dev/null; then
  fail "systemd-analyze verify printed messages about moderatord.service (above)"
else
  ((verify_status == 0)) && pass "systemd-analyze verify: clean"
fi

# --- 2. security ---
# --offline=yes (systemd >= 250) rates the unit file itself rather than a loaded unit, so no
# running service manager is needed.
set +e
security_output=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1)
security_status=$?
set -e
echo "--- systemd-analyze security (exposed settings) ---"
grep -E '^✗|Overall exposure' <<<"$security_output" || true
# "→ Overall exposure level for moderatord.service: 1.1 OK 🙂"
exposure=$(sed -nE 's/.*Overall exposure level for moderatord\.service: ([0-9]+(\.[0-9]+)?).*/\1/p' \
  <<<"$security_output")
if ((security_status != 0)); then
  echo "$security_output" >&2
  fail "systemd-analyze security exited with $security_status"
elif [[ -z $exposure ]]; then
  echo "$security_output" >&2
  fail "no 'Overall exposure level' in systemd-analyze security's output"
elif awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e > max) }'; then
  fail "exposure level $exposure is above $max_exposure: the sandbox was loosened"
else
  pass "exposure level $exposure (at most $max_exposure)"
fi

# --- 3. tmpfiles: the first-install copy of the config ---
root=$work/root
mkdir -p "$root/usr/share/moderatord" "$root/etc"
cp -R "$config_dir/." "$root/usr/share/moderatord/" # what CMake installs to the data folder
tmpfiles=$work/moderatord.tmpfiles.conf
cp "$systemd_dir/moderatord.tmpfiles" "$tmpfiles"
if ! systemd-tmpfiles --root="$root" --create "$tmpfiles"; then
  fail "systemd-tmpfiles --create failed"
else
  for item in moderatord.toml rules samples; do
    if diff -r "$root/usr/share/moderatord/$item" "$root/etc/moderatord/$item" >/dev/null 2>&1; then
      pass "tmpfiles copied $item to /etc/moderatord"
    else
      fail "tmpfiles did not copy $item to /etc/moderatord"
    fi
  done
  # Each relative path in the example config must now resolve inside /etc/moderatord.
  while read -r relative; do
    [[ -e $root/etc/moderatord/$relative ]] ||
      fail "the copied config refers to $relative, missing from /etc/moderatord"
  done < <(sed -nE 's/^(rules|feed) *= *"([^/"][^"]*)".*/\2/p' "$root/etc/moderatord/moderatord.toml")
  # Applied again (every boot), it must keep the admin's edits.
  echo '# an admin edit' >>"$root/etc/moderatord/moderatord.toml"
  echo '# an admin edit' >>"$root/etc/moderatord/rules/thresholds.toml"
  systemd-tmpfiles --root="$root" --create "$tmpfiles" || fail "systemd-tmpfiles --create failed the second time"
  if [[ $(tail -n 1 "$root/etc/moderatord/moderatord.toml") == '# an admin edit' &&
        $(tail -n 1 "$root/etc/moderatord/rules/thresholds.toml") == '# an admin edit' ]]; then
    pass "tmpfiles keeps the admin's edits"
  else
    fail "tmpfiles overwrote the admin's edits in /etc/moderatord"
  fi
fi

# --- 4. sysusers: the user the unit runs as ---
unit_user=$(sed -nE 's/^User=(.*)$/\1/p' "$unit_src")
sysusers=$work/moderatord.sysusers.conf
cp "$systemd_dir/moderatord.sysusers" "$sysusers"
if ! sysusers_output=$(systemd-sysusers --root="$root" "$sysusers" 2>&1); then
  echo "$sysusers_output" >&2
  fail "systemd-sysusers failed"
elif grep -q "^$unit_user:" "$root/etc/passwd" && grep -q "^$unit_user:" "$root/etc/group"; then
  pass "sysusers creates user and group $unit_user (the unit's User=)"
else
  fail "sysusers does not create the unit's User=$unit_user"
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all systemd checks passed"

# TAP helpers for the shell test suites, in the VM and on the host (sourced).
# Each case prints "ok N - what" or "not ok N - what" with "# " diagnostics.
tap_n=0
tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
not_ok() {
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok $tap_n - $1"
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}
# check WHAT COMMAND...: ok when COMMAND succeeds; its output is shown when not.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "command: $*" "$out"; fi
}
# check_eq WHAT EXPECTED ACTUAL
check_eq() {
  if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}
# check_match WHAT REGEX ACTUAL
check_match() {
  if [[ $3 =~ $2 ]]; then ok "$1"; else not_ok "$1" "expected to match: $2" "actual: $3"; fi
}
tap_plan() { echo "1..$tap_n"; }

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every suite and prints one summary line, "N passed, N failed".
# SUITES="pat ..." runs only the suites whose name matches a pattern, by
# full name (integration/test_persist), folder (unit) or short name
# (persist, prog, verifier); TESTS="pat ..." runs only the tests whose name
# matches, inside the integration scripts (lib.sh run_test) and the BPF
# program tests (row and group names). Patterns are shell globs.
# Suites speak TAP on stdout ("ok N - name" / "not ok N - name"): cmocka
# binaries (CMOCKA_MESSAGE_OUTPUT=TAP), the BPF program tests and the netns
# integration scripts. A suite that exits non-zero without reporting a
# failure counts as one failure, so a crash is never a pass.
set -u
OUT=${OUT:-build}
export OUT CMOCKA_MESSAGE_OUTPUT=TAP TESTS="${TESTS:-}"
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()

# suite_selected NAME: NAME matches $SUITES (or SUITES is unset).
suite_selected() {
	local name=$1 short pat
	[ -z "${SUITES:-}" ] && return 0
	short=${name#*/}
	short=${short#test_}
	set -f
	for pat in $SUITES; do
		# shellcheck disable=SC2254
		case "$name" in $pat | $pat/*) set +f; return 0 ;; esac
		# shellcheck disable=SC2254
		case "$short" in $pat) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

run_suite() {
	local name=$1
	shift
	local log rc p f
	suite_selected "$name" || return 0
	log=$(mktemp)
	echo "# suite $name"
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	grep -E '^(not ok|# )' "$log" | sed 's/^/  /' | head -200
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  suite $name exited $rc without a failing test; last lines:"
		tail -15 "$log" | sed 's/^/    /'
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		if [ -n "${TESTS:-}" ]; then
			# A selection that names tests of other suites.
			echo "  $name: no test selected"
			rm -f "$log"
			return 0
		fi
		echo "  suite $name ran no test"
		f=1
	fi
	echo "  $name: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && failures+=("$name")
	rm -f "$log"
}

# A cmocka binary takes one filter pattern: once per pattern of TESTS.
run_unit() {
	local pat rc=0
	if [ -z "${TESTS:-}" ]; then
		"$1"
		return
	fi
	set -f
	for pat in $TESTS; do
		TEST_FILTER=$pat "$1" || rc=1
	done
	return $rc
}

for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] && run_suite "unit/$(basename "$t")" run_unit "$t"
done
# Headroom under the verifier's 1M processed-instruction budget: a change
# that would load here but not on a slightly different kernel fails now.
if [ -x "$OUT/tests/verifier_stats" ]; then
	run_suite verifier "$OUT/tests/verifier_stats" "$OUT/rsttrace.bpf.o" 25
fi
if [ -x "$OUT/tests/prog_test" ]; then
	run_suite prog "$OUT/tests/prog_test"
fi
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] && run_suite "integration/$(basename "$t" .sh)" bash "$t"
done

[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
if [ $((passed + failed)) -eq 0 ] && [ -n "${SUITES:-}${TESTS:-}" ]; then
	echo "no suite or test matched SUITES='${SUITES:-}' TESTS='${TESTS:-}'"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

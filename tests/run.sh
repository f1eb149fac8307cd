#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every suite and prints one summary line, "N passed, N failed".
# Suites speak TAP on stdout ("ok N - name" / "not ok N - name"): cmocka
# binaries (CMOCKA_MESSAGE_OUTPUT=TAP), the BPF program tests and the netns
# integration scripts. A suite that exits non-zero without reporting a
# failure counts as one failure, so a crash is never a pass.
set -u
OUT=${OUT:-build}
export OUT CMOCKA_MESSAGE_OUTPUT=TAP
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()

run_suite() {
	local name=$1
	shift
	local log rc p f
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
		echo "  suite $name ran no test"
		f=1
	fi
	echo "  $name: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && failures+=("$name")
	rm -f "$log"
}

for t in "$OUT"/tests/test_*; do
	[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

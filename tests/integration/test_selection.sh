#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The runner's selection, as a developer uses it: tests/run.sh with SUITES
# and TESTS runs exactly the suites and tests named, counts them, and a
# selection that matches nothing fails instead of passing empty.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# sel SUITES TESTS: run the runner for that selection; its exit in RC.
sel() {
	(cd "$TOP" && SUITES=$1 TESTS=$2 tests/run.sh) >"$T/sel.out" 2>&1
	RC=$?
}

# The exit status and the last line ("N passed, N failed").
result() { echo "$RC $(tail -1 "$T/sel.out")"; }

# The suites the runner started, one name a line.
suites_run() { sed -n 's/^# suite //p' "$T/sel.out" | xargs; }

t_one_prog_row() {
	sel prog 'ipv4?SYN+FIN'
	assert_eq "SUITES=prog TESTS='ipv4?SYN+FIN': one row" "0 1 passed, 0 failed" \
		"$(result)"
	assert_eq "... and only the prog suite ran" "prog" "$(suites_run)"
}

t_one_cmocka_row() {
	sel unit test_classify_no_flow
	assert_eq "SUITES=unit TESTS=test_classify_no_flow: one cmocka test" "0 1 passed, 0 failed" \
		"$(result)"
}

t_one_integration_test() {
	# test_names' t_errors makes two checks, and setup none.
	sel names t_errors
	assert_eq "SUITES=names TESTS=t_errors: that test's 2 checks" "0 2 passed, 0 failed" \
		"$(result)"
	assert_eq "... in integration/test_names only" "integration/test_names" "$(suites_run)"
}

t_two_patterns() {
	sel 'prog names' 'ipv4?SYN+FIN t_errors'
	assert_eq "TESTS with two patterns across suites: 1 row + 2 checks" "0 3 passed, 0 failed" \
		"$(result)"
}

t_nothing_matched() {
	sel prog 'no_such_row*'
	assert_eq "a selection that matches nothing fails (exit 1), says so" "1 yes" \
		"$RC $(grep -q "no suite or test matched SUITES='prog' TESTS='no_such_row\*'" "$T/sel.out" && echo yes)"
	assert_eq "... and counts it as a failure" "0 passed, 1 failed" "$(tail -1 "$T/sel.out")"
}

run_test t_one_prog_row
run_test t_one_cmocka_row
run_test t_one_integration_test
run_test t_two_patterns
run_test t_nothing_matched
finish

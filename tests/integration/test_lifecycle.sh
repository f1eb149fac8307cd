#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How the long-running commands end, or go on, when the world around them
# changes: watch stopped by a signal while the reader of its stdout no
# longer reads (a fifo nobody reads, held open by this script), top across
# a detach --all + attach and after a detach, watch and status when a
# traced interface is deleted or moved to another namespace. Test hosts,
# pins and processes are this script's own (lib.sh), removed in its trap.
#
# Run: make && bash tests/integration/test_lifecycle.sh [TEST...]

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
R=$RSTTRACE
T=$(tmpdir)

ns_pair l || { not_ok "netns setup"; finish; exit 1; }

gen() { # gen MODE ADDR PORT COUNT: server side in NS_A, client in NS_B
	"$RSTGEN" -s "$NS_A" -c "$NS_B" "$@" >/dev/null 2>&1
}

# gone_within PID TENTHS: 0 once PID has exited, polled every 0.05 s.
gone_within() {
	local pid=$1 n=$(($2 * 2)) i
	for i in $(seq 1 "$n"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# sum_line FILE PATTERN: the number that starts the stderr line matching PATTERN.
num_of() { sed -n "s/^\([0-9]*\) $2.*/\1/p" "$1" | head -1; }

# stuck_stop RUN SIGNAL FORMAT...: watch writes FORMAT (--json or -w -) into
# a fifo this shell holds open and never reads, until the pipe and watch's
# buffer are full and it blocks in write(2); then one SIGNAL must end it
# within 2 s, status 0, the summary on stderr, what was not written
# counted; every whole record in the pipe is one the summary counts as
# written.
stuck_stop() {
	local run=$1 sig=$2 fifo="$T/fifo$1" err="$T/stuck$1.err" rc fd
	shift 2
	mkfifo "$fifo"
	exec {fd}<>"$fifo" # a reader that never reads: the pipe fills (64 KiB)
	bg_start WPID nsx "$NS_A" "$R" watch -i "$VETH_A" --rate-limit 0 "$@" >"$fifo" 2>"$err"
	local pid=$WPID
	if ! wait_for 10 grep -q watching "$err"; then
		not_ok "run $run: watch started"
		exec {fd}>&-
		return
	fi
	# 1500 JSON lines (~400 bytes) or pcap records (~150) are more than
	# the pipe and the 64 KiB stdio buffer hold together.
	gen refused "$IP4_A" 9 1500
	if ! wait_for 10 grep -q pipe_write "/proc/$pid/wchan"; then
		not_ok "run $run: watch blocked writing to the full pipe"
		diag "wchan: $(cat "/proc/$pid/wchan" 2>/dev/null)"
	fi
	kill -"$sig" "$pid"
	if gone_within "$pid" 20; then
		ok "run $run ($* SIG$sig): watch gone within 2 s"
	else
		not_ok "run $run ($* SIG$sig): watch gone within 2 s"
	fi
	bg_stop "$pid" KILL
	rc=$BG_STATUS
	# What the pipe holds, read now (the fifo is still open here: cat
	# gets no end of file and is stopped by timeout).
	timeout 2 cat "$fifo" >"$T/pipe$run" 2>/dev/null
	exec {fd}>&-
	local written notw deliv whole cut
	if [ "$1" == --json ]; then
		written=$(num_of "$err" 'events\? printed')
		whole=$(grep -c '}$' "$T/pipe$run")
		[ -n "$(tail -c1 "$T/pipe$run")" ] && cut=1 || cut=0
	else
		written=$(num_of "$err" 'packets\? written to standard output')
		whole=$(tcpdump -r "$T/pipe$run" -nn 2>/dev/null | grep -c .)
		# Records the file cuts short make tcpdump say so.
		tcpdump -r "$T/pipe$run" -nn 2>&1 >/dev/null | grep -q 'truncated' && cut=1 || cut=0
	fi
	notw=$(num_of "$err" '\(events\|packets\)\? not written')
	deliv=$(num_of "$err" 'events delivered')
	assert_eq "run $run: exit 0, summary, no write error" "0 yes no" \
		"$rc $(grep -q 'RSTs counted by the kernel' "$err" && echo yes || echo no) $(grep -q 'Interrupted\|writing' "$err" && echo yes || echo no)"
	assert_eq "run $run: written + not written = delivered" "$deliv" "$((written + notw))"
	assert_eq "run $run: the pipe holds exactly the records counted as written" \
		"$written" "$whole"
	assert_eq "run $run: a record cut short is said so" "$cut" \
		"$(grep -q 'cut short' "$err" && echo 1 || echo 0)"
	[ "$notw" -gt 0 ] 2>/dev/null && ok "run $run: some were not written ($notw)" ||
		not_ok "run $run: some were not written (summary: '$notw')"
	rm -f "$fifo"
}

test_stuck_reader_signal() {
	stuck_stop 1 TERM --json
	stuck_stop 2 INT --json
	stuck_stop 3 TERM --json
	stuck_stop 4 INT --json
	stuck_stop 5 TERM -w -
	assert_settles "nothing attached after the stuck runs" "" bpf_progs_in "$NS_A"
}

if [ $# -gt 0 ]; then
	for t in "$@"; do run_test "$t"; done
else
	run_test test_stuck_reader_signal
fi
finish

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

# gone_within PID TENTHS: 0 once PID has exited (bash reaps it), polled every 0.05 s.
gone_within() {
	local pid=$1 n=$(($2 * 2)) i
	for i in $(seq 1 "$n"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# num_of FILE PATTERN: the number that starts the first line of FILE matching PATTERN.
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

# The same with stderr into the same stuck fifo (2>&1): the summary cannot
# be written there, and must not hold the exit either.
stuck_stop_shared() {
	local fifo="$T/fifo-shared" rc fd wpid
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	bg_start wpid nsx "$NS_A" "$R" watch -i "$VETH_A" --rate-limit 0 --json >"$fifo" 2>&1
	local pid=$wpid
	sleep 2 # its "watching" line is in the fifo, unread
	gen refused "$IP4_A" 9 1500
	wait_for 10 grep -q pipe_write "/proc/$pid/wchan" ||
		not_ok "2>&1: watch blocked writing to the full pipe"
	kill -TERM "$pid"
	if gone_within "$pid" 20; then ok "2>&1 into the stuck pipe: watch gone within 2 s"; else
		not_ok "2>&1 into the stuck pipe: watch gone within 2 s"; fi
	bg_stop "$pid" KILL
	rc=$BG_STATUS
	exec {fd}>&-
	assert_eq "2>&1 into the stuck pipe: exit 0" 0 "$rc"
	rm -f "$fifo"
}

test_stuck_reader_signal() {
	stuck_stop 1 TERM --json
	stuck_stop 2 INT --json
	stuck_stop 3 TERM --json
	stuck_stop 4 INT --json
	stuck_stop 5 TERM -w -
	stuck_stop_shared
	assert_settles "nothing attached after the stuck runs" "" bpf_progs_in "$NS_A"
}

# top_has FILE HOST RST_OUT: a refresh of top --json in FILE shows HOST
# with exactly RST_OUT resets sent to it, all told.
top_has() {
	grep -q "\"host\":\"$2\",[^}]*\"rst_out\":$3," "$1"
}

# top across detach --all + attach: it reads the new maps (exact counts
# from zero), says so in one line; detached with nothing back, it says
# the attachment is gone, once, shows nothing, and waits for it to come
# back (as serve does); SIGINT ends it with 0.
test_top_follows_reattach() {
	local P out="$T/top.json" err="$T/top.err" tpid n1 n2
	P=$(pin_dir top)
	if ! nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>"$T/att.err"; then
		not_ok "attach for top"
		sed 's/^/# /' "$T/att.err"
		return
	fi
	bg_start tpid nsx "$NS_A" "$R" top --json --interval 0.2 --pin-path "$P" \
		>"$out" 2>"$err"
	local pid=$tpid
	gen refused "$IP4_A" 9 3
	wait_for 5 top_has "$out" "$IP4_B" 3 && ok "top shows the first attachment's 3 RSTs" ||
		not_ok "top shows the first attachment's 3 RSTs"
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>&1
	gen refused "$IP4_A" 9 5
	# From zero in the new maps: 5, not 3 (old maps, frozen) nor 8.
	wait_for 5 top_has "$out" "$IP4_B" 5 &&
		ok "after detach --all + attach, top shows the new maps' 5 RSTs" ||
		{ not_ok "after detach --all + attach, top shows the new maps' 5 RSTs"
		  diag "last: $(tail -1 "$out" | cut -c1-300)"; }
	assert_eq "one line says the attachment was made anew" 1 \
		"$(grep -c "the attachment at $P was made anew" "$err")"

	# (top may have seen the first detach --all alone, and said so: count from here.)
	local e0
	e0=$(wc -l <"$err")
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	wait_for 5 bash -c "tail -n +$((e0 + 1)) '$err' | grep -q 'is gone'"
	n1=$(wc -l <"$out")
	sleep 1.2 # six refreshes
	n2=$(wc -l <"$out")
	assert_eq "detached: one line says the attachment is gone" \
		"rsttrace: top: the attachment at $P is gone (detached); waiting for it to come back" \
		"$(tail -n +$((e0 + 1)) "$err")"
	assert_eq "detached: top shows nothing (no frozen rates) and keeps waiting" \
		"$n1 running" "$n2 $(kill -0 "$pid" 2>/dev/null && echo running || echo exited)"

	nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>&1
	gen refused "$IP4_A" 9 2
	wait_for 5 top_has "$out" "$IP4_B" 2 && ok "attached again: top reads it (2 RSTs)" ||
		not_ok "attached again: top reads it (2 RSTs)"
	bg_stop "$pid" INT
	assert_eq "top ends with 0 on SIGINT; made anew twice, nothing else on stderr" "0 2 0" \
		"$BG_STATUS $(grep -c 'made anew' "$err") $(grep -vc 'made anew\|is gone' "$err")"
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1

	# top --once has no refresh to wait for: detached, it fails with one line.
	nsx "$NS_A" "$R" top --once --pin-path "$P" >/dev/null 2>"$T/once.err"
	assert_eq "top --once with nothing attached: exit 1, one line" "1 1" \
		"$? $(grep -c . "$T/once.err")"
}

# A third namespace to move interfaces into (removed by lib.sh's trap).
NS_C="rt${_TAG}lc"
ip netns add "$NS_C" && _NS_MADE+=("$NS_C")

# vpair NAME: a veth pair NAME / NAME-peer ("p" appended), both ends up in NS_A.
vpair() {
	ip -n "$NS_A" link add "$1" type veth peer name "${1}p" &&
		ip -n "$NS_A" link set "$1" up && ip -n "$NS_A" link set "${1}p" up
}

# watch_gone NAME IFACE HOW CMD...: watch -i IFACE alone; CMD takes IFACE
# away; watch must say so in one line, print the summary and exit 1.
watch_gone() {
	local name=$1 ifc=$2 how=$3 wpid err="$T/gone-$2.err"
	shift 3
	vpair "$ifc" || { not_ok "$name: veth setup"; return; }
	bg_start wpid nsx "$NS_A" "$R" watch -i "$ifc" >"$T/gone-$ifc.out" 2>"$err"
	local pid=$wpid
	wait_for 10 grep -q watching "$err" || { not_ok "$name: watch started"; return; }
	"$@"
	if gone_within "$pid" 50; then ok "$name: watch ends by itself"; else
		not_ok "$name: watch ends by itself"; fi
	bg_stop "$pid" INT
	assert_eq "$name: one line says so, then the summary, exit 1" \
		"1 rsttrace: $ifc: interface vanished ($how) yes" \
		"$BG_STATUS $(grep vanished "$err") $(grep -q '^0 RSTs counted by the kernel' "$err" && grep -q 'events printed' "$err" && echo yes || echo no)"
	assert_eq "$name: stderr: 'watching', the vanished line once, the summary" 2 \
		"$(grep -c '^rsttrace: ' "$err")"
}

test_watch_last_iface_vanishes() {
	watch_gone "deleted" "vd${_TAG}" deleted ip -n "$NS_A" link del "vd${_TAG}"
	watch_gone "moved" "vm${_TAG}" "moved to another network namespace" \
		ip -n "$NS_A" link set "vm${_TAG}" netns "$NS_C"
	# Moved away with its links: watch took them off it there.
	assert_settles "nothing of ours left on the moved interface" "" bpf_progs_in "$NS_C"
	ip -n "$NS_C" link del "vm${_TAG}" 2>/dev/null
}

# One of two traced interfaces moves away: said so, detached there, the
# other goes on being traced (exactly its 3 resets printed), SIGINT 0.
test_watch_one_of_two_vanishes() {
	local ifc="vo${_TAG}" wpid err="$T/one.err" out="$T/one.out"
	vpair "$ifc" || { not_ok "veth setup"; return; }
	bg_start wpid nsx "$NS_A" "$R" watch -i "$VETH_A" -i "$ifc" -t --rate-limit 0 \
		>"$out" 2>"$err"
	local pid=$wpid
	wait_for 10 bash -c "[ \$(grep -c watching '$err') -eq 2 ]" ||
		{ not_ok "watch on two interfaces started"; return; }
	ip -n "$NS_A" link set "$ifc" netns "$NS_C"
	wait_for 5 grep -q vanished "$err"
	assert_eq "the moved one is said to have vanished" \
		"rsttrace: $ifc: interface vanished (moved to another network namespace)" \
		"$(grep vanished "$err")"
	assert_settles "nothing of ours left on it in the other namespace" "" bpf_progs_in "$NS_C"
	gen refused "$IP4_A" 9 3
	wait_for 5 bash -c "[ \$(grep -c . '$out') -ge 3 ]"
	kill -0 "$pid" 2>/dev/null && ok "watch goes on with the other" ||
		not_ok "watch goes on with the other"
	bg_stop "$pid" INT
	assert_eq "3 resets of the other printed, SIGINT ends it with 0" "3 3 0" \
		"$(grep -c "^$VETH_A Out IP $IP4_A.9 > $IP4_B" "$out") $(num_of "$err" 'events\? printed') $BG_STATUS"
	ip -n "$NS_C" link del "$ifc" 2>/dev/null
}

# status of an attachment whose interface moved to another namespace
# (links still attached there), then was deleted there.
test_status_moved_then_gone() {
	local ifc="vs${_TAG}" P js idx
	P=$(pin_dir st)
	vpair "$ifc" || { not_ok "veth setup"; return; }
	nsx "$NS_A" "$R" attach -i "$ifc" --pin-path "$P" >/dev/null 2>"$T/sa.err" ||
		{ not_ok "attach"; sed 's/^/# /' "$T/sa.err"; return; }
	ip -n "$NS_A" link set "$ifc" netns "$NS_C"
	idx=$(ip -n "$NS_C" -o link show "$ifc" | cut -d: -f1)
	nsx "$NS_A" "$R" status --pin-path "$P" >"$T/st.txt" 2>&1
	assert_eq "status: each hook of the moved interface says so" \
		"2 2" \
		"$(grep -c "^$ifc .* moved .*MOVED to another namespace (ifindex $idx there, still traced)\$" "$T/st.txt") $(grep -c "^$ifc " "$T/st.txt")"
	js=$(nsx "$NS_A" "$R" status --json --pin-path "$P" | python3 -c '
import json, sys
i = json.load(sys.stdin)["interfaces"][0]
print(i["state"], i["moved"], i["this_netns"], i["gone"], i.get("ifindex_there"))')
	assert_eq "status --json: moved to another namespace, not this one" \
		"moved to another namespace True False False $idx" "$js"
	ip -n "$NS_C" link del "$ifc"
	js=$(nsx "$NS_A" "$R" status --json --pin-path "$P" | python3 -c '
import json, sys
i = json.load(sys.stdin)["interfaces"][0]
print(i["state"], i["moved"], i["gone"])')
	assert_eq "status --json after its deletion there: gone" "gone False True" "$js"
	nsx "$NS_A" "$R" status --pin-path "$P" >"$T/st2.txt" 2>&1
	assert_eq "status: GONE on each hook" 2 "$(grep -c "^$ifc .*GONE (interface deleted" "$T/st2.txt")"
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	assert_eq "detach --all cleans up" "nothing attached (no pins under $P)" \
		"$(nsx "$NS_A" "$R" status --pin-path "$P" 2>&1)"
}

# The reader takes one line and goes (watch | head -1): watch ends by
# itself with 0 at the next write, and what it could not write is counted.
test_reader_goes_away() {
	local err="$T/head.err"
	timeout 30 bash -c "nsenter --net=/run/netns/$NS_A -- '$R' watch -i '$VETH_A' \
		--rate-limit 0 2>'$err' | head -1 >'$T/head.out'; echo \${PIPESTATUS[0]} >'$T/head.rc'" &
	local bpid=$!
	wait_for 10 grep -q watching "$err" || { not_ok "watch | head -1 started"; return; }
	gen refused "$IP4_A" 9 20
	sleep 0.5 # one poll batch: head has its line and is gone
	gen refused "$IP4_A" 9 5
	wait "$bpid"
	local written notw deliv
	written=$(num_of "$err" 'events\? printed')
	notw=$(num_of "$err" 'events\? not written')
	deliv=$(num_of "$err" 'events delivered')
	assert_eq "watch | head -1: exit 0, one line taken, 25 delivered" "0 1 25" \
		"$(cat "$T/head.rc") $(grep -c . "$T/head.out") $deliv"
	assert_eq "watch | head -1: printed + not written (the reader went away) = delivered" \
		"25 1" "$((written + notw)) $(grep -c 'not written .*the reader went away' "$err")"
}

if [ $# -gt 0 ]; then
	for t in "$@"; do run_test "$t"; done
else
	run_test test_stuck_reader_signal
	run_test test_reader_goes_away
	run_test test_top_follows_reattach
	run_test test_watch_last_iface_vanishes
	run_test test_watch_one_of_two_vanishes
	run_test test_status_moved_then_gone
fi
finish

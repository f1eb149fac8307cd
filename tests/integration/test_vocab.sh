#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcpdump's vocabulary against tcpdump itself, on the same resets. One
# burst of real RSTs (IPv4 and IPv6, both directions) is traced at once by
# several rsttrace processes started as tcpdump would be (no command:
# `rsttrace -i IFACE -nn OPTION`), each with one option, all on TC hooks
# (tcx takes many programs; XDP takes one), and captured by tcpdump -w.
# Each option's lines must equal, byte for byte after the timestamp,
# what `tcpdump -nn -S -t OPTION -r` prints for that capture (-s by a
# tcpdump capturing with the same -s; -Q in by the capture's ingress
# lines). Then -Z nobody, -B, -D against tcpdump -D, the one-line errors
# of unknown options, and the no-command dispatch.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
T=$(tmpdir)
RST_FILTER='tcp[tcpflags] & tcp-rst != 0 or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)'

ns_pair v || { not_ok "netns setup"; finish; exit 1; }

# The options, one rsttrace each; the file name is the index.
OPTS=("-e" "-q" "-e -q" "-x" "-xx" "-X" "-XX" "-A" "-AA" "-e -X" "-S -l -U --immediate-mode")
W_PIDS=()

# start_rt NAME ARGS...: rsttrace (no command) in NS_A on TC, small maps.
start_rt() {
	local name=$1
	shift
	bg_start RT_PID nsx "$NS_A" "$RSTTRACE" -i "$VETH_A" -nn -t --hook tc --rate-limit 0 \
		--max-flows 1024 --max-hosts 1024 -B 256 "$@" >"$T/$name.txt" 2>"$T/$name.err"
	W_PIDS+=("$RT_PID")
}

# start_td NAME ARGS...: tcpdump in NS_A writing $T/NAME.pcap.
start_td() {
	local name=$1
	shift
	bg_start TD_PID nsx "$NS_A" tcpdump -i "$VETH_A" -nn -U --immediate-mode "$@" -w "$T/$name.pcap" \
		"$RST_FILTER" 2>"$T/$name.tderr"
	TD_PIDS+=("$TD_PID")
}

gen() { # gen MODE ADDR PORT COUNT: server side in NS_A, client in NS_B
	"$RSTGEN" -s "$NS_A" -c "$NS_B" "$@" >/dev/null 2>&1
	sleep 0.2
}

# tdr FILE ARGS...: what tcpdump prints reading FILE, blank lines dropped.
tdr() {
	local f=$1
	shift
	tcpdump -nn -S -t "$@" -r "$f" 2>/dev/null | sed '/^$/d'
}

test_options_against_tcpdump() {
	local i n z_pid uid
	TD_PIDS=()
	start_td all -s 0
	for i in "${!OPTS[@]}"; do
		# shellcheck disable=SC2086
		start_rt "o$i" ${OPTS[$i]}
	done
	start_rt s40 -s 40 -x
	start_rt qin -Q in
	start_rt expr 'tcp[13] & 4 != 0'
	start_rt z -Z nobody
	z_pid=$RT_PID
	start_rt b100 -B 100
	for f in "$T"/*.tderr; do
		wait_for 10 grep -q 'listening on' "$f" || { not_ok "tcpdump started"; return; }
	done
	for f in "$T"/o*.err "$T"/s40.err "$T"/qin.err "$T"/expr.err "$T"/z.err "$T"/b100.err; do
		wait_for 20 grep -q 'watching' "$f" ||
			{ not_ok "rsttrace attached ($f)"; sed 's/^/# /' "$f"; return; }
	done
	# -Z: dropped once attached (the line follows 'watching' at once).
	wait_for 5 grep -q "^Uid:.65534.65534.65534.65534" "/proc/$z_pid/status"
	uid=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$z_pid/status" | tr -s '\t ' ' ')
	assert_eq "-Z nobody: real, effective, saved and fs uid are nobody's" \
		"65534 65534 65534 65534" "$uid"
	assert_eq "-Z nobody: no supplementary group of root's" \
		"$(id -G nobody | tr ' ' '\n' | sort | tr '\n' ' ')" \
		"$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$z_pid/status" | tr -s ' \t' '\n' | sed '/^$/d' | sort | tr '\n' ' ')"
	gen refused "$IP4_A" 9 2
	gen refused "$IP6_A" 9 2
	gen abort-server "$IP4_A" 8001 1
	gen abort-client "$IP6_A" 8002 1
	gen abort-client "$IP4_A" 8003 1
	sleep 0.5
	for i in "${W_PIDS[@]}"; do
		kill -INT "$i" 2>/dev/null
	done
	for i in "${W_PIDS[@]}"; do
		bg_stop "$i" INT
	done
	for i in "${TD_PIDS[@]}"; do
		bg_stop "$i" INT
	done
	n=$(tdr "$T/all.pcap" | grep -c .)
	[ "$n" -ge 7 ] && ok "tcpdump captured the resets ($n)" ||
		not_ok "tcpdump captured the resets (got $n, want >= 7)"
	for i in "${!OPTS[@]}"; do
		# shellcheck disable=SC2086
		tdr "$T/all.pcap" ${OPTS[$i]} >"$T/want$i.txt"
		assert_files_equal "rsttrace ${OPTS[$i]}: byte-identical to tcpdump ${OPTS[$i]}" \
			"$T/want$i.txt" "$T/o$i.txt"
	done
	grep -q '^[0-9a-f:]\{17\} > [0-9a-f:]\{17\}, ethertype IPv6 (0x86dd), length 74: ' "$T/o0.txt" &&
		ok "-e: MACs, ethertype and length before the IPv6 line" ||
		not_ok "-e: MACs, ethertype and length before the IPv6 line"
	# tcpdump -s 40 itself would filter its first packets in userspace on the
	# 40 bytes it kept (libpcap, while the kernel filter is being set) and
	# lose RSTs whose flags lie past them: the capture is cut afterwards
	# (editcap, of tshark's wireshark-common), as a -s 40 capture records them.
	editcap -s 40 "$T/all.pcap" "$T/s40.pcap" >/dev/null 2>&1
	tdr "$T/s40.pcap" -x >"$T/want_s40.txt"
	assert_files_equal "-s 40 -x: cut as tcpdump -s 40 cuts (below the kernel's 64)" \
		"$T/want_s40.txt" "$T/s40.txt"
	grep -q '\[|tcp\]' "$T/s40.txt" && ok "-s 40: the TCP header is cut short" ||
		not_ok "-s 40: the TCP header is cut short"
	tdr "$T/all.pcap" | grep -v " > $IP4_B\.\| > $IP6_B\." >"$T/want_qin.txt"
	assert_files_equal "-Q in: the ingress lines of tcpdump's" "$T/want_qin.txt" "$T/qin.txt"
	tdr "$T/all.pcap" 'tcp[13] & 4 != 0' >"$T/want_expr.txt"
	assert_files_equal "no command, an expression: tcpdump's lines for it" \
		"$T/want_expr.txt" "$T/expr.txt"
	tdr "$T/all.pcap" >"$T/want_z.txt"
	assert_files_equal "-Z nobody: every event still printed" "$T/want_z.txt" "$T/z.txt"
	assert_eq "-Z nobody: the summary still reads the kernel's counters" \
		"$n RSTs counted by the kernel" "$(grep -o '^[0-9]* RSTs counted by the kernel' "$T/z.err")"
	grep -q "watching $VETH_A .*snaplen 40 bytes" "$T/s40.err" &&
		ok "-s 40: the attach line states the snaplen the output gets" ||
		{ not_ok "-s 40: the attach line states the snaplen the output gets"; sed 's/^/# /' "$T/s40.err"; }
	grep -q '^rsttrace: -B 100: ring buffer of 128 KiB (a power of 2, at least 4)$' "$T/b100.err" &&
		ok "-B 100: rounded to 128 KiB, said on stderr" ||
		{ not_ok "-B 100: rounded to 128 KiB, said on stderr"; sed 's/^/# /' "$T/b100.err"; }
	grep -q 'ring buffer' "$T/o0.err" && not_ok "-B 256: a power of 2, nothing said" ||
		ok "-B 256: a power of 2, nothing said"
	assert_settles "nothing attached after the watches" "" bpf_progs_in "$NS_A"
}

# Several interfaces print tcpdump -i any's lines: with -e and -xx its cooked
# header (interface index, source MAC), read back inside the namespace
# (tcpdump names the interfaces by index).
test_any_link_header() {
	local va="xa${_TAG}" vb="xb${_TAG}" o
	ip link add "$va" netns "$NS_A" type veth peer name "$vb" netns "$NS_B"
	ip -n "$NS_A" addr add 10.202.9.1/24 dev "$va"
	ip -n "$NS_B" addr add 10.202.9.2/24 dev "$vb"
	ip -n "$NS_A" link set "$va" up
	ip -n "$NS_B" link set "$vb" up
	nsx "$NS_B" ping -c1 -W2 10.202.9.1 >/dev/null 2>&1
	W_PIDS=()
	bg_start TD_PID nsx "$NS_A" tcpdump -i any -nn -U --immediate-mode -s 0 -w "$T/any.pcap" \
		"$RST_FILTER" 2>"$T/any.tderr"
	for o in e xx X s60; do
		# shellcheck disable=SC2046
		bg_start RT_PID nsx "$NS_A" "$RSTTRACE" -i "$VETH_A" -i "$va" -nn -t --hook tc \
			--rate-limit 0 --max-flows 1024 --max-hosts 1024 -B 256 \
			$([ $o = s60 ] && echo "-s 60 -xx" || printf -- "-%s" "$o") \
			>"$T/any_$o.txt" 2>"$T/any_$o.err"
		W_PIDS+=("$RT_PID")
	done
	wait_for 10 grep -q 'listening on' "$T/any.tderr" || { not_ok "tcpdump -i any started"; return; }
	for o in e xx X s60; do
		wait_for 20 grep -q "watching $va" "$T/any_$o.err" ||
			{ not_ok "rsttrace -$o on two interfaces"; sed 's/^/# /' "$T/any_$o.err"; return; }
	done
	gen refused "$IP4_A" 9 1
	gen refused 10.202.9.1 9 1
	gen abort-client 10.202.9.1 8013 1
	gen refused "$IP6_A" 9 1
	sleep 0.5
	for o in "${W_PIDS[@]}"; do
		bg_stop "$o" INT
	done
	bg_stop "$TD_PID" INT
	for o in e xx X; do
		nsx "$NS_A" tcpdump -nn -S -t "-$o" -r "$T/any.pcap" 2>/dev/null | sed '/^$/d' >"$T/want_any_$o.txt"
		assert_files_equal "two interfaces -$o: byte-identical to tcpdump -i any -$o" \
			"$T/want_any_$o.txt" "$T/any_$o.txt"
	done
	# tcpdump -i any -s 60 keeps 60 bytes of its cooked record: 40 after the cooked header.
	editcap -s 60 "$T/any.pcap" "$T/any60.pcap" >/dev/null 2>&1
	nsx "$NS_A" tcpdump -nn -S -t -xx -r "$T/any60.pcap" 2>/dev/null | sed '/^$/d' >"$T/want_any_s60.txt"
	assert_files_equal "two interfaces -s 60 -xx: cut as tcpdump -i any -s 60 cuts" \
		"$T/want_any_s60.txt" "$T/any_s60.txt"
	grep -q "^$va In  ifindex [0-9]* [0-9a-f:]\{17\} ethertype IPv4 (0x0800), length [0-9]*: 10" \
		"$T/any_e.txt" && ok "-e on two interfaces: the cooked header's index, MAC, ethertype" ||
		not_ok "-e on two interfaces: the cooked header's index, MAC, ethertype"
	assert_settles "nothing attached after the -i any forms" "" bpf_progs_in "$NS_A"
}

test_snaplen_limits() {
	rt_in s999 "$NS_A" -i "$VETH_A" -s 999 --duration 0.5
	grep -q '^rsttrace: -s 999: an event carries at most 256 bytes; snaplen 256$' "$T/s999.err" &&
		[ "$RC" -eq 0 ] && ok "-s 999: 256, said on stderr" ||
		{ not_ok "-s 999: 256, said on stderr (exit $RC)"; sed 's/^/# /' "$T/s999.err"; }
	grep -q 'watching .*snaplen 256 bytes' "$T/s999.err" && ok "-s 999: the kernel snapshots 256" ||
		not_ok "-s 999: the kernel snapshots 256"
	rt_in s0 "$NS_A" -i "$VETH_A" -s 0 --duration 0.5
	grep -q 'watching .*snaplen 256 bytes' "$T/s0.err" && ! grep -q '^rsttrace: -s' "$T/s0.err" &&
		ok "-s 0: the most, silently" || not_ok "-s 0: the most, silently"
	rt_in sbad "$NS_A" -i "$VETH_A" -s 300000
	assert_eq "-s 300000: one line, exit 2" "2 1" "$RC $(grep -c . "$T/sbad.err")"
}

test_list_interfaces() {
	local idx
	rt_in D "$NS_A" -D
	nsx "$NS_A" tcpdump -D >"$T/tdD.txt" 2>/dev/null
	assert_eq "-D: exit 0, as many lines as tcpdump -D" "0 $(grep -c . "$T/tdD.txt")" \
		"$RC $(grep -c . "$T/D.out")"
	# Each line is tcpdump's, then (for an interface of this namespace) the hooks.
	paste -d '\n' "$T/tdD.txt" "$T/D.out" | paste - - | awk -F '\t' 'index($2, $1) != 1' >"$T/Ddiff"
	[ ! -s "$T/Ddiff" ] && ok "-D: every line starts with tcpdump -D's" ||
		{ not_ok "-D: every line starts with tcpdump -D's"; sed 's/^/# /' "$T/Ddiff"; }
	idx=$(ip -n "$NS_A" -o link show "$VETH_A" | cut -d: -f1)
	grep -q "^[0-9]*\.$VETH_A \[Up, Running, Connected\] ifindex $idx: xdp native, tc\$" "$T/D.out" &&
		ok "-D: the veth with its ifindex, native XDP and TC" ||
		{ not_ok "-D: the veth with its ifindex, native XDP and TC"; sed 's/^/# /' "$T/D.out"; }
	grep -q "^[0-9]*\.lo \[Up, Running, Loopback\] ifindex 1: xdp generic, tc\$" "$T/D.out" &&
		ok "-D: lo has generic XDP only" ||
		{ not_ok "-D: lo has generic XDP only"; sed 's/^/# /' "$T/D.out"; }
	assert_settles "-D attached nothing" "" bpf_progs_in "$NS_A"
}

# expect_usage NAME LINE1 HINT ARGS...: exactly these two stderr lines, exit 2, no stdout.
expect_usage() {
	local name=$1 l1=$2 l2=$3
	shift 3
	"$RSTTRACE" "$@" >"$T/u.out" 2>"$T/u.err"
	local rc=$?
	printf '%s\n%s\n' "$l1" "$l2" >"$T/u.want"
	if [ $rc -eq 2 ] && cmp -s "$T/u.want" "$T/u.err" && [ ! -s "$T/u.out" ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "exit $rc, stderr:"
		sed 's/^/# /' "$T/u.err" | head -5
	fi
}

test_option_errors() {
	local hint="Try 'rsttrace watch --help'."
	expect_usage "-k: getopt's line and a hint, no usage" \
		"rsttrace: invalid option -- 'k'" "$hint" -k
	expect_usage "-i X -nn -k: the same, after good options" \
		"rsttrace: invalid option -- 'k'" "$hint" -i "$VETH_A" -nnk
	expect_usage "--foo: unrecognized option" \
		"rsttrace: unrecognized option '--foo'" "$hint" watch --foo
	expect_usage "-c without its number" \
		"rsttrace: option requires an argument -- 'c'" "$hint" -c
	expect_usage "--count without its number" \
		"rsttrace: option '--count' requires an argument" "$hint" watch --count
	expect_usage "--json=1: takes no argument" \
		"rsttrace: option '--json' doesn't allow an argument" "$hint" --json=1
	expect_usage "another command names itself in the hint" \
		"rsttrace: unrecognized option '--foo'" "Try 'rsttrace attach --help'." attach --foo
	# A bad value is the option's own one line (no hint: the option was known).
	rt_in qbad "$NS_A" -i "$VETH_A" -Q sideways
	assert_eq "-Q sideways: one line, exit 2" \
		"2 rsttrace: invalid -Q 'sideways': expected in, out or inout" "$RC $(cat "$T/qbad.err")"
	# Not a usage line: exit 2 with one line of its own.
	rt_in zbad "$NS_A" -i "$VETH_A" -Z no-such-user-rt
	assert_eq "-Z unknown user: one line, exit 2" \
		"2 rsttrace: invalid -Z 'no-such-user-rt': no such user" "$RC $(cat "$T/zbad.err")"
}

test_no_command() {
	# Dispatched to watch: its own complaint (no -i, no default route in the test host).
	rt_in nc1 "$NS_A" 'tcp[13] & 4 != 0'
	assert_eq "an expression alone is watch" \
		"2 rsttrace: no default route; name an interface with -i" "$RC $(cat "$T/nc1.err")"
	rt_in nc2 "$NS_A" tcp port 443
	assert_eq "an expression of words is watch" \
		"2 rsttrace: no default route; name an interface with -i" "$RC $(cat "$T/nc2.err")"
	rt_in nc3 "$NS_A" frobnicate
	assert_eq "a word that is neither stays an unknown command" \
		"2 rsttrace: unknown command 'frobnicate' (rsttrace --help lists them)" \
		"$RC $(cat "$T/nc3.err")"
	rt_in nc4 "$NS_A" --version
	grep -q '^rsttrace ' "$T/nc4.out" && [ "$RC" -eq 0 ] && ok "--version stays rsttrace's" ||
		not_ok "--version stays rsttrace's"
}

run_test test_options_against_tcpdump
run_test test_any_link_header
run_test test_snaplen_limits
run_test test_list_interfaces
run_test test_option_errors
run_test test_no_command
finish

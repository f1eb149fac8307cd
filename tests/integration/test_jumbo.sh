#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Resets whose headers lie past the part a program reads directly, on a
# veth pair with a 9000-byte MTU inside test namespaces. Frames are
# written whole by rstgen raw-rst through a packet socket: over a page,
# the skb carries only the Ethernet header in its linear part and the rest
# in frags, which is what TC sees; XDP (native or generic, xdp.frags) sees
# a first buffer of about 3.5 KiB and frags. An IPv6 RST behind 4 KiB of
# destination options and RSTs carrying 5000 payload bytes must count as
# RSTs on every hook with exact counters and no malformed count, print the
# line tcpdump prints for them (same snapshot length), and carry the right
# fields; frames really cut short count as malformed by the right reason.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
R=$RSTTRACE
T=$(tmpdir)
SNAP=256
# The crafted RSTs: IPv6 with dest options (next header 60), or IPv4 RSTs.
FILTER='(ip6 and ip6[6] == 60) or (ip and tcp[tcpflags] & tcp-rst != 0)'

ns_pair j || { not_ok "netns setup"; finish; exit 1; }
ip -n "$NS_A" link set "$VETH_A" mtu 9000
ip -n "$NS_B" link set "$VETH_B" mtu 9000
MAC_A=$(ip -n "$NS_A" -br link show dev "$VETH_A" | awk '{print $3}')
P=$(pin_dir jumbo)

# raw NAME SRC DST PORT [rstgen options]: one crafted RST from B to A.
raw() {
	local name=$1 src=$2 dst=$3 port=$4
	shift 4
	"$RSTGEN" -c "$NS_B" -i "$VETH_B" -m "$MAC_A" -a "$src" "$@" raw-rst "$dst" "$port" 1 \
		>"$T/$name.gen" 2>&1 || { diag "rstgen $name failed:"; sed 's/^/# /' "$T/$name.gen"; }
}

# The valid ones: TCP at 4150 (XDP frags, TC frags); TCP header at 62 /
# 34 in a 5 KiB frame (linear in XDP's first buffer, in frags on TC).
send_valid() {
	raw ext6 "$IP6_B" "$IP6_A" 443 -x 4096
	raw pay6 "$IP6_B" "$IP6_A" 444 -x 8 -p 5000
	raw pay4 "$IP4_B" "$IP4_A" 445 -p 5000
}

# Really cut short, past the first buffer: the TCP header after 4 KiB of
# options (10 of its 20 bytes), the fourth of 8 KiB of option headers.
send_malformed() {
	raw cuttcp "$IP6_B" "$IP6_A" 446 -x 4096 -k 10
	raw cutext "$IP6_B" "$IP6_A" 447 -x 8192 -k 1000
}

# run NAME ARGS...: rsttrace in NS_A (lib.sh rt_in).
run() { rt_in "$1" "$NS_A" "${@:2}"; }

# attach_counts NAME ATTACH-OPTIONS...: persistent attachment, the five
# frames, exact counters; then detach.
attach_counts() {
	local name=$1
	shift
	run "att-$name" attach -i "$VETH_A" --pin-path "$P" "$@"
	assert_eq "$name: attach exits 0" 0 "$RC"
	[ "$RC" -eq 0 ] || { sed 's/^/# /' "$T/att-$name.err"; return; }
	send_valid
	send_malformed
	run "stats-$name" stats --json --pin-path "$P"
	assert_eq "$name: 3 RSTs counted (tcp4, tcp6, rst, rstack exact)" "[1,2,3,0]" \
		"$(jqf "$T/stats-$name.out" '[.counters.tcp4, .counters.tcp6, .counters.rst, .counters.rstack]')"
	assert_eq "$name: every RST an event" "[3,0,0,0,0]" \
		"$(jqf "$T/stats-$name.out" '[.events.delivered, .events.sampled_out, .events.rate_limited, .events.ring_full, .events.filtered]')"
	assert_eq "$name: malformed exactly tcp_truncated 1, ipv6_ext_truncated 1" \
		'2 {"ipv6_ext_truncated":1,"tcp_truncated":1}' \
		"$(jqf "$T/stats-$name.out" .malformed_total) $(jqf "$T/stats-$name.out" '.malformed | with_entries(select(.value > 0))')"
	run "det-$name" detach --all --pin-path "$P"
	assert_eq "$name: detach exits 0" 0 "$RC"
	assert_settles "$name: nothing left attached" "" bpf_progs_in "$NS_A"
}

test_counts_native() {
	attach_counts native
	cat "$T/att-native.out" "$T/att-native.err" | grep -q 'native' &&
		ok "native: XDP auto mode is native on veth" ||
		{ not_ok "native: XDP auto mode is native on veth"; sed 's/^/# /' "$T/att-native.out"; }
}

test_counts_generic() { attach_counts generic --xdp-mode generic; }
test_counts_tc() { attach_counts "tc" --hook tc; }

# watch_vs_tcpdump NAME WATCH-OPTIONS...: the lines of both, byte for byte,
# and the watch summary.
watch_vs_tcpdump() {
	local name=$1
	shift
	bg_start TD_PID nsx "$NS_A" tcpdump -i "$VETH_A" -s "$SNAP" -nn -S -t -l -U "$FILTER" \
		>"$T/td-$name.txt" 2>"$T/td-$name.err"
	wait_for 5 grep -q 'listening on' "$T/td-$name.err" || { not_ok "$name: tcpdump"; return; }
	bg_start W_PID nsx "$NS_A" "$R" watch -i "$VETH_A" -t --rate-limit 0 --snaplen "$SNAP" "$@" \
		>"$T/w-$name.txt" 2>"$T/w-$name.err"
	wait_for 10 grep -q watching "$T/w-$name.err" ||
		{ not_ok "$name: watch attached"; sed 's/^/# /' "$T/w-$name.err"; return; }
	send_valid
	wait_for 5 test "$(grep -c . "$T/w-$name.txt")" -ge 3
	sleep 0.3
	bg_stop "$W_PID" INT
	assert_eq "$name: watch exits 0" 0 "$BG_STATUS"
	bg_stop "$TD_PID" INT
	sed -i '/^$/d' "$T/td-$name.txt"
	assert_eq "$name: tcpdump saw the 3 RSTs" 3 "$(grep -c . "$T/td-$name.txt")"
	assert_files_equal "$name: watch lines byte-identical to tcpdump -s $SNAP -nn -S -t" \
		"$T/td-$name.txt" "$T/w-$name.txt"
	assert_eq "$name: watch summary counts 3 RSTs" \
		"3 RSTs counted by the kernel (3 RST, 0 RST-ACK)" \
		"$(grep 'RSTs counted by the kernel' "$T/w-$name.err")"
}

test_lines_xdp() { watch_vs_tcpdump xdp; }
test_lines_tc() { watch_vs_tcpdump tc --hook tc; }

# The event fields, not only the snapshot: ports, seq, flags, length, offsets.
json_fields() {
	local name=$1
	shift
	bg_start W_PID nsx "$NS_A" "$R" watch -i "$VETH_A" --json --rate-limit 0 "$@" \
		>"$T/j-$name.txt" 2>"$T/j-$name.err"
	wait_for 10 grep -q watching "$T/j-$name.err" || { not_ok "$name: watch --json"; return; }
	send_valid
	wait_for 5 test "$(grep -c . "$T/j-$name.txt")" -ge 3
	bg_stop "$W_PID" INT
	assert_eq "$name: JSON events carry the fields of the packets" \
		"$(printf '%s\n' \
			"[\"ipv6\",\"$IP6_B\",40000,\"$IP6_A\",443,\"R\",1000000,0,0,64,4170]" \
			"[\"ipv6\",\"$IP6_B\",40000,\"$IP6_A\",444,\"R\",1000000,0,5000,64,5082]" \
			"[\"ipv4\",\"$IP4_B\",40000,\"$IP4_A\",445,\"R\",1000000,0,5000,64,5054]")" \
		"$(jq -c '[.family, .src, .sport, .dst, .dport, .flags, .seq, .win, .len, .ttl, .pkt_len]' \
			"$T/j-$name.txt" 2>&1)"
}

test_json_xdp() { json_fields xdp; }
test_json_tc() { json_fields tc --hook tc; }

run_test test_counts_native
run_test test_counts_generic
run_test test_counts_tc
run_test test_lines_xdp
run_test test_lines_tc
run_test test_json_xdp
run_test test_json_tc
finish

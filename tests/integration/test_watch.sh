#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rsttrace watch against tcpdump, side by side on the same veth interface
# inside test namespaces: real resets over IPv4 and IPv6 (refused, abortive
# close by either side, data to a closed socket). The lines (with -t) must
# be byte-identical and the kernel RST counter must equal tcpdump's count.
# Then lifecycle and bad input: SIGINT and SIGKILL leave nothing attached,
# every error is one line with the documented exit status.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
T=$(tmpdir)
# tcpdump's RST filter; for IPv6 the flags byte is at 40 + 13 (no ext headers here).
RST_FILTER='tcp[tcpflags] & tcp-rst != 0 or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)'

ns_pair w || { not_ok "netns setup"; finish; exit 1; }

# start_tcpdump NS IFACE OUTFILE [tcpdump args]: waits until it listens.
start_tcpdump() {
	local ns=$1 ifc=$2 out=$3
	shift 3
	bg_start TD_PID nsx "$ns" tcpdump -i "$ifc" -nn -S -t -l -U "$@" "$RST_FILTER" \
		>"$out" 2>"$out.err"
	wait_for 5 grep -q 'listening on' "$out.err"
}

# stop_tcpdump: SIGINT, then drop the empty line tcpdump may end with.
stop_tcpdump() {
	local out=$1
	bg_stop "$TD_PID" INT
	sed -i '/^$/d' "$out"
}

# start_watch OUTFILE ARGS...: rsttrace watch in NS_A; waits until attached.
start_watch() {
	local out=$1
	shift
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch "$@" >"$out" 2>"$out.err"
	wait_for 10 grep -q 'watching' "$out.err"
}

gen() { # gen MODE ADDR PORT COUNT: server side in NS_A, client in NS_B
	"$RSTGEN" -s "$NS_A" -c "$NS_B" "$@" >/dev/null 2>&1
	sleep 0.2
}

make_resets() {
	gen refused "$IP4_A" 9 3
	gen refused "$IP6_A" 9 3
	gen abort-server "$IP4_A" 8001 2
	gen abort-server "$IP6_A" 8002 2
	gen abort-client "$IP4_A" 8003 2
	gen abort-client "$IP6_A" 8004 2
	gen data-closed "$IP4_A" 8005 2
	gen data-closed "$IP6_A" 8006 1
}

kernel_rsts() { sed -n 's/^\([0-9]*\) RSTs counted by the kernel.*/\1/p' "$1"; }

test_identical_to_tcpdump() {
	start_tcpdump "$NS_A" "$VETH_A" "$T/td.txt" || { not_ok "tcpdump started"; return; }
	start_watch "$T/w.txt" -i "$VETH_A" -t --rate-limit 0 ||
		{ not_ok "watch attached"; cat "$T/w.txt.err" | sed 's/^/# /'; return; }
	make_resets
	sleep 0.5
	bg_stop "$W_PID" INT
	assert_eq "watch exits 0 on SIGINT" 0 "$BG_STATUS"
	stop_tcpdump "$T/td.txt"
	local n_td n_w
	n_td=$(grep -c . "$T/td.txt")
	n_w=$(grep -c . "$T/w.txt")
	[ "$n_td" -ge 17 ] && ok "tcpdump saw the generated resets ($n_td)" ||
		not_ok "tcpdump saw the generated resets (got $n_td, want >= 17)"
	assert_files_equal "watch lines byte-identical to tcpdump -nn -S -t ($n_w lines)" \
		"$T/td.txt" "$T/w.txt"
	assert_eq "kernel RST counter equals tcpdump's packet count" "$n_td" \
		"$(kernel_rsts "$T/w.txt.err")"
	grep -q 'IP6 ' "$T/w.txt" && grep -q 'IP ' "$T/w.txt" &&
		ok "both IPv4 and IPv6 resets traced" || not_ok "both IPv4 and IPv6 resets traced"
	grep -q 'R\.\], seq [0-9]*, ack [0-9]*, win 0, length 0' "$T/w.txt" &&
		grep -q 'Flags \[R\], seq' "$T/w.txt" &&
		ok "RST and RST-ACK both present" || not_ok "RST and RST-ACK both present"
	assert_settles "no programs left after SIGINT" "" bpf_progs_in "$NS_A"
}

test_hooks_and_verbose() {
	start_watch "$T/v.txt" -i "$VETH_A" -t -v --rate-limit 0 || { not_ok "watch -v"; return; }
	gen refused "$IP4_A" 9 1
	gen abort-client "$IP4_A" 8010 1
	sleep 0.3
	bg_stop "$W_PID" INT
	# Refused: the RST-ACK leaves A (TC egress); the client's abort comes in (XDP).
	# The kernel's reason follows where it has one (test_reasons.sh checks it).
	grep -q "^IP $IP4_A\.9 > $IP4_B\.[0-9]*: Flags \[R\.\].* ttl 64 id [0-9]* hook tc-out class refused\( reason no_socket\)\{0,1\} stage refused conn REJ\$" "$T/v.txt" &&
		ok "egress RST seen through TC with -v extras" ||
		{ not_ok "egress RST seen through TC with -v extras"; sed 's/^/# /' "$T/v.txt"; }
	grep -q "^IP $IP4_B\.[0-9]* > $IP4_A\.8010: Flags \[R\.\].* hook xdp class abort fate accepted stage handshake conn RSTO cgroup [^ ]* uid 0\$" "$T/v.txt" &&
		ok "ingress RST seen through XDP" ||
		{ not_ok "ingress RST seen through XDP"; sed 's/^/# /' "$T/v.txt"; }
}

test_tc_ingress_hook() {
	start_tcpdump "$NS_A" "$VETH_A" "$T/td2.txt"
	start_watch "$T/w2.txt" -i "$VETH_A" -t --hook tc --direction in --rate-limit 0 ||
		{ not_ok "watch --hook tc"; return; }
	gen abort-client "$IP4_A" 8011 2
	gen abort-client "$IP6_A" 8012 2
	gen refused "$IP4_A" 9 2 # egress only: must not appear with --direction in
	sleep 0.3
	bg_stop "$W_PID" INT
	stop_tcpdump "$T/td2.txt"
	grep -v " > $IP4_B\.\| > $IP6_B\." "$T/td2.txt" >"$T/td2.in"
	assert_files_equal "--hook tc --direction in: ingress lines equal tcpdump's" \
		"$T/td2.in" "$T/w2.txt"
}

test_two_interfaces_any_prefix() {
	# A second veth pair between the same hosts: 10.202.N.0/24.
	local va="xa${_TAG}" vb="xb${_TAG}"
	ip link add "$va" netns "$NS_A" type veth peer name "$vb" netns "$NS_B"
	ip -n "$NS_A" addr add 10.202.7.1/24 dev "$va"
	ip -n "$NS_B" addr add 10.202.7.2/24 dev "$vb"
	ip -n "$NS_A" link set "$va" up
	ip -n "$NS_B" link set "$vb" up
	nsx "$NS_B" ping -c1 -W2 10.202.7.1 >/dev/null 2>&1
	start_tcpdump "$NS_A" any "$T/td3.txt" || { not_ok "tcpdump -i any"; return; }
	start_watch "$T/w3.txt" -i "$VETH_A" -i "$va" -t --rate-limit 0 ||
		{ not_ok "watch on two interfaces"; return; }
	gen refused "$IP4_A" 9 2
	gen refused 10.202.7.1 9 2
	gen abort-client 10.202.7.1 8013 1
	sleep 0.3
	bg_stop "$W_PID" INT
	stop_tcpdump "$T/td3.txt"
	assert_files_equal "two interfaces: lines equal tcpdump -i any (with its prefix)" \
		"$T/td3.txt" "$T/w3.txt"
	grep -q "^$va In  IP" "$T/w3.txt" && grep -q "^$VETH_A Out IP" "$T/w3.txt" &&
		ok "-i any prefix carries interface and direction" ||
		not_ok "-i any prefix carries interface and direction"
}

test_count_and_duration() {
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" -c 2 -t --rate-limit 0 \
		>"$T/c.txt" 2>"$T/c.err"
	wait_for 10 grep -q watching "$T/c.err"
	gen refused "$IP4_A" 9 5
	wait_for 5 bash -c "! kill -0 $W_PID"
	bg_stop "$W_PID" INT
	assert_eq "-c 2 prints exactly 2 lines and exits 0" "2 0" \
		"$(grep -c . "$T/c.txt") $BG_STATUS"
	local t0=$SECONDS
	nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --duration 1 >/dev/null 2>"$T/d.err"
	local rc=$?
	[ $rc -eq 0 ] && [ $((SECONDS - t0)) -le 4 ] && ok "--duration 1 exits 0 on time" ||
		not_ok "--duration 1 exits 0 on time (rc $rc, $((SECONDS - t0)) s)"
	assert_settles "nothing attached after --duration" "" bpf_progs_in "$NS_A"
}

test_sigkill_detaches() {
	start_watch "$T/k.txt" -i "$VETH_A" || { not_ok "watch for SIGKILL"; return; }
	[ -n "$(bpf_progs_in "$NS_A")" ] && ok "programs attached while watch runs" ||
		not_ok "programs attached while watch runs"
	bg_stop "$W_PID" KILL
	# Links die with the last fd; the kernel releases them asynchronously.
	wait_for 5 bash -c "! nsenter --net=/run/netns/$NS_A $IFPROGS | grep -q rst_"
	assert_settles "SIGKILL leaves no program attached" "" bpf_progs_in "$NS_A"
}

# expect_fail NAME STATUS PATTERN ARGS...: one-line error, exact exit status.
expect_fail() {
	local name=$1 want=$2 pat=$3
	shift 3
	nsx "$NS_A" "$@" >"$T/e.out" 2>"$T/e.err"
	local rc=$? lines
	lines=$(grep -c . "$T/e.err")
	if [ $rc -eq "$want" ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$T/e.err"; then
		ok "$name"
	else
		not_ok "$name"
		diag "exit $rc (want $want), $lines stderr lines, want /$pat/:"
		sed 's/^/# /' "$T/e.err" | head -5
	fi
}

test_bad_input() {
	local R=$RSTTRACE
	expect_fail "unknown interface: exit 2" 2 "nosuch0: no such interface" \
		"$R" watch -i nosuch0
	ip -n "$NS_A" link add "dn${_TAG}" type veth peer name "dp${_TAG}"
	expect_fail "down interface: exit 1" 1 "dn${_TAG}: interface is down" \
		"$R" watch -i "dn${_TAG}"
	# ifb has no native XDP.
	ip -n "$NS_A" link add "nx${_TAG}" type ifb
	ip -n "$NS_A" link set "nx${_TAG}" up
	expect_fail "native XDP unsupported: exit 1 with a hint" 1 "xdp-mode generic" \
		"$R" watch -i "nx${_TAG}" --xdp-mode native
	assert_settles "nothing left on the ifb interface" "" bpf_progs_in "$NS_A"
	expect_fail "bad --sample: exit 2" 2 "invalid --sample 'abc'" "$R" watch -i "$VETH_A" --sample abc
	expect_fail "negative -c: exit 2" 2 "invalid -c '-1'" "$R" watch -i "$VETH_A" -c -1
	expect_fail "--snaplen out of range: exit 2" 2 "invalid --snaplen '9999'" \
		"$R" watch -i "$VETH_A" --snaplen 9999
	expect_fail "--sample overflow: exit 2" 2 "out of range" \
		"$R" watch -i "$VETH_A" --sample 99999999999999999999999
	expect_fail "bad --hook: exit 2" 2 "invalid --hook 'foo'" "$R" watch -i "$VETH_A" --hook foo
	expect_fail "bad --duration: exit 2" 2 "invalid --duration '1x'" \
		"$R" watch -i "$VETH_A" --duration 1x
	expect_fail "unknown command: exit 2" 2 "unknown command 'frobnicate'" "$R" frobnicate
	expect_fail "not root: exit 1" 1 "permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$R" watch -i "$VETH_A"
	# A foreign XDP program: refused, and still there afterwards.
	cat >"$T/foreign.c" <<-'EOF'
		#include <linux/bpf.h>
		__attribute__((section("xdp"), used)) int foreign_xdp(struct xdp_md *ctx) { return XDP_PASS; }
		char _license[] __attribute__((section("license"), used)) = "GPL";
	EOF
	clang -O2 -target bpf -I/usr/include/$(uname -m)-linux-gnu -c "$T/foreign.c" -o "$T/foreign.o"
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric obj "$T/foreign.o" sec xdp
	expect_fail "foreign XDP program: refused, exit 1, names it and the way out" 1 \
		"XDP hook held by program [0-9]* (foreign_xdp, generic mode); rsttrace will not replace it: use --hook tc" \
		"$R" watch -i "$VETH_A"
	all_progs_in "$NS_A" | grep -q "^$VETH_A xdp_generic foreign_xdp " &&
		ok "foreign XDP program untouched" || not_ok "foreign XDP program untouched"
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric off
	assert_settles "no program of ours left after the failures" "" bpf_progs_in "$NS_A"
}

# -v is the output detail only, as tcpdump's; the log level is -d's (or
# RSTTRACE_DEBUG's): each apart from the other.
test_verbose_apart_from_debug() {
	local f
	start_watch "$T/lv.txt" -i "$VETH_A" -v --rate-limit 0 || { not_ok "watch -v"; return; }
	gen refused "$IP4_A" 9 1
	bg_stop "$W_PID" INT
	grep -q " hook tc-out class refused" "$T/lv.txt" &&
		ok "-v: the lines carry the extras" || not_ok "-v: the lines carry the extras"
	grep -q "^$VETH_A: XDP attached in" "$T/lv.txt.err" &&
		{ not_ok "-v: no info messages"; sed 's/^/# /' "$T/lv.txt.err"; } ||
		ok "-v: no info messages"
	for f in d env; do
		if [ $f = d ]; then
			start_watch "$T/l$f.txt" -i "$VETH_A" -d --rate-limit 0
		else
			RSTTRACE_DEBUG=1 start_watch "$T/l$f.txt" -i "$VETH_A" --rate-limit 0
		fi || { not_ok "watch ($f) attached"; continue; }
		gen refused "$IP4_A" 9 1
		bg_stop "$W_PID" INT
		grep -q "^$VETH_A: XDP attached in [a-z]* mode\$" "$T/l$f.txt.err" &&
			ok "$f: the info messages" ||
			{ not_ok "$f: the info messages"; sed 's/^/# /' "$T/l$f.txt.err"; }
		grep -q "Flags \[R\.\], seq 0, ack [0-9]*, win 0, length 0\$" "$T/l$f.txt" &&
			ok "$f: the lines without the -v extras" ||
			{ not_ok "$f: the lines without the -v extras"; sed 's/^/# /' "$T/l$f.txt"; }
	done
}

run_test test_identical_to_tcpdump
run_test test_hooks_and_verbose
run_test test_verbose_apart_from_debug
run_test test_tc_ingress_hook
run_test test_two_interfaces_any_prefix
run_test test_count_and_duration
run_test test_sigkill_detaches
run_test test_bad_input
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's reasons for the resets a host sends, and suspected
# injection, on real traffic between two test namespaces: rsttrace watch
# --json on the server's veth while rstgen makes refused connections,
# abortive closes (SO_LINGER 0) by either side and data to a closed
# socket, over IPv4 and IPv6; each reset sent must carry the reason and
# socket state the kernel gives (values as 6.18 has them, see
# docs/json.md), each one received none. Then an RST injected by hping3
# with another TTL than its SYN's, the text -v line, and the persistent
# attachment's tracing link (pinned, shown, removed with the last
# interface). Skips what the kernel cannot do (no tcp_send_reset with a
# reason): then no event may carry a reason.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
T=$(tmpdir)

ns_pair rs || { not_ok "netns setup"; finish; exit 1; }

# start_watch OUTFILE ARGS...: rsttrace watch on the server end; waits until attached.
start_watch() {
	local out=$1
	shift
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --rate-limit 0 "$@" \
		>"$out" 2>"$out.err"
	wait_for 10 grep -q 'watching' "$out.err"
}

gen() { # gen MODE ADDR PORT COUNT: server side in NS_A, client in NS_B
	"$RSTGEN" -s "$NS_A" -c "$NS_B" "$@" >/dev/null 2>&1
	sleep 0.2
}

# count FILE JQ-FILTER [jq args]: events (lines) that match the filter.
count() {
	local f=$1 q=$2
	shift 2
	jq -c "$@" "select($q)" "$f" | wc -l
}

# The kernel tells at -dd whether it can give reasons.
HAVE_REASONS=
probe() {
	start_watch "$T/probe.txt" -vv -dd || { not_ok "watch attached (probe)"; return; }
	bg_stop "$W_PID" INT
	if grep -q 'kernel reset reasons on' "$T/probe.txt.err"; then
		HAVE_REASONS=1
		ok "-vv says the kernel has reset reasons (tp_btf/tcp_send_reset)"
	elif grep -q 'kernel reset reasons off' "$T/probe.txt.err"; then
		ok "-vv says why there are no kernel reset reasons"
		diag "$(grep 'kernel reset reasons off' "$T/probe.txt.err")"
	else
		not_ok "-vv says whether the kernel has reset reasons"
	fi
}

test_reasons() {
	local f=$T/r.json n
	start_watch "$f" --json ||
		{ not_ok "watch attached"; sed 's/^/# /' "$f.err"; return; }
	gen refused "$IP4_A" 9 2
	gen refused "$IP6_A" 9 2
	gen abort-server "$IP4_A" 8101 2
	gen abort-server "$IP6_A" 8102 2
	gen data-closed "$IP4_A" 8103 2
	gen data-closed "$IP6_A" 8104 2
	gen abort-client "$IP4_A" 8105 1
	gen abort-client "$IP6_A" 8106 1
	sleep 0.5
	bg_stop "$W_PID" INT
	assert_eq "watch exits 0" 0 "$BG_STATUS"
	assert_cmd "every line is JSON" jq -e . "$f"
	n=$(grep -c . "$f")
	[ "$n" -ge 14 ] && ok "the resets were traced ($n events)" ||
		not_ok "the resets were traced ($n events, want >= 14)"
	if [ -z "$HAVE_REASONS" ]; then
		assert_eq "no kernel reasons: every reason and state is null" 0 \
			"$(count "$f" '.reason != null or .state != null')"
		return
	fi
	# Refused: no socket at all, so no state.
	assert_eq "refused IPv4: reason no_socket, state null" 2 \
		"$(count "$f" '.sport == 9 and .family == "ipv4" and .dir == "out" and
			.reason == "no_socket" and .state == null')"
	assert_eq "refused IPv6: reason no_socket, state null" 2 \
		"$(count "$f" '.sport == 9 and .family == "ipv6" and .dir == "out" and
			.reason == "no_socket" and .state == null')"
	# SO_LINGER 0 on an established socket: tcp_disconnect() moves it to
	# CLOSE, then sends the RST (SK_RST_REASON_TCP_STATE); an active reset,
	# whose record comes after the packet (the late join in userspace).
	assert_eq "server abort IPv4: reason tcp_state, state close" 2 \
		"$(count "$f" '.sport == 8101 and .dir == "out" and .flags == "R." and
			.reason == "tcp_state" and .state == "close"')"
	assert_eq "server abort IPv6: reason tcp_state, state close" 2 \
		"$(count "$f" '.sport == 8102 and .dir == "out" and .flags == "R." and
			.reason == "tcp_state" and .state == "close"')"
	# The server closed first: its orphan in FIN_WAIT2 became a timewait
	# socket, which answers the late data (SK_RST_REASON_TCP_TIMEWAIT_SOCKET).
	assert_eq "data to a closed socket IPv4: reason tcp_timewait_socket, state time_wait" 2 \
		"$(count "$f" '.sport == 8103 and .dir == "out" and
			.reason == "tcp_timewait_socket" and .state == "time_wait"')"
	assert_eq "data to a closed socket IPv6: reason tcp_timewait_socket, state time_wait" 2 \
		"$(count "$f" '.sport == 8104 and .dir == "out" and
			.reason == "tcp_timewait_socket" and .state == "time_wait"')"
	# The client's RSTs come in: the kernel reason is for RSTs sent here.
	assert_eq "client aborts (received): no reason, no state" 0 \
		"$(count "$f" '(.dport == 8105 or .dport == 8106) and
			(.dir != "in" or .reason != null or .state != null)')"
	[ "$(count "$f" '.dport == 8105 or .dport == 8106')" -ge 2 ] &&
		ok "client aborts present" || not_ok "client aborts present"
	assert_eq "every reset sent here has a reason" 0 "$(count "$f" '.dir == "out" and .reason == null')"
	assert_eq "no reset here is a suspected injection" 0 \
		"$(count "$f" '.class == "injection_candidate"')"
}

# The same in the text line, after the tcpdump part, with -v.
test_text() {
	local f=$T/r.txt
	[ -z "$HAVE_REASONS" ] && { ok "text -v: skipped, no kernel reasons"; return; }
	start_watch "$f" -v -t || { not_ok "watch -v attached"; return; }
	gen refused "$IP4_A" 9 1
	gen abort-server "$IP6_A" 8111 1
	sleep 0.3
	bg_stop "$W_PID" INT
	grep -q "^IP $IP4_A\.9 > $IP4_B\.[0-9]*: Flags \[R\.\], seq 0, ack [0-9]*, win 0, length 0 ttl 64 id 0 hook tc-out class refused reason no_socket stage refused conn REJ$" \
		"$f" && ok "text -v: refused line ends in 'class refused reason no_socket'" ||
		{ not_ok "text -v: refused line"; sed 's/^/# /' "$f"; }
	grep -q "^IP6 $IP6_A\.8111 > .* hook tc-out class abort reason tcp_state state close stage client_data conn RSTR cgroup [^ ]* uid 0 pid [0-9]* comm rstgen$" "$f" &&
		ok "text -v: abort line ends in 'class abort reason tcp_state state close'" ||
		{ not_ok "text -v: abort line"; sed 's/^/# /' "$f"; }
}

# hping3 in the client namespace: a SYN from a fixed port, then an RST on
# the same ports with TTL 7 (the SYN had 64). A second RST at TTL 64 on
# another port is the control. The flow table is per CPU and a veth
# delivers on the sender's CPU: every sender runs on CPU 0, as RSS keeps a
# flow's direction on one receive queue (docs/architecture.md).
test_injection() {
	local f=$T/inj.json
	start_watch "$f" --json || { not_ok "watch attached"; return; }
	nsx "$NS_B" timeout 5 taskset -c 0 hping3 -q -S -s 40123 -k -p 8200 -c 1 "$IP4_A" >/dev/null 2>&1
	nsx "$NS_B" timeout 5 taskset -c 0 hping3 -q -R -s 40123 -k -p 8200 -t 7 -c 1 "$IP4_A" >/dev/null 2>&1
	nsx "$NS_B" timeout 5 taskset -c 0 hping3 -q -S -s 40124 -k -p 8200 -c 1 "$IP4_A" >/dev/null 2>&1
	nsx "$NS_B" timeout 5 taskset -c 0 hping3 -q -R -s 40124 -k -p 8200 -c 1 "$IP4_A" >/dev/null 2>&1
	sleep 0.5
	bg_stop "$W_PID" INT
	assert_eq "injected RST (TTL 7 after a SYN at 64): injection_candidate" 1 \
		"$(count "$f" '.sport == 40123 and .dir == "in" and .flags == "R" and .ttl == 7 and
			.class == "injection_candidate" and .reason == null')"
	assert_eq "RST at the SYN's TTL: not suspected" 1 \
		"$(count "$f" '.sport == 40124 and .dir == "in" and .flags == "R" and .ttl == 64 and
			.class != "injection_candidate"')"
	assert_eq "the server's own refusals are not suspected" 2 \
		"$(count "$f" '.sport == 8200 and .dir == "out" and .class == "refused"')"
}

# attach pins the tracing link beside the interfaces' links; status shows
# it; detaching the last interface removes it with the rest.
test_persistent() {
	local P st
	pin_dir reasons >/dev/null
	P=${_PINS[${#_PINS[@]} - 1]}
	nsx "$NS_A" "$RSTTRACE" attach -i "$VETH_A" --pin-path "$P" >"$T/att.out" 2>"$T/att.err"
	assert_eq "attach: exit 0" 0 "$?"
	nsx "$NS_A" "$RSTTRACE" status --json --pin-path "$P" >"$T/st.json" 2>"$T/st.err"
	if [ -n "$HAVE_REASONS" ]; then
		assert_eq "status: the tracing link is attached, its program listed" "true true" \
			"$(jq -c '.tracing.attached' "$T/st.json") $(jq -c '[.programs[].name] | index("rst_send_reset") != null' "$T/st.json")"
		[ -e "$P/trace/rst_send_reset" ] && ok "the tracing link is pinned under trace/" ||
			not_ok "the tracing link is pinned under trace/"
		st=$(nsx "$NS_A" "$RSTTRACE" status --pin-path "$P" 2>&1)
		grep -q '^kernel reset reasons: tracepoint tcp_send_reset, link [0-9]' <<<"$st" &&
			ok "status (text) shows the tracing link" ||
			{ not_ok "status (text) shows the tracing link"; diag "$st"; }
		# A second attach keeps the same link.
		nsx "$NS_A" "$RSTTRACE" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>&1
		nsx "$NS_A" "$RSTTRACE" status --json --pin-path "$P" >"$T/st2.json" 2>/dev/null
		assert_eq "attach again: the same tracing link" \
			"$(jq -c .tracing.link_id "$T/st.json")" "$(jq -c .tracing.link_id "$T/st2.json")"
	else
		assert_eq "status: no tracing link without kernel reasons" false \
			"$(jq -c '.tracing.attached' "$T/st.json")"
	fi
	local link
	link=$(jq -r '.tracing.link_id' "$T/st.json")
	nsx "$NS_A" "$RSTTRACE" detach -i "$VETH_A" --pin-path "$P" >"$T/det.out" 2>&1
	assert_eq "detach the last interface: exit 0, pins gone" "0 no" \
		"$? $([ -e "$P" ] && echo yes || echo no)"
	if [ -n "$HAVE_REASONS" ] && [ "$link" != 0 ]; then
		assert_settles "the tracing link $link is gone after detach" no link_alive "$link"
	fi
}

link_alive() { bpftool link show id "$1" >/dev/null 2>&1 && echo yes || echo no; }

# --direction in: nothing is sent through a traced hook, no tracing either.
test_ingress_only() {
	local f=$T/in.json
	[ -z "$HAVE_REASONS" ] && { ok "ingress only: skipped, no kernel reasons"; return; }
	start_watch "$f" --json --direction in -vv -dd || { not_ok "watch attached"; return; }
	bg_stop "$W_PID" INT
	grep -q 'kernel reset reasons: tracing tcp_send_reset' "$f.err" &&
		not_ok "--direction in: the tracepoint is not attached" ||
		ok "--direction in: the tracepoint is not attached"
}

run_test probe
run_test test_reasons
run_test test_text
run_test test_injection
run_test test_persistent
run_test test_ingress_only
finish

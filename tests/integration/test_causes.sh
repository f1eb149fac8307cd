#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Why resets happen, counted in the kernel (docs/reasons.md): each
# scenario between two test namespaces makes exactly one reset of one
# cause at the server (NS_A): a closed port over IPv4 and IPv6 (refused),
# nft `reject with tcp reset` and iptables `REJECT --reject-with
# tcp-reset` (firewall), close with unread data and SO_LINGER 0 (abort),
# a keepalive that gives up (timeout), `ss -K` (abort). A persistent
# attachment with no consumer counts; `stats --json` before and after
# each scenario gives the deltas, asserted exactly: class, reason, kind,
# state, egress origin, socket errors. The oracle is the namespace's own
# MIB (`nstat -az` inside it): TcpOutRsts equals the stack's sent count,
# TcpExtTCPAbortOn{Close,Data,Timeout} the matching reasons, and a
# firewall reset is in rsttrace's firewall count and not in TcpOutRsts.
# A watch --json beside it gives each event its class. Skips what the
# kernel cannot do (no tcp_send_reset with a reason).

. "$(dirname "$0")/lib.sh"
GEN="$(dirname "$0")/causes_gen.py"
T=$(tmpdir)
export NSTAT_HISTORY=$T/nstat.hist

ns_pair cz || { not_ok "netns setup"; finish; exit 1; }
mkpin P causes

# stats as JSON (the persistent attachment's) and the MIB, as NAME.{json,mib}.
snap() {
	nsx "$NS_A" "$RSTTRACE" stats --json --pin-path "$P" >"$T/$1.json" 2>"$T/$1.err"
	nsx "$NS_A" nstat -asz >"$T/$1.mib" 2>/dev/null
}

# d JQPATH: the scenario's delta of a stats value (after - before), 0 for null.
d() { echo $(($(jq "$1 // 0" "$T/after.json") - $(jq "$1 // 0" "$T/before.json"))); }
# m NAME: the delta of a MIB counter.
mv() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }
m() { echo $(($(mv "$1" "$T/after.mib" || echo 0) - $(mv "$1" "$T/before.mib" || echo 0))); }
# dr REASON KIND: the delta of one reason's count (all states).
dr() {
	local q="[.causes.reasons[] | select(.reason == \"$1\" and .kind == \"$2\") | .count] | add // 0"
	echo $(($(jq "$q" "$T/after.json") - $(jq "$q" "$T/before.json")))
}
# ds REASON KIND STATE: the same for one state ("null" for no socket).
ds() {
	local q="[.causes.reasons[] | select(.reason == \"$1\" and .kind == \"$2\" and .state == $3) | .count] | add // 0"
	echo $(($(jq "$q" "$T/after.json") - $(jq "$q" "$T/before.json")))
}

# scenario NAME MODE ADDR PORT: one reset, snapshots around it; the generator's
# output in $T/NAME.gen.
scenario() {
	local name=$1 mode=$2 addr=$3 port=$4
	snap before
	timeout 20 python3 "$GEN" "$mode" "$NS_A" "$NS_B" "$addr" "$port" >"$T/$name.gen" 2>&1
	sleep 0.3
	snap after
}

# errs: the scenario's socket-error deltas, "econnreset econnrefused etimedout epipe other".
errs() {
	echo "$(d .causes.errors.econnreset) $(d .causes.errors.econnrefused)" \
		"$(d .causes.errors.etimedout) $(d .causes.errors.epipe) $(d .causes.errors.other)"
}

# The deltas every scenario has: the stack's own count against the MIB's.
common() {
	local name=$1
	assert_eq "$name: stack resets sent == TcpOutRsts" "$(m TcpOutRsts)" "$(d .causes.sent)"
}

# classes_only NAME CLASS: the class total grew by one, every other by none.
classes_only() {
	local name=$1 cls=$2 c got=""
	for c in refused firewall abort timeout memory protocol after_fin injection_candidate \
		no_flow unknown; do
		got+="$c=$(d ".causes.classes.$c") "
	done
	local want=${got//=1 /=0 }
	want=${want/$cls=0 /$cls=1 }
	assert_eq "$name: class $cls +1, no other" "$want" "$got"
}

HAVE=
setup() {
	rt_in att "$NS_A" attach -i "$VETH_A" --pin-path "$P" -vv -dd
	assert_eq "attach: exit 0" 0 "$RC"
	if grep -q 'kernel reset reasons on' "$T/att.err"; then
		HAVE=1
	else
		diag "$(grep 'kernel reset reasons off' "$T/att.err")"
	fi
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --hook tc --rate-limit 0 --json \
		>"$T/w.json" 2>"$T/w.err"
	wait_for 10 grep -q watching "$T/w.err" || { not_ok "watch attached"; sed "s/^/# /" "$T/w.err"; }
	# Short keepalive for the timeout scenario, in the server's namespace only.
	nsx "$NS_A" sysctl -qw net.ipv4.tcp_keepalive_time=1 net.ipv4.tcp_keepalive_intvl=1 \
		net.ipv4.tcp_keepalive_probes=1
}

test_refused() {
	local a
	for a in "$IP4_A" "$IP6_A"; do
		scenario "refused $a" connect "$a" 9
		assert_eq "refused $a: the client got ECONNREFUSED" ECONNREFUSED \
			"$(cat "$T/refused $a.gen")"
		[ -z "$HAVE" ] && continue
		common "refused $a"
		assert_eq "refused $a: 1 sent, no_socket answering a SYN, no socket" "1 1 1" \
			"$(d .causes.sent) $(dr no_socket syn) $(ds no_socket syn null)"
		classes_only "refused $a" refused
		assert_eq "refused $a: egress stack +1, firewall +0, other +0" "1 0 0" \
			"$(d .causes.egress.stack) $(d .causes.egress.firewall) $(d .causes.egress.other)"
		# The client's ECONNREFUSED is in its own namespace: not counted here.
		assert_eq "refused $a: no socket error here" "0 0 0 0 0" "$(errs)"
	done
}

# fw NAME PORT: one connect into a reject rule made by the caller.
fw() {
	local name=$1 port=$2
	scenario "$name" connect "$IP4_A" "$port"
	assert_eq "$name: the client got ECONNREFUSED" ECONNREFUSED "$(cat "$T/$name.gen")"
	[ -z "$HAVE" ] && return
	assert_eq "$name: not the stack's: sent +0, TcpOutRsts +0" "0 0" \
		"$(d .causes.sent) $(m TcpOutRsts)"
	classes_only "$name" firewall
	assert_eq "$name: egress firewall +1, stack +0, other +0" "1 0 0" \
		"$(d .causes.egress.firewall) $(d .causes.egress.stack) $(d .causes.egress.other)"
	assert_eq "$name: no socket error here" "0 0 0 0 0" "$(errs)"
}

test_firewall() {
	if ! command -v nft >/dev/null || ! command -v iptables >/dev/null; then
		ok "firewall # SKIP needs nft and iptables (make deps)"
		return
	fi
	# Tables made inside the server's namespace only; they go with it.
	nsx "$NS_A" nft -f - <<-NFT
		table inet rsttrace_test {
			chain input {
				type filter hook input priority 0;
				tcp dport 7001 reject with tcp reset
			}
		}
	NFT
	assert_eq "nft: the reject rule is in the test namespace" 0 "$?"
	fw "nft reject with tcp reset" 7001
	nsx "$NS_A" nft delete table inet rsttrace_test
	nsx "$NS_A" iptables -A INPUT -p tcp --dport 7002 -j REJECT --reject-with tcp-reset
	assert_eq "iptables: the REJECT rule is in the test namespace" 0 "$?"
	fw "iptables REJECT tcp-reset" 7002
	nsx "$NS_A" iptables -D INPUT -p tcp --dport 7002 -j REJECT --reject-with tcp-reset
}

# active NAME MODE PORT REASON STATE CLASS MIB ERRS: an active reset of the server's
# socket; ERRS its socket errors (errs).
active() {
	local name=$1 mode=$2 port=$3 reason=$4 state=$5 cls=$6 mib=$7 want_errs=$8
	scenario "$name" "$mode" "$IP4_A" "$port"
	[ -z "$HAVE" ] && return
	common "$name"
	assert_eq "$name: 1 sent: $reason, active, state $state" "1 1 1" \
		"$(d .causes.sent) $(dr "$reason" active) $(ds "$reason" active "\"$state\"")"
	classes_only "$name" "$cls"
	assert_eq "$name: egress stack +1" "1 0 0" \
		"$(d .causes.egress.stack) $(d .causes.egress.firewall) $(d .causes.egress.other)"
	[ -n "$mib" ] && assert_eq "$name: $mib +1 (the MIB's own)" 1 "$(m "$mib")"
	assert_eq "$name: the server socket's errors" "$want_errs" "$(errs)"
}

test_abort() {
	active "close with unread data" unread 8301 tcp_abort_on_close close abort \
		TcpExtTCPAbortOnClose "0 0 0 0 0"
	# SO_LINGER 0: tcp_close() counts it as TCPAbortOnData, then
	# tcp_disconnect() sends the RST with reason tcp_state.
	# tcp_disconnect() reports ECONNRESET to the socket it resets.
	active "SO_LINGER 0" linger0 8302 tcp_state close abort TcpExtTCPAbortOnData "1 0 0 0 0"
}

test_timeout() {
	active "keepalive timeout" keepalive 8303 tcp_keepalive_timeout established timeout \
		TcpExtTCPAbortOnTimeout "0 0 1 0 0"
	assert_eq "keepalive timeout: the server's recv failed with ETIMEDOUT" ETIMEDOUT \
		"$(head -1 "$T/keepalive timeout.gen")"
	[ -z "$HAVE" ] && return
	nsx "$NS_B" ip route del blackhole "$IP4_A" 2>/dev/null
}

test_kill() {
	if ! nsx "$NS_A" ss -h 2>&1 | grep -q -- '-K'; then
		ok "ss -K # SKIP ss has no -K"
		return
	fi
	scenario "ss -K" kill "$IP4_A" 8304
	if grep -q 'ss -K failed' "$T/ss -K.gen"; then
		ok "ss -K # SKIP the kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY)"
		return
	fi
	[ -z "$HAVE" ] && return
	common "ss -K"
	assert_eq "ss -K: 1 sent: tcp_state, active" "1 1" "$(d .causes.sent) $(dr tcp_state active)"
	classes_only "ss -K" abort
	# tcp_abort() reports ECONNABORTED: "other".
	assert_eq "ss -K: the server socket's errors" "0 0 0 0 1" "$(errs)"
}

# The events of the same resets, each with its class (the kernel's wins).
test_events() {
	bg_stop "$W_PID" INT
	assert_eq "watch exits 0" 0 "$BG_STATUS"
	[ -z "$HAVE" ] && return
	local f=$T/w.json
	ev() { jq -c "select(.dir == \"out\" and .sport == $1) | [.class, .origin, .reason]" "$f" | sort -u | tr '\n' ' '; }
	assert_eq "events: refused (IPv4 and IPv6 on port 9)" '["refused","stack","no_socket"] ' "$(ev 9)"
	assert_eq "events: nft reject is firewall" '["firewall","firewall",null] ' "$(ev 7001)"
	assert_eq "events: iptables REJECT is firewall" '["firewall","firewall",null] ' "$(ev 7002)"
	assert_eq "events: unread data is abort" '["abort","stack","tcp_abort_on_close"] ' "$(ev 8301)"
	assert_eq "events: SO_LINGER 0 is abort" '["abort","stack","tcp_state"] ' "$(ev 8302)"
	assert_eq "events: keepalive is timeout" '["timeout","stack","tcp_keepalive_timeout"] ' "$(ev 8303)"
}

# Text: the same classes after the tcpdump part, with -v; and stats' text.
test_text() {
	[ -z "$HAVE" ] && { ok "text: skipped, no kernel reasons"; return; }
	nsx "$NS_A" "$RSTTRACE" stats --pin-path "$P" >"$T/st.txt" 2>&1
	grep -Eq '^  firewall +2$' "$T/st.txt" && ok "stats text: firewall 2" ||
		{ not_ok "stats text: firewall 2"; sed 's/^/# /' "$T/st.txt"; }
	grep -Eq '^  no_socket +syn +- +refused +2$' "$T/st.txt" &&
		ok "stats text: no_socket syn - refused 2" ||
		{ not_ok "stats text: no_socket syn - refused 2"; sed 's/^/# /' "$T/st.txt"; }
}

# top: the client host's top reason, counted per peer host; the same in JSON.
test_top() {
	[ -z "$HAVE" ] && { ok "top: skipped, no kernel reasons"; return; }
	nsx "$NS_A" "$RSTTRACE" top --once --pin-path "$P" >"$T/top.txt" 2>&1
	nsx "$NS_A" "$RSTTRACE" top --once --json --pin-path "$P" >"$T/top.json" 2>&1
	# IPv4 client: refused 1, firewall 2, abort 3 (unread, linger0, ss -K), timeout 1.
	assert_eq "top --json: the IPv4 client's causes, largest first" \
		'[["firewall","firewall",null,2],["no_socket","refused",null,1],["tcp_abort_on_close","abort","close",1],["tcp_keepalive_timeout","timeout","established",1],["tcp_state","abort","close",1],["tcp_state","abort","established",1]]' \
		"$(jq -c --arg h "$IP4_B" '.hosts[] | select(.host == $h) | [.reasons[] | [.reason, .class, .state, .count]] | sort' "$T/top.json")"
	grep -Eq "^$IP4_B .* firewall:2\$" "$T/top.txt" &&
		ok "top (text): the IPv4 client's top reason" ||
		{ not_ok "top (text): the IPv4 client's top reason"; sed 's/^/# /' "$T/top.txt"; }
	# The server's errors, by its peer: SO_LINGER 0 ECONNRESET, keepalive ETIMEDOUT,
	# ss -K ECONNABORTED (other).
	assert_eq "top --json: the IPv4 client's socket errors" \
		'{"econnreset":1,"econnrefused":0,"etimedout":1,"epipe":0,"other":1}' \
		"$(jq -c --arg h "$IP4_B" '.hosts[] | select(.host == $h) | .errors' "$T/top.json")"
	assert_eq "top --json: the IPv6 client: no_socket 1" '[["no_socket","refused",null,1]]' \
		"$(jq -c --arg h "$IP6_B" '.hosts[] | select(.host == $h) | [.reasons[] | [.reason, .class, .state, .count]]' "$T/top.json")"
}

# The text line with -v: the class after the tcpdump part, the kernel's name,
# then the connection stage (docs/stage.md).
test_verbose() {
	[ -z "$HAVE" ] && { ok "-v: skipped, no kernel reasons"; return; }
	bg_start V_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --hook tc --rate-limit 0 -v -t \
		>"$T/v.txt" 2>"$T/v.err"
	wait_for 10 grep -q watching "$T/v.err" || { not_ok "watch -v attached"; return; }
	nsx "$NS_A" nft -f - <<-NFT
		table inet rsttrace_test {
			chain input {
				type filter hook input priority 0;
				tcp dport 7003 reject with tcp reset
			}
		}
	NFT
	timeout 10 python3 "$GEN" connect "$NS_A" "$NS_B" "$IP4_A" 7003 >/dev/null 2>&1
	timeout 10 python3 "$GEN" connect "$NS_A" "$NS_B" "$IP4_A" 9 >/dev/null 2>&1
	sleep 0.3
	bg_stop "$V_PID" INT
	nsx "$NS_A" nft delete table inet rsttrace_test
	grep -q "^IP $IP4_A\.7003 > $IP4_B\.[0-9]*: Flags \[R\.\], .* hook tc-out class firewall stage refused conn REJ$" \
		"$T/v.txt" && ok "-v: the reject's line: 'class firewall', then its stage (docs/stage.md)" ||
		{ not_ok "-v: the reject's line: 'class firewall', then its stage"; sed 's/^/# /' "$T/v.txt"; }
	grep -q "^IP $IP4_A\.9 > $IP4_B\.[0-9]*: Flags \[R\.\], .* hook tc-out class refused reason no_socket stage refused conn REJ$" \
		"$T/v.txt" && ok "-v: the closed port's line: 'class refused reason no_socket', its stage" ||
		{ not_ok "-v: the closed port's line"; sed 's/^/# /' "$T/v.txt"; }
}

# Detach removes the cause maps and the tracing links with the rest.
test_detach() {
	local ids links
	ids=$(bpftool map show -j 2>/dev/null | jq -r --arg p "$P" '.[] | select(.name == "causes" or .name == "cause_hosts") | .id' | tr '\n' ' ')
	[ -e "$P/maps/causes" ] && [ -e "$P/maps/cause_hosts" ] &&
		ok "the cause maps are pinned" || not_ok "the cause maps are pinned"
	if [ -n "$HAVE" ]; then
		[ -e "$P/trace/rst_kfree_skb" ] && [ -e "$P/trace/rst_sk_error" ] &&
			ok "the cause programs' links are pinned under trace/" ||
			not_ok "the cause programs' links are pinned under trace/"
	fi
	# The links' ids, to see them go (other rsttrace programs may run on the machine).
	links=$(for l in rst_kfree_skb rst_sk_error; do
		bpftool link show pinned "$P/trace/$l" -j 2>/dev/null | jq -r .id
	done | tr '\n' ' ')
	rt_in det "$NS_A" detach -i "$VETH_A" --pin-path "$P"
	assert_eq "detach: exit 0, pins gone" "0 no" "$RC $([ -e "$P" ] && echo yes || echo no)"
	if [ -n "$HAVE" ]; then
		assert_settles "the cause programs' links of this attachment are gone ($links)" "" \
			bash -c "bpftool link show -j | jq -r --arg l '$links' \
				'(\$l | split(\" \") | map(select(. != \"\") | tonumber)) as \$w
				 | .[] | select(.id as \$i | \$w | index(\$i)) | .id'"
	fi
}

run_test setup
run_test test_refused
run_test test_firewall
run_test test_abort
run_test test_timeout
run_test test_kill
run_test test_events
run_test test_text
run_test test_top
run_test test_verbose
run_test test_detach
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Why a reset happened, beside the packet: the fate of each RST received
# (what the stack did with it), the connection stage of each RST, and the
# socket's owner, on real traffic between two test namespaces. rsttrace
# watch --json runs on the server's veth (NS_A); the client (NS_B) crafts
# RSTs with exact sequence numbers read from its own socket (TCP_REPAIR,
# fates_helper.py). Oracle for the challenged RST: the server namespace's
# own MIB (nstat -az TcpExtTCPChallengeACK), and TcpEstabResets for the
# accepted ones. The servers run as uid 65534 in a cgroup this test makes
# (under the cgroup v2 hierarchy) and removes in its trap. Skips where the
# kernel cannot run the fate programs.

. "$(dirname "$0")/lib.sh"
H=$(cd "$(dirname "$0")" && pwd)/fates_helper.py
PY=/usr/bin/python3
T=$(tmpdir)
# The servers run as nobody: they write their ready files here.
chmod 711 "$T"
mkdir -m 777 "$T/r"

# The cgroup v2 hierarchy: /sys/fs/cgroup, or its unified part on a hybrid host.
CG_ROOT=/sys/fs/cgroup
[ -e "$CG_ROOT/cgroup.controllers" ] || CG_ROOT=/sys/fs/cgroup/unified
CG_NAME="rsttrace-test-${_TAG}"
CG="$CG_ROOT/$CG_NAME"
fates_cleanup() {
	cleanup
	# The servers were killed by cleanup (by PID); an empty cgroup can go.
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
}
trap fates_cleanup EXIT

ns_pair fa || { not_ok "netns setup"; finish; exit 1; }

start_watch() { # start_watch OUTFILE ARGS...
	local out=$1
	shift
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --rate-limit 0 "$@" \
		>"$out" 2>"$out.err"
	wait_for 10 grep -q 'watching' "$out.err"
}

# server PORT MODE: a server in NS_A, in our cgroup, as uid 65534; SRV_PID its pid.
server() {
	local port=$1 mode=$2 ready="$T/r/ready.$1"
	rm -f "$ready"
	bg_start SRV_PID bash -c "echo \$\$ >'$CG/cgroup.procs' &&
		exec nsenter --net=/run/netns/$NS_A -- setpriv --reuid=65534 --regid=65534 \
		--clear-groups $PY '$H' server $port $mode '$ready'"
	wait_for 5 test -e "$ready"
}

# On one CPU: the kernel compares an RST's TTL with the flow line of the CPU
# that receives it, and a veth delivers on the sender's CPU.
client() { nsx "$NS_B" timeout 10 taskset -c 0 "$PY" "$H" "$@"; }

mib() { # mib NAME: the server namespace's counter, absolute
	nsx "$NS_A" nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'
}

# ev FILE JQ-SELECT JQ-FIELD: the field of the one event selected (or "n=COUNT").
ev() {
	local n
	n=$(jq -c "select($2)" "$1" | wc -l)
	[ "$n" -eq 1 ] || { echo "n=$n"; return; }
	jq -r "select($2) | $3" "$1"
}

# The tracepoints the fate programs need, in the kernel's BTF.
kernel_has_hooks() {
	local btf
	btf=$(bpftool btf dump file /sys/kernel/btf/vmlinux format raw 2>/dev/null) || return 1
	grep -q "'btf_trace_tcp_receive_reset'" <<<"$btf" && grep -q "'btf_trace_kfree_skb'" <<<"$btf" &&
		grep -q "'skb_drop_reason'" <<<"$btf"
}

listening() { nsx "$1" ss -Hltn "sport = :$2" | grep -q .; } # listening NS PORT
has_event() { [ -n "$(jq -c "select($2)" "$1" 2>/dev/null)" ]; } # has_event FILE JQ-SELECT

HAVE_FATES=
probe() {
	start_watch "$T/probe.txt" -dd || { not_ok "watch attached (probe)"; return; }
	bg_stop "$W_PID" INT
	if grep -q 'received-RST fates and socket owners on' "$T/probe.txt.err"; then
		HAVE_FATES=1
		ok "-dd says the fate programs load (tcp_receive_reset, kfree_skb)"
	elif kernel_has_hooks; then
		# The kernel has what they need: not loading them is a failure, not a skip.
		not_ok "-dd says the fate programs load (the kernel's BTF has their tracepoints)"
		diag "$(grep -i 'fate' "$T/probe.txt.err")"
	else
		ok "-dd says why there are no fates (skipping)"
		diag "$(grep 'fates' "$T/probe.txt.err")"
	fi
}

# Five crafted RSTs, five fates: challenged, ignored, accepted, accepted with
# another TTL, no socket. Each event's fate and signal, the counts per
# interface and per host exactly, the MIB as the oracle.
test_fates() {
	local f=$T/fates.json sent=$T/sent.json ch0 ch1 er0 er1 row sp seq fate sig want
	server 8200 hold || { not_ok "server ready"; return; }
	start_watch "$f" --json --metrics 127.0.0.1:9848 || { not_ok "watch attached"; return; }
	ch0=$(mib TcpExtTCPChallengeACK)
	er0=$(mib TcpEstabResets)
	client crafted "$IP4_A" 8200 8299 >"$sent"
	sleep 0.5
	ch1=$(mib TcpExtTCPChallengeACK)
	er1=$(mib TcpEstabResets)
	nsx "$NS_A" curl -sS --max-time 5 -o "$T/fm.txt" http://127.0.0.1:9848/metrics
	bg_stop "$W_PID" INT
	assert_eq "metrics: the fates on the interface" \
		"accepted 2 challenged 1 ignored 1 no_socket 1 dropped 0 unknown 0 time_wait 0 request 0" \
		"$(sed -n "s/^rsttrace_received_rst_fates_total{device=\"$VETH_A\",fate=\"\([a-z_]*\)\"} \([0-9]*\)$/\1 \2/p" "$T/fm.txt" | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "metrics: no local reset" "rsttrace_local_resets_total 0" \
		"$(grep '^rsttrace_local_resets_total' "$T/fm.txt")"
	assert_eq "watch exits 0" 0 "$BG_STATUS"
	assert_eq "five RSTs crafted" 5 "$(grep -c . "$sent")"
	while read -r row; do
		sp=$(jq -r .sport <<<"$row")
		seq=$(jq -r .seq <<<"$row")
		fate=$(jq -r .fate <<<"$row")
		assert_eq "RST sport $sp seq $seq: fate $fate" "$fate" \
			"$(ev "$f" ".dir == \"in\" and .sport == $sp and .seq == $seq" .fate)"
		# The signal of a suspected injection: the stack's verdict, or the TTL.
		case "$fate/$(jq -r .ttl <<<"$row")" in
		challenged/*) want=challenged ;;
		ignored/*) want=ignored ;;
		accepted/50) want=ttl_change ;;
		*) want=null ;;
		esac
		sig=$(ev "$f" ".dir == \"in\" and .sport == $sp and .seq == $seq" .injection_signal)
		assert_eq "RST sport $sp seq $seq: injection signal $want" "$want" "$sig"
		[ "$want" != null ] && assert_eq "RST sport $sp seq $seq: class injection_candidate" \
			injection_candidate \
			"$(ev "$f" ".dir == \"in\" and .sport == $sp and .seq == $seq" .class)"
	done <"$sent"
	assert_eq "the ignored RST's drop reason (kfree_skb)" tcp_old_sequence \
		"$(ev "$f" '.fate == "ignored"' .drop_reason)"
	assert_eq "oracle: one challenge ACK sent (TcpExtTCPChallengeACK)" 1 $((ch1 - ch0))
	assert_eq "oracle: two connections reset (TcpEstabResets)" 2 $((er1 - er0))
	assert_eq "fates counted on the interface, exactly" \
		"fates of RSTs received on $VETH_A: 2 accepted, 1 challenged, 1 ignored, 1 no_socket, 0 dropped, 0 unknown, 0 time_wait, 0 request" \
		"$(grep "^fates of RSTs received on" "$f.err")"
	assert_eq "fates counted per host, exactly" \
		"fates of RSTs received from $IP4_B: 2 accepted, 1 challenged, 1 ignored, 1 no_socket, 0 dropped, 0 unknown, 0 time_wait, 0 request" \
		"$(grep "^fates of RSTs received from" "$f.err")"
	assert_eq "no local reset without an RST" \
		"0 local resets (tcp_reset with no RST received)" "$(grep "local resets" "$f.err")"
	bg_stop "$SRV_PID" KILL
}

# The kernel's special cases: an RST to a request socket (SYN_RECV: hping3's
# SYN, whose SYN-ACK the client's kernel answers with an RST; oracle
# TcpExtEmbryonicRsts) and one to a TIME_WAIT socket (killed: gone from ss).
test_special_sockets() {
	local f=$T/special.json row sp seq e0 e1
	start_watch "$f" --json || { not_ok "watch attached"; return; }
	server 8210 hold || { not_ok "server ready (hold)"; return; }
	e0=$(mib TcpExtEmbryonicRsts)
	nsx "$NS_B" timeout 5 hping3 -S -s 41000 -k -p 8210 -c 1 -q "$IP4_A" >/dev/null 2>&1
	sleep 0.3
	e1=$(mib TcpExtEmbryonicRsts)
	assert_eq "oracle: one embryonic reset (TcpExtEmbryonicRsts)" 1 $((e1 - e0))
	assert_eq "RST to a request socket: fate request" request \
		"$(ev "$f" '.dir == "in" and .sport == 41000 and .flags == "R"' .fate)"
	bg_stop "$SRV_PID" KILL

	server 8211 first || { not_ok "server ready (first)"; return; }
	row=$(client timewait "$IP4_A" 8211)
	sp=$(jq -r .sport <<<"$row")
	seq=$(jq -r .seq <<<"$row")
	assert_eq "RST to a TIME_WAIT socket: fate time_wait" time_wait \
		"$(ev "$f" ".dir == \"in\" and .sport == $sp and .seq == $seq" .fate)"
	assert_eq "RST to a TIME_WAIT socket: its state" time_wait \
		"$(ev "$f" ".dir == \"in\" and .sport == $sp and .seq == $seq" .fate_state)"
	assert_eq "the exact RST killed the TIME_WAIT socket (ss)" 0 \
		"$(nsx "$NS_A" ss -Htan state time-wait "( sport = :8211 )" | wc -l)"
	bg_stop "$SRV_PID" KILL
	bg_stop "$W_PID" INT
	assert_eq "the fates on the interface" \
		"fates of RSTs received on $VETH_A: 0 accepted, 0 challenged, 0 ignored, 0 no_socket, 0 dropped, 0 unknown, 1 time_wait, 1 request" \
		"$(grep "^fates of RSTs received on" "$f.err")"
}

# tcp_reset() with no RST on the wire: data to a socket its server shut
# down (FIN_WAIT2, RCV_SHUTDOWN) resets it locally (TcpExtTCPAbortOnData)
# and an RST goes out; counted apart, no fate invented.
test_local_reset() {
	local f=$T/local.json a0 a1
	start_watch "$f" --json || { not_ok "watch attached"; return; }
	server 8212 shutdown || { not_ok "server ready (shutdown)"; return; }
	a0=$(mib TcpExtTCPAbortOnData)
	client data "$IP4_A" 8212 5
	sleep 0.3
	a1=$(mib TcpExtTCPAbortOnData)
	bg_stop "$SRV_PID" KILL
	bg_stop "$W_PID" INT
	assert_eq "oracle: one abort on data (TcpExtTCPAbortOnData)" 1 $((a1 - a0))
	assert_eq "the reset went out" 1 "$(jq -c 'select(.dir == "out" and .sport == 8212)' "$f" | wc -l)"
	assert_eq "the local reset counted apart" \
		"1 local resets (tcp_reset with no RST received)" "$(grep "local resets" "$f.err")"
	assert_eq "no fate invented" \
		"fates of RSTs received on $VETH_A: 0 accepted, 0 challenged, 0 ignored, 0 no_socket, 0 dropped, 0 unknown, 0 time_wait, 0 request" \
		"$(grep "^fates of RSTs received on" "$f.err")"
	assert_eq "the reply's owner: the shut socket's cgroup, no task (softirq)" \
		"/$CG_NAME 65534 null" \
		"$(ev "$f" '.dir == "out" and .sport == 8212' '"\(.cgroup) \(.uid) \(.pid)"')"
}

# A reset from a timer (keepalive timeout, softirq) has the socket's cgroup
# and uid but never a task: whatever ran on the CPU is not the resetter.
# The client's address goes after the handshake, so no probe is answered
# (a link down would fail the probes locally: the timer retries without
# counting them).
test_timer_no_pid() {
	local f=$T/timer.json t0 t1 sel='.dir == "out" and .sport == 8213'
	start_watch "$f" --json || { not_ok "watch attached"; return; }
	server 8213 keepalive || { not_ok "server ready (keepalive)"; return; }
	t0=$(mib TcpExtTCPAbortOnTimeout)
	bg_start CLI_PID nsx "$NS_B" timeout 10 "$PY" "$H" idle "$IP4_A" 8213 6
	sleep 0.5
	ip -n "$NS_B" addr del "$IP4_B/24" dev "$VETH_B"
	wait_for 8 has_event "$f" "$sel"
	t1=$(mib TcpExtTCPAbortOnTimeout)
	ip -n "$NS_B" addr add "$IP4_B/24" dev "$VETH_B"
	bg_stop "$CLI_PID" KILL
	bg_stop "$SRV_PID" KILL
	bg_stop "$W_PID" INT
	assert_eq "oracle: one abort on timeout (TcpExtTCPAbortOnTimeout)" 1 $((t1 - t0))
	assert_eq "keepalive reset: the socket's cgroup and uid, no pid, no comm" \
		"/$CG_NAME 65534 null null" \
		"$(ev "$f" "$sel" '"\(.cgroup) \(.uid) \(.pid) \(.comm)"')"
}

# Stage and owner: refused, RST right after the handshake, after the
# client's data (server in our cgroup, as uid 65534: cgroup, uid, pid,
# comm), later (both sides sent data).
test_stage_owner() {
	local f=$T/stage.json sel comm pid m=$T/metrics.txt
	start_watch "$f" --json --metrics 127.0.0.1:9847 || { not_ok "watch attached"; return; }
	refuse "$NS_B" "$IP4_A" 8299
	sleep 0.3
	sel='.dir == "out" and .sport == 8299'
	assert_eq "refused: stage" refused "$(ev "$f" "$sel" .stage)"
	assert_eq "refused: conn_state REJ" REJ "$(ev "$f" "$sel" .conn_state)"
	assert_eq "refused: no owner (no socket)" null "$(ev "$f" "$sel" .cgroup_id)"

	server 8201 hold || { not_ok "server ready (hold)"; return; }
	client linger "$IP4_A" 8201
	sleep 0.3
	sel='.dir == "in" and .dport == 8201'
	assert_eq "after the handshake: stage" handshake "$(ev "$f" "$sel" .stage)"
	assert_eq "after the handshake: conn_state RSTO" RSTO "$(ev "$f" "$sel" .conn_state)"
	assert_eq "after the handshake: bytes 0 and 0" "0 0" \
		"$(ev "$f" "$sel" '"\(.client_bytes) \(.server_bytes)"')"
	assert_eq "after the handshake: fate accepted" accepted "$(ev "$f" "$sel" .fate)"
	assert_eq "accepted: the socket's cgroup" "/$CG_NAME" "$(ev "$f" "$sel" .cgroup)"
	assert_eq "accepted: the socket's uid" 65534 "$(ev "$f" "$sel" .uid)"
	assert_eq "accepted (softirq): no pid" null "$(ev "$f" "$sel" .pid)"
	bg_stop "$SRV_PID" KILL

	server 8202 unread || { not_ok "server ready (unread)"; return; }
	pid=$SRV_PID
	comm=$(cat "/proc/$pid/comm")
	client data "$IP4_A" 8202 5
	sleep 0.3
	sel='.dir == "out" and .sport == 8202'
	assert_eq "after client data: stage" client_data "$(ev "$f" "$sel" .stage)"
	assert_eq "after client data: conn_state RSTR" RSTR "$(ev "$f" "$sel" .conn_state)"
	assert_eq "after client data: bytes 5 and 0" "5 0" \
		"$(ev "$f" "$sel" '"\(.client_bytes) \(.server_bytes)"')"
	assert_eq "sent: the socket's cgroup" "/$CG_NAME" "$(ev "$f" "$sel" .cgroup)"
	assert_eq "sent: the cgroup id is its directory's inode" "$(stat -c %i "$CG")" \
		"$(ev "$f" "$sel" .cgroup_id)"
	assert_eq "sent: the socket's uid" 65534 "$(ev "$f" "$sel" .uid)"
	assert_eq "sent in close() (process context): the server's pid" "$pid" \
		"$(ev "$f" "$sel" .pid)"
	assert_eq "sent in close(): the server's comm" "$comm" "$(ev "$f" "$sel" .comm)"
	# flows, from the running watch: the same owner on the flow's line.
	nsx "$NS_A" "$RSTTRACE" flows --json --port 8202 >"$T/flows.json"
	assert_eq "flows: the owner of the flow" "/$CG_NAME 65534 $pid $comm" \
		"$(jq -r '.flows[] | "\(.cgroup) \(.uid) \(.pid) \(.comm)"' "$T/flows.json")"
	assert_cmd "flows: the OWNER column" grep -q "/$CG_NAME uid=65534 pid=$pid $comm\$" \
		<(nsx "$NS_A" "$RSTTRACE" flows --port 8202)
	bg_stop "$SRV_PID" KILL

	server 8203 later || { not_ok "server ready (later)"; return; }
	client later "$IP4_A" 8203
	sleep 0.3
	sel='.dir == "out" and .sport == 8203'
	assert_eq "later: stage" later "$(ev "$f" "$sel" .stage)"
	assert_eq "later: bytes 7 and 3" "7 3" \
		"$(ev "$f" "$sel" '"\(.client_bytes) \(.server_bytes)"')"
	bg_stop "$SRV_PID" KILL
	# Per cgroup, counted in the kernel: two RSTs sent (client data, later), one accepted.
	nsx "$NS_A" curl -sS --max-time 5 -o "$m" http://127.0.0.1:9847/metrics
	assert_eq "metrics: the cgroup's resets sent and accepted" \
		"rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\",kind=\"sent\"} 2
rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\",kind=\"accepted\"} 1" \
		"$(grep "^rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\"" "$m")"
	bg_stop "$W_PID" INT
	assert_eq "watch exits 0" 0 "$BG_STATUS"
}

# The same knowledge in the -v text line, after the tcpdump part.
test_verbose_text() {
	local f=$T/v.txt
	server 8204 unread || { not_ok "server ready"; return; }
	start_watch "$f" -v || { not_ok "watch attached"; return; }
	client data "$IP4_A" 8204 3
	sleep 0.3
	bg_stop "$W_PID" INT
	assert_cmd "-v: stage, conn, cgroup, uid, pid and comm after the tcpdump part" \
		grep -q "> $IP4_B\.[0-9]*: Flags \[R\.\], .* stage client_data conn RSTR cgroup /$CG_NAME uid 65534 pid $SRV_PID comm python3" "$f"
	bg_stop "$SRV_PID" KILL
}

# A persistent attachment with no consumer counts the fates too: attach
# loads, pins and links the fate and owner programs (PIN/trace/; the
# kfree_skb one is the causes' too), stats,
# top and serve read the pinned fate maps, and detach removes all of it.
test_persistent() {
	local P sent=$T/psent.json ids n fm=$T/pm.txt st=$T/pst
	mkpin P fates
	server 8220 hold || { not_ok "server ready"; return; }
	rt_in pa "$NS_A" attach -i "$VETH_A" --pin-path "$P"
	assert_eq "attach: exit 0" 0 "$RC"
	for n in rst_recv_reset rst_kfree_skb rst_send_owner; do
		assert_cmd "attach: $n pinned and its link under trace/" \
			test -e "$P/progs/$n" -a -e "$P/trace/$n"
	done
	ids=$(for n in rst_recv_reset rst_kfree_skb rst_send_owner; do
		bpftool prog show pinned "$P/progs/$n" -j 2>/dev/null | jq -r ".id // empty"; done)
	assert_eq "attach: three fate programs loaded" 3 "$(wc -w <<<"$ids")"
	# The causes' and the fates' halves are one kfree_skb program (bpf/kfree.bpf.h).
	assert_eq "attach: one kfree_skb program, no rst_fate_drop" \
		"rst_kfree_skb" "$(ls "$P/progs" | grep -E '^rst_(kfree_skb|fate_drop)$' | tr '\n' ' ' | sed 's/ $//')"
	# status names every tracing link, with the ids the kernel gives the pins.
	local want_links="" got_links n lid
	for n in rst_recv_reset rst_kfree_skb rst_send_owner; do
		lid=$(bpftool link show pinned "$P/trace/$n" -j 2>/dev/null | jq -r '.id // empty')
		want_links="$want_links$n:$lid:true "
	done
	nsx "$NS_A" "$RSTTRACE" status --json --pin-path "$P" >"$T/pstat.json" 2>&1
	got_links=$(jq -r '[.tracepoints[] | select(.name | test("recv_reset|kfree_skb|send_owner"))
		| "\(.name):\(.link_id):\(.attached)"] | join(" ")' "$T/pstat.json" 2>/dev/null)
	assert_eq "status --json: the fate programs' tracepoint links, attached" "${want_links% }" "$got_links"
	nsx "$NS_A" "$RSTTRACE" status --pin-path "$P" >"$T/pstat.txt" 2>&1
	assert_cmd "status: the tracepoints line names them with their links" \
		grep -Eq "^tracepoints: .*rst_recv_reset \(tcp_receive_reset\) link [0-9]+, rst_kfree_skb \(kfree_skb\) link [0-9]+, rst_send_owner \(tcp_send_reset\) link [0-9]+" "$T/pstat.txt"
	# Counting only: the fates are counted, but no verdict is kept for an event
	# (fate_res, an LRU hash, is written as often as events are, not per RST).
	rt_in ps "$NS_A" set --events off --pin-path "$P"
	assert_eq "set --events off: exit 0" 0 "$RC"
	client crafted "$IP4_A" 8220 8299 >"$sent"
	sleep 0.5
	bg_stop "$SRV_PID" KILL
	assert_eq "five RSTs crafted" 5 "$(grep -c . "$sent")"
	assert_eq "events off: no verdict kept in fate_res" 0 \
		"$(bpftool map dump pinned "$P/maps/fate_res" -j 2>/dev/null | jq length)"
	nsx "$NS_A" "$RSTTRACE" stats --json --pin-path "$P" >"$st.json" 2>"$st.err"
	nsx "$NS_A" "$RSTTRACE" stats --pin-path "$P" >"$st.txt" 2>&1
	assert_eq "stats --json: the fates in all, no local reset" \
		'[2,1,1,1,0,0,0,0,0]' \
		"$(jqf "$st.json" '.fates | [.accepted, .challenged, .ignored, .no_socket, .dropped, .unknown, .time_wait, .request, .local_resets]')"
	assert_eq "stats --json: the fates on the interface" \
		"[{\"iface\":\"$VETH_A\",\"accepted\":2,\"challenged\":1,\"ignored\":1,\"no_socket\":1}]" \
		"$(jqf "$st.json" '[.fates.interfaces[] | {iface, accepted, challenged, ignored, no_socket}]')"
	assert_cmd "stats text: the interface's fates row" \
		grep -Eq "^  $VETH_A +2 +1 +1 +1 +0 +0 +0 +0\$" "$st.txt"
	assert_cmd "stats text: no local reset" \
		grep -q '^local resets (tcp_reset with no RST received): 0$' "$st.txt"
	nsx "$NS_A" "$RSTTRACE" top --once --json --pin-path "$P" >"$T/ptop.json" 2>&1
	assert_eq "top --json: the client host's fates" \
		'{"accepted":2,"challenged":1,"ignored":1,"no_socket":1,"dropped":0,"unknown":0,"time_wait":0,"request":0}' \
		"$(jqf "$T/ptop.json" ".hosts[] | select(.host == \"$IP4_B\") | .fates")"
	bg_start SV_PID nsx "$NS_A" "$RSTTRACE" serve --pin-path "$P" --listen 127.0.0.1:9849 \
		>"$T/pserve.out" 2>"$T/pserve.err"
	# Listening before the first scrape: a connect refused on lo is an RST
	# on an untraced interface, which the kernel's tcp_reset() counts as a
	# local reset (docs/stage.md).
	wait_for 10 listening "$NS_A" 9849
	wait_for 10 nsx "$NS_A" curl -sS --max-time 2 -o "$fm" http://127.0.0.1:9849/metrics
	bg_stop "$SV_PID" INT
	assert_eq "serve: the fates on the interface" \
		"accepted 2 challenged 1 ignored 1 no_socket 1 dropped 0 unknown 0 time_wait 0 request 0" \
		"$(sed -n "s/^rsttrace_received_rst_fates_total{device=\"$VETH_A\",fate=\"\([a-z_]*\)\"} \([0-9]*\)$/\1 \2/p" "$fm" | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "serve: no local reset" "rsttrace_local_resets_total 0" \
		"$(grep '^rsttrace_local_resets_total' "$fm")"
	# Both accepted RSTs reset sockets of the server, in our cgroup; it sent none.
	assert_eq "serve: the cgroup's resets sent and accepted" \
		"rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\",kind=\"sent\"} 0
rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\",kind=\"accepted\"} 2" \
		"$(grep "^rsttrace_cgroup_resets_total{cgroup=\"/$CG_NAME\"" "$fm")"
	rt_in pd "$NS_A" detach --all --pin-path "$P"
	assert_eq "detach: exit 0, pins gone" "0 no" "$RC $([ -e "$P" ] && echo yes || echo no)"
	# shellcheck disable=SC2086 # one id per word
	assert_settles "detach: no fate program is left" "" progs_left_of $ids
	# shellcheck disable=SC2086
	assert_settles "detach: no link of them is left" "" links_left_of $ids
}

if ! mkdir "$CG" 2>/dev/null; then
	ok "no cgroup v2 hierarchy to make a cgroup in (skipping)"
	finish
	exit
fi
probe
if [ -n "$HAVE_FATES" ]; then
	run_test test_fates
	run_test test_special_sockets
	run_test test_local_reset
	run_test test_timer_no_pid
	run_test test_stage_owner
	run_test test_verbose_text
	run_test test_persistent
fi
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# serve --ipfix: the flows of a persistent attachment exported to real
# collectors inside a test namespace: python3-ipfix (the IANA information
# model, every element decoded) over UDP and over TCP, and nfdump's nfcapd
# (5-tuple, times, interface, end reason; it has no place for the TCP flag
# counts). What they decode must equal `flows --json`: the 5-tuple of both
# directions, tcpSynTotalCount = syn + synack, tcpFinTotalCount = fin,
# tcpRstTotalCount = rst + rstack, flowStart/EndMilliseconds = first/last
# seen, ingressInterface = ifindex; flows with an RST end with reason 3
# (end of flow), an open connection is exported active (2) then idle (1),
# or at exit as a forced end (4).

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
R=$RSTTRACE
T=$(tmpdir)
PY=/usr/bin/python3 # Debian's, where python3-ipfix is

ns_pair f || { not_ok "netns setup"; finish; exit 1; }
P=$(pin_dir ipfix)
export TZ=UTC

# The collector: every record as one JSON line, times in ms, addresses as text.
cat >"$T/collect.py" <<'EOF'
import datetime, ipaddress, json, socket, sys, time
import ipfix.ie, ipfix.message
ipfix.ie.use_iana_default()
proto, port, out, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
end = time.time() + secs
f = open(out, 'w')
def dump(mb):
    for r in mb.namedict_iterator():
        o = {}
        for k, v in r.items():
            if isinstance(v, datetime.datetime):
                if v.tzinfo is None:
                    v = v.replace(tzinfo=datetime.timezone.utc)
                v = round(v.timestamp() * 1000)
            elif isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                v = str(v)
            o[k] = v
        f.write(json.dumps(o, sort_keys=True) + '\n')
        f.flush()
mb = ipfix.message.MessageBuffer()
if proto == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', port))
    s.settimeout(0.2)
    open(out + '.ready', 'w').close()
    while time.time() < end:
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        mb.from_bytes(data)
        dump(mb)
else:
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('127.0.0.1', port))
    l.listen(1)
    l.settimeout(max(0.1, end - time.time()))
    open(out + '.ready', 'w').close()
    c, _ = l.accept()
    c.settimeout(max(0.1, end - time.time()))
    st = c.makefile('rb')
    while time.time() < end:
        try:
            mb.read_message(st)
        except Exception:
            break
        dump(mb)
EOF

# An open connection from B to A on port 90 (SYN, SYN-ACK, ACK; no FIN, no RST) for a while.
cat >"$T/hold.py" <<'EOF'
import socket, sys, time
role, addr, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
if role == 'server':
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, 90))
    l.listen(1)
    l.settimeout(secs)
    c, _ = l.accept()
    time.sleep(secs)
else:
    c = socket.create_connection((addr, 90), timeout=secs)
    time.sleep(secs)
EOF

# collector NAME udp|tcp PORT: a python3-ipfix collector in NS_A, records in $T/NAME.jsonl.
collector() {
	bg_start "COL_$1" nsx "$NS_A" "$PY" "$T/collect.py" "$2" "$3" "$T/$1.jsonl" 30
	wait_for 10 test -e "$T/$1.jsonl.ready" || diag "collector $1 did not start"
}

# serve NAME METRICS-PORT ARGS...: rsttrace serve in NS_A; waits until it exports.
serve() {
	local name=$1 mport=$2
	shift 2
	bg_start "SRV_$name" nsx "$NS_A" "$R" serve --pin-path "$P" --listen "127.0.0.1:$mport" "$@" \
		>"$T/$name.srv.out" 2>"$T/$name.srv.err"
	wait_for 10 grep -q 'as IPFIX to' "$T/$name.srv.err" ||
		diag "serve $name: $(head -3 "$T/$name.srv.err")"
}

hold_listening() { nsx "$NS_A" ss -Htln 'sport = :90' | grep -q .; }
nf_listening() { nsx "$NS_A" ss -Huln 'sport = :4740' | grep -q .; }

setup() {
	nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >"$T/attach.out" 2>&1 ||
		{ diag "attach: $(cat "$T/attach.out")"; return 1; }
	collector udp udp 4739
	collector tcp tcp 4741
	mkdir -p "$T/nf"
	bg_start NF nsx "$NS_A" nfcapd -b 127.0.0.1 -p 4740 -w "$T/nf" >"$T/nf.log" 2>&1
	wait_for 10 nf_listening || diag "nfcapd did not start: $(head -3 "$T/nf.log")"
	serve udp 19001 --ipfix 127.0.0.1:4739 --ipfix-interval 0.3
	serve nf 19002 --ipfix udp://127.0.0.1:4740 --ipfix-interval 0.3 --ipfix-domain 7
	# Reads only at the start and at exit: what exit sends.
	serve tcp 19003 --ipfix tcp://127.0.0.1:4741 --ipfix-interval 3600
	# Held past the serves' exit (stopped after them).
	bg_start HOLD_S nsx "$NS_A" "$PY" "$T/hold.py" server "$IP4_A" 20
	wait_for 5 hold_listening
	bg_start HOLD_C nsx "$NS_B" "$PY" "$T/hold.py" client "$IP4_A" 20
	# One CPU: a flow's lines are per CPU, and an RST handled on another
	# CPU than its SYN finds no flow there (counted no_flow, docs/architecture.md).
	taskset -c 0 "$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 81 3 >/dev/null
	taskset -c 0 "$RSTGEN" -s "$NS_A" -c "$NS_B" abort-server "$IP6_A" 83 2 >/dev/null
	taskset -c 0 "$RSTGEN" -s "$NS_A" -c "$NS_B" data-closed "$IP4_A" 84 2 >/dev/null
	# Two reads after the last packet: the RST flows ended, the open one idle.
	wait_for 10 grep -q '"flowEndReason": 1' "$T/udp.jsonl"
	sleep 0.7
	nsx "$NS_A" "$R" flows --json --pin-path "$P" >"$T/flows.json"
	local s
	for s in udp nf tcp; do
		eval "bg_stop \$SRV_$s TERM"
		eval "echo \$BG_STATUS >\"$T/$s.rc\""
	done
	bg_stop "$NF" TERM
	sleep 0.3
	# TERM: a background job of a script ignores SIGINT, and python keeps that.
	bg_stop "$COL_udp" TERM
	bg_stop "$COL_tcp" TERM
	bg_stop "$HOLD_C" TERM
	bg_stop "$HOLD_S" TERM
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	return 0
}

# The flows as the records should carry them: one line per direction with a flag.
expected_records() {
	jq -c '.flows[] | . as $f |
		([{s: .addr_a, sp: .port_a, d: .addr_b, dp: .port_b, c: .a_to_b},
		  {s: .addr_b, sp: .port_b, d: .addr_a, dp: .port_a, c: .b_to_a}][]
		 | select(.c.syn + .c.synack + .c.fin + .c.rst + .c.rstack > 0)
		 | [.s, .sp, .d, .dp, 6, (.c.syn + .c.synack), .c.fin, (.c.rst + .c.rstack), $f.ifindex])' \
		"$T/flows.json" | sort
}

# The last record of each direction in a python3-ipfix collector's file, in the same shape.
decoded_records() {
	jq -sc 'group_by([.sourceIPv4Address // .sourceIPv6Address, .sourceTransportPort,
			  .destinationIPv4Address // .destinationIPv6Address, .destinationTransportPort])
		| .[] | .[-1]
		| [(.sourceIPv4Address // .sourceIPv6Address), .sourceTransportPort,
		   (.destinationIPv4Address // .destinationIPv6Address), .destinationTransportPort,
		   .protocolIdentifier, .tcpSynTotalCount, .tcpFinTotalCount, .tcpRstTotalCount,
		   .ingressInterface]' "$1" | sort
}

# Flow times (ms) against each record's, per direction: the largest difference.
time_skew() {
	jq -n --slurpfile fl "$T/flows.json" --slurpfile r "$1" '
		def t: capture("(?<s>.*)\\.(?<f>[0-9]+)Z$") | ((.s + "Z" | fromdateiso8601) * 1000 + (.f[0:3] | tonumber));
		[$fl[0].flows[] | . as $f | $r[] |
		 select((.sourceIPv4Address // .sourceIPv6Address) as $s | ($s == $f.addr_a and .sourceTransportPort == $f.port_a) or ($s == $f.addr_b and .sourceTransportPort == $f.port_b)) |
		 select((.destinationIPv4Address // .destinationIPv6Address) as $d | ($d == $f.addr_a and .destinationTransportPort == $f.port_a) or ($d == $f.addr_b and .destinationTransportPort == $f.port_b)) |
		 select(.flowEndReason != 2) |
		 ((.flowStartMilliseconds - ($f.first_seen | t)) | fabs), ((.flowEndMilliseconds - ($f.last_seen | t)) | fabs)] | max'
}

test_udp_values() {
	local n
	n=$(jq '.flows | length' "$T/flows.json")
	assert_eq "udp: 8 flows tracked (3 refused, 2 aborted, 2 closed, 1 open)" 8 "$n"
	assert_eq "udp: serve exits 0 on SIGTERM" 0 "$(cat "$T/udp.rc")"
	assert_eq "udp: python3-ipfix decodes every direction of every flow as flows --json has it" \
		"$(expected_records)" "$(decoded_records "$T/udp.jsonl")"
	local skew
	skew=$(time_skew "$T/udp.jsonl")
	assert_eq "udp: flowStart/EndMilliseconds are first/last seen (within 1 ms)" 1 \
		"$(jq -n "$skew != null and $skew <= 1 | if . then 1 else 0 end")"
	diag "largest difference: $skew ms"
}

test_udp_reasons() {
	# The ended flows: one final record each direction, end of flow detected.
	assert_eq "reasons: the 7 flows with an RST: last record of each direction is end of flow (3)" \
		"14" "$(jq -s '[group_by([.sourceTransportPort, .destinationTransportPort, .sourceIPv4Address // .sourceIPv6Address]) | .[] | .[-1] | select(.sourceTransportPort != 90 and .destinationTransportPort != 90) | select(.flowEndReason == 3)] | length' "$T/udp.jsonl")"
	assert_eq "reasons: an ended flow gets no record after its end (of 14 directions)" "14 0" \
		"$(jq -s '[group_by([.sourceTransportPort, .destinationTransportPort, .sourceIPv4Address // .sourceIPv6Address]) | .[] | select(.[0].destinationTransportPort != 90 and .[0].sourceTransportPort != 90)] | length' "$T/udp.jsonl") $(jq -s '[group_by([.sourceTransportPort, .destinationTransportPort, .sourceIPv4Address // .sourceIPv6Address]) | .[] | select(.[0].destinationTransportPort != 90 and .[0].sourceTransportPort != 90) | map(.flowEndReason) | select(index(3) != length - 1 or (map(select(. == 3)) | length) != 1)] | length' "$T/udp.jsonl")"
	assert_eq "reasons: the open connection: active (2), then idle (1) once" '[2,1]' \
		"$(jq -sc '[.[] | select(.destinationTransportPort == 90)] | map(.flowEndReason) | [.[0], .[-1]] ' "$T/udp.jsonl")"
	assert_eq "reasons: ... idle exactly once" 1 \
		"$(jq -s '[.[] | select(.destinationTransportPort == 90 and .flowEndReason == 1)] | length' "$T/udp.jsonl")"
}

test_tcp_exit() {
	assert_eq "tcp: serve exits 0" 0 "$(cat "$T/tcp.rc")"
	assert_eq "tcp: python3-ipfix over TCP decodes the same values" \
		"$(expected_records)" "$(decoded_records "$T/tcp.jsonl")"
	assert_eq "tcp: read only at exit: the open connection is a forced end (4) after active (2)" \
		'[2,4]' "$(jq -sc '[.[] | select(.destinationTransportPort == 90)] | map(.flowEndReason)' \
			"$T/tcp.jsonl")"
}

test_nfcapd() {
	local f
	f=$(ls "$T"/nf/nfcapd.* 2>/dev/null | head -1)
	assert_eq "nfcapd: wrote a file" 1 "$([ -n "$f" ] && echo 1)"
	[ -n "$f" ] || return
	nfdump -r "$f" -o json >"$T/nf.json" 2>"$T/nf.err"
	# nfdump keeps the 5-tuple, times, interface and end reason; no TCP flag counts.
	assert_eq "nfcapd: the 5-tuple and interface of every direction as flows --json" \
		"$(expected_records | jq -c '[.[0], .[1], .[2], .[3], .[4], .[8]]' | sort -u)" \
		"$(jq -c '.[] | [(.src4_addr // .src6_addr), .src_port, (.dst4_addr // .dst6_addr), .dst_port, .proto, .input_snmp]' "$T/nf.json" | sort -u)"
	assert_eq "nfcapd: times within 1 ms of first/last seen" 1 \
		"$(jq -n --slurpfile fl "$T/flows.json" --slurpfile nf "$T/nf.json" '
			def t: capture("(?<s>.*)\\.(?<f>[0-9]+)Z?$") | ((.s + "Z" | fromdateiso8601) * 1000 + (.f[0:3] | tonumber));
			# The last record of each direction (group_by is stable): an earlier,
			# active one carries the last seen of its read.
			($nf[0] | group_by([(.src4_addr // .src6_addr), .src_port, (.dst4_addr // .dst6_addr), .dst_port]) | map(.[-1])) as $last |
			[$fl[0].flows[] | . as $f | $last[] |
			 select(((.src4_addr // .src6_addr) == $f.addr_a and .src_port == $f.port_a and .dst_port == $f.port_b) or ((.src4_addr // .src6_addr) == $f.addr_b and .src_port == $f.port_b and .dst_port == $f.port_a)) |
			 select(.dst_port != 90 and .src_port != 90) |
			 ((.first | t) - ($f.first_seen | t) | fabs), ((.last | t) - ($f.last_seen | t) | fabs)] | max <= 1 | if . then 1 else 0 end')"
}

test_bad_args() {
	nsx "$NS_A" "$R" serve --pin-path "$P" --ipfix nowhere >"$T/bad.out" 2>"$T/bad.err"
	assert_eq "args: --ipfix without a port: exit 2, one line" "2 1" \
		"$? $(grep -c . "$T/bad.err")"
	nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>&1
	nsx "$NS_A" "$R" serve --pin-path "$P" --listen 127.0.0.1:19004 \
		--ipfix tcp://127.0.0.1:4799 >"$T/ref.out" 2>"$T/ref.err"
	assert_eq "args: a TCP collector not listening: exit 1" 1 "$?"
	assert_eq "args: ... with one line naming it" 1 \
		"$(grep -c 'ipfix: sending the templates to 127.0.0.1:4799' "$T/ref.err")"
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
}

# A collector that starts late: the records sent meanwhile are lost (UDP),
# said in our one-line form; those after it reach it.
test_late_collector() {
	nsx "$NS_A" "$R" attach -i "$VETH_A" --pin-path "$P" >/dev/null 2>&1
	serve late 19005 --ipfix 127.0.0.1:4742 --ipfix-interval 0.2
	taskset -c 0 "$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 91 1 >/dev/null
	wait_for 5 grep -q 'I/O error' "$T/late.srv.err"
	collector late udp 4742
	taskset -c 0 "$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 92 1 >/dev/null
	wait_for 5 grep -q '"sourceTransportPort": 92' "$T/late.jsonl"
	bg_stop "$SRV_late" TERM
	bg_stop "$COL_late" TERM
	nsx "$NS_A" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	assert_eq "late: the flow after the collector started arrives, ended (3)" '[3]' \
		"$(jq -sc '[.[] | select(.sourceTransportPort == 92) | .flowEndReason]' "$T/late.jsonl")"
	assert_eq "late: the send errors said in one-line form, nothing else on stderr" "" \
		"$(grep -v '^rsttrace: ' "$T/late.srv.err")"
	assert_eq "late: ... naming the refusal" 1 \
		"$(grep -c '^rsttrace: ipfix: I/O error on UDP send: Connection refused' "$T/late.srv.err")"
}

if setup; then
	run_test test_udp_values
	run_test test_udp_reasons
	run_test test_tcp_exit
	run_test test_nfcapd
else
	not_ok "setup"
fi
run_test test_late_collector
run_test test_bad_args
assert_settles "nothing left attached" "" bpf_progs_in "$NS_A"
finish

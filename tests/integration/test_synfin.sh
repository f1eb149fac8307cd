#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SYN, SYN-ACK and FIN events (issue 12): the five classic tcpdump-guide
# expressions, each in its own watch on the same veth while tcpdump
# captures the same traffic (connections with data and an orderly close,
# refused connections, an abortive close; IPv4 and IPv6), print exactly
# the lines tcpdump prints for that expression; --events takes the kinds
# without an expression, and the kernel's per-kind counters are exact;
# the default stays RST-only.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
T=$(tmpdir)
PORT=40123
NCONN=3 # orderly connections per family
NREF=2  # refused connections per family

for tool in tcpdump jq python3 "$RSTGEN"; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "needed: $tool"; finish; exit 1; }
done
ns_pair z || { not_ok "netns setup"; finish; exit 1; }

EXPRS=(
	'tcp[13] & 2 != 0'
	'tcp[13] & 1 != 0'
	'tcp[13] & 18 = 18'
	'tcp[13] & 20 = 20'
	'tcp[tcpflags] & tcp-rst != 0'
)
KINDS=(
	'syn,synack (the expression'"'"'s TCP flags)'
	'fin (the expression'"'"'s TCP flags)'
	'synack (the expression'"'"'s TCP flags)'
	''
	''
)

# server ADDR N: in NS_A, accept N connections on PORT, read to EOF, close (bounded).
SERVER='
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
s.settimeout(10)
for _ in range(int(sys.argv[3])):
    c, _a = s.accept()
    c.settimeout(5)
    while c.recv(4096):
        pass
    c.close()
'
# client ADDR N: in NS_B, N connections: send 5 bytes, shut down writing, read to EOF.
CLIENT='
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
for _ in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    c.sendall(b"hello")
    time.sleep(0.05)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    time.sleep(0.05)
'

conns() { # conns ADDR: NCONN orderly connections to ADDR
	bg_start SRV nsx "$NS_A" timeout 20 python3 -c "$SERVER" "$1" "$PORT" "$NCONN"
	sleep 0.3
	nsx "$NS_B" timeout 20 python3 -c "$CLIENT" "$1" "$PORT" "$NCONN"
	wait "$SRV" 2>/dev/null
}

traffic() {
	local a
	for a in "$IP4_A" "$IP6_A"; do
		conns "$a"
		"$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$a" 9 "$NREF" >/dev/null 2>&1
		"$RSTGEN" -s "$NS_A" -c "$NS_B" abort-client "$a" 8001 1 >/dev/null 2>&1
	done
	sleep 0.5
}

start_watch() { # start_watch VAR OUT ARGS...
	local var=$1 out=$2
	shift 2
	bg_start "$var" nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --rate-limit 0 -t "$@" \
		>"$out" 2>"$out.err"
}

attached() {
	local f
	for f in "$@"; do
		wait_for 20 grep -q '^rsttrace: watching' "$f.err" ||
			{ diag "not attached: $f"; sed 's/^/# /' "$f.err" | head -5; return 1; }
	done
}

# kind_line OUT KIND: the summary line of KIND (syn, synack, fin).
kind_line() { sed -n "s/^$2: //p" "$1.err"; }

test_classic_exprs() {
	local i pids=() outs=()
	bg_start TD nsx "$NS_A" tcpdump -i "$VETH_A" --immediate-mode -nn -S -U -w "$T/td.pcap" tcp \
		2>"$T/td.err"
	wait_for 5 grep -q 'listening on' "$T/td.err" || { not_ok "tcpdump started"; return; }
	# One XDP program per interface: the first watch takes it, the others tcx ingress.
	for i in "${!EXPRS[@]}"; do
		start_watch "W$i" "$T/e$i.txt" $([ "$i" -gt 0 ] && echo --hook tc) "${EXPRS[$i]}"
		outs+=("$T/e$i.txt")
	done
	start_watch WE "$T/ev.txt" --hook tc --events syn,fin
	start_watch WD "$T/def.txt" --hook tc
	attached "${outs[@]}" "$T/ev.txt" "$T/def.txt" || { not_ok "watches attached"; return; }
	traffic
	for i in "${!EXPRS[@]}"; do
		eval "bg_stop \$W$i INT"
		assert_eq "'${EXPRS[$i]}': exits 0" 0 "$BG_STATUS"
	done
	bg_stop "$WE" INT
	bg_stop "$WD" INT
	bg_stop "$TD" INT

	for i in "${!EXPRS[@]}"; do
		tcpdump -r "$T/td.pcap" -nn -S -t "${EXPRS[$i]}" >"$T/td$i.txt" 2>/dev/null
		[ -s "$T/td$i.txt" ] && ok "tcpdump printed something for '${EXPRS[$i]}'" ||
			not_ok "tcpdump printed something for '${EXPRS[$i]}'"
		assert_files_equal "'${EXPRS[$i]}': tcpdump's lines, byte for byte ($(wc -l <"$T/td$i.txt"))" \
			"$T/td$i.txt" "$T/e$i.txt"
		if [ -n "${KINDS[$i]}" ]; then
			grep -qxF "rsttrace: events: ${KINDS[$i]}" "$T/e$i.txt.err" &&
				ok "'${EXPRS[$i]}': events ${KINDS[$i]%% *}" ||
				not_ok "'${EXPRS[$i]}': events ${KINDS[$i]%% *}"
		else
			grep -q '^rsttrace: events:' "$T/e$i.txt.err" &&
				not_ok "'${EXPRS[$i]}': RSTs only" || ok "'${EXPRS[$i]}': RSTs only"
		fi
	done

	# Both families: per family NCONN SYNs, SYN-ACKs, 2 x NCONN FINs; NREF + 1 SYN more
	# (refused, abort), 1 SYN-ACK more (abort); RSTs: NREF RST-ACK out, 1 RST in.
	local syn=$((2 * (NCONN + NREF + 1))) synack=$((2 * (NCONN + 1))) fin=$((4 * NCONN))
	local rst=$((2 * (NREF + 1)))
	assert_eq "--events syn,fin: SYNs delivered, exactly" \
		"$syn events delivered; not delivered: 0 sampled out, 0 rate limited, 0 ring full, 0 filtered, 0 not asked" \
		"$(kind_line "$T/ev.txt" syn)"
	assert_eq "--events syn,fin: SYN-ACKs not asked, exactly" \
		"0 events delivered; not delivered: 0 sampled out, 0 rate limited, 0 ring full, 0 filtered, $synack not asked" \
		"$(kind_line "$T/ev.txt" synack)"
	assert_eq "--events syn,fin: FINs delivered, exactly" \
		"$fin events delivered; not delivered: 0 sampled out, 0 rate limited, 0 ring full, 0 filtered, 0 not asked" \
		"$(kind_line "$T/ev.txt" fin)"
	# SYN without ACK, or FIN, as tcpdump selects them (IPv6 spelled out: tcp[] is IPv4 only).
	tcpdump -r "$T/td.pcap" -nn -S -t 'tcp[13] & 0x12 = 2 or tcp[13] & 1 != 0 or
		(ip6 and ip6[6] = 6 and (ip6[53] & 0x12 = 2 or ip6[53] & 1 != 0))' \
		>"$T/tdev.txt" 2>/dev/null
	assert_files_equal "--events syn,fin: tcpdump's lines for SYN or FIN, byte for byte" \
		"$T/tdev.txt" "$T/ev.txt"
	assert_eq "--events syn,fin: $((syn + fin)) lines" "$((syn + fin))" "$(wc -l <"$T/ev.txt")"
	assert_eq "default: RSTs only ($rst lines)" "$rst" "$(wc -l <"$T/def.txt")"
	grep -q '^syn: ' "$T/def.txt.err" && not_ok "default: no per-kind summary" ||
		ok "default: no per-kind summary"
	assert_eq "default: every line an RST" 0 "$(grep -vc 'Flags \[R' "$T/def.txt")"
}

test_events_usage() {
	rt_in evbad "$NS_A" watch -i "$VETH_A" --events syn,ack
	assert_eq "--events with a wrong word: exit 2" 2 "$RC"
	assert_eq "... one line naming it" \
		"rsttrace: invalid --events 'syn,ack': 'ack' is not syn, synack, fin, rst or all" \
		"$(head -1 "$T/evbad.err")"
}

# stats --json of a running watch --events syn: the kinds' causes, and the RSTs filtered.
test_stats_kinds() {
	start_watch WS "$T/st.txt" --events syn
	attached "$T/st.txt" || { not_ok "watch --events syn attached"; return; }
	"$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 9 3 >/dev/null 2>&1
	sleep 0.3
	nsx "$NS_A" "$RSTTRACE" stats --json >"$T/st.json" 2>/dev/null
	bg_stop "$WS" INT
	assert_eq "stats --json: control_events.syn" \
		'{"delivered":3,"sampled_out":0,"rate_limited":0,"ring_full":0,"filtered":0,"not_asked":0}' \
		"$(jqf "$T/st.json" .control_events.syn)"
	assert_eq "stats --json: the RST-ACKs filtered (rst not asked), none delivered" "3 0" \
		"$(jqf "$T/st.json" '"\(.events.filtered) \(.events.delivered)"' | tr -d '"')"
	assert_eq "--events syn: the 3 SYNs printed" 3 "$(grep -c 'Flags \[S\]' "$T/st.txt")"
}

run_test test_classic_exprs
run_test test_stats_kinds
run_test test_events_usage
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# watch's exports against tcpdump, on a veth pair between two test
# namespaces, with real resets over IPv4 and IPv6 (refused, abortive close
# by either side, data to a closed socket):
# - pcap (-w FILE, -w -): tcpdump -r and tshark read it, the packet count
#   equals the kernel's RST counter, each packet's bytes and length equal
#   the first snaplen bytes of tcpdump's own capture of it;
# - rotation: -C (with and without -W) and -G (with and without -W) make
#   the expected files;
# - JSON lines: every line parses with jq, has the documented keys and the
#   values of the resets that were made;
# - filter expressions select exactly what tcpdump -r selects with the same
#   expression, the kernel drops the rest where it can, bad ones exit 2;
# - syslog: one message per event, in a private mount namespace with its
#   own /dev/log.
# Several watches run at once on the same interface (XDP for one, TC for
# the others) so that one burst of traffic serves many checks.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
T=$(tmpdir)
RST_FILTER='tcp[tcpflags] & tcp-rst != 0 or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)'
SNAPLEN=128
DAY0=$(date -u +%Y-%m-%d)
DEVLOG_BEFORE=$([ -e /dev/log ] && echo present || echo absent)

for tool in tcpdump jq "$RSTGEN"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		not_ok "needed: $tool"
		finish
		exit 1
	fi
done
ns_pair x || { not_ok "netns setup"; finish; exit 1; }

# start_tcpdump OUTPCAP: full capture of the RSTs on VETH_A; waits until it
# listens. --immediate-mode: without it, packets wait in a TPACKET_V3 block
# for up to a second, and those of the last block are lost on SIGINT.
start_tcpdump() {
	bg_start TD_PID nsx "$NS_A" tcpdump -i "$VETH_A" --immediate-mode -nn -S -U -w "$1" \
		"$RST_FILTER" 2>"$1.err"
	wait_for 5 grep -q 'listening on' "$1.err"
}

# start_watch VAR OUT ARGS...: rsttrace watch in NS_A, stdout to OUT, stderr
# to OUT.err, its PID in VAR. Does not wait (several load in parallel).
start_watch() {
	local var=$1 out=$2
	shift 2
	bg_start "$var" nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" --rate-limit 0 "$@" \
		>"$out" 2>"$out.err"
}

# attached OUT...: wait (bounded) until every watch says it is watching.
attached() {
	local f
	for f in "$@"; do
		wait_for 20 grep -q '^rsttrace: watching' "$f.err" || {
			diag "not attached: $f"
			sed 's/^/# /' "$f.err" | head -5
			return 1
		}
	done
}

gen() { # gen MODE ADDR PORT COUNT: server side in NS_A, client in NS_B
	"$RSTGEN" -s "$NS_A" -c "$NS_B" "$@" >/dev/null 2>&1
	sleep 0.2
}

kernel_rsts() { sed -n 's/^\([0-9]*\) RSTs counted by the kernel.*/\1/p' "$1"; }
delivered() { sed -n 's/^\([0-9]*\) events delivered.*/\1/p' "$1"; }
kfiltered() { sed -n 's/.* ring full, \([0-9]*\) filtered$/\1/p' "$1"; }
npkts() { tcpdump -r "$1" 2>/dev/null | wc -l; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# pkt_bytes PCAP: one line per packet, "LEN HEX" with HEX cut to SNAPLEN bytes.
pkt_bytes() {
	tcpdump -r "$1" -nn -e -xx 2>/dev/null | awk -v max=$((SNAPLEN * 2)) '
		function flush() { if (have) print len, substr(hex, 1, max); hex = ""; have = 0 }
		/^[0-9]/ { flush(); match($0, /length [0-9]+:/);
			   len = substr($0, RSTART + 7, RLENGTH - 8); have = 1; next }
		/^\t0x/ { for (i = 2; i <= NF; i++) hex = hex $i }
		END { flush() }'
}

# text PCAP [EXPR]: tcpdump's own -nn -S -t lines for the packets in PCAP.
text() {
	local f=$1
	shift
	tcpdump -r "$f" -nn -S -t "$@" 2>/dev/null
}

test_pcap_json_text() {
	start_tcpdump "$T/td.pcap" || { not_ok "tcpdump started"; return; }
	# W1: XDP ingress, pcap file and JSON on stdout at once.
	start_watch W1 "$T/w1.json" --snaplen $SNAPLEN -w "$T/w1.pcap" --json
	# W2: TC ingress, pcap to stdout.
	start_watch W2 "$T/w2.pcap" --hook tc --snaplen $SNAPLEN -w -
	# W3: TC ingress, pcap file and the text lines (--print).
	start_watch W3 "$T/w3.txt" --hook tc -t -w "$T/w3.pcap" --print
	attached "$T/w1.json" "$T/w2.pcap" "$T/w3.txt" || { not_ok "watches attached"; return; }
	gen refused "$IP4_A" 9 2
	gen refused "$IP6_A" 9 2
	gen abort-server "$IP4_A" 8001 1
	gen abort-server "$IP6_A" 8002 1
	gen abort-client "$IP4_A" 8003 2
	gen abort-client "$IP6_A" 8004 1
	gen data-closed "$IP4_A" 8005 1
	gen data-closed "$IP6_A" 8006 1
	sleep 0.5
	bg_stop "$W1" INT
	assert_eq "watch -w FILE --json exits 0" 0 "$BG_STATUS"
	bg_stop "$W2" INT
	assert_eq "watch -w - exits 0" 0 "$BG_STATUS"
	bg_stop "$W3" INT
	assert_eq "watch -w FILE --print exits 0" 0 "$BG_STATUS"
	bg_stop "$TD_PID" INT

	local n_td n_k
	n_td=$(npkts "$T/td.pcap")
	n_k=$(kernel_rsts "$T/w1.json.err")
	[ "$n_td" -ge 11 ] && ok "tcpdump captured the resets ($n_td)" ||
		not_ok "tcpdump captured the resets (got $n_td, want >= 11)"

	# pcap file: readable, count, bytes.
	assert_cmd "tcpdump -r reads the -w file" tcpdump -r "$T/w1.pcap" -nn
	grep -q "snapshot length $SNAPLEN" <(tcpdump -r "$T/w1.pcap" 2>&1 >/dev/null) &&
		ok "file header: Ethernet, snaplen $SNAPLEN" || not_ok "file header snaplen"
	assert_eq "packets in the -w file == kernel RST counter" "$n_k" "$(npkts "$T/w1.pcap")"
	assert_eq "kernel RST counter == tcpdump's packet count" "$n_td" "$n_k"
	pkt_bytes "$T/td.pcap" | sort >"$T/td.bytes"
	pkt_bytes "$T/w1.pcap" | sort >"$T/w1.bytes"
	assert_files_equal "each packet: length and first $SNAPLEN bytes == tcpdump's (XDP)" \
		"$T/td.bytes" "$T/w1.bytes"
	pkt_bytes "$T/w3.pcap" | sort >"$T/w3.bytes"
	assert_files_equal "each packet: length and bytes == tcpdump's (TC ingress)" \
		"$T/td.bytes" "$T/w3.bytes"
	if command -v tshark >/dev/null 2>&1; then
		local n_ts n_bad
		n_ts=$(tshark -r "$T/w1.pcap" 2>/dev/null | wc -l)
		n_bad=$(tshark -r "$T/w1.pcap" -Y '_ws.malformed || _ws.expert.severity >= error' \
			2>/dev/null | wc -l)
		assert_eq "tshark reads every packet" "$n_k" "$n_ts"
		assert_eq "tshark finds no malformed packet" 0 "$n_bad"
	else
		ok "tshark reads the file # SKIP no tshark"
	fi

	# -w -: the same packets, through stdout.
	assert_eq "-w - : packets on stdout == kernel RST counter" \
		"$(kernel_rsts "$T/w2.pcap.err")" "$(npkts "$T/w2.pcap")"
	text "$T/td.pcap" >"$T/td.txt"
	text "$T/w2.pcap" >"$T/w2.txt"
	assert_files_equal "-w - : tcpdump -r prints what it printed for its own capture" \
		"$T/td.txt" "$T/w2.txt"
	# --print: the text lines while writing; the file holds the same packets.
	assert_files_equal "--print: text lines == tcpdump -nn -S -t" "$T/td.txt" "$T/w3.txt"
	text "$T/w3.pcap" >"$T/w3.ptxt"
	assert_files_equal "--print: the file holds what was printed" "$T/w3.txt" "$T/w3.ptxt"
	grep -q "packets written to $T/w3.pcap (1 file)" "$T/w3.txt.err" &&
		ok "summary counts the packets written" || not_ok "summary counts the packets written"

	check_json "$T/w1.json" "$n_k"
}

# check_json FILE N: the lines of watch --json for the resets made above.
check_json() {
	local f=$1 n=$2 keys want
	want='ts,iface,ifindex,dir,hook,family,src,sport,dst,dport,flags,seq,ack,win,len,ttl,ip_id,pkt_len,snap_len,vlan,class,reason,state,origin,fate,drop_reason,fate_state,injection_signal,stage,conn_state,client_bytes,server_bytes,cgroup,cgroup_id,uid,pid,comm'
	assert_eq "JSON: one line per event" "$n" "$(grep -c . "$f")"
	assert_cmd "JSON: every line parses (jq)" jq -e . "$f"
	keys=$(jq -r 'keys_unsorted | join(",")' "$f" | sort -u)
	assert_eq "JSON: exactly the documented keys, in order" "$want" "$keys"
	assert_eq "JSON: types" 0 "$(jq -c 'select(
		(.ts | type != "string" or (test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$") | not)) or
		([.ifindex, .sport, .dport, .seq, .ack, .win, .len, .ttl, .ip_id, .pkt_len, .snap_len] | map(type) | unique != ["number"]) or
		([.iface, .dir, .hook, .family, .src, .dst, .flags, .class] | map(type) | unique != ["string"]) or
		(.vlan | type != "boolean") or ([.reason, .state] | map(type) - ["string", "null"] != []))' "$f" | wc -l)"
	assert_eq "JSON: ts is the UTC date of the run" 0 "$(jq -r --arg d "$DAY0" --arg e "$(date -u +%Y-%m-%d)" \
		'select(.ts[0:10] != $d and .ts[0:10] != $e) | .ts' "$f" | wc -l)"
	# Refused: RST-ACK out of A through TC egress, seq 0, window 0, no payload.
	assert_eq "JSON: refused IPv4 resets and their values" 2 "$(jq -c --arg a "$IP4_A" \
		--arg b "$IP4_B" --arg i "$VETH_A" 'select(.sport == 9 and .family == "ipv4" and
		.src == $a and .dst == $b and .dir == "out" and .hook == "tc-out" and
		.flags == "R." and .seq == 0 and .win == 0 and .len == 0 and .ttl == 64 and
		.iface == $i and .vlan == false and .pkt_len == 54 and .snap_len == 54 and
		.class == "refused")' "$f" | wc -l)"
	assert_eq "JSON: refused IPv6 resets and their values" 2 "$(jq -c --arg a "$IP6_A" \
		--arg b "$IP6_B" 'select(.sport == 9 and .family == "ipv6" and .src == $a and
		.dst == $b and .dir == "out" and .flags == "R." and .ttl == 64 and
		.pkt_len == 74 and .class == "refused")' "$f" | wc -l)"
	# The client's abortive close comes in through XDP.
	assert_eq "JSON: client aborts: in, xdp, class abort" 0 "$(jq -c --arg b "$IP4_B" \
		'select(.dport == 8003 and (.src != $b or .dir != "in" or .hook != "xdp" or
		.class != "abort"))' "$f" | wc -l)"
	[ "$(jq -c 'select(.dport == 8003 or .dport == 8004)' "$f" | wc -l)" -ge 3 ] &&
		ok "JSON: client aborts present" || not_ok "JSON: client aborts present"
	assert_eq "JSON: server aborts: out, class abort" 0 "$(jq -c 'select((.sport == 8001 or
		.sport == 8002) and (.dir != "out" or .class != "abort"))' "$f" | wc -l)"
	assert_eq "JSON: data after close: class after_fin" 0 "$(jq -c 'select((.sport == 8005 or
		.sport == 8006) and .class != "after_fin")' "$f" | wc -l)"
	[ "$(jq -c 'select(.sport == 8005 or .sport == 8006)' "$f" | wc -l)" -ge 2 ] &&
		ok "JSON: data-after-close resets present" || not_ok "JSON: data-after-close resets present"
	# The same addresses, ports, flags and sequence numbers as tcpdump printed.
	sed -E 's/^IP6? ([0-9a-f:.]+)\.([0-9]+) > ([0-9a-f:.]+)\.([0-9]+): Flags \[([^]]*)\], seq ([0-9]+).*/\1 \2 \3 \4 \5 \6/' \
		"$T/td.txt" | sort >"$T/td.tuples"
	jq -r '"\(.src) \(.sport) \(.dst) \(.dport) \(.flags) \(.seq)"' "$f" | sort >"$T/json.tuples"
	assert_files_equal "JSON: addresses, ports, flags, seq == tcpdump's" \
		"$T/td.tuples" "$T/json.tuples"
}

test_rotation_size() {
	# 40 refused IPv4 connects: 40 RST-ACKs of 54 bytes, 70-byte records.
	# With -C 1k (1024 bytes) a file takes 15 (24 + 14 * 70 = 1004 <= 1024).
	start_watch C1 "$T/c.out" --direction out -w "$T/c.pcap" -C 1k
	start_watch C2 "$T/r.out" --direction out -w "$T/r.pcap" -C 1k -W 2
	attached "$T/c.out" "$T/r.out" || { not_ok "-C watches attached"; return; }
	gen refused "$IP4_A" 9 40
	sleep 0.3
	bg_stop "$C1" INT
	bg_stop "$C2" INT
	local files
	files=$(cd "$T" && echo c.pcap*)
	assert_eq "-C 1k: FILE, FILE1, FILE2" "c.pcap c.pcap1 c.pcap2" "$files"
	assert_eq "-C 1k: 15, 15, 10 packets" "15 15 10" \
		"$(npkts "$T/c.pcap") $(npkts "$T/c.pcap1") $(npkts "$T/c.pcap2")"
	assert_eq "-C 1k: kernel counted 40" 40 "$(kernel_rsts "$T/c.out.err")"
	files=$(cd "$T" && echo r.pcap*)
	assert_eq "-C 1k -W 2: a ring of FILE0, FILE1" "r.pcap0 r.pcap1" "$files"
	# 15 in r.pcap0, 15 in r.pcap1, then r.pcap0 again with the last 10.
	assert_eq "-C 1k -W 2: the last 10 overwrote FILE0" "10 15" \
		"$(npkts "$T/r.pcap0") $(npkts "$T/r.pcap1")"
	assert_eq "-C 1k -W 2: 3 files opened" 1 \
		"$(grep -c 'packets written to .* (3 files)' "$T/r.out.err")"
}

# handled N OUT PID: wait until the watch printed N lines, or has exited.
handled() {
	[ "$(grep -c . "$2")" -ge "$1" ] || ! kill -0 "$3" 2>/dev/null
}

test_rotation_time() {
	# -G rotates on the wall clock when an event is *handled*, as tcpdump
	# does when a packet is: so each reset is made only once both watches
	# have handled the previous one (--print shows it), 1.1 s later, which
	# puts every reset in a later second than the one before it.
	start_watch G1 "$T/g.out" --direction out -w "$T/g-%s.pcap" -G 1 --print
	start_watch G2 "$T/h.out" --direction out -w "$T/h-%s.pcap" -G 1 -W 2 --print
	attached "$T/g.out" "$T/h.out" || { not_ok "-G watches attached"; return; }
	local k
	for k in 1 2 3; do
		gen refused "$IP4_A" 9 1
		wait_for 10 handled "$k" "$T/g.out" "$G1" && wait_for 10 handled "$k" "$T/h.out" "$G2" ||
			diag "reset $k not handled in time"
		[ "$k" -lt 3 ] && sleep 1.1
	done
	# -G 1 -W 2 has ended by itself, as tcpdump does at its file limit.
	wait_for 5 gone "$G2" && ok "-G 1 -W 2 exits after 2 files" ||
		not_ok "-G 1 -W 2 exits after 2 files"
	bg_stop "$G2" INT
	assert_eq "-G 1 -W 2: exit status 0" 0 "$BG_STATUS"
	grep -q 'maximum file limit reached: 2' "$T/h.out.err" &&
		ok "-G -W: says the file limit was reached" || not_ok "-G -W: file limit message"
	local hfiles=("$T"/h-*.pcap)
	assert_eq "-G 1 -W 2: 2 files" 2 "${#hfiles[@]}"
	bg_stop "$G1" INT
	# One file per second that had a packet; only the first may be empty
	# (opened at start, before the first reset).
	local f n s counts="" names="" prev=0 bad=0
	for f in $(cd "$T" && printf '%s\n' g-*.pcap | sort -t- -k2 -n); do
		n=$(npkts "$T/$f")
		counts="$counts$n "
		names="$names${f#g-} "
		s=${f#g-}
		s=${s%.pcap}
		[ "$s" -gt "$prev" ] || bad=1
		prev=$s
	done
	counts=${counts#0 }
	assert_eq "-G 1: one file per reset, one packet each" "1 1 1 " "$counts"
	assert_eq "-G 1: strftime names, increasing seconds" 0 "$bad"
	diag "-G 1 files: $names"
}

test_expressions() {
	start_tcpdump "$T/tf.pcap" || { not_ok "tcpdump started"; return; }
	local net4=${IP4_A%.*}.0/24 i
	EXPRS=("port 443" "src host $IP4_B" "ip6" "not net $net4"
		"port 443 and not src host $IP4_B" "tcp[tcpflags] & tcp-ack == 0")
	for i in "${!EXPRS[@]}"; do
		start_watch "F$i" "$T/f$i.txt" --hook tc -t "${EXPRS[$i]}"
	done
	attached "$T"/f[0-5].txt || { not_ok "filter watches attached"; return; }
	gen refused "$IP4_A" 443 2
	gen refused "$IP6_A" 443 1
	gen refused "$IP4_A" 9 1
	gen refused "$IP6_A" 9 1
	gen abort-client "$IP4_A" 443 1
	gen abort-client "$IP6_A" 8443 1
	gen data-closed "$IP4_A" 8080 1
	sleep 0.5
	for i in "${!EXPRS[@]}"; do
		eval "bg_stop \$F$i INT"
	done
	bg_stop "$TD_PID" INT
	local total want got lines
	total=$(npkts "$T/tf.pcap")
	for i in "${!EXPRS[@]}"; do
		text "$T/tf.pcap" "${EXPRS[$i]}" | sort >"$T/tf$i.want"
		sort "$T/f$i.txt" >"$T/f$i.got"
		lines=$(grep -c . "$T/tf$i.want")
		assert_files_equal "'${EXPRS[$i]}' selects what tcpdump selects ($lines of $total)" \
			"$T/tf$i.want" "$T/f$i.got"
		[ "$lines" -gt 0 ] && [ "$lines" -lt "$total" ] ||
			diag "'${EXPRS[$i]}' selects $lines of $total"
	done
	# Kernel reduction for the plain host / net / port expressions.
	for i in 0 1 2 3 4; do
		got=$(grep -c . "$T/f$i.txt")
		assert_eq "'${EXPRS[$i]}': kernel delivered only the matches" "$got" \
			"$(delivered "$T/f$i.txt.err")"
		want=$(($(kernel_rsts "$T/f$i.txt.err") - got))
		assert_eq "'${EXPRS[$i]}': kernel filter counted the rest ($want)" "$want" \
			"$(kfiltered "$T/f$i.txt.err")"
	done
	[ "$(kfiltered "$T/f0.txt.err")" -gt 0 ] && [ "$(kfiltered "$T/f1.txt.err")" -gt 0 ] &&
		ok "kernel filter counter shows reductions for port and host" ||
		not_ok "kernel filter counter shows reductions for port and host"
	grep -q 'applied in userspace only' "$T/f5.txt.err" &&
		grep -q 'did not match the expression' "$T/f5.txt.err" &&
		ok "byte-offset expression: userspace only, still exact" ||
		not_ok "byte-offset expression: userspace only"
}

# usage_error NAME ARGS...: exit 2, one line on stderr, nothing attached.
usage_error() {
	local name=$1
	shift
	nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" "$@" >"$T/u.out" 2>"$T/u.err"
	local rc=$?
	assert_eq "$name: exit 2" 2 "$rc"
	assert_eq "$name: one line on stderr" 1 "$(grep -c . "$T/u.err")"
	diag "$(head -1 "$T/u.err")"
}

test_bad_usage() {
	usage_error "invalid expression" port 80 and
	assert_eq "invalid expression: libpcap's message, as tcpdump" \
		"rsttrace: can't parse filter expression: syntax error" "$(cat "$T/u.err")"
	usage_error "expression rejecting all" ip and ip6
	usage_error "unknown port name" port nosuchservice
	usage_error "-w - with --print" -w - --print
	usage_error "-w - with -C" -w - -C 1
	usage_error "-C without -w" -C 1
	usage_error "bad -C" -w "$T/x.pcap" -C 1x
	usage_error "bad -G" -w "$T/x.pcap" -G 0
	usage_error "--print with --json" --print --json
	usage_error "bad facility" --syslog-facility nosuch
	assert_settles "nothing attached after usage errors" "" bpf_progs_in "$NS_A"
	nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" -w /nonexistent-dir/x.pcap >/dev/null 2>"$T/u.err"
	assert_eq "-w into a missing directory: exit 1" 1 "$?"
	assert_settles "-w into a missing directory: nothing attached" "" bpf_progs_in "$NS_A"
}

test_syslog() {
	if ! command -v python3 >/dev/null 2>&1 || ! command -v unshare >/dev/null 2>&1; then
		ok "syslog # SKIP needs python3 and unshare"
		return
	fi
	cat >"$T/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(float(sys.argv[3]))
with open(sys.argv[2], "wb") as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
            f.flush()
    except socket.timeout:
        pass
EOF
	# A private mount namespace with a tmpfs on /dev: its /dev/log is ours,
	# the host's /dev is untouched. Everything in it is bounded by timeout.
	timeout -k 2 40 unshare --mount --propagation private -- bash -c '
		T=$1 RSTTRACE=$2 NS=$3 IF=$4 RSTGEN=$5 NSB=$6 IP=$7
		mkdir -p "$T/realdev" && mount --rbind /dev "$T/realdev" || exit 1
		mount -t tmpfs -o mode=755 rsttrace-test /dev || exit 1
		for n in null zero urandom random; do
			touch /dev/$n && mount --bind "$T/realdev/$n" /dev/$n
		done
		python3 "$T/listen.py" /dev/log "$T/syslog.txt" 6 & L=$!
		for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
		nsenter --net=/run/netns/$NS -- "$RSTTRACE" watch -i "$IF" --rate-limit 0 \
			--syslog --syslog-facility local3 >"$T/s.out" 2>"$T/s.err" & W=$!
		trap "kill $W $L 2>/dev/null" EXIT
		for i in $(seq 200); do grep -q "^rsttrace: watching" "$T/s.err" && break; sleep 0.1; done
		"$RSTGEN" -s "$NS" -c "$NSB" refused "$IP" 9 2 >/dev/null 2>&1
		"$RSTGEN" -s "$NS" -c "$NSB" abort-client "$IP" 8100 1 >/dev/null 2>&1
		sleep 0.5
		kill -INT $W; wait $W; echo "watch=$?" >"$T/s.rc"
		wait $L
	' _ "$T" "$RSTTRACE" "$NS_A" "$VETH_A" "$RSTGEN" "$NS_B" "$IP4_A"
	assert_eq "syslog: watch exits 0" "watch=0" "$(cat "$T/s.rc" 2>/dev/null)"
	local n
	n=$(kernel_rsts "$T/s.err")
	assert_eq "syslog: one message per RST" "$n" "$(grep -c 'rsttrace\[' "$T/syslog.txt")"
	# local3 (19) * 8 + info (6) = 158.
	assert_eq "syslog: facility local3, priority info" "$n" "$(grep -c '^<158>' "$T/syslog.txt")"
	grep -qE "rsttrace\[[0-9]+\]: $VETH_A +Out IP $IP4_A\.9 > $IP4_B\.[0-9]+: Flags \[R\.\], seq 0, ack [0-9]+, win 0, length 0$" \
		"$T/syslog.txt" && ok "syslog: the tcpdump line with the interface prefix" ||
		{ not_ok "syslog: the tcpdump line"; sed 's/^/# /' "$T/syslog.txt" | head -5; }
	assert_eq "syslog: nothing on stdout" 0 "$(grep -c . "$T/s.out")"
	grep -q "$n events sent to syslog" "$T/s.err" && ok "syslog: summary counts them" ||
		not_ok "syslog: summary counts them"
	assert_eq "host /dev/log untouched" "$DEVLOG_BEFORE" \
		"$([ -e /dev/log ] && echo present || echo absent)"
}

run_test test_bad_usage
run_test test_pcap_json_text
run_test test_rotation_size
run_test test_rotation_time
run_test test_expressions
run_test test_syslog
assert_settles "no programs left" "" bpf_progs_in "$NS_A"
finish

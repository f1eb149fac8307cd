#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rsttrace -r FILE on captures made by tcpdump and tshark themselves in a
# test namespace: refused connections (RST-ACK), aborts (RST after data,
# IPv4 and IPv6), RSTs to closed sockets after data, refused connections
# over a VLAN subinterface (tagged frames on the veth), crafted IPv6 RSTs
# behind destination options and an IPv4 RST with 5000 payload bytes
# (past XDP's linear part); Linux cooked v1 and v2, pcapng from tshark,
# raw IP (cut from the Ethernet capture, and tcpdump's own capture of a
# tun device). Each capture is read by tcpdump -nn -S -r and
# by rsttrace -r: the RST lines byte for byte, the per-host RST counts
# against the classic pipeline, every packet accounted for in the
# counters, and bad files refused in one line with exit status 1.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
R=$RSTTRACE
T=$(tmpdir)

ns_pair o || { not_ok "netns setup"; finish; exit 1; }
MAC_A=$(ip -n "$NS_A" -br link show dev "$VETH_A" | awk '{print $3}')
# Room for the 5054-byte crafted RST.
ip -n "$NS_A" link set "$VETH_A" mtu 9000
ip -n "$NS_B" link set "$VETH_B" mtu 9000

# VLAN-tagged frames (this kernel has no 802.1Q subinterfaces): written
# whole on VETH_B with a packet socket, one tag (802.1Q, VLAN 7) and two
# (802.1ad 100 outside 802.1Q 7): each a SYN from B and the RST-ACK of A.
VLAN_A=10.203.$_NS_IDX.1
VLAN_B=10.203.$_NS_IDX.2
send_vlan() {
	nsx "$NS_B" python3 - "$VETH_B" "$MAC_A" "$VLAN_B" "$VLAN_A" <<'EOF'
import socket, struct, sys
ifname, mac, b, a = sys.argv[1:5]
def csum(d):
    if len(d) % 2:
        d += b'\0'
    s = sum(struct.unpack('!%dH' % (len(d) // 2), d))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def frame(tags, src, dst, sport, dport, flags, seq, ack):
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    win = 0 if flags & 4 else 64240
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, win, 0, 0)
    c = csum(sa + da + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, sa, da)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = bytes.fromhex(mac.replace(':', '')) + bytes.fromhex('020000000002')
    for tpid, vid in tags:
        eth += struct.pack('!HH', tpid, vid)
    return eth + struct.pack('!H', 0x0800) + ip + tcp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
for tags, port in (([(0x8100, 7)], 41000), ([(0x88a8, 100), (0x8100, 7)], 41001)):
    s.send(frame(tags, b, a, port, 85, 0x02, 5000, 0))
    s.send(frame(tags, a, b, 85, port, 0x14, 0, 5001))
EOF
}

# The lines of the RSTs among tcpdump's lines (tcpdump says R in the flags).
rst_lines() { grep -E 'Flags \[R\.?\]'; }

# capture NAME CMD...: a capturing process in NS_A, its file $T/NAME; waits until it listens.
capture() {
	local name=$1
	shift
	bg_start "CAP_$name" nsx "$NS_A" "$@" 2>"$T/$name.cap.err"
	wait_for 15 grep -qE 'listening on|Capturing on' "$T/$name.cap.err" ||
		diag "capture $name did not start: $(head -3 "$T/$name.cap.err")"
}

make_captures() {
	capture eth tcpdump -i "$VETH_A" --immediate-mode -U -w "$T/eth.pcap"
	capture snap tcpdump -i "$VETH_A" --immediate-mode -U -s 60 -w "$T/snap.pcap"
	# XXX: cooked captures of VLAN-tagged frames: tcpdump prints "ethertype
	# IPv4, " before the IP part, rsttrace does not yet (docs/offline.md).
	capture sll tcpdump -i any -y LINUX_SLL --immediate-mode -U -w "$T/sll.pcap" \
		"tcp and not net 10.203.0.0/16"
	capture sll2 tcpdump -i any -y LINUX_SLL2 --immediate-mode -U -w "$T/sll2.pcap" \
		"tcp and not net 10.203.0.0/16"
	capture ng tshark -i "$VETH_A" -F pcapng -w "$T/ng.pcapng"
	"$RSTGEN" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 81 3 >/dev/null
	"$RSTGEN" -s "$NS_A" -c "$NS_B" abort-client "$IP4_A" 82 2 >/dev/null
	"$RSTGEN" -s "$NS_A" -c "$NS_B" abort-server "$IP6_A" 83 2 >/dev/null
	"$RSTGEN" -s "$NS_A" -c "$NS_B" data-closed "$IP4_A" 84 2 >/dev/null
	send_vlan
	"$RSTGEN" -c "$NS_B" -i "$VETH_B" -m "$MAC_A" -a "$IP6_B" -x 16 raw-rst "$IP6_A" 443 2 \
		>/dev/null
	"$RSTGEN" -c "$NS_B" -i "$VETH_B" -m "$MAC_A" -a "$IP4_B" -p 5000 raw-rst "$IP4_A" 445 1 \
		>/dev/null
	sleep 0.5
	local c
	for c in eth snap sll sll2 ng; do
		eval "bg_stop \$CAP_$c INT"
	done
	# Raw IP: the Ethernet capture with its link headers (and VLAN tags) cut off.
	python3 - "$T/eth.pcap" "$T/raw.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
magic, vmaj, vmin, tz, sig, snap, lt = struct.unpack('<IHHiIII', d[:24])
out = [struct.pack('<IHHiIII', magic, vmaj, vmin, tz, sig, snap, 101)]
off = 24
while off + 16 <= len(d):
    s, us, cap, ln = struct.unpack('<IIII', d[off:off + 16])
    p = d[off + 16:off + 16 + cap]
    off += 16 + cap
    h = 14
    while p[h - 2:h] in (b'\x81\x00', b'\x88\xa8'):
        h += 4
    if p[h - 2:h] not in (b'\x08\x00', b'\x86\xdd'):
        continue
    out.append(struct.pack('<IIII', s, us, cap - h, ln - h) + p[h:])
open(sys.argv[2], 'wb').write(b''.join(out))
EOF
}

# A capture whose link type is raw IP, made by tcpdump on a tun device in
# NS_A: a writer process holds the device and writes IPv4 and IPv6 RSTs
# and a SYN into it (the kernel receives them as if from the wire).
make_tun_capture() {
	local tun="tr$_TAG"
	# A file: a background job's standard input is /dev/null.
	cat >"$T/tun.py" <<'EOF'
import fcntl, os, socket, struct, sys, time
name, ready, go = sys.argv[1:4]
def csum(d):
    if len(d) % 2:
        d += b'\0'
    s = sum(struct.unpack('!%dH' % (len(d) // 2), d))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def tcp(src, dst, fam, sport, dport, flags, seq, ack):
    t = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 0 if flags & 4 else 512, 0, 0)
    sa, da = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    ph = sa + da + (struct.pack('!BBH', 0, 6, len(t)) if fam == socket.AF_INET else struct.pack('!I3xB', len(t), 6))
    t = t[:16] + struct.pack('!H', csum(ph + t)) + t[18:]
    if fam == socket.AF_INET:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(t), 7, 0, 64, 6, 0, sa, da)
        return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + t
    return struct.pack('!IHBB16s16s', 6 << 28, len(t), 6, 64, sa, da) + t
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', name.encode(), 0x0001 | 0x1000))  # TUNSETIFF: TUN, NO_PI
open(ready, 'w').close()
end = time.time() + 15
while not os.path.exists(go) and time.time() < end:
    time.sleep(0.05)
for p in (tcp('10.204.0.2', '10.204.0.1', socket.AF_INET, 5555, 80, 0x02, 100, 0),
          tcp('10.204.0.1', '10.204.0.2', socket.AF_INET, 80, 5555, 0x14, 0, 101),
          tcp('fd00:204::2', 'fd00:204::1', socket.AF_INET6, 5556, 80, 0x04, 200, 0)):
    os.write(fd, p)
time.sleep(0.5)
EOF
	bg_start TUNW nsx "$NS_A" python3 "$T/tun.py" "$tun" "$T/tun.ready" "$T/tun.go"
	wait_for 10 test -e "$T/tun.ready" || { diag "tun writer did not start"; return 1; }
	ip -n "$NS_A" link set "$tun" up
	capture tun tcpdump -i "$tun" --immediate-mode -U -w "$T/tun.pcap"
	touch "$T/tun.go"
	wait_for 5 test "$(stat -c %s "$T/tun.pcap" 2>/dev/null || echo 0)" -gt 180
	sleep 0.2
	bg_stop "$CAP_tun" INT
	bg_stop "$TUNW" TERM
}

# offline NAME FILE [ARGS...]: rsttrace -r FILE, stdout $T/NAME.rt, stderr $T/NAME.rterr.
offline() {
	local name=$1 file=$2
	shift 2
	"$R" -r "$file" "$@" >"$T/$name.rt" 2>"$T/$name.rterr"
	RC=$?
}

# same_as_tcpdump NAME FILE [EXPRESSION]: the RST lines of both, byte for byte.
same_as_tcpdump() {
	local name=$1 file=$2
	shift 2
	tcpdump -nn -S -r "$file" "$@" 2>/dev/null | rst_lines >"$T/$name.td"
	offline "$name" "$file" "$@"
	assert_eq "$name: rsttrace -r exits 0" 0 "$RC"
	[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/$name.rterr" | head -5
	assert_eq "$name: tcpdump has RST lines" 1 "$([ -s "$T/$name.td" ] && echo 1)"
	assert_files_equal "$name: lines byte-identical to tcpdump -nn -S -r" "$T/$name.td" \
		"$T/$name.rt"
}

test_ethernet() {
	same_as_tcpdump eth "$T/eth.pcap"
	# 3 + 2 + 2 + 2 refused/aborted/closed, 2 over the VLAN, 2 + 1 crafted.
	assert_eq "eth: 14 RSTs" 14 "$(grep -c . "$T/eth.rt")"
	assert_eq "eth: the 2 VLAN-tagged RSTs (one and two tags) among them" 2 \
		"$(grep -c "IP $VLAN_A.85 > $VLAN_B.4100[01]: Flags \[R\.\], seq 0, ack 5001, win 0, length 0" "$T/eth.rt")"
	assert_eq "eth: the 2 RSTs behind IPv6 destination options" 2 \
		"$(grep -c "IP6 $IP6_B > $IP6_A: DSTOPT 40000 > 443: Flags \[R\]" "$T/eth.rt")"
	assert_eq "eth: the 5054-byte RST (frags in test_run)" 1 \
		"$(grep -c "$IP4_B.40000 > $IP4_A.445: Flags \[R\], seq 1000000:1005000, win 0, length 5000" \
			"$T/eth.rt")"
}

test_expression() {
	same_as_tcpdump expr "$T/eth.pcap" "port 81 or (vlan and host $VLAN_A)"
	assert_eq "expr: 3 + 1 lines (one tag only: \"vlan and\" does not see through two)" 4 "$(grep -c . "$T/expr.rt")"
	assert_eq "expr: summary counts the other 10 as not matching" \
		"10 events did not match the expression" \
		"$(grep 'did not match' "$T/expr.rterr")"
}

# The RSTs of IPv4 with up to two VLAN tags, as pcap-filter selects them:
# one expression each (after "vlan", offsets shift for the rest of it).
rst4_lines() {
	local f
	for f in 'tcp[13] & 4 != 0' 'vlan and tcp[13] & 4 != 0' 'vlan and vlan and tcp[13] & 4 != 0'; do
		tcpdump -nn -S -r "$1" "$f" 2>/dev/null
	done | sort -s -k1,1
}

test_snaplen() {
	# The selection by tcpdump's filter, not by the flags it prints: -s 60
	# leaves a double-tagged RST its flags byte, not the rest, "[|tcp]".
	rst4_lines "$T/snap.pcap" >"$T/snap.td"
	offline snap "$T/snap.pcap"
	assert_eq "snap: rsttrace -r exits 0" 0 "$RC"
	assert_files_equal "snap: lines byte-identical to tcpdump -nn -S -r" "$T/snap.td" "$T/snap.rt"
	assert_eq "snap: the cut one printed as tcpdump does" 1 "$(grep -c ' \[|tcp\]$' "$T/snap.rt")"
	offline snapjs "$T/snap.pcap" --stats-json
	offline ethjs "$T/eth.pcap" --stats-json
	assert_eq "snap: the full capture counts IPv4 TCP packets" true \
		"$(jqf "$T/ethjs.rt" '.packets.tcp4 > 20')"
	# 60 bytes hold an IPv4 TCP header whole; of IPv6 only 6 bytes of TCP
	# (or of a destination option), run as zeros after that: malformed.
	assert_eq "snap: -s 60 counts the IPv4 TCP packets and hosts the full capture counts" \
		"$(jqf "$T/ethjs.rt" '[.packets.tcp4, [.hosts[] | select(.family == "ipv4") | del(.first_seen, .last_seen)]]')" \
		"$(jqf "$T/snapjs.rt" '[.packets.tcp4, [.hosts[] | select(.family == "ipv4") | del(.first_seen, .last_seen)]]')"
	assert_eq "snap: every IPv6 TCP packet, cut in its headers, counts as malformed" \
		"[0,$(tcpdump -nn -r "$T/snap.pcap" 'ip6 and (ip6[6] == 6 or ip6[6] == 60)' 2>/dev/null | grep -c .)]" \
		"$(jqf "$T/snapjs.rt" '[.packets.tcp6, .packets.malformed]')"
	assert_eq "snap: packets captured short counted" \
		"$(tcpdump -nn -r "$T/snap.pcap" greater 61 2>/dev/null | grep -c .)" \
		"$(jqf "$T/snapjs.rt" .packets_snapped)"
}

test_cooked() {
	same_as_tcpdump sll "$T/sll.pcap"
	same_as_tcpdump sll2 "$T/sll2.pcap"
	assert_eq "sll2: tcpdump's interface/direction prefix on every line" \
		"$(grep -c . "$T/sll2.td")" "$(grep -cE '^[0-9:.]+ [^ ]+ +(In |Out) ' "$T/sll2.rt")"
}

test_raw_ip() {
	same_as_tcpdump raw "$T/raw.pcap"
	make_tun_capture
	assert_eq "tun: tcpdump's capture of a tun device is raw IP" 1 \
		"$(tcpdump -r "$T/tun.pcap" -c1 2>&1 >/dev/null | grep -c 'link-type RAW')"
	same_as_tcpdump tun "$T/tun.pcap"
	assert_eq "tun: the two RSTs, IPv4 and IPv6" 2 "$(grep -c . "$T/tun.rt")"
	offline tunjs "$T/tun.pcap" --stats-json
	assert_eq "tun: SYN, RST-ACK, RST counted" "[1,1,1,1,2]" \
		"$(jqf "$T/tunjs.rt" '[.counters.syn, .counters.rstack, .counters.rst, .packets.tcp6, .packets.tcp4]')"
}

test_pcapng() {
	assert_eq "pcapng: tshark wrote pcapng" "pcapng" \
		"$(od -An -tx4 -N4 "$T/ng.pcapng" | tr -d ' ' | sed 's/0a0d0d0a/pcapng/')"
	same_as_tcpdump ng "$T/ng.pcapng"
}

test_stdin() {
	tcpdump -nn -S -r "$T/eth.pcap" 2>/dev/null | rst_lines >"$T/stdin.td"
	"$R" -r - <"$T/eth.pcap" >"$T/stdin.rt" 2>"$T/stdin.rterr"
	assert_eq "stdin: -r - exits 0" 0 "$?"
	assert_files_equal "stdin: lines byte-identical to tcpdump" "$T/stdin.td" "$T/stdin.rt"
	cat "$T/eth.pcap" | "$R" watch -r - -c 2 >"$T/stdin2.rt" 2>/dev/null
	assert_eq "stdin: watch -r - -c 2 prints the first 2" "$(head -2 "$T/stdin.td")" \
		"$(cat "$T/stdin2.rt")"
}

# The classic pipeline's per-source RST counts as "N ADDR" lines.
pipeline_hosts() {
	rst4_lines "$1" | awk '{print $3}' | sed 's/\.[0-9]*$//' | sort | uniq -c | awk '{print $1, $2}'
}

test_hosts() {
	offline hosts "$T/eth.pcap" --stats-json
	assert_eq "hosts: IPv4 RSTs per host equal the classic tcpdump pipeline" \
		"$(pipeline_hosts "$T/eth.pcap")" \
		"$(jq -r '.hosts[] | select(.family == "ipv4" and .rst_in > 0) | "\(.rst_in) \(.addr)"' \
			"$T/hosts.rt" | sort -k2)"
	# IPv6 too (tcp[] is IPv4 only in pcap-filter): tshark's dissector, extension headers and all.
	assert_eq "hosts: every RST per host equals tshark's" \
		"$(tshark -r "$T/eth.pcap" -Y 'tcp.flags.reset == 1' -T fields -e ip.src -e ipv6.src \
			2>/dev/null | tr -d '\t' | sort | uniq -c | awk '{print $1, $2}')" \
		"$(jq -r '.hosts[] | select(.rst_in > 0) | "\(.rst_in) \(.addr)"' "$T/hosts.rt" |
			sort -k2)"
}

test_stats_json() {
	local f="$T/eth.pcap" n
	offline st "$f" --stats-json
	assert_eq "stats: --stats-json exits 0" 0 "$RC"
	n=$(tcpdump -nn -r "$f" 2>/dev/null | grep -c .)
	# tshark's IPv6 dissector fills ip.version too.
	tshark -r "$f" -T fields -e tcp.flags -e ip.version 2>/dev/null >"$T/st.tshark"
	assert_eq "stats: every packet read, run, and in exactly one class" \
		"[$n,$n,0,$(awk -F'\t' '$1 != "" && $2 == 4' "$T/st.tshark" | grep -c .),$(awk -F'\t' '$1 != "" && $2 == 6' "$T/st.tshark" | grep -c .),0,0,$((n - $(awk -F'\t' '$1 != ""' "$T/st.tshark" | grep -c .)))]" \
		"$(jqf "$T/st.rt" '[.packets_read, .packets.run, .packets_not_run, .packets.tcp4, .packets.tcp6, .packets.fragments, .packets.malformed, .packets.other]')"
	assert_eq "stats: identity holds (run = tcp4 + tcp6 + fragments + malformed + other)" true \
		"$(jqf "$T/st.rt" '.packets | .run == .tcp4 + .tcp6 + .fragments + .malformed + .other')"
	tcpdump -nn -S -r "$f" 2>/dev/null >"$T/st.td"
	assert_eq "stats: SYN, SYN-ACK, FIN, RST, RST-ACK as tcpdump's flags say" \
		"[$(grep -c 'Flags \[S\]' "$T/st.td"),$(grep -c 'Flags \[S\.\]' "$T/st.td"),$(grep -cE 'Flags \[[SRP]*F' "$T/st.td"),$(grep -c 'Flags \[R\]' "$T/st.td"),$(grep -c 'Flags \[R\.\]' "$T/st.td")]" \
		"$(jqf "$T/st.rt" '[.counters.syn, .counters.synack, .counters.fin, .counters.rst, .counters.rstack]')"
	assert_eq "stats: 14 events, none lost" "[14,14,0,0,0,0]" \
		"$(jqf "$T/st.rt" '[.events.matched, .counters.events_delivered, .counters.events_sampled_out, .counters.events_rate_limited, .counters.events_ring_full, ([.malformed[]] | add)]')"
	assert_eq "stats: the refused flows of port 81, SYN b>a and RST-ACK a>b" \
		'[{"syn":0,"synack":0,"fin":0,"rst":0,"rstack":1},{"syn":1,"synack":0,"fin":0,"rst":0,"rstack":0}]' \
		"$(jqf "$T/st.rt" "[.flows[] | select(.port_a == 81 and .addr_a == \"$IP4_A\")] | [.[0].a_to_b, .[0].b_to_a] | map(del(.ttl))")"
	assert_eq "stats: 3 such flows, times from the capture" \
		"3 $(tcpdump -tttt -nn -r "$f" 'tcp[13] & 4 != 0 and port 81' 2>/dev/null | head -1 | cut -c12-19)" \
		"$(jqf "$T/st.rt" "[.flows[] | select(.port_a == 81)] | length") $(jq -r "[.flows[] | select(.port_a == 81)][0].last_seen" "$T/st.rt" | TZ= xargs -I{} date -d {} +%T)"
	assert_eq "stats: the text summary says the same identity" \
		"$n packets read = $(jqf "$T/st.rt" '.packets.tcp4') TCP/IPv4 + $(jqf "$T/st.rt" '.packets.tcp6') TCP/IPv6 + 0 fragments + 0 malformed + $(jqf "$T/st.rt" '.packets.other') not TCP + 0 not run" \
		"$(offline sttext "$f"; grep 'packets read' "$T/sttext.rterr")"
}

test_outputs() {
	tcpdump -nn -S -r "$T/eth.pcap" 2>/dev/null | rst_lines >"$T/out.td"
	offline w "$T/eth.pcap" -w "$T/w.pcap"
	assert_eq "outputs: -w exits 0, nothing on stdout" "0 0" "$RC $(grep -c . "$T/w.rt")"
	assert_files_equal "outputs: tcpdump reads the -w file as the lines" "$T/out.td" \
		<(tcpdump -nn -S -r "$T/w.pcap" 2>/dev/null)
	offline j "$T/eth.pcap" --json
	assert_eq "outputs: --json, one object per event with the capture's time" \
		"14 $(tcpdump -nn -tttt -r "$T/eth.pcap" 'tcp[13] & 4 != 0' 2>/dev/null | head -1 | cut -c12-26)" \
		"$(jq -s length "$T/j.rt") $(head -1 "$T/j.rt" | jq -r .ts | TZ= xargs -I{} date -d {} +%T.%6N)"
}

test_bad_files() {
	local sz
	sz=$(stat -c %s "$T/eth.pcap")
	head -c $((sz - 20)) "$T/eth.pcap" >"$T/cut.pcap"
	offline cut "$T/cut.pcap"
	assert_eq "bad: a cut file: exit 1, one line on stderr" "1 1" "$RC $(grep -c . "$T/cut.rterr")"
	assert_eq "bad: ... naming the file and libpcap's reason" 1 \
		"$(grep -c "^rsttrace: $T/cut.pcap: truncated dump file" "$T/cut.rterr")"
	head -c 4000 /dev/urandom >"$T/junk.pcap"
	printf '\xd4\xc3\xb2\xa1' | dd of="$T/junk.pcap" conv=notrunc status=none
	offline junk "$T/junk.pcap"
	assert_eq "bad: garbage after a pcap magic: exit 1, one line" "1 1" \
		"$RC $(grep -c . "$T/junk.rterr")"
	printf 'not a capture at all\n' >"$T/text.pcap"
	offline text "$T/text.pcap"
	assert_eq "bad: not a capture: exit 1, one line" "1 1" "$RC $(grep -c . "$T/text.rterr")"
	python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,0)+struct.pack("<IIII",1,0,4,4)+b"\2\0\0\0")' \
		>"$T/null.pcap"
	offline null "$T/null.pcap"
	assert_eq "bad: an unsupported link type: exit 1, one line naming it" "1 1" \
		"$RC $(grep -c 'link type NULL (0) not supported' "$T/null.rterr")"
	offline none "$T/does-not-exist.pcap"
	assert_eq "bad: a missing file: exit 1, one line" "1 1" "$RC $(grep -c . "$T/none.rterr")"
}

make_captures
run_test test_ethernet
run_test test_expression
run_test test_snaplen
run_test test_cooked
run_test test_raw_ip
run_test test_pcapng
run_test test_stdin
run_test test_hosts
run_test test_stats_json
run_test test_outputs
run_test test_bad_files
finish

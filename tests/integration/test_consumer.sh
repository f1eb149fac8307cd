#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The consumer of the persistent attachment (user/commands/consumer.h):
# attach with a small ring (4096 bytes: 26 bare-RST records), serve
# consuming it, and refused connections from the client namespace, each
# one RST-ACK out of the server: every event must reach serve's JSON file
# and a watch --attached beside it, none lost to a full ring; the files
# rotate within their bound; the run directory and socket are root's and
# closed; a subscriber that never reads loses only its own events, and is
# told how many. Every process is started by PID and checked gone.
#
# Run: make && bash tests/integration/test_consumer.sh

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)
RUN=$T/run-c
N=60

mkpin P c
ns_pair c
SRV=$NS_A
CLI=$NS_B
IF=$VETH_A
SOCK=$RUN/$(basename "$P").sock
PORT=$((31000 + $$ % 2000))

# A port of its own for each serve (--listen takes no 0).
port() {
	PORT=$((PORT + 1))
	echo "127.0.0.1:$PORT"
}

# N refused connections from the client, one process, bounded in time, at
# about 25/s: a steady rate that the 26 records of the ring absorb for a
# second of a consumer not scheduled (a burst faster than any consumer
# wakes would fill any ring: that is what its size is for).
refuse_n() {
	nsx "$CLI" timeout 30 bash -c "for i in \$(seq 1 $1); do (exec 3<>/dev/tcp/$IP4_A/9) 2>/dev/null; sleep 0.04; done"
	return 0
}

stats_events() {
	nsx "$SRV" "$R" stats --json --pin-path "$P" 2>/dev/null |
		jq -c '[.events.delivered, .events.ring_full]'
}

# Events since the test started: delivered and ring full, minus the baseline.
ev_base() { EV0=$(stats_events); }
ev_delta() {
	jq -nc --argjson a "$EV0" --argjson b "$(stats_events)" '[$b[0] - $a[0], $b[1] - $a[1]]'
}

lines() { cat "$@" 2>/dev/null | wc -l | tr -d ' '; }

# metric ADDR SERIES: the value of one series of the serve at ADDR ("" when absent).
metric() {
	nsx "$SRV" curl -sS --max-time 5 "http://$1/metrics" 2>/dev/null |
		awk -v s="$2" '$1 == s { print $2 }'
}
# has_metric ADDR SERIES VALUE (for wait_for: the exporter's snapshot is up to 1 s old).
has_metric() { [ "$(metric "$1" "$2")" = "$3" ]; }
# metrics ADDR SERIES...: their values, one line.
metrics() {
	local a=$1 s out=""
	shift
	for s in "$@"; do
		out+="$(metric "$a" "$s") "
	done
	echo "${out% }"
}

# has_lines N PREFIX: the files PREFIX* hold N lines or more (for wait_for,
# which runs it again each time: a $(lines ...) argument would be read once).
has_lines() { [ "$(cat "$2"* 2>/dev/null | wc -l)" -ge "$1" ]; }

setup() {
	nsx "$SRV" "$R" attach -i "$IF" --ring-size 4096 --pin-path "$P" >"$T/att.out" 2>"$T/att.err" ||
		return 1
}

# serve consuming: N refused connections, N events in its file, none lost.
t_serve_consumes() {
	local sp wp L
	L=$(port)
	ev_base
	bg_start sp nsx "$SRV" "$R" serve --listen "$L" --pin-path "$P" --run-dir "$RUN" \
		--json-out "$T/ev.json" 2>"$T/serve.err"
	wait_for 10 test -S "$SOCK"
	bg_start wp nsx "$SRV" "$R" watch --attached --json --pin-path "$P" --run-dir "$RUN" \
		>"$T/watch.out" 2>"$T/watch.err"
	wait_for 10 grep -q "reading the events" "$T/watch.err"
	refuse_n $N
	wait_for 10 has_lines $N "$T/ev.json"
	wait_for 10 has_lines $N "$T/watch.out"
	assert_eq "serve consumes: $N events delivered, 0 ring full" "[$N,0]" "$(ev_delta)"
	assert_eq "serve: $N JSON lines, all RST-ACKs out of $IP4_A" "$N $N" \
		"$(lines "$T"/ev.json*) $(cat "$T"/ev.json* | jq -r 'select(.flags=="R." and .src=="'"$IP4_A"'" and .dir=="out") | .sport' | grep -c '^9$')"
	assert_eq "serve says it consumes, on the socket" 1 \
		"$(grep -c "consuming the events of $P; publishing them on $SOCK" "$T/serve.err")"
	assert_eq "watch --attached beside serve: all $N too" $N "$(lines "$T/watch.out")"
	assert_eq "watch --attached: the same events as serve (seq of each)" \
		"$(cat "$T"/ev.json* | jq -r .ack | sort | md5sum)" \
		"$(jq -r .ack "$T/watch.out" | sort | md5sum)"
	assert_eq "watch --attached: joined serve's socket" 1 \
		"$(grep -c "reading the events of $P from $SOCK (consumer pid" "$T/watch.err")"
	# The consumer's numbers on /metrics: all consumed, written, sent; none dropped.
	wait_for 10 has_metric "$L" rsttrace_consumer_events_total $N
	wait_for 10 has_metric "$L" "rsttrace_fanout_subscriber_events_total{pid=\"$wp\",result=\"sent\"}" $N
	assert_eq "/metrics: $N consumed, role ring, json $N written 0 dropped" "$N 1 0 $N 0" \
		"$(metrics "$L" rsttrace_consumer_events_total 'rsttrace_consumer_role{role="ring"}' \
			'rsttrace_consumer_role{role="subscriber"}' \
			'rsttrace_sink_events_total{sink="json",result="written"}' \
			'rsttrace_sink_events_total{sink="json",result="dropped"}')"
	assert_eq "/metrics: 1 subscriber (watch pid $wp): $N sent, 0 dropped, 0 in all" "1 $N 0 0" \
		"$(metrics "$L" rsttrace_fanout_subscribers \
			"rsttrace_fanout_subscriber_events_total{pid=\"$wp\",result=\"sent\"}" \
			"rsttrace_fanout_subscriber_events_total{pid=\"$wp\",result=\"dropped\"}" \
			rsttrace_fanout_events_dropped_total)"
	bg_stop "$wp"
	assert_eq "watch --attached: exit 0, none lost" "0 1" \
		"$BG_STATUS $(grep -c "$N events received from the attachment at $P; 0 lost" "$T/watch.err")"
	bg_stop "$sp"
	assert_eq "serve: exit 0 on SIGINT, socket removed" "0 no" \
		"$BG_STATUS $([ -e "$SOCK" ] && echo yes || echo no)"
}

# status names the consumer: pid, command, subscribers, socket; then none.
t_status() {
	local sp wp st
	st() { nsx "$SRV" "$R" status --json --pin-path "$P" --run-dir "$1" | jq -c "$2"; }
	assert_eq "status, no consumer ever: none" \
		'{"state":"none","running":false,"pid":null,"subscribers":null,"socket":null}' \
		"$(st "$T/run-none" '.consumer | {state, running, pid, subscribers, socket}')"
	bg_start sp nsx "$SRV" "$R" serve --listen "$(port)" --pin-path "$P" --run-dir "$RUN" \
		2>"$T/serve7.err"
	wait_for 10 test -S "$SOCK"
	bg_start wp nsx "$SRV" "$R" watch --attached --json --pin-path "$P" --run-dir "$RUN" \
		>/dev/null 2>"$T/watch7.err"
	wait_for 10 grep -q "reading the events" "$T/watch7.err"
	for _ in $(seq 1 50); do
		[ "$(st "$RUN" .consumer.subscribers)" = 1 ] && break
		sleep 0.1
	done
	assert_eq "status --json: serve pid $sp consumes, 1 subscriber, its socket" \
		"{\"state\":\"running\",\"running\":true,\"pid\":$sp,\"alive\":true,\"command\":\"serve\",\"subscribers\":1,\"lock\":\"$RUN/$(basename "$P").lock\",\"socket\":\"$SOCK\"}" \
		"$(st "$RUN" .consumer)"
	assert_eq "status: the consumer line" \
		"consumer: pid $sp (rsttrace serve), 1 subscriber, events published on $SOCK" \
		"$(nsx "$SRV" "$R" status --pin-path "$P" --run-dir "$RUN" | grep '^consumer:')"
	bg_stop "$wp"
	bg_stop "$sp"
	assert_eq "status after serve stopped: stale, pid $sp gone, no socket" \
		"{\"state\":\"stale\",\"running\":false,\"pid\":$sp,\"alive\":false,\"subscribers\":null,\"socket\":null}" \
		"$(st "$RUN" '.consumer | {state, running, pid, alive, subscribers, socket}')"
}

# The run directory and the socket: root's, closed to others.
t_permissions() {
	local sp
	bg_start sp nsx "$SRV" "$R" serve --listen "$(port)" --pin-path "$P" --run-dir "$RUN" \
		2>"$T/serve2.err"
	wait_for 10 test -S "$SOCK"
	assert_eq "run dir 0700 root, socket 0600 root" "700 root 600 root socket" \
		"$(stat -c '%a %U' "$RUN") $(stat -c '%a %U %F' "$SOCK")"
	bg_stop "$sp"
	# A run directory others may write in is refused: they could plant a socket.
	mkdir -p "$T/open-run"
	chmod 0777 "$T/open-run"
	nsx "$SRV" "$R" watch --attached --pin-path "$P" --run-dir "$T/open-run" -c 1 \
		>"$T/w3.out" 2>"$T/w3.err"
	assert_eq "world-writable run dir: refused, exit 1" "1 1" \
		"$? $(grep -c "lets other users write in it: refusing" "$T/w3.err")"
	# A socket of another user is not joined.
	mkdir -p "$T/other-run" && chmod 0700 "$T/other-run"
	python3 -c "import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind('$T/other-run/$(basename "$SOCK")')"
	chown 65534 "$T/other-run/$(basename "$SOCK")"
	: >"$T/other-run/$(basename "$P").lock"
	# Held lock (by this shell, through flock on fd 9), a socket of nobody's: refused.
	(
		flock -n 9 || exit 1
		nsx "$SRV" timeout 10 "$R" watch --attached --pin-path "$P" --run-dir "$T/other-run" -c 1 \
			>"$T/w4.out" 2>"$T/w4.err"
		echo $? >"$T/w4.rc"
	) 9<"$T/other-run/$(basename "$P").lock"
	assert_eq "a socket not root's: refused, exit 1" "1 1" \
		"$(cat "$T/w4.rc") $(grep -c "not root's: refusing" "$T/w4.err")"
}

# Without serve, watch --attached consumes the ring itself; a second one joins it.
t_watch_alone() {
	local w1 w2
	ev_base
	bg_start w1 nsx "$SRV" "$R" watch --attached --json --pin-path "$P" --run-dir "$RUN" \
		>"$T/wa1.out" 2>"$T/wa1.err"
	wait_for 10 test -S "$SOCK"
	bg_start w2 nsx "$SRV" "$R" watch --attached --json --pin-path "$P" --run-dir "$RUN" \
		>"$T/wa2.out" 2>"$T/wa2.err"
	wait_for 10 grep -q "reading the events" "$T/wa2.err"
	refuse_n 20
	wait_for 10 has_lines 20 "$T/wa2.out"
	wait_for 10 has_lines 20 "$T/wa1.out"
	assert_eq "watch --attached alone: reads the ring" 1 "$(grep -c "from its ring (no serve" "$T/wa1.err")"
	assert_eq "both watches: 20 events each, 0 ring full" "20 20 [20,0]" \
		"$(lines "$T/wa1.out") $(lines "$T/wa2.out") $(ev_delta)"
	bg_stop "$w1"
	bg_stop "$w2"
}

# A subscriber that never reads: it loses its own events, counted; the rest get all.
t_stuck_subscriber() {
	local sp wp stuck L drop
	L=$(port)
	rm -f "$T"/ev2.json*
	ev_base
	bg_start sp nsx "$SRV" "$R" serve --listen "$L" --pin-path "$P" --run-dir "$RUN" \
		--queue 4 --json-out "$T/ev2.json" 2>"$T/serve3.err"
	wait_for 10 test -S "$SOCK"
	bg_start wp nsx "$SRV" "$R" watch --attached --json --pin-path "$P" --run-dir "$RUN" \
		>"$T/watch3.out" 2>"$T/watch3.err"
	cat >"$T/stuck.py" <<PY
import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("$SOCK")
open("$T/stuck.ready", "w").close()
end = time.time() + 20
while not os.path.exists("$T/stuck.go") and time.time() < end:
    time.sleep(0.05)
s.settimeout(1.0)
n = lost = 0
try:
    while True:
        m = s.recv(4096)
        if not m:
            break
        magic, typ, ver, l = struct.unpack("<IHHQ", m[:16])
        if typ == 2:
            n += 1
            lost = l
except socket.timeout:
    pass
print(n, lost)
PY
	bg_start stuck python3 "$T/stuck.py" >"$T/stuck.out"
	wait_for 10 test -e "$T/stuck.ready"
	wait_for 10 grep -q "reading the events" "$T/watch3.err"
	refuse_n $N
	wait_for 10 has_lines $N "$T/watch3.out"
	wait_for 10 has_lines $N "$T/ev2.json"
	# Its losses on /metrics while it is joined: its own series and the total.
	wait_for 10 has_metric "$L" rsttrace_consumer_events_total $N
	drop=$(metric "$L" "rsttrace_fanout_subscriber_events_total{pid=\"$stuck\",result=\"dropped\"}")
	assert_eq "/metrics: 2 subscribers; the stuck one's drops are the total; watch's 0" \
		"2 $drop 0" \
		"$(metrics "$L" rsttrace_fanout_subscribers rsttrace_fanout_events_dropped_total \
			"rsttrace_fanout_subscriber_events_total{pid=\"$wp\",result=\"dropped\"}")"
	touch "$T/stuck.go"
	wait_for 10 bash -c "! kill -0 $stuck"
	local got lost
	read -r got lost <"$T/stuck.out"
	diag "stuck subscriber: received $got, lost $lost"
	assert_eq "stuck subscriber: received + lost = $N, some lost" "$N yes" \
		"$((got + lost)) $([ "$lost" -gt 0 ] && echo yes || echo no)"
	assert_eq "/metrics: the stuck one's drops as it was told ($lost)" "$lost" "$drop"
	# Gone: its series with it, the total stays.
	wait_for 10 has_metric "$L" rsttrace_fanout_subscribers 1
	assert_eq "/metrics: after it left, 1 subscriber, total $lost, no series of pid $stuck" \
		"1 $lost 0" \
		"$(metrics "$L" rsttrace_fanout_subscribers rsttrace_fanout_events_dropped_total) $(nsx "$SRV" curl -sS --max-time 5 "http://$L/metrics" | grep -c "pid=\"$stuck\"")"
	assert_eq "beside it: serve and watch got all $N, 0 ring full" "$N $N [$N,0]" \
		"$(lines "$T"/ev2.json*) $(lines "$T/watch3.out") $(ev_delta)"
	bg_stop "$wp"
	bg_stop "$sp"
	assert_eq "serve names the subscriber's losses" 1 \
		"$(grep -Ec "subscriber pid [0-9]+ left \(closed\): $got events sent, $lost lost" "$T/serve3.err")"
}

# A full disk: --json-out and -w on a tmpfs of 8 KiB (in a mount namespace of
# serve's own, gone with it) drop what does not fit, counted on /metrics,
# and serve goes on consuming every event.
t_sink_full() {
	local sp L d w_json w_pcap d_pcap
	L=$(port)
	d=$T/full
	mkdir -p "$d"
	bg_start sp nsx "$SRV" unshare -m --propagation private bash -c \
		'mount -t tmpfs -o size=8k rsttrace-test "$0" && exec "$@"' "$d" \
		"$R" serve --listen "$L" --pin-path "$P" --run-dir "$RUN" \
		--json-out "$d/ev.json" -w "$d/ev.pcap" 2>"$T/serve6.err"
	wait_for 10 test -S "$SOCK"
	refuse_n $N
	wait_for 10 has_metric "$L" rsttrace_consumer_events_total $N
	# The whole lines in the files (seen through serve's mount namespace).
	w_json=$(cat /proc/"$sp"/root"$d"/ev.json* 2>/dev/null | wc -l)
	assert_eq "full disk: $N consumed; json $w_json written (whole lines), the rest dropped" \
		"$N $w_json $((N - w_json))" \
		"$(metrics "$L" rsttrace_consumer_events_total \
			'rsttrace_sink_events_total{sink="json",result="written"}' \
			'rsttrace_sink_events_total{sink="json",result="dropped"}')"
	# Absent series read as -1: no arithmetic on an empty string.
	w_pcap=$(metric "$L" 'rsttrace_sink_events_total{sink="pcap",result="written"}')
	d_pcap=$(metric "$L" 'rsttrace_sink_events_total{sink="pcap",result="dropped"}')
	w_pcap=${w_pcap:--1} d_pcap=${d_pcap:--1}
	assert_eq "full disk: pcap written + dropped = $N, both sinks dropped some" "$N yes" \
		"$((w_pcap + d_pcap)) $([ "$w_json" -lt $N ] && [ "$w_json" -gt 0 ] && [ "$w_pcap" -ge 0 ] && [ "$w_pcap" -lt $N ] && echo yes || echo no)"
	bg_stop "$sp"
	assert_eq "full disk: serve exits 0, says what it dropped" "0 1 1" \
		"$BG_STATUS $(grep -c -- "--json-out: $((N - w_json)) events dropped" "$T/serve6.err") $(grep -c -- "-w/--syslog: $((N - w_pcap)) events dropped" "$T/serve6.err")"
}

# -C and -W bound the files: a ring of 3 files of about 1 KiB, JSON and pcap.
t_rotation() {
	local sp
	rm -f "$T"/rot.json* "$T"/rot.pcap*
	bg_start sp nsx "$SRV" "$R" serve --listen "$(port)" --pin-path "$P" --run-dir "$RUN" \
		--json-out "$T/rot.json" -w "$T/rot.pcap" -C 1k -W 3 2>"$T/serve4.err"
	wait_for 10 test -S "$SOCK"
	refuse_n 40
	sleep 1
	bg_stop "$sp"
	local n big
	n=$(ls "$T"/rot.json* | wc -l)
	big=$(find "$T" -name 'rot.json*' -size +2k | wc -l)
	assert_eq "rotation: 3 files rot.json0..2, none over 1 KiB + a line" "3 0 rot.json0 rot.json1 rot.json2" \
		"$n $big $(cd "$T" && ls rot.json* | xargs)"
	# 40 frames of 54 bytes + 16 of record header: 2800 bytes, 3 files of 1 KiB.
	local pkts=0 f
	for f in "$T"/rot.pcap*; do
		pkts=$((pkts + $(tcpdump -nn -r "$f" 2>/dev/null | grep -c 'Flags \[R\.\]')))
	done
	assert_eq "pcap ring: rot.pcap0..2, none over 1 KiB + a record, readable RST-ACKs" \
		"3 0 yes" \
		"$(ls "$T"/rot.pcap* | wc -l) $(find "$T" -name 'rot.pcap*' -size +2k | wc -l) $([ "$pkts" -gt 0 ] && echo yes || echo no)"
}

# detach --all and attach again under a running serve: it consumes the new ring.
t_follow() {
	local sp
	rm -f "$T"/fol.json*
	bg_start sp nsx "$SRV" "$R" serve --listen "$(port)" --pin-path "$P" --run-dir "$RUN" \
		--json-out "$T/fol.json" 2>"$T/serve5.err"
	wait_for 10 test -S "$SOCK"
	nsx "$SRV" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
	nsx "$SRV" "$R" attach -i "$IF" --ring-size 4096 --pin-path "$P" >/dev/null 2>&1
	wait_for 10 grep -q "made anew" "$T/serve5.err"
	wait_for 5 bash -c "[ \$(grep -c 'consuming the events of $P' '$T/serve5.err') -ge 2 ]"
	refuse_n 30
	wait_for 10 has_lines 30 "$T/fol.json"
	assert_eq "a re-made attachment: its ring consumed, 30 delivered, 0 ring full" "30 [30,0]" \
		"$(lines "$T"/fol.json*) $(stats_events)"
	bg_stop "$sp"
}

# Nothing left running: every process started here is gone.
t_nothing_left() {
	local p left=""
	for p in "${_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && left+=" $p"
	done
	assert_eq "no process left running" "" "$left"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
setup || {
	not_ok "setup"
	cat "$T/att.err"
	finish
	exit 1
}
run_test t_serve_consumes
run_test t_status
run_test t_permissions
run_test t_watch_alone
run_test t_stuck_subscriber
run_test t_sink_full
run_test t_rotation
run_test t_follow
run_test t_nothing_left
nsx "$SRV" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
finish

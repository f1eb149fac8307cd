#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-CPU event rings (bpf/rings.bpf.h, user/kernel/rings.c), forced on
# this machine with --rings per-cpu, over a veth pair in test namespaces.
# RSTs are sent through AF_PACKET from one CPU, then the other
# (rings_gen.py; veth delivers in the sender's softirq, so the XDP program
# runs on the sending CPU), and from two senders on two CPUs at once.
# watch must print every RST exactly once, byte-equal to tcpdump's lines
# for the same packets, and in time order across the rings. The same
# through a persistent attachment (attach --rings per-cpu, watch
# --attached), status showing the layout, and detach leaving no program,
# pin or ring behind; an attachment without ev_rings (an older pin
# directory) is read as one ring.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)
GEN=$(dirname "$0")/rings_gen.py
FILTER='tcp[tcpflags] & tcp-rst != 0'
NCPU=$(nproc --all)

ns_pair rg || { not_ok "netns setup"; finish; exit 1; }
MAC_A=$(ip -n "$NS_A" -j link show "$VETH_A" | jq -r ".[0].address")

if [ "$NCPU" -lt 2 ]; then
	ok "# SKIP per-CPU rings need two CPUs ($NCPU)"
	finish
	exit 0
fi

start_tcpdump() {
	bg_start TD_PID nsx "$NS_A" tcpdump -i "$VETH_A" -nn -S -t -l -U "$FILTER" \
		>"$1" 2>"$1.err"
	wait_for 5 grep -q 'listening on' "$1.err"
}

stop_tcpdump() {
	bg_stop "$TD_PID" INT
	sed -i '/^$/d' "$1"
}

# has_lines N FILE: FILE has N lines or more (re-read at every poll of wait_for).
has_lines() { [ "$(grep -c . "$2")" -ge "$1" ]; }

# gen SPORT SEQ0 ROUNDS PER CPUS: from NS_B to A's address, round r on CPUS[r % n].
gen() {
	nsx "$NS_B" timeout 30 python3 "$GEN" "$VETH_B" "$MAC_A" "$IP4_B" "$IP4_A" "$@"
}

# attached_seqs NAME PIN N GEN-ARGS...: `watch --attached -tt` of PIN while gen
# sends, until it printed N lines; the seqs it printed, in order, into SEQS.
attached_seqs() {
	local name=$1 pin=$2 n=$3
	shift 3
	SEQS=
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch --attached -tt --pin-path "$pin" \
		>"$T/$name.txt" 2>"$T/$name.err"
	wait_for 10 grep -q "reading the events" "$T/$name.err" || return 1
	gen "$@"
	wait_for 10 has_lines "$n" "$T/$name.txt"
	bg_stop "$W_PID" INT
	SEQS=$(sed 's/.* seq \([0-9]*\),.*/\1/' "$T/$name.txt" | tr '\n' ' ')
}

# The RSTs of both phases: 8 rounds of 25 alternating CPUs 0 and 1 (sport
# 40000, seq 1000..1199, one process), then two senders at once, one per
# CPU (sports 40001, 40002), 4 rounds of 50 each: 600 RSTs.
send_all() {
	local p1 p2
	gen 40000 1000 8 25 0,1
	bg_start p1 nsx "$NS_B" timeout 30 python3 "$GEN" "$VETH_B" "$MAC_A" "$IP4_B" "$IP4_A" \
		40001 5000 4 50 0
	bg_start p2 nsx "$NS_B" timeout 30 python3 "$GEN" "$VETH_B" "$MAC_A" "$IP4_B" "$IP4_A" \
		40002 9000 4 50 1
	wait "$p1" "$p2"
}

# check_lines NAME WATCH_OUT TD_OUT N: watch -tt lines against tcpdump -t's
# (without the "IFACE In " that watch --attached prints, as tcpdump -i any).
check_lines() {
	local name=$1 w=$2 td=$3 n=$4
	cut -d' ' -f2- "$w" | sed -E 's/^[^ ]+ (In|Out) +//' | sort >"$w.sorted"
	sort "$td" >"$td.sorted"
	assert_eq "$name: $n RSTs printed, each exactly once" "$n $n" \
		"$(grep -c . "$w") $(sort -u "$w.sorted" | grep -c .)"
	assert_files_equal "$name: the lines byte-equal to tcpdump -nn -S -t's" "$td.sorted" "$w.sorted"
	# Wall-clock stamps (epoch seconds), within a minute of now.
	assert_eq "$name: -tt stamps are wall time" "now" \
		"$(awk -v now="$(date +%s)" 'NR == 1 { d = now - $1; print (d > -2 && d < 60) ? "now" : $1 }' "$w")"
	# Time order across the rings: the -tt stamps never go back...
	assert_eq "$name: in time order (stamps non-decreasing)" "ordered" \
		"$(awk 'NR > 1 && $1 < last { bad = 1 } { last = $1 } END { print bad ? "not ordered" : "ordered" }' "$w")"
	# ...and the alternating rounds come out in the order they were sent.
	assert_eq "$name: the rounds sent from CPU 0, 1, 0, ... in the order sent" \
		"$(seq 1000 1199 | tr '\n' ' ')" \
		"$(grep "\.40000 > " "$w" | sed 's/.* seq \([0-9]*\),.*/\1/' | tr '\n' ' ')"
}

t_watch_percpu() {
	start_tcpdump "$T/td1.txt" || { not_ok "tcpdump started"; return; }
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" -tt --rate-limit 0 \
		--rings per-cpu -d >"$T/w1.txt" 2>"$T/w1.err"
	wait_for 10 grep -q watching "$T/w1.err" || { not_ok "watch attached"; return; }
	assert_eq "watch --rings per-cpu: one ring per possible CPU, the 4 MiB split" 1 \
		"$(grep -c "events: $NCPU per-CPU rings of $((4194304 / NCPU)) bytes" "$T/w1.err")"
	send_all
	wait_for 10 has_lines 600 "$T/w1.txt"
	sleep 0.3
	bg_stop "$W_PID" INT
	assert_eq "watch exits 0 on SIGINT" 0 "$BG_STATUS"
	stop_tcpdump "$T/td1.txt"
	check_lines "watch --rings per-cpu" "$T/w1.txt" "$T/td1.txt" 600
	assert_eq "kernel counted 600 RSTs, 600 events delivered, 0 ring full" "600 600 0" \
		"$(sed -n "s/^\([0-9]*\) RSTs counted by the kernel.*/\1/p" "$T/w1.err" | head -1) $(sed -n 's/^\([0-9]*\) events delivered; .*, \([0-9]*\) ring full.*/\1 \2/p' "$T/w1.err" | head -1)"
	assert_settles "no programs left after SIGINT" "" bpf_progs_in "$NS_A"
}

# inner_ids PIN: the ids of the rings in PIN/maps/ev_rings.
inner_ids() {
	# bpftool 7.1 shows the id as the value's 4 bytes, little endian.
	bpftool map dump pinned "$1/maps/ev_rings" -j 2>/dev/null |
		jq -r '.[] | .value | map(ltrimstr("0x")) | reverse | join("")' |
		while read -r hex; do printf '%d ' "0x$hex"; done | sed 's/ $//'
}

# maps_left ID...: those of the map ids still in the kernel.
maps_left() {
	local live id left=()
	live=" $(bpftool map show -j 2>/dev/null | jq -r '.[].id' | tr '\n' ' ') "
	for id in "$@"; do
		case "$live" in *" $id "*) left+=("$id") ;; esac
	done
	echo "${left[*]}"
}

t_attached_percpu() {
	local P ids
	mkpin P percpu
	rt_in att "$NS_A" attach -i "$VETH_A" --rings per-cpu --rate-limit 0 --pin-path "$P"
	assert_eq "attach --rings per-cpu: exit 0" 0 "$RC"
	rt_in st "$NS_A" status --json --pin-path "$P"
	assert_eq "status --json: the ring layout" \
		"{\"layout\":\"per-cpu\",\"count\":$NCPU,\"bytes_each\":$((4194304 / NCPU))}" \
		"$(jqf "$T/st.out" '.rings | {layout, count, bytes_each}')"
	rt_in stt "$NS_A" status --pin-path "$P"
	assert_eq "status: the ring layout in words" 1 \
		"$(grep -c "^  event rings: per-cpu, $NCPU x $((4194304 / NCPU)) bytes = 4.0 MiB" "$T/stt.out")"
	ids=$(inner_ids "$P")
	assert_eq "ev_rings holds one ring per CPU" "$NCPU" "$(wc -w <<<"$ids")"
	start_tcpdump "$T/td2.txt" || { not_ok "tcpdump started"; return; }
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch --attached -tt --pin-path "$P" \
		>"$T/w2.txt" 2>"$T/w2.err"
	wait_for 10 grep -q "reading the events" "$T/w2.err" || { not_ok "watch --attached"; return; }
	send_all
	wait_for 10 has_lines 600 "$T/w2.txt"
	sleep 0.3
	bg_stop "$W_PID" INT
	stop_tcpdump "$T/td2.txt"
	check_lines "watch --attached, per-CPU rings" "$T/w2.txt" "$T/td2.txt" 600
	# serve consumes the CPUs' rings, a watch --attached subscribes: both in order.
	local sp L="127.0.0.1:$((20000 + $$ % 20000))" want
	bg_start sp nsx "$NS_A" "$RSTTRACE" serve --listen "$L" --pin-path "$P" \
		--json-out "$T/serve.json" 2>"$T/serve.err"
	wait_for 10 grep -q "consuming the events of $P" "$T/serve.err" ||
		{ not_ok "serve consumes"; sed 's/^/# /' "$T/serve.err"; return; }
	bg_start W_PID nsx "$NS_A" "$RSTTRACE" watch --attached --json --pin-path "$P" \
		>"$T/w2s.json" 2>"$T/w2s.err"
	wait_for 10 grep -q "reading the events" "$T/w2s.err"
	gen 40000 3000 6 10 0,1
	wait_for 10 has_lines 60 "$T/serve.json"
	wait_for 10 has_lines 60 "$T/w2s.json"
	bg_stop "$W_PID" INT
	bg_stop "$sp" INT
	want=$(seq 3000 3059 | tr '\n' ' ')
	assert_eq "serve: the 60 RSTs of both CPUs' rings, in the order sent" "$want" \
		"$(jq -r .seq "$T"/serve.json* | tr '\n' ' ')"
	assert_eq "watch --attached beside serve: the same 60, in order" "$want" \
		"$(jq -r .seq "$T/w2s.json" | tr '\n' ' ')"
	rt_in det "$NS_A" detach --all --pin-path "$P"
	assert_eq "detach: exit 0, the pin directory gone" "0 no" \
		"$RC $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "detach: no program left" "" bpf_progs_in "$NS_A"
	# shellcheck disable=SC2086
	assert_settles "detach: every per-CPU ring freed" "" maps_left $ids
}

# An attachment of before ev_rings: its events come from the one ring.
t_old_pin_dir() {
	local P
	mkpin P oldpin
	rt_in att3 "$NS_A" attach -i "$VETH_A" --rings one --rate-limit 0 --pin-path "$P"
	assert_eq "attach --rings one: exit 0, ev_rings empty" "0 " "$RC $(inner_ids "$P")"
	rm "$P/maps/ev_rings"
	rt_in st3 "$NS_A" status --json --pin-path "$P"
	assert_eq "status without ev_rings: one ring of 4 MiB" \
		'{"layout":"one","count":1,"bytes_each":4194304}' \
		"$(jqf "$T/st3.out" '.rings | {layout, count, bytes_each}')"
	attached_seqs w3 "$P" 40 40000 1000 4 10 0,1 || { not_ok "watch --attached"; return; }
	assert_eq "watch --attached without ev_rings: the 40 RSTs in order" \
		"$(seq 1000 1039 | tr '\n' ' ')" "$SEQS"
	rt_in det3 "$NS_A" detach --all --pin-path "$P"
	assert_eq "detach: exit 0, the pin directory gone" "0 no" \
		"$RC $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "detach: no program left" "" bpf_progs_in "$NS_A"
}

# Programs gone from the pins, links too (by hand): attach loads them again
# on the pinned maps, and they must write to the per-CPU rings the
# consumer reads, whatever --rings this attach says (a warning).
t_reload_percpu() {
	local P
	mkpin P reload
	rt_in att4 "$NS_A" attach -i "$VETH_A" --rings per-cpu --rate-limit 0 --pin-path "$P"
	rm -f "$P"/links/*/* "$P"/progs/rst_xdp "$P"/progs/rst_tc_ingress "$P"/progs/rst_tc_egress
	assert_settles "the programs went with their pins" "" bpf_progs_in "$NS_A"
	rt_in att5 "$NS_A" attach -d -i "$VETH_A" --rings one --pin-path "$P"
	assert_eq "attach again: reloaded on the maps, --rings one ignored with a warning" "0 1 1" \
		"$RC $(grep -c "reloaded the programs missing" "$T/att5.err") $(grep -c "^rsttrace: --rings one ignored: the attachment has per-CPU rings" "$T/att5.err")"
	attached_seqs w5 "$P" 20 40000 1000 4 5 0,1 || { not_ok "watch --attached"; return; }
	assert_eq "the reloaded programs write to the CPUs' rings: 20 RSTs in order" \
		"$(seq 1000 1019 | tr '\n' ' ')" "$SEQS"
	rt_in det5 "$NS_A" detach --all --pin-path "$P"
	assert_settles "detach: no program left" "" bpf_progs_in "$NS_A"
}

# A total that cannot give every CPU a page: a usage error, one line.
t_too_small() {
	rt_in small "$NS_A" watch -i "$VETH_A" --rings per-cpu --ring-size 4096
	assert_eq "--rings per-cpu --ring-size 4096: exit 2, one line" "2 1" \
		"$RC $(grep -c . "$T/small.err")"
	local least=4096
	while [ "$least" -lt $((NCPU * 4096)) ]; do least=$((least * 2)); done
	assert_eq "the line says the least size: a page per CPU, a power of two" 1 \
		"$(grep -c "give --ring-size $least or more" "$T/small.err")"
}

run_test t_watch_percpu
run_test t_attached_percpu
run_test t_old_pin_dir
run_test t_reload_percpu
run_test t_too_small
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, section 8 (or alone: OUT=build bench/causes.sh): what the
# cause counters (bpf/causes.bpf.h) and the fates (bpf/fate_trace.bpf.h) add. Two workloads between two test
# namespaces, each run with no rsttrace, then with `rsttrace watch` on the
# receiver (its tracing programs loaded and attached), CPU time of the
# workload's wall time per operation compared, and, with BENCH_CAUSES_BASE=BINARY (an rsttrace built
# before the cause counters), the same with that binary's watch; in one more run with BPF run-time statistics on
# (bench_prog hold-stats), the programs' own nanoseconds per run:
#
#   drops   N UDP datagrams to a closed port: every one a kfree_skb (reason
#           NO_SOCKET), none netfilter's: rst_kfree_skb's early return, and
#           the fates' (no RST pending on the CPU): since they are one
#           program (bpf/kfree.bpf.h) one run per drop; a BENCH_CAUSES_BASE
#           of before the merge shows its two (rst_kfree_skb, rst_fate_drop)
#           each and together
#   resets  N connects to a closed port: every one an RST sent
#           (rst_send_reset) and seen at TC egress (rst_tc_egress with
#           causes_egress)
#
# Prints one JSON object (bench/causes.json) and a table. Bounded: a
# fixed count per run, `timeout` on every command. Attaches only inside
# the namespaces it creates (the integration harness cleans up).

set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build}
case $OUT in
/*) OUT_ABS=$OUT ;;
*) OUT_ABS=$(pwd)/$OUT ;;
esac
RSTTRACE=${BENCH_RSTTRACE:-$OUT_ABS/rsttrace}
TOOLS=$OUT_ABS/tests
export RSTTRACE
DROPS=${BENCH_CAUSES_DROPS:-200000}
RESETS=${BENCH_CAUSES_RESETS:-5000}
REPS=${BENCH_REPS:-3}
RESULT=${BENCH_CAUSES_RESULT:-bench/causes.json}
BASE=${BENCH_CAUSES_BASE:-}

[ "$(id -u)" = 0 ] || { echo "bench/causes.sh: needs root" >&2; exit 1; }
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
T=$(tmpdir)
ns_pair bz || { echo "bench/causes.sh: netns setup failed" >&2; exit 1; }

# udp_flood COUNT: datagrams from NS_B to a closed UDP port of NS_A.
cat >"$T/udp.py" <<'PY'
import socket, sys
n, addr = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    try:
        s.sendto(b"x", (addr, 9))
    except OSError:
        pass
PY

# run_load KIND: the workload, its wall seconds on stdout.
run_load() {
	local t0 t1
	t0=$(date +%s.%N)
	case $1 in
	drops) nsx "$NS_B" timeout 120 python3 "$T/udp.py" "$DROPS" "$IP4_A" ;;
	resets) timeout 120 "$TOOLS/rstgen" -s "$NS_A" -c "$NS_B" refused "$IP4_A" 9 "$RESETS" \
		>/dev/null 2>&1 ;;
	esac
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# stats NAME IDS...: run_cnt and run_time_ns summed over the ids, as JSON.
stats() {
	local name=$1
	shift
	bpftool prog show -j 2>/dev/null | jq -c --arg n "$name" --argjson ids "[$(echo "$@" | tr ' ' ',')]" \
		'[.[] | select(.id as $i | $ids | index($i))] |
		 {prog: $n, run_cnt: (map(.run_cnt // 0) | add // 0), run_time_ns: (map(.run_time_ns // 0) | add // 0)} |
		 .ns_per_run = (if .run_cnt > 0 then (.run_time_ns / .run_cnt * 10 | round / 10) else null end)'
}

# watch_prog_ids NAME: the ids of the programs of that name the watch holds
# open (its fds' fdinfo: other rsttraces may run on a shared machine, and
# this bpftool has no pid lookup).
watch_prog_ids() {
	local ids
	ids=$(cat /proc/"$W_PID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -un)
	[ -z "$ids" ] && return
	bpftool prog show -j 2>/dev/null | jq -r --arg n "$1" \
		--argjson ids "[$(echo $ids | tr ' ' ',')]" \
		'.[] | select(.name == $n and (.id as $i | $ids | index($i))) | .id'
}

# start_watch [BINARY]: a watch on the receiver; the ids of its programs.
start_watch() {
	local bin=${1:-$RSTTRACE}
	bg_start W_PID nsx "$NS_A" "$bin" watch -i "$VETH_A" --rate-limit 0 \
		--json >/dev/null 2>"$T/w.err"
	wait_for 10 grep -q watching "$T/w.err" || { echo "watch did not start" >&2; return 1; }
	K_IDS=$(watch_prog_ids rst_kfree_skb)
	F_IDS=$(watch_prog_ids rst_fate_drop)
	S_IDS=$(watch_prog_ids rst_send_reset)
	E_IDS=$(watch_prog_ids rst_tc_egress)
}

: >"$T/runs.jsonl"
for rep in $(seq 1 "$REPS"); do
	for kind in drops resets; do
		w0=$(run_load "$kind")
		wb=null
		if [ -n "$BASE" ]; then
			start_watch "$BASE" || exit 1
			wb=$(run_load "$kind")
			bg_stop "$W_PID" INT
		fi
		start_watch || exit 1
		w1=$(run_load "$kind")
		bg_stop "$W_PID" INT
		echo "{\"kind\":\"$kind\",\"rep\":$rep,\"without_s\":$w0,\"base_s\":$wb,\"with_s\":$w1}" >>"$T/runs.jsonl"
	done
done

# One more run of each with the kernel timing every program run.
bg_start STATS_PID "$TOOLS/bench_prog" hold-stats 300 2>"$T/stats.err"
wait_for 10 grep -q enabled "$T/stats.err" || { echo "no BPF stats" >&2; exit 1; }
# A watch of its own for each, so that each figure is that workload's only.
start_watch || exit 1
run_load drops >/dev/null
# shellcheck disable=SC2086
K_DROPS=$(stats rst_kfree_skb $K_IDS)
# shellcheck disable=SC2086
F_DROPS=$(stats rst_fate_drop $F_IDS)
bg_stop "$W_PID" INT
start_watch || exit 1
run_load resets >/dev/null
# shellcheck disable=SC2086
K_ALL=$(stats rst_kfree_skb $K_IDS)
# shellcheck disable=SC2086
F_ALL=$(stats rst_fate_drop $F_IDS)
# shellcheck disable=SC2086
S_RES=$(stats rst_send_reset $S_IDS)
# shellcheck disable=SC2086
E_RES=$(stats rst_tc_egress $E_IDS)
bg_stop "$W_PID" INT
B_S='null' B_E='null' B_K='null' B_F='null'
if [ -n "$BASE" ]; then
	# The base's kfree_skb programs (one or two: rst_fate_drop before the merge).
	start_watch "$BASE" || exit 1
	run_load drops >/dev/null
	# shellcheck disable=SC2086
	B_K=$(stats rst_kfree_skb $K_IDS)
	# shellcheck disable=SC2086
	B_F=$(stats rst_fate_drop $F_IDS)
	bg_stop "$W_PID" INT
	start_watch "$BASE" || exit 1
	run_load resets >/dev/null
	# shellcheck disable=SC2086
	B_S=$(stats rst_send_reset $S_IDS)
	# shellcheck disable=SC2086
	B_E=$(stats rst_tc_egress $E_IDS)
	bg_stop "$W_PID" INT
fi
bg_stop "$STATS_PID" INT

jq -s --argjson kd "$K_DROPS" --argjson ka "$K_ALL" --argjson sr "$S_RES" --argjson er "$E_RES" \
	--argjson fd "$F_DROPS" --argjson fa "$F_ALL" --argjson bk "$B_K" --argjson bf "$B_F" \
	--argjson bs "$B_S" --argjson be "$B_E" \
	--argjson drops "$DROPS" --argjson resets "$RESETS" --arg kernel "$(uname -r)" \
	--argjson ncpu "$(nproc)" '
	def med: sort | .[length / 2 | floor];
	{kernel: $kernel, cpus: $ncpu, drops: $drops, resets: $resets,
	 workload: (group_by(.kind) | map({(.[0].kind): {
		without_s: (map(.without_s) | med), with_s: (map(.with_s) | med),
		base_s: (if .[0].base_s == null then null else (map(.base_s) | med) end),
		without_us_per_op: ((map(.without_s) | med) * 1e6 / (if .[0].kind == "drops" then $drops else $resets end) * 100 | round / 100),
		with_us_per_op: ((map(.with_s) | med) * 1e6 / (if .[0].kind == "drops" then $drops else $resets end) * 100 | round / 100)}}) | add),
	 bpf_stats: {kfree_skb_during_drops: $kd, kfree_skb_during_resets: $ka, send_reset: $sr,
		tc_egress_during_resets: $er, base_send_reset: $bs, base_tc_egress_during_resets: $be,
		fate_drop_during_drops: $fd, fate_drop_during_resets: $fa},
	 per_kfree_skb_ns: {rst_kfree_skb: $kd.ns_per_run, rst_fate_drop: $fd.ns_per_run,
		together: ([$kd.ns_per_run, $fd.ns_per_run] | map(. // 0) | add * 10 | round / 10),
		base_rst_kfree_skb: $bk.ns_per_run, base_rst_fate_drop: $bf.ns_per_run,
		base_together: (if $bk == null then null
			else ([$bk.ns_per_run, $bf.ns_per_run] | map(. // 0) | add * 10 | round / 10) end)}}' \
	"$T/runs.jsonl" >"$RESULT"
cat "$RESULT"

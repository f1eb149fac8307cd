#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every figure of docs/benchmarks.md, measured side by side in
# one run on this machine, written to bench/results.json, then printed as a
# table and rendered into docs/benchmarks.md by bench/report.sh.
#
#   1. per-packet cost under BPF_PROG_TEST_RUN vs an empty program (bench_prog prog)
#   2. reset flood over veth between two test namespaces (bench_flood),
#      receiver-side CPU with no capture, rsttrace watch, tcpdump
#   3. event consumer throughput per output format (bench_prog ring)
#   4. query cost of top --once and flows with 100k hosts / 1M flows
#   5. memory: map memory per entry and in total, RSS of rsttrace watch
#   6. spoofed floods (every table full)
#   7. watch -i any over 200 interfaces: attach time, RSS and BPF memory,
#      how fast an interface that comes is attached, detach time
#   8. the cause counters: kfree_skb per drop, per reset (bench/causes.sh)
#   9. rsttrace -r over a 1,000,000-packet capture against tcpdump -nn -r
#
# Needs root. Attaches only inside namespaces it creates (through the
# integration harness, whose EXIT trap kills only the processes it started,
# by PID, and deletes only its namespaces and pin directories). Bounded: a
# fixed packet count per run, `timeout` on every external command.
#
# Environment: OUT (build dir), CLANG, BPF_CFLAGS (from the Makefile),
# BENCH_REPS (default 5), BENCH_FLOOD_PKTS (default 2000000),
# BENCH_REPEAT (test_run repeat, default 1000000), BENCH_QUERY_FLOWS
# (default 1000000), BENCH_QUERY_HOSTS (default 100000), BENCH_SECTIONS
# (default "1 2 3 4 5"), BENCH_RESULTS (default bench/results.json),
# BENCH_DOC (default docs/benchmarks.md), BENCH_RSTTRACE (the binary under
# test, default $OUT/rsttrace), BENCH_FLOOD_CONFIGS (a subset of the flood's),
# BENCH_ANY_IFS (veth pairs of section 7, default 200, at most 1000).

set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-build}
REPS=${BENCH_REPS:-5}
FLOOD_PKTS=${BENCH_FLOOD_PKTS:-2000000}
REPEAT=${BENCH_REPEAT:-1000000}
Q_FLOWS=${BENCH_QUERY_FLOWS:-1000000}
Q_HOSTS=${BENCH_QUERY_HOSTS:-100000}
RESULTS=${BENCH_RESULTS:-bench/results.json}
SECTIONS=${BENCH_SECTIONS:-1 2 3 4 5 6 7 8 9} # a subset, while working on one of them
ANY_IFS=${BENCH_ANY_IFS:-200}
[ "$ANY_IFS" -ge 1 ] && [ "$ANY_IFS" -le 1000 ] 2>/dev/null || ANY_IFS=200
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
case $OUT in
/*) OUT_ABS=$OUT ;;
*) OUT_ABS=$(pwd)/$OUT ;;
esac
TOOLS=$OUT_ABS/tests
RSTTRACE=${BENCH_RSTTRACE:-$OUT_ABS/rsttrace}
export RSTTRACE

if [ "$(id -u)" != 0 ]; then
	echo "make bench: needs root (BPF_PROG_TEST_RUN, network namespaces)" >&2
	exit 1
fi
for t in "$RSTTRACE" "$TOOLS/bench_prog" "$TOOLS/bench_flood" "$TOOLS/bench_maps"; do
	[ -x "$t" ] || { echo "make bench: $t missing (run through make bench)" >&2; exit 1; }
done

# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
T=$(tmpdir)
BENCH_T0=$(date +%s)

log() { printf '# [%3ds] %s\n' $(($(date +%s) - BENCH_T0)) "$*" >&2; }

# The empty reference programs, built with the project's own BPF flags.
CLANG=${CLANG:-clang}
BPF_CFLAGS=${BPF_CFLAGS:-"-g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Wextra -Werror -Wno-unused-function -I$OUT -Iinclude -Ibpf -I/usr/include/$(uname -m)-linux-gnu"}
mkdir -p "$OUT_ABS/bench"
# shellcheck disable=SC2086
$CLANG $BPF_CFLAGS -c bench/empty.bpf.c -o "$OUT_ABS/bench/empty.bpf.o" ||
	{ echo "make bench: building bench/empty.bpf.c failed" >&2; exit 1; }

NCPU=$(nproc)
# Test runs on the last CPU; the flood sender on CPU 0, consumers on the last.
CPU_RUN=$((NCPU - 1))
CPU_SEND=0
CPU_CAP=$((NCPU - 1))

# ---------------------------------------------------------------- env
log "environment"
jq -n --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	--arg kernel "$(uname -r)" --arg arch "$(uname -m)" \
	--arg clang "$($CLANG --version | head -1)" \
	--arg libbpf "$(pkg-config --modversion libbpf 2>/dev/null || echo unknown)" \
	--arg tcpdump "$(tcpdump --version 2>&1 | head -1)" \
	--arg version "$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson ncpu "$NCPU" \
	--arg virt "$(systemd-detect-virt 2>/dev/null || echo unknown)" \
	--argjson mem_kb "$(awk '/MemTotal/{print $2}' /proc/meminfo)" \
	'{cpu_model:$cpu, cpus:$ncpu, kernel:$kernel, arch:$arch, clang:$clang,
	  libbpf:$libbpf, tcpdump:$tcpdump, rsttrace:$version, date:$date,
	  virtualization:$virt, mem_kb:$mem_kb}' >"$T/env.json"

# rsttrace feature probes: each missing one is reported, not guessed at.
watch_help=$("$RSTTRACE" watch --help 2>&1)
main_help=$("$RSTTRACE" --help 2>&1)
has_watch_w=0
has_json=0
has_query=0
grep -qE '(^|[[:space:]])-w[[:space:],]' <<<"$watch_help" && has_watch_w=1
grep -q -- '--json' <<<"$watch_help" && has_json=1
if grep -qE '^[[:space:]]+top' <<<"$main_help" && grep -qE '^[[:space:]]+flows' <<<"$main_help" &&
	grep -qE '^[[:space:]]+attach' <<<"$main_help" &&
	"$RSTTRACE" top --help 2>&1 | grep -q -- '--once' &&
	"$RSTTRACE" top --help 2>&1 | grep -q -- '--pin-path' &&
	"$RSTTRACE" attach --help 2>&1 | grep -q -- '--pin-path'; then
	has_query=1
fi
jq -n --argjson w "$has_watch_w" --argjson j "$has_json" --argjson q "$has_query" \
	'{watch_pcap:($w==1), watch_json:($j==1), top_flows_pinned:($q==1)}' >"$T/features.json"

# ---------------------------------------------------------------- 1. per packet
echo '{}' >"$T/prog.json"
want 1 && log "1. per-packet cost: BPF_PROG_TEST_RUN x $REPEAT, $REPS reps, CPU $CPU_RUN"
if want 1 && ! timeout 300 "$TOOLS/bench_prog" -r "$REPEAT" -n "$REPS" -c "$CPU_RUN" \
	-e "$OUT_ABS/bench/empty.bpf.o" prog >"$T/prog.json" 2>"$T/prog.err"; then
	cat "$T/prog.err" >&2
	echo '{"error":"bench_prog prog failed"}' >"$T/prog.json"
fi

# ---------------------------------------------------------------- 3. consumer
echo '{}' >"$T/ring.json"
want 3 && log "3. consumer throughput"
if want 3 && ! timeout 120 "$TOOLS/bench_prog" -n "$REPS" -c "$CPU_RUN" ring >"$T/ring.json" \
	2>"$T/ring.err"; then
	cat "$T/ring.err" >&2
	echo '{"error":"bench_prog ring failed"}' >"$T/ring.json"
fi

# ---------------------------------------------------------------- 5. memory
echo '{}' >"$T/mem.json"
if want 5; then
	log "5. map memory"
	timeout 60 "$TOOLS/bench_maps" mem >"$T/mem.json" 2>"$T/mem.err" ||
		echo '{"error":"bench_maps mem failed"}' >"$T/mem.json"
fi

# ---------------------------------------------------------------- 2. flood
# A pair of test hosts without IPv6 (no ND, MLD or RS), so that the only
# frames crossing the veth are the generator's and counts can be exact.
bench_pair() {
	ns_pair flood || return 1
	local ns
	for ns in "$NS_A" "$NS_B"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	sleep 0.2
}

# CPU time (ns) of every thread of a process, exact: the scheduler's sum_exec_runtime.
proc_cpu_ns() {
	local pid=$1 s=0 f v
	for f in /proc/"$pid"/task/*/schedstat; do
		read -r v _ <"$f" 2>/dev/null && s=$((s + v))
	done
	echo "$s"
}

KSOFTIRQD=$(ps -eo pid=,comm= | awk '$2 ~ /^ksoftirqd\// {print $1}')
ksoftirqd_ns() {
	local s=0 p v
	for p in $KSOFTIRQD; do
		read -r v _ </proc/"$p"/schedstat 2>/dev/null && s=$((s + v))
	done
	echo "$s"
}

# Busy CPU over all CPUs from /proc/stat, in USER_HZ ticks: all but idle and iowait.
sys_busy_ticks() {
	awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

veth_rx() { # packets and drops received by VETH_B
	ip -n "$NS_B" -s -j link show dev "$VETH_B" |
		jq -r '.[0].stats64.rx | "\(.packets) \(.dropped)"'
}

# Wait until a process's CPU time stops moving (< 2 ms in 200 ms), at most 5 s.
settle() {
	local pid=$1 min=$2 a b i
	sleep "$min"
	a=$(proc_cpu_ns "$pid")
	for i in $(seq 1 25); do
		sleep 0.2
		b=$(proc_cpu_ns "$pid")
		[ $((b - a)) -lt 2000000 ] && return 0
		a=$b
	done
}

FLOOD_MAC=02:00:00:be:4c:99 # nobody's: "other host" frames on the receiver
TCPDUMP_FILTER='tcp[tcpflags] & tcp-rst != 0'
# What a flood is (section 2: 10 % RSTs from 10,000 sources; section 6 sets others).
KIND=mix10
GEN_ARGS="-s 10000 -r 10"

# flood_once CONFIG REP: one bounded flood with one capture config; a JSON line.
flood_once() {
	local cfg=$1 rep=$2 ready=1 progs=null min=0.3 f="$T/flood.$1.$2"
	local b_ticks0 b_ticks1 k0 k1 c0=0 c1=0 rx0 rx1 gen rss="null" counters="null"
	CAP_PID=""
	: >"$f.err"
	case $cfg in
	none) ;;
	rsttrace_xdp | rsttrace_tc | rsttrace_pcap)
		local args=(-i "$VETH_B")
		[ "$cfg" = rsttrace_tc ] && args+=(--hook tc)
		[ "$cfg" = rsttrace_pcap ] && args+=(-w "$f.pcap")
		bg_start CAP_PID nsx "$NS_B" taskset -c "$CPU_CAP" "$RSTTRACE" watch "${args[@]}" \
			>/dev/null 2>"$f.err"
		wait_for 15 grep -q 'watching' "$f.err" || ready=0
		;;
	rsttrace_count)
		# Counting only: persistent attach (TC), events off, no consumer.
		nsx "$NS_B" timeout 60 "$RSTTRACE" attach -i "$VETH_B" --hook tc --pin-path "$PIN_COUNT" \
			>"$f.err" 2>&1 &&
			timeout 30 "$RSTTRACE" set --events off --pin-path "$PIN_COUNT" >>"$f.err" 2>&1 ||
			ready=0
		;;
	empty_xdp)
		bg_start CAP_PID nsx "$NS_B" taskset -c "$CPU_CAP" "$TOOLS/bench_prog" \
			-e "$OUT_ABS/bench/empty.bpf.o" hold-xdp "$VETH_B" 600 >/dev/null 2>"$f.err"
		wait_for 15 grep -q 'attached' "$f.err" || ready=0
		;;
	tcpdump)
		bg_start CAP_PID nsx "$NS_B" taskset -c "$CPU_CAP" tcpdump -nn -i "$VETH_B" \
			-w "$f.pcap" "$TCPDUMP_FILTER" >/dev/null 2>"$f.err"
		wait_for 15 grep -q 'listening on' "$f.err" || ready=0
		# Packets can wait in an unfilled TPACKET_V3 block for its 1 s timeout.
		min=1.5
		;;
	esac
	if [ "$ready" = 0 ]; then
		log "flood $cfg: capture did not start: $(head -3 "$f.err" | tr '\n' ' ')"
		[ -n "$CAP_PID" ] && bg_stop "$CAP_PID" KILL
		[ "$cfg" = rsttrace_count ] &&
			nsx "$NS_B" timeout 30 "$RSTTRACE" detach --all --pin-path "$PIN_COUNT" >/dev/null 2>&1
		jq -nc --arg c "$cfg" --argjson r "$rep" '{config:$c, rep:$r, error:"capture did not start"}'
		return
	fi
	read -r rx0 _ < <(veth_rx)
	b_ticks0=$(sys_busy_ticks)
	k0=$(ksoftirqd_ns)
	[ -n "$CAP_PID" ] && c0=$(proc_cpu_ns "$CAP_PID")
	# shellcheck disable=SC2086
	gen=$(nsx "$NS_A" timeout 120 taskset -c "$CPU_SEND" "$TOOLS/bench_flood" -i "$VETH_A" \
		-d "$FLOOD_MAC" -n "$FLOOD_PKTS" $GEN_ARGS -t 90 2>"$f.gen.err")
	[ -n "$gen" ] || gen='{"error":"generator failed"}'
	[ -n "$CAP_PID" ] && settle "$CAP_PID" "$min"
	[ -n "$CAP_PID" ] && c1=$(proc_cpu_ns "$CAP_PID")
	k1=$(ksoftirqd_ns)
	b_ticks1=$(sys_busy_ticks)
	read -r rx1 _ < <(veth_rx)
	progs=null
	if [ -n "$CAP_PID" ] && [ "${STATS:-0}" = 1 ]; then
		progs=$("$TOOLS/bench_maps" progs "$CAP_PID" 2>/dev/null) || progs=null
		[ -n "$progs" ] || progs=null
	fi
	if [ -n "$CAP_PID" ]; then
		case $cfg in
		rsttrace*)
			counters=$("$TOOLS/bench_maps" counters "$CAP_PID" 2>/dev/null) || counters=null
			[ -n "$counters" ] || counters=null
			rss=$(awk '/^VmHWM|^VmRSS/ {sub(":", "", $1); printf "%s\"%s\":%d", n++ ? "," : "{", $1, $2}
				END {print "}"}' /proc/"$CAP_PID"/status)
			;;
		esac
		bg_stop "$CAP_PID" INT
	fi
	if [ "$cfg" = rsttrace_count ]; then
		counters=$("$TOOLS/bench_maps" counters "$PIN_COUNT" 2>/dev/null) || counters=null
		[ -n "$counters" ] || counters=null
		if [ "${STATS:-0}" = 1 ]; then
			progs=$(bpftool prog show pinned "$PIN_COUNT/progs/rst_tc_ingress" -j 2>/dev/null |
				jq -c '{progs: [{name, id, run_time_ns: (.run_time_ns // 0),
					run_cnt: (.run_cnt // 0)}]}') || progs=null
			[ -n "$progs" ] || progs=null
		fi
		nsx "$NS_B" timeout 30 "$RSTTRACE" detach --all --pin-path "$PIN_COUNT" >/dev/null 2>&1
	fi
	local ifidx
	ifidx=$(ip -n "$NS_B" -j link show dev "$VETH_B" | jq '.[0].ifindex')
	jq -nc --arg c "$cfg" --argjson r "$rep" --argjson gen "$gen" --arg kind "$KIND" \
		--argjson cap_ns $((c1 - c0)) --argjson ksoft_ns $((k1 - k0)) \
		--argjson busy_ticks $((b_ticks1 - b_ticks0)) --argjson hz "$(getconf CLK_TCK)" \
		--argjson rx $((rx1 - rx0)) --argjson counters "$counters" --argjson rss "$rss" \
		--argjson ifindex "$ifidx" --rawfile err "$f.err" --argjson progs "$progs" \
		--arg pcap_bytes "$( [ -f "$f.pcap" ] && stat -c %s "$f.pcap" || echo 0)" \
		'{config:$c, rep:$r, kind:$kind, gen:$gen, capture_cpu_ns:$cap_ns, ksoftirqd_cpu_ns:$ksoft_ns,
		  busy_ticks:$busy_ticks, user_hz:$hz, veth_rx_packets:$rx, ifindex:$ifindex,
		  counters:$counters, rss_kb:$rss, pcap_bytes:($pcap_bytes|tonumber), stderr:$err,
		  bpf_stats:$progs}'
	rm -f "$f.pcap"
}

: >"$T/flood.jsonl"
if ! want 2; then
	:
elif bench_pair; then
	# pin_dir registers the directory for the EXIT trap: not in a subshell.
	pin_dir count >/dev/null
	PIN_COUNT=${_PINS[-1]}
	configs=(none empty_xdp rsttrace_xdp rsttrace_tc tcpdump)
	[ "$has_watch_w" = 1 ] && configs+=(rsttrace_pcap)
	[ "$has_query" = 1 ] && configs+=(rsttrace_count)
	# shellcheck disable=SC2206
	[ -n "${BENCH_FLOOD_CONFIGS:-}" ] && configs=($BENCH_FLOOD_CONFIGS)
	log "2. reset flood: $FLOOD_PKTS packets x ${#configs[@]} configs x $REPS reps"
	for rep in $(seq 1 "$REPS"); do
		# Rotate the order, so that drift on a shared machine spreads over all.
		n=${#configs[@]}
		for i in $(seq 0 $((n - 1))); do
			cfg=${configs[$(((i + rep) % n))]}
			flood_once "$cfg" "$rep" >>"$T/flood.jsonl"
		done
		log "   rep $rep done"
	done
	# One more run of each program config with BPF run-time statistics on:
	# the kernel times every program run, which gives rsttrace's in-kernel
	# cost per packet free of the sender's noise. Kept out of the CPU
	# figures above (the statistics add two clock reads to every run).
	log "   BPF run-time statistics runs"
	bg_start STATS_PID "$TOOLS/bench_prog" hold-stats 300 2>"$T/stats.err"
	if wait_for 10 grep -q enabled "$T/stats.err"; then
		STATS=1
		for cfg in "${configs[@]}"; do
			case $cfg in
			empty_xdp | rsttrace_xdp | rsttrace_tc | rsttrace_count)
				flood_once "$cfg" 0 >>"$T/flood.jsonl" ;;
			esac
		done
		STATS=0
	fi
	bg_stop "$STATS_PID" INT
	ns_del "$NS_A"
	ns_del "$NS_B"
else
	log "2. reset flood: could not create the test namespaces"
fi

# ---------------------------------------------------------------- 6. spoofed floods
# Floods that fill every table: 100 % spoofed RSTs and a spoofed SYN flood,
# every frame from a new source (SPOOF_PKTS frames, as many sources), each
# paired in every repetition with no capture and with tcpdump running the
# matching filter. TC ingress is the representative hook (native XDP on a
# veth copies every frame); rsttrace_tc is `watch --hook tc` with its
# consumer, rsttrace_count counting only. Then the in-kernel cost (BPF
# run-time statistics) of counting against the number of distinct sources.
SPOOF_PKTS=${BENCH_SPOOF_PKTS:-1000000}
: >"$T/spoof.jsonl"
: >"$T/twocpu.jsonl"

# prog_runs PIN: "run_cnt run_time_ns" of the pinned TC ingress program.
prog_runs() {
	bpftool prog show pinned "$1/progs/rst_tc_ingress" -j 2>/dev/null |
		jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}

# two_cpu_once SENDERS REP [RINGS]: SENDERS spoofed-RST senders at once,
# sender i on CPU i, each SPOOF_PKTS frames, into an attachment with
# --rings RINGS (one: the shared ring, default; per-cpu: a ring per CPU);
# a JSON line with the program's ns/run.
two_cpu_once() {
	# GEN_PID: not "pid", which bg_start's own local would shadow.
	local n=$1 rep=$2 rings=${3:-one} i cnt0 t0 cnt1 t1 pids=() GEN_PID="" counters ok=1
	nsx "$NS_B" timeout 60 "$RSTTRACE" attach -i "$VETH_B" --hook tc --rings "$rings" \
		--pin-path "$PIN_COUNT" >"$T/two.err" 2>&1 || ok=0
	read -r cnt0 t0 < <(prog_runs "$PIN_COUNT")
	for i in $(seq 0 $((n - 1))); do
		bg_start GEN_PID nsx "$NS_A" timeout 120 taskset -c "$i" "$TOOLS/bench_flood" -i "$VETH_A" \
			-d "$FLOOD_MAC" -n "$SPOOF_PKTS" -s "$SPOOF_PKTS" -r 1 -f rst -t 90 \
			>"$T/two.gen.$i" 2>&1
		pids+=("$GEN_PID")
	done
	for GEN_PID in "${pids[@]}"; do wait "$GEN_PID"; done
	read -r cnt1 t1 < <(prog_runs "$PIN_COUNT")
	counters=$("$TOOLS/bench_maps" counters "$PIN_COUNT" 2>/dev/null) || counters=null
	[ -n "$counters" ] || counters=null
	nsx "$NS_B" timeout 30 "$RSTTRACE" detach --all --pin-path "$PIN_COUNT" >/dev/null 2>&1
	jq -nc --argjson n "$n" --argjson r "$rep" --argjson ok "$ok" --arg rings "$rings" \
		--argjson runs $((${cnt1:-0} - ${cnt0:-0})) --argjson ns $((${t1:-0} - ${t0:-0})) \
		--argjson sent $((n * SPOOF_PKTS)) --argjson counters "$counters" \
		'{senders:$n, rings:$rings, rep:$r, attached:($ok == 1), sent:$sent, runs:$runs, run_time_ns:$ns,
		  ns_per_run:(if $runs > 0 then $ns / $runs else null end),
		  counted_rsts:(if $counters == null then null else $counters.totals.rst + $counters.totals.rstack end),
		  conservation_ok:(if $counters == null then null else $counters.conservation.ok end)}'
}
if ! want 6; then
	:
elif bench_pair; then
	pin_dir spoof >/dev/null
	PIN_COUNT=${_PINS[-1]}
	FLOOD_PKTS_SAVED=$FLOOD_PKTS
	FLOOD_PKTS=$SPOOF_PKTS
	for KIND in rst100 syn100; do
		case $KIND in
		rst100)
			GEN_ARGS="-s $SPOOF_PKTS -r 1 -f rst"
			TCPDUMP_FILTER='tcp[tcpflags] & tcp-rst != 0'
			;;
		syn100)
			GEN_ARGS="-s $SPOOF_PKTS -r 1 -f syn"
			TCPDUMP_FILTER='tcp[tcpflags] & tcp-syn != 0'
			;;
		esac
		configs=(none rsttrace_tc rsttrace_count tcpdump)
		log "6. spoofed flood $KIND: $SPOOF_PKTS packets x ${#configs[@]} configs x $REPS reps"
		for rep in $(seq 1 "$REPS"); do
			n=${#configs[@]}
			for i in $(seq 0 $((n - 1))); do
				flood_once "${configs[$(((i + rep) % n))]}" "$rep" >>"$T/spoof.jsonl"
			done
		done
		bg_start STATS_PID "$TOOLS/bench_prog" hold-stats 300 2>"$T/stats.err"
		if wait_for 10 grep -q enabled "$T/stats.err"; then
			STATS=1
			flood_once rsttrace_tc 0 >>"$T/spoof.jsonl"
			flood_once rsttrace_count 0 >>"$T/spoof.jsonl"
			STATS=0
		fi
		bg_stop "$STATS_PID" INT
	done
	# Cost against distinct sources: counting only, 100 % RSTs, BPF stats.
	bg_start STATS_PID "$TOOLS/bench_prog" hold-stats 300 2>"$T/stats.err"
	if wait_for 10 grep -q enabled "$T/stats.err"; then
		STATS=1
		for src in 1 100 10000 $SPOOF_PKTS; do
			KIND="sources_$src"
			GEN_ARGS="-s $src -r 1 -f rst"
			flood_once rsttrace_count 0 >>"$T/spoof.jsonl"
		done
		STATS=0
	fi
	bg_stop "$STATS_PID" INT
	# Two receiving CPUs at once (veth delivers in the sender's softirq):
	# one sender on CPU 0, then one on each CPU, into `attach --hook tc`
	# with events on and nobody reading (the ring fills; every event
	# decision still reaches it within the budget). Per-run program time
	# by BPF statistics; no shared lock or line shows as a ratio ~1. Each
	# repetition runs the pair with the one shared ring (--rings one) and
	# with a ring per CPU (--rings per-cpu), the order alternating.
	if [ "$NCPU" -ge 2 ]; then
		bg_start STATS_PID "$TOOLS/bench_prog" hold-stats 300 2>"$T/stats.err"
		if wait_for 10 grep -q enabled "$T/stats.err"; then
			for rep in $(seq 1 "$REPS"); do
				if [ $((rep % 2)) -eq 1 ]; then
					ring_order="one per-cpu"
				else
					ring_order="per-cpu one"
				fi
				for rings in $ring_order; do
					two_cpu_once 1 "$rep" "$rings" >>"$T/twocpu.jsonl"
					two_cpu_once 2 "$rep" "$rings" >>"$T/twocpu.jsonl"
				done
			done
		fi
		bg_stop "$STATS_PID" INT
	fi
	FLOOD_PKTS=$FLOOD_PKTS_SAVED
	KIND=mix10
	GEN_ARGS="-s 10000 -r 10"
	TCPDUMP_FILTER='tcp[tcpflags] & tcp-rst != 0'
	ns_del "$NS_A"
	ns_del "$NS_B"
else
	log "6. spoofed floods: could not create the test namespaces"
fi

# ---------------------------------------------------------------- 4. query
# top_steady: a running `top --json` for about 12 refreshes. Each JSON
# object carries the time between its two samples: the requested interval,
# plus one read of the maps and whatever else the refresh did in between.
top_steady() {
	local iv=0.25 n cpu
	/usr/bin/time -f '%U %S %M' -o "$T/q.time" nsenter --net="/run/netns/$NS_B" -- \
		timeout -s INT 3.3 "$RSTTRACE" top --json --interval "$iv" --pin-path "$PIN" \
		>"$T/top.json" 2>"$T/q.err"
	cpu=$(awk 'END {printf "{\"user_s\":%s,\"sys_s\":%s,\"max_rss_kb\":%s}", $1, $2, $3}' "$T/q.time")
	jq -sc --argjson iv "$iv" --argjson cpu "$cpu" '
		def median: sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		{query: "top --json --interval \($iv) (running)", rep: 1, refreshes: length,
		 refresh_ms: (map((.interval - $iv) * 1000) | median),
		 wall_ms: (map(.interval * 1000) | median), interval_s: $iv,
		 cpu: $cpu, cpu_per_refresh_ms: (($cpu.user_s + $cpu.sys_s) * 1000 / ([length, 1] | max)),
		 rc: (if length > 0 then 0 else 1 end), lines: length}' "$T/top.json"
}

# query_once "CMD ARGS" REP: wall and CPU time of one rsttrace query; a JSON line.
query_once() {
	local q=$1 rep=$2 s e rc lines interval=0 cpu
	[[ $q =~ --interval\ ([0-9.]+) ]] && interval=${BASH_REMATCH[1]}
	s=$(date +%s%N)
	# shellcheck disable=SC2086
	/usr/bin/time -f '%U %S %M' -o "$T/q.time" nsenter --net="/run/netns/$NS_B" -- \
		timeout 120 "$RSTTRACE" $q --pin-path "$PIN" 2>"$T/q.err" | wc -l >"$T/q.lines"
	rc=${PIPESTATUS[0]}
	e=$(date +%s%N)
	read -r lines <"$T/q.lines"
	cpu=$(awk 'END {printf "{\"user_s\":%s,\"sys_s\":%s,\"max_rss_kb\":%s}", $1, $2, $3}' "$T/q.time")
	jq -nc --arg q "$q" --argjson r "$rep" --argjson ns $((e - s)) --argjson iv "$interval" \
		--argjson rc "$rc" --argjson lines "$lines" --argjson cpu "$cpu" \
		'{query:$q, rep:$r, wall_ms:($ns/1e6), interval_s:$iv,
		  refresh_ms:(($ns/1e6) - $iv*1000), cpu:$cpu, rc:$rc, lines:$lines}'
}

: >"$T/query.jsonl"
echo '{}' >"$T/query_fill.json"
if ! want 4; then
	:
elif [ "$has_query" = 1 ]; then
	log "4. query cost: $Q_HOSTS hosts, $Q_FLOWS flows"
	pin_dir query >/dev/null
	PIN=${_PINS[-1]}
	if ns_pair query; then
		max_flows=1; while [ "$max_flows" -lt "$Q_FLOWS" ]; do max_flows=$((max_flows * 2)); done
		max_hosts=1; while [ "$max_hosts" -lt "$Q_HOSTS" ]; do max_hosts=$((max_hosts * 2)); done
		if nsx "$NS_B" timeout 60 "$RSTTRACE" attach -i "$VETH_B" --pin-path "$PIN" \
			--max-flows "$max_flows" --max-hosts "$max_hosts" >"$T/attach.out" 2>&1; then
			timeout 120 "$TOOLS/bench_maps" fill "$PIN" "$Q_FLOWS" "$Q_HOSTS" \
				>"$T/query_fill.json" 2>"$T/fill.err" || echo '{"error":"fill failed"}' >"$T/query_fill.json"
			# top --once samples twice, one --interval apart: the refresh cost is
			# what it takes beyond that interval (open the pins, read the maps,
			# sort, print). flows prints every flow: a million lines.
			for rep in $(seq 1 "$REPS"); do
				for q in "top --once --interval 0.1" "top --once --json --interval 0.1" \
					"flows -N 20" "flows"; do
					[ "$q" = flows ] && [ "$rep" -gt 3 ] && continue
					query_once "$q" "$rep" >>"$T/query.jsonl"
				done
			done
			top_steady >>"$T/query.jsonl"
			nsx "$NS_B" timeout 30 "$RSTTRACE" detach --all --pin-path "$PIN" >/dev/null 2>&1
		else
			log "4. attach failed: $(head -3 "$T/attach.out" | tr '\n' ' ')"
			echo '{"error":"attach failed"}' >"$T/query_fill.json"
		fi
		ns_del "$NS_A"
		ns_del "$NS_B"
	fi
else
	log "4. query cost: not measured: feature missing (top --once / flows / attach --pin-path)"
fi

# ---------------------------------------------------------------- 7. -i any
# any_run NAME ARGS...: one watch in NS_A, from its start to "watching"
# (load and attach), its RSS and the memlock of every BPF object it holds
# (/proc/PID/fdinfo: maps and programs; links have none), then SIGINT to
# its exit (detach). One JSON object on stdout.
any_run() {
	# ANYW, not a local: bg_start sets the caller's variable by name.
	local name=$1 t0 t1 t2 t3 rss hwm memlock nfd follow=null gone=null
	shift
	t0=$(date +%s%N)
	bg_start ANYW nsx "$NS_A" "$RSTTRACE" watch --rate-limit 0 "$@" >/dev/null 2>"$T/any.$name.err"
	wait_for 120 grep -q '^rsttrace: watching' "$T/any.$name.err" || {
		jq -nc --arg n "$name" '{name:$n, error:"did not attach"}'
		bg_stop "$ANYW" INT
		return
	}
	t1=$(date +%s%N)
	sleep 0.5
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ANYW/status")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ANYW/status")
	memlock=$(cat "/proc/$ANYW/fdinfo/"* 2>/dev/null | awk '/^memlock:/ { s += $2 } END { print s + 0 }')
	nfd=$(find "/proc/$ANYW/fd" -mindepth 1 2>/dev/null | wc -l)
	if [ "$name" = any ]; then
		# One more interface comes: how long until it is attached, then gone.
		t2=$(date +%s%N)
		ip link add "bq${_TAG}" netns "$NS_A" type veth peer name "br${_TAG}" netns "$NS_B"
		wait_for 10 grep -q "^rsttrace: attached to bq${_TAG} " "$T/any.$name.err" &&
			follow=$((($(date +%s%N) - t2) / 1000000))
		t2=$(date +%s%N)
		ip -n "$NS_A" link del "bq${_TAG}"
		wait_for 10 grep -q "^rsttrace: bq${_TAG} is gone" "$T/any.$name.err" &&
			gone=$((($(date +%s%N) - t2) / 1000000))
	fi
	t2=$(date +%s%N)
	bg_stop "$ANYW" INT
	t3=$(date +%s%N)
	jq -nc --arg n "$name" --argjson start_ms $(((t1 - t0) / 1000000)) \
		--argjson stop_ms $(((t3 - t2) / 1000000)) --argjson rss "${rss:-null}" \
		--argjson hwm "${hwm:-null}" --argjson memlock "${memlock:-null}" \
		--argjson fds "$nfd" --argjson follow "$follow" --argjson gone "$gone" \
		--argjson attached "$(grep -c '^rsttrace: attached to ' "$T/any.$name.err")" \
		'{name:$n, start_ms:$start_ms, stop_ms:$stop_ms, rss_kb:$rss, hwm_kb:$hwm,
		  bpf_memlock:$memlock, fds:$fds, follow_ms:$follow, gone_ms:$gone,
		  announced:$attached}'
}

: >"$T/anyif.jsonl"
if want 7; then
	log "7. watch -i any: $ANY_IFS veth pairs"
	if ns_pair anyb; then
		# The pairs in one ip -batch (bounded by ANY_IFS): ends in NS_A, peers in NS_B.
		for i in $(seq 1 "$ANY_IFS"); do
			echo "link add bx$i$_TAG netns $NS_A type veth peer name by$i$_TAG netns $NS_B"
		done >"$T/any.batch"
		timeout 120 ip -batch "$T/any.batch" >/dev/null 2>&1
		for i in $(seq 1 "$ANY_IFS"); do echo "link set bx$i$_TAG up"; done >"$T/any.up"
		timeout 60 ip -n "$NS_A" -batch "$T/any.up" >/dev/null 2>&1
		n_if=$(ip -n "$NS_A" -o link show | wc -l)
		for rep in $(seq 1 "$REPS"); do
			any_run one -i "$VETH_A" | jq -c --argjson r "$rep" '. + {rep:$r, interfaces:1}'
			any_run any -i any | jq -c --argjson r "$rep" --argjson n "$n_if" \
				'. + {rep:$r, interfaces:$n}'
		done >>"$T/anyif.jsonl"
		ns_del "$NS_A"
		ns_del "$NS_B"
	else
		log "7. -i any: could not create the test namespaces"
	fi
fi

# ---------------------------------------------------------------- 8. causes
# The cause counters' cost (bpf/causes.bpf.h): its own script and file,
# bench/causes.json, read into docs/benchmarks.md by hand (section 8).
if want 8; then
	log "8. cause counters: kfree_skb per drop, per reset"
	OUT=$OUT timeout 900 bench/causes.sh >/dev/null 2>"$T/causes.err" ||
		log "   8 failed: $(tail -1 "$T/causes.err")"
fi

# ---------------------------------------------------------------- 9. -r FILE
# A synthetic capture (tests/tools/pcapgen: 10,000 flows, 10 % RSTs) read
# by rsttrace -r (every packet through the XDP program with test_run, the
# events printed, the tables) and by tcpdump -nn -r with the RST filter,
# both to /dev/null, alternating, in the same run.
echo '{}' >"$T/offline.json"
if want 9 && [ -x "$TOOLS/pcapgen" ]; then
	OFF_PKTS=${BENCH_OFFLINE_PKTS:-1000000}
	log "9. -r FILE: $OFF_PKTS packets, $REPS reps"
	: >"$T/offline.jsonl"
	if timeout 120 "$TOOLS/pcapgen" "$OFF_PKTS" 10000 "$T/offline.pcap"; then
		# time_ns CMD...: wall ns of one run, stdout and stderr to /dev/null.
		time_ns() {
			local s e
			s=$(date +%s%N)
			timeout 300 "$@" >/dev/null 2>&1
			e=$(date +%s%N)
			echo $((e - s))
		}
		for rep in $(seq 1 "$REPS"); do
			td=$(time_ns tcpdump -nn -r "$T/offline.pcap" 'tcp[13] & 4 != 0')
			rt=$(time_ns "$RSTTRACE" -r "$T/offline.pcap")
			jq -nc --argjson rep "$rep" --argjson td "$td" --argjson rt "$rt" \
				'{rep:$rep, tcpdump_ns:$td, rsttrace_ns:$rt}' >>"$T/offline.jsonl"
		done
		td_rst=$(tcpdump -nn -r "$T/offline.pcap" 'tcp[13] & 4 != 0' 2>/dev/null | grep -c .)
		timeout 300 "$RSTTRACE" -r "$T/offline.pcap" --stats-json >"$T/offline.stats" 2>/dev/null
		jq -s --argjson pkts "$OFF_PKTS" --argjson td_rst "$td_rst" \
			--slurpfile st "$T/offline.stats" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
			'def median: sort | if length == 0 then null else .[length / 2 | floor] end;
			 {date:$date, packets:$pkts, flows:10000, runs:., reps:length,
			  tcpdump_pps:($pkts * 1e9 / (map(.tcpdump_ns) | median)),
			  rsttrace_pps:($pkts * 1e9 / (map(.rsttrace_ns) | median)),
			  tcpdump_rsts:$td_rst,
			  rsttrace_rsts:($st[0].counters.rst + $st[0].counters.rstack),
			  identity:($st[0].packets | .run == .tcp4 + .tcp6 + .fragments + .malformed + .other)}
			 | .ratio = (.rsttrace_pps / .tcpdump_pps)
			 | .exact = (.tcpdump_rsts == .rsttrace_rsts and .identity)' \
			"$T/offline.jsonl" >"$T/offline.json" ||
			echo '{"error":"assembling the -r results failed"}' >"$T/offline.json"
	else
		echo '{"error":"pcapgen failed"}' >"$T/offline.json"
	fi
fi

# ---------------------------------------------------------------- results
log "writing $RESULTS"
jq -n --slurpfile env "$T/env.json" --slurpfile feat "$T/features.json" \
	--slurpfile prog "$T/prog.json" --slurpfile ring "$T/ring.json" \
	--slurpfile mem "$T/mem.json" --slurpfile flood "$T/flood.jsonl" \
	--slurpfile spoof "$T/spoof.jsonl" --argjson spoof_pkts "$SPOOF_PKTS" \
	--slurpfile twocpu "$T/twocpu.jsonl" \
	--slurpfile query "$T/query.jsonl" --slurpfile qfill "$T/query_fill.json" \
	--slurpfile anyif "$T/anyif.jsonl" \
	--slurpfile offline "$T/offline.json" \
	--argjson reps "$REPS" --argjson pkts "$FLOOD_PKTS" --argjson repeat "$REPEAT" \
	--argjson secs $(($(date +%s) - BENCH_T0)) \
	-f bench/results.jq >"$RESULTS.tmp" ||
	{ echo "make bench: assembling results failed" >&2; exit 1; }
mv "$RESULTS.tmp" "$RESULTS"

bench/report.sh "$RESULTS" "${BENCH_DOC:-docs/benchmarks.md}"

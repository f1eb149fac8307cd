#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Renders bench/results.json: a summary table on stdout, and the whole of
# docs/benchmarks.md (figures, verdicts and the method). Nothing in
# docs/benchmarks.md is edited by hand; change this script or rerun
# `make bench`. With bench/before.json present (a results.json kept from
# before an optimization), a before/after table is added.
#
#   bench/report.sh [RESULTS_JSON [MARKDOWN_OUT]]

set -eu
cd "$(dirname "$0")/.."
RES=${1:-bench/results.json}
MD=${2:-docs/benchmarks.md}
BEFORE=bench/before.json

[ -r "$RES" ] || { echo "report: $RES missing; run make bench" >&2; exit 1; }

# ---------------------------------------------------------------- stdout
# Align each block of tab-separated lines on its own; other lines as they are.
tables() {
	local line block=()
	flush() {
		[ ${#block[@]} -gt 0 ] && printf '%s\n' "${block[@]}" | column -t -s $'\t' -o '  '
		block=()
	}
	while IFS= read -r line; do
		if [[ $line == *$'\t'* ]]; then
			block+=("$line")
		else
			flush
			printf '%s\n' "$line"
		fi
	done
	flush
}

jq -r '
def f(n): if . == null then "-" else (. * pow(10; n) | round / pow(10; n) | tostring) end;
def v: if . == null then "n/a" elif . then "PASS" else "MISS" end;
"rsttrace benchmarks (\(.env.date), \(.env.cpu_model), \(.env.cpus) CPUs, \(.env.kernel))",
"",
"1. per packet, BPF_PROG_TEST_RUN x \(.per_packet.repeat // "-"), median of \(.per_packet.reps // "-")",
(["class", "hook", "empty ns", "ns", "ratio", "target", "verdict"] | @tsv),
(.per_packet.summary // [] | .[] |
	[.class, .hook, (.empty_ns | f(2)), (.ns | f(2)), (.ratio | f(2)),
	 (if .target == null then "-" else "<= \(.target)" end), (.pass | v)] | @tsv),
"",
"2. reset flood, \(.flood.packets_per_run) packets (10% RST from 10000 sources) per run; ns/pkt = CPU per packet sent",
(["config", "Mpps", "ns/pkt", "added", "own", "x tcpdump", "own x td", "events", "ring full",
  "drops", "exact", "verdict"] | @tsv),
(.flood.summary[] | [.config, (.mpps | f(3)), (.task_ns_per_pkt | f(1)),
	(.added_ns_per_pkt | f(1)), (.added_own_ns_per_pkt | f(1)),
	(.ratio_to_tcpdump | f(3)), (.ratio_own_to_tcpdump | f(3)),
	(.events_delivered // .captured | f(0)),
	(.ring_full | f(0)), (.kernel_drops | f(0)),
	(.all_exact | if . == null then "-" else tostring end), (.pass | v)] | @tsv),
(if .features.watch_pcap then empty else "rsttrace_pcap\tnot measured: feature missing (watch -w)" end),
(.flood.bpf_stats // [] | .[] | "  in-kernel (BPF stats run) \(.config): \(.bpf_ns_per_pkt | f(1)) ns/packet, \(.over_empty_xdp_ns_per_pkt | f(1)) over empty_xdp"),
"",
"6. spoofed floods, \(.spoofed.packets_per_run // "-") packets per run, every frame from a new source; ns/pkt = CPU per packet sent",
(.spoofed.kinds // [] | .[] | ("  \(.kind) (tcpdump filter: \(.filter))",
	(["config", "Mpps", "ns/pkt", "added", "x tcpdump", "events", "rate lim", "exact", "verdict"] | @tsv),
	(.summary[] | [.config, (.mpps | f(3)), (.task_ns_per_pkt | f(1)), (.added_ns_per_pkt | f(1)),
		(.ratio_to_tcpdump | f(3)), (.events_delivered // .captured | f(0)),
		(.rate_limited | f(0)), (.all_exact | if . == null then "-" else tostring end),
		(if .config | startswith("rsttrace") then
			(if .ratio_to_tcpdump == null then "n/a" elif .ratio_to_tcpdump <= .target and .all_exact
			 then "PASS" else "MISS" end) else "-" end)] | @tsv),
	(.bpf_stats[] | "  in-kernel (BPF stats run) \(.config): \(.bpf_ns_per_pkt | f(1)) ns/packet"))),
"  conservation (sum over hosts + evicted == global per direction and flag; flows + untracked == global per flag), every rsttrace run of 2 and 6: \([(.flood.runs // []), (.spoofed.runs // [])] | add | map(select(.config | startswith("rsttrace")) | .conservation_ok) | if length == 0 then "-" elif all(. == true) then "exact in all \(length)" else "NOT exact in \(map(select(. != true)) | length) of \(length)" end)",
(.two_cpus // null | select(. != null) | "  two receiving CPUs at once (TC, events on, BPF stats, --rings one): \(.alone_ns_per_run | f(1)) ns/run alone, \(.together_ns_per_run | f(1)) together, ratio \(.ratio | f(3)) (<= \(.target): \(.pass | v)), counts and conservation exact: \(.counts_exact)"),
(.two_cpus_percpu // null | select(. != null) | "  the same with --rings per-cpu (same repetitions): \(.alone_ns_per_run | f(1)) ns/run alone, \(.together_ns_per_run | f(1)) together, ratio \(.ratio | f(3)) (<= \(.target): \(.pass | v)), counts and conservation exact: \(.counts_exact)"),
"  in-kernel cost of counting (TC, events off) by distinct sources, 100 % RSTs:",
(.spoofed.by_sources // [] | .[] | "    \(.sources) sources: \(.bpf_ns_per_pkt | f(1)) ns/packet"),
"",
"3. consumer throughput (events/s, median of \(.consumer.reps // "-"))",
(.consumer.modes // [] | .[] | if .missing then "\(.mode)\t\(.missing)" else
	[.mode, (.median_events_per_s | f(0)), (.median_ratio | f(3)),
	 (if .target == null then "-" else ">= \(.target)" end), (.pass | v)] | @tsv end),
"",
"4. query cost (ms, median)",
(if .features.top_flows_pinned | not then "not measured: feature missing (top --once / flows / attach --pin-path)"
 else (["query", "wall ms", "refresh ms", "cpu ms", "lines", "target", "verdict"] | @tsv),
 (.query.summary[] | [.query, (.median_wall_ms | f(1)), (.median_refresh_ms | f(1)),
	(.median_cpu_ms | f(1)), .lines,
	(if .target_ms == null then "-" else "< \(.target_ms)" end), (.pass | v)] | @tsv) end),
"",
"5. memory",
"locked map memory at default sizes: \(.memory.memlock_total // null | if . == null then null else . / 1048576 end | f(2)) MiB (target <= 64 MiB: \(.memory.pass | v))",
(.memory.maps // [] | .[] | select(.bytes_per_entry != null) |
	"  \(.name): \(.bytes_per_entry | f(1)) bytes/entry"),
"rsttrace watch peak RSS: \(.memory.watch_rss_kb // null | if . == null then "-" else "\(. / 1024 | f(1)) MiB" end)",
"",
"7. watch -i any (ms, KiB; median)",
(["watch", "interfaces", "start ms", "rss KiB", "memlock KiB", "follow ms", "gone ms", "stop ms"] | @tsv),
(.anyif.summary // [] | .[] | [.name, .interfaces, (.start_ms | f(0)), (.rss_kb | f(0)),
	(.bpf_memlock / 1024 | f(0)), (.follow_ms | f(0)), (.gone_ms | f(0)), (.stop_ms | f(0))] | @tsv),
"",
"9. -r FILE, \(.offline.packets // "-") packets",
(if (.offline.tcpdump_pps // null) == null then "not measured" else
 "tcpdump -nn -r: \(.offline.tcpdump_pps | f(0)) pkt/s, rsttrace -r: \(.offline.rsttrace_pps | f(0)) pkt/s, ratio \(.offline.ratio | f(3)), exact: \(.offline.exact)" end)
' "$RES" | tables

# ---------------------------------------------------------------- markdown
before_json=null
[ -r "$BEFORE" ] && before_json=$(cat "$BEFORE")

notes=/dev/null
[ -r bench/OPTIMIZATIONS.md ] && notes=bench/OPTIMIZATIONS.md
jq -r --argjson before "$before_json" --rawfile notes "$notes" -f bench/report.jq "$RES" >"$MD.tmp"
mv "$MD.tmp" "$MD"
echo "wrote $MD"

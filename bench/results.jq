# SPDX-License-Identifier: GPL-2.0
#
# Assembles bench/results.json from the raw outputs of bench/run.sh (passed
# with --slurpfile / --argjson) and derives every summary figure: medians
# over the repetitions, ratios, and target verdicts. Raw per-repetition
# values are kept next to each summary so that anyone can recompute them.

def median: map(select(. != null)) | sort |
	if length == 0 then null
	elif length % 2 == 1 then .[(length - 1) / 2]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r(n): if . == null then null else (. * pow(10; n) | round) / pow(10; n) end;
def num(re): (capture(re) // {n: null}).n | if . == null then null else tonumber end;

# The two-CPU runs of one ring layout: one sender alone against two at once.
def two_cpu_summary:
	. as $runs
	| ($runs | map(select(.senders == 1)) | map(.ns_per_run) | median) as $one
	| ($runs | map(select(.senders == 2)) | map(.ns_per_run) | median) as $two
	| {runs: $runs, alone_ns_per_run: ($one | r(1)), together_ns_per_run: ($two | r(1)),
	   ratio: (if $one == null or $two == null or $one == 0 then null else $two / $one | r(3) end),
	   target: 1.3,
	   counts_exact: ($runs | all(.counted_rsts == .sent and .conservation_ok == true)),
	   pass: (if $one == null or $two == null or $one == 0 then null
		  else $two / $one <= 1.3 and ($runs | all(.counted_rsts == .sent and
							  .conservation_ok == true)) end)};

def flood_run:
	. as $f
	| ($f.gen.sent // 0) as $sent
	| (($f.gen.sender_cpu_ns // 0) + $f.ksoftirqd_cpu_ns + $f.capture_cpu_ns) as $task
	| ($f.counters.per_interface // [] | map(select(.ifindex == $f.ifindex and .dir == "in"))
	   | .[0].counters) as $c
	| {
		config: $f.config, rep: $f.rep, kind: ($f.kind // "mix10"), sent: $sent,
		rst_sent: $f.gen.rst_sent,
		seconds: $f.gen.seconds, veth_rx_packets: $f.veth_rx_packets,
		sender_cpu_ns: $f.gen.sender_cpu_ns, ksoftirqd_cpu_ns: $f.ksoftirqd_cpu_ns,
		capture_cpu_ns: $f.capture_cpu_ns,
		task_ns_per_pkt: (if $sent > 0 then $task / $sent else null end),
		system_ns_per_pkt: (if $sent > 0 then $f.busy_ticks * 1e9 / $f.user_hz / $sent
				    else null end),
		rss_kb: $f.rss_kb, pcap_bytes: $f.pcap_bytes, bpf_stats: $f.bpf_stats,
		error: ($f.error // $f.gen.error)
	  }
	+ (if ($f.config | startswith("rsttrace")) then {
		counted_packets: $c.packets, counted_tcp4: $c.tcp4,
		counted_rsts: (if $c == null then null else $c.rst + $c.rstack end),
		events_delivered: $c.events_delivered,
		events_lost: (if $c == null then null else {
			sampled_out: $c.events_sampled_out, rate_limited: $c.events_rate_limited,
			ring_full: $c.events_ring_full, filtered: $c.events_filtered } end),
		events_output: ($f.stderr | num("(?<n>[0-9]+) events? (printed|written|output)")),
		counted_syns: $c.syn,
		conservation_ok: $f.counters.conservation.ok,
		conservation: $f.counters.conservation,
		exact: ($c != null and $c.packets == $sent and $c.tcp4 == $sent
			and (if ($f.kind // "") == "syn100" then $c.syn
			     else $c.rst + $c.rstack end) == $f.gen.rst_sent
			and $f.counters.conservation.ok == true)
	  } else {} end)
	+ (if $f.config == "tcpdump" then {
		captured: ($f.stderr | num("(?<n>[0-9]+) packets? captured")),
		received_by_filter: ($f.stderr | num("(?<n>[0-9]+) packets? received by filter")),
		kernel_drops: ($f.stderr | num("(?<n>[0-9]+) packets? dropped by kernel"))
	  } else {} end);

# Runs of one config by repetition, for pairing with the same repetition of another.
def by_rep($runs; $c): $runs | map(select(.config == $c)) | map({key: (.rep | tostring), value: .})
	| from_entries;

# Per repetition: x's figure minus the same repetition's baseline figure.
def added($rs; $base; field): $rs | map(. as $x | $base[$x.rep | tostring] as $b
	| if $b == null or ($x | field) == null or ($b | field) == null then null
	  else ($x | field) - ($b | field) end);

# The baseline rsttrace's own cost is measured against: an XDP config against
# the veth with an empty XDP program (the veth's XDP mode costs what any XDP
# program costs there), anything else against no capture at all.
def own_base($c): if $c == "rsttrace_xdp" or $c == "rsttrace_pcap" then "empty_xdp" else "none" end;

def flood_summary($runs; $target):
	by_rep($runs; "none") as $none
	| by_rep($runs; "tcpdump") as $td
	| ($runs | map(.config) | unique) as $cfgs
	| [ $cfgs[] as $c
	    | ($runs | map(select(.config == $c))) as $rs
	    | by_rep($runs; own_base($c)) as $own
	    | added($rs; $none; .task_ns_per_pkt) as $add
	    | added($rs; $own; .task_ns_per_pkt) as $add_own
	    | added($rs; $none; .system_ns_per_pkt) as $add_sys
	    | ($rs | map(. as $x | $td[$x.rep | tostring] as $t | $none[$x.rep | tostring] as $b
		| $own[$x.rep | tostring] as $o
		| if $t == null or $b == null or $o == null or $x.task_ns_per_pkt == null then null
		  else ($t.task_ns_per_pkt - $b.task_ns_per_pkt) as $tdadd
		  | if $tdadd <= 0 then null
		    else {all: (($x.task_ns_per_pkt - $b.task_ns_per_pkt) / $tdadd),
			  own: (($x.task_ns_per_pkt - $o.task_ns_per_pkt) / $tdadd)} end end)) as $ratio
	    | ($c | startswith("rsttrace")) as $rst
	    | {
		config: $c, reps: ($rs | length), baseline: own_base($c),
		mpps: ($rs | map(.sent / .seconds / 1e6) | median | r(3)),
		task_ns_per_pkt: ($rs | map(.task_ns_per_pkt) | median | r(1)),
		system_ns_per_pkt: ($rs | map(.system_ns_per_pkt) | median | r(1)),
		added_ns_per_pkt: ($add | median | r(1)),
		added_own_ns_per_pkt: ($add_own | median | r(1)),
		added_system_ns_per_pkt: ($add_sys | median | r(1)),
		capture_process_ns_per_pkt: ($rs | map(.capture_cpu_ns / .sent) | median | r(1)),
		ratio_to_tcpdump: (if $rst then ($ratio | map(.all) | median | r(3)) else null end),
		ratio_own_to_tcpdump: (if $rst then ($ratio | map(.own) | median | r(3)) else null end),
		rss_kb: ($rs | map(.rss_kb.VmHWM // null) | median),
		all_exact: (if $rst then ($rs | all(.exact == true)) else null end),
		all_conserved: (if $rst then ($rs | all(.conservation_ok == true)) else null end),
		events_delivered: ($rs | map(.events_delivered) | median),
		events_output: ($rs | map(.events_output) | median),
		ring_full: ($rs | map(.events_lost.ring_full) | median),
		rate_limited: ($rs | map(.events_lost.rate_limited) | median),
		kernel_drops: ($rs | map(.kernel_drops) | max),
		captured: ($rs | map(.captured) | median),
		veth_rx_equals_sent: ($rs | all(.veth_rx_packets == .sent)),
		target: (if $rst then $target else null end)
	  }
	  # A ratio at or below 0 says the machine's noise exceeded both costs (rsttrace's
	  # cannot be negative): no verdict then, rather than a "met" by accident.
	  | .noise = (.ratio_own_to_tcpdump != null and .ratio_own_to_tcpdump <= 0)
	  | .pass = (if .target == null or .ratio_own_to_tcpdump == null or .noise then null
		     else .ratio_own_to_tcpdump <= .target and .all_exact end)
	  ];

def flood_summary($runs): flood_summary($runs; 0.3);

# The statistics runs (rep 0): kernel-timed program runs per packet sent.
def stats_summary($runs):
	$runs | map(select(.bpf_stats != null)) | map(. as $x
	| ($x.bpf_stats.progs | map(select(.name | test("^rst_|^xdp_empty$")))) as $p
	| {config: $x.config, sent: $x.sent,
	   programs: ($p | map({name, run_cnt, ns_per_run: (if .run_cnt > 0 then .run_time_ns / .run_cnt | r(1) else null end)})),
	   bpf_ns_per_pkt: (($p | map(.run_time_ns) | add // 0) / $x.sent | r(1))});

($flood | map(flood_run)) as $fall
| ($spoof | map(flood_run)) as $sall
| ($fall | map(select(.rep > 0))) as $fruns
| ($fall | map(select(.rep == 0))) as $fstats
| {
	env: $env[0],
	features: $feat[0],
	duration_s: $secs,
	per_packet: ($prog[0] + {
		summary: (($prog[0].classes // []) | map({class, hook, what,
			empty_ns: .median_empty_ns, ns: .median_ns, ratio: .median_ratio,
			floor_ns: .median_floor_ns, floor_ratio: .median_floor_ratio, floor_what,
			target, pass, check_ok: .check.ok}))
	}),
	flood: {
		packets_per_run: $pkts, reps: $reps, rst_share: 0.1, rst_sources: 10000,
		runs: $fall,
		summary: flood_summary($fruns),
		bpf_stats: (stats_summary($fstats) as $st
			| ($st | map(select(.config == "empty_xdp")) | .[0].bpf_ns_per_pkt) as $e
			| $st | map(. + {over_empty_xdp_ns_per_pkt:
				(if $e == null or .config == "empty_xdp" then null
				 else (.bpf_ns_per_pkt - $e) | r(1) end)}))
	},
	spoofed: {
		packets_per_run: $spoof_pkts, reps: $reps,
		kinds: ([$sall[] | select(.rep > 0) | .kind] | unique | map(. as $k
			| ($sall | map(select(.kind == $k))) as $ks
			| {kind: $k, filter: (if $k == "syn100" then "tcp[tcpflags] & tcp-syn != 0"
					      else "tcp[tcpflags] & tcp-rst != 0" end),
			   summary: flood_summary($ks | map(select(.rep > 0)); 0.5),
			   bpf_stats: stats_summary($ks | map(select(.rep == 0)))})),
		by_sources: [$sall[] | select(.kind | startswith("sources_")) as $x
			| (stats_summary([$x]) | .[0]) + {sources: ($x.kind | ltrimstr("sources_")
								  | tonumber)}],
		runs: $sall
	},
	# --rings one (runs of before --rings have no key: one ring) and --rings per-cpu.
	two_cpus: ($twocpu | map(select((.rings // "one") == "one")) | two_cpu_summary),
	two_cpus_percpu: ($twocpu | map(select(.rings == "per-cpu"))
			  | if length == 0 then null else two_cpu_summary end),
	consumer: $ring[0],
	query: {
		fill: $qfill[0],
		runs: $query,
		summary: ($query | group_by(.query) | map({
			query: .[0].query, reps: length,
			median_wall_ms: (map(.wall_ms) | median | r(1)),
			median_refresh_ms: (map(.refresh_ms) | median | r(1)),
			median_cpu_ms: (map(.cpu_per_refresh_ms // ((.cpu.user_s + .cpu.sys_s) * 1000)) | median | r(1)),
			refreshes: .[0].refreshes,
			max_rss_kb: (map(.cpu.max_rss_kb) | max),
			ok: all(.rc == 0), lines: .[0].lines,
			target_ms: (if (.[0].query | startswith("top")) then 100 else null end)
		  } | .pass = (if .target_ms == null then null
			       else .ok and .median_refresh_ms < .target_ms end)))
	},
	memory: ($mem[0] + {
		target_bytes: 67108864,
		# The target is for 64 CPUs: the loader's own sizing and formula for 64
		# (footprint_by_cpus), checked against memlock here (footprint_here).
		footprint_64: ($mem[0].footprint_by_cpus // [] | map(select(.cpus == 64)) | .[0].bytes),
		pass: (($mem[0].footprint_by_cpus // [] | map(select(.cpus == 64)) | .[0].bytes) as $b
		       | if $b == null then null else $b <= 67108864 end),
		watch_rss_kb: ($fruns | map(select(.config == "rsttrace_xdp") | .rss_kb.VmHWM // null)
			       | median)
	}),
	anyif: {
		runs: $anyif,
		summary: ($anyif | map(select(.error == null)) | group_by(.name) | map({
			name: .[0].name, interfaces: .[0].interfaces, reps: length,
			start_ms: (map(.start_ms) | median), stop_ms: (map(.stop_ms) | median),
			rss_kb: (map(.rss_kb) | median), hwm_kb: (map(.hwm_kb) | median),
			bpf_memlock: (map(.bpf_memlock) | median), fds: (map(.fds) | median),
			follow_ms: (map(.follow_ms) | median), gone_ms: (map(.gone_ms) | median),
			announced: (map(.announced) | min)
		}))
	},
	offline: ($offline[0] // null)
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Persistent attachment (attach, detach, set, status) and the readers (top,
# flows, stats), in test namespaces only. The server namespace has two
# veth interfaces, both attached; the client namespace sends a known number
# of RSTs from a known set of addresses (hping3 -R with spoofed sources,
# one source port each) and makes known refused connections, so every
# count is exact. Every pin lives under a pin_dir of lib.sh; persistent
# commands run through nsx (nsenter --net), never `ip netns exec`.
#
# Run: make && bash tests/integration/test_persist.sh

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)

mkpin P main

# The hosts and their RST counts: H4 is also the rate-test sender.
H1=10.201.1.11
H2=10.201.1.12
H3=10.209.1.13
H4=10.201.1.14
N1=30
N2=20
N3=10
N4=60
REF4=4 # refused IPv4 connections
REF6=2 # refused IPv6 connections

# run NAME NS ARGS...: see lib.sh rt_in.
run() { rt_in "$@"; }

# rsts NS SRC DST DPORT COUNT [USEC]: COUNT RSTs from SRC (one source port).
rsts() {
	local ns=$1 src=$2 dst=$3 dport=$4 count=$5 usec=${6:-2000}
	nsx "$ns" timeout 20 hping3 -q -R -a "$src" -s 40000 -k -p "$dport" -c "$count" \
		-i "u$usec" "$dst" >/dev/null 2>&1
	return 0
}

# Ids of our programs in $1 (status --json): collected to check none survives.
SEEN_PROGS=()
note_progs() {
	local id
	for id in $(jq -r '.programs[]?.id' "$1" 2>/dev/null); do
		SEEN_PROGS+=("$id")
	done
}

# Programs (and their links), by id, still loaded among those we saw;
# empty when none is left (check it with assert_settles).
progs_left() { progs_left_of "${SEEN_PROGS[@]}"; }
links_left() { links_left_of "${SEEN_PROGS[@]}"; }

pin_exists() { [ -e "$1" ] && echo yes || echo no; }

setup() {
	ns_pair srv || return 1
	SRV=$NS_A CLI=$NS_B IF1=$VETH_A
	# A second interface between the same two namespaces.
	IF2="xa${_TAG}"
	IF2B="xb${_TAG}"
	make_if2 || return 1
	# A trivial foreign program (XDP and TC), built here.
	cat >"$T/foreign.c" <<'EOF'
#include <linux/bpf.h>
#define SEC(n) __attribute__((section(n), used))
SEC("xdp") int foreign_xdp(struct xdp_md *c) { return XDP_PASS; }
SEC("tc") int foreign_tc(struct __sk_buff *s) { return -1; }
char _license[] SEC("license") = "GPL";
EOF
	clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$T/foreign.c" \
		-o "$T/foreign.o" 2>"$T/clang.err"
}

make_if2() {
	ip link add "$IF2" netns "$SRV" type veth peer name "$IF2B" netns "$CLI" || return 1
	ip -n "$SRV" addr add 10.209.1.1/24 dev "$IF2"
	ip -n "$CLI" addr add 10.209.1.2/24 dev "$IF2B"
	ip -n "$SRV" link set "$IF2" up
	ip -n "$CLI" link set "$IF2B" up
	nsx "$CLI" ping -c1 -W2 10.209.1.1 >/dev/null 2>&1
	return 0
}

t_bad_input() {
	run unknown "$SRV" attach -i nosuchif0 --pin-path "$P"
	assert_eq "attach to an unknown interface: exit 2" 2 "$RC"
	assert_eq "attach to an unknown interface: one line" 1 "$(wc -l <"$T/unknown.err")"
	run badint "$SRV" top --interval 1x --pin-path "$P"
	assert_eq "top --interval 1x: exit 2" 2 "$RC"
	run badport "$SRV" flows --port 70000 --pin-path "$P"
	assert_eq "flows --port 70000: exit 2" 2 "$RC"
	run noset "$SRV" set --pin-path "$P"
	assert_eq "set without a setting: exit 2" 2 "$RC"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$R" status --pin-path "$P" \
		>/dev/null 2>"$T/nonroot.err"
	assert_eq "status as nobody: exit 1, one line" "1 1" "$? $(wc -l <"$T/nonroot.err")"
	run none "$SRV" status --json --pin-path "$P"
	assert_eq "status with nothing pinned: attached false" "0 false" "$RC $(jqf "$T/none.out" .attached)"
	run nodetach "$SRV" detach -i "$IF1" --pin-path "$P"
	assert_eq "detach of what is not attached: exit 0" 0 "$RC"
	# ip netns exec: a private /sys; must refuse, not pin into thin air.
	ip netns exec "$SRV" "$R" attach -i "$IF1" --pin-path "$P" >/dev/null 2>"$T/ipne.err"
	assert_eq "attach under ip netns exec: exit 1" 1 "$?"
	assert_cmd "attach under ip netns exec: says to use nsenter" grep -q nsenter "$T/ipne.err"
	assert_settles "attach under ip netns exec: nothing attached" "" bpf_progs_in "$SRV"
}

t_attach_two() {
	run att "$SRV" attach -i "$IF1" -i "$IF2" --pin-path "$P"
	assert_eq "attach two interfaces: exit 0" 0 "$RC"
	run st1 "$SRV" status --json --pin-path "$P"
	note_progs "$T/st1.out"
	assert_eq "status: both interfaces, not gone" "[\"$IF1\",\"$IF2\"] [false,false]" \
		"$(jqf "$T/st1.out" '[.interfaces[].iface]') $(jqf "$T/st1.out" '[.interfaces[].gone]')"
	assert_eq "status: xdp native in, tcx out" '["xdp/in/native","tcx/out/null"]' \
		"$(jqf "$T/st1.out" '[.interfaces[0].hooks[] | "\(.hook)/\(.direction)/\(.xdp_mode)"]')"
	assert_eq "pin directory 0700, pins 0600" "700 600" \
		"$(stat -c %a "$P") $(find "$P" -type f -printf '%m\n' | sort -u | tr '\n' ' ' | xargs)"
	run att2 "$SRV" attach -i "$IF1" --pin-path "$P"
	assert_eq "attach again: exit 0, says so" "0 1" "$RC $(grep -c 'already attached' "$T/att2.out")"
	run st2 "$SRV" status --json --pin-path "$P"
	assert_eq "attach again: same programs and links" \
		"$(jqf "$T/st1.out" '[.programs, [.interfaces[].hooks[] | .link_id]]')" \
		"$(jqf "$T/st2.out" '[.programs, [.interfaces[].hooks[] | .link_id]]')"
}

t_traffic() {
	local hp _
	for _ in $(seq 1 $REF4); do refuse "$CLI" "$IP4_A" 9; done
	for _ in $(seq 1 $REF6); do refuse "$CLI" "$IP6_A" 9; done
	rsts "$CLI" "$H1" "$IP4_A" 80 $N1
	rsts "$CLI" "$H2" "$IP4_A" 80 $N2
	rsts "$CLI" "$H3" 10.209.1.1 80 $N3
	# H4 at 20 RST/s for 3 s; top measures over 1.5 s of it.
	bg_start hp nsx "$CLI" timeout 20 hping3 -q -R -a "$H4" -s 40000 -k -p 80 -c $N4 \
		-i u50000 "$IP4_A" >/dev/null 2>&1
	sleep 0.7
	run top1 "$SRV" top --once --json --interval 1.5 --pin-path "$P"
	wait_for 15 bash -c "! kill -0 $hp"
	bg_stop "$hp"
	local r
	r=$(jqf "$T/top1.out" ".hosts[] | select(.host==\"$H4\") | .rst_in_per_s")
	if awk -v r="$r" 'BEGIN { exit !(r >= 13 && r <= 27) }'; then
		ok "top --once: H4 at ~20 RST/s ($r)"
	else
		not_ok "top --once: H4 at ~20 RST/s"
		diag "rst_in_per_s: $r"
	fi
	assert_eq "top --once: the sending host first" "\"$H4\"" "$(jqf "$T/top1.out" '.hosts[0].host')"

	run stats "$SRV" stats --json --pin-path "$P"
	assert_eq "stats: rst, rstack, syn, synack, fin exact" \
		"[$((N1 + N2 + N3 + N4)),$((REF4 + REF6)),$((REF4 + REF6)),0,0]" \
		"$(jqf "$T/stats.out" '[.counters.rst, .counters.rstack, .counters.syn, .counters.synack, .counters.fin]')"
	assert_eq "stats: every RST delivered as an event, none lost" \
		"[$((N1 + N2 + N3 + N4 + REF4 + REF6)),0,0,0,0]" \
		"$(jqf "$T/stats.out" '[.events.delivered, .events.sampled_out, .events.rate_limited, .events.ring_full, .events.filtered]')"
	assert_eq "stats: per interface, RSTs in on $IF1 and $IF2, RST-ACKs out on $IF1" \
		"[$((N1 + N2 + N4)),$N3,$((REF4 + REF6))]" \
		"$(jqf "$T/stats.out" "[(.interfaces[] | select(.iface==\"$IF1\" and .direction==\"in\") | .rst), (.interfaces[] | select(.iface==\"$IF2\" and .direction==\"in\") | .rst), (.interfaces[] | select(.iface==\"$IF1\" and .direction==\"out\") | .rstack)]")"
	assert_eq "stats: no malformed packet" 0 "$(jqf "$T/stats.out" .malformed_total)"

	# Flows are made by SYN and SYN-ACK: the spoofed senders' RSTs have none
	# and are counted as such; the refused connections have theirs.
	run flows "$SRV" flows --json --pin-path "$P"
	assert_eq "flows: one per refused connection, none for the RST-only senders" \
		$((REF4 + REF6)) "$(jqf "$T/flows.out" '.flows | length')"
	assert_eq "stats: the senders' RSTs untracked in flows as no_flow, nothing else lost" \
		"[$((N1 + N2 + N3 + N4)),0,0,0]" \
		"$(jqf "$T/stats.out" '[.flows_untracked.no_flow.rst, .flows_untracked.no_flow.rstack, .flows_untracked.table_full.syn, .flows_untracked.budget.syn]')"
	assert_eq "flows: refused connections are SYN in, RST-ACK out" \
		"[$((REF4 + REF6)),$((REF4 + REF6))]" \
		"$(jqf "$T/flows.out" '[([.flows[] | select(.port_a==9) | .b_to_a.syn] | add), ([.flows[] | select(.port_a==9) | .a_to_b.rstack] | add)]')"
	run fh "$SRV" flows --json --host "$IP4_B" --pin-path "$P"
	assert_eq "flows --host: only that host's flows" "[\"$IP4_B\"] $REF4" \
		"$(jqf "$T/fh.out" '[.flows[] | .addr_b] | unique') $(jqf "$T/fh.out" '[.flows[] | .rsts] | add')"
	run fp "$SRV" flows --json --port 9 -N 3 --pin-path "$P"
	assert_eq "flows --port 9 -N 3" 3 "$(jqf "$T/fp.out" '.flows | length')"

	run top2 "$SRV" top --once --json --interval 0.2 --pin-path "$P"
	assert_eq "top --once: exactly the hosts, in order" \
		"[\"$H4\",\"$H1\",\"$H2\",\"$H3\",\"$IP4_B\",\"$IP6_B\"]" \
		"$(jqf "$T/top2.out" '[.hosts[].host]')"
	assert_eq "top: per-host totals exact" "[$N4,$N1,$N2,$N3,0,0] [0,0,0,0,$REF4,$REF6]" \
		"$(jqf "$T/top2.out" '[.hosts[].rst_in]') $(jqf "$T/top2.out" '[.hosts[].rst_out]')"
	run top3 "$SRV" top --once --json --interval 0.2 -N 2 --pin-path "$P"
	assert_eq "top -N 2: the first two" "[\"$H4\",\"$H1\"]" "$(jqf "$T/top3.out" '[.hosts[].host]')"
}

t_set() {
	local before
	run set1 "$SRV" set --sample 10 --rate-limit 5 --pin-path "$P"
	assert_eq "set: exit 0" 0 "$RC"
	run st3 "$SRV" status --json --pin-path "$P"
	assert_eq "set: status shows the new settings" "[10,5]" \
		"$(jqf "$T/st3.out" '[.settings.sample, .settings.rate_limit]')"
	before=$(jqf "$T/st3.out" '.interfaces | map(.hooks[].link_id)')
	rsts "$CLI" 10.201.1.15 "$IP4_A" 81 40
	run stats2 "$SRV" stats --json --pin-path "$P"
	assert_eq "set: counting stays exact, every RST has one event result" \
		"$((N1 + N2 + N3 + N4 + 40)) true" \
		"$(jqf "$T/stats2.out" .counters.rst) $(jqf "$T/stats2.out" '(.events | add) == .rsts')"
	assert_eq "set: sampled and rate-limited events counted" true \
		"$(jqf "$T/stats2.out" '.events.sampled_out > 0 and .events.delivered < (.rsts)')"
	run st4 "$SRV" status --json --pin-path "$P"
	assert_eq "set: links untouched" "$before" "$(jqf "$T/st4.out" '.interfaces | map(.hooks[].link_id)')"
	run set2 "$SRV" set --sample 1 --rate-limit 1000 --pin-path "$P"
}

# The per-CPU budgets change in place; the tables' seed stays what the load made.
t_set_budgets() {
	local seed
	run stb0 "$SRV" status --json --pin-path "$P"
	seed=$(jqf "$T/stb0.out" .settings.hash_seed)
	assert_eq "status: a seed was made at load" true "$(jqf "$T/stb0.out" '.settings.hash_seed > 0')"
	run stb1 "$SRV" set --flow-budget 7 --event-budget 3 --pin-path "$P"
	assert_eq "set budgets: exit 0" 0 "$RC"
	run stb2 "$SRV" status --json --pin-path "$P"
	assert_eq "set budgets: the map has them, the seed is kept" "[7,3,$seed]" \
		"$(jqf "$T/stb2.out" '[.settings.flow_budget, .settings.event_budget, .settings.hash_seed]')"
	run stb3 "$SRV" set --flow-budget 20000 --event-budget 20000 --pin-path "$P"
	run stb4 "$SRV" status --json --pin-path "$P"
	assert_eq "set budgets: back to the defaults" "[20000,20000]" \
		"$(jqf "$T/stb4.out" '[.settings.flow_budget, .settings.event_budget]')"
}

t_json_keys() {
	assert_cmd "status --json: documented keys" jq -e \
		'(["pin_path","attached","abi_version","version","created","snaplen","settings","programs","interfaces","maps","map_memory","events"] - keys == [])
		 and (.interfaces[0] | ["iface","ifindex","netns","netns_name","this_netns","gone","attached_since","hooks"] - keys == [])
		 and (.interfaces[0].hooks[0] | ["hook","direction","xdp_mode","prog_id","link_id","attached","since"] - keys == [])
		 and (.maps[0] | ["name","id","type","max_entries","entries","memory"] - keys == [])
		 and (.settings | ["sample","rate_limit","burst","events"] - keys == [])
		 and (.events | ["delivered","sampled_out","rate_limited","ring_full","filtered"] - keys == [])' "$T/st4.out"
	assert_cmd "stats --json: documented keys" jq -e \
		'(["source","counters","rsts","malformed","malformed_total","events","interfaces"] - keys == [])
		 and (.counters | ["packets","tcp4","tcp6","syn","synack","fin","rst","rstack","fragments"] - keys == [])
		 and (.malformed | length == 15)
		 and (.interfaces[0] | ["ifindex","iface","direction","packets","rst","rstack","malformed"] - keys == [])' "$T/stats.out"
	assert_cmd "flows --json: documented keys" jq -e \
		'(["source","flows"] - keys == [])
		 and (.flows[0] | ["family","addr_a","port_a","addr_b","port_b","a_to_b","b_to_a","rsts","first_seen","last_seen","ifindex","iface"] - keys == [])
		 and (.flows[0].a_to_b | ["syn","synack","fin","rst","rstack","ttl"] - keys == [])' "$T/flows.out"
	assert_cmd "top --json: documented keys" jq -e \
		'(["ts","interval","source","hosts_in_map","hosts_capacity","global","hosts"] - keys == [])
		 and (.global | ["rst_per_s","syn_per_s","fin_per_s","events_delivered_per_s","events_lost_per_s","events_sampled_out_per_s","events_rate_limited_per_s","events_filtered_per_s"] - keys == [])
		 and (.hosts[0] | ["host","family","rst_in_per_s","rst_out_per_s","syn_per_s","rst_syn_ratio","rst_in","rst_out","syn_in","syn_out","fin_in","fin_out","first_seen","last_seen","last_seen_age"] - keys == [])' "$T/top2.out"
	run txt "$SRV" status --pin-path "$P"
	assert_eq "status (text): exit 0, lists both interfaces" "0 yes yes" \
		"$RC $(grep -q "^$IF1 " "$T/txt.out" && echo yes) $(grep -q "^$IF2 " "$T/txt.out" && echo yes)"
}

t_other_netns() {
	run ons "$CLI" detach -i "$IF1" --pin-path "$P"
	assert_eq "detach from another netns: exit 1, names the namespace" "1 1" \
		"$RC $(grep -c "$SRV" "$T/ons.err")"
	assert_eq "detach from another netns: still attached" false \
		"$(nsx "$SRV" "$R" status --json --pin-path "$P" | jq -c "[.interfaces[] | select(.iface==\"$IF1\")][0].gone")"
}

t_delete_under_traffic() {
	local hp before after
	before=$(nsx "$SRV" "$R" stats --json --pin-path "$P" |
		jq -c "[.interfaces[] | select(.iface==\"$IF1\" and .direction==\"in\")][0].rst")
	bg_start hp nsx "$CLI" timeout 20 hping3 -q -R -a "$H3" -s 40001 -k -p 80 -c 100 \
		-i u20000 10.209.1.1 >/dev/null 2>&1
	sleep 0.5
	ip -n "$SRV" link del "$IF2"
	rsts "$CLI" "$H1" "$IP4_A" 82 15
	bg_stop "$hp" TERM
	after=$(nsx "$SRV" "$R" stats --json --pin-path "$P" |
		jq -c "[.interfaces[] | select(.iface==\"$IF1\" and .direction==\"in\")][0].rst")
	assert_eq "interface deleted under traffic: the other counts on exactly" $((before + 15)) "$after"
	run gone "$SRV" status --json --pin-path "$P"
	assert_eq "status: the deleted interface is gone, the other not" \
		"[[\"$IF1\",false],[\"$IF2\",true]]" "$(jqf "$T/gone.out" '[.interfaces[] | [.iface, .gone]]')"
	# Made again under the same name: attach works, the stale record goes.
	make_if2
	run reatt "$SRV" attach -i "$IF2" --pin-path "$P"
	run gone2 "$SRV" status --json --pin-path "$P"
	assert_eq "recreated interface attaches again" "0 [[\"$IF1\",false],[\"$IF2\",false]]" \
		"$RC $(jqf "$T/gone2.out" '[.interfaces[] | [.iface, .gone]]')"
	# Renamed while attached: still known by its index.
	ip -n "$SRV" link set "$IF2" down
	ip -n "$SRV" link set "$IF2" name "xr${_TAG}"
	run ren "$SRV" attach -i "xr${_TAG}" --pin-path "$P"
	assert_eq "renamed interface: attach says it is already attached" "0 1" \
		"$RC $(grep -c "already attached, as $IF2" "$T/ren.out")"
	run rend "$SRV" detach -i "xr${_TAG}" --pin-path "$P"
	assert_eq "renamed interface: detach by its new name" "0 [\"$IF1\"]" \
		"$RC $(nsx "$SRV" "$R" status --json --pin-path "$P" | jq -c '[.interfaces[].iface]')"
	ip -n "$SRV" link del "xr${_TAG}"
	run all "$SRV" detach --all --pin-path "$P"
	assert_eq "detach --all: exit 0, pin directory removed" "0 no" \
		"$RC $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "detach --all: none of our programs left" "" progs_left
	assert_settles "detach --all: nothing attached in the namespace" "" bpf_progs_in "$SRV"
}

t_abi_mismatch() {
	local P3
	mkpin P3 abi
	mkdir -p "$P3"
	bpftool map create "$P3/meta" type array key 4 value 72 entries 1 name rst_meta
	# magic "RSTTRACE", ABI 99, size 72, then 56 zero bytes
	local zeros
	read -ra zeros <<<"$(printf '0 %.0s' $(seq 1 56))"
	bpftool map update pinned "$P3/meta" key 0 0 0 0 value 0x52 0x53 0x54 0x54 0x52 0x41 0x43 0x45 \
		99 0 0 0 72 0 0 0 "${zeros[@]}"
	run abi "$SRV" attach -i "$IF1" --pin-path "$P3"
	assert_eq "pins of another ABI: attach refuses (exit 1)" 1 "$RC"
	assert_cmd "pins of another ABI: says ABI 99 and how to detach" \
		grep -q "ABI 99.*detach" "$T/abi.err"
	run abis "$SRV" status --pin-path "$P3"
	assert_eq "pins of another ABI: status refuses, pins untouched" "1 meta" \
		"$RC $(find "$P3" -mindepth 1 -printf '%f\n' | xargs)"
	assert_settles "pins of another ABI: nothing attached" "" bpf_progs_in "$SRV"
}

# A directory an older build made (ABI 3, with maps/buckets): status refuses
# it, detach still removes all of it. Made here by attaching, pinning the old
# map beside the others and writing ABI 3 into the meta.
t_legacy_buckets() {
	local P5 val
	mkpin P5 legacy
	run lb1 "$SRV" attach -i "$IF1" --hook tc --pin-path "$P5"
	assert_eq "legacy: attach, exit 0" 0 "$RC"
	bpftool map create "$P5/maps/buckets" type lru_hash key 20 value 8 entries 16 name buckets
	assert_eq "legacy: the old map pinned beside the others" yes "$(pin_exists "$P5/maps/buckets")"
	val=$(bpftool -j map lookup pinned "$P5/meta" key 0 0 0 0 |
		jq -r '.value | .[8] = "3" | .[9] = "0" | .[10] = "0" | .[11] = "0" | join(" ")')
	# shellcheck disable=SC2086
	bpftool map update pinned "$P5/meta" key 0 0 0 0 value $val
	run lb0 "$SRV" status --pin-path "$P5"
	assert_eq "legacy: status refuses ABI 3 (exit 1)" 1 "$RC"
	assert_eq "legacy: and says this rsttrace can detach it, in one line" \
		"1 1" "$(grep -c 'ABI 3, this one speaks ABI [0-9]*; `rsttrace detach --all --pin-path .*` (this one can) and attach again$' "$T/lb0.err") $(wc -l <"$T/lb0.err")"
	run lb2 "$SRV" detach --all --pin-path "$P5"
	assert_eq "legacy: detach --all of ABI 3, exit 0" 0 "$RC"
	assert_eq "legacy: pin directory gone, buckets with it" no "$(pin_exists "$P5")"
	assert_settles "legacy: none of our programs left" "" bpf_progs_in "$SRV"
}

t_cycles() {
	local P2 _ fails=0
	mkpin P2 cycles
	# 40 cycles on an attachment that IF2 keeps loaded (programs reused),
	# then 10 full ones that load, pin, unpin and unload everything.
	make_if2
	nsx "$SRV" "$R" attach -i "$IF2" --hook tc --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
	for _ in $(seq 1 40); do
		nsx "$SRV" "$R" attach -i "$IF1" --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
		nsx "$SRV" "$R" detach -i "$IF1" --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
	done
	nsx "$SRV" "$R" status --json --pin-path "$P2" >"$T/cyc.json" 2>/dev/null
	note_progs "$T/cyc.json"
	assert_eq "40 cycles on a kept attachment: only $IF2 left" "[\"$IF2\"]" \
		"$(jqf "$T/cyc.json" '[.interfaces[].iface]')"
	nsx "$SRV" "$R" detach -i "$IF2" --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
	for _ in $(seq 1 10); do
		nsx "$SRV" "$R" attach -i "$IF1" --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
		nsx "$SRV" "$R" status --json --pin-path "$P2" >"$T/cyc.json" 2>/dev/null
		note_progs "$T/cyc.json"
		nsx "$SRV" "$R" detach -i "$IF1" --pin-path "$P2" >/dev/null 2>&1 || fails=$((fails + 1))
	done
	assert_eq "50 attach/detach cycles: every command succeeded" 0 "$fails"
	assert_eq "50 cycles: no pin left" no "$([ -e "$P2" ] && echo yes || echo no)"
	assert_settles "50 cycles: none of the ${#SEEN_PROGS[@]} programs seen left (bpftool)" "" progs_left
	assert_settles "50 cycles: no link left (bpftool)" "" links_left
	assert_settles "50 cycles: nothing attached in the namespace" "" bpf_progs_in "$SRV"
}

watch_attached() {
	bpf_progs_in "$SRV" | grep -q rst_xdp
}

t_live() {
	local wp _
	if [ -e /sys/fs/bpf/rsttrace ]; then
		ok "readers against a running watch # SKIP a default attachment exists"
		return
	fi
	bg_start wp nsx "$SRV" "$R" watch -i "$IF1" >/dev/null 2>&1
	if ! wait_for 20 watch_attached; then
		not_ok "watch attached"
		bg_stop "$wp"
		return
	fi
	for _ in 1 2 3; do refuse "$CLI" "$IP4_A" 9; done
	run live "$SRV" stats --json
	assert_eq "stats reads a running watch of this namespace (no pins)" '["live",3,3]' \
		"$(jqf "$T/live.out" '[.source, .counters.syn, .counters.rstack]')"
	run livetop "$SRV" top --once --json --interval 0.2
	assert_eq "top reads a running watch" "[\"live\",\"$IP4_B\"]" \
		"$(jqf "$T/livetop.out" '[.source, .hosts[0].host]')"
	# (Without pins or watch the readers exit 1, but other rsttrace runs on
	# this machine may be loaded: that case is not checked here.)
	bg_stop "$wp"
}

t_foreign() {
	local P4 snap0 snap1 fx fif
	ns_pair fx || return 1
	fx=$NS_A
	fif=$VETH_A
	mkpin P4 foreign
	if [ ! -s "$T/foreign.o" ]; then
		not_ok "foreign program compiled"
		sed 's/^/# /' "$T/clang.err"
		return
	fi
	ip -n "$fx" link set dev "$fif" xdpgeneric obj "$T/foreign.o" sec xdp
	tc -n "$fx" qdisc add dev "$fif" clsact
	tc -n "$fx" filter add dev "$fif" ingress bpf direct-action obj "$T/foreign.o" sec tc
	tc -n "$fx" filter add dev "$fif" egress bpf direct-action obj "$T/foreign.o" sec tc
	snap0=$(nsx "$fx" bpftool -j net show dev "$fif" | jq -S -c .)
	assert_eq "foreign XDP and two cls_bpf filters in place" "1 2" \
		"$(echo "$snap0" | jq '.[0].xdp | length') $(echo "$snap0" | jq '.[0].tc | length')"

	run fxdp "$fx" attach -i "$fif" --pin-path "$P4"
	assert_eq "foreign XDP: attach refuses (exit 1), names it" "1 1" \
		"$RC $(grep -c 'foreign_xdp.*will not replace' "$T/fxdp.err")"
	assert_eq "foreign XDP: refusal leaves no pin" no "$([ -e "$P4" ] && echo yes || echo no)"

	# Leftovers of an attach that died before its meta map: cleaned, then attach.
	mkdir -p "$P4/maps"
	# As rsttrace makes it (a per-CPU array named flows): anything else would be refused.
	bpftool map create "$P4/maps/flows" type percpu_array key 4 value 4 entries 4 name flows
	run ftc "$fx" attach -i "$fif" --hook tc --pin-path "$P4"
	assert_eq "half-finished attach cleaned; tc attach next to foreign programs" 0 "$RC"
	run fst "$fx" status --json --pin-path "$P4"
	note_progs "$T/fst.out"
	assert_eq "tcx in and out attached" '["tcx/in","tcx/out"]' \
		"$(jqf "$T/fst.out" '[.interfaces[0].hooks[] | "\(.hook)/\(.direction)"]')"
	refuse "$NS_B" "$IP4_A" 9
	run fstats "$fx" stats --json --pin-path "$P4"
	assert_eq "ours counts alongside the foreign filters" "[1,1]" \
		"$(jqf "$T/fstats.out" '[.counters.syn, .counters.rstack]')"
	assert_eq "foreign programs untouched while attached" "$snap0" \
		"$(nsx "$fx" bpftool -j net show dev "$fif" | jq -S -c .)"
	run fdet "$fx" detach --all --pin-path "$P4"
	snap1=$(nsx "$fx" bpftool -j net show dev "$fif" | jq -S -c .)
	assert_eq "foreign XDP and filters survive detach, same ids" "$snap0" "$snap1"
	assert_eq "clsact qdisc of the other tool kept" 1 \
		"$(tc -n "$fx" qdisc show dev "$fif" | grep -c clsact)"
	assert_eq "detach: pin directory gone" no "$(pin_exists "$P4")"
	assert_settles "detach: none of our programs left" "" progs_left
}

# The harness checks attachments with its ifprogs tool: without it every
# "nothing attached" check would pass for nothing.
if [ ! -x "$IFPROGS" ]; then
	not_ok "harness tool $IFPROGS built (make test, or make ${OUT:-build}/tests/ifprogs)"
	finish
	exit 1
fi
setup || {
	not_ok "setup"
	finish
	exit 1
}
run_test t_bad_input
run_test t_attach_two
run_test t_traffic
run_test t_set
run_test t_set_budgets
run_test t_json_keys
run_test t_other_netns
run_test t_delete_under_traffic
run_test t_abi_mismatch
run_test t_legacy_buckets
run_test t_cycles
run_test t_live
run_test t_foreign
finish

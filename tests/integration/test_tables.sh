#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host and flow tables under floods that fill them: spoofed RSTs, SYNs
# and FINs from random sources into tables of 64 lines per CPU. Whatever
# was evicted or never tracked, the accounting identities hold exactly:
#   per direction and flag: sum over hosts + hosts_evicted == global,
#   per flag: sum over flows + flows_untracked (every cause) == global,
# and a host and its flows that stay in the tables keep exact counts.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)
R=$RSTTRACE

ns_pair tab || { not_ok "netns setup"; finish; exit 1; }
pin_dir tables >/dev/null
P=${_PINS[${#_PINS[@]} - 1]}

# run NAME CMD...: rsttrace in NS_A; stdout in $T/NAME.out, exit status in RC.
run() {
	local name=$1
	shift
	nsx "$NS_A" "$R" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}

# flood FLAG COUNT [PORT]: COUNT packets with hping3's FLAG from random sources.
flood() {
	nsx "$NS_B" timeout 30 hping3 -q "$1" --rand-source -p "${3:-80}" -c "$2" -i u200 \
		"$IP4_A" >/dev/null 2>&1
	return 0
}

# jq over the three reads: the counters, every host, every flow.
conservation() {
	jq -n -c --slurpfile s "$T/stats.out" --slurpfile h "$T/top.out" \
		--slurpfile f "$T/flows.out" '
		def g($dir; $k): [$s[0].interfaces[] | select(.direction == $dir) | .[$k]] | add // 0;
		def hs($k): [$h[0].hosts[] | .[$k]] | add // 0;
		def fs($k): [$f[0].flows[] | .a_to_b[$k] + .b_to_a[$k]] | add // 0;
		def lost($k): [$s[0].flows_untracked[] | .[$k]] | add;
		[ (hs("rst_in") + $s[0].hosts_evicted.in.rst) == (g("in"; "rst") + g("in"; "rstack")),
		  (hs("rst_out") + $s[0].hosts_evicted.out.rst) == (g("out"; "rst") + g("out"; "rstack")),
		  (hs("syn_in") + $s[0].hosts_evicted.in.syn) == g("in"; "syn"),
		  (hs("syn_out") + $s[0].hosts_evicted.out.syn) == g("out"; "syn"),
		  (hs("fin_in") + $s[0].hosts_evicted.in.fin) == g("in"; "fin"),
		  (hs("fin_out") + $s[0].hosts_evicted.out.fin) == g("out"; "fin"),
		  ("syn", "synack", "fin", "rst", "rstack" | fs(.) + lost(.) == g("in"; .) + g("out"; .))
		] | all'
}

t_flood_conservation() {
	run att attach -i "$VETH_A" --pin-path "$P" --max-hosts 64 --max-flows 64
	assert_eq "attach with 64 host and 64 flow lines per CPU: exit 0" 0 "$RC"
	flood -R 3000
	flood -S 3000 9
	flood -F 1000
	# The flood's flows idle for a second may be evicted: the real ones get lines.
	sleep 1.2
	for _ in 1 2 3 4 5; do refuse "$NS_B" "$IP4_A" 9; done
	run stats stats --json --pin-path "$P"
	run top top --once --json --interval 0.2 -N 1000000 --pin-path "$P"
	run flows flows --json --pin-path "$P"

	assert_eq "conservation exact, hosts per direction and flag, flows per flag" true \
		"$(conservation)"
	local ev lost hosts
	ev=$(jq '.hosts_evicted.in.rst + .hosts_evicted.in.syn + .hosts_evicted.in.fin' "$T/stats.out")
	[ "${ev:-0}" -gt 0 ] && ok "the floods evicted host lines ($ev counts moved)" ||
		not_ok "the floods evicted host lines (got ${ev:-none})"
	lost=$(jq '.flows_untracked.no_flow.rst' "$T/stats.out")
	assert_eq "every spoofed RST is a no_flow in the flow accounting" \
		"$(jq '[.interfaces[] | select(.direction == "in") | .rst] | add' "$T/stats.out")" \
		"$lost"
	hosts=$(jq '.hosts | length' "$T/top.out")
	[ "$hosts" -le "$(jq .hosts_capacity "$T/top.out")" ] && [ "$hosts" -gt 0 ] &&
		ok "hosts within the capacity ($hosts of $(jq .hosts_capacity "$T/top.out"))" ||
		not_ok "hosts within the capacity ($hosts)"
	assert_eq "the real client, recent, exact: 5 SYNs in, 5 RST-ACKs out" "[5,5]" \
		"$(jq -c "[.hosts[] | select(.host == \"$IP4_B\") | .syn_in, .rst_out]" "$T/top.out")"
	assert_eq "its 5 refused connections, exact: 5 flows of SYN in, RST-ACK out" "[5,5,5]" \
		"$(jq -c "[.flows | map(select(.addr_a == \"$IP4_B\" or .addr_b == \"$IP4_B\")) |
			length, (map(.a_to_b.syn + .b_to_a.syn) | add),
			(map(.a_to_b.rstack + .b_to_a.rstack) | add)]" "$T/flows.out")"
	run det detach --all --pin-path "$P"
	assert_eq "detach: exit 0" 0 "$RC"
	assert_settles "nothing left attached" "" bpf_progs_in "$NS_A"
}

for t in ${TESTS:-t_flood_conservation}; do
	run_test "$t"
done
finish

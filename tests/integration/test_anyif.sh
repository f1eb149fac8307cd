#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# watch -i any in a test namespace: lo and the veth that are there, then
# veths created and deleted while it watches. Each is announced when it
# is attached and when it is gone; the events and the kernel's counters
# of each are exact; a deleted interface's links are released at once;
# nothing is left attached once watch ends. Misuse: -i any with another
# interface, attach -i any.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)

for tool in jq bpftool; do
	command -v "$tool" >/dev/null 2>&1 || { not_ok "needed: $tool"; finish; exit 1; }
done
ns_pair y || { not_ok "netns setup"; finish; exit 1; }

# nv I: the name of the I-th veth made during the watch (NS_A side).
nv() { echo "nv$1${_TAG}"; }

# mkveth I: a veth pair NS_A:nv I <-> NS_B, 10.203.I.1/24 and .2.
mkveth() {
	local a b
	a=$(nv "$1")
	b="nw$1${_TAG}"
	ip link add "$a" netns "$NS_A" type veth peer name "$b" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add "10.203.$1.1/24" dev "$a"
	ip -n "$NS_B" addr add "10.203.$1.2/24" dev "$b"
	ip -n "$NS_A" link set "$a" up
	ip -n "$NS_B" link set "$b" up
	nsx "$NS_B" ping -c1 -W2 "10.203.$1.1" >/dev/null 2>&1
	return 0
}

# rsttrace's XDP / tc program ids attached in NS_A now.
our_ids() { all_progs_in "$NS_A" | awk '$3 ~ /^rst_/ { print $4 }' | sort -un; }
nlinks() { links_left_of "$@" | wc -w; }

# stat_of IFINDEX DIR COUNTER: the kernel's count, from stats --json of the running watch.
stat_of() {
	nsx "$NS_A" "$RSTTRACE" stats --json 2>/dev/null |
		jq -r --argjson i "$1" --arg d "$2" --arg c "$3" \
			'[.interfaces[] | select(.ifindex == $i and .direction == $d) | .[$c]] | add // 0'
}

test_any_follows() {
	local ids i n idx=() want
	bg_start W nsx "$NS_A" "$RSTTRACE" watch -i any --rate-limit 0 -t >"$T/w.out" 2>"$T/w.err"
	wait_for 20 grep -q '^rsttrace: watching any' "$T/w.err" ||
		{ not_ok "watch -i any started"; sed 's/^/# /' "$T/w.err"; return; }
	grep -q "^rsttrace: attached to lo (ifindex 1, " "$T/w.err" &&
		ok "lo attached and announced" || not_ok "lo attached and announced"
	grep -q "^rsttrace: attached to $VETH_A (ifindex [0-9]*, xdp native + tc)$" "$T/w.err" &&
		ok "the veth there attached and announced" ||
		not_ok "the veth there attached and announced"
	ids=$(our_ids)
	assert_eq "two programs in the namespace (xdp, tc egress)" 2 "$(echo "$ids" | wc -w)"

	for i in 1 2 3; do
		mkveth "$i" || { not_ok "veth $i made"; return; }
		if wait_for 5 grep -q "^rsttrace: attached to $(nv "$i") (ifindex" "$T/w.err"; then
			ok "new veth $i attached while watching, announced"
		else
			not_ok "new veth $i attached while watching, announced"
		fi
		idx[$i]=$(ip -n "$NS_A" -o link show "$(nv "$i")" | cut -d: -f1)
	done
	# lo, VETH_A and three new ones: an XDP and a tcx egress link each.
	assert_settles "5 interfaces, 10 links" 10 nlinks $ids
	# Interface i gets i refused connections: i SYNs in, i RST-ACKs out.
	for i in 1 2 3; do
		for n in $(seq 1 "$i"); do refuse "$NS_B" "10.203.$i.1" 9; done
	done
	refuse "$NS_A" 127.0.0.1 9
	sleep 0.3
	for i in 1 2 3; do
		assert_eq "$(nv "$i"): kernel counted $i RST-ACK out" "$i" "$(stat_of "${idx[$i]}" out rstack)"
		assert_eq "$(nv "$i"): kernel counted $i SYN in" "$i" "$(stat_of "${idx[$i]}" in syn)"
	done

	ip -n "$NS_A" link del "$(nv 1)"
	ip -n "$NS_A" link del "$(nv 2)"
	for i in 1 2; do
		wait_for 5 grep -q "^rsttrace: $(nv "$i") is gone$" "$T/w.err" &&
			ok "veth $i deleted: said gone" || not_ok "veth $i deleted: said gone"
	done
	assert_settles "deleted interfaces released: 3 interfaces, 6 links" 6 nlinks $ids
	refuse "$NS_B" 10.203.3.1 9
	sleep 0.3
	assert_eq "$(nv 3) still traced: 4 RST-ACK out" 4 "$(stat_of "${idx[3]}" out rstack)"
	bg_stop "$W" INT
	assert_eq "watch -i any exits 0" 0 "$BG_STATUS"

	for i in 1 2; do
		assert_eq "$(nv "$i"): $i events, tcpdump's -i any prefix" "$i" \
			"$(grep -c "^$(nv "$i") Out IP 10.203.$i.1.9 > 10.203.$i.2.[0-9]*: Flags \[R.\], seq 0, ack [0-9]*, win 0, length 0$" "$T/w.out")"
	done
	assert_eq "$(nv 3): 4 events" 4 "$(grep -c "^$(nv 3) Out IP 10.203.3.1.9 > " "$T/w.out")"
	assert_eq "lo: the RST out and in" "lo Out|lo In" \
		"$(grep '^lo ' "$T/w.out" | awk '{ print $1, $2 }' | paste -sd'|')"
	assert_eq "no events on $VETH_A" 0 "$(grep -c "^$VETH_A " "$T/w.out")"
	assert_eq "9 lines in all" 9 "$(wc -l <"$T/w.out")"
	grep -q '^9 RSTs counted by the kernel (0 RST, 9 RST-ACK)$' "$T/w.err" &&
		ok "kernel: 9 RSTs" || { not_ok "kernel: 9 RSTs"; sed 's/^/# /' "$T/w.err" | tail -4; }
	assert_settles "no program left" "" progs_left_of $ids
	assert_settles "no link left" "" links_left_of $ids
	assert_eq "nothing attached in the namespace" "" "$(bpf_progs_in "$NS_A")"
}

# An interface moved into the namespace is attached; moved out, it is gone.
test_any_moved() {
	local mv="mv${_TAG}" ids n
	bg_start W nsx "$NS_A" "$RSTTRACE" watch -i any --rate-limit 0 -t >"$T/m.out" 2>"$T/m.err"
	wait_for 20 grep -q '^rsttrace: watching any' "$T/m.err" ||
		{ not_ok "watch -i any started"; return; }
	ip -n "$NS_B" link add "$mv" type veth peer name "mw${_TAG}"
	ip -n "$NS_B" link set "$mv" netns "$NS_A"
	wait_for 5 grep -q "^rsttrace: attached to $mv (ifindex" "$T/m.err" &&
		ok "moved in: attached" || not_ok "moved in: attached"
	ids=$(our_ids)
	# Every interface of NS_A (lo, $VETH_A, what the test before left, $mv): two links each.
	n=$(ip -n "$NS_A" -o link show | wc -l)
	assert_settles "$n interfaces, $mv among them: $((2 * n)) links" $((2 * n)) nlinks $ids
	ip -n "$NS_A" link set "$mv" netns "$NS_B"
	wait_for 5 grep -q "^rsttrace: $mv is gone$" "$T/m.err" &&
		ok "moved out: gone" || not_ok "moved out: gone"
	assert_settles "moved out: its links released ($((2 * n - 2)) left)" $((2 * n - 2)) nlinks $ids
	assert_eq "nothing of ours on it in the other namespace" "" \
		"$(all_progs_in "$NS_B" | grep "^$mv " | grep rst_)"
	bg_stop "$W" INT
	assert_eq "watch exits 0" 0 "$BG_STATUS"
	assert_settles "no link left" "" links_left_of $ids
}

test_any_misuse() {
	rt_in anyplus "$NS_A" watch -i any -i lo
	assert_eq "-i any with another interface: exit 2" 2 "$RC"
	assert_eq "... one line" "rsttrace: -i any takes every interface: name no other with it" \
		"$(cat "$T/anyplus.err")"
	local pin
	mkpin pin anyattach
	rt_in anyattach "$NS_A" attach -i any --pin-path "$pin"
	assert_eq "attach -i any: exit 2" 2 "$RC"
	grep -q '^rsttrace: attach -i any: a persistent attachment does not follow' \
		"$T/anyattach.err" && ok "attach -i any: says why" || not_ok "attach -i any: says why"
	assert_eq "attach -i any: nothing pinned" "" "$(ls "$pin" 2>/dev/null)"
}

run_test test_any_follows
run_test test_any_moved
run_test test_any_misuse
finish

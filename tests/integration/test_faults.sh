#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults from outside: attach and detach killed (SIGKILL) at random points,
# and another tool detaching one of rsttrace's links. After each, status
# must succeed and say what the kernel has (compared with the kernel's own
# list, polled: links of a killed process are released asynchronously);
# then attach must converge (exit 0, every hook live, traffic counted
# exactly) and detach --all must converge (exit 0, pins gone, no program
# or link of ours left). The kill delays are drawn from a fixed seed,
# printed, so that a failure can be replayed: FAULT_SEED=N FAULT_ITER=N.
#
# Run: make && bash tests/integration/test_faults.sh [TEST...]

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)
SEED=${FAULT_SEED:-99}
ITER=${FAULT_ITER:-40}
ALL_TESTS=(t_dead_link t_missing_link t_all_dead t_kill)

# run NAME ARGS...: rsttrace in SRV (lib.sh rt_in).
run() { rt_in "$1" "$SRV" "${@:2}"; }

setup() {
	ns_pair flt || return 1
	SRV=$NS_A CLI=$NS_B IF=$VETH_A
}

# counts PIN: "SYN RSTACK" as stats --json reads them.
counts() {
	nsx "$SRV" "$R" stats --json --pin-path "$1" 2>/dev/null |
		jq -r '"\(.counters.syn) \(.counters.rstack)"' 2>/dev/null || echo ERR
}

# What status says is attached on $IF, and what the kernel has there, both
# as sorted "HOOK PROG_ID" lines; "same" when they agree.
status_view() {
	nsx "$SRV" "$R" status --json --pin-path "$1" 2>/dev/null | jq -r '
		.interfaces[]? | select(.this_netns) | .hooks[] | select(.attached) |
		(if .hook == "xdp" then "xdp_\(.xdp_mode)"
		 elif .direction == "in" then "tcx_ingress" else "tcx_egress" end) +
		" \(.prog_id)"' | sort
}
kernel_view() {
	nsx "$SRV" "$IFPROGS" "$IF" 2>/dev/null | awk '$3 ~ /^rst_/ { print $2, $4 }' | sort
}
views_agree() {
	local s k
	s=$(status_view "$1")
	k=$(kernel_view)
	if [ "$s" == "$k" ]; then echo same; else echo "status: [${s//$'\n'/, }] kernel: [${k//$'\n'/, }]"; fi
}

# Every program id of ours ever seen: pinned, or attached on $IF.
SEEN=()
note_ids() {
	local f id
	for f in "$1"/progs/*; do
		[ -e "$f" ] || continue
		id=$(bpftool prog show pinned "$f" -j 2>/dev/null | jq -r '.id // empty')
		[ -n "$id" ] && SEEN+=("$id")
	done
	for id in $(kernel_view | awk '{ print $2 }'); do SEEN+=("$id"); done
}
seen_left() { progs_left_of "${SEEN[@]}"; }
links_left() { links_left_of "${SEEN[@]}"; }

# hook_link ST HOOK: link id of that hook in status --json output ST.
hook_link() {
	jqf "$1" "[.interfaces[0].hooks[] | select(.hook == \"$2\") | .link_id][0]"
}

# The refused connection: SYN in (XDP), RST-ACK out (tcx).
refuse_once() {
	refuse "$CLI" "$IP4_A" 9
}

# converge PIN NAME: attach succeeds, every hook live, a refused
# connection counts exactly once on each hook; then detach --all leaves
# nothing.
converge() {
	local pin=$1 what=$2 before after
	run "${what}_att" attach -i "$IF" --pin-path "$pin"
	assert_eq "$what: attach converges (exit 0)" 0 "$RC"
	[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/${what}_att.err" | head -5
	run "${what}_st" status --json --pin-path "$pin"
	assert_eq "$what: status: xdp in and tcx out, both attached" \
		'["xdp/in/true","tcx/out/true"]' \
		"$(jqf "$T/${what}_st.out" '[.interfaces[0].hooks[] | "\(.hook)/\(.direction)/\(.attached)"]')"
	assert_settles "$what: status says what the kernel has" same views_agree "$pin"
	before=$(counts "$pin")
	refuse_once
	after=$(counts "$pin")
	assert_eq "$what: a refused connection counts: SYN in, RST-ACK out" \
		"$(echo "$before" | awk '{ print $1 + 1, $2 + 1 }')" "$after"
	note_ids "$pin"
	run "${what}_det" detach --all --pin-path "$pin"
	assert_eq "$what: detach --all converges (exit 0), pins gone" "0 no" \
		"$RC $([ -e "$pin" ] && echo yes || echo no)"
	assert_settles "$what: nothing of ours attached" "" kernel_view
}

# Another tool detaches rsttrace's XDP link (`bpftool link detach`): status
# names the dead hook, attach repairs it (not "already attached"), keeps
# the live tcx link, and ingress counts again.
t_dead_link() {
	local P xdp tcx before
	mkpin P dead
	run d_att attach -i "$IF" --pin-path "$P"
	assert_eq "dead link: attach exit 0" 0 "$RC"
	run d_st1 status --json --pin-path "$P"
	xdp=$(hook_link "$T/d_st1.out" xdp)
	tcx=$(hook_link "$T/d_st1.out" tcx)
	note_ids "$P"
	bpftool link detach id "$xdp"
	run d_st2 status --json --pin-path "$P"
	assert_eq "dead link: status --json: xdp not attached, tcx attached, interface not gone" \
		'[false,true] false' \
		"$(jqf "$T/d_st2.out" '[.interfaces[0].hooks[].attached]') $(jqf "$T/d_st2.out" '.interfaces[0].gone')"
	run d_st3 status --pin-path "$P"
	assert_eq "dead link: status text names the dead xdp hook" 1 \
		"$(grep -E "^$IF .* xdp .* DETACHED" "$T/d_st3.out" | wc -l)"
	before=$(counts "$P")
	refuse_once
	assert_eq "dead link: while dead, the SYN in is not seen, the RST-ACK out is" \
		"$(echo "$before" | awk '{ print $1, $2 + 1 }')" "$(counts "$P")"
	run d_rep attach -i "$IF" --pin-path "$P"
	assert_eq "dead link: attach exit 0, says it repaired the xdp link, not 'already attached'" \
		"0 1 0" \
		"$RC $(grep -c "^rsttrace: $IF: repaired: xdp in link was dead$" "$T/d_rep.err") $(grep -c 'already attached' "$T/d_rep.out")"
	run d_st4 status --json --pin-path "$P"
	assert_eq "dead link: repaired: both attached, a new xdp link, the same tcx link" \
		"[true,true] true $tcx" \
		"$(jqf "$T/d_st4.out" '[.interfaces[0].hooks[].attached]') $([ "$(hook_link "$T/d_st4.out" xdp)" != "$xdp" ] && echo true || echo false) $(hook_link "$T/d_st4.out" tcx)"
	before=$(counts "$P")
	refuse_once
	assert_eq "dead link: repaired: a refused connection counts, SYN in and RST-ACK out" \
		"$(echo "$before" | awk '{ print $1 + 1, $2 + 1 }')" "$(counts "$P")"
	run d_again attach -i "$IF" --pin-path "$P"
	assert_eq "dead link: attach once more: already attached, nothing repaired" "0 1 0" \
		"$RC $(grep -c 'already attached' "$T/d_again.out") $(grep -c repaired "$T/d_again.err")"
	run d_det detach --all --pin-path "$P"
	assert_eq "dead link: detach --all exit 0, pins gone" "0 no" \
		"$RC $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "dead link: nothing of ours attached" "" kernel_view
}

# An attach killed between pinning its XDP link and its tcx link leaves a
# record without tcx_out (the unpinned link dies with the process): the
# next attach adds what is missing.
t_missing_link() {
	local P
	mkpin P miss
	run m_att attach -i "$IF" --pin-path "$P"
	assert_eq "missing link: attach exit 0" 0 "$RC"
	note_ids "$P"
	rm "$P"/links/*/tcx_out
	assert_settles "missing link: the unpinned tcx link is gone" "xdp_native" \
		bash -c "nsenter --net=/run/netns/$SRV $IFPROGS $IF | awk '\$3 ~ /^rst_/ { print \$2 }'"
	run m_rep attach -i "$IF" --pin-path "$P"
	assert_eq "missing link: attach exit 0, says it added the tcx out link" "0 1" \
		"$RC $(grep -c "^rsttrace: $IF: repaired: tcx out link was missing$" "$T/m_rep.err")"
	converge "$P" "missing link"
}

# Both links detached by another tool: the record is not "gone" (the
# interface is here), and attach repairs both.
t_all_dead() {
	local P id
	mkpin P alld
	run a_att attach -i "$IF" --pin-path "$P"
	run a_st1 status --json --pin-path "$P"
	note_ids "$P"
	for id in $(jqf "$T/a_st1.out" '.interfaces[0].hooks[].link_id' | tr -d '"'); do
		bpftool link detach id "$id"
	done
	run a_st2 status --json --pin-path "$P"
	assert_eq "all links dead: status: not gone, no hook attached" "false [false,false]" \
		"$(jqf "$T/a_st2.out" '.interfaces[0].gone') $(jqf "$T/a_st2.out" '[.interfaces[0].hooks[].attached]')"
	run a_rep attach -i "$IF" --pin-path "$P"
	assert_eq "all links dead: attach repairs both" "0 2" \
		"$RC $(grep -c "^rsttrace: $IF: repaired: .* link was dead$" "$T/a_rep.err")"
	converge "$P" "all links dead"
}

# ms_of CMD...: how long CMD takes, in ms.
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# SIGKILL attach and detach at random points. The delay is drawn up to a
# little more than a whole run of each, measured here (a fresh attach
# loads the programs, ~0.5 s on the test VM; a detach takes tens of ms),
# so that kills land in every phase: loading, pinning, linking, unpinning.
t_kill() {
	local P i op delay pid max_att max_det bad_status=0 bad_view=0 first="" v t_end
	local repairs=0 bad_repair=0
	STATES=()
	mkpin P kill
	RANDOM=$SEED
	diag "seed $SEED ($ITER kills; replay with FAULT_SEED=$SEED FAULT_ITER=$ITER)"
	max_att=$(($(ms_of nsx "$SRV" "$R" attach -i "$IF" --pin-path "$P") * 12 / 10 + 10))
	note_ids "$P"
	max_det=$(($(ms_of nsx "$SRV" "$R" detach --all --pin-path "$P") * 12 / 10 + 10))
	diag "kill delays: attach 0-$max_att ms, detach 0-$max_det ms"
	t_end=$((SECONDS + 75))
	for i in $(seq 1 "$ITER"); do
		[ $SECONDS -lt $t_end ] || {
			diag "time budget spent after $((i - 1)) kills"
			break
		}
		case $((RANDOM % 3)) in
		0) op=(attach -i "$IF") delay=$((RANDOM % max_att)) ;;
		1) op=(detach --all) delay=$((RANDOM % max_det)) ;;
		2) op=(detach -i "$IF") delay=$((RANDOM % max_det)) ;;
		esac
		nsenter --net="/run/netns/$SRV" -- "$R" "${op[@]}" --pin-path "$P" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' "$delay")"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		note_ids "$P"
		if nsx "$SRV" "$R" status --json --pin-path "$P" >"$T/k_st.out" 2>"$T/k_st.err"; then
			STATES+=("$(jq -r 'if .unfinished then "unfinished" elif .attached | not then
				(if .programs then "set-no-iface" else "nothing" end) else
				[.interfaces[].hooks[] | "\(.hook)-\(.direction)-\(if .attached then "live" else "dead" end)"] |
				join("+") end' "$T/k_st.out" 2>/dev/null || echo unparsed)")
		else
			bad_status=$((bad_status + 1))
			[ -z "$first" ] && first="kill $i (${op[*]} after $delay ms): status failed: $(head -1 "$T/k_st.err")"
		fi
		# Bounded: the kernel releases a dead process's links within moments.
		for _ in $(seq 1 30); do
			v=$(views_agree "$P")
			[ "$v" == same ] && break
			sleep 0.1
		done
		if [ "$v" != same ]; then
			bad_view=$((bad_view + 1))
			[ -z "$first" ] && first="kill $i (${op[*]} after $delay ms): $v"
		fi
		# A half-detached record (a link dead or missing): attach must
		# make it whole from here.
		case ${STATES[${#STATES[@]} - 1]:-} in
		xdp-in-live+tcx-out-live) ;;
		xdp-* | tcx-*)
			repairs=$((repairs + 1))
			nsx "$SRV" "$R" attach -i "$IF" --pin-path "$P" >/dev/null 2>&1
			v=$(nsx "$SRV" "$R" status --json --pin-path "$P" 2>/dev/null |
				jq -c '[.interfaces[].hooks[] | "\(.hook)/\(.attached)"]')
			if [ "$v" != '["xdp/true","tcx/true"]' ]; then
				bad_repair=$((bad_repair + 1))
				[ -z "$first" ] && first="kill $i: attach left $v"
			fi
			note_ids "$P"
			;;
		esac
	done
	# Which states the kills left, to see that they land in every phase.
	diag "states after the kills: $(printf '%s\n' "${STATES[@]}" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
	assert_eq "kills: status exits 0 after every kill" 0 "$bad_status"
	assert_eq "kills: status says what the kernel has after every kill" 0 "$bad_view"
	assert_eq "kills: attach made each half-detached record whole ($repairs of them)" 0 \
		"$bad_repair"
	[ -n "$first" ] && diag "first failure: $first"
	converge "$P" "after the kills"
	assert_settles "after the kills: no program of ours left loaded" "" seen_left
	assert_settles "after the kills: no link of ours left" "" links_left
}

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
for t in "${@:-${ALL_TESTS[@]}}"; do
	run_test "$t"
done
finish

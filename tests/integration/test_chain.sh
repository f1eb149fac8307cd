#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rsttrace next to another tool's programs on the same hooks, in test
# namespaces only. On tcx a program's verdict other than TCX_NEXT ends the
# chain: a foreign program that returns TCX_PASS (0, = TC_ACT_OK) before
# rsttrace's hides every packet from it. So rsttrace attaches at the head
# of the chain (watch and attach), warns when another tool attaches before
# it later (a running watch, the next attach, status), and when another
# program holds the XDP hook the refusal names it and says what to do.
# The foreign tcx programs are attached by tests/tools/tcxattach and held by
# pins in a pin_dir; the EXIT trap removes them with the namespaces.
#
# Run: make && bash tests/integration/test_chain.sh

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)
TCXATTACH=${TCXATTACH:-$(dirname "$RSTTRACE")/tests/tcxattach}
N=5 # resets per direction

FP=$(pin_dir foreign)
mkdir -p "$FP"

# run NAME NS ARGS...: see lib.sh rt_in.
run() { rt_in "$@"; }


# foreign NS IFACE in|out head|tail PIN: the foreign TC program on a tcx hook; its prog id in FID.
foreign() {
	local out
	out=$(nsx "$1" "$TCXATTACH" "$T/foreign.o" foreign_pass "$2" "$3" "$4" "$FP/$5" 2>&1) ||
		{ diag "tcxattach: $out"; FID=; return 1; }
	FID=${out%% *}
}

# chain NS IFACE HOOK: the names on a tcx hook in run order (ifprogs lists the kernel's order).
chain() {
	nsx "$1" "$IFPROGS" "$2" | awk -v h="$3" '$2 == h { printf "%s%s", s, $3; s = " " }'
}

# ids_on NS IFACE: the ids of every program on IFACE's hooks, XDP then tcx in, tcx out, in run order.
ids_on() {
	nsx "$1" "$IFPROGS" "$2" | awk '{ printf "%s%s", s, $4; s = " " } END { print "" }'
}

# resets NS_LOCAL IP_LOCAL NS_PEER IP_PEER: N refused connections each way, so
# NS_LOCAL's interface sends N RST-ACKs (egress) and receives N (ingress).
resets() {
	local i
	for i in $(seq 1 $N); do
		refuse "$3" "$2" 9
		refuse "$1" "$4" 9
	done
}

# start_watch OUTFILE NS ARGS...: watch in NS; waits until attached.
start_watch() {
	local out=$1 ns=$2
	shift 2
	bg_start W_PID nsx "$ns" "$R" watch "$@" >"$out" 2>"$out.err"
	wait_for 10 grep -q 'watching' "$out.err"
}

# dir_rstack FILE DIR: RST-ACKs counted on DIR (stats --json).
dir_rstack() {
	jqf "$1" "[.interfaces[] | select(.direction == \"$2\") | .rstack] | add"
}

setup() {
	cat >"$T/foreign.c" <<'EOF'
#include <linux/bpf.h>
#define SEC(n) __attribute__((section(n), used))
/* 0 is TCX_PASS (and TC_ACT_OK): the packet goes on, the tcx chain ends here. */
SEC("tc") int foreign_pass(struct __sk_buff *s) { return 0; }
SEC("xdp") int foreign_xdp(struct xdp_md *c) { return XDP_PASS; }
char _license[] SEC("license") = "GPL";
EOF
	# Named as libxdp names the program that owns the hook for its chain.
	cat >"$T/dispatcher.c" <<'EOF'
#include <linux/bpf.h>
#define SEC(n) __attribute__((section(n), used))
SEC("xdp") int xdp_dispatcher(struct xdp_md *c) { return XDP_PASS; }
char _license[] SEC("license") = "GPL";
EOF
	local f
	for f in foreign dispatcher; do
		clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$T/$f.c" \
			-o "$T/$f.o" 2>>"$T/clang.err" || return 1
	done
}

# A foreign program that passes every packet is first on both tcx hooks:
# watch goes before it and sees every reset (the old code, appended
# last, saw none).
t_watch_first() {
	local fin fout
	ns_pair wf || return 1
	foreign "$NS_A" "$VETH_A" in tail w_in && fin=$FID
	foreign "$NS_A" "$VETH_A" out tail w_out && fout=$FID
	assert_eq "foreign programs alone on tcx in and out" "foreign_pass foreign_pass" \
		"$(chain "$NS_A" "$VETH_A" tcx_ingress) $(chain "$NS_A" "$VETH_A" tcx_egress)"
	start_watch "$T/w.txt" "$NS_A" -i "$VETH_A" --hook tc -t --rate-limit 0 ||
		{ not_ok "watch attached"; sed 's/^/# /' "$T/w.txt.err"; return; }
	assert_eq "watch: rsttrace first on both tcx hooks" \
		"rst_tc_ingress foreign_pass|rst_tc_egress foreign_pass" \
		"$(chain "$NS_A" "$VETH_A" tcx_ingress)|$(chain "$NS_A" "$VETH_A" tcx_egress)"
	resets "$NS_A" "$IP4_A" "$NS_B" "$IP4_B"
	wait_for 5 test "$(grep -c . "$T/w.txt")" -ge $((2 * N))
	sleep 0.3
	bg_stop "$W_PID" INT
	assert_eq "watch: all $N egress and $N ingress RSTs behind a TCX_PASS program" "$N $N" \
		"$(grep -c "^IP $IP4_A\.9 > $IP4_B\.[0-9]*: Flags \[R\.\]" "$T/w.txt") $(grep -c "^IP $IP4_B\.9 > $IP4_A\.[0-9]*: Flags \[R\.\]" "$T/w.txt")"
	assert_eq "watch: the kernel counted them all" "$((2 * N)) RSTs counted by the kernel (0 RST, $((2 * N)) RST-ACK)" \
		"$(grep 'RSTs counted by the kernel' "$T/w.txt.err")"
	assert_eq "watch: no order warning when it runs first" 0 "$(grep -c WARNING "$T/w.txt.err")"
	assert_settles "watch gone: the foreign programs alone again, same ids" \
		"$fin $fout" ids_on "$NS_A" "$VETH_A"
}

# The same for a persistent attach; then another tool attaches before
# rsttrace (BPF_F_BEFORE): status shows the order and warns, the next
# attach warns, and the counts show why it matters.
t_attach_first() {
	local P fin fout fhead
	ns_pair af || return 1
	pin_dir attach >/dev/null
	P=${_PINS[${#_PINS[@]} - 1]}
	foreign "$NS_A" "$VETH_A" in tail a_in && fin=$FID
	foreign "$NS_A" "$VETH_A" out tail a_out && fout=$FID
	run att "$NS_A" attach -i "$VETH_A" --hook tc --pin-path "$P"
	assert_eq "attach behind foreign programs: exit 0, no warning" "0 0" \
		"$RC $(grep -c WARNING "$T/att.err")"
	run st "$NS_A" status --json --pin-path "$P"
	assert_eq "status --json: rsttrace first on both hooks, the foreign one after it" \
		'[[1,0,["this","foreign"],["rst_tc_ingress","foreign_pass"]],[1,0,["this","foreign"],["rst_tc_egress","foreign_pass"]]]' \
		"$(jqf "$T/st.out" '[.interfaces[0].hooks[] | [.position, .foreign_before, [.chain[].owner], [.chain[].name]]]')"
	assert_eq "status --json: the foreign ids in the chain" "[$fin,$fout]" \
		"$(jqf "$T/st.out" '[.interfaces[0].hooks[].chain[1].prog_id]')"
	resets "$NS_A" "$IP4_A" "$NS_B" "$IP4_B"
	run s1 "$NS_A" stats --json --pin-path "$P"
	assert_eq "attach: all $N egress and $N ingress RSTs counted" "$N $N" \
		"$(dir_rstack "$T/s1.out" out) $(dir_rstack "$T/s1.out" in)"

	# Another tool puts its program at the head of egress, after us.
	foreign "$NS_A" "$VETH_A" out head a_head && fhead=$FID
	assert_eq "the later foreign program is first on egress now" \
		"foreign_pass rst_tc_egress foreign_pass" "$(chain "$NS_A" "$VETH_A" tcx_egress)"
	run st2 "$NS_A" status --pin-path "$P"
	assert_eq "status: egress order with ids, and a warning" \
		"  $VETH_A out  foreign_pass (prog $fhead) -> rst_tc_egress (prog $(jqf "$T/st.out" '.interfaces[0].hooks[1].prog_id'), this attachment) -> foreign_pass (prog $fout)  WARNING: 1 program of another tool runs before rsttrace" \
		"$(grep -E "^  $VETH_A +out " "$T/st2.out" | sed -E "s/^  $VETH_A +out /  $VETH_A out /")"
	assert_eq "status: ingress order unchanged, no warning" 1 \
		"$(grep -E "^  $VETH_A +in +rst_tc_ingress \(prog [0-9]+, this attachment\) -> foreign_pass \(prog $fin\)$" "$T/st2.out" | wc -l)"
	run st3 "$NS_A" status --json --pin-path "$P"
	assert_eq "status --json: egress position 2 after 1 foreign program" \
		"[2,1,[$fhead,\"foreign\"]]" \
		"$(jqf "$T/st3.out" '.interfaces[0].hooks[1] | [.position, .foreign_before, [.chain[0].prog_id, .chain[0].owner]]')"
	run att2 "$NS_A" attach -i "$VETH_A" --hook tc --pin-path "$P"
	assert_eq "attach again: exit 0, nothing changed, one warning naming the program and hook" \
		"0 1 1" \
		"$RC $(grep -c 'already attached' "$T/att2.out") $(grep -c "^rsttrace: $VETH_A: WARNING: tcx egress: program $fhead (foreign_pass) of another tool runs before rsttrace's" "$T/att2.err")"
	assert_eq "attach again: no warning for ingress" 0 "$(grep -c 'tcx ingress' "$T/att2.err")"
	# What the warning is about: the egress resets no longer reach rsttrace.
	resets "$NS_A" "$IP4_A" "$NS_B" "$IP4_B"
	run s2 "$NS_A" stats --json --pin-path "$P"
	assert_eq "behind the TCX_PASS program egress counts nothing more; ingress all" \
		"$N $((2 * N))" "$(dir_rstack "$T/s2.out" out) $(dir_rstack "$T/s2.out" in)"

	run det "$NS_A" detach --all --pin-path "$P"
	assert_eq "detach --all: exit 0" 0 "$RC"
	assert_settles "detach: only the three foreign programs left, same ids" \
		"$fin $fhead $fout" ids_on "$NS_A" "$VETH_A"
}

# A running watch is told when another tool attaches before it.
t_watch_warns_later() {
	local fhead n
	ns_pair wl || return 1
	start_watch "$T/wl.txt" "$NS_A" -i "$VETH_A" --hook tc ||
		{ not_ok "watch attached"; sed 's/^/# /' "$T/wl.txt.err"; return; }
	foreign "$NS_A" "$VETH_A" in head l_in && fhead=$FID
	if wait_for 5 grep -q "WARNING: tcx ingress" "$T/wl.txt.err"; then
		ok "running watch warns when a program is attached before it"
	else
		not_ok "running watch warns when a program is attached before it"
		sed 's/^/# /' "$T/wl.txt.err"
	fi
	assert_eq "the warning names the program and the hook" 1 \
		"$(grep -c "^rsttrace: $VETH_A: WARNING: tcx ingress: program $fhead (foreign_pass) of another tool runs before rsttrace's" "$T/wl.txt.err")"
	sleep 2.2 # two more checks: an unchanged chain is not warned about again
	n=$(grep -c WARNING "$T/wl.txt.err")
	bg_stop "$W_PID" INT
	assert_eq "warned once; watch exits 0" "1 0" "$n $BG_STATUS"
	assert_settles "watch gone: only the foreign program left" "$fhead" ids_on "$NS_A" "$VETH_A"
}

# expect_one_line NAME STATUS LINE CMD...: exit STATUS, stderr exactly LINE.
expect_one_line() {
	local name=$1 want=$2 line=$3 rc
	shift 3
	nsx "$NS_A" "$@" >"$T/e.out" 2>"$T/e.err"
	rc=$?
	assert_eq "$name" "$want|$line" "$rc|$(cat "$T/e.err")"
}

# Another program holds the XDP hook: refused, named, with the way out.
t_xdp_held() {
	local P id
	ns_pair xh || return 1
	pin_dir xdp >/dev/null
	P=${_PINS[${#_PINS[@]} - 1]}
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric obj "$T/foreign.o" sec xdp
	id=$(nsx "$NS_A" "$IFPROGS" "$VETH_A" | awk '$2 == "xdp_generic" { print $4 }')
	local msg="rsttrace: $VETH_A: XDP hook held by program $id (foreign_xdp, generic mode); rsttrace will not replace it: use --hook tc (ingress then seen at TC, after that program's verdict)"
	expect_one_line "attach: exit 1, names the holder and the way out" 1 "$msg" \
		"$R" attach -i "$VETH_A" --pin-path "$P"
	expect_one_line "watch: exit 1, the same line" 1 "$msg" "$R" watch -i "$VETH_A"
	assert_eq "refused attach leaves no pin" no "$([ -e "$P" ] && echo yes || echo no)"
	run tc "$NS_A" attach -i "$VETH_A" --hook tc --pin-path "$P"
	assert_eq "--hook tc, as the hint says, attaches" 0 "$RC"
	run tcdet "$NS_A" detach --all --pin-path "$P"
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric off
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric obj "$T/dispatcher.o" sec xdp
	id=$(nsx "$NS_A" "$IFPROGS" "$VETH_A" | awk '$2 == "xdp_generic" { print $4 }')
	expect_one_line "libxdp's dispatcher: said so, with the way out" 1 \
		"rsttrace: $VETH_A: XDP hook held by program $id (xdp_dispatcher, generic mode); rsttrace will not replace it: it is libxdp's dispatcher (\`xdp-loader status\` lists its programs), which rsttrace cannot join: use --hook tc" \
		"$R" attach -i "$VETH_A" --pin-path "$P"
	assert_eq "the XDP program is untouched" "$VETH_A xdp_generic xdp_dispatcher $id" \
		"$(nsx "$NS_A" "$IFPROGS" "$VETH_A")"
	ip -n "$NS_A" link set dev "$VETH_A" xdpgeneric off
	assert_settles "no program of ours left" "" bpf_progs_in "$NS_A"
}

for tool in "$IFPROGS" "$TCXATTACH"; do
	if [ ! -x "$tool" ]; then
		not_ok "harness tool $tool built (make test)"
		finish
		exit 1
	fi
done
setup || {
	not_ok "foreign programs compiled"
	sed 's/^/# /' "$T/clang.err"
	finish
	exit 1
}
run_test t_watch_first
run_test t_attach_first
run_test t_watch_warns_later
run_test t_xdp_held
finish

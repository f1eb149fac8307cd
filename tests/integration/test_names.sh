#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Names chosen by someone else reach rsttrace's output: an interface may be
# called ESC ] 0 ; ... BEL (the kernel only refuses '/', ':' and blanks),
# a pin path is whatever the user typed. No control byte of such a name may
# reach a terminal raw, in any text output or message: they are written as
# \xNN, as tcpdump escapes unprintable bytes. JSON escapes them its way.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)

ns_pair nm || { not_ok "netns setup"; finish; exit 1; }
P=$(pin_dir names)
# 15 bytes: ESC ] 0 ; p w n BEL ESC [ 3 1 m x y, a title change and a colour.
EVIL=$'\e]0;pwn\a\e[31mxy'
EVIL_ESC='\x1b]0;pwn\x07\x1b[31mxy'

# raw_controls FILE: the control bytes in FILE other than newline, as hex.
raw_controls() {
	LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C tr -dc '\000-\037\177' | od -An -tx1 | tr -d ' \n'
}

# check NAME FILE: no raw control byte; the name is there, escaped.
check() {
	local got
	got=$(raw_controls "$2")
	if [ -z "$got" ] && grep -qF -- "$EVIL_ESC" "$2"; then
		ok "$1: the name escaped as \\xNN, no raw control byte"
	else
		not_ok "$1: the name escaped as \\xNN, no raw control byte"
		diag "raw control bytes: ${got:-none}; escaped name present: $(grep -cF -- "$EVIL_ESC" "$2")"
	fi
}

setup() {
	# A second veth pair between the test hosts, with the hostile name on
	# NS_A's side, so traffic crosses it and it shows in stats.
	ip -n "$NS_A" link add "$EVIL" type veth peer name "np${_TAG}" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add 10.202.1.1/24 dev "$EVIL"
	ip -n "$NS_B" addr add 10.202.1.2/24 dev "np${_TAG}"
	ip -n "$NS_A" link set "$EVIL" up
	ip -n "$NS_B" link set "np${_TAG}" up
	nsx "$NS_B" ping -c1 -W2 10.202.1.1 >/dev/null 2>&1
	return 0
}

# Every test below but t_watch reads this attachment; setup makes it, so
# that each test can also run alone (TESTS=t_readers).
attach_both() {
	nsx "$NS_A" "$RSTTRACE" attach -i "$EVIL" -i "$VETH_A" --pin-path "$P" >"$T/a.out" 2>&1
	ATTACH_RC=$?
}

t_attach_messages() {
	assert_eq "attach on an interface named with ESC/BEL: exit 0" 0 "$ATTACH_RC"
	# Attaching it again says it is already attached, by name.
	nsx "$NS_A" "$RSTTRACE" attach -i "$EVIL" --pin-path "$P" >>"$T/a.out" 2>&1
	check "attach messages" "$T/a.out"
}

t_readers() {
	refuse "$NS_B" 10.202.1.1 9
	nsx "$NS_A" "$RSTTRACE" status --pin-path "$P" >"$T/st.out" 2>&1
	check "status" "$T/st.out"
	nsx "$NS_A" "$RSTTRACE" stats --pin-path "$P" >"$T/stats.out" 2>&1
	check "stats" "$T/stats.out"
	nsx "$NS_A" "$RSTTRACE" flows --pin-path "$P" >"$T/flows.out" 2>&1
	check "flows" "$T/flows.out"
	nsx "$NS_A" "$RSTTRACE" status --json --pin-path "$P" >"$T/st.json" 2>&1
	assert_eq "status --json: the name as JSON has it" "$EVIL" \
		"$(jq -r '.interfaces[] | select(.iface | startswith("\u001b")) | .iface' "$T/st.json")"
}

# watch on two interfaces prints tcpdump's -i any prefix with the name.
t_watch() {
	bg_start WP nsx "$NS_A" "$RSTTRACE" watch -i "$EVIL" -i "$VETH_A" --hook tc -v -d \
		--duration 20 >"$T/w.out" 2>"$T/w.err"
	wait_for 10 grep -q watching "$T/w.err"
	refuse "$NS_B" 10.202.1.1 9
	sleep 0.5
	bg_stop "$WP" INT
	cat "$T/w.err" >>"$T/w.out"
	check "watch lines and messages" "$T/w.out"
}

t_errors() {
	# A name that is not there, typed with control bytes: the one-line
	# error must not replay them.
	nsx "$NS_A" "$RSTTRACE" watch -i $'no\e[2Jsuch' --duration 1 >"$T/e.out" 2>"$T/e.err"
	assert_eq "watch -i with ESC in a missing name: exit 2, escaped" "2 yes ''" \
		"$? $(grep -qF 'no\x1b[2Jsuch' "$T/e.err" && echo yes) '$(raw_controls "$T/e.err")'"
	nsx "$NS_A" "$RSTTRACE" status --pin-path $'/sys/fs/bpf/\anope' >"$T/p.out" 2>&1
	assert_eq "status --pin-path with BEL: escaped in what it says" "''" \
		"'$(raw_controls "$T/p.out")'"
}

t_detach() {
	nsx "$NS_A" "$RSTTRACE" detach -i "$EVIL" --pin-path "$P" >"$T/d.out" 2>&1
	assert_eq "detach by the hostile name: exit 0" 0 $?
	nsx "$NS_A" "$RSTTRACE" detach --all --pin-path "$P" >>"$T/d.out" 2>&1
	check "detach messages" "$T/d.out"
	assert_settles "nothing of ours left attached" "" bpf_progs_in "$NS_A"
}

setup || { not_ok "hostile interface setup"; finish; exit 1; }
attach_both
run_test t_attach_messages
run_test t_readers
run_test t_errors
run_test t_detach
run_test t_watch
finish

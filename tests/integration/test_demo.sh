#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `rsttrace demo` (what `make run` shows): it must trace the resets it makes
# (refused over IPv4 and IPv6, abortive closes, data to a closed socket),
# print the per-host summary from the kernel maps, and remove every
# namespace it created.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)

test_demo() {
	local before after rc
	before=$(ip netns list | grep -c '^rst[0-9]*-\(srv\|cli\)')
	timeout 60 "$RSTTRACE" demo >"$T/demo.out" 2>"$T/demo.err"
	rc=$?
	assert_eq "demo exits 0" 0 "$rc"
	[ $rc -ne 0 ] && sed 's/^/# /' "$T/demo.err" | head
	# Five resets: refused v4, refused v6, server abort, data to closed, client abort.
	assert_eq "five RST events printed" 5 "$(grep -c 'Flags \[R' "$T/demo.out")"
	grep -q 'IP 10.200.0.1.9 > 10.200.0.2.[0-9]*: Flags \[R.\], seq 0, ack [0-9]*, win 0, length 0 ttl 64 id 0 hook tc-out' \
		"$T/demo.out" && ok "refused IPv4 line" || not_ok "refused IPv4 line"
	grep -q 'IP6 fd00:200::1.9 > fd00:200::2.[0-9]*: Flags \[R.\]' "$T/demo.out" &&
		ok "refused IPv6 line" || not_ok "refused IPv6 line"
	grep -q 'IP6 fd00:200::2.[0-9]* > fd00:200::1.8080: Flags \[R.\].*hook xdp class abort stage handshake conn RSTO$' "$T/demo.out" &&
		ok "client abort seen on ingress (XDP)" || not_ok "client abort seen on ingress (XDP)"
	assert_eq "classes in order" "refused refused abort after_fin abort" \
		"$(grep -o ' class [a-z_]*' "$T/demo.out" | awk '{ printf "%s%s", sep, $2; sep = " " }')"
	assert_eq "kernel counters line" \
		"5 events; kernel counted 1 RST, 4 RST-ACK" \
		"$(grep -o '^5 events; kernel counted [0-9]* RST, [0-9]* RST-ACK' "$T/demo.out")"
	# Per-host summary: fd00:200::2 sent one RST in and got one out.
	assert_eq "host summary row for the IPv6 client" "fd00:200::2 1 1 2 0" \
		"$(awk '$1 == "fd00:200::2" { print $1, $2, $3, $4, $5 }' "$T/demo.out")"
	assert_eq "host summary row for the IPv4 client" "10.200.0.2 0 3 3 0" \
		"$(awk '$1 == "10.200.0.2" { print $1, $2, $3, $4, $5 }' "$T/demo.out")"
	after=$(ip netns list | grep -c '^rst[0-9]*-\(srv\|cli\)')
	assert_eq "demo removed its namespaces" "$before" "$after"
}

run_test test_demo
finish

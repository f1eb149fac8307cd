#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared netns harness for the integration tests. Source it, then call
# `ns_pair NAME` to get two test hosts joined by a veth pair, run test
# functions with `run_test`, and finish with `finish`. Output is TAP.
#
# Safety: everything happens inside namespaces this script creates; the
# root namespace's interfaces are never touched. The EXIT trap kills only
# the processes started through `bg_start` (by PID), deletes only the
# namespaces made by `ns_pair`, and removes only the pin directories made
# through `pin_dir`, even when a test fails or the script is interrupted.

set -u
RSTTRACE=${RSTTRACE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/${OUT:-build}/rsttrace}
TAP_N=0
TAP_FAILED=0
_NS_MADE=()
_PIDS=()
_PINS=()
_TMP=$(mktemp -d /tmp/rsttrace-test.XXXXXX)
# Short unique tag: interface names are limited to 15 bytes.
_TAG=$(printf '%05d' $(($$ % 100000)))
# serve and watch --attached keep their consumer lock and event socket here,
# not in /run/rsttrace (consumer.h): a test leaves nothing behind.
export RSTTRACE_RUN_DIR="$_TMP/run"
# Never attach in the namespace the tests run from, the machine's own (eth0),
# whatever goes wrong with a test's: rsttrace refuses to (user/kernel/attach.c).
# Its name from our own /proc entry: /proc/1/ns may not be readable here.
RSTTRACE_GUARD_NETNS=$(readlink /proc/self/ns/net) || RSTTRACE_GUARD_NETNS=unreadable
export RSTTRACE_GUARD_NETNS

cleanup() {
	local p ns d
	for p in "${_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${_NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Every pin_dir of this run shares the prefix, also those made in a
	# $(pin_dir ...) subshell whose _PINS entry did not reach us.
	for d in "${_PINS[@]}" /sys/fs/bpf/rsttrace-test-"${_TAG}"-*; do
		[ -d "$d" ] && rm -rf "$d"
	done
	rm -rf "$_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tmpdir() { echo "$_TMP"; }

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

diag() { echo "# $*"; }

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $2"
		diag "got:      $3"
	fi
}

# assert_cmd NAME CMD...: passes when CMD exits 0
assert_cmd() {
	local name=$1
	shift
	if "$@" >"$_TMP/assert.out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		diag "command failed: $*"
		sed 's/^/# /' "$_TMP/assert.out" | head -20
	fi
}

# assert_files_equal NAME EXPECTED_FILE ACTUAL_FILE
assert_files_equal() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$2" "$3" | head -40 | sed 's/^/# /'
	fi
}

# ns_pair NAME: two namespaces ${NAME}a / ${NAME}b (the test hosts), veth
# ends va / vb named in NS_A, NS_B, VETH_A, VETH_B, addresses
# 10.201.N.1-2/24 and fd00:201:N::1-2/64 (N = per-call index).
_NS_IDX=0
ns_pair() {
	local base=$1 a b
	_NS_IDX=$((_NS_IDX + 1))
	NS_A="rt${_TAG}${base}a"
	NS_B="rt${_TAG}${base}b"
	VETH_A="ta${_TAG}${_NS_IDX}"
	VETH_B="tb${_TAG}${_NS_IDX}"
	IP4_A="10.201.${_NS_IDX}.1"
	IP4_B="10.201.${_NS_IDX}.2"
	IP6_A="fd00:201:${_NS_IDX}::1"
	IP6_B="fd00:201:${_NS_IDX}::2"
	for ns in "$NS_A" "$NS_B"; do
		ip netns add "$ns" || return 1
		_NS_MADE+=("$ns")
		ip -n "$ns" link set lo up
	done
	ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add "$IP4_A/24" dev "$VETH_A"
	ip -n "$NS_B" addr add "$IP4_B/24" dev "$VETH_B"
	ip -n "$NS_A" addr add "$IP6_A/64" dev "$VETH_A" nodad
	ip -n "$NS_B" addr add "$IP6_B/64" dev "$VETH_B" nodad
	ip -n "$NS_A" link set "$VETH_A" up
	ip -n "$NS_B" link set "$VETH_B" up
	# Neighbours resolved up front, so no ARP/ND happens during a test.
	ip netns exec "$NS_A" ping -c1 -W2 "$IP4_B" >/dev/null 2>&1
	ip netns exec "$NS_A" ping -6 -c1 -W2 "$IP6_B" >/dev/null 2>&1
	return 0
}

# ns_del NAME: delete one of our namespaces early (e.g. to remove an interface).
ns_del() {
	ip netns del "$1" 2>/dev/null
}

# nsx NS CMD...: run a command inside a test namespace, in the root mount
# namespace (so bpffs pins are shared), unlike `ip netns exec`.
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# bg_start VAR CMD...: start CMD in the background, its PID in VAR; killed at exit.
bg_start() {
	local var=$1
	shift
	# A shell function would run in a subshell that ignores SIGINT; start
	# nsenter itself so the PID is the command's own (nsenter execs it).
	if [ "$1" == nsx ]; then
		local ns=$2
		shift 2
		nsenter --net="/run/netns/$ns" -- "$@" &
	else
		"$@" &
	fi
	local pid=$!
	_PIDS+=("$pid")
	printf -v "$var" '%s' "$pid"
}

# bg_stop PID [SIGNAL]: signal one of our processes and wait for it (bounded).
bg_stop() {
	local pid=$1 sig=${2:-INT} i
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	BG_STATUS=$?
}

# assert_settles NAME EXPECTED CMD...: passes once CMD prints EXPECTED; polls
# every 0.1 s for up to SETTLE_S seconds (5) first. The kernel frees
# programs, maps and links asynchronously after their last reference goes,
# so a leak check that looks once right after a detach sees ghosts; one that
# waits a few seconds and still sees something has found a leak, and says what.
SETTLE_S=${SETTLE_S:-5}
assert_settles() {
	local name=$1 want=$2 got i
	shift 2
	for i in $(seq 1 $((SETTLE_S * 10))); do
		got=$("$@" 2>/dev/null)
		[ "$got" == "$want" ] && { ok "$name"; return 0; }
		sleep 0.1
	done
	not_ok "$name"
	diag "expected (within ${SETTLE_S} s): $want"
	diag "still there:   $got"
	return 1
}

# wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq 1 $((t * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# pin_dir NAME: a private bpffs pin directory for persistent-mode tests.
pin_dir() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	local d="/sys/fs/bpf/rsttrace-test-${_TAG}-$1"
	_PINS+=("$d")
	echo "$d"
}

# jqf FILE FILTER: one jq value, compact, or "ERR" when the file is not JSON.
jqf() { jq -c "$2" "$1" 2>/dev/null || echo ERR; }

# mkpin VAR NAME: a private pin directory (pin_dir) in VAR, in this shell.
mkpin() {
	pin_dir "$2" >/dev/null
	printf -v "$1" '%s' "${_PINS[${#_PINS[@]} - 1]}"
}

# rt_in NAME NS ARGS...: rsttrace ARGS in NS; output in $T/NAME.{out,err},
# the exit status in RC.
rt_in() {
	local name=$1 ns=$2
	shift 2
	nsx "$ns" "$RSTTRACE" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}

# progs_left_of ID...: those of the program ids still loaded, one line.
progs_left_of() {
	local live id left=()
	live=" $(bpftool prog show -j 2>/dev/null | jq -r '.[].id' | tr '\n' ' ') "
	for id in $(printf '%s\n' "$@" | sort -un); do
		case "$live" in *" $id "*) left+=("$id") ;; esac
	done
	echo "${left[*]}"
}

# links_left_of ID...: the ids of links still running one of these programs.
links_left_of() {
	[ $# -eq 0 ] && return
	bpftool link show -j 2>/dev/null |
		jq -r --argjson ids "[$(printf '%s,' "$@" | sed 's/,$//')]" \
			'[.[] | select(.prog_id as $p | $ids | index($p)) | .id] | join(" ")'
}

IFPROGS=${IFPROGS:-$(dirname "$RSTTRACE")/tests/ifprogs}

# all_progs_in NS: every XDP / tcx program attached in NS, "IFNAME HOOK NAME ID"
# per line, asked of the kernel (bpftool 7.1 cannot list tcx), plus legacy
# cls_bpf filters as bpftool shows them.
all_progs_in() {
	nsx "$1" "$IFPROGS"
	nsx "$1" bpftool net show 2>/dev/null | grep -E '^[^ ]+\([0-9]+\) (clsact|tcx)/' || true
}

# bpf_progs_in NS: rsttrace's programs attached in NS, one line each.
bpf_progs_in() {
	all_progs_in "$1" | grep -E 'rst_(xdp|tc_)' || true
}

# Send a TCP connect to a closed port: one RST-ACK comes back.
refuse() {
	local ns=$1 host=$2 port=$3
	nsx "$ns" timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
	return 0
}

# selected NAME: NAME matches one of the patterns in $TESTS (shell globs,
# as `make test TESTS='t_cycles ipv6*'` passes them), or TESTS is unset.
selected() {
	local pat
	[ -z "${TESTS:-}" ] && return 0
	set -f
	for pat in $TESTS; do
		# shellcheck disable=SC2254
		case "$1" in $pat)
			set +f
			return 0
			;;
		esac
	done
	set +f
	return 1
}

# run_test FUNC: run one test function, if selected; its asserts print the
# TAP lines.
run_test() {
	selected "$1" || return 0
	diag "test $1"
	"$1"
}

finish() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

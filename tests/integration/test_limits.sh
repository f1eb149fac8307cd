#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What rsttrace asks of the machine before it loads: the capabilities the
# kernel really requires (checked up front, each missing one named), and
# the kernel memory its maps will take (stated, checked against what the
# kernel itself accounts for the maps, and refused past a quarter of the
# machine). Unprivileged steps run as nobody through setpriv.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)

ns_pair lim || { not_ok "netns setup"; finish; exit 1; }

# as_caps CAPS CMD...: CMD in NS_A as nobody with exactly CAPS (setpriv's
# spelling, "+bpf,+perfmon"; "" for none) in its effective set.
as_caps() {
	local caps=$1
	shift
	nsenter --net="/run/netns/$NS_A" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps="-all${caps:+,$caps}" --ambient-caps="-all${caps:+,$caps}" -- "$@"
}

# one_line FILE PATTERN: FILE is exactly one line and matches PATTERN.
one_line() {
	[ "$(grep -c . "$1")" -eq 1 ] && grep -q -- "$2" "$1"
}

t_missing_caps() {
	local row caps want rc
	# caps given | the missing ones the one line must name
	for row in "+bpf,+net_admin|missing CAP_PERFMON (" \
		"+net_admin,+perfmon|missing CAP_BPF (" \
		"+bpf,+perfmon|missing CAP_NET_ADMIN (" \
		"|missing CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN ("; do
		caps=${row%%|*} want=${row#*|}
		as_caps "$caps" "$RSTTRACE" watch -i "$VETH_A" --duration 1 >"$T/c.out" 2>"$T/c.err"
		rc=$?
		if [ $rc -eq 1 ] && one_line "$T/c.err" "$want"; then
			ok "watch with caps '${caps:-none}': exit 1, one line: $want"
		else
			not_ok "watch with caps '${caps:-none}': exit 1, one line: $want"
			diag "exit $rc"
			sed 's/^/# /' "$T/c.err" | head -5
		fi
	done
	assert_settles "missing capabilities: nothing attached" "" bpf_progs_in "$NS_A"
}

# What the docs promise: CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN are enough
# for watch, without root's uid or CAP_SYS_ADMIN.
t_enough_caps() {
	as_caps "+bpf,+perfmon,+net_admin" "$RSTTRACE" watch -i "$VETH_A" --duration 3 \
		>"$T/e.out" 2>"$T/e.err" &
	local pid=$!
	_PIDS+=("$pid")
	wait_for 10 grep -q watching "$T/e.err"
	refuse "$NS_B" "$IP4_A" 9
	wait "$pid"
	assert_eq "CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN as nobody: watch exits 0" 0 $?
	assert_eq "... and counts the refused connection's RST-ACK" 1 \
		"$(sed -n 's/.*RSTs counted by the kernel (\([0-9]*\) RST, \([0-9]*\) RST-ACK).*/\2/p' "$T/e.err")"
}

# The documented minimum, as a systemd unit would grant it: uid 0 with only
# CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN attaches, counts and detaches
# cleanly; readers with CAP_BPF alone.
as_root_caps() {
	local caps=$1
	shift
	nsenter --net="/run/netns/$NS_A" -- setpriv --bounding-set="-all,$caps" \
		--inh-caps="-all,$caps" --ambient-caps="-all,$caps" -- "$@"
}

t_minimal_caps_lifecycle() {
	local P
	P=$(pin_dir mincaps)
	as_root_caps "+bpf,+perfmon,+net_admin" "$RSTTRACE" attach -i "$VETH_A" --pin-path "$P" \
		>"$T/ma.out" 2>"$T/ma.err"
	assert_eq "attach with CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN only: exit 0" 0 $?
	refuse "$NS_B" "$IP4_A" 9
	as_root_caps "+bpf" "$RSTTRACE" stats --json --pin-path "$P" >"$T/ms.json" 2>"$T/ms.err"
	assert_eq "stats with CAP_BPF only: exit 0, the RST-ACK counted" "0 1" \
		"$? $(jq '.counters.rstack' "$T/ms.json" 2>/dev/null)"
	as_root_caps "+bpf,+net_admin" "$RSTTRACE" detach --all --pin-path "$P" \
		>"$T/md.out" 2>"$T/md.err"
	assert_eq "detach --all with CAP_BPF + CAP_NET_ADMIN only: exit 0, silent, pins gone" \
		"0 0 no" "$? $(grep -c . "$T/md.err") $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "minimal capabilities: nothing of ours left attached" "" bpf_progs_in "$NS_A"
}

# A container's root without CAP_SYS_ADMIN and CAP_PERFMON (a bounding set
# took them away): uid 0 is not enough.
t_root_without_caps() {
	nsenter --net="/run/netns/$NS_A" -- setpriv --bounding-set=-sys_admin,-perfmon -- \
		"$RSTTRACE" watch -i "$VETH_A" --duration 1 >"$T/r.out" 2>"$T/r.err"
	local rc=$?
	assert_eq "root without CAP_PERFMON and CAP_SYS_ADMIN: exit 1 naming CAP_PERFMON" "1 yes" \
		"$rc $(one_line "$T/r.err" 'missing CAP_PERFMON (.*uid 0' && echo yes)"
}

# Readers need CAP_BPF only; without it, one line says so.
t_reader_caps() {
	as_caps "" "$RSTTRACE" stats >"$T/s.out" 2>"$T/s.err"
	local rc=$?
	assert_eq "stats without CAP_BPF: exit 1, one line naming it" "1 yes" \
		"$rc $(one_line "$T/s.err" 'missing CAP_BPF (this needs CAP_BPF;' && echo yes)"
}

# Kernel memory of the maps of programs attached in NS_A, as the kernel
# accounts it (bytes_memlock of each map, from its fdinfo).
kernel_map_bytes() {
	local ids
	ids=$(all_progs_in "$NS_A" | awk '/rst_/ { print $4 }' | sort -u)
	[ -n "$ids" ] || return 1
	local maps
	maps=$(for id in $ids; do bpftool prog show id "$id" -j | jq -r '.map_ids[]'; done | sort -u)
	# The fate programs (tracepoints, not attached to an interface) of this
	# datapath: those sharing its fate ring; their owners and cgroups maps count too.
	for id in $(bpftool prog show -j | jq -r '.[] | select(.name == "rst_recv_reset") | .id'); do
		m=$(bpftool prog show id "$id" -j | jq -r '.map_ids[]')
		grep -qxF -f <(echo "$maps") <<<"$m" && maps=$(printf '%s\n%s\n' "$maps" "$m" | sort -u)
	done
	for m in $maps; do bpftool map show id "$m" -j | jq -r '.bytes_memlock'; done |
		awk '{ s += $1 } END { print s }'
}

t_memory_stated() {
	local args stated kernel
	for args in "" "--max-flows 200000 --max-hosts 50000 --ring-size 16777216"; do
		# shellcheck disable=SC2086
		bg_start M_PID nsx "$NS_A" "$RSTTRACE" watch -i "$VETH_A" -v -d --duration 20 $args \
			>"$T/m.out" 2>"$T/m.err"
		wait_for 10 grep -q watching "$T/m.err"
		stated=$(sed -n 's/^rsttrace: the maps take \([0-9.]*\) MiB of kernel memory (.*/\1/p' \
			"$T/m.err")
		kernel=$(kernel_map_bytes)
		bg_stop "$M_PID" INT
		# The estimate follows the kernel's own accounting; 2 % covers the
		# small maps it leaves out (rodata, settings).
		if [ -n "$stated" ] && [ -n "$kernel" ] &&
			awk -v s="$stated" -v k="$kernel" 'BEGIN { d = s * 1048576 - k;
				if (d < 0) d = -d; exit (d <= k * 0.02) ? 0 : 1 }'; then
			ok "stated map memory ${stated} MiB = the kernel's $kernel bytes (2 %)${args:+ with $args}"
		else
			not_ok "stated map memory = the kernel's${args:+ with $args}"
			diag "stated '$stated' MiB, kernel '$kernel' bytes"
			sed 's/^/# /' "$T/m.err" | head -5
		fi
	done
}

t_memory_ceiling() {
	local cmd rc P
	# Only where the largest sizes are more than a quarter of the machine:
	# elsewhere this would really load them. They are per CPU (lines per
	# CPU x 80 / 112 bytes x CPUs): 8.3 GiB per CPU (9 to be safe), plus a
	# 1 GiB ring.
	local ncpu maps_gib
	ncpu=$(nproc --all)
	maps_gib=$((9 * ncpu + 1))
	if [ "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" -gt $((4 * maps_gib * 1024 * 1024)) ]; then
		ok "memory ceiling: skipped, this machine has $((4 * maps_gib)) GiB or more"
		return
	fi
	P=$(pin_dir ceiling)
	for cmd in watch "attach --pin-path $P"; do
		# shellcheck disable=SC2086
		nsx "$NS_A" "$RSTTRACE" $cmd -i "$VETH_A" --max-flows 67108864 --max-hosts 16777216 \
			--ring-size 1073741824 >"$T/x.out" 2>"$T/x.err"
		rc=$?
		cmd=${cmd%% *}
		# 67,108,864 flow lines x 120 B + 16,777,216 host lines x 80 B per
		# CPU, + 1 GiB: about 9.8 GiB on one CPU, 18.7 on two.
		if [ $rc -eq 1 ] && one_line "$T/x.err" \
			'the maps would take [0-9]\{4,\}\.[0-9] MiB of kernel memory, more than a quarter.*flows 67108864 x 120 B x .* --force-memory'; then
			ok "$cmd: the largest maps ($ncpu CPUs) refused in one line with the numbers, exit 1"
		else
			not_ok "$cmd: the largest maps ($ncpu CPUs) refused in one line with the numbers, exit 1"
			diag "exit $rc"
			sed 's/^/# /' "$T/x.err" | head -5
		fi
	done
	assert_eq "the refused attach left no pin" no "$([ -e "$P" ] && echo yes || echo no)"
	assert_settles "the refused loads attached nothing" "" bpf_progs_in "$NS_A"
}

run_test t_missing_caps
run_test t_enough_caps
run_test t_root_without_caps
run_test t_minimal_caps_lifecycle
run_test t_reader_caps
run_test t_memory_stated
run_test t_memory_ceiling
finish

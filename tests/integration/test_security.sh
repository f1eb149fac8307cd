#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The pin directory against an unprivileged user. /sys/fs/bpf is often
# mode 1777: anyone may make the pin directory before root's attach, or
# after a detach --all, and whoever owns a directory can swap what it
# holds for a symbolic link between root's attach and root's detach. Each
# test plays the user's part as `nobody` (setpriv), inside a parent
# directory of our own pin_dir made 1777 (the real /sys/fs/bpf is never
# chmod-ed), and checks that root refuses, names the path and the reason,
# attaches nothing and deletes nothing outside its own pins: the victim is
# a root-owned directory in the test's tmp dir, with the names rsttrace
# would unlink.
#
# Run: make && bash tests/integration/test_security.sh [TEST...]

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
MNT="$T/mnt"
ALL_TESTS=(t_precreated t_writable t_ancestor t_symlink_dir t_swap t_swap_record t_foreign_pin
	t_dotdot t_relative t_bpffs_root t_netns_guard)

OWNFS="$T/fs"
# Our own bpffs mounts go before lib.sh removes the tmp dir.
trap 'for m in "$MNT" "$OWNFS"; do mountpoint -q "$m" && umount "$m"; done; cleanup' EXIT

# run NAME ARGS...: rsttrace in SRV (lib.sh rt_in).
run() { rt_in "$1" "$SRV" "${@:2}"; }

# The victim: a root-owned directory outside bpffs holding every name
# that rsttrace unlinks (maps, programs, meta, an interface record).
VICTIM_FILES="counters settings flows hosts buckets events reasons rst_xdp rst_tc_ingress
rst_tc_egress rst_send_reset meta victim@1-1/xdp_native victim@1-1/tcx_in victim@1-1/tcx_out"
make_victim() {
	local f
	mkdir -p "$T/victim/victim@1-1"
	for f in $VICTIM_FILES; do echo "root's $f" >"$T/victim/$f"; done
	chmod -R go-w "$T/victim"
}
victim_left() {
	local f n=0
	for f in $VICTIM_FILES; do [ -f "$T/victim/$f" ] && n=$((n + 1)); done
	echo "$n"
}
VICTIM_N=$(echo $VICTIM_FILES | wc -w)

setup() {
	ns_pair sec || return 1
	SRV=$NS_A CLI=$NS_B IF=$VETH_A
	# The parent all users may write in, sticky, as /sys/fs/bpf often is.
	mkpin B base
	mkdir -p "$B" && chmod 1777 "$B" || return 1
	# Where /sys/fs/bpf is 0700 (systemd mounts it so), nobody cannot reach
	# it: play on a bpffs of our own then (SEC_OWN_BPFFS=1 forces it).
	if [ -n "${SEC_OWN_BPFFS:-}" ] || ! "${NOBODY[@]}" test -w "$B"; then
		diag "playing on a bpffs of our own (SEC_OWN_BPFFS=${SEC_OWN_BPFFS:-}; /sys/fs/bpf is $(stat -c %a /sys/fs/bpf))"
		chmod 0711 "$T"
		mkdir -p "$OWNFS"
		mount -t bpf bpf "$OWNFS" -o mode=0755 || return 1
		B="$OWNFS/base"
		mkdir "$B" && chmod 1777 "$B" || return 1
	fi
	make_victim
}

nothing_attached() {
	assert_settles "$1: nothing attached" "" bpf_progs_in "$SRV"
}

t_precreated() {
	local d="$B/pre"
	"${NOBODY[@]}" mkdir "$d"
	run pre attach -i "$IF" --pin-path "$d"
	assert_eq "pin directory made by nobody: attach exit 1, one line" "1 1" \
		"$RC $(wc -l <"$T/pre.err")"
	assert_eq "pin directory made by nobody: names path, owner and the way out" 1 \
		"$(grep -c "^rsttrace: $d: owned by uid 65534, not root: refusing (remove it or use --pin-path)$" "$T/pre.err")"
	nothing_attached "pin directory made by nobody"
	assert_eq "pin directory made by nobody: nothing pinned, mode untouched" "0 755 nobody" \
		"$(find "$d" -mindepth 1 | wc -l) $(stat -c '%a %U' "$d")"
	# The readers and detach refuse it too (they would read, or unlink, through it).
	run pre_st status --pin-path "$d"
	assert_eq "pin directory made by nobody: status exit 1, says why" "1 1" \
		"$RC $(grep -c 'owned by uid 65534' "$T/pre_st.err")"
	run pre_det detach --all --pin-path "$d"
	assert_eq "pin directory made by nobody: detach --all exit 1, says why" "1 1" \
		"$RC $(grep -c 'owned by uid 65534' "$T/pre_det.err")"
}

t_writable() {
	local d="$B/wr"
	mkdir -m 0777 "$d"
	chmod 0777 "$d"
	run wr attach -i "$IF" --pin-path "$d"
	assert_eq "root's pin directory mode 0777: attach exit 1, says why" "1 1" \
		"$RC $(grep -c "^rsttrace: $d: mode 0777 lets other users write in it: refusing" "$T/wr.err")"
	nothing_attached "pin directory mode 0777"
	assert_eq "pin directory mode 0777: left as it was" "0 777" \
		"$(find "$d" -mindepth 1 | wc -l) $(stat -c '%a' "$d")"
}

t_ancestor() {
	local d="$B/nb"
	# nobody's directory, root's inside: nobody can rename root's away.
	"${NOBODY[@]}" mkdir "$d"
	mkdir -m 0700 "$d/sub"
	run anc attach -i "$IF" --pin-path "$d/sub"
	assert_eq "pin directory below nobody's: attach exit 1, names the ancestor" "1 1" \
		"$RC $(grep -c "^rsttrace: $d: owned by uid 65534, not root: refusing" "$T/anc.err")"
	nothing_attached "pin directory below nobody's"
}

t_symlink_dir() {
	local d="$B/lnk"
	mkdir -m 0700 "$B/elsewhere"
	"${NOBODY[@]}" ln -s "$B/elsewhere" "$d"
	run lnk attach -i "$IF" --pin-path "$d"
	assert_eq "pin path a symbolic link: attach exit 1, says so" "1 1" \
		"$RC $(grep -c "^rsttrace: $d: a symbolic link: refusing" "$T/lnk.err")"
	nothing_attached "pin path a symbolic link"
	assert_eq "pin path a symbolic link: nothing pinned where it points" 0 \
		"$(find "$B/elsewhere" -mindepth 1 | wc -l)"
}

# restore DIR X: undo nobody's swap of DIR/X, hand DIR back to root.
restore() {
	local d=$1 x=$2
	rm -f "$d/$x"
	[ -e "$d/${x}old" ] && mv "$d/${x}old" "$d/$x"
	chown -R 0:0 "$d"
}

# The directory belongs to nobody (as the attach before this fix left a
# directory nobody had made: it only chmod-ed it); between root's attach and
# root's detach nobody swaps maps/ (progs/, links/, meta) for a symbolic link.
t_swap() {
	local x d target
	for x in maps progs links meta; do
		target=$T/victim
		[ "$x" == meta ] && target=$T/victim/meta
		d="$B/sw$x"
		run "sw_att_$x" attach -i "$IF" --pin-path "$d"
		assert_eq "swap $x: attach exit 0" 0 "$RC"
		chown 65534:65534 "$d"
		"${NOBODY[@]}" mv "$d/$x" "$d/${x}old"
		"${NOBODY[@]}" ln -s "$target" "$d/$x"
		run "sw_det_$x" detach --all --pin-path "$d"
		assert_eq "swap $x: detach --all refuses, exit 1, names the directory" "1 1" \
			"$RC $(grep -c "^rsttrace: $d: owned by uid 65534, not root: refusing" "$T/sw_det_$x.err")"
		assert_eq "swap $x: every file of root's victim still there" "$VICTIM_N" "$(victim_left)"
		restore "$d" "$x"
		run "sw_fin_$x" detach --all --pin-path "$d"
		assert_eq "swap $x: restored, detach --all exit 0, pins gone" "0 no" \
			"$RC $([ -e "$d" ] && echo yes || echo no)"
		make_victim
	done
	nothing_attached "swaps undone"
}

# A subdirectory of root's pin directory handed to nobody, who plants a
# symbolic link to a record-like directory of root's.
t_swap_record() {
	local d="$B/swrec"
	run swr_att attach -i "$IF" --pin-path "$d"
	assert_eq "record link: attach exit 0" 0 "$RC"
	# 0711: nobody may pass through root's directory (still writable by root only).
	chmod 0711 "$d"
	chown 65534:65534 "$d/links"
	"${NOBODY[@]}" ln -s "$T/victim/victim@1-1" "$d/links/victim@1-1"
	run swr_det detach --all --pin-path "$d"
	assert_eq "record link: detach --all refuses, exit 1, names links/" "1 1" \
		"$RC $(grep -c "^rsttrace: $d/links: owned by uid 65534, not root: refusing" "$T/swr_det.err")"
	assert_eq "record link: every file of root's victim still there" "$VICTIM_N" "$(victim_left)"
	rm -f "$d/links/victim@1-1"
	chown 0:0 "$d/links"
	chmod 0700 "$d"
	run swr_fin detach --all --pin-path "$d"
	assert_eq "record link: restored, detach --all exit 0, pins gone" "0 no" \
		"$RC $([ -e "$d" ] && echo yes || echo no)"
	make_victim
	nothing_attached "record link undone"
}

# Another tool's program pinned under one of our names: detach leaves it
# (it may be what keeps that tool's program alive) and says so.
t_foreign_pin() {
	local d="$B/fp" f
	cat >"$T/foreign.c" <<'EOF2'
#include <linux/bpf.h>
#define SEC(n) __attribute__((section(n), used))
SEC("tc") int foreign_tc(struct __sk_buff *s) { return -1; }
char _license[] SEC("license") = "GPL";
EOF2
	clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$T/foreign.c" \
		-o "$T/foreign.o" || {
		not_ok "foreign pin: building the foreign program"
		return
	}
	run fp_att attach -i "$IF" --pin-path "$d"
	assert_eq "foreign pin: attach exit 0" 0 "$RC"
	# rst_tc_ingress runs nowhere by default (XDP takes ingress): its pin can go.
	f="$d/progs/rst_tc_ingress"
	rm "$f"
	bpftool prog load "$T/foreign.o" "$f" type classifier
	run fp_det detach --all --pin-path "$d"
	assert_eq "foreign pin: detach --all exit 1, names it and leaves it" "1 1 yes" \
		"$RC $(grep -c "^rsttrace: $f: not the rst_tc_ingress rsttrace pinned there: left alone$" "$T/fp_det.err") $([ -e "$f" ] && echo yes || echo no)"
	rm -f "$f"
	run fp_fin detach --all --pin-path "$d"
	assert_eq "foreign pin: once it is gone, detach --all exit 0, pins gone" "0 no" \
		"$RC $([ -e "$d" ] && echo yes || echo no)"
	nothing_attached "foreign pin"
}

t_dotdot() {
	local d="$B/dd"
	mkdir -m 0755 "$d"
	chmod 0755 "$d"
	run dd attach -i "$IF" --pin-path "$d/x/.."
	assert_eq "--pin-path DIR/x/..: exit 2, one line" "2 1" "$RC $(wc -l <"$T/dd.err")"
	assert_eq "--pin-path DIR/x/..: says why" 1 "$(grep -c "'..' is not allowed" "$T/dd.err")"
	assert_eq "--pin-path DIR/x/..: DIR untouched (mode, nothing made)" "755 0" \
		"$(stat -c %a "$d") $(find "$d" -mindepth 1 | wc -l)"
	nothing_attached "--pin-path DIR/x/.."
	run dd2 detach --all --pin-path "$d/.."
	assert_eq "detach --pin-path DIR/..: exit 2" 2 "$RC"
}

t_relative() {
	local c
	for c in attach detach set status top flows stats serve; do
		case $c in
		attach) run "rel_$c" attach -i "$IF" --pin-path rsttrace-rel ;;
		detach) run "rel_$c" detach --all --pin-path rsttrace-rel ;;
		set) run "rel_$c" set --sample 2 --pin-path rsttrace-rel ;;
		top) run "rel_$c" top --once --pin-path rsttrace-rel ;;
		*) run "rel_$c" "$c" --pin-path rsttrace-rel ;;
		esac
		assert_eq "$c --pin-path relative: exit 2, one line naming it" "2 1" \
			"$RC $(grep -c "invalid --pin-path 'rsttrace-rel': need an absolute path" "$T/rel_$c.err")"
	done
	nothing_attached "relative pin path"
}

# The root of a bpffs mount (our own, in the tmp dir) is not a pin directory:
# chmod-ing it 0700 would lock every other user of that bpffs out.
bpffs_state() {
	stat -c %a "$MNT"
	find "$MNT" -mindepth 1 ! -name maps.debug ! -name progs.debug | sort
}

t_bpffs_root() {
	local f
	mkdir -p "$MNT"
	mount -t bpf bpf "$MNT" -o mode=0755 || {
		not_ok "mounting a bpffs of our own on $MNT"
		return
	}
	# A new bpffs may hold bpf_preload's maps.debug and progs.debug, and
	# they may come a moment after the mount: they are not ours to count.
	local before
	before=$(bpffs_state)
	for f in "$MNT" "$MNT/" "$MNT/."; do
		run root attach -i "$IF" --pin-path "$f"
		assert_eq "--pin-path '$f' (bpffs root): exit 1, says why" "1 1" \
			"$RC $(grep -c "^rsttrace: $MNT: the root of a bpffs mount: refusing" "$T/root.err")"
	done
	assert_eq "bpffs root: mode untouched, nothing pinned" "$before" "$(bpffs_state)"
	nothing_attached "bpffs root"
	run below attach -i "$IF" --pin-path "$MNT/rt"
	assert_eq "a directory below that bpffs root: attach exit 0" 0 "$RC"
	run below_det detach --all --pin-path "$MNT/rt"
	assert_eq "and detach --all exit 0, directory gone" "0 no" \
		"$RC $([ -e "$MNT/rt" ] && echo yes || echo no)"
	umount "$MNT"
}

# The suite's own guard (lib.sh exports RSTTRACE_GUARD_NETNS, the name of the
# namespace the tests run from): pointed at the test's namespace, by file or
# by name, or at nothing valid, every way of attaching there refuses with one
# line and leaves nothing; watch -i any too. (Every other test attaching is
# the guard letting another namespace through.)
t_netns_guard() {
	local g
	for g in "/run/netns/$SRV" "$(nsx "$SRV" readlink /proc/self/ns/net)" "net:[12x]" \
		"$T/no-such-netns"; do
		RSTTRACE_GUARD_NETNS=$g run guard attach -i "$IF" --pin-path "$B/guard"
		assert_eq "guard $g: attach exit 1, one line" "1 1" "$RC $(wc -l <"$T/guard.err")"
		assert_eq "guard $g: the line says why" 1 \
			"$(grep -cF "rsttrace: $IF: refusing to attach: RSTTRACE_GUARD_NETNS=$g: " "$T/guard.err")"
		nothing_attached "guard $g, attach"
		RSTTRACE_GUARD_NETNS=$g nsx "$SRV" timeout 5 "$RSTTRACE" watch -i "$IF" -c 1 \
			>"$T/gw.out" 2>"$T/gw.err"
		assert_eq "guard $g: watch -i exit 1, said once" "1 1" \
			"$? $(grep -c 'refusing to attach' "$T/gw.err")"
		RSTTRACE_GUARD_NETNS=$g nsx "$SRV" timeout 5 "$RSTTRACE" watch -i any -c 1 \
			>"$T/ga.out" 2>"$T/ga.err"
		assert_eq "guard $g: watch -i any exit 1, said once" "1 1" \
			"$? $(grep -c 'refusing to attach' "$T/ga.err")"
		nothing_attached "guard $g, watch"
	done
	assert_eq "guard: no pin directory made" no "$([ -e "$B/guard" ] && echo yes || echo no)"
}

setup || {
	not_ok "setup"
	finish
	exit 1
}
for t in "${@:-${ALL_TESTS[@]}}"; do
	run_test "$t"
done
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make install` puts on a machine, tried as a packager and an SRE
# would: the file list under DESTDIR, `make uninstall` taking all of it
# back, the systemd units clean under systemd-analyze (verify, and the
# offline security review), the units' commands run exactly as systemd
# would run them (their environment file, their capability bounding set,
# in a test namespace with a private pin directory), and the bash
# completion. Nothing is installed outside the test's own directory.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$T/root

ns_pair inst || { not_ok "netns setup"; finish; exit 1; }

WANT="/etc/default/rsttrace
/usr/lib/systemd/system/rsttrace-attach@.service
/usr/lib/systemd/system/rsttrace-serve.service
/usr/sbin/rsttrace
/usr/share/bash-completion/completions/rsttrace
/usr/share/doc/rsttrace/grafana/rsttrace.json
/usr/share/doc/rsttrace/prometheus/alerts.yml
/usr/share/doc/rsttrace/prometheus/alerts_test.yml
/usr/share/doc/rsttrace/prometheus/scrape.yml
/usr/share/man/man8/rsttrace.8"

installed() { (cd "$ROOT" && find . -type f | sed 's/^\.//' | sort); }

# Every test reads this install; made once here so that each runs alone too.
make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/usr >"$T/i.out" 2>&1
INSTALL_RC=$?

t_install() {
	assert_eq "make install DESTDIR PREFIX=/usr: exit 0" 0 "$INSTALL_RC"
	assert_eq "the files installed, exactly" "$WANT" "$(installed)"
	assert_eq "the installed binary runs" "rsttrace" \
		"$("$ROOT/usr/sbin/rsttrace" --version | awk '{ print $1 }')"
	assert_eq "the units run the installed binary and read /etc/default/rsttrace" "2 2" \
		"$(grep -c '^ExecSt[a-z]*=/usr/sbin/rsttrace ' "$ROOT/usr/lib/systemd/system/rsttrace-attach@.service") $(cat "$ROOT"/usr/lib/systemd/system/*.service | grep -c '^EnvironmentFile=-/etc/default/rsttrace$')"
	# groff's warnings (-ww) on the man page: none.
	assert_eq "man page: no groff warning" "" \
		"$(groff -man -ww -z "$ROOT/usr/share/man/man8/rsttrace.8" 2>&1)"
}

# The units with their binary where DESTDIR put it, for systemd-analyze.
units_here() {
	mkdir -p "$T/units"
	for u in "$ROOT"/usr/lib/systemd/system/*.service; do
		sed "s|/usr/sbin/rsttrace|$ROOT/usr/sbin/rsttrace|" "$u" >"$T/units/$(basename "$u")"
	done
}

t_units_verify() {
	units_here
	(cd "$T/units" && systemd-analyze verify --man=no rsttrace-serve.service \
		"rsttrace-attach@$VETH_A.service") >"$T/v.out" 2>&1
	local rc=$?
	assert_eq "systemd-analyze verify: exit 0, nothing said" "0 " "$rc $(cat "$T/v.out")"
	local u lvl
	for u in rsttrace-serve.service "rsttrace-attach@.service"; do
		lvl=$(systemd-analyze security --offline=yes "$T/units/$u" 2>/dev/null |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		if [ -n "$lvl" ] && awk -v l="$lvl" 'BEGIN { exit !(l <= 5.0) }'; then
			ok "$u: systemd-analyze security exposure $lvl (at most 5.0)"
		else
			not_ok "$u: systemd-analyze security exposure '$lvl' (at most 5.0)"
		fi
	done
}

# unit_line UNIT KEY: the value of KEY= in the installed UNIT.
unit_line() { sed -n "s/^$2=//p" "$ROOT/usr/lib/systemd/system/$1"; }

# unit_argv UNIT CMDLINE: in UNIT_ARGV, CMDLINE as systemd runs it for
# UNIT: the words of its environment file expanded, under its capability
# bounding set (also ambient), in NS_A. Run it as "${UNIT_ARGV[@]}", in the
# foreground or through bg_start (then the PID is the command's own).
unit_argv() {
	local unit=$1 line=$2 caps="" c
	for c in $(unit_line "$unit" CapabilityBoundingSet); do
		c=${c#CAP_}
		caps="$caps,+${c,,}"
	done
	# systemd expands an unset variable to nothing.
	set +u -a
	# shellcheck disable=SC1090
	. "$T/default"
	set +a
	# shellcheck disable=SC2086
	eval "set -- $line"
	set -u
	UNIT_ARGV=(nsenter --net="/run/netns/$NS_A" -- setpriv --bounding-set="-all$caps"
		--inh-caps="-all$caps" --ambient-caps="-all$caps" -- "$@")
}

t_units_run() {
	local P port start stop serve
	P=$(pin_dir units)
	port=$((20000 + $$ % 20000))
	printf 'RSTTRACE_OPTS="--pin-path %s"\nRSTTRACE_SERVE_OPTS="--listen 127.0.0.1:%s"\n' \
		"$P" "$port" >"$T/default"
	start=$(unit_line "rsttrace-attach@.service" ExecStart | sed "s/%I/$VETH_A/; s|^/usr|$ROOT/usr|")
	stop=$(unit_line "rsttrace-attach@.service" ExecStop | sed "s/%I/$VETH_A/; s|^/usr|$ROOT/usr|")
	serve=$(unit_line rsttrace-serve.service ExecStart | sed "s|^/usr|$ROOT/usr|")
	unit_argv "rsttrace-attach@.service" "$start"
	"${UNIT_ARGV[@]}" >"$T/us.out" 2>&1
	assert_eq "attach@$VETH_A's ExecStart with the unit's capabilities: exit 0" 0 $?
	refuse "$NS_B" "$IP4_A" 9
	local spid
	unit_argv rsttrace-serve.service "$serve"
	bg_start spid "${UNIT_ARGV[@]}" >"$T/srv.out" 2>&1
	wait_for 10 nsx "$NS_A" curl -sf "http://127.0.0.1:$port/metrics" -o "$T/m.txt"
	assert_eq "serve's ExecStart with CAP_BPF only exports the RST-ACK" 1 \
		"$(awk '/^rsttrace_tcp_resets_total\{.*flag="rstack"/ { s += $2 } END { print s + 0 }' "$T/m.txt")"
	bg_stop "$spid" TERM
	assert_eq "serve ends on SIGTERM, exit 0" 0 "$BG_STATUS"
	unit_argv "rsttrace-attach@.service" "$stop"
	"${UNIT_ARGV[@]}" >"$T/ut.out" 2>&1
	assert_eq "attach@'s ExecStop: exit 0, pins gone" "0 no" \
		"$? $([ -e "$P" ] && echo yes || echo no)"
	assert_settles "the units leave nothing attached" "" bpf_progs_in "$NS_A"
}

t_completion() {
	local got want
	want=$("$ROOT/usr/sbin/rsttrace" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | xargs)
	got=$(PATH="$ROOT/usr/sbin:$PATH" bash -c '. "$1"; COMP_WORDS=(rsttrace ""); COMP_CWORD=1
		_rsttrace rsttrace; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$ROOT/usr/share/bash-completion/completions/rsttrace" | grep -v '^--' | sort | xargs)
	assert_eq "completion: the commands of rsttrace --help" "$want" "$got"
	got=$(PATH="$ROOT/usr/sbin:$PATH" bash -c '. "$1"; COMP_WORDS=(rsttrace attach --pin); COMP_CWORD=2
		_rsttrace rsttrace; echo "${COMPREPLY[*]}"' _ "$ROOT/usr/share/bash-completion/completions/rsttrace")
	assert_eq "completion: attach --pin -> --pin-path" "--pin-path" "$got"
	got=$(PATH="$ROOT/usr/sbin:$PATH" bash -c '. "$1"; COMP_WORDS=(rsttrace watch -i l); COMP_CWORD=3
		_rsttrace rsttrace; echo "${COMPREPLY[*]}"' _ "$ROOT/usr/share/bash-completion/completions/rsttrace")
	assert_eq "completion: watch -i l -> lo (interface names)" "lo" "$got"
}

t_uninstall() {
	make -s -C "$TOP" uninstall DESTDIR="$ROOT" PREFIX=/usr >"$T/u.out" 2>&1
	assert_eq "make uninstall: exit 0, no file left" "0 " "$? $(installed | xargs)"
}

run_test t_install
run_test t_units_verify
run_test t_units_run
run_test t_completion
run_test t_uninstall
finish

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
	# A run directory of the test's: the default /run/rsttrace is the system's.
	printf 'RSTTRACE_OPTS="--pin-path %s"\nRSTTRACE_SERVE_OPTS="--listen 127.0.0.1:%s --run-dir %s"\n' \
		"$P" "$port" "$T/run0" >"$T/default"
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

# The consumer as the unit runs it, with the options dist/default/rsttrace
# shows: --json-out and --ipfix to a UDP collector (python, in NS_A), under
# the unit's capabilities (CAP_BPF only): the refused connection's event
# in the JSON file, its flow in an IPFIX message (version 10, a data set).
t_units_consumer() {
	local P port cport start stop serve spid cpid
	P=$(pin_dir cons)
	port=$((20000 + ($$ + 7) % 20000))
	cport=$((port + 1))
	mkdir -p "$T/run"
	cat >"$T/coll.py" <<PY
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", $cport))
s.settimeout(0.5)
open("$T/coll.ready", "w").close()
end, n, data = time.time() + 20, 0, 0
while time.time() < end and not data:
    try:
        m = s.recv(65535)
    except socket.timeout:
        continue
    ver, ln = struct.unpack("!HH", m[:4])
    if ver != 10 or ln != len(m):
        continue
    n += 1
    off = 16
    while off + 4 <= ln:
        sid, slen = struct.unpack("!HH", m[off:off + 4])
        data += sid >= 256 and slen > 4
        off += max(slen, 4)
print(n, "data" if data else "nodata")
PY
	bg_start cpid nsx "$NS_A" python3 "$T/coll.py" >"$T/coll.out"
	wait_for 10 test -e "$T/coll.ready"
	printf 'RSTTRACE_OPTS="--pin-path %s"\nRSTTRACE_SERVE_OPTS="--listen 127.0.0.1:%s --run-dir %s --json-out %s --ipfix 127.0.0.1:%s --ipfix-interval 1"\n' \
		"$P" "$port" "$T/run" "$T/ev.json" "$cport" >"$T/default"
	start=$(unit_line "rsttrace-attach@.service" ExecStart | sed "s/%I/$VETH_A/; s|^/usr|$ROOT/usr|")
	stop=$(unit_line "rsttrace-attach@.service" ExecStop | sed "s/%I/$VETH_A/; s|^/usr|$ROOT/usr|")
	serve=$(unit_line rsttrace-serve.service ExecStart | sed "s|^/usr|$ROOT/usr|")
	unit_argv "rsttrace-attach@.service" "$start"
	"${UNIT_ARGV[@]}" >"$T/uc.out" 2>&1
	assert_eq "attach@$VETH_A (for the consumer): exit 0" 0 $?
	unit_argv rsttrace-serve.service "$serve"
	bg_start spid "${UNIT_ARGV[@]}" >"$T/srvc.out" 2>&1
	wait_for 10 grep -q "consuming the events" "$T/srvc.out"
	refuse "$NS_B" "$IP4_A" 9
	wait_for 10 test -s "$T/ev.json0"
	wait_for 25 bash -c "! kill -0 $cpid"
	assert_eq "the unit's serve with --json-out: the RST-ACK's event" '1 "R."' \
		"$(wc -l <"$T/ev.json0") $(jq -c .flags "$T/ev.json0")"
	assert_eq "the unit's serve with --ipfix: IPFIX messages with a data set" "yes data" \
		"$(read -r n d <"$T/coll.out"; [ "${n:-0}" -ge 1 ] && echo yes || echo no) $(awk '{ print $2 }' "$T/coll.out")"
	bg_stop "$spid" TERM
	assert_eq "serve (consumer, IPFIX) ends on SIGTERM, exit 0" 0 "$BG_STATUS"
	unit_argv "rsttrace-attach@.service" "$stop"
	"${UNIT_ARGV[@]}" >"$T/uct.out" 2>&1
	assert_eq "attach@'s ExecStop: exit 0" 0 $?
	assert_settles "the consumer's units leave nothing attached" "" bpf_progs_in "$NS_A"
}

# Every RSTTRACE_SERVE_OPTS example of the installed default file is taken
# by serve (exit 1: nothing attached at the pin path, not 2: usage), and
# they show --json-out and --ipfix.
t_default_examples() {
	local line opts rc bad="" n=0
	while IFS= read -r line; do
		opts=${line#\#RSTTRACE_SERVE_OPTS=\"}
		opts=${opts%\"}
		n=$((n + 1))
		# shellcheck disable=SC2086
		nsx "$NS_A" "$ROOT/usr/sbin/rsttrace" serve $opts --pin-path "$T/no-pins" \
			--run-dir "$T/run-ex" >/dev/null 2>&1
		rc=$?
		[ "$rc" = 1 ] || bad+=" [$opts: exit $rc]"
	done < <(grep '^#RSTTRACE_SERVE_OPTS="' "$ROOT/etc/default/rsttrace")
	assert_eq "the default file's serve examples: all taken" "" "$bad"
	assert_eq "they show --json-out, -w, --syslog and --ipfix" "yes" \
		"$([ "$n" -ge 3 ] && grep -q -- '--ipfix ' "$ROOT/etc/default/rsttrace" &&
			grep -q -- '--json-out ' "$ROOT/etc/default/rsttrace" &&
			grep -q -- ' -w .*--syslog' "$ROOT/etc/default/rsttrace" && echo yes || echo no)"
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
run_test t_units_consumer
run_test t_default_examples
run_test t_completion
run_test t_uninstall
finish

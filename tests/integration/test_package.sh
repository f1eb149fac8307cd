#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package, built as a packager builds it: dpkg-buildpackage
# -us -uc -b on a copy of the tracked tree, lintian without errors, and
# dpkg -i into a throwaway root (its own dpkg database; the maintainer
# scripts run outside it, so the host's systemd state is checked to be
# untouched), where the installed binary says the release version.

. "$(dirname "$0")/lib.sh"
T=$(tmpdir)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SRC=$T/src
VER=$(sed -n '1s/^rsttrace (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
DEB=$T/rsttrace_${VER}_$(dpkg --print-architecture).deb

host_state() {
	find /lib/systemd/system /etc/systemd /var/lib/systemd /etc/default /usr/sbin \
		-name '*rsttrace*' 2>/dev/null | sort
}

t_build() {
	mkdir -p "$SRC"
	(cd "$TOP" && git ls-files -z | xargs -0 cp --parents -t "$SRC")
	(cd "$SRC" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) >"$T/b.log" 2>&1
	local rc=$?
	assert_eq "dpkg-buildpackage -us -uc -b: exit 0, $(basename "$DEB") made" "0 yes" \
		"$rc $([ -f "$DEB" ] && echo yes)"
	[ $rc -eq 0 ] || tail -15 "$T/b.log" | sed 's/^/# /'
}

t_lintian() {
	lintian --fail-on error "$DEB" >"$T/l.out" 2>&1
	assert_eq "lintian: no error" "0 " "$? $(grep '^E:' "$T/l.out" | head -3)"
}

t_install_root() {
	local R=$T/droot before
	before=$(host_state)
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
	touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
	# The root has no libraries: the dependencies are the host's.
	dpkg --root="$R" --force-depends --force-script-chrootless --log=/dev/null -i "$DEB" \
		>"$T/d.out" 2>&1
	assert_eq "dpkg -i into a throwaway root: exit 0, installed" "0 install ok installed" \
		"$? $(dpkg --root="$R" -s rsttrace 2>/dev/null | sed -n 's/^Status: //p')"
	assert_eq "the installed rsttrace says the release version" "rsttrace $VER (ABI" \
		"$("$R/usr/sbin/rsttrace" --version | cut -d' ' -f1-3)"
	assert_eq "units, completion, man page, defaults in place" 5 \
		"$(ls "$R/lib/systemd/system/rsttrace-serve.service" "$R/lib/systemd/system/rsttrace-attach@.service" \
			"$R/usr/share/bash-completion/completions/rsttrace" "$R/usr/share/man/man8/rsttrace.8.gz" \
			"$R/etc/default/rsttrace" 2>/dev/null | wc -l)"
	assert_eq "the Prometheus rules and the Grafana dashboard, uncompressed" 2 \
		"$(ls "$R/usr/share/doc/rsttrace/prometheus/alerts.yml" \
			"$R/usr/share/doc/rsttrace/grafana/rsttrace.json" 2>/dev/null | wc -l)"
	dpkg --root="$R" --force-script-chrootless --log=/dev/null -P rsttrace >>"$T/d.out" 2>&1
	assert_eq "dpkg -P: nothing of the package left in the root" "0 0" \
		"$? $(find "$R" -path "$R/var" -prune -o -type f -print | wc -l)"
	assert_eq "the host's systemd state and /etc untouched" "$before" "$(host_state)"
}

run_test t_build
run_test t_lintian
run_test t_install_root
finish

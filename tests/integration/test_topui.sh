#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `rsttrace top` on a terminal (user/commands/topui.c), run under tmux on a
# private server socket and read back with capture-pane: at 80 columns
# every line fits (one line per host), q quits within a second and gives
# the terminal back, the sort keys change the order, the sparkline is
# there (UTF-8 blocks, ASCII when the locale is not UTF-8), and a resize
# refits the screen. Traffic: H1 sends 60 RST/s into the server (spoofed,
# hping3 -R); the client sends 20 SYN/s to a closed port, so it has 20
# SYN/s in and 20 RST/s out. Everything started here is checked gone.
#
# Run: make && bash tests/integration/test_topui.sh

source "$(dirname "$0")/lib.sh"

R=$RSTTRACE
T=$(tmpdir)
TM="rt-topui-$$"

mkpin P topui
ns_pair u
SRV=$NS_A
CLI=$NS_B
H1=10.201.${_NS_IDX}.11

tm() { tmux -L "$TM" "$@"; }

# The pane's text now.
screen() { tm capture-pane -p -t top 2>/dev/null; }

# The first host row: the line after the header HOST ... .
first_host() { screen | awk '/^HOST /{getline; print $1; exit}'; }

# first_is HOST: that host is on the first row (for wait_for, run each time).
first_is() { [ "$(first_host)" == "$1" ]; }

# start_top LANG COLS: top in a fresh tmux session of COLS x 24; after it
# exits the pane says so and records the terminal's mode.
start_top() {
	local i
	tm kill-server 2>/dev/null
	rm -f "$T/stty.txt"
	# A server being killed can still hold the socket a moment: try again.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		tm -f /dev/null new-session -d -s top -x "$2" -y 24 \
			"env LANG=$1 LC_ALL= nsenter --net=/run/netns/$SRV $R top --interval 0.5 --pin-path $P; echo TOP-EXITED \$?; stty -a > $T/stty.txt; sleep 30" \
			2>/dev/null && break
		sleep 0.2
	done
	TOP_PID=$(tm display -p -t top '#{pane_pid}')
}

# Lines of FILE longer than COLS characters (not bytes: a block is 3 bytes).
too_long() {
	local l n=0
	while IFS= read -r l; do
		[ "${#l}" -gt "$2" ] && n=$((n + 1))
	done < <(LC_ALL=C.UTF-8 cat "$1")
	echo $n
}

cleanup_tmux() { tm kill-server 2>/dev/null; }

setup() {
	nsx "$SRV" "$R" attach -i "$VETH_A" --pin-path "$P" >"$T/att.out" 2>"$T/att.err" || return 1
	bg_start HP1 nsx "$CLI" timeout 40 hping3 -q -R -a "$H1" -s 40000 -k -p 80 -i u16666 \
		-c 2400 "$IP4_A" >/dev/null 2>&1
	bg_start HP2 nsx "$CLI" timeout 40 hping3 -q -S -p 9 -i u50000 -c 800 "$IP4_A" \
		>/dev/null 2>&1
}

t_fits_80() {
	local long
	start_top C.UTF-8 80
	wait_for 10 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^$H1 '"
	sleep 2 # a few refreshes: the history has some seconds
	screen >"$T/s80.txt"
	long=$(LC_ALL=C.UTF-8 too_long "$T/s80.txt" 80)
	assert_eq "80 columns: no line longer than 80" 0 "$long"
	assert_eq "80 columns: one line per host (both hosts, one line each)" "1 1" \
		"$(grep -c "^$H1 " "$T/s80.txt") $(grep -c "^$IP4_B " "$T/s80.txt")"
	assert_eq "sparkline: UTF-8 blocks on the total and the host rows" yes \
		"$(grep -q '^RST/s, 60s .*[▁▂▃▄▅▆▇█]' "$T/s80.txt" && grep -q "^$H1 .*[▂▃▄▅▆▇█]" "$T/s80.txt" && echo yes || echo no)"
	assert_eq "the keys are shown" 1 "$(grep -c '^q quit  sort: r RST/s' "$T/s80.txt")"
}

t_sort_keys() {
	# Default: RST/s (in + out): H1 at 60 before the client at 20.
	wait_for 5 first_is "$H1"
	assert_eq "sort by RST/s: H1 first" "$H1" "$(first_host)"
	tm send-keys -t top o
	wait_for 3 first_is "$IP4_B"
	assert_eq "o (RST out): the client first" "$IP4_B sort: RST/s out" \
		"$(first_host) $(screen | grep -o 'sort: RST/s out')"
	tm send-keys -t top i
	wait_for 3 first_is "$H1"
	assert_eq "i (RST in): H1 first" "$H1" "$(first_host)"
	tm send-keys -t top s
	wait_for 3 first_is "$IP4_B"
	assert_eq "s (SYN): the client first" "$IP4_B" "$(first_host)"
	screen >"$T/syn.txt"
	assert_eq "RST/SYN over the interval: the client's is 1.00" "1.00" \
		"$(awk -v h="$IP4_B" '$1 == h { print $5 }' "$T/syn.txt")"
}

t_resize() {
	tm resize-window -t top -x 120 -y 30 2>/dev/null || tm resize-pane -t top -x 120 -y 30
	sleep 1
	screen >"$T/s120.txt"
	assert_eq "resized to 120: lines fill it, none longer" "yes 0" \
		"$(awk '{ if (length($0) > 100) w = 1 } END { print (w ? "yes" : "no") }' "$T/s120.txt") $(LC_ALL=C.UTF-8 too_long "$T/s120.txt" 120)"
}

t_quit() {
	local t0 t1
	t0=$(date +%s%N)
	tm send-keys -t top q
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q TOP-EXITED"
	t1=$(date +%s%N)
	assert_eq "q quits, exit 0" "TOP-EXITED 0" "$(screen | grep -o 'TOP-EXITED [0-9]*')"
	if [ $(((t1 - t0) / 1000000)) -lt 1000 ]; then
		ok "q quits within a second ($(((t1 - t0) / 1000000)) ms)"
	else
		not_ok "q quits within a second ($(((t1 - t0) / 1000000)) ms)"
	fi
	# The terminal is back: echo and canonical mode (stty run in the pane after top).
	wait_for 3 test -s "$T/stty.txt"
	assert_eq "the terminal's mode restored (icanon echo)" "icanon echo" \
		"$(grep -ow -e icanon -e echo "$T/stty.txt" | sort -u | xargs | sed 's/echo icanon/icanon echo/')"
}

# The pane's terminal mode: "raw" (no icanon, no echo) or "cooked".
tty_mode() {
	stty -a -F "$(tm display -p -t top '#{pane_tty}')" | grep -qw -- -icanon && echo raw || echo cooked
}

# ^Z gives the terminal back while top is stopped (the normal screen, the
# shell's job message), fg takes it again. Under an interactive shell: job
# control needs a process group that is not orphaned (a pane's own command
# would have its stop discarded by the kernel).
t_suspend() {
	tm kill-server 2>/dev/null
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		tm -f /dev/null new-session -d -s top -x 80 -y 24 "env PS1='sh$ ' bash --norc --noprofile -i" \
			2>/dev/null && break
		sleep 0.2
	done
	TOP_PID=$(tm display -p -t top '#{pane_pid}')
	tm send-keys -t top "env LANG=C.UTF-8 nsenter --net=/run/netns/$SRV $R top --interval 0.5 --pin-path $P" Enter
	wait_for 10 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^HOST '"
	assert_eq "running: the terminal in raw mode" raw "$(tty_mode)"
	tm send-keys -t top C-z
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q Stopped"
	assert_eq "^Z: stopped, the shell's screen back (top's gone from it)" "yes no" \
		"$(screen | grep -q Stopped && echo yes || echo no) $(screen | grep -q '^HOST ' && echo yes || echo no)"
	tm send-keys -t top "fg" Enter
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^HOST '"
	sleep 0.3
	assert_eq "fg: top's screen again, raw again" "yes raw" \
		"$(screen | grep -q '^HOST ' && echo yes || echo no) $(tty_mode)"
	tm send-keys -t top q
	wait_for 3 bash -c "! tmux -L $TM capture-pane -p -t top | grep -q '^HOST '"
	tm send-keys -t top "echo TOP-EXITED \$?" Enter
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^TOP-EXITED'"
	assert_eq "then q quits, exit 0, back to the shell's screen" "TOP-EXITED 0" \
		"$(screen | grep -o '^TOP-EXITED [0-9]*')"
}

# ^C (SIGINT) and SIGTERM end it too, the terminal restored.
t_signal() {
	start_top C.UTF-8 80
	wait_for 10 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^HOST '"
	tm send-keys -t top C-c
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q TOP-EXITED"
	assert_eq "^C: exit 0, the normal screen back" "TOP-EXITED 0 no" \
		"$(screen | grep -o 'TOP-EXITED [0-9]*') $(screen | grep -q '^HOST ' && echo yes || echo no)"
}

t_ascii() {
	start_top C 80
	wait_for 10 bash -c "tmux -L $TM capture-pane -p -t top | grep -q '^$H1 '"
	sleep 1.5
	screen >"$T/ascii.txt"
	assert_eq "LANG=C: the sparkline in ASCII, no UTF-8 byte" "yes 0" \
		"$(grep -Eq '^RST/s, 60s .*[_.:=+*#-]' "$T/ascii.txt" && echo yes || echo no) $(LC_ALL=C grep -c -P '[\x80-\xff]' "$T/ascii.txt")"
	tm send-keys -t top q
	wait_for 3 bash -c "tmux -L $TM capture-pane -p -t top | grep -q TOP-EXITED"
}

# --once and a pipe keep the line format of scripts: the columns as before,
# and the cause column (docs/reasons.md) at the end.
t_once_stable() {
	nsx "$SRV" "$R" top --once --interval 0.5 --pin-path "$P" >"$T/once.txt" 2>&1
	assert_eq "top --once: the header of the line format" \
		"HOST RST/s IN RST/s OUT SYN/s RST/SYN RST IN RST OUT SYN SEEN TOP REASON" \
		"$(grep '^HOST' "$T/once.txt" | xargs)"
	nsx "$SRV" "$R" top --once --json --interval 0.5 --pin-path "$P" >"$T/once.json" 2>&1
	assert_eq "top --once --json: the interval ratio beside the lifetime one" "true true" \
		"$(jq -c '[.hosts[0] | has("rst_syn_ratio"), has("rst_syn_ratio_interval")] | map(tostring) | join(" ")' -r "$T/once.json")"
}

t_nothing_left() {
	local pid left=""
	cleanup_tmux
	for pid in "$TOP_PID" "$HP1" "$HP2"; do
		bg_stop "$pid" 2>/dev/null
	done
	sleep 0.2
	pgrep -f "tmux -L $TM" >/dev/null && left+=" tmux"
	for pid in "${_PIDS[@]}" "$TOP_PID"; do
		kill -0 "$pid" 2>/dev/null && left+=" $pid"
	done
	assert_eq "nothing left running (tmux server, top, hping3)" "" "$left"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
trap 'cleanup_tmux; cleanup' EXIT
setup || {
	not_ok "setup"
	cat "$T/att.err"
	finish
	exit 1
}
run_test t_fits_80
run_test t_sort_keys
run_test t_resize
run_test t_quit
run_test t_signal
run_test t_suspend
run_test t_ascii
run_test t_once_stable
run_test t_nothing_left
nsx "$SRV" "$R" detach --all --pin-path "$P" >/dev/null 2>&1
finish

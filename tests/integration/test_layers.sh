#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The folders of user/ are layers (docs/architecture.md): a file includes
# headers of its own folder or of a layer below, never above or beside:
# commands → outputs → views, filter → kernel → cli → sys. A header's folder
# is where it lives; an include against the order fails, named.

. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

rank() {
	case $1 in
	commands) echo 6 ;; outputs) echo 5 ;; views | filter) echo 4 ;;
	kernel) echo 3 ;; cli) echo 2 ;; sys) echo 1 ;; *) echo 0 ;;
	esac
}

t_layers() {
	local f dir inc home bad="" n=0
	declare -A where
	for f in "$TOP"/user/*/*.h; do
		where[$(basename "$f")]=$(basename "$(dirname "$f")")
	done
	for f in "$TOP"/user/*/*.[ch]; do
		dir=$(basename "$(dirname "$f")")
		[ "$(rank "$dir")" -gt 0 ] || { bad="$bad ${f#"$TOP"/}(unknown folder)"; continue; }
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			home=${where[$inc]:-}
			[ -n "$home" ] || continue
			n=$((n + 1))
			if [ "$home" != "$dir" ] && [ "$(rank "$home")" -ge "$(rank "$dir")" ]; then
				bad="$bad ${f#"$TOP"/}->$home/$inc"
			fi
		done
	done
	assert_eq "user/: all $n includes of our headers point down the layers" "" "$bad"
}

run_test t_layers
finish

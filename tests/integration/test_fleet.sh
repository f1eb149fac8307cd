#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet view on a real Prometheus (Debian's /usr/bin/prometheus): two
# test hosts, each with a traced data link and an untraced management link
# to a third namespace, the hub, which makes the resets and runs
# Prometheus. edge1 exports with `watch --metrics`, edge2 with `attach` +
# `serve`; both listen on their management address. After known resets
# (refused connections from the hub, crafted RSTs from one spoofed source
# to both hosts) the test runs, through Prometheus' HTTP API, every
# recording rule of docs/prometheus/alerts.yml and every query of the
# Grafana dashboard (docs/grafana/rsttrace.json, extracted with jq: no
# hand-copied list) and the migration queries of docs/metrics.md, and
# asserts their values; sees RsttraceEventsLost pending where the ring
# overflowed; then it stops edge2's exporter and sees `up` drop and
# RsttraceDown go pending.
#
# Exact rates: a query evaluated at the timestamp of an instance's last
# scrape, over a window that holds the whole life of a series which began
# at 0, is exactly increase / window (Prometheus extrapolates neither
# before a first sample of 0 nor past a last sample at the evaluation
# time). So every per-instance value is asserted exactly (to 6 digits),
# at that instance's own scrape time.

. "$(dirname "$0")/lib.sh"
RSTGEN=${RSTGEN:-$(dirname "$RSTTRACE")/tests/rstgen}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DASH=$TOP/docs/grafana/rsttrace.json
RULES=$TOP/docs/prometheus/alerts.yml
T=$(tmpdir)
PROM_PORT=19090
PROM="http://127.0.0.1:$PROM_PORT"
W=300 # the window the test gives $__rate_interval: 5m, longer than the test
SPOOF=10.99.0.7
# Resets per host, in two phases each (1, then the rest): a host series is
# born at 1, so rate() reads its whole count (see docs/metrics.md).
R1=35 X1=30 # edge1: refused connections from the hub, spoofed RSTs from $SPOOF
R2=40 X2=25 # edge2; $SPOOF (55 in all) tops the fleet, no instance alone
# edge2's 65 events overflow its 4096-byte ring unless something reads it.

# The namespaces: hub, h1, h2; hosts' data links traced, management links not.
HUB="rt${_TAG}fhub"
H1="rt${_TAG}fh1"
H2="rt${_TAG}fh2"
for ns in "$HUB" "$H1" "$H2"; do
	ip netns add "$ns" || { not_ok "netns setup"; finish; exit 1; }
	_NS_MADE+=("$ns") # lib.sh's cleanup deletes them
	ip -n "$ns" link set lo up
done

# link NS_HOST N KIND HOSTIF HUBIF: a veth pair host <-> hub on 10.202.N.0/24.
link() {
	ip link add "$3" netns "$1" type veth peer name "$4" netns "$HUB" || return 1
	ip -n "$1" addr add "10.202.$2.1/24" dev "$3"
	ip -n "$HUB" addr add "10.202.$2.2/24" dev "$4"
	ip -n "$1" link set "$3" up
	ip -n "$HUB" link set "$4" up
	# Neighbours resolved up front (the link may still be coming up: not fatal).
	nsx "$HUB" ping -c1 -W2 "10.202.$2.1" >/dev/null 2>&1
	return 0
}
D1="fd${_TAG}1" D2="fd${_TAG}2" # data links, host side (traced)
link "$H1" 1 "$D1" "fe${_TAG}1" && link "$H2" 2 "$D2" "fe${_TAG}2" &&
	link "$H1" 11 "fm${_TAG}1" "fn${_TAG}1" && link "$H2" 12 "fm${_TAG}2" "fn${_TAG}2" ||
	{ not_ok "veth setup"; finish; exit 1; }
HUB1=10.202.1.2 HUB2=10.202.2.2

PIN=$(pin_dir fleet)
W1="" S2="" PROM_PID=""

# gate NAME RC [LOG...]: one TAP line for a step the rest needs; on failure
# the logs' tails, and status 1.
gate() {
	local name=$1 rc=$2
	shift 2
	if [ "$rc" -eq 0 ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name"
	[ $# -gt 0 ] && tail -n 5 "$@" | sed 's/^/# /'
	return 1
}

# pq FILE EXPR [TIME]: run EXPR through /api/v1/query (at TIME), JSON into FILE.
pq() {
	nsx "$HUB" curl -sS --max-time 10 -G "$PROM/api/v1/query" --data-urlencode "query=$2" \
		${3:+--data-urlencode "time=$3"} -o "$1" 2>>"$T/curl.err"
}

# rows FILE: the result as sorted lines "label=value,... VALUE", values to 6
# significant digits (a float computed two ways agrees to that).
rows() {
	jq -r 'if .status == "success" then .data.result[] |
		((.metric | to_entries | sort_by(.key) | map("\(.key)=\(.value)") | join(",")) +
		" " + .value[1]) else "ERROR \(.error)" end' "$1" 2>/dev/null |
		awk '{ v = $NF; $NF = ""; if (v ~ /^[-+0-9.e]+$/) v = sprintf("%.6g", v); print $0 v }' |
		sort
}

# g N D: N / D to 6 significant digits, as rows prints it.
g() { awk -v n="$1" -v d="$2" 'BEGIN { printf "%.6g\n", n / d }'; }

# last_scrape INSTANCE: the timestamp of its last scrape (seconds, ms precision).
last_scrape() {
	pq "$T/ts.json" "timestamp(up{instance=\"$1\"})"
	jq -r '.data.result[0].value[1] // empty' "$T/ts.json"
}

# prom_has EXPR WANT: the instant value of EXPR (one series) is WANT now.
prom_has() {
	pq "$T/has.json" "$1"
	[ "$(jq -r '.data.result[0].value[1] // empty' "$T/has.json")" = "$2" ]
}

start_exporters() {
	bg_start W1 nsx "$H1" "$RSTTRACE" watch -i "$D1" --rate-limit 0 \
		--metrics 10.202.11.1:10281 >"$T/w1.out" 2>"$T/w1.err"
	nsx "$H2" "$RSTTRACE" attach -i "$D2" --pin-path "$PIN" --ring-size 4096 >"$T/a2.out" 2>&1
	assert_eq "edge2: attach -i $D2 (ring 4096 bytes)" 0 $?
	# serve consumes the ring and writes it (the consumer's losses panel reads its sink).
	bg_start S2 nsx "$H2" "$RSTTRACE" serve --pin-path "$PIN" --listen 10.202.12.1:10281 \
		--run-dir "$T/run2" --json-out "$T/e2.json" >/dev/null 2>"$T/s2.err"
	wait_for 10 grep -q watching "$T/w1.err" && wait_for 10 grep -q 'serving metrics' "$T/s2.err"
	gate "edge1 watch --metrics and edge2 serve started" $? "$T/w1.err" "$T/s2.err"
}

start_prometheus() {
	mkdir -p "$T/prom/data"
	# The rules as shipped, evaluated every second instead of every 30 s.
	sed 's/^\(    interval:\) 30s$/\1 1s/' "$RULES" >"$T/prom/alerts.yml"
	cat >"$T/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: rsttrace
    static_configs:
      - targets: ["10.202.11.1:10281"]
        labels: {instance: edge1}
      - targets: ["10.202.12.1:10281"]
        labels: {instance: edge2}
EOF
	assert_cmd "promtool check config of the test's Prometheus" \
		promtool check config "$T/prom/prometheus.yml"
	# No --web.enable-lifecycle: the test stops it by PID.
	bg_start PROM_PID nsx "$HUB" prometheus --config.file="$T/prom/prometheus.yml" \
		--storage.tsdb.path="$T/prom/data" --web.listen-address="127.0.0.1:$PROM_PORT" \
		--log.level=warn >"$T/prom/out" 2>&1
	wait_for 30 prom_has 'count(up{job="rsttrace"} == 1)' 2
	gate "prometheus scrapes both exporters (up == 1)" $? "$T/prom/out"
}

# The series that the exact rates need born at 0, before any reset: a
# ping each way gives each data link's counter rows in both directions.
wait_zero() {
	nsx "$HUB" ping -c1 -W2 10.202.1.1 >/dev/null 2>&1
	nsx "$HUB" ping -c1 -W2 10.202.2.1 >/dev/null 2>&1
	wait_for 20 prom_has "count(rsttrace_tcp_resets_total{device=~\"$D1|$D2\"} == 0)" 8
	gate "the 8 reset series (2 hosts x 2 directions x 2 flags) scraped at 0" $?
}

spoof() { # spoof NS_HOST HUBIF ADDR COUNT: crafted RSTs from $SPOOF
	local mac
	mac=$(ip -n "$1" -j link show dev "$3" | jq -r '.[0].address')
	"$RSTGEN" -c "$HUB" -i "$2" -m "$mac" -a "$SPOOF" raw-rst "$4" 80 "$5" >/dev/null 2>&1
}

# phase N: edge1 gets R refused and X spoofed, edge2 the same, N = 1 or the rest.
phase() {
	local r1=$1 x1=$2 r2=$3 x2=$4
	"$RSTGEN" -s "$H1" -c "$HUB" refused 10.202.1.1 9 "$r1" >/dev/null 2>&1
	"$RSTGEN" -s "$H2" -c "$HUB" refused 10.202.2.1 9 "$r2" >/dev/null 2>&1
	spoof "$H1" "fe${_TAG}1" "$D1" 10.202.1.1 "$x1"
	spoof "$H2" "fe${_TAG}2" "$D2" 10.202.2.1 "$x2"
}

# Prometheus has scraped both hosts' resets: per host R + X in rsttrace_tcp_resets_total.
scraped() {
	prom_has "sum(rsttrace_tcp_resets_total{instance=\"edge1\"})" "$1" &&
		prom_has "sum(rsttrace_tcp_resets_total{instance=\"edge2\"})" "$2" &&
		prom_has "count(rsttrace_host_resets_total{host=\"$SPOOF\"})" 4
}

make_resets() {
	phase 1 1 1 1
	wait_for 20 scraped 2 2
	assert_eq "phase 1 (1 refused, 1 spoofed per host) scraped" 0 $?
	phase $((R1 - 1)) $((X1 - 1)) $((R2 - 1)) $((X2 - 1))
	wait_for 20 scraped $((R1 + X1)) $((R2 + X2))
	assert_eq "phase 2 scraped: $((R1 + X1)) and $((R2 + X2)) resets" 0 $?
	# One more scrape of a snapshot surely built after the last packet
	# (snapshots are at most 1 s old; hosts are read before counters).
	sleep 2.5
	T1=$(last_scrape edge1)
	T2=$(last_scrape edge2)
	diag "evaluating edge1 at $T1, edge2 at $T2"
}

# counter INSTANCE TIME SELECTOR: the sum of the instant values (exact counters).
counter() {
	pq "$T/c.json" "sum(${3})" "$2"
	jq -r '.data.result[0].value[1] // "none"' "$T/c.json"
}

# The counters themselves, as instant queries: the oracle of the rates below.
test_counters() {
	local i t r x v
	for i in 1 2; do
		t=T$i r=R$i x=X$i
		assert_eq "edge$i: RST-ACKs out (refused) = ${!r}" "${!r}" \
			"$(counter edge$i "${!t}" "rsttrace_tcp_resets_total{instance=\"edge$i\",direction=\"out\",flag=\"rstack\"}")"
		assert_eq "edge$i: RSTs in (spoofed) = ${!x}" "${!x}" \
			"$(counter edge$i "${!t}" "rsttrace_tcp_resets_total{instance=\"edge$i\",direction=\"in\",flag=\"rst\"}")"
		assert_eq "edge$i: events by result sum to the resets" $((${!r} + ${!x})) \
			"$(counter edge$i "${!t}" "rsttrace_events_total{instance=\"edge$i\"}")"
		assert_eq "edge$i: hosts in the table: the hub and $SPOOF" 2 \
			"$(counter edge$i "${!t}" "rsttrace_hosts_entries{instance=\"edge$i\"}")"
	done
	assert_eq "edge1 (watch, no rate limit): every event delivered" $((R1 + X1)) \
		"$(counter edge1 "$T1" 'rsttrace_events_total{instance="edge1",result="delivered"}')"
	# edge2's losses (ring full) depend on who reads its pinned ring: their
	# value is read here and the rates below must agree with it.
	for v in delivered sampled_out rate_limited ring_full filtered; do
		printf -v "EV2_$v" '%s' "$(counter edge2 "$T2" "rsttrace_events_total{instance=\"edge2\",result=\"$v\"}")"
	done
	diag "edge2 events: delivered $EV2_delivered, ring_full $EV2_ring_full, rate_limited $EV2_rate_limited"
	for i in 1 2; do
		t=T$i
		printf -v "HL$i" '%s' "$(counter edge$i "${!t}" "rsttrace_hosts_entries_limit{instance=\"edge$i\"}")"
		printf -v "FE$i" '%s' "$(counter edge$i "${!t}" "rsttrace_flows_entries{instance=\"edge$i\"}")"
		printf -v "FL$i" '%s' "$(counter edge$i "${!t}" "rsttrace_flows_entries_limit{instance=\"edge$i\"}")"
	done
}

# other_rows INSTANCE: the kernel's overflow counter slot, always read
# (docs/metrics.md), as device="other": no reset there.
other_rows() {
	echo "device=other,direction=in,instance=$1 0"
	echo "device=other,direction=out,instance=$1 0"
}

# expect_rule RECORD INSTANCE: the rows a recording rule gives for edge$INSTANCE.
expect_rule() {
	local i=$2 d r x hub e="edge$2"
	d=D$i r=R$i x=X$i hub=HUB$i
	case $1 in
	instance_direction:rsttrace_tcp_resets:rate5m)
		echo "direction=in,instance=$e $(g "${!x}" $W)"
		echo "direction=out,instance=$e $(g "${!r}" $W)" ;;
	instance_device_direction:rsttrace_tcp_resets:rate5m)
		echo "device=${!d},direction=in,instance=$e $(g "${!x}" $W)"
		echo "device=${!d},direction=out,instance=$e $(g "${!r}" $W)"
		other_rows "$e" ;;
	instance_direction:rsttrace_tcp_syns:rate5m)
		echo "direction=in,instance=$e $(g "${!r}" $W)"
		echo "direction=out,instance=$e 0" ;;
	instance_host:rsttrace_host_resets:rate5m)
		echo "host=${!hub},instance=$e $(g "${!r}" $W)"
		echo "host=$SPOOF,instance=$e $(g "${!x}" $W)" ;;
	instance_host:rsttrace_host_resets:rate1h)
		echo "host=${!hub},instance=$e $(g "${!r}" 3600)"
		echo "host=$SPOOF,instance=$e $(g "${!x}" 3600)" ;;
	instance:rsttrace_tcp_resets:rate1h)
		echo "instance=$e $(g $((${!r} + ${!x})) 3600)" ;;
	instance:rsttrace_events_ring_full:rate5m)
		[ "$i" = 1 ] && echo "instance=$e 0" || echo "instance=$e $(g "$EV2_ring_full" $W)" ;;
	instance_result:rsttrace_events:rate5m)
		for v in delivered filtered rate_limited ring_full sampled_out; do
			if [ "$i" = 1 ]; then
				[ $v = delivered ] && echo "instance=$e,result=$v $(g $((R1 + X1)) $W)" ||
					echo "instance=$e,result=$v 0"
			else
				local ev=EV2_$v
				echo "instance=$e,result=$v $(g "${!ev}" $W)"
			fi
		done ;;
	instance_reason:rsttrace_malformed_packets:rate5m)
		echo "15 0" ;; # 15 reasons, all 0 (checked as a count and a sum)
	*) echo "unknown rule $1" ;;
	esac
}

test_recording_rules() {
	local rec expr i t n=0 got
	yq -r '.groups[].rules[] | select(.record) | [.record, (.expr | gsub("\n"; " "))] | @tsv' \
		"$RULES" >"$T/rules.tsv"
	while IFS=$'\t' read -r rec expr; do
		n=$((n + 1))
		if [ "$rec" = host:rsttrace_host_resets:rate5m ]; then
			# Fleet-wide: instances are scraped at different times, so
			# the ranking is asserted, not the sums.
			pq "$T/r.json" "$expr" "$T1"
			assert_eq "rule $rec: fleet-wide top source $SPOOF, then $HUB1, $HUB2" \
				"$SPOOF $HUB2 $HUB1" \
				"$(jq -r '[.data.result[]] | sort_by(-(.value[1] | tonumber)) | map(.metric.host) | join(" ")' "$T/r.json")"
			continue
		fi
		for i in 1 2; do
			t=T$i
			pq "$T/r.json" "$expr" "${!t}"
			got=$(rows "$T/r.json" | grep "instance=edge$i\b")
			if [ "$rec" = instance_reason:rsttrace_malformed_packets:rate5m ]; then
				got=$(echo "$got" | awk '{ n++; s += $NF } END { print n, s }')
			fi
			assert_eq "rule $rec (edge$i)" "$(expect_rule "$rec" $i | sort)" "$got"
		done
	done <"$T/rules.tsv"
	assert_eq "every recording rule of alerts.yml run (10)" 10 "$n"
	# The rules Prometheus itself evaluates: all healthy, each recorded.
	nsx "$HUB" curl -sS --max-time 10 "$PROM/api/v1/rules" -o "$T/rules.json"
	assert_eq "prometheus evaluates every rule of alerts.yml without error" \
		"$(yq -r '[.groups[].rules[]] | length' "$RULES") ok" \
		"$(jq -r '[.data.groups[].rules[]] | "\(length) \(map(.health) | unique | join(","))"' "$T/rules.json")"
}

# expect_panel TITLE REFID INSTANCE: the rows a dashboard query gives for
# edge$INSTANCE alone, or "?" when only non-emptiness is known.
expect_panel() {
	local i=$3 d r x hub e="edge$3"
	d=D$i r=R$i x=X$i hub=HUB$i
	case "$1/$2" in
	"Resets per second by device and direction/A")
		echo "device=${!d},direction=in,instance=$e $(g "${!x}" $W)"
		echo "device=${!d},direction=out,instance=$e $(g "${!r}" $W)"
		other_rows "$e" ;;
	"Resets per second by flag/A")
		echo "direction=in,flag=rst $(g "${!x}" $W)"
		echo "direction=in,flag=rstack 0"
		echo "direction=out,flag=rst 0"
		echo "direction=out,flag=rstack $(g "${!r}" $W)" ;;
	"Resets per SYN received/A")
		echo "instance=$e $(g "${!x}" "${!r}")" ;;
	"Top resetting sources, fleet-wide/A")
		echo "host=${!hub} $(g "${!r}" $W)"
		echo "host=$SPOOF $(g "${!x}" $W)" ;;
	"Top resetting sources by instance/A")
		echo "direction=in,host=${!hub},instance=$e 0"
		echo "direction=in,host=$SPOOF,instance=$e $(g "${!x}" $W)"
		echo "direction=out,host=${!hub},instance=$e $(g "${!r}" $W)"
		echo "direction=out,host=$SPOOF,instance=$e 0" ;;
	"RST events not delivered, by cause/A")
		for v in filtered rate_limited ring_full sampled_out; do
			local ev=EV2_$v
			[ "$i" = 1 ] && echo "instance=$e,result=$v 0" ||
				echo "instance=$e,result=$v $(g "${!ev}" $W)"
		done ;;
	"Share of RST events lost (ring full)/A")
		[ "$i" = 1 ] && echo "instance=$e 0" ||
			echo "instance=$e $(g "$EV2_ring_full" $((R2 + X2)))" ;;
	"Map fill/A")
		local hl=HL$i
		echo "instance=$e,job=rsttrace $(g 2 "${!hl}")" ;;
	"Map fill/B")
		local fe=FE$i fl=FL$i
		echo "instance=$e,job=rsttrace $(g "${!fe}" "${!fl}")" ;;
	"Exporters up/A")
		echo "__name__=up,instance=$e,job=rsttrace 1" ;;
	"Event consumer losses/A")
		# serve's families: edge2 only; its JSON sink wrote all.
		[ "$i" = 2 ] && echo "instance=$e,sink=json 0" ;;
	"Event consumer losses/B")
		[ "$i" = 2 ] && echo "instance=$e 0" ;;
	"Attached programs/A")
		echo "device=${!d},hook=tc_egress,instance=$e 1"
		echo "device=${!d},hook=xdp,instance=$e 1" ;;
	*) echo "?" ;;
	esac
}

# The families the exporters export, either of them (a query on another is
# skipped, saying so: a family of a later build; serve's consumer families
# come from edge2 only).
exported_families() {
	local a
	for a in 10.202.11.1 10.202.12.1; do
		nsx "$HUB" curl -sS --max-time 10 "http://$a:10281/metrics" |
			sed -n 's/^# TYPE \([a-z_:]*\) .*/\1/p'
	done | sort -u
	echo up
}

test_dashboard() {
	local title ref expr q fam missing i t want n=0 fams
	assert_cmd "the dashboard is JSON" jq -e '.panels | length > 0' "$DASH"
	fams=" $(exported_families | xargs) "
	jq -r '.panels[] | select(.targets) | .title as $t | .targets[] | [$t, .refId, .expr] | @tsv' \
		"$DASH" >"$T/dash.tsv"
	while IFS=$'\t' read -r title ref expr; do
		n=$((n + 1))
		missing=""
		for fam in $(grep -o 'rsttrace_[a-z_]*\|\bup\b' <<<"$expr" | sort -u); do
			case "$fams" in *" $fam "*) ;; *) missing="$missing $fam" ;; esac
		done
		if [ -n "$missing" ]; then
			ok "dashboard '$title' $ref # SKIP not exported by this build:$missing"
			continue
		fi
		q=${expr//'$__rate_interval'/5m}
		# All instances: not empty.
		pq "$T/d.json" "${q//'$instance'/.*}" "$T1"
		[ "$(jq -r '.status' "$T/d.json")" = success ] &&
			[ "$(jq '.data.result | length' "$T/d.json")" -gt 0 ] &&
			ok "dashboard '$title' $ref: a result for all instances" ||
			{ not_ok "dashboard '$title' $ref: a result for all instances"; diag "$q"; cat "$T/d.json"; }
		if [ "$title" = "Top resetting sources, fleet-wide" ]; then
			assert_eq "dashboard '$title': $SPOOF first" "$SPOOF" \
				"$(jq -r '[.data.result[]] | sort_by(-(.value[1] | tonumber)) | .[0].metric.host' "$T/d.json")"
		fi
		# Each instance alone, at its own scrape time: the values.
		for i in 1 2; do
			t=T$i
			want=$(expect_panel "$title" "$ref" $i | sort)
			pq "$T/d.json" "${q//'$instance'/edge$i}" "${!t}"
			if [ "$want" = "?" ]; then
				[ -n "$(rows "$T/d.json")" ] && ok "dashboard '$title' $ref (edge$i): not empty" ||
					not_ok "dashboard '$title' $ref (edge$i): not empty"
			else
				assert_eq "dashboard '$title' $ref (edge$i)" "$want" "$(rows "$T/d.json")"
			fi
		done
	done <"$T/dash.tsv"
	assert_eq "every query of the dashboard run" "$(jq '[.panels[].targets[]?] | length' "$DASH")" "$n"
}

# The migration table of docs/metrics.md: each query that replaces an old
# series gives a result, and the label_replace example gives the old
# rsttrace_tcp_rst_packets_total{iface,dir} value, exactly.
test_migration() {
	local md=$TOP/docs/metrics.md q n=0
	awk '/^## Migration/ { on = 1; next } /^## / { on = 0 }
		on && /^\| `/ { split($0, c, " \\| "); if (match(c[2], /`[^`]+`/))
			print substr(c[2], RSTART + 1, RLENGTH - 2) }' "$md" >"$T/mig.txt"
	while read -r q; do
		n=$((n + 1))
		pq "$T/m.json" "$q" "$T1"
		[ "$(jq '.data.result | length' "$T/m.json" 2>/dev/null)" -gt 0 ] 2>/dev/null &&
			ok "migration: $q gives a result" || not_ok "migration: $q gives a result"
	done <"$T/mig.txt"
	assert_eq "migration: the table's 12 queries run" 12 "$n"
	q=$(awk '/^## Migration/ { on = 1; next } /^## / { on = 0 }
		on && /^```promql/ { b = 1; next } on && b && /^```/ { b = 0 } on && b' "$md")
	pq "$T/m.json" "${q//eth0/$D1}" "$T1"
	assert_eq "migration: label_replace gives the old iface and dir, and the value" \
		"dir=in,iface=$D1,instance=edge1 $X1" "$(rows "$T/m.json" | grep 'instance=edge1')"
}

# The loss alert on the real Prometheus: pending for edge2 exactly when its
# ring overflowed (1 % of its events or more), never for edge1.
test_losses_alert() {
	local want=""
	[ "${EV2_ring_full:-0}" -gt 0 ] && want=edge2
	[ -n "$want" ] && wait_for 15 prom_has \
		'count(ALERTS{alertname="RsttraceEventsLost",alertstate="pending"})' 1
	pq "$T/al.json" 'ALERTS{alertname="RsttraceEventsLost"}'
	assert_eq "RsttraceEventsLost pending for: ${want:-none} (ring full: ${EV2_ring_full:-?} on edge2)" \
		"$want" "$(jq -r '[.data.result[].metric.instance] | join(" ")' "$T/al.json")"
}

test_exporter_down() {
	bg_stop "$S2" TERM
	assert_eq "edge2's serve exits 0 on SIGTERM" 0 "$BG_STATUS"
	wait_for 15 prom_has 'up{instance="edge2"}' 0
	assert_eq "prometheus sees edge2 down (up == 0), edge1 up" "0 1" \
		"$(jq -r '.data.result[0].value[1]' "$T/has.json") $(pq "$T/u1.json" 'up{instance="edge1"}'; jq -r '.data.result[0].value[1]' "$T/u1.json")"
	wait_for 15 prom_has 'count(ALERTS{alertname="RsttraceDown",instance="edge2",alertstate="pending"})' 1
	assert_eq "RsttraceDown pending for edge2 (fires after its 5 minutes)" 0 $?
	pq "$T/al.json" 'ALERTS{alertname="RsttraceDown"}'
	assert_eq "and for edge2 only" "edge2" "$(jq -r '[.data.result[].metric.instance] | join(" ")' "$T/al.json")"
}

stop_all() {
	bg_stop "$PROM_PID" TERM
	assert_eq "prometheus stopped by its PID" 0 "$BG_STATUS"
	bg_stop "$W1" INT
	assert_eq "edge1's watch exits 0" 0 "$BG_STATUS"
	assert_cmd "edge2: detach --all" nsx "$H2" "$RSTTRACE" detach --all --pin-path "$PIN"
	assert_settles "nothing left attached on edge1" "" bpf_progs_in "$H1"
	assert_settles "nothing left attached on edge2" "" bpf_progs_in "$H2"
}

if start_exporters && start_prometheus && wait_zero; then
	make_resets
	run_test test_counters
	run_test test_recording_rules
	run_test test_dashboard
	run_test test_migration
	run_test test_losses_alert
	run_test test_exporter_down
fi
stop_all
finish

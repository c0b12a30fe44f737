#!/bin/bash
# tests/bench/capture.sh — reading a big capture: `wirelab show --json` and
# `wirelab check` against tshark (the same fields), tcpdump and the floor (a
# bare libpcap loop, build/bench/floor), in the same run, on the same file.
# Writes $B/bench/capture.json.
#
# The capture is made with wirelab itself: every lab is run LAB_RUNS times
# (default 2; `wirelab run --out DIR`, root needed), then
# build/bench/gen_capture replays those connections, each copy with its own
# ports, ISNs and start time, into one pcap of PACKETS packets (default
# 1000000). So the file holds many HTTP, WebSocket, TLS and SSH connections,
# as consistent as the labs' own. Without root, CAPTURE_TEMPLATES=DIR uses
# the pcaps of an earlier `wirelab run --out DIR` instead.
#
# Each tool runs REPS times (default 3; tshark once: ~40-80 s per million
# packets): the median wall time (bash's clock), the peak RSS
# (/usr/bin/time -v). The page cache is warmed first; output goes to
# /dev/null. TSHARK=0 skips tshark. PROFILE=1 adds callgrind profiles of
# `show --json` and `check` on a PROFILE_PACKETS (default 100000) capture.
# Everything generated lives in a temporary directory, removed on exit.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "$(dirname "$0")/lib.sh"
PACKETS=${PACKETS:-1000000}
LAB_RUNS=${LAB_RUNS:-2}
REPS=${REPS:-3}
TSHARK=${TSHARK:-1}
CHECK_LABS=${CHECK_LABS:-http tls12 ssh}
PROFILE=${PROFILE:-0}
PROFILE_PACKETS=${PROFILE_PACKETS:-100000}
WL=$B/wirelab
TIME=/usr/bin/time

[ -x "$WL" ] || { echo "capture.sh: build $WL first (make)" >&2; exit 2; }
for x in gen_capture floor; do
	[ -x "$B/bench/$x" ] || { echo "capture.sh: build $B/bench/$x first (make bench)" >&2; exit 2; }
done
[ -x "$TIME" ] || { echo "capture.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 3; }
command -v tcpdump >/dev/null || { echo "capture.sh: needs tcpdump (apt-get install tcpdump)" >&2; exit 3; }
if [ "$TSHARK" = 1 ] && ! command -v tshark >/dev/null; then
	echo "capture.sh: tshark not installed (apt-get install tshark): skipped"
	TSHARK=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/wirelab-bench-capture-XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# ---- the templates: the labs' own captures ----
if [ -n "${CAPTURE_TEMPLATES:-}" ]; then
	dirs=$CAPTURE_TEMPLATES
else
	if [ "$(id -u)" != 0 ]; then
		echo "capture.sh: needs root to run the labs (or CAPTURE_TEMPLATES=DIR)" >&2
		exit 3
	fi
	dirs=""
	for r in $(seq "$LAB_RUNS"); do
		"$WL" run --out "$work/labs$r" >"$work/labs$r.txt" 2>&1 || true
		dirs="$dirs $work/labs$r"
	done
fi
# The checked labs' captures go first, so that in the big file the first
# stream of each lab's kind (what `check` picks) is that lab's connection.
templates=""
for lab in $CHECK_LABS; do
	for d in $dirs; do
		if [ -f "$d/$lab.pcap" ]; then
			templates="$templates $d/$lab.pcap"
			break
		fi
	done
done
for d in $dirs; do
	for f in "$d"/*.pcap; do
		[ -f "$f" ] || continue
		case " $templates " in *" $f "*) continue ;; esac
		templates="$templates $f"
	done
done
[ -n "$templates" ] || { echo "capture.sh: no lab capture to copy (see $work/labs1.txt)" >&2; exit 1; }
keys_of() { # the key log `wirelab run` kept beside a lab's capture
	for d in $dirs; do
		if [ -f "$d/$1.keys" ]; then
			echo "$d/$1.keys"
			return
		fi
	done
}

big=$work/big.pcap
t0=$(now_us)
# shellcheck disable=SC2086
gen_out=$("$B/bench/gen_capture" -n "$PACKETS" -o "$big" $templates)
t1=$(now_us)
gen_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
npk=$(echo "$gen_out" | awk '{ print $1 }')
nconn=$(echo "$gen_out" | awk '{ print $3 }')
ntpl=$(echo "$templates" | wc -w)
size=$(stat -c %s "$big")
cat "$big" >/dev/null # warm the page cache

# measure NAME REPS CMD...: median wall (s) and peak RSS (KB) of CMD,
# stdout to /dev/null; sets m_wall, m_rss, m_rc.
measure() {
	local name=$1 reps=$2 i t0 t1
	shift 2
	: >"$work/$name.wall"
	: >"$work/$name.rss"
	for i in $(seq "$reps"); do
		t0=$(now_us)
		m_rc=0
		"$TIME" -v -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" || m_rc=$?
		t1=$(now_us)
		echo "$(((t1 - t0)))e-6" >>"$work/$name.wall"
		awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/$name.time" >>"$work/$name.rss"
	done
	m_wall=$(median "$work/$name.wall")
	m_rss=$(sort -n "$work/$name.rss" | tail -1)
	# /usr/bin/time reports the command's own exit status as "Exit status: N"
	m_rc=$(awk -F': ' '/Exit status/ { print $2 }' "$work/$name.time")
}

rows=""
json_tools=""
# row NAME WHAT: record the last measure
row() {
	local pps
	pps=$(div "$npk" "$m_wall")
	rows="$rows$1|$2|$m_wall|$pps|$m_rss|$m_rc
"
	json_tools="$json_tools${json_tools:+,
}    $(jstr "$1"): {\"command\": $(jstr "$2"), \"wall_s\": $(jnum "$m_wall"), \"packets_per_s\": $(jnum "$pps"), \"peak_rss_kb\": $(jnum "$m_rss"), \"exit_status\": $(jnum "$m_rc"), \"runs\": $3}"
	eval "wall_$(echo "$1" | tr -c 'a-z0-9\n' _)=\$m_wall"
	eval "rss_$(echo "$1" | tr -c 'a-z0-9\n' _)=\$m_rss"
}

load0=$(load)
measure floor $((REPS + 2)) "$B/bench/floor" "$big"
row floor "build/bench/floor F" $((REPS + 2))
measure show_json "$REPS" "$WL" show "$big" --json
row show_json "wirelab show F --json" "$REPS"
for lab in $CHECK_LABS; do
	k=$(keys_of "$lab")
	if [ -n "$k" ]; then
		measure "check_$lab" "$REPS" "$WL" check "$lab" "$big" --keylog "$k"
		row "check_$lab" "wirelab check $lab F --keylog $lab.keys" "$REPS"
	else
		measure "check_$lab" "$REPS" "$WL" check "$lab" "$big"
		row "check_$lab" "wirelab check $lab F" "$REPS"
	fi
	[ "$m_rc" = 0 ] || echo "  note: check $lab exited $m_rc on the big capture: $(head -c 300 "$work/check_$lab.err")"
done
measure tcpdump "$REPS" tcpdump -r "$big" -nn
row tcpdump "tcpdump -r F -nn" "$REPS"
load_mid=$(load)
if [ "$TSHARK" = 1 ]; then
	measure tshark 1 tshark -r "$big" -T fields -e frame.number -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len
	row tshark "tshark -r F -T fields -e frame.number -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len" 1
else
	wall_tshark=null
	rss_tshark=null
fi
load1=$(load)

printf '%s\n' "capture reading: $npk packets, $nconn connections copied from $ntpl lab captures, $((size / 1000000)) MB (generated in $gen_s s; load $load0 -> $load_mid -> $load1):"
printf '  %-14s %9s %12s %10s %4s  %s\n' tool "wall s" "packets/s" "peak MB" exit command
printf '%s' "$rows" | while IFS='|' read -r name what w pps rss rc; do
	[ -n "$name" ] || continue
	printf '  %-14s %9s %12s %10s %4s  %s\n' "$name" "$(fmt "$w" 3)" "$(fmt "$pps" 0)" "$(fmt "$(div "$rss" 1000)" 1)" "$rc" "$what"
done
r_show_tshark=$(div "$wall_tshark" "$wall_show_json")
r_show_tcpdump=$(div "$wall_tcpdump" "$wall_show_json")
r_show_floor=$(div "$wall_show_json" "$wall_floor")
echo "  show --json: $(fmt "$r_show_tshark" 1)x faster than tshark, $(fmt "$r_show_tcpdump" 2)x tcpdump's speed, $(fmt "$r_show_floor" 1)x the floor"
target show_vs_tshark "$r_show_tshark" ">=" 30 x "wirelab show --json: tshark wall / wirelab wall"
target show_rss_mb "$(div "$rss_show_json" 1000)" "<=" 64 MB "wirelab show --json peak RSS on the $npk-packet capture"
json_ratios="\"show_vs_tshark\": $(jnum "$r_show_tshark"), \"show_vs_tcpdump\": $(jnum "$r_show_tcpdump"), \"show_over_floor\": $(jnum "$r_show_floor")"
for lab in $CHECK_LABS; do
	v=wall_check_$(echo "$lab" | tr -c 'a-z0-9\n' _)
	rv=rss_check_$(echo "$lab" | tr -c 'a-z0-9\n' _)
	r=$(div "${!v}" "$wall_floor")
	echo "  check $lab: $(fmt "$r" 1)x the floor"
	target "check_${lab}_over_floor" "$r" "<=" 3 x "wirelab check $lab: wall / the floor's"
	target "check_${lab}_rss_mb" "$(div "${!rv}" 1000)" "<=" 64 MB "wirelab check $lab peak RSS on the $npk-packet capture"
	json_ratios="$json_ratios, \"check_${lab}_over_floor\": $(jnum "$r")"
done

# ---- profiles (PROFILE=1): where the instructions go ----
json_profile=null
if [ "$PROFILE" = 1 ]; then
	if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
		small=$work/small.pcap
		"$B/bench/gen_capture" -n "$PROFILE_PACKETS" -o "$small" $templates >/dev/null
		first_check=${CHECK_LABS%% *}
		echo "profiles (callgrind, $PROFILE_PACKETS packets; instructions, inclusive, top functions):"
		json_profile=""
		for what in floor show check; do
			case $what in
			floor) set -- "$B/bench/floor" "$small" ;;
			show) set -- "$WL" show "$small" --json ;;
			check) set -- "$WL" check "$first_check" "$small" ;;
			esac
			valgrind --tool=callgrind --callgrind-out-file="$work/cg.$what" "$@" >/dev/null 2>"$work/cg.$what.err" || true
			ir=$(awk '/Collected :/ { print $NF }' "$work/cg.$what.err")
			echo "  $what: $ir instructions, $(div "$ir" "$PROFILE_PACKETS") a packet"
			callgrind_annotate --inclusive=yes "$work/cg.$what" 2>/dev/null |
				awk '/^ *[0-9,]+ +\( *[0-9.]+%\) +[^ ]+:[^ ]/ && !/PROGRAM TOTALS|\?\?\?:0x|below main|libc-start|ld-linux|libc_start/ {
					# a function appears once per spelling of its file: keep one
					fn = $0; sub(/ \[.*$/, "", fn); sub(/^.*:/, "", fn)
					if (fn in seen) next; seen[fn] = 1; print }' |
				head -16 | sed 's/^/    /' | cut -c1-150
			json_profile="$json_profile${json_profile:+, }\"$what\": {\"instructions\": $(jnum "$ir"), \"per_packet\": $(jnum "$(div "$ir" "$PROFILE_PACKETS")")}"
		done
		json_profile="{\"packets\": $PROFILE_PACKETS, $json_profile}"
	else
		echo "profiles: valgrind not installed (apt-get install valgrind): skipped"
	fi
fi

{
	echo "{"
	echo "  \"packets\": $npk, \"connections\": $nconn, \"templates\": $ntpl, \"bytes\": $size, \"generate_s\": $(jnum "$gen_s"),"
	echo "  \"load\": [$(jnum "$load0"), $(jnum "$load_mid"), $(jnum "$load1")],"
	echo "  \"tools\": {"
	echo "$json_tools"
	echo "  },"
	echo "  \"ratios\": {$json_ratios},"
	echo "  \"profile\": $json_profile"
	echo "}"
} >"$BENCH/capture.json"

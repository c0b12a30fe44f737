#!/bin/sh
# tests/bench/run.sh — `make bench`: runs every tests/bench/*.sh in turn
# (capture, suite, topo; lib.sh is theirs), then prints the targets of
# issue 10 as one table and gathers every figure into $B/bench/bench.json.
# B selects the build directory. Exits non-zero if any script failed.
#
# Knobs (environment): PACKETS (1000000: the big capture), REPS (3),
# LAB_RUNS (2), TSHARK (1), CHECK_LABS ("http tls12 ssh"), PROFILE (0),
# SUITE_RUNS (3), N (200: topology cycles). Needs root and tshark, tcpdump,
# /usr/bin/time, iproute2; about 3-5 minutes on 2 cores.
set -u
B=${B:-build}
export B
here=$(dirname "$0")
case $B in
/*) out=$B/bench ;;
*) out=$(cd "$here/../.." && pwd)/$B/bench ;;
esac
mkdir -p "$out"
rm -f "$out/targets.tsv" "$out/bench.json"

busy() { # processes other than ours that used >= 10% of a CPU just now
	top -b -n 2 -d 0.5 2>/dev/null | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 10 && $12 != "top" { printf "%s%s %s%%", sep, $12, $9; sep = ", " }'
}

echo "== bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r); $(uptime | sed 's/^ *//')"
busy0=$(busy)
[ -n "$busy0" ] && echo "   busy besides the bench: $busy0"
up0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
rc=0
ran=""
for s in "$here"/*.sh; do
	n=$(basename "$s" .sh)
	case $n in run | lib) continue ;; esac
	echo "== bench $n"
	rm -f "$out/$n.json"
	bash "$s" || rc=1
	[ -f "$out/$n.json" ] && ran="$ran $n"
done
t1=$(date +%s)
up1=$(cut -d' ' -f1-3 /proc/loadavg)
busy1=$(busy)

echo "== targets (issue 10), measured in this run:"
if [ -f "$out/targets.tsv" ]; then
	awk -F'\t' '{ printf "   %-26s %10s %s %-4s %-3s %-8s %s\n", $1, ($2 == "null" ? "-" : sprintf("%.2f", $2)), $3, $4, $5, $6, $7 }' "$out/targets.tsv"
fi
echo "   ($((t1 - t0)) s; load average $up0 before, $up1 after${busy1:+; busy at the end: $busy1})"

{
	printf '{\n  "date": "%s", "cpus": %s, "kernel": "%s", "seconds": %s,\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)" "$((t1 - t0))"
	printf '  "loadavg_before": [%s], "loadavg_after": [%s],\n' \
		"$(echo "$up0" | tr ' ' ,)" "$(echo "$up1" | tr ' ' ,)"
	printf '  "busy_before": "%s", "busy_after": "%s",\n' "$busy0" "$busy1"
	for n in $ran; do
		printf '  "%s": ' "$n"
		sed '1!s/^/  /' "$out/$n.json"
		printf ',\n'
	done
	printf '  "targets": ['
	if [ -f "$out/targets.tsv" ]; then
		awk -F'\t' '{ gsub(/"/, "\\\"", $7); printf "%s\n    {\"name\": \"%s\", \"measured\": %s, \"op\": \"%s\", \"limit\": %s, \"unit\": \"%s\", \"verdict\": \"%s\", \"what\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, $6, $7 }' "$out/targets.tsv"
	fi
	printf '\n  ]\n}\n'
} >"$out/bench.json"
echo "   figures: $out/bench.json"
exit "$rc"

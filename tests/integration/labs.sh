#!/bin/sh
# tests/integration/labs.sh — every lab, run for real (root, namespaces):
# the verdicts must be what each lab expects, RUNS times in a row (CI: 3;
# ci/determinism.sh runs 100), and `wirelab check` on each capture must give
# the same verdicts from the capture alone (facts of the live run, such as
# TIME_WAIT, become n/a). Nothing may be left behind.
set -u
B=${B:-build}
RUNS=${RUNS:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=$B/wirelab
out=$(mktemp -d /tmp/wl-labs.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
fail=0

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for network namespaces"
	exit 0
fi
# Other runs may be going on: only what appears during this test counts.
before=$( (ls /run/wirelab 2>/dev/null; ls -d /tmp/wirelab-wl* 2>/dev/null) | sort)
for i in $(seq 1 "$RUNS"); do
	"$W" run --out "$out" --json "$out/v$i.json" --junit "$out/junit.xml" >"$out/run$i.txt" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$out/v$i.json" ]; then
		echo "FAIL: run $i exited $rc:"
		grep -E "NOT as|expects|error|^wirelab:" "$out/run$i.txt" | head -20
		exit 1
	fi
	# The verdicts of every run, claim by claim, must be the same.
	grep -o '"id": "[^"]*", "verdict": "[^"]*"' "$out/v$i.json" >"$out/verdicts$i"
	if [ "$i" -gt 1 ] && ! cmp -s "$out/verdicts1" "$out/verdicts$i"; then
		echo "FAIL: run $i gave other verdicts than run 1:"
		diff "$out/verdicts1" "$out/verdicts$i" | head
		fail=1
	fi
done
echo "$RUNS runs: $(grep -c . "$out/verdicts1") verdicts each"

# check: the same verdicts from the capture alone.
for pcap in "$out"/*.pcap; do
	lab=$(basename "$pcap" .pcap)
	"$W" check "$lab" "$pcap" --json >"$out/check-$lab.json" 2>"$out/check-$lab.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: check $lab exited $rc: $(cat "$out/check-$lab.err")"
		fail=1
	fi
	grep -o '"id": "[^"]*", "verdict": "[^"]*"' "$out/check-$lab.json" | sort >"$out/c"
	awk -v lab="$lab" 'BEGIN{RS="\n{\"lab\": "} index($0, "\"" lab "\"") == 1' "$out/v1.json" |
		grep -o '"id": "[^"]*", "verdict": "[^"]*"' | sort >"$out/r"
	# Claims that read run-time facts are n/a in check; all others equal.
	if diff "$out/r" "$out/c" >/dev/null; then
		echo "ok   check $lab: same verdicts as the run"
	else
		bad=$(diff "$out/r" "$out/c" | grep '^>' | grep -v '"n/a"')
		if [ -n "$bad" ]; then
			echo "FAIL: check $lab differs from the run:"
			diff "$out/r" "$out/c"
			fail=1
		else
			echo "ok   check $lab: same verdicts, run-time facts n/a"
		fi
	fi
done

# Nothing left: no namespace, no run directory, no temp dir, no process.
after=$( (ls /run/wirelab 2>/dev/null; ls -d /tmp/wirelab-wl* 2>/dev/null) | sort)
left=$(printf '%s\n' "$after" | grep -vxF "$before" | grep .)
if [ -n "$left" ]; then
	echo "FAIL: left behind: $left"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "labs: all verdicts as expected"
exit "$fail"

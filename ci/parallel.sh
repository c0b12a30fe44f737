#!/bin/sh
# ci/parallel.sh [ROUNDS] [JOBS] — JOBS `wirelab run` processes at once
# (default 4), ROUNDS times (default 25): each must give the verdicts of a
# lone run, and nothing may be left behind. Needs root and a built tree.
set -u
cd "$(dirname "$0")/.." || exit 2
ROUNDS=${1:-25}
JOBS=${2:-4}
B=${B:-build}
W=$B/wirelab
out=$(mktemp -d /tmp/wl-parallel.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
verdicts() { grep -o '"id": "[^"]*", "verdict": "[^"]*"' "$1"; }

"$W" run --out "$out/lone" --json "$out/lone.json" >/dev/null 2>&1 || {
	echo "FAIL: the lone run does not pass"; exit 1; }
verdicts "$out/lone.json" >"$out/want"
before=$(ls /run/wirelab 2>/dev/null | sort)
fail=0
r=1
while [ "$r" -le "$ROUNDS" ]; do
	pids=""
	j=1
	while [ "$j" -le "$JOBS" ]; do
		"$W" run --out "$out/r$j" --json "$out/r$j.json" >"$out/r$j.txt" 2>&1 &
		pids="$pids $!"
		j=$((j + 1))
	done
	j=1
	for p in $pids; do
		wait "$p" || { echo "FAIL: round $r job $j exited $?"; fail=1; }
		if ! verdicts "$out/r$j.json" | cmp -s - "$out/want"; then
			echo "FAIL: round $r job $j: other verdicts:"
			verdicts "$out/r$j.json" | diff "$out/want" - | grep '^[<>]' | sed 's/^/    /'
			# each flipped claim as the report says it
			for id in $(verdicts "$out/r$j.json" | diff "$out/want" - |
				sed -n 's/^> "id": "\([^"]*\)".*/\1/p'); do
				grep -A3 " $id " "$out/r$j.txt" | sed 's/^/    | /'
			done
			# a lab that did not run says why
			grep -E 'error: |did not |failed \(|timed out|could not' "$out/r$j.txt" |
				grep -v 'protocol errors' | sed 's/^/    ! /'
			fail=1
		fi
		j=$((j + 1))
	done
	r=$((r + 1))
done
after=$(ls /run/wirelab 2>/dev/null | sort)
[ "$before" = "$after" ] || { echo "FAIL: left behind: $after"; fail=1; }
[ "$fail" -eq 0 ] && echo "parallel: $ROUNDS rounds of $JOBS runs at once, every verdict as alone"
exit "$fail"

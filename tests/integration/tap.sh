#!/bin/sh
# tests/integration/tap.sh — `check --tap` is TAP version 13 that a real TAP
# consumer reads (perl's prove, when it is there): the plan matches the test
# points, and a claim that is not as the lab expects is "not ok".
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
out=$(mktemp -d /tmp/wl-tap.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
fail=0
"$B/wirelab" check http tests/pcap/http-nginx-close.pcap --tap >"$out/ok.tap"
"$B/wirelab" check http tests/pcap/http-python.pcap --tap >"$out/bad.tap"
for f in ok bad; do
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out/$f.tap")
	points=$(grep -cE '^(not )?ok [0-9]+ ' "$out/$f.tap")
	[ -n "$plan" ] && [ "$plan" = "$points" ] || { echo "FAIL: $f: plan $plan, $points points"; fail=1; }
done
# http-nginx-close: every claim as the lab expects; http-python: some not.
grep -q '^not ok' "$out/ok.tap" && { echo "FAIL: not ok in ok.tap"; fail=1; }
grep -q '^not ok' "$out/bad.tap" || { echo "FAIL: no not ok in bad.tap"; fail=1; }
if command -v prove >/dev/null 2>&1; then
	prove --exec cat "$out/ok.tap" >"$out/prove.txt" 2>&1 || { cat "$out/prove.txt"; fail=1; }
	if prove --exec cat "$out/bad.tap" >/dev/null 2>&1; then
		echo "FAIL: prove accepted the failing TAP"
		fail=1
	fi
	echo "ok   prove reads both (pass and fail as they should)"
fi
[ "$fail" -eq 0 ] && echo "tap: TAP output well formed"
exit "$fail"

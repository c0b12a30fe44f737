#!/bin/sh
# tests/integration/golden.sh — `wirelab show` against checked-in outputs
# (tcpdump's tests/TESTLIST). Each line of tests/pcap/TESTLIST names a test
# and its capture; tests/pcap/<name>.out is the expected text listing and
# tests/pcap/<name>.jsonl the expected `show --json`.
#
#   GOLDEN_UPDATE=1 sh tests/integration/golden.sh     (make golden)
#
# rewrites every expected file from the current build: read the diff against
# tshark's listing of the capture before committing it.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
list=tests/pcap/TESTLIST
update=${GOLDEN_UPDATE:-0}

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
if [ ! -f "$list" ]; then
	echo "FAIL: $list is missing"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-golden.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

tests=0
failed=0
updated=0
: >"$tmp/names"
while read -r name file _; do
	case $name in
	'' | '#'*) continue ;;
	esac
	echo "$name" >>"$tmp/names"
	tests=$((tests + 1))
	if [ ! -f "tests/pcap/$file" ]; then
		failed=$((failed + 1))
		echo "FAIL $name: tests/pcap/$file is missing"
		continue
	fi
	for ext in out jsonl; do
		if [ $ext = out ]; then
			set -- show "tests/pcap/$file"
		else
			set -- show --json "tests/pcap/$file"
		fi
		want=tests/pcap/$name.$ext
		"$W" "$@" >"$tmp/got" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
			failed=$((failed + 1))
			echo "FAIL $name: wirelab $* exited $rc: $(cat "$tmp/err")"
			continue
		fi
		if [ "$update" = 1 ]; then
			if ! cmp -s "$tmp/got" "$want"; then
				cp "$tmp/got" "$want"
				updated=$((updated + 1))
				echo "wrote $want"
			fi
			continue
		fi
		if [ ! -f "$want" ]; then
			failed=$((failed + 1))
			echo "FAIL $name: $want is missing (GOLDEN_UPDATE=1 writes it)"
			continue
		fi
		if cmp -s "$want" "$tmp/got"; then
			echo "ok   $name.$ext"
		else
			failed=$((failed + 1))
			echo "FAIL $name.$ext: wirelab $* differs from $want:"
			diff -u "$want" "$tmp/got" | head -n 40 | sed 's/^/    /'
		fi
	done
done <"$list"

# An expected output whose test left TESTLIST is stale: say so.
for f in tests/pcap/*.out tests/pcap/*.jsonl; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	n=${n%.*}
	if ! grep -qx "$n" "$tmp/names"; then
		failed=$((failed + 1))
		echo "FAIL $f: no test $n in $list (remove it or list it)"
	fi
done

if [ "$update" = 1 ]; then
	echo "golden: $tests tests, $updated files rewritten"
else
	echo "golden: $tests tests, $failed failed"
fi
[ $tests -gt 0 ] && [ $failed -eq 0 ]

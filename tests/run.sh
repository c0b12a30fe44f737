#!/bin/sh
# Runs every test: the cmocka unit tests (build/tests/test_*), then the
# integration tests (tests/integration/*.sh, real namespaces, need root).
# B selects the build directory (build, build-asan). Prints one closing line
# "N passed, N failed" and exits non-zero if anything failed.
set -u
B=${B:-build}
export B
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
pass=0
fail=0
failed=""
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if "$t" >"$B/tests/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name (log: $B/tests/$name.log)"
		tail -n 30 "$B/tests/$name.log" | sed 's/^/    /'
	fi
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	case " ${SKIP:-} " in
	*" $name "*)
		echo "SKIP integration/$name (SKIP)"
		continue
		;;
	esac
	log="$B/tests/integration-$name.log"
	mkdir -p "$B/tests"
	t0=$(date +%s)
	if sh "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS integration/$name ($(($(date +%s) - t0)) s)"
	else
		fail=$((fail + 1))
		failed="$failed integration/$name"
		echo "FAIL integration/$name (log: $log)"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

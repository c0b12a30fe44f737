#!/bin/sh
# tests/bench/run.sh — `make bench`: runs every tests/bench/*.sh in turn.
# B selects the build directory. Exits non-zero if any script failed.
set -u
B=${B:-build}
export B
rc=0
for s in "$(dirname "$0")"/*.sh; do
	[ "$(basename "$s")" = run.sh ] && continue
	echo "== bench $(basename "$s" .sh)"
	sh "$s" || rc=1
done
exit "$rc"

#!/bin/sh
# tests/integration/leak.sh — wirelab leaves nothing behind: after runs in a
# row, after runs killed with SIGINT and SIGKILL at different points (the
# supervisor cleans up after a death), and with two runs at once (no
# collision: each run's objects carry its own id). "Nothing" is: no lab
# namespace (held or bind-mounted), no veth of a lab in the root namespace,
# no process started by a lab, no run directory, no temp dir.
set -u
B=${B:-build}
N=${N:-50}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=$B/wirelab
out=$(mktemp -d /tmp/wl-leak.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
fail=0

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for network namespaces"
	exit 0
fi

# What this host has that a lab could leave; compared before and after.
snapshot() {
	{
		ls /run/wirelab 2>/dev/null | sed 's/^/rundir /'
		ls -d /tmp/wirelab-wl* 2>/dev/null | sed 's/^/tmpdir /'
		ls /run/netns 2>/dev/null | grep '^wl' | sed 's/^/netns /'
		ip -o link show type veth 2>/dev/null | awk -F': ' '{print "veth " $2}' | grep ' wl'
		# lab programs in a namespace other than ours (one ps, not a loop)
		ps -e -o netns=,comm= 2>/dev/null | awk -v me="$(ps -o netns= -p $$)" \
			'$1 != me && $2 ~ /^(wl-|nginx|curl|sshd|node|wirelab)/ { print "proc " $2 }'
	} | sort
}

# Waits (bounded) until nothing is there that the baseline did not have
# (another run's objects, there before, may go: they are not ours).
settled() {
	i=0
	while [ $i -lt 100 ]; do
		snapshot >"$out/now"
		comm -13 "$out/base" "$out/now" >"$out/new"
		[ -s "$out/new" ] || return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

snapshot >"$out/base"
# 1. N runs in a row.
i=0
while [ $i -lt "$N" ]; do
	"$W" run http --out "$out/o" >/dev/null 2>&1 || { echo "FAIL: run $i failed"; fail=1; }
	i=$((i + 1))
done
if settled; then echo "ok   $N runs in a row: nothing left"; else
	echo "FAIL: after $N runs:"; cat "$out/new"; fail=1; fi

# 2. Killed with SIGINT and SIGKILL at different points of a run (http-loss
# lasts ~0.7 s: set-up, the server's start, the capture, the 600 ms wait).
for sig in INT KILL; do
	for delay in 0.01 0.03 0.08 0.15 0.3 0.5 0.65; do
		"$W" run http-loss --out "$out/o" >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -s "$sig" "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		if settled; then echo "ok   SIG$sig after ${delay}s: nothing left"; else
			echo "FAIL: SIG$sig after ${delay}s left:"; cat "$out/new"; fail=1; fi
	done
done

# 3. Two runs at once, several times: both succeed, nothing collides.
for k in 1 2 3 4 5; do
	"$W" run http websocket --out "$out/a" >"$out/a.txt" 2>&1 &
	a=$!
	"$W" run http websocket --out "$out/b" >"$out/b.txt" 2>&1 &
	b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
		echo "FAIL: two runs at once (round $k): exit $ra and $rb"
		grep -h -E "error|NOT" "$out/a.txt" "$out/b.txt" | head
		fail=1
	fi
done
if settled; then echo "ok   two runs at once, 5 times: both as expected, nothing left"; else
	echo "FAIL: after parallel runs:"; cat "$out/new"; fail=1; fi

# 4. wirelab clean finds nothing more to remove.
"$W" clean >"$out/clean.txt" 2>&1 || { echo "FAIL: clean: $(cat "$out/clean.txt")"; fail=1; }
grep -q "0 objects removed" "$out/clean.txt" || { echo "FAIL: clean removed: $(cat "$out/clean.txt")"; fail=1; }
[ "$fail" -eq 0 ] && echo "leak: nothing left behind"
exit "$fail"

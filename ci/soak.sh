#!/bin/sh
# ci/soak.sh [N] — kills `wirelab run` with SIGKILL at a random point (set-up,
# capture, a server's start, tear-down) N times (default 200), then counts
# what is left after the supervisor and after `wirelab clean`: namespaces,
# veths, lab processes, mounts, run directories, temp dirs. Needs root.
set -u
cd "$(dirname "$0")/.." || exit 2
N=${1:-200}
B=${B:-build}
W=$B/wirelab
out=$(mktemp -d /tmp/wl-soak.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
labs="http http-loss websocket tls13"
# What a run may leave, one line each.
objects() {
	ls /run/wirelab 2>/dev/null | sed 's/^/rundir /'
	ls -d /tmp/wirelab-wl* 2>/dev/null | sed 's/^/tmpdir /'
	ls /run/netns 2>/dev/null | grep '^wl' | sed 's/^/netns /'
	ip -o link show type veth 2>/dev/null | grep ' wl' | sed 's/^/veth /'
	grep ' /run/netns/wl' /proc/self/mounts | sed 's/^/mount /'
	ls -d /sys/fs/cgroup/*/wirelab-wl* /sys/fs/cgroup/wirelab-wl* 2>/dev/null | sed 's/^/cgroup /'
	ps -e -o netns=,pid=,stat=,comm= | awk -v me="$(ps -o netns= -p $$)" \
		'$1 != me && $4 ~ /^(wl-|nginx|curl|sshd|node|chromium)/ { print "proc " $2 " " $3 " " $4 }'
}
count() {
	objects | wc -l
}
# Killed processes take a moment to be gone: wait (10 s at most) for the
# count to come down to where it was.
settle() {
	i=0
	while [ "$(count)" -gt "$base" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
base=$(count)
i=1
while [ "$i" -le "$N" ]; do
	lab=$(echo $labs | tr ' ' '\n' | shuf -n 1)
	ms=$(shuf -i 5-700 -n 1)
	"$W" run "$lab" --out "$out" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
settle
left=$(( $(count) - base ))
[ "$left" -gt 0 ] && objects | sed 's/^/  left: /'
"$W" clean >/dev/null 2>&1
settle
after_clean=$(( $(count) - base ))
[ "$after_clean" -gt 0 ] && objects | sed 's/^/  after clean: /'
echo "soak: $N runs killed at random points; left after the supervisors: $left; after wirelab clean: $after_clean"
[ "$left" -le 0 ] && [ "$after_clean" -le 0 ]

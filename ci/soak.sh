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
labs="http http-loss websocket tls13"
count() {
	n=$(ls /run/wirelab 2>/dev/null | wc -l)
	n=$((n + $(ls -d /tmp/wirelab-wl* 2>/dev/null | wc -l)))
	n=$((n + $(ls /run/netns 2>/dev/null | grep -c '^wl')))
	n=$((n + $(ip -o link show type veth 2>/dev/null | grep -c ' wl')))
	n=$((n + $(grep -c ' /run/netns/wl' /proc/self/mounts)))
	n=$((n + $(ps -e -o netns=,comm= | awk -v me="$(ps -o netns= -p $$)" \
		'$1 != me && $2 ~ /^(wl-|nginx|curl|sshd|node)/' | wc -l)))
	echo "$n"
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
sleep 1
left=$(( $(count) - base ))
"$W" clean >/dev/null 2>&1
after_clean=$(( $(count) - base ))
echo "soak: $N runs killed at random points; left after the supervisors: $left; after wirelab clean: $after_clean"
[ "$left" -le 0 ] && [ "$after_clean" -le 0 ]

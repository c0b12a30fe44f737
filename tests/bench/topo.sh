#!/bin/sh
# tests/bench/topo.sh — the two-host lab network built and torn down N times
# (default 100) three ways: wirelab (libnl, build/bench/bench_topo), one `ip`
# command per step, and `ip -batch`. Prints the medians and wirelab's ratio
# to each. The `ip` topology is the bare one (namespaces, veth, addresses,
# links up): wirelab does more (sysctls, offloads, neighbours).
#
# Only this script uses `ip`; wirelab itself never runs it. Names carry
# "wb<pid>" and are removed on exit, error and Ctrl-C.
set -eu
B=${B:-build}
N=${N:-100}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

if [ "$(id -u)" != 0 ]; then
	echo "topo.sh: needs root (network namespaces)" >&2
	exit 3
fi
command -v ip >/dev/null || { echo "topo.sh: needs ip (apt-get install iproute2)" >&2; exit 3; }
[ -x "$B/bench/bench_topo" ] || { echo "topo.sh: build $B/bench/bench_topo first (make bench)" >&2; exit 2; }

p=wb$(($$ % 100000))
c=$p-client
s=$p-pi
work=$(mktemp -d "${TMPDIR:-/tmp}/wirelab-bench-XXXXXX")

# `ip netns add` makes /run/netns a shared mount point of itself (and the
# directory) and leaves both: put them back as they were, if still empty.
netns_existed=0
netns_was_mount=0
[ -d /run/netns ] && netns_existed=1
mountpoint -q /run/netns 2>/dev/null && netns_was_mount=1

cleanup() {
	ip netns del "$c" 2>/dev/null || true
	ip netns del "$s" 2>/dev/null || true
	rm -rf "$work"
	if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
		if [ "$netns_was_mount" = 0 ] && mountpoint -q /run/netns; then
			umount /run/netns || true
		fi
		if [ "$netns_existed" = 0 ]; then
			rmdir /run/netns || true
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }

# median of the numbers in file $1 (ns) -> ms with 3 decimals
median_ms() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { i = int((NR + 1) / 2); printf "%.3f", v[i] / 1e6 }'
}

ip_create() {
	ip netns add "$c"
	ip netns add "$s"
	ip -n "$c" link add "$p-c0" type veth peer name "$p-p0" netns "$s"
	ip -n "$c" addr add 198.18.0.1/24 dev "$p-c0"
	ip -n "$s" addr add 198.18.0.2/24 dev "$p-p0"
	ip -n "$c" link set lo up
	ip -n "$c" link set "$p-c0" up
	ip -n "$s" link set lo up
	ip -n "$s" link set "$p-p0" up
}

ip_destroy() {
	ip netns del "$c"
	ip netns del "$s"
}

# ip -batch reads commands without global options, so the per-namespace
# part is one batch per namespace (ip -n NS -batch).
cat >"$work/root.batch" <<EOF
netns add $c
netns add $s
link add $p-c0 netns $c type veth peer name $p-p0 netns $s
EOF
cat >"$work/client.batch" <<EOF
addr add 198.18.0.1/24 dev $p-c0
link set lo up
link set $p-c0 up
EOF
cat >"$work/pi.batch" <<EOF
addr add 198.18.0.2/24 dev $p-p0
link set lo up
link set $p-p0 up
EOF
cat >"$work/del.batch" <<EOF
netns del $c
netns del $s
EOF

batch_create() {
	ip -batch "$work/root.batch"
	ip -n "$c" -batch "$work/client.batch"
	ip -n "$s" -batch "$work/pi.batch"
}

batch_destroy() {
	ip -batch "$work/del.batch"
}

# run NAME CREATE DESTROY: N timed rounds into $work/NAME.{create,destroy}
run() {
	: >"$work/$1.create"
	: >"$work/$1.destroy"
	i=0
	while [ "$i" -lt "$N" ]; do
		t0=$(now_ns)
		$2
		t1=$(now_ns)
		$3
		t2=$(now_ns)
		echo $((t1 - t0)) >>"$work/$1.create"
		echo $((t2 - t1)) >>"$work/$1.destroy"
		i=$((i + 1))
	done
}

"$B/bench/bench_topo" "$N" >"$work/wirelab.out"
wl_create=$(awk '$1 == "create" { print $3 }' "$work/wirelab.out")
wl_destroy=$(awk '$1 == "destroy" { print $3 }' "$work/wirelab.out")

run ip ip_create ip_destroy
run batch batch_create batch_destroy
ip_create_ms=$(median_ms "$work/ip.create")
ip_destroy_ms=$(median_ms "$work/ip.destroy")
b_create_ms=$(median_ms "$work/batch.create")
b_destroy_ms=$(median_ms "$work/batch.destroy")

echo "topology build/teardown, median of $N (ms):"
printf '  %-10s create %8.3f  destroy %8.3f\n' "wirelab" "$wl_create" "$wl_destroy"
printf '  %-10s create %8.3f  destroy %8.3f\n' "ip" "$ip_create_ms" "$ip_destroy_ms"
printf '  %-10s create %8.3f  destroy %8.3f\n' "ip -batch" "$b_create_ms" "$b_destroy_ms"
awk -v w="$wl_create" -v wd="$wl_destroy" -v i="$ip_create_ms" -v id="$ip_destroy_ms" \
	-v b="$b_create_ms" -v bd="$b_destroy_ms" 'BEGIN {
	printf "  ratio ip/wirelab:       create %.1fx  destroy %.1fx  total %.1fx\n", i / w, id / wd, (i + id) / (w + wd)
	printf "  ratio ip -batch/wirelab: create %.1fx  destroy %.1fx  total %.1fx\n", b / w, bd / wd, (b + bd) / (w + wd)
}'
sed 's/^/  wirelab /' "$work/wirelab.out"

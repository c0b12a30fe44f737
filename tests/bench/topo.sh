#!/bin/bash
# tests/bench/topo.sh — the two-host lab network built and torn down N times
# (default 200) three ways in the same run: wirelab (libnl,
# build/bench/bench_topo), one `ip` command per step, and `ip -batch`; and
# Mininet (two hosts, one link, no switch, no controller) when `mn` is
# installed. Prints the medians and each one's ratio to wirelab, and writes
# $B/bench/topo.json.
#
# The `ip` topology is the bare one (namespaces, veth, addresses, links up):
# wirelab does more (sysctls, offloads, neighbours). The labs' topologies
# differ only in sysctls and MTU, so one topology stands for all of them.
# Only this script uses `ip`; wirelab itself never runs it. Names carry
# "wb<pid>" and are removed on exit, error and Ctrl-C.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "$(dirname "$0")/lib.sh"
N=${N:-200}
N_MN=${N_MN:-10}

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

# Mininet in one process, as a user would script it: two hosts joined by a
# link, no switch, no controller; built, started, stopped.
mn_cycle() {
	python3 - <<'EOF'
from mininet.net import Mininet
from mininet.log import setLogLevel
setLogLevel('error')
net = Mininet(controller=None, build=False, autoSetMacs=True)
h1 = net.addHost('h1', ip='198.18.0.1/24')
h2 = net.addHost('h2', ip='198.18.0.2/24')
net.addLink(h1, h2)
net.build()
net.start()
net.stop()
EOF
}

# run NAME CREATE DESTROY ROUNDS: timed rounds into $work/NAME.{create,destroy}
# (milliseconds).
run() {
	: >"$work/$1.create"
	: >"$work/$1.destroy"
	local i=0 t0 t1 t2
	while [ "$i" -lt "$4" ]; do
		t0=$(now_us)
		$2
		t1=$(now_us)
		$3
		t2=$(now_us)
		echo "$(((t1 - t0)))e-3" >>"$work/$1.create"
		echo "$(((t2 - t1)))e-3" >>"$work/$1.destroy"
		i=$((i + 1))
	done
}

load0=$(load)
"$B/bench/bench_topo" "$N" >"$work/wirelab.out"
wl_create=$(awk '$1 == "create" { print $3 }' "$work/wirelab.out")
wl_destroy=$(awk '$1 == "destroy" { print $3 }' "$work/wirelab.out")
wl_create_p90=$(awk '$1 == "create" { print $5 }' "$work/wirelab.out")
wl_destroy_p90=$(awk '$1 == "destroy" { print $5 }' "$work/wirelab.out")

run ip ip_create ip_destroy "$N"
run batch batch_create batch_destroy "$N"
ip_c=$(median "$work/ip.create")
ip_d=$(median "$work/ip.destroy")
b_c=$(median "$work/batch.create")
b_d=$(median "$work/batch.destroy")

mn_c=null
mn_d=null
mn_total=null
if ! command -v mn >/dev/null 2>&1 || ! python3 -c 'import mininet' 2>/dev/null; then
	mn_note="not installed (Debian package mininet), skipped"
elif ! mn_cycle >"$work/mn.err" 2>&1; then
	mn_note="installed but failed, skipped: $(tail -1 "$work/mn.err")"
else
	mn_note="installed: $N_MN whole processes (python start-up and import included)"
	: >"$work/mn.total"
	for i in $(seq "$N_MN"); do
		t0=$(now_us)
		mn_cycle
		t1=$(now_us)
		echo "$(((t1 - t0)))e-3" >>"$work/mn.total"
	done
	mn_total=$(median "$work/mn.total")
fi
load1=$(load)

wl_total=$(awk -v a="$wl_create" -v b="$wl_destroy" 'BEGIN { print a + b }')
ip_total=$(awk -v a="$ip_c" -v b="$ip_d" 'BEGIN { print a + b }')
b_total=$(awk -v a="$b_c" -v b="$b_d" 'BEGIN { print a + b }')
r_ip=$(div "$ip_total" "$wl_total")
r_b=$(div "$b_total" "$wl_total")
r_mn=$(div "$mn_total" "$wl_total")

echo "topology build + teardown, median of $N (ms; load $load0 -> $load1):"
printf '  %-10s %10s %10s %10s %10s\n' "" create destroy total "vs wirelab"
printf '  %-10s %10s %10s %10s %10s\n' wirelab "$(fmt "$wl_create" 3)" "$(fmt "$wl_destroy" 3)" "$(fmt "$wl_total" 3)" 1
printf '  %-10s %10s %10s %10s %10s\n' ip "$(fmt "$ip_c" 3)" "$(fmt "$ip_d" 3)" "$(fmt "$ip_total" 3)" "$(fmt "$r_ip" 1)x"
printf '  %-10s %10s %10s %10s %10s\n' "ip -batch" "$(fmt "$b_c" 3)" "$(fmt "$b_d" 3)" "$(fmt "$b_total" 3)" "$(fmt "$r_b" 1)x"
printf '  %-10s %10s %10s %10s %10s\n' mininet - - "$(fmt "$mn_total" 3)" "$(fmt "$r_mn" 1)x"
echo "  mininet: $mn_note"
echo "  wirelab p90: create $wl_create_p90 ms, destroy $wl_destroy_p90 ms (destroy is topo_free's own time: the kernel frees the namespaces afterwards, in the background)"
target topo_vs_ip "$r_ip" ">=" 20 x "topology build+teardown: ip script / wirelab"
target topo_vs_mininet "$r_mn" ">=" 100 x "topology build+teardown: Mininet / wirelab; mininet $mn_note"

cat >"$BENCH/topo.json" <<EOF
{
  "runs": $N,
  "load": [$(jnum "$load0"), $(jnum "$load1")],
  "wirelab_ms": {"create": $(jnum "$wl_create"), "destroy": $(jnum "$wl_destroy"), "total": $(jnum "$wl_total"), "create_p90": $(jnum "$wl_create_p90"), "destroy_p90": $(jnum "$wl_destroy_p90")},
  "ip_ms": {"create": $(jnum "$ip_c"), "destroy": $(jnum "$ip_d"), "total": $(jnum "$ip_total")},
  "ip_batch_ms": {"create": $(jnum "$b_c"), "destroy": $(jnum "$b_d"), "total": $(jnum "$b_total")},
  "mininet_ms": {"total": $(jnum "$mn_total"), "runs": $( [ "$mn_total" = null ] && echo 0 || echo "$N_MN"), "note": $(jstr "$mn_note")},
  "ratio": {"ip": $(jnum "$r_ip"), "ip_batch": $(jnum "$r_b"), "mininet": $(jnum "$r_mn")}
}
EOF

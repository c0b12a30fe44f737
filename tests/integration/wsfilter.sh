#!/bin/sh
# tests/integration/wsfilter.sh — each claim's "in Wireshark" filter (check's
# text and JSON "filter") is a display filter tshark accepts, and it selects
# exactly the claim's evidence packets.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
pcap=tests/pcap/http-python.pcap
fail=0
n=0
"$B/wirelab" check http "$pcap" --json |
	sed -n 's/.*"packets": \[\([0-9,]*\)\], "filter": "\([^"]*\)".*/\1|\2/p' >/tmp/wl-wsfilter.$$
while IFS='|' read -r pkts filter; do
	[ -n "$filter" ] || continue
	n=$((n + 1))
	got=$(tshark -r "$pcap" -Y "$filter" -T fields -e frame.number 2>"/tmp/wl-wsfilter-err.$$" | paste -sd, -)
	[ -s "/tmp/wl-wsfilter-err.$$" ] && grep -v "^Running as user" "/tmp/wl-wsfilter-err.$$"
	if [ "$got" != "$pkts" ]; then
		echo "FAIL: $filter selects [$got], the claim cites [$pkts]"
		fail=1
	fi
done </tmp/wl-wsfilter.$$
rm -f /tmp/wl-wsfilter.$$ /tmp/wl-wsfilter-err.$$
[ "$n" -gt 0 ] || { echo "FAIL: no filter in check --json"; fail=1; }
[ "$fail" -eq 0 ] && echo "wsfilter: $n claims' filters select their evidence in tshark"
exit "$fail"

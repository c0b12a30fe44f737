#!/bin/sh
# tests/integration/http_packets.sh — the foundation end to end: two
# namespaces, curl in `client` against wl-httpd in `pi`, the capture on the
# veth, and the packet list asserted packet by packet (flags, relative
# seq/ack, lengths). The GET's and the response's lengths (G, R) depend on
# curl's version string; every other number follows from them.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=$B/wirelab
out=$(mktemp -d /tmp/wl-http.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for network namespaces"
	exit 0
fi
"$W" run http --out "$out" >"$out/run.txt" 2>&1 || { cat "$out/run.txt"; exit 1; }
"$W" show --json "$out/http.pcap" |
	sed 's/.*"flags": \([0-9]*\), "seq": \([0-9]*\), "ack": \([0-9]*\), "len": \([0-9]*\).*/\1 \2 \3 \4/' >"$out/got"
G=$(sed -n 4p "$out/got" | cut -d' ' -f4)
R=$(sed -n 6p "$out/got" | cut -d' ' -f4)
# flags seq ack len, as Linux sends them (FIELD-NOTES): the client's ACK of
# the response (7) before the server's FIN (8); the ACK of that FIN rides on
# the client's FIN (9).
cat >"$out/want" <<END
2 0 0 0
18 0 1 0
16 1 1 0
24 1 1 $G
16 1 $((G + 1)) 0
24 1 $((G + 1)) $R
16 $((G + 1)) $((R + 1)) 0
17 $((R + 1)) $((G + 1)) 0
17 $((G + 1)) $((R + 2)) 0
16 $((R + 2)) $((G + 2)) 0
END
if [ "$G" -gt 0 ] && [ "$R" -gt 0 ] && cmp -s "$out/want" "$out/got"; then
	echo "ok   the ten packets: GET $G bytes, response $R bytes"
	exit 0
fi
echo "FAIL: packet list (flags seq ack len), want vs got:"
paste "$out/want" "$out/got"
exit 1

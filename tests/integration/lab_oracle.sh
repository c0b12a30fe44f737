#!/bin/sh
# tests/integration/lab_oracle.sh — the labs' own captures against tshark:
# every lab runs once, then `wirelab show --json` must agree with tshark on
# every packet of every capture (tcp flags/seq/ack/len/stream/analysis:
# oracle.sh), and on the TLS labs' records, handshake types and alerts,
# without and with the key log each run keeps (tls_oracle.sh); the TLS labs'
# pcapng (key log in a Decryption Secrets Block) opens decrypted in tshark
# with no other option.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
out=$(mktemp -d /tmp/wl-laboracle.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for network namespaces"
	exit 0
fi
"$B/wirelab" run --out "$out" >"$out/run.txt" 2>&1 || { tail -20 "$out/run.txt"; exit 1; }
fail=0
# The pcapng copies carry their key log for Wireshark; `show` reads the
# plain captures (and --keylog, which tls_oracle.sh compares).
mkdir "$out/plain" && ln -s "$out"/*.pcap "$out/plain/"
ORACLE_DIR=$out/plain sh tests/integration/oracle.sh || fail=1
ORACLE_DIR=$out sh tests/integration/tls_oracle.sh || fail=1
for lab in tls12 tls13; do
	got=$(tshark -r "$out/$lab.pcapng" -Y http.request -T fields -e http.request.method \
		-e http.request.uri 2>/dev/null | head -1 | tr '\t' ' ')
	case "$got" in
	"GET /") echo "ok   $lab.pcapng opens decrypted in tshark: $got" ;;
	*) echo "FAIL: $lab.pcapng: tshark shows no decrypted request ($got)"; fail=1 ;;
	esac
done
exit "$fail"

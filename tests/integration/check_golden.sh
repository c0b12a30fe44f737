#!/bin/sh
# tests/integration/check_golden.sh — `wirelab check` on captures of servers
# nobody here wrote (python3's http.server, nginx), made with tcpdump
# (tests/pcap/make-pcaps.sh). Each verdict was read by hand against the
# packet list (tshark's and `wirelab show`'s) before it was checked in:
#   http-nginx-close    nginx answering HTTP/1.0 and closing first: the
#                       notes' ten packets in Linux's order (only the
#                       separate ACK of the server's FIN is missing: it rides
#                       on the client's FIN).
#   http-nginx          nginx keeping the connection alive: curl closes first,
#                       so server_fin, client_fin and last_ack fail.
#   http-nginx-keepalive two requests on one connection: 12 packets, the
#                       client closes, and the second response is 2 KB, so
#                       the overhead claim fails (payload outweighs headers).
#   http-python         python writes headers and body apart: P6 carries only
#                       the head (response_psh fails), 12 packets.
#   http-python-retrans the head of the response lost after the capture
#                       point: the client's duplicate ACK (8) makes the server
#                       send it again (9); the server's FIN rode on its last
#                       data (7, FP.); the retransmission is the server's, so
#                       http.retransmit (the request sent again) is n/a.
# And TLS from openssl s_client/s_server and curl/nginx (tls-make-pcaps.sh),
# checked with their key logs (verdicts confirmed with tshark's fields):
#   tls-12-dhe          s_client pinned to 1.2 (-tls1_2): no supported_versions
#                       (versions_offered fails), DHE key exchange, 2 RTT.
#   tls-12-rsa          RSA key transport: no ServerKeyExchange, so
#                       tls12.key_exchange and dhe_forward_secrecy fail.
#   tls-13-hrr          a HelloRetryRequest (x25519 refused): 2 round trips,
#                       tls13.one_rtt fails; the claims read the real ServerHello.
#   tls-13-aes128gcm    curl --tlsv1.3: only 0x0304 offered (versions_offered
#                       fails); 1 RTT, the certificate encrypted.
#   tls-mismatch        1.3-only curl against 1.2-only nginx: alert 70 (not 40)
#                       and a FIN (not a RST), as the tls-mismatch lab expects.
# GOLDEN_UPDATE=1 rewrites the expected files (then read them again!).
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=$B/wirelab
fail=0
n=0
for entry in http:http-nginx-close http:http-nginx http:http-nginx-keepalive http:http-python \
	http:http-python-retrans tls12:tls-12-dhe tls12:tls-12-rsa tls13:tls-13-hrr \
	tls13:tls-13-aes128gcm tls-mismatch:tls-mismatch; do
	lab=${entry%%:*}
	c=${entry#*:}
	pcap=tests/pcap/$c.pcap
	want=tests/pcap/$c.check.json
	keys=tests/pcap/$c.keys
	if [ -f "$keys" ]; then
		got=$("$W" check "$lab" "$pcap" --json --keylog "$keys" 2>&1)
	else
		got=$("$W" check "$lab" "$pcap" --json 2>&1)
	fi
	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$got" >"$want"
		continue
	fi
	n=$((n + 1))
	if printf '%s\n' "$got" | cmp -s - "$want"; then
		echo "ok   check $lab $c"
	else
		echo "FAIL: check $lab $c differs from $want:"
		printf '%s\n' "$got" | diff "$want" - | head -20
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "check_golden: $n captures, verdicts as checked in"
exit "$fail"

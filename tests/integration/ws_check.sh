#!/bin/sh
# tests/integration/ws_check.sh — `wirelab check LAB F --json` on captures of
# WebSocket peers nobody here wrote, against verdicts checked in beside them
# (tests/pcap/ws-NAME.check.json: the lab, the capture, each claim's verdict).
#
# Each expected verdict was read by hand off tshark's listing of the capture
# (tshark 4.0, default preferences: frame numbers, ports, TCP flags, frame
# and payload lengths, http.request.method/response.code, the key and the
# accept value (checked with SHA-1 + base64 outside wirelab), and per frame
# websocket.opcode/fin/rsv/mask/payload.text/payload.ping/payload.pong/
# payload.close.status_code), by evaluating the lab's expressions
# (labs/websocket.lab) on that listing and RFC 6455's rules. So a verdict is
# what the claim *as written* gives on a right dissection: where the claim's
# sentence and its expression part ways on a capture, the comment says so.
# In `check` (a capture only) ws.time_wait is always n/a: only a live run
# sees TIME_WAIT. The captures are made by tests/pcap/ws-make-pcaps.sh.
#
# ws-python-server.pcap — wl-ws-client -> Debian's python3-websockets 10.4
#   server (8080). Handshake 1-3, GET at 4, 101 at 6 with the right accept.
#   raw_pipe holds: 15 packets with frames after the 101, no HTTP, every
#   client frame masked, no server frame masked, a text in 3 fragments
#   (8 text, 10 and 12 continuation, 14 continuation+FIN) in order. ping_pong
#   holds: py-ping from the server at 18, the client's pong with the same
#   bytes at 21; 2 pings (18, 26), 2 pongs (21, 27). full_duplex FAILS: the
#   server pushed "push 1" (16) before the client's first text (20); between
#   20 and the last (24) it only echoed ("echo: hello", 23). close_handshake
#   holds: Close 1000 from the client at 28, from the server at 29.
#   tcp_close holds: python's server closes TCP first (FIN 30), the client's
#   FIN 31, the server's last ACK 32. chatty: 32 packets, 2642 bytes, 514 of
#   payload, 6 packets with text.
# ws-python-client.pcap — python3-websockets client -> wl-ws-server (8080).
#   The client offers permessage-deflate, the server's 101 (6) declines it:
#   no RSV bit anywhere. raw_pipe holds (13 packets with frames; a 16-bit
#   length at 12, a fragmented text 13-15, five server frames in one segment
#   at 19). ping_pong holds: py-ping from the client at 16, the server's pong
#   inside packet 19; 2 packets with pings (16, 19), 2 with pongs (19, 21).
#   full_duplex FAILS: the client's texts are 10-13 and the server sent
#   nothing in between (its "push 2" sat in 19, behind Nagle). close_handshake
#   holds: the client closes with 1001 "going away, bye" (23), the server
#   answers (25).
#   tcp_close holds (server FIN 26, client FIN 27, ACK 28). chatty holds:
#   28 packets for 6 messages, and 3085 bytes on the wire, more than twice
#   the 1221 bytes of payload (a 300-byte message and its echo weigh in).
# ws-node-python.pcap — Node's ws 8.11 client -> websockets server on port
#   8765 (no HTTP port: found by content). raw_pipe holds: 16 packets with
#   frames, both sides fragment at once (client 8 + 15 sent with ws's
#   {fin: false}, server 9-12) and each side's sequence is valid; Close 4000
#   is a private-use code (RFC 6455 7.4.2). ping_pong holds: the pings
#   cross — the server's py-ping (14) is answered by the client at 20 and
#   the client's node-ping (16) by the server at 18; the claim pairs each
#   ping with the next pong from the other side. full_duplex FAILS: one
#   client text (8), nothing strictly between it and itself. close_handshake
#   holds: Close 4000 (a private-use code) each way (client first at 25, server at 26). tcp_close holds
#   (FIN 27 server, 28 client, ACK 29). chatty holds (2498 bytes > 2 x 568).
# ws-node-python-deflate.pcap — the same peers with permessage-deflate
#   negotiated (the 101 at 6 says "permessage-deflate;
#   server_max_window_bits=12; client_max_window_bits=12"). raw_pipe HOLDS:
#   RSV1 (tshark: websocket.pmc, "Per-Message Compressed") is set only on the
#   first frame of each data message (8, 16, 20, 25, 28, 29), never on a
#   continuation or control frame, as RFC 7692 6 and 6.1 want; the
#   compressed payloads are not text to judge as UTF-8 (tshark inflates 16
#   and 28 to "push 1" and "echo: node says: part one, part two"). No rule is
#   broken. ping_pong holds as in ws-node-python (py-ping 18 answered by the
#   client at 26; node-ping 23 by the server at 24). full_duplex fails and close_handshake,
#   tcp_close, chatty hold as in ws-node-python (FIN 33 server, 34
#   client, ACK 35; 3094 bytes > 2 x 768).
# ws-python-node.pcap — websockets client -> ws server (8080) that starts the
#   close itself. raw_pipe holds: 8 packets with frames after the 101, no HTTP, no
#   protocol error. ping_pong holds
#   (node-server-ping 10 from the server, the client's pong 11; 1 and 1).
#   full_duplex FAILS (client texts 8 and 9 back to back). close_handshake
#   FAILS: the server's Close 1001 "server going away" (15) comes before the
#   client's (16). tcp_close holds: the server's FIN 17 follows its Close.
#   chatty holds (1799 bytes > 2 x 529).
# ws-lab-websocket.pcap, ws-lab-websocket-node.pcap — `wirelab run websocket
#   websocket-node` (the labs' own runs, 198.18.0.1 -> 198.18.0.2:8080):
#   every claim holds as the labs expect; pushes 9 and 11 (13 in the node
#   lab) fall between the client's first and last texts; pings 13/15 and
#   pongs 14/19 (18/22 and 20/24); Close 1000 both ways; the server's FIN
#   first.
#
# Needs tshark only to remake the verdicts, not to run. B: build directory.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-ws-check.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# "id verdict" per claim, in order, from check --json or a .check.json.
verdicts() {
	sed -n 's/.*"id": "\([^"]*\)", "verdict": "\([^"]*\)".*/\1 \2/p' "$1"
}

files=0
failed=0
for exp in tests/pcap/ws-*.check.json; do
	[ -f "$exp" ] || continue
	name=$(basename "$exp" .check.json)
	pcap=tests/pcap/$name.pcap
	lab=$(sed -n 's/^{"lab": "\([^"]*\)".*/\1/p' "$exp")
	files=$((files + 1))
	if [ ! -f "$pcap" ] || [ -z "$lab" ]; then
		failed=$((failed + 1))
		echo "FAIL $name: no $pcap, or no lab named in $exp"
		continue
	fi
	"$W" check "$lab" "$pcap" --json >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		failed=$((failed + 1))
		echo "FAIL $name: wirelab check $lab exited $rc: $(cat "$tmp/err")"
		continue
	fi
	verdicts "$exp" >"$tmp/want"
	verdicts "$tmp/out.json" >"$tmp/got"
	if [ ! -s "$tmp/want" ]; then
		failed=$((failed + 1))
		echo "FAIL $name: $exp lists no claim"
		continue
	fi
	if cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok   $name: $(wc -l <"$tmp/want") claims of $lab as expected"
		continue
	fi
	failed=$((failed + 1))
	echo "FAIL $name: check $lab differs from the verdicts read off tshark's listing:"
	awk 'NR == FNR { want[$1] = $2; order[++n] = $1; next }
	     { got[$1] = $2; if (!($1 in want)) order[++n] = $1 }
	     END {
		for (i = 1; i <= n; i++) {
			id = order[i]
			if (want[id] != got[id])
				print id, (id in want ? want[id] : "(none)"), (id in got ? got[id] : "(none)")
		}
	     }' "$tmp/want" "$tmp/got" >"$tmp/diff"
	while read -r id want got; do
		printf '    %-20s expected %-6s wirelab %s\n' "$id" "$want" "$got"
		# wirelab's own account of it
		grep "\"id\": \"$id\"" "$tmp/out.json" |
			sed 's/.*"observed": "\(\([^"\\]\|\\.\)*\)".*/      observed: \1/'
	done <"$tmp/diff"
done

echo "ws_check: $files captures, $failed differ"
if [ $files -eq 0 ]; then
	echo "FAIL: no tests/pcap/ws-*.check.json"
	exit 1
fi
[ $failed -eq 0 ]

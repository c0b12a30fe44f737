#!/bin/sh
# tests/pcap/ws-make-pcaps.sh — how the WebSocket captures of other
# implementations under tests/pcap/ were made, for the record (CI does not run
# it: the captures are checked in, with their expected `check` verdicts in
# ws-NAME.check.json, read by hand against tshark: tests/integration/ws_check.sh).
#
#   sudo sh tests/pcap/ws-make-pcaps.sh [OUTDIR]      (default: tests/pcap)
#
# Needs root (a network namespace of its own: `unshare -n`, only `lo`, gone
# with the script), tcpdump, build/labs/wl-ws-client and wl-ws-server (make),
# Debian's python3-websockets (10.4, run by /usr/bin/python3: a pyenv python
# first in PATH does not see Debian's modules) and node-ws (8.11, loaded with
# NODE_PATH=/usr/share/nodejs). Peers nobody here wrote, on both sides:
#
#   ws-python-server       wl-ws-client  -> websockets server (8080): the server
#                          sends a message in 3 fragments, pushes, pings; the
#                          client pings, closes 1000; the server closes TCP first
#   ws-python-client       websockets client -> wl-ws-server (8080): text,
#                          binary, a 16-bit length, a fragmented text, a ping;
#                          the client offers permessage-deflate, the server
#                          declines; Close 1001 with a reason
#   ws-node-python         ws client -> websockets server on port 8765 (not an
#                          HTTP port for tshark): a fragmented text sent with
#                          ws's {fin: false}, a ping, binary, Close 4000 + reason
#   ws-node-python-deflate the same with permessage-deflate negotiated (ws's and
#                          websockets' defaults): compressed frames carry RSV1
#   ws-python-node         websockets client -> ws server (8080): the server
#                          starts the close handshake (1001 + reason)
#
# Each capture is a single connection on lo (Ethernet header, MTU 65536).
#
# The other ws-* files of tests/pcap are not made here:
#   ws-lab-websocket.pcap, ws-lab-websocket-node.pcap
#       sudo build/wirelab run websocket websocket-node --out DIR  (DIR/LAB.pcap)
#   ws-synth-*.pcap   the hand-built frames of tests/test_ws.c:
#       WL_TEST_PCAP_DIR=DIR build/tests/test_ws   (those under 20 KB kept)
#     A test that fails stops writing its conversation where it fails: make
#     them from a run in which every test passes.
set -eu

if [ -z "${WL_WS_PCAPS_NETNS:-}" ]; then
	export WL_WS_PCAPS_NETNS=1
	exec unshare -n sh "$0" "$@"
fi

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(cd "${1:-$here}" && pwd)
labs=$top/${B:-build}/labs
for p in "$labs/wl-ws-client" "$labs/wl-ws-server"; do
	[ -x "$p" ] || { echo "$p is missing: run make first" >&2; exit 1; }
done
/usr/bin/python3 -c 'import websockets' 2>/dev/null ||
	{ echo "python3-websockets is missing: apt-get install python3-websockets" >&2; exit 1; }
[ -f /usr/share/nodejs/ws/package.json ] ||
	{ echo "node-ws is missing: apt-get install node-ws" >&2; exit 1; }
PY=/usr/bin/python3
NODE_PATH=/usr/share/nodejs
export NODE_PATH

tmp=$(mktemp -d /tmp/wl-ws-pcaps.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip link set lo up

# ---- capturing ----
tcpd=""
cap_start() { # FILE PORT
	: >"$tmp/tcpdump.log"
	tcpdump -i lo -n -U --immediate-mode -Z root -w "$1" "tcp port $2" \
		2>"$tmp/tcpdump.log" &
	tcpd=$!
	n=0
	until grep -q 'listening on' "$tmp/tcpdump.log"; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "tcpdump did not start" >&2; exit 1; }
		sleep 0.05
	done
}
cap_stop() {
	sleep 0.3
	kill -INT "$tcpd"
	wait "$tcpd" || true
}

srv=""
srv_start() { # PORT COMMAND...
	port=$1
	shift
	"$@" >"$tmp/server.log" 2>&1 &
	srv=$!
	pids="$pids $srv"
	n=0
	until grep -q ":$(printf %04X "$port") 00000000:0000 0A" /proc/net/tcp; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "server did not listen on $port:" >&2; cat "$tmp/server.log" >&2; exit 1; }
		sleep 0.05
	done
}
srv_stop() {
	sleep 0.2 # the server's FIN and the last ACK
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
}

# ---- the programs of the other implementations ----

# websockets' server: with "frag" it sends a message in 3 fragments (an
# iterable is sent fragmented), pushes one message, pings and waits for the
# pong, then echoes every message until the client closes. It answers the
# client's Close with the same code and reason, and closes TCP first.
cat >"$tmp/py_server.py" <<'EOF'
import asyncio, sys
import websockets

PORT = int(sys.argv[1])
COMPRESSION = "deflate" if sys.argv[2] == "deflate" else None

async def handler(ws):
    await ws.send(["frag", "mented ", "message"])
    await ws.send("push 1")
    await (await ws.ping(b"py-ping"))
    async for msg in ws:
        await ws.send("echo: " + msg if isinstance(msg, str) else msg)

async def main():
    async with websockets.serve(handler, "127.0.0.1", PORT, compression=COMPRESSION):
        await asyncio.Future()

asyncio.run(main())
EOF

# websockets' client against wl-ws-server (which pushes 2 messages, pings,
# echoes texts, answers Close with the code and closes TCP first).
cat >"$tmp/py_client.py" <<'EOF'
import asyncio, sys
import websockets

async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await ws.send("hello from python")
        await ws.send(b"\x00\x01binary\xff")
        await ws.send("x" * 300)  # 16-bit length
        await ws.send(["fragmented ", "text"])
        await (await ws.ping(b"py-ping"))
        pushes = 0
        while pushes < 2:
            msg = await asyncio.wait_for(ws.recv(), 3)
            if msg.startswith("push "):
                pushes += 1
        await asyncio.sleep(0.05)  # the rest of the echoes
        await ws.close(code=1001, reason="going away, bye")

asyncio.run(main())
EOF

# ws's client: a text in 2 fragments ({fin: false}), a ping, a binary
# message, then Close 4000 with a reason once the 2 echoes are back.
cat >"$tmp/node_client.js" <<'EOF'
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2], { perMessageDeflate: process.argv[3] === 'deflate' });
let echoes = 0;
ws.on('open', () => {
  ws.send('node says: part one, ', { fin: false });
  ws.send('part two', { fin: true });
  ws.ping('node-ping');
  ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
});
ws.on('message', (data, isBinary) => {
  if (String(data).startsWith('echo: ') || isBinary) echoes++;
  if (echoes === 2) ws.close(4000, 'node is done');
});
ws.on('close', () => process.exit(0));
ws.on('error', (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('timeout'); process.exit(1); }, 5000);
EOF

# ws's server that starts the close itself: echoes 2 messages, pings, then
# Close 1001 "server going away".
cat >"$tmp/node_server.js" <<'EOF'
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]) });
wss.on('connection', (ws) => {
  let n = 0;
  ws.ping('node-server-ping');
  ws.on('message', (data, isBinary) => {
    ws.send(isBinary ? data : 'echo: ' + data, { binary: isBinary });
    if (++n === 2) setTimeout(() => ws.close(1001, 'server going away'), 20);
  });
});
EOF

cat >"$tmp/py_client_waits.py" <<'EOF'
import asyncio, sys
import websockets

async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await ws.send("first")
        await ws.send("second")
        async for msg in ws:  # until the server's Close
            pass

asyncio.run(main())
EOF

# ---- the captures ----

srv_start 8080 $PY "$tmp/py_server.py" 8080 none
cap_start "$out/ws-python-server.pcap" 8080
"$labs/wl-ws-client" -H 127.0.0.1 -p 8080 -s hello -s 'how are you' -g 15 -P client-ping \
	-n 1 -c 1000 >"$tmp/client.log"
cap_stop
srv_stop

srv_start 8080 "$labs/wl-ws-server" -p 8080 -n 2 -g 15 -P server-ping
cap_start "$out/ws-python-client.pcap" 8080
$PY "$tmp/py_client.py" ws://127.0.0.1:8080/
cap_stop
srv_stop

srv_start 8765 $PY "$tmp/py_server.py" 8765 none
cap_start "$out/ws-node-python.pcap" 8765
node "$tmp/node_client.js" ws://127.0.0.1:8765/ none
cap_stop
srv_stop

srv_start 8080 $PY "$tmp/py_server.py" 8080 deflate
cap_start "$out/ws-node-python-deflate.pcap" 8080
node "$tmp/node_client.js" ws://127.0.0.1:8080/ deflate
cap_stop
srv_stop

srv_start 8080 node "$tmp/node_server.js" 8080
cap_start "$out/ws-python-node.pcap" 8080
$PY "$tmp/py_client_waits.py" ws://127.0.0.1:8080/
cap_stop
srv_stop

echo "made the WebSocket captures in $out"

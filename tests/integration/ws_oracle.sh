#!/bin/sh
# tests/integration/ws_oracle.sh — tshark as the oracle of `wirelab show`'s
# WebSocket frames (INTERFACE.md: "ws": [{"opcode", "fin", "masked", "len"}],
# README: "close_code" on a Close).
#
# For every tests/pcap/ws-*.pcap (captures of other implementations, made by
# tests/pcap/ws-make-pcaps.sh; the hand-built frames of tests/test_ws.c,
# ws-synth-*; the labs' own runs, ws-lab-*), every frame of the capture must
# list the same WebSocket frames, in the same order, in both:
#     opcode / fin / mask / length [/ close code]
# tshark's side comes from
#     tshark -r F -T fields -e frame.number -e websocket.fin -e websocket.opcode
#            -e websocket.mask -e websocket.payload_length
#            -e websocket.payload_length_ext_16 -e websocket.payload_length_ext_64
#            -e websocket.payload.close.status_code
# tshark 4.0 prints a field's occurrences in one packet comma-separated, and
# only those that exist: fin, opcode, mask and payload_length are in every
# frame header, so their lists line up; the extended lengths are taken in
# order by the frames whose 7-bit length says 126 or 127, the close codes by
# the Close frames of 2 bytes or more. The length compared is the real one
# (wirelab's "len"): the 7-bit field, else the extended field it points to.
#
# Ports: tshark reaches WebSocket only through its HTTP dissector, which
# hands the stream over at the 101 (it never guesses WebSocket from bytes).
# HTTP is found on its registered ports (80, 8080, ...) and, elsewhere, by
# its TCP heuristic, which tshark 4.0 runs by default: ws-node-python.pcap
# (port 8765) is read without help. So no `-d` is given. (A `-d
# tcp.port==P,websocket` would be wrong anyway: tshark would read the HTTP
# handshake as frames; `-d tcp.port==P,http` is what a capture on an odd port
# would need.) A capture in which tshark finds no WebSocket frame at all is a
# failure, so a change in tshark's heuristics cannot pass by comparing
# nothing.
#
# Known difference, by design: none. A frame tshark lists and wirelab not (or
# elsewhere) fails the test, with both listings shown.
#
# tshark runs with its default preferences (an empty configuration directory).
# Needs tshark; B is the build directory; WS_ORACLE_DIR another directory.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}

if ! command -v tshark >/dev/null 2>&1; then
	echo "FAIL: tshark is not installed (a declared dependency: sh ci/install-deps.sh)"
	exit 1
fi
if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-ws-oracle.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/wsconf"
WIRESHARK_CONFIG_DIR="$tmp/wsconf"
export WIRESHARK_CONFIG_DIR

# tshark's fields -> "N op/fin/mask/len[/code] ..." or "N -"
tshark_rows() {
	awk -F '\t' '
	function split_list(s, a) {
		if (s == "")
			return 0
		return split(s, a, ",")
	}
	{
		nf = split_list($2, fin)
		split_list($3, op)
		split_list($4, mask)
		split_list($5, l7)
		split_list($6, e16)
		split_list($7, e64)
		split_list($8, code)
		i16 = i64 = ic = 1
		row = ""
		for (i = 1; i <= nf; i++) {
			len = l7[i]
			if (len == 126)
				len = e16[i16++]
			else if (len == 127)
				len = e64[i64++]
			f = op[i] "/" fin[i] "/" mask[i] "/" len
			if (op[i] == 8 && len >= 2 && (ic in code))
				f = f "/" code[ic++]
			row = row " " f
		}
		print $1 (row == "" ? " -" : row)
	}' "$1"
}

# show --json -> the same. Each "ws" object has no nested braces.
wirelab_rows() {
	awk '
	function num(obj, key,    s) {
		if (!match(obj, "\"" key "\": [0-9]+"))
			return ""
		s = substr(obj, RSTART, RLENGTH)
		sub(/.*: /, "", s)
		return s
	}
	function bool(obj, key) {
		return obj ~ ("\"" key "\": true") ? 1 : 0
	}
	{
		match($0, /"n": [0-9]+/)
		n = substr($0, RSTART + 5, RLENGTH - 5)
		row = ""
		if (match($0, /"ws": \[[^]]*\]/)) {
			ws = substr($0, RSTART, RLENGTH)
			while (match(ws, /\{[^}]*\}/)) {
				o = substr(ws, RSTART, RLENGTH)
				ws = substr(ws, RSTART + RLENGTH)
				f = num(o, "opcode") "/" bool(o, "fin") "/" bool(o, "masked") "/" num(o, "len")
				c = num(o, "close_code")
				if (c != "")
					f = f "/" c
				row = row " " f
			}
		}
		print n (row == "" ? " -" : row)
	}' "$1"
}

dir=${WS_ORACLE_DIR:-tests/pcap}
files=0
failed=0
frames=0
for f in "$dir"/ws-*.pcap "$dir"/ws-*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	files=$((files + 1))
	if ! tshark -n -r "$f" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e frame.number -e websocket.fin -e websocket.opcode -e websocket.mask \
		-e websocket.payload_length -e websocket.payload_length_ext_16 \
		-e websocket.payload_length_ext_64 -e websocket.payload.close.status_code \
		>"$tmp/t.fields" 2>"$tmp/tshark.err"; then
		failed=$((failed + 1))
		echo "FAIL $name: tshark cannot read it:"
		grep -v 'Running as user' "$tmp/tshark.err" | sed 's/^/    /'
		continue
	fi
	tshark_rows "$tmp/t.fields" >"$tmp/t.rows"
	if ! "$W" show --json "$f" >"$tmp/w.json" 2>"$tmp/w.err"; then
		failed=$((failed + 1))
		echo "FAIL $name: wirelab show --json failed: $(cat "$tmp/w.err")"
		continue
	fi
	wirelab_rows "$tmp/w.json" >"$tmp/w.rows"
	nws=$(awk '{ n += NF - 1 - ($2 == "-") } END { print n + 0 }' "$tmp/t.rows")
	if [ "$nws" -eq 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $name: tshark finds no WebSocket frame (did it not see the HTTP upgrade?)"
		continue
	fi
	if cmp -s "$tmp/t.rows" "$tmp/w.rows"; then
		echo "ok   $name: $(wc -l <"$tmp/t.rows") packets, $nws WebSocket frames agree"
		frames=$((frames + nws))
		continue
	fi
	failed=$((failed + 1))
	echo "FAIL $name: wirelab and tshark disagree (per packet: opcode/fin/mask/len[/close code]):"
	awk 'NR == FNR { t[FNR] = $0; nt = FNR; next }
	     { w[FNR] = $0; nw = FNR }
	     END {
		m = nt > nw ? nt : nw
		shown = 0
		for (i = 1; i <= m; i++) {
			if (t[i] == w[i])
				continue
			if (shown++ == 20) {
				print "    ..."
				break
			}
			print "    tshark:  " (i in t ? t[i] : "(no packet " i ")")
			print "    wirelab: " (i in w ? w[i] : "(no packet " i ")")
		}
	     }' "$tmp/t.rows" "$tmp/w.rows"
done

echo "ws_oracle: $files captures, $frames WebSocket frames agree, $failed captures failed"
if [ $files -eq 0 ]; then
	echo "FAIL: no ws-*.pcap under $dir"
	exit 1
fi
[ $failed -eq 0 ]

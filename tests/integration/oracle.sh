#!/bin/sh
# tests/integration/oracle.sh — tshark as the oracle of `wirelab show`.
#
# For every capture under tests/pcap/ (*.pcap, *.pcapng) that tshark reads,
# `wirelab show --json` and `tshark -T fields` must agree on every frame:
# frame number, TCP flags, relative seq and ack, payload length, stream
# index, the analysis flags retransmission (R), duplicate ACK (D) and
# out-of-order (O), and the first HTTP message that completes in the frame
# ("GET", "200": INTERFACE.md's "http" key). A frame that is not TCP has none
# of them in either. HTTP is not compared in a frame cut by the snaplen:
# tshark decodes what is left of it, wirelab stops reassembling there.
# Files named bad-* are malformed on purpose (badinput.sh) and skipped; any
# other file that tshark cannot read is a failure, so a broken tshark cannot
# pass this test by skipping everything.
#
# tshark runs with its default preferences (an empty configuration
# directory), one pass, as a student's Wireshark would show the capture.
# Needs tshark (ci/install-deps.sh installs it); B is the build directory.
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

tmp=$(mktemp -d /tmp/wl-oracle.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/wsconf"
WIRESHARK_CONFIG_DIR="$tmp/wsconf"
export WIRESHARK_CONFIG_DIR

# One line per frame: "n flags seq ack len stream analysis", "-" for what
# the frame does not have.
tshark_fields() { # FILE
	tshark -n -r "$1" -o tcp.relative_sequence_numbers:TRUE \
		-o tcp.analyze_sequence_numbers:TRUE -T fields -E separator=/t \
		-e frame.number -e tcp.flags -e tcp.seq -e tcp.ack -e tcp.len -e tcp.stream \
		-e tcp.analysis.retransmission -e tcp.analysis.duplicate_ack \
		-e tcp.analysis.out_of_order -e http.request.method -e http.response.code \
		-e frame.len -e frame.cap_len >"$tmp/t.fields" 2>"$tmp/tshark.err"
}

tshark_rows() {
	awk -F '\t' '
		function hex(s,    i, c, v) {
			s = tolower(s)
			sub(/^0x/, "", s)
			v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1))
				v = v * 16 + c - 1
			}
			return v
		}
		{
			if ($2 == "") {
				print $1, "-", "-", "-", "-", "-", "-", "-"
				next
			}
			an = ($7 != "" ? "R" : "") ($8 != "" ? "D" : "") ($9 != "" ? "O" : "")
			http = $10 != "" ? $10 : $11
			sub(/,.*/, "", http)
			if ($12 != $13)
				http = "?"
			print $1, hex($2), $3, $4, $5, $6, (an == "" ? "-" : an), (http == "" ? "-" : http)
		}' "$tmp/t.fields"
}

wirelab_rows() {
	awk '
		function num(key,    s) {
			if (!match($0, "\"" key "\": -?[0-9]+"))
				return "-"
			s = substr($0, RSTART, RLENGTH)
			sub(/^.*: /, "", s)
			return s
		}
		{
			n = num("n")
			if (num("flags") == "-") {
				print n, "-", "-", "-", "-", "-", "-", "-"
				next
			}
			http = "-"
			if (match($0, /"http": \{"request": "[^ "]*/)) {
				http = substr($0, RSTART, RLENGTH)
				sub(/.*"request": "/, "", http)
			} else if (match($0, /"http": \{"status": [0-9]+/)) {
				http = substr($0, RSTART, RLENGTH)
				sub(/.*"status": /, "", http)
			}
			if (match($0, /"malformed": "tcp: payload cut short/))
				http = "?"
			an = ""
			if (match($0, /"analysis": \[[^]]*\]/)) {
				a = substr($0, RSTART, RLENGTH)
				if (a ~ /"retransmission"/)
					an = an "R"
				if (a ~ /"duplicate_ack"/)
					an = an "D"
				if (a ~ /"out_of_order"/)
					an = an "O"
			}
			print n, num("flags"), num("seq"), num("ack"), num("len"), num("stream"),
				(an == "" ? "-" : an), http
		}' "$tmp/w.json"
}

files=0
failed=0
skipped=0
dir=${ORACLE_DIR:-tests/pcap}
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	case $name in
	bad-*)
		# Malformed on purpose: badinput.sh checks how wirelab refuses them.
		skipped=$((skipped + 1))
		echo "skip $name: malformed on purpose (badinput.sh)"
		continue
		;;
	esac
	tshark_fields "$f"
	trc=$?
	if [ $trc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $name: tshark cannot read it:"
		grep -v 'Running as user' "$tmp/tshark.err" | sed 's/^/    /'
		continue
	fi
	tshark_rows >"$tmp/t.rows"
	files=$((files + 1))
	"$W" show --json "$f" >"$tmp/w.json" 2>"$tmp/wirelab.err"
	wrc=$?
	if [ $wrc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $name: wirelab show --json exited $wrc: $(cat "$tmp/wirelab.err")"
		continue
	fi
	wirelab_rows >"$tmp/w.rows"
	if cmp -s "$tmp/t.rows" "$tmp/w.rows"; then
		echo "ok   $name: $(wc -l <"$tmp/t.rows") frames agree"
		continue
	fi
	failed=$((failed + 1))
	echo "FAIL $name: wirelab and tshark disagree (n flags seq ack len stream analysis http):"
	awk 'NR == FNR { t[FNR] = $0; nt = FNR; next }
	     { w[FNR] = $0; nw = FNR }
	     END {
		m = nt > nw ? nt : nw
		shown = 0
		for (i = 1; i <= m; i++) {
			if (t[i] == w[i])
				continue
			if (shown++ == 25) {
				print "    ..."
				break
			}
			print "    frame " i ":"
			print "      tshark:  " (i in t ? t[i] : "(no frame)")
			print "      wirelab: " (i in w ? w[i] : "(no frame)")
		}
	     }' "$tmp/t.rows" "$tmp/w.rows"
done

echo "oracle: $files captures compared, $failed failed, $skipped skipped"
if [ $files -eq 0 ]; then
	echo "FAIL: no capture compared"
	exit 1
fi
[ $failed -eq 0 ]

#!/bin/sh
# tests/integration/tls_oracle.sh — `wirelab show --json` against tshark on
# every TLS capture of tests/pcap (tls-*.pcap), packet by packet:
#   - each TLS record completed in the packet, in order: its type on the wire
#     (tshark: tls.record.opaque_type if present, else tls.record.content_type;
#     wirelab: "type") and, for a decrypted TLS 1.3 record, its inner type
#     (tshark: tls.record.content_type under the opaque type; wirelab: "inner");
#   - tls.handshake.type of every handshake message listed (wirelab: "hs");
#   - tls.alert_message.desc of every alert (wirelab: "alert"[1]);
#   - without a key log, the Info text of every packet that has TLS records
#     ("Server Hello, Change Cipher Spec, Application Data", ...);
#   - with the capture's key log (tls-NAME.keys; tshark -o tls.keylog_file),
#     the HTTP request line found inside (method, uri, version).
# The key log half needs `wirelab show --keylog`; until show has it, that
# half is reported as not run and the clear half still decides.
# tshark runs with its default preferences (an empty configuration
# directory: no tls.keylog_file of the user's sneaks in). Needs tshark (a
# declared dependency: ci/install-deps.sh). Exit 0 when every packet agrees.
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
	echo "FAIL: $W is not built"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-tls-oracle.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/wsconf"
WIRESHARK_CONFIG_DIR="$tmp/wsconf"
export WIRESHARK_CONFIG_DIR

# tshark's PDML -> "N rec=22,20,23/22 hs=2,8 alert=70 req=GET / HTTP/1.1"
cat >"$tmp/pdml.awk" <<'EOF'
function attr(name,   m) {
	if (match($0, name "=\"[^\"]*\"")) {
		m = substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3)
		return m
	}
	return ""
}
function flush() {
	if (n == "")
		return
	if (cur != "")
		rec = rec (rec == "" ? "" : ",") cur
	printf "%s rec=%s hs=%s alert=%s req=%s\n", n, rec, hs, al, req
}
/<field name="num" / { flush(); n = attr("show"); rec = hs = al = req = cur = meth = uri = ""; next }
/<field name="tls.record" / { if (cur != "") rec = rec (rec == "" ? "" : ",") cur; cur = ""; next }
/<field name="tls.record.opaque_type"/ { cur = attr("show"); opq = 1; next }
/<field name="tls.record.content_type"/ {
	if (cur != "" && opq) cur = cur "/" attr("show"); else cur = attr("show")
	opq = 0; next
}
/<field name="tls.handshake.type"/ { hs = hs (hs == "" ? "" : ",") attr("show"); next }
/<field name="tls.alert_message.desc"/ { al = al (al == "" ? "" : ",") attr("show"); next }
/<field name="http.request.method"/ { if (req == "") meth = attr("show"); next }
/<field name="http.request.uri"/ { if (req == "") uri = attr("show"); next }
/<field name="http.request.version"/ { if (req == "" && meth != "") req = meth " " uri " " attr("show"); next }
END { flush() }
EOF

# show --json -> the same line. A "tls" array holds objects without nested
# braces: {"type": 23, "encrypted": true, "decrypted": true, "inner": 22, "hs": [8]}
cat >"$tmp/json.awk" <<'EOF'
function num(obj, key,   s) {
	if (!match(obj, "\"" key "\": [0-9]+"))
		return ""
	s = substr(obj, RSTART, RLENGTH)
	sub(/.*: /, "", s)
	return s
}
{
	match($0, /"n": [0-9]+/)
	n = substr($0, RSTART + 5, RLENGTH - 5)
	rec = hs = al = req = ""
	i = index($0, "\"tls\": [")
	if (i) {
		s = substr($0, i + 8)
		while (substr(s, 1, 1) == "{") {
			e = index(s, "}")
			obj = substr(s, 2, e - 2)
			s = substr(s, e + 1)
			t = num(obj, "type")
			in_ = num(obj, "inner")
			rec = rec (rec == "" ? "" : ",") t (in_ != "" ? "/" in_ : "")
			if (match(obj, /"hs": \[[0-9, ]*\]/)) {
				h = substr(obj, RSTART + 7, RLENGTH - 8)
				gsub(/ /, "", h)
				if (h != "")
					hs = hs (hs == "" ? "" : ",") h
			}
			if (match(obj, /"alert": \[[0-9]+, [0-9]+\]/)) {
				a = substr(obj, RSTART, RLENGTH)
				sub(/.*, /, "", a)
				sub(/\]/, "", a)
				al = al (al == "" ? "" : ",") a
			}
			if (substr(s, 1, 2) != ", ")
				break
			s = substr(s, 3)
		}
	}
	if (match($0, /"http": \{"request": "[^"]*"/)) {
		req = substr($0, RSTART + 21, RLENGTH - 22)
	}
	printf "%s rec=%s hs=%s alert=%s req=%s\n", n, rec, hs, al, req
}
EOF

keylog_ok=0
if "$W" show --keylog /dev/null --json tests/pcap/tls-mismatch.pcap >/dev/null 2>&1; then
	keylog_ok=1
fi

fail=0
ncap=0
npkt=0
check() { # PCAP [KEYS]
	pcap=$1 keys=${2:-}
	label=$pcap${keys:+ with $keys}
	if [ -n "$keys" ]; then
		tshark -r "$pcap" -o "tls.keylog_file:$keys" -T pdml 2>/dev/null |
			awk -f "$tmp/pdml.awk" >"$tmp/tshark"
		"$W" show --keylog "$keys" --json "$pcap" >"$tmp/json" 2>"$tmp/err"
	else
		tshark -r "$pcap" -T pdml 2>/dev/null | awk -f "$tmp/pdml.awk" >"$tmp/tshark"
		"$W" show --json "$pcap" >"$tmp/json" 2>"$tmp/err"
	fi
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $label: wirelab show exited $rc: $(cat "$tmp/err")"
		fail=$((fail + 1))
		return
	fi
	awk -f "$tmp/json.awk" "$tmp/json" >"$tmp/wirelab"
	if [ ! -s "$tmp/tshark" ]; then
		echo "FAIL $label: tshark read nothing"
		fail=$((fail + 1))
		return
	fi
	if [ -z "$keys" ]; then
		# Info of the packets with records: tshark's column vs "info".
		tshark -r "$pcap" -T fields -e frame.number -e _ws.col.Info 2>/dev/null |
			awk -F'\t' 'NR == FNR { if ($0 ~ /rec=[0-9]/) tls[$1 + 0] = 1; next }
				tls[$1 + 0] { sub(/ +$/, "", $2); print $1 " " $2 }' \
				"$tmp/tshark" - >>"$tmp/tshark"
		awk 'match($0, /"n": [0-9]+/) { n = substr($0, RSTART + 5, RLENGTH - 5) }
			/"tls": \[/ && match($0, /"info": "[^"]*"/) {
				i = substr($0, RSTART + 9, RLENGTH - 10); sub(/ +$/, "", i)
				print n " " i }' "$tmp/json" >>"$tmp/wirelab"
	fi
	if ! diff -u "$tmp/tshark" "$tmp/wirelab" >"$tmp/diff"; then
		echo "FAIL $label: wirelab and tshark disagree (- tshark, + wirelab):"
		grep '^[-+][0-9]' "$tmp/diff" | head -20
		fail=$((fail + 1))
		return
	fi
	ncap=$((ncap + 1))
	npkt=$((npkt + $(grep -c " rec=" "$tmp/tshark")))
	echo "ok   $label ($(grep -c 'rec=[0-9]' "$tmp/tshark") packets with TLS records)"
}

# ORACLE_DIR: another directory of TLS captures (the labs' own: lab_oracle.sh).
for pcap in "${ORACLE_DIR:-tests/pcap}"/tls*.pcap; do
	[ -f "$pcap" ] || continue
	check "$pcap"
	keys=${pcap%.pcap}.keys
	if [ -f "$keys" ] && [ $keylog_ok = 1 ]; then
		check "$pcap" "$keys"
	fi
done
[ $keylog_ok = 1 ] || echo "NOTE: $W show has no --keylog yet: the key log comparisons did not run"
echo "$ncap comparisons agree over $npkt packets, $fail disagree"
[ $ncap -gt 0 ] && [ $fail -eq 0 ]

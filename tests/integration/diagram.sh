#!/bin/sh
# tests/integration/diagram.sh — `wirelab diagram` against checked-in
# ladders: for each capture below, tests/pcap/<capture>.ladder.svg and
# tests/pcap/<capture>.ladder.txt (with the capture's .keys beside it, the
# TLS key log is used). Every SVG must parse as XML, every text line fit in
# 100 columns; then the command line: default stream, --stream, errors.
#
#   GOLDEN_UPDATE=1 sh tests/integration/diagram.sh
#
# rewrites the expected files from the current build: look at them (render
# the SVG, read the text) before committing them.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
update=${GOLDEN_UPDATE:-0}
# name: the capture without .pcap; small ones, one per kind of ladder
captures="http-nginx http-python-retrans tls-13-aes128gcm ssh-openssh-exec"

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-diagram.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
tests=0

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# The XML parser: python3's, else xmllint, else none (said once).
if command -v python3 >/dev/null 2>&1; then
	xmlcheck() { python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$1"; }
elif command -v xmllint >/dev/null 2>&1; then
	xmlcheck() { xmllint --noout "$1"; }
else
	echo "SKIP XML parsing of the SVGs: neither python3 nor xmllint is installed"
	xmlcheck() { :; }
fi

for name in $captures; do
	pcap=tests/pcap/$name.pcap
	set --
	[ -f "tests/pcap/$name.keys" ] && set -- --keylog "tests/pcap/$name.keys"
	for fmt in svg txt; do
		tests=$((tests + 1))
		want=tests/pcap/$name.ladder.$fmt
		if ! "$W" diagram "$pcap" --format $fmt "$@" >"$tmp/got" 2>"$tmp/err" ||
			[ -s "$tmp/err" ]; then
			fail "$name.$fmt: wirelab diagram $pcap --format $fmt $*: $(cat "$tmp/err")"
			continue
		fi
		if [ $fmt = svg ] && ! xmlcheck "$tmp/got" >"$tmp/xml" 2>&1; then
			fail "$name.$fmt: not well-formed XML: $(tail -n 3 "$tmp/xml")"
			continue
		fi
		if [ $fmt = txt ]; then
			# wc -L: the widest line, in characters under a UTF-8 locale
			width=$(LC_ALL=C.UTF-8 wc -L <"$tmp/got")
			if [ "$width" -gt 100 ]; then
				fail "$name.$fmt: a line of $width columns (100 at most)"
				continue
			fi
		fi
		if [ "$update" = 1 ]; then
			if ! cmp -s "$tmp/got" "$want"; then
				cp "$tmp/got" "$want"
				echo "wrote $want"
			fi
			continue
		fi
		if [ ! -f "$want" ]; then
			fail "$name.$fmt: $want is missing (GOLDEN_UPDATE=1 writes it)"
		elif cmp -s "$want" "$tmp/got"; then
			echo "ok   $name.ladder.$fmt"
		else
			fail "$name.$fmt: wirelab diagram differs from $want:"
			diff -u "$want" "$tmp/got" | head -n 40 | sed 's/^/    /'
		fi
	done
done

# A checked-in ladder whose capture left the list is stale.
for f in tests/pcap/*.ladder.svg tests/pcap/*.ladder.txt; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	n=${n%.ladder.*}
	case " $captures " in
	*" $n "*) ;;
	*) fail "$f: $n is not in diagram.sh's list (remove the file or list it)" ;;
	esac
done

# What the ladders show, whatever the golden files say.
t=tests/pcap/tls-13-aes128gcm
"$W" diagram $t.pcap --keylog $t.keys --format txt >"$tmp/tls.txt" 2>&1
grep -q -- '-+ TLS 1 RTT' "$tmp/tls.txt" || fail "TLS 1.3: no '1 RTT' bracket"
grep -q 'Encrypted Extensions, Certificate' "$tmp/tls.txt" ||
	fail "TLS 1.3 with the key log: the encrypted handshake is not named"
"$W" diagram $t.pcap --format txt >"$tmp/tls-nokeys.txt" 2>&1
grep -q 'Encrypted Extensions' "$tmp/tls-nokeys.txt" &&
	fail "TLS 1.3 without the key log names what it cannot read"
grep -q '!|<.*\[retransmission\]' tests/pcap/http-python-retrans.ladder.txt ||
	fail "http-python-retrans: the retransmission is not marked"
grep -q 'wl-arrow wl-bad wl-dash' tests/pcap/http-python-retrans.ladder.svg ||
	fail "http-python-retrans: the retransmission is not drawn red and dashed"
tests=$((tests + 4))

# The command line.
cl() { # expected-exit stderr-pattern args...
	want=$1 pat=$2
	shift 2
	tests=$((tests + 1))
	"$W" diagram "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "wirelab diagram $*: exit $rc, want $want ($(cat "$tmp/err"))"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then
		fail "wirelab diagram $*: stderr '$(cat "$tmp/err")' lacks '$pat'"
	elif [ -n "$pat" ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		fail "wirelab diagram $*: not one line on stderr: $(cat "$tmp/err")"
	else
		echo "ok   wirelab diagram $*: exit $rc"
	fi
}
cl 2 "tests/pcap/notcp.pcap: no TCP stream in the capture" tests/pcap/notcp.pcap
cl 2 "tests/pcap/bad-magic.pcap: not a pcap" tests/pcap/bad-magic.pcap
cl 2 "no stream 9" tests/pcap/synth-streams.pcap --stream 9
cl 2 "--format wants svg or txt" tests/pcap/http-nginx.pcap --format png
cl 2 "usage: wirelab diagram" tests/pcap/http-nginx.pcap extra
cl 2 "no-such-file" "$tmp/no-such-file.pcap"
cl 0 "" tests/pcap/http-nginx.pcap -o "$tmp/x.svg"
cl 0 "" tests/pcap/http-nginx.pcap -o "$tmp/x.txt"
tests=$((tests + 1))
if ! head -n 1 "$tmp/x.svg" | grep -q '^<?xml' || ! grep -q '^wirelab ladder' "$tmp/x.txt"; then
	fail "-o F.svg / F.txt: the format does not follow the file name"
fi
if ls "$tmp"/*.tmp* >/dev/null 2>&1; then
	fail "-o left a temporary file: $(ls "$tmp"/*.tmp*)"
fi
# Piped, without --format: SVG (the interface's default).
tests=$((tests + 1))
"$W" diagram tests/pcap/http-nginx.pcap | head -n 1 | grep -q '^<?xml' ||
	fail "diagram to a pipe is not SVG"
# The default stream is the first that carries a protocol; --stream picks.
tests=$((tests + 1))
"$W" diagram tests/pcap/http-nginx-portreuse.pcap --format txt >"$tmp/s0" 2>&1
"$W" diagram tests/pcap/http-nginx-portreuse.pcap --format txt --stream 1 >"$tmp/s1" 2>&1
if ! grep -q 'tcp.stream 0,' "$tmp/s0" || ! grep -q 'tcp.stream 1,' "$tmp/s1" ||
	cmp -s "$tmp/s0" "$tmp/s1"; then
	fail "--stream 1 does not draw tcp.stream 1"
fi

echo "diagram: $tests tests, $failed failed"
[ $failed -eq 0 ]

#!/bin/sh
# tests/integration/badinput.sh — captures wirelab must refuse (libpcap's
# testprogs/TESTrun reject tests): each gives exit 2 and exactly one line on
# stderr, the one below, which names the file. `show` prints the frames
# before the damage first (show.h); `check` prints nothing on stdout.
# The broken files were cut from good ones (tests/pcap/make-pcaps.sh) and
# live in tests/bad/, where baddir.sh checks them (and the rest of that
# directory) against tests/bad/EXPECT; this test adds what is no file there:
# a directory, a missing file, captures with nothing to check.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-badinput.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/a-directory.pcap"
missing=$tmp/no-such-file.pcap

checks=0
failed=0

# reject NSTDOUT WANT_STDERR_LINE wirelab-args...
reject() {
	nout=$1
	want=$2
	shift 2
	checks=$((checks + 1))
	"$W" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=""
	[ $rc -eq 2 ] || why="$why exit $rc, not 2;"
	nerr=$(wc -l <"$tmp/err")
	[ "$nerr" -eq 1 ] || why="$why $nerr lines on stderr, not 1;"
	[ "$(cat "$tmp/err")" = "$want" ] || why="$why another message;"
	n=$(wc -l <"$tmp/out")
	[ "$n" -eq "$nout" ] || why="$why $n lines on stdout, not $nout;"
	if [ -z "$why" ]; then
		echo "ok   wirelab $*"
		return
	fi
	failed=$((failed + 1))
	echo "FAIL wirelab $*:$why"
	echo "    want stderr: $want"
	sed 's/^/    got stderr:  /' "$tmp/err"
}

P=tests/pcap
# frames before the damage (show), message after "wirelab: FILE: "
# (FILE: tests/bad/NAME)
while IFS='|' read -r file frames msg; do
	[ -n "$file" ] || continue
	case $file in
	@dir) file=$tmp/a-directory.pcap ;;
	@missing) file=$missing ;;
	*) file=tests/bad/$file ;;
	esac
	reject "$frames" "wirelab: $file: $msg" show "$file"
	reject "$frames" "wirelab: $file: $msg" show --json "$file"
	if [ -f labs/http.lab ]; then
		reject 0 "wirelab: $file: $msg" check http "$file"
		reject 0 "wirelab: $file: $msg" check http "$file" --json
	fi
done <<'EOF'
cap-trunc-header.pcap|0|truncated dump file; tried to read 24 file header bytes, only got 6
cap-trunc-record.pcap|2|after frame 2: truncated dump file; tried to read 66 captured bytes, only got 20
cap-trunc-rechdr.pcap|2|after frame 2: truncated dump file; tried to read 16 header bytes, only got 7
cap-trunc-block.pcapng|9|after frame 9: truncated pcapng dump file; tried to read 92 bytes, only got 62
cap-magic.pcap|0|not a pcap or pcapng file (unknown file format)
cap-header-only.pcap|0|the capture holds no packets
cap-linktype-147.pcap|0|unsupported link-layer type 147 (unknown)
@dir|0|error reading dump file: Is a directory
@missing|0|No such file or directory
EOF

# Readable captures in which `check` finds nothing to check.
if [ -f labs/http.lab ]; then
	reject 0 "wirelab: $P/notcp.pcap: no TCP stream in the capture (2 frames)" \
		check http $P/notcp.pcap
	reject 0 "wirelab: $P/synth-streams.pcap: no TCP stream carries an HTTP request (4 streams)" \
		check http $P/synth-streams.pcap --json
else
	echo "skip check: labs/http.lab does not exist yet"
fi

echo "badinput: $checks checks, $failed failed"
[ $failed -eq 0 ]

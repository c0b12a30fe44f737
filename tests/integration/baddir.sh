#!/bin/sh
# tests/integration/baddir.sh — every file of tests/bad/ against its lines in
# tests/bad/EXPECT (the format is at the top of that file; README.md there
# says what is wrong in each file). Input errors must give exit 2 and exactly
# one line on stderr, starting with the expected text, naming the file (and
# a lab script's line); captures whose packets lie must be read (exit 0) with the lie at
# its packet. A file of tests/bad/ without a line in EXPECT fails the test,
# so a new file needs its expectation. No root needed: nothing here runs a
# lab. BAD_EXPECT=F reads another expectations file (to see the test fail),
# BAD_DIR=D another directory (a copy of tests/bad).
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
D=${BAD_DIR:-tests/bad}
EXPECT=${BAD_EXPECT:-$D/EXPECT}
# Any readable capture: a lab script's errors are found before it is read.
LABCAP=tests/pcap/http-python.pcap

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
if [ ! -f "$EXPECT" ]; then
	echo "FAIL: no $EXPECT"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-baddir.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

checks=0
failed=0

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# The expectations without comments and blank lines: FILE HOW N TEXT.
grep -v '^[[:space:]]*#' "$EXPECT" | grep -v '^[[:space:]]*$' >"$tmp/expect"

# Every file has a line, and every line a file.
for f in "$D"/* "$D"/.[!.]*; do
	[ -e "$f" ] || continue
	b=${f##*/}
	case $b in
	README.md | EXPECT | make-bad.py) continue ;;
	esac
	checks=$((checks + 1))
	if awk -v f="$b" '$1 == f { found = 1 } END { exit !found }' "$tmp/expect"; then
		continue
	fi
	fail "$f: no line in $EXPECT (every file of $D needs its expectation)"
	# What wirelab says of it now, to write the line (or report the bug).
	case $b in
	*.lab) set -- check "$f" "$LABCAP" ;;
	*) set -- show --json "$f" ;;
	esac
	"$W" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	echo "    wirelab $*: exit $?, $(wc -l <"$tmp/out") lines on stdout, $(wc -l <"$tmp/err") on stderr"
	head -n 3 "$tmp/err" | cut -c 1-300 | sed 's/^/    stderr: /'
	grep '"errors": \|"malformed": ' "$tmp/out" | cut -c 1-300 | sed 's/^/    stdout: /'
done
while read -r file how n text; do
	checks=$((checks + 1))
	[ -f "$D/$file" ] || fail "$EXPECT: $file: no such file in $D"
done <"$tmp/expect"

# reject NOUT WANT args...: exit 2, exactly one line on stderr, which
# starts with WANT ("wirelab: FILE" and EXPECT's text: a message may grow
# a tail without breaking the test, never lose its file, line or words),
# NOUT lines on stdout.
reject() {
	nout=$1
	want=$2
	shift 2
	checks=$((checks + 1))
	"$W" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	why=""
	[ $rc -eq 2 ] || why="$why exit $rc, not 2;"
	nerr=$(wc -l <"$tmp/err")
	[ "$nerr" -eq 1 ] || why="$why $nerr lines on stderr, not 1;"
	case $(cat "$tmp/err") in
	"$want"*) ;;
	*) why="$why another message;" ;;
	esac
	nl=$(wc -l <"$tmp/out")
	[ "$nl" -eq "$nout" ] || why="$why $nl lines on stdout, not $nout;"
	if [ -z "$why" ]; then
		echo "ok   wirelab $*"
		return
	fi
	fail "wirelab $*:$why"
	echo "    want stderr: $want"
	head -c 600 "$tmp/err" | sed 's/^/    got stderr:  /'
}

# read_ok F: show F and show --json F exit 0 with nothing on stderr, and
# the same number of lines (one per frame); they stay in $tmp/F.txt and
# $tmp/F.jsonl for the checks of F's lines.
read_ok() {
	checks=$((checks + 1))
	why=""
	"$W" show "$D/$1" >"$tmp/$1.txt" 2>"$tmp/err.txt" </dev/null
	rc=$?
	[ $rc -eq 0 ] || why="$why show: exit $rc;"
	"$W" show --json "$D/$1" >"$tmp/$1.jsonl" 2>"$tmp/err.json" </dev/null
	rc=$?
	[ $rc -eq 0 ] || why="$why show --json: exit $rc;"
	[ ! -s "$tmp/err.txt" ] && [ ! -s "$tmp/err.json" ] || why="$why output on stderr;"
	nt=$(wc -l <"$tmp/$1.txt")
	nj=$(wc -l <"$tmp/$1.jsonl")
	[ "$nt" -eq "$nj" ] || why="$why the text list has $nt lines for $nj frames;"
	if [ -z "$why" ]; then
		echo "ok   wirelab show [--json] $D/$1"
		return 0
	fi
	fail "wirelab show [--json] $D/$1:$why"
	sed 's/^/    stderr: /' "$tmp/err.txt"
	return 1
}

# frames_with F KEY: the frame numbers of F's JSON objects that have KEY.
frames_with() {
	grep "\"$2\": " "$tmp/$1.jsonl" | sed 's/^{"n": \([0-9]*\),.*/\1/' | sort -n | tr '\n' ' '
}

# listed F HOW: the frames EXPECT names for F with HOW.
listed() {
	awk -v f="$1" -v h="$2" '$1 == f && $2 == h { print $3 }' "$tmp/expect" | sort -n |
		tr '\n' ' '
}

read_files=" "
while read -r file how n text; do
	f=$D/$file
	[ -f "$f" ] || continue
	case $how in
	capture)
		want="wirelab: $f$text"
		reject "$n" "$want" show "$f"
		reject "$n" "$want" show --json "$f"
		reject 0 "$want" check http "$f"
		reject 0 "$want" check http "$f" --json
		reject 0 "$want" diagram "$f" --format txt
		;;
	lab | labfile)
		checks=$((checks + 1))
		if [ "$how" = lab ]; then
			pat='^:[0-9][0-9]*(:[0-9][0-9]*)?: '
		else
			pat='^: '
		fi
		if ! printf '%s\n' "$text" | grep -Eq "$pat"; then
			fail "$EXPECT: $file: $how wants a text that starts ${pat#^}"
		fi
		want="wirelab: $f$text"
		reject 0 "$want" check "$f" "$LABCAP"
		reject 0 "$want" check "$f" "$LABCAP" --json
		;;
	accept)
		checks=$((checks + 1))
		"$W" show "$f" >"$tmp/out" 2>"$tmp/err" </dev/null
		rc=$?
		nl=$(wc -l <"$tmp/out")
		if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && [ "$nl" -eq "$n" ]; then
			echo "ok   wirelab show $f"
		else
			fail "wirelab show $f: exit $rc, $nl lines (want 0, $n), stderr: $(head -c 300 "$tmp/err")"
		fi
		;;
	error | malformed)
		case $read_files in
		*" $file "*) ;;
		*)
			read_files="$read_files$file "
			if read_ok "$file"; then
				# No frame with an error EXPECT does not name.
				for k in error:errors malformed:malformed; do
					checks=$((checks + 1))
					got=$(frames_with "$file" "${k#*:}")
					exp=$(listed "$file" "${k%:*}")
					[ "$got" = "$exp" ] ||
						fail "$f: frames with ${k#*:}: [ $got], EXPECT says [ $exp]"
				done
			fi
			;;
		esac
		[ -s "$tmp/$file.jsonl" ] || continue
		checks=$((checks + 1))
		json=$(grep "^{\"n\": $n, " "$tmp/$file.jsonl")
		line=$(awk -v n="$n" '$1 == n { print; exit }' "$tmp/$file.txt")
		if [ "$how" = error ]; then
			inj=$(printf '%s\n' "$json" | sed -n 's/.*"errors": \[\(.*\)\]}$/\1/p')
			intext="[$text]"
		else
			inj=$(printf '%s\n' "$json" | sed -n 's/.*"malformed": \("[^"]*"\).*/\1/p')
			intext="[malformed: $text]"
		fi
		why=""
		case $inj in
		*"\"$text\""*) ;;
		*) why="$why not in the JSON (frame $n: ${inj:-nothing});" ;;
		esac
		case $line in
		*"$intext"*) ;;
		*) why="$why not in the text list (frame $n: $line);" ;;
		esac
		if [ -z "$why" ]; then
			echo "ok   $f: frame $n: $text"
		else
			fail "$f: frame $n: $text:$why"
		fi
		;;
	*)
		checks=$((checks + 1))
		fail "$EXPECT: $file: unknown HOW \"$how\""
		;;
	esac
done <"$tmp/expect"

echo "baddir: $checks checks, $failed failed"
[ $failed -eq 0 ]

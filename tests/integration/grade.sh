#!/bin/sh
# tests/integration/grade.sh — `wirelab grade websocket` on the real
# submissions of tests/submissions/ (root; about half a minute).
#
# 1. The probe alone: it must run as an unprivileged uid of the sandbox range,
#    in a pid namespace not the host's, with no capabilities and
#    no_new_privs. If not, the destructive cases are NOT run: FAIL at once.
# 2. A class of 40: every submission of tests/submissions (programs, and
#    captures with answers) plus copies, with --jobs 2: each one's score and
#    per-claim (per-question) points as listed below, with the reason where
#    there is one; the hostile ones contained (nothing written outside,
#    output capped, memory limited, no network out of the lab, the harness
#    alive).
# 3. The same class with --jobs 1: the same gradebook, byte for byte; and
#    two --shard halves joined by `gradebook merge`: the same rows.
# 4. Nothing left: no process of a sandbox uid, no temp dir, no run
#    directory, no cgroup, no lab namespace.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
S=tests/submissions

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: grade.sh needs root"
	exit 77
fi
if [ ! -x "$W" ] || [ ! -x /usr/bin/bwrap ]; then
	echo "FAIL: $W or bwrap missing (make; sh ci/install-deps.sh)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-grade-test.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
checks=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
ok() {
	checks=$((checks + 1))
}

netns_before=$(ls /run/netns 2>/dev/null | sort)

# ---- 1. the probe ----
timeout 60 "$W" grade websocket "$S/probe" --out "$tmp/probe" >/dev/null 2>"$tmp/probe.err"
po=$tmp/probe/probe/program.out
hostns=$(readlink /proc/self/ns/pid)
uid=$(sed -n 's/^probe uid=\([0-9]*\) .*/\1/p' "$po" 2>/dev/null)
ns=$(sed -n 's/^probe .* pidns=\(.*\)$/\1/p' "$po" 2>/dev/null)
capeff=$(sed -n 's/^probe CapEff:[[:space:]]*//p' "$po" 2>/dev/null)
capbnd=$(sed -n 's/^probe CapBnd:[[:space:]]*//p' "$po" 2>/dev/null)
nnp=$(sed -n 's/^probe NoNewPrivs:[[:space:]]*//p' "$po" 2>/dev/null)
if [ -z "$uid" ] || [ "$uid" -lt 1900000 ] || [ -z "$ns" ] || [ "$ns" = "$hostns" ] ||
	[ "$capeff" != 0000000000000000 ] || [ "$capbnd" != 0000000000000000 ] || [ "$nnp" != 1 ]; then
	echo "FAIL LOUDLY: the sandbox is not in place (uid=$uid pidns=$ns host=$hostns" \
		"CapEff=$capeff CapBnd=$capbnd NoNewPrivs=$nnp): the destructive submissions" \
		"were NOT run"
	cat "$tmp/probe.err" "$po" 2>/dev/null | head -20
	exit 1
fi
ok
echo "ok: the probe ran as uid $uid, in $ns (host $hostns), no capabilities, no_new_privs"

# ---- 2. a class of 40, two at a time ----
# Each real submission once, then copies (links: the name is the student's)
# of honest ones and of the captures, up to 40.
mkdir "$tmp/class"
for d in "$S"/*; do
	ln -s "$top/$d" "$tmp/class/$(basename "$d")"
done
CLASS=${GRADE_CLASS:-40} # the ASan pass grades 20
i=1
while [ "$(ls "$tmp/class" | wc -l)" -lt "$CLASS" ]; do
	for base in honest cap-right cap-wrong cap-other; do
		[ "$(ls "$tmp/class" | wc -l)" -lt "$CLASS" ] || break
		ln -s "$top/$S/$base" "$tmp/class/copy$i-$base"
	done
	i=$((i + 1))
done
rm -f /tmp/wirelab-escape /etc/wirelab-escape /usr/wirelab-escape
start=$(date +%s)
timeout 300 "$W" grade websocket "$tmp/class"/* --jobs 2 --out "$tmp/j2" >"$tmp/j2.out" 2>"$tmp/j2.err"
rc=$?
[ "$rc" -eq 0 ] || fail "grade --jobs 2 exited $rc: $(tail -3 "$tmp/j2.err")"
ok
n=$(tail -n +2 "$tmp/j2/gradebook.csv" | wc -l)
[ "$n" -ge "$CLASS" ] || fail "the gradebook has $n rows, want $CLASS"
echo "ok: graded $n submissions with --jobs 2 in $(($(date +%s) - start)) s"

# student score points(tcp_handshake upgrade switching raw_pipe ping_pong text
# full_duplex close_handshake tcp_close) reason-regex
#   bad-accept, close-before-101: the lab's client stops at a bad upgrade, so
#     everything after the handshake is lost, not only ws.switching;
#   no-pong: the client stops at the missing pong: no Close either (the
#     frames before are still a valid pipe: ws.raw_pipe holds);
#   no-close-reply: no server Close, so ws.tcp_close (FIN after the server's
#     Close) cannot hold either.
# want STUDENT SCORE,POINTS... [REASON]: POINTS are the 9 graded claims' for a
# program, the 5 questions' (their own max first) for a capture.
want() {
	ok
	line=$(grep "^$1," "$tmp/j2/gradebook.csv")
	case $1 in
	cap-*) got=$(echo "$line" | cut -d, -f2,3,13-17) ;;
	*) got=$(echo "$line" | cut -d, -f2,4-12) ;;
	esac
	[ "$got" = "$2" ] || fail "$1: points $got, want $2 ($line)"
	if [ -n "$3" ]; then
		echo "$line" | grep -Eq "$3" || fail "$1: reason does not match /$3/: $line"
	else
		echo "$line" | grep -q ',""$' || fail "$1: unexpected reason: $line"
	fi
	[ -s "$tmp/j2/$1/results.json" ] || fail "$1: no results.json"
	[ -s "$tmp/j2/$1/report.txt" ] || fail "$1: no report.txt"
}
want honest 13,1,1,2,1,2,1,1,2,2 ""
want probe 13,1,1,2,1,2,1,1,2,2 ""
want rst-close 11,1,1,2,1,2,1,1,2,0 ""
want no-close-reply 9,1,1,2,1,2,1,1,0,0 "did not answer our Close"
want no-pong 7,1,1,2,1,0,1,1,0,0 "no pong to our ping"
want bad-accept 2,1,1,0,0,0,0,0,0,0 "wrong Sec-WebSocket-Accept"
want close-before-101 2,1,1,0,0,0,0,0,0,0 "client 'wl-ws-client' failed"
want build-error 0,0,0,0,0,0,0,0,0,0 "build failed .*missing_semicolon"
want fork-bomb 0,0,0,0,0,0,0,0,0,0 "did not listen on port 8080"
want busy-loop 0,0,0,0,0,0,0,0,0,0 "did not listen on port 8080"
want floods-stdout 0,0,0,0,0,0,0,0,0,0 "SIGXFSZ"
want never-exits 13,1,1,2,1,2,1,1,2,2 ""
want escape 13,1,1,2,1,2,1,1,2,2 ""
want memory-hog 0,0,0,0,0,0,0,0,0,0 "memory limit of 512 MiB killed"
# Captures with answers: each answer against the student's own capture.
#   cap-right: all right; cap-wrong: the accept and the request's length
#     right, the 101's frame and the close code wrong (1000 from the notes,
#     where the capture shows 1001), the masking key unanswered;
#   cap-other: an HTTP capture, no WebSocket: not this lab's exchange;
#   cap-noclose: a WebSocket capture without a Close frame (the lab's
#     `exchange` filter): not this lab's exchange either.
want cap-right 6,6,2,1,1,1,1 ""
want cap-wrong 3,6,2,0,1,0,0 ""
want cap-other 0,6,0,0,0,0,0 "no TCP stream carries a WebSocket upgrade.*not this lab's exchange"
want cap-noclose 0,6,0,0,0,0,0 "not this lab's exchange: no packet .* matches \"\"websocket.opcode == 8\"\""
# The copies: each as its original.
for c in "$tmp/class"/copy*; do
	b=$(basename "$c")
	ok
	[ "$(grep "^$b," "$tmp/j2/gradebook.csv" | cut -d, -f2-)" = \
		"$(grep "^${b#copy*-}," "$tmp/j2/gradebook.csv" | cut -d, -f2-)" ] ||
		fail "$b is not graded as ${b#copy*-}"
done
ok
grep -q 'your capture shows: 1001' "$tmp/j2/cap-wrong/report.txt" &&
	grep -q 'verdict: unanswered' "$tmp/j2/cap-wrong/report.txt" &&
	grep -q 'answers.txt:6: expected ID = VALUE' "$tmp/j2/cap-wrong/report.txt" ||
	fail "cap-wrong's report does not say what was wrong: $(head -40 "$tmp/j2/cap-wrong/report.txt")"
ok
cmp -s "$S/cap-right/capture.pcap" "$tmp/j2/cap-right/capture.pcap" ||
	fail "cap-right's capture is not kept beside its report"

# The gradebook's JSON and a Gradescope results.json are valid JSON.
ok
python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' \
	"$tmp/j2/gradebook.json" "$tmp/j2"/*/results.json || fail "invalid JSON"
ok
python3 - "$tmp/j2/honest/results.json" <<'EOF' || fail "results.json of honest"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["score"] == 13 and r["max_score"] == 13, r
t = {x["name"]: x for x in r["tests"]}
assert t["ws.switching"]["score"] == 2 and "evidence: packets" in t["ws.switching"]["output"]
EOF

# Containment: what the hostile ones tried.
eo=$tmp/j2/escape/program.out
for p in /tmp/wirelab-escape /etc/wirelab-escape /usr/wirelab-escape /root/wirelab-escape; do
	ok
	[ -e "$p" ] && fail "escape wrote $p on the host"
done
ok
grep -q '^escape connect 198.19.254.254: Network is unreachable' "$eo" ||
	fail "escape reached an address outside the lab: $(grep connect "$eo")"
ok
grep -q '^escape read /etc/shadow: Permission denied' "$eo" || fail "escape read /etc/shadow"
ok
grep -q '^escape read /work: No such file' "$eo" || fail "escape sees the host's /work"
ok
sz=$(stat -c %s "$tmp/j2/floods-stdout/program.out")
[ "$sz" -le 1048576 ] || fail "floods-stdout wrote $sz bytes"

# ---- 3. one at a time: the same gradebook ----
timeout 300 "$W" grade websocket "$tmp/class"/* --jobs 1 --out "$tmp/j1" >/dev/null 2>"$tmp/j1.err"
ok
# The reasons may quote a random key (bad-accept): compare without them.
for j in j1 j2; do
	sed 's/(want [^)]*)//' "$tmp/$j/gradebook.csv" >"$tmp/$j.csv"
	sed 's/(want [^)]*)//' "$tmp/$j/gradebook.json" >"$tmp/$j.json"
done
cmp -s "$tmp/j1.csv" "$tmp/j2.csv" || fail "--jobs 1 and --jobs 2 differ: $(diff "$tmp/j1.csv" "$tmp/j2.csv")"
ok
cmp -s "$tmp/j1.json" "$tmp/j2.json" || fail "gradebook.json differs between --jobs 1 and 2"

# --shard: halves that make the whole, joined by `gradebook merge`.
part="$S/honest $S/rst-close $S/no-pong $S/cap-right $S/cap-wrong"
for k in 1 2; do
	"$W" grade websocket $part --jobs 2 --shard $k/2 --out "$tmp/s$k" >/dev/null 2>&1
done
ok
[ "$(cut -d, -f1 "$tmp/s2/gradebook.csv" | tail -n +2 | tr '\n' ' ')" = "cap-wrong no-pong " ] ||
	fail "--shard 2/2 of 5 graded $(cut -d, -f1 "$tmp/s2/gradebook.csv" | tail -n +2 | tr '\n' ' ')"
"$W" gradebook merge websocket --out "$tmp/merged" "$tmp/s1" "$tmp/s2" >"$tmp/merge.out" 2>&1 ||
	fail "gradebook merge: $(cat "$tmp/merge.out")"
ok
grep -E '^(student|honest|rst-close|no-pong|cap-right|cap-wrong),' "$tmp/j2/gradebook.csv" >"$tmp/want.csv"
cmp -s "$tmp/want.csv" "$tmp/merged/gradebook.csv" ||
	fail "merged shards differ from the whole: $(diff "$tmp/want.csv" "$tmp/merged/gradebook.csv")"
ok
[ -s "$tmp/merged/cap-wrong/report.txt" ] || fail "merge did not bring the students' reports"
ok
"$W" gradebook merge websocket --out "$tmp/merged2" "$tmp/s1" "$tmp/s1" >/dev/null 2>&1 &&
	fail "merge took a shard twice"
ok
"$W" gradebook merge websocket --out "$tmp/merged2" "$tmp/s1" >"$tmp/m2.out" 2>&1 ||
	grep -q '1 shard given, the grade was cut in 2' "$tmp/m2.out" ||
	fail "merge of half the shards: $(cat "$tmp/m2.out")"
# A shard that did not finish (a student without a row) is refused.
cp -R "$tmp/s2" "$tmp/s2cut" && rm "$tmp/s2cut/no-pong/row.tsv"
ok
"$W" gradebook merge websocket --out "$tmp/merged3" "$tmp/s1" "$tmp/s2cut" >"$tmp/m3.out" 2>&1 ||
	grep -q 'student no-pong has no row: shard 2/2 did not finish' "$tmp/m3.out" ||
	fail "merge of an unfinished shard: $(cat "$tmp/m3.out")"
# Merging into one of the shards, and again: the same gradebook.
ok
"$W" gradebook merge websocket --out "$tmp/s2" "$tmp/s1" "$tmp/s2" >"$tmp/m4.out" 2>&1 &&
	"$W" gradebook merge websocket --out "$tmp/s2" "$tmp/s1" "$tmp/s2" >>"$tmp/m4.out" 2>&1 &&
	cmp -s "$tmp/want.csv" "$tmp/s2/gradebook.csv" ||
	fail "merge into a shard: $(cat "$tmp/m4.out")"

# --html: the class's page (the gradebook, a student per row) and each
# student's lab page, self-contained; loaded in chromium where it is.
"$W" grade websocket "$S"/honest "$S"/cap-wrong --jobs 2 --out "$tmp/h" --html "$tmp/hh" \
	>/dev/null 2>&1 || fail "grade --html failed"
ok
[ "$(grep -c '^<tr class=' "$tmp/hh/index.html")" -eq 2 ] &&
	grep -q '<a href="honest/websocket.html">honest</a></td><td class="n">13</td>' \
		"$tmp/hh/index.html" || fail "the class page: $(head -c 600 "$tmp/hh/index.html")"
for st in honest cap-wrong; do
	ok
	grep -q 'class="claims"\|id="claims"' "$tmp/hh/$st/websocket.html" ||
		fail "no claim table in $st's page"
done
ok
grep -q '<script\|src="http\|href="http' "$tmp/hh/index.html" "$tmp/hh"/*/websocket.html &&
	fail "a grade page fetches something or runs a script"
if command -v chromium >/dev/null 2>&1; then
	ok
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--dump-dom "file://$tmp/hh/index.html" >"$tmp/hh.dom" 2>/dev/null
	grep -q 'id="gradebook"' "$tmp/hh.dom" || fail "chromium: no gradebook table in the DOM"
fi

# ---- 4. nothing left ----
ok
left=$(ps -eo uid=,pid=,comm= | awk '$1 >= 1900000 && $1 < 1965536')
[ -z "$left" ] || fail "sandbox processes left: $left"
ok
[ -z "$(ls /tmp | grep '^wirelab-wl')" ] || fail "temp dirs left: $(ls /tmp | grep '^wirelab-wl')"
ok
[ -z "$(ls /run/wirelab 2>/dev/null)" ] || fail "run directories left: $(ls /run/wirelab)"
ok
cg=$(ls -d /sys/fs/cgroup/*/wirelab-wl* /sys/fs/cgroup/wirelab-wl* 2>/dev/null)
[ -z "$cg" ] || fail "cgroups left: $cg"
ok
[ "$(ls /run/netns 2>/dev/null | sort)" = "$netns_before" ] || fail "namespaces left in /run/netns"

if [ "$failed" -ne 0 ]; then
	echo "grade.sh: $failed of $checks checks FAILED"
	exit 1
fi
echo "grade.sh: all $checks checks passed"

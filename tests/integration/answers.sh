#!/bin/sh
# tests/integration/answers.sh — `wirelab grade http` on captures with
# answers (the http lab asks questions and has no role): right answers, a
# friend's answers on another capture, a capture of another exchange, and
# the ways a submission directory can be wrong. Graded once as root and once
# as nobody (no student code runs: no root is needed), with the same
# gradebook; `gradebook answers` gives the key.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
P=tests/pcap
tmp=$(mktemp -d /tmp/wl-answers-test.XXXXXX) || exit 2
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

c=$tmp/class
mkdir -p "$c/right" "$c/friend" "$c/other" "$c/nocapture" "$c/link" "$c/twocaps" "$c/pcapng"
cp "$P/http-nginx-close.pcap" "$c/right/capture.pcap"
"$W" gradebook answers http "$c/right/capture.pcap" >"$c/right/answers.txt" ||
	fail "gradebook answers: $(cat "$c/right/answers.txt")"
# A friend's answers on one's own (keep-alive) capture: only the handshake
# time, within its tolerance, is right.
cp "$P/http-nginx-keepalive.pcap" "$c/friend/capture.pcap"
cp "$c/right/answers.txt" "$c/friend/answers.txt"
cp "$P/ssh-openssh-exec.pcap" "$c/other/capture.pcap"
cp "$c/right/answers.txt" "$c/other/answers.txt"
cp "$c/right/answers.txt" "$c/nocapture/answers.txt"
ln -s /etc/shadow "$c/link/capture.pcap"
cp "$c/right/answers.txt" "$c/link/answers.txt"
cp "$P/http-nginx-close.pcap" "$c/twocaps/a.pcap"
cp "$P/http-nginx-close.pcap" "$c/twocaps/b.pcap"
cp "$c/right/answers.txt" "$c/twocaps/answers.txt"
# Any name, pcapng: the only capture of the directory is the one.
if command -v editcap >/dev/null 2>&1; then
	editcap -F pcapng "$P/http-nginx-close.pcap" "$c/pcapng/mine.pcapng"
else
	cp "$P/http-nginx-close.pcap" "$c/pcapng/mine.pcap"
fi
sed 's/^http.q_packets = .*/http.q_packets = 0x0a/' "$c/right/answers.txt" >"$c/pcapng/answers.txt"
chmod -R a+rX "$tmp"

ok
grep -q '^http.q_get_ack = 129$' "$c/right/answers.txt" ||
	fail "the key: $(cat "$c/right/answers.txt")"

"$W" grade http "$c"/* --jobs 2 --out "$tmp/root" >"$tmp/root.out" 2>&1 ||
	fail "grade as root: $(tail -3 "$tmp/root.out")"
want() {
	ok
	line=$(grep "^$1," "$tmp/root/gradebook.csv")
	got=$(echo "$line" | cut -d, -f2-8)
	[ "$got" = "$2" ] || fail "$1: $got, want $2 ($line)"
	echo "$line" | grep -Eq "$3" || fail "$1: reason does not match /$3/: $line"
}
want right 6,6,1,1,1,2,1 ',""$'
want pcapng 6,6,1,1,1,2,1 ',""$'
want friend 1,6,0,0,0,0,1 ',""$'
want other 0,6,0,0,0,0,0 'no TCP stream carries an HTTP request.*not this lab.s exchange'
want nocapture 0,6,0,0,0,0,0 'no capture in the submission'
want link 0,6,0,0,0,0,0 'capture.pcap: cannot read it \(a regular file, not a link\)'
want twocaps 0,6,0,0,0,0,0 '2 captures in the submission'
ok
grep -q 'your answer: 790875861 (answers.txt line [0-9]*)' "$tmp/root/friend/report.txt" &&
	grep -q 'your capture shows: 1572371964' "$tmp/root/friend/report.txt" ||
	fail "friend's report: $(head -30 "$tmp/root/friend/report.txt")"
ok
grep -q '"verdict": "right"' "$tmp/root/right/results.json" || fail "right's results.json"

# As nobody: no root needed, the same gradebook.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	mkdir "$tmp/nobody" && chown nobody "$tmp/nobody"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --inh-caps=-all \
		"$W" grade http "$c"/* --jobs 2 --out "$tmp/nobody" >"$tmp/nobody.out" 2>&1 ||
		fail "grade as nobody: $(tail -3 "$tmp/nobody.out")"
	ok
	cmp -s "$tmp/root/gradebook.csv" "$tmp/nobody/gradebook.csv" ||
		fail "as nobody: $(diff "$tmp/root/gradebook.csv" "$tmp/nobody/gradebook.csv")"
fi

# A program submission for a lab without a role, a capture for a lab
# without questions: graded, with the reason.
mkdir -p "$tmp/prog" && cp -r tests/submissions/honest "$tmp/prog/"
"$W" grade http "$tmp/prog/honest" --out "$tmp/prog/out" >/dev/null 2>&1
ok
grep -q 'lab http grades a capture with answers' "$tmp/prog/out/gradebook.csv" ||
	fail "a program for http: $(cat "$tmp/prog/out/gradebook.csv")"
"$W" grade tls13 "$c/right" --out "$tmp/tls" >"$tmp/tls.out" 2>&1
ok
grep -q 'no role and no question' "$tmp/tls.out" || fail "tls13 graded: $(cat "$tmp/tls.out")"

if [ "$failed" -ne 0 ]; then
	echo "answers.sh: $failed of $checks checks FAILED"
	exit 1
fi
echo "answers.sh: all $checks checks passed"

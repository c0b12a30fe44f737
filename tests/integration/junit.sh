#!/bin/sh
# tests/integration/junit.sh — the JUnit XML of harness/report.c is what CI
# reads: valid against tests/schema/junit.xsd (xmllint), every count equal
# to the elements it counts (XPath: XSD 1.0 cannot say so), a <failure> for
# exactly the claims that are not as the lab expects (check --json says
# which; an n/a claim is no failure), and a capture's own bytes (invalid
# UTF-8, control characters, markup in the request line) escaped.
#
# `check` writes no JUnit (only `run --junit` does, and run needs root and
# namespaces), so tests/junit_report.c, built here against the library,
# does check's steps on checked-in captures and hands the reports to
# report_junit as run does; where `check --junit F` exists it is validated
# too. And the validation must be able to fail: broken copies of a good
# report (an unknown attribute, a count that is no number or does not add
# up, bytes that are not UTF-8...) are each rejected.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}
xsd=tests/schema/junit.xsd
P=tests/pcap
# Byte-wise sed and grep: the broken copies hold bytes that are not UTF-8.
LC_ALL=C
export LC_ALL

if [ ! -x "$W" ] || [ ! -f "$B/libwirelab.a" ]; then
	echo "FAIL: $W or $B/libwirelab.a is not built (make)"
	exit 1
fi
if ! command -v xmllint >/dev/null 2>&1; then
	echo "FAIL: xmllint is not installed (apt-get install libxml2-utils, or sh ci/install-deps.sh)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-junit.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
tests=0

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

ok() {
	echo "ok   $*"
}

# Built as the library was: with the sanitizers if it has them (make asan).
san=""
if nm "$B/libwirelab.a" 2>/dev/null | grep -q __asan_; then
	san="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2046,SC2086
if ! cc -std=gnu11 -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I. $san -o "$tmp/junit_report" \
	tests/junit_report.c "$B/libwirelab.a" $(pkg-config --libs libpcap openssl) \
	2>"$tmp/cc.err"; then
	echo "FAIL: cannot build tests/junit_report.c: $(head -n 5 "$tmp/cc.err")"
	exit 1
fi
WIRELAB_LABS=$top/labs
export WIRELAB_LABS

# A capture with hostile bytes where they reach a verdict: the request line
# of http-nginx-close, "GET /long.txt", made "GET /<ff><01><&"'<7f>x" (the
# same length, so every header still adds up). http.get's "observed" quotes
# the request line.
hostile=$tmp/hostile.pcap
cp "$P/http-nginx-close.pcap" "$hostile"
off=$(grep -obUa 'GET /long.txt' "$hostile" | head -n 1 | cut -d: -f1)
if [ -z "$off" ]; then
	echo "FAIL: no 'GET /long.txt' in $P/http-nginx-close.pcap"
	exit 1
fi
printf '\377\001<&"'"'"'\177x' | dd of="$hostile" bs=1 seek=$((off + 5)) conv=notrunc 2>/dev/null

# report NAME [--strict] LAB:CAPTURE[:KEYLOG]...: the JUnit in $tmp/NAME.xml
report() {
	name=$1 strict=
	shift
	if [ "${1:-}" = --strict ]; then
		strict=--strict
		shift
	fi
	tests=$((tests + 1))
	# shellcheck disable=SC2086
	if "$tmp/junit_report" $strict "$tmp/$name.xml" "$@" >"$tmp/jr.err" 2>&1; then
		return 0
	fi
	fail "$name: junit_report $strict $name.xml $*: $(cat "$tmp/jr.err")"
	return 1
}

valid() { # file what
	tests=$((tests + 1))
	if xmllint --noout --schema "$xsd" "$1" >"$tmp/xmllint.out" 2>&1; then
		ok "$2: valid JUnit ($xsd)"
		return 0
	fi
	fail "$2: not valid against $xsd: $(sed "s|$tmp/||g" "$tmp/xmllint.out" | head -n 5)"
	return 1
}

# Every suite's counts are those of its testcases, the root's the sums.
COUNTS='count(//testsuite[@tests != count(testcase) or @failures != count(testcase/failure)
	or @errors != count(testcase/error) or @skipped != count(testcase/skipped)]
	| /testsuites[@tests != count(//testcase) or @failures != count(//failure)
	or @errors != count(//error) or @skipped != count(//skipped)])'
counts_add_up() { # file
	[ "$(xmllint --xpath "$COUNTS" "$1" 2>&1)" = 0 ]
}
counts() { # file what
	tests=$((tests + 1))
	if counts_add_up "$1"; then
		ok "$2: the counts are those of the elements"
	else
		fail "$2: a count is not that of its elements: $(grep -o '<testsuites\{0,1\} [^>]*>' "$1")"
	fi
}

# The testcase names with a <failure>, one a line, sorted.
failed_cases() { # file
	xmllint --xpath '//testcase[failure]/@name' "$1" 2>/dev/null | grep -o '"[^"]*"' |
		tr -d '"' | sort
}

# failures FILE LAB CAPTURE KEYLOG RULE: the <failure>s are the claims that
# check --json shows not as the lab expects; RULE check: a claim the lab
# expects to hold fails; strict (run's): any verdict other than expected.
failures() {
	f=$1 lab=$2 cap=$3 keys=$4 rule=$5
	tests=$((tests + 1))
	if [ -n "$keys" ]; then
		"$W" check "$lab" "$cap" --json --keylog "$keys" >"$tmp/v.json" 2>&1
	else
		"$W" check "$lab" "$cap" --json >"$tmp/v.json" 2>&1
	fi
	if [ "$rule" = strict ]; then
		grep '"as_expected": false' "$tmp/v.json"
	else
		grep '"verdict": "fails".*"lab_expects": "holds"' "$tmp/v.json"
	fi | sed 's/^ *{"id": "\([^"]*\)".*/\1/' | sort >"$tmp/want"
	failed_cases "$f" >"$tmp/got"
	got=$(tr '\n' ' ' <"$tmp/got")
	want=$(tr '\n' ' ' <"$tmp/want")
	if [ ! -s "$tmp/v.json" ] || ! grep -q '"claims"' "$tmp/v.json"; then
		fail "$(basename "$f"): wirelab check $lab $cap --json: $(head -c 300 "$tmp/v.json")"
	elif cmp -s "$tmp/want" "$tmp/got"; then
		ok "$(basename "$f"): a <failure> for each of the $(wc -l <"$tmp/got") claims not as $lab expects ($rule rule): ${got:-none}"
	else
		fail "$(basename "$f"): <failure>s for ${got:-none}but check --json says ${want:-none}"
	fi
}

xpath() { # file expression value what
	tests=$((tests + 1))
	got=$(xmllint --xpath "$2" "$1" 2>&1)
	if [ "$got" = "$3" ]; then
		ok "$(basename "$1"): $4"
	else
		fail "$(basename "$1"): $4: $2 is $got, not $3"
	fi
}

has() { # file pattern what
	tests=$((tests + 1))
	if grep -q -F -- "$2" "$1"; then
		ok "$(basename "$1"): $3"
	else
		fail "$(basename "$1"): $3: no '$2'"
	fi
}

# nginx as the notes' server: every claim as the lab expects, one n/a.
report pass http:$P/http-nginx-close.pcap &&
	valid "$tmp/pass.xml" "http-nginx-close" &&
	counts "$tmp/pass.xml" "http-nginx-close" &&
	failures "$tmp/pass.xml" http $P/http-nginx-close.pcap "" check
# python's http.server: four claims fail that the lab expects to hold; the
# n/a (http.retransmit) and the expected failure (client_ack_fin) are none.
report fail http:$P/http-python.pcap &&
	valid "$tmp/fail.xml" "http-python" &&
	counts "$tmp/fail.xml" "http-python" &&
	failures "$tmp/fail.xml" http $P/http-python.pcap "" check &&
	xpath "$tmp/fail.xml" 'count(//testcase[@name="http.retransmit"][not(failure)])' 1 \
		"the n/a claim (http.retransmit) is a testcase without a failure"
# TLS decrypted with its key log: a HelloRetryRequest, two claims fail.
report tls tls13:$P/tls-13-hrr.pcap:$P/tls-13-hrr.keys &&
	valid "$tmp/tls.xml" "tls-13-hrr" &&
	counts "$tmp/tls.xml" "tls-13-hrr" &&
	failures "$tmp/tls.xml" tls13 $P/tls-13-hrr.pcap $P/tls-13-hrr.keys check
# run's rule: an n/a the lab expects to hold (ws.time_wait, read from the
# kernel in a run, not in a capture) is a failure too.
report strict --strict websocket:$P/ws-python-server.pcap &&
	valid "$tmp/strict.xml" "ws-python-server (strict)" &&
	counts "$tmp/strict.xml" "ws-python-server (strict)" &&
	failures "$tmp/strict.xml" websocket $P/ws-python-server.pcap "" strict
# Several suites in one file, as `run` writes them: claims, a capture that
# is missing and one that is no pcap (<error>s), a skipped lab.
report all http:$P/http-python-retrans.pcap tls12:$P/tls-12-rsa.pcap:$P/tls-12-rsa.keys \
	tls-mismatch:$P/tls-mismatch.pcap http:$P/no-such.pcap http:$P/bad-magic.pcap \
	"websocket-browser:skip=chromium is not installed (apt-get install chromium)" &&
	valid "$tmp/all.xml" "6 suites, 2 errors, 1 skipped" &&
	counts "$tmp/all.xml" "6 suites, 2 errors, 1 skipped" &&
	has "$tmp/all.xml" '<testsuites name="wirelab" tests="' "the root" &&
	has "$tmp/all.xml" "<error message=\"$P/no-such.pcap: " "a missing capture is an error, named" &&
	has "$tmp/all.xml" '<skipped message="chromium is not installed (apt-get install chromium)"/>' \
		"a skipped lab, with its reason"
# The capture's bytes: U+FFFD for the byte that is not UTF-8, the control
# character and DEL; markup and quotes escaped.
report hostile http:"$hostile" &&
	valid "$tmp/hostile.xml" "hostile request line" &&
	counts "$tmp/hostile.xml" "hostile request line" &&
	has "$tmp/hostile.xml" "observed: P4: GET /$(printf '\357\277\275\357\277\275')&lt;&amp;&quot;&#39;$(printf '\357\277\275')x, tcp.len" \
		"invalid UTF-8 and control bytes as U+FFFD, markup escaped"

# `check --junit F`, where check has it.
if "$W" check --help 2>&1 | grep -q -e '--junit'; then
	for c in http-nginx-close http-python; do
		tests=$((tests + 1))
		"$W" check http $P/$c.pcap --junit "$tmp/check-$c.xml" >/dev/null 2>"$tmp/check.err"
		rc=$?
		if [ $rc -gt 1 ] || [ ! -s "$tmp/check-$c.xml" ]; then
			fail "wirelab check http $c --junit: exit $rc: $(cat "$tmp/check.err")"
			continue
		fi
		valid "$tmp/check-$c.xml" "wirelab check http $c --junit" &&
			counts "$tmp/check-$c.xml" "wirelab check http $c --junit"
	done
else
	echo "note: wirelab check has no --junit; report_junit checked through tests/junit_report.c"
fi

# The checks can fail: broken copies of fail.xml, each of which must be
# rejected. The sed must change the file, or the copy proves nothing.
broken() { # name what sed-script [counts]
	tests=$((tests + 1))
	sed "$3" "$tmp/fail.xml" >"$tmp/broken-$1.xml"
	if cmp -s "$tmp/fail.xml" "$tmp/broken-$1.xml"; then
		fail "broken copy $1: the edit '$3' changed nothing"
	elif [ "${4:-}" = counts ]; then
		if ! xmllint --noout --schema "$xsd" "$tmp/broken-$1.xml" >/dev/null 2>&1; then
			fail "broken copy $1 ($2): the schema should accept it, only the counts are off"
		elif counts_add_up "$tmp/broken-$1.xml"; then
			fail "broken copy $1 ($2): the counts check accepted it"
		else
			ok "broken copy $1 ($2): the counts check rejects it"
		fi
	elif xmllint --noout --schema "$xsd" "$tmp/broken-$1.xml" >"$tmp/xmllint.out" 2>&1; then
		fail "broken copy $1 ($2): $xsd accepted it"
	else
		ok "broken copy $1 ($2): rejected: $(grep -v 'fails to validate' "$tmp/xmllint.out" |
			head -n 1 | sed 's/^[^:]*: *//')"
	fi
}
if [ -s "$tmp/fail.xml" ] && xmllint --noout --schema "$xsd" "$tmp/fail.xml" >/dev/null 2>&1 &&
	counts_add_up "$tmp/fail.xml"; then
	broken attr "an attribute no reader knows" '1,/<testcase /s/<testcase /<testcase flaky="1" /'
	broken count "a count that is no number" '1,/ tests="/s/ tests="\([0-9]*\)"/ tests="\1 tests"/'
	broken time "a time with a decimal comma" '1,/ time="/s/ time="\([0-9]*\)\./ time="\1,/'
	broken noname "a testcase without a name" 's/<testcase classname="wirelab.http" name="http.phases">/<testcase classname="wirelab.http">/'
	broken twice "a testcase both skipped and failed" '1,/<failure /s/<failure /<skipped\/><failure /'
	broken stray "a failure outside any testcase" 's/^  <\/testsuite>/<failure message="x"\/><\/testsuite>/'
	broken utf8 "a byte that is not UTF-8, as the old escaper let through" \
		"s/handshake, data, termination/handshake, $(printf '\377') termination/"
	broken ctrl "a raw control character" "s/handshake, data, termination/handshake, $(printf '\001') termination/"
	broken sum "a suite's tests not the number of its testcases" \
		'1,/<testsuite /s/<testsuite name="http" tests="\([0-9]*\)"/<testsuite name="http" tests="1\1"/' counts
else
	fail "broken copies: fail.xml is not valid itself, so they would prove nothing"
fi

echo "junit: $tests tests, $failed failed"
[ $failed -eq 0 ]

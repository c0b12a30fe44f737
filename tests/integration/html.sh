#!/bin/sh
# tests/integration/html.sh — `wirelab check --html DIR`: the page of a lab
# and the index, on checked-in captures. The page must hold the claim
# table, the ladder as inline SVG and the packet table, link each claim's
# evidence to a row that exists, link the capture (and the key log beside
# it) by relative paths that resolve, and fetch nothing: no src=, no
# stylesheet or script from elsewhere, no http(s) URL in an attribute.
# Where Debian's chromium is installed, the page is loaded headless: the
# claim table must be in its DOM, and its screenshot must show the page drawn
# (tests/pngcheck.c reads the PNG); else that part is skipped, with a reason.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
W=${WIRELAB:-$B/wirelab}

if [ ! -x "$W" ]; then
	echo "FAIL: $W is not built (make)"
	exit 1
fi
tmp=$(mktemp -d /tmp/wl-html.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
out=$tmp/report
failed=0
tests=0

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

ok() {
	echo "ok   $*"
}

# check exits 0 or 1 (a claim the lab expects to hold fails): both write
# the page. 2 and 3 do not.
check() { # lab capture args...
	lab=$1 cap=$2
	shift 2
	tests=$((tests + 1))
	"$W" check "$lab" "$cap" "$@" --html "$out" >"$tmp/check.out" 2>"$tmp/check.err"
	rc=$?
	if [ $rc -gt 1 ]; then
		fail "wirelab check $lab $cap $* --html: exit $rc: $(cat "$tmp/check.err")"
		return 1
	fi
	if [ ! -s "$out/$lab.html" ]; then
		fail "wirelab check $lab $cap --html $out: no $out/$lab.html"
		return 1
	fi
	ok "wirelab check $lab $cap $* --html: exit $rc, $out/$lab.html"
}

check http tests/pcap/http-nginx.pcap
check tls13 tests/pcap/tls-13-aes128gcm.pcap --keylog tests/pcap/tls-13-aes128gcm.keys
page=$out/http.html
if [ $failed -ne 0 ]; then
	echo "html: no pages to look at: $failed failed"
	exit 1
fi

# What the page holds.
has() { # file pattern what
	tests=$((tests + 1))
	if grep -q -- "$2" "$1"; then
		ok "$(basename "$1"): $3"
	else
		fail "$(basename "$1"): $3: no '$2'"
	fi
}
hasnt() { # file pattern what
	tests=$((tests + 1))
	if grep -q -i -E -- "$2" "$1"; then
		fail "$(basename "$1"): $3: $(grep -o -i -E -- "$2" "$1" | head -n 3 | tr '\n' ' ')"
	else
		ok "$(basename "$1"): $3"
	fi
}
has "$page" '<table class="claims" id="claim-table">' "the claim table"
has "$page" '<tr class="holds" id="c-http.syn">' "a claim that holds, as a row"
has "$page" '<tr class="fails unexpected" id="c-http.server_fin">' \
	"a claim that fails against what the lab expects, marked"
has "$page" '<svg width=' "the ladder, inline SVG"
has "$page" '<table class="packets" id="packet-table">' "the packet table"
has "$page" '<tr id="p10" class="stream ev">' "the last packet, cited as evidence"
has "$page" 'capture <a href="' "a link to the capture"
has "$page" '<meta name="wirelab-summary" content="holds=12 fails=3 na=1 ok=0">' \
	"the summary: nginx is not the notes' server (check: not every claim holds)"
has "$out/tls13.html" 'TLS key log <a href="' "the TLS page links the key log beside the capture"
has "$out/tls13.html" 'Application Data, GET /hello.txt HTTP/1.1' "decrypted with --keylog"
for f in "$page" "$out/tls13.html" "$out/index.html"; do
	hasnt "$f" '(src|href|action|xlink:href)[[:space:]]*=[[:space:]]*["'"'"']?[a-z]+:' \
		"no link or source with a scheme"
	hasnt "$f" '<(script|link|iframe|img|object|embed)[[:space:]>]|@import|url\(' \
		"nothing that fetches or runs"
done

# Every claim has its row; every evidence link has a target.
tests=$((tests + 1))
claims=$("$W" check http tests/pcap/http-nginx.pcap --json | grep -o '"id": "[^"]*"' |
	sed 's/"id": "\(.*\)"/\1/')
missing=""
for c in $claims; do
	grep -q "id=\"c-$c\"" "$page" || missing="$missing $c"
done
[ -z "$missing" ] && ok "a row per claim ($(echo "$claims" | wc -l))" ||
	fail "claims without a row:$missing"
tests=$((tests + 1))
dangling=""
for a in $(grep -o 'href="#[^"]*"' "$page" | sed 's/href="#\(.*\)"/\1/' | sort -u); do
	grep -q "id=\"$a\"" "$page" || dangling="$dangling #$a"
done
[ -z "$dangling" ] && ok "every #link has its target" || fail "links without a target:$dangling"

# The relative links resolve from the report's directory.
tests=$((tests + 1))
bad=""
for f in "$page" "$out/tls13.html"; do
	for h in $(grep -o 'href="[^"#][^"]*"' "$f" | sed 's/href="\(.*\)"/\1/'); do
		[ -e "$out/$h" ] || bad="$bad $(basename "$f"):$h"
	done
done
[ -z "$bad" ] && ok "the file links resolve" || fail "links to nothing:$bad"

# The index lists both labs (pages add up over several checks).
has "$out/index.html" '<a href="http.html">http</a>' "the index lists http"
has "$out/index.html" '<a href="tls13.html">tls13</a>' "the index lists tls13"
has "$out/index.html" '<th>2 labs</th>' "the index counts 2 labs"

# The structure, with python3's HTML parser where there is one: every
# element closed in order, ids unique.
if command -v python3 >/dev/null 2>&1; then
	tests=$((tests + 1))
	if python3 - "$page" "$out/tls13.html" "$out/index.html" >"$tmp/py" 2>&1 <<'EOF'; then
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "wbr",
        "source", "track", "embed", "param"}
SVG_EMPTY = {"line", "polygon", "rect", "path", "circle"}

class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.errors = [], set(), []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id":
                if v in self.ids:
                    self.errors.append("duplicate id " + v)
                self.ids.add(v)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
    def handle_startendtag(self, tag, attrs):
        if tag not in VOID and tag not in SVG_EMPTY:
            self.errors.append("self-closed <%s/> at %s" % (tag, self.getpos()))
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at %s closes %s" % (tag, self.getpos(),
                               self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()

bad = 0
for f in sys.argv[1:]:
    p = P()
    p.feed(open(f, encoding="utf-8").read())
    p.close()
    if p.stack:
        p.errors.append("unclosed: %s" % p.stack[-3:])
    for e in p.errors[:5]:
        print(f + ": " + e)
    bad += len(p.errors)
sys.exit(1 if bad else 0)
EOF
		ok "the pages are well-formed (python3 html.parser)"
	else
		fail "the pages are not well-formed: $(cat "$tmp/py")"
	fi
else
	echo "SKIP structure check: python3 is not installed"
fi

# A real browser, where Debian's chromium is installed.
if command -v chromium >/dev/null 2>&1; then
	tests=$((tests + 1))
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--dump-dom "file://$(cd "$out" && pwd)/http.html" >"$tmp/dom" 2>"$tmp/chromium.err"
	if grep -q 'id="claim-table"' "$tmp/dom" && grep -q '<svg' "$tmp/dom" &&
		grep -q 'id="c-http.syn"' "$tmp/dom"; then
		ok "chromium: the claim table and the ladder are in the DOM"
	else
		fail "chromium: no claim table in the DOM: $(head -c 300 "$tmp/dom") $(tail -n 3 "$tmp/chromium.err")"
	fi

	# What chromium draws: a screenshot of the size asked for, not blank
	# (16 colours at least: text is anti-aliased), at least 5% of it not
	# the background (128000 of 2560000 pixels: this page inks 27%, a page
	# of one line of text 0.002%), and not what an empty page looks like.
	# tests/pngcheck.c reads the PNGs (zlib only: a bare Debian has no
	# python3). A scale factor of 1 makes the PNG exactly the window's size.
	shot() { # url file.png
		rm -f "$2"
		timeout 60 chromium --headless --no-sandbox --disable-gpu \
			--disable-background-networking --force-device-scale-factor=1 \
			--window-size=1280,2000 --screenshot="$2" "$1" >>"$tmp/chromium.err" 2>&1 &&
			[ -s "$2" ]
	}
	tests=$((tests + 1))
	if ! cc -std=gnu11 -O2 -Wall -Wextra -Werror -I. -o "$tmp/pngcheck" tests/pngcheck.c -lz \
		2>"$tmp/cc.err"; then
		fail "cannot build tests/pngcheck.c (zlib1g-dev?): $(head -n 3 "$tmp/cc.err")"
	elif ! shot "file://$(cd "$out" && pwd)/http.html" "$tmp/page.png" ||
		! shot about:blank "$tmp/empty.png"; then
		fail "chromium --screenshot wrote no PNG: $(grep -v dbus "$tmp/chromium.err" | tail -n 3)"
	elif "$tmp/pngcheck" --size 1280x2000 --min-colours 16 --min-ink 128000 \
		--differs "$tmp/empty.png" "$tmp/page.png" >"$tmp/png.out" 2>&1; then
		ok "chromium screenshot: $(sed "s|$tmp/||g" "$tmp/png.out")"
	else
		fail "chromium screenshot: $(sed "s|$tmp/||g" "$tmp/png.out")"
	fi
	# The check can fail: the empty page is blank to it, a cut PNG no PNG.
	if [ -s "$tmp/empty.png" ] && [ -s "$tmp/page.png" ]; then
		tests=$((tests + 1))
		"$tmp/pngcheck" --min-colours 2 "$tmp/empty.png" >/dev/null 2>"$tmp/blank.err"
		rc_blank=$?
		head -c $(($(wc -c <"$tmp/page.png") / 2)) "$tmp/page.png" >"$tmp/cut.png"
		"$tmp/pngcheck" "$tmp/cut.png" >/dev/null 2>"$tmp/cut.err"
		rc_cut=$?
		if [ $rc_blank -eq 1 ] && [ $rc_cut -eq 2 ]; then
			ok "pngcheck rejects a blank page and a cut PNG: $(sed "s|$tmp/||g" "$tmp/blank.err" "$tmp/cut.err" | tr '\n' ' ')"
		else
			fail "pngcheck: the blank page exits $rc_blank (want 1), the cut PNG $rc_cut (want 2)"
		fi
	fi
else
	echo "SKIP headless chromium (the DOM, the screenshot): chromium is not installed (apt-get install chromium)"
fi

echo "html: $tests tests, $failed failed"
[ $failed -eq 0 ]

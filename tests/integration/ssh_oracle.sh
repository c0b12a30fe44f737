#!/bin/sh
# tests/integration/ssh_oracle.sh — wirelab's SSH dissection held to three
# oracles nobody here wrote, on the real captures tests/pcap/ssh-*.pcap
# (made by tests/pcap/ssh-make-pcaps.sh with Debian's sshd, OpenSSH's ssh
# and libssh):
#   1. tshark: on every frame, ssh.message_code and ssh.protocol equal the
#      "msgs" and "version" of `wirelab show --json`, and so does the Info
#      text of every frame whose SSH is all in clear;
#   2. ssh -vv: the "kex:" lines kept as NAME.vv equal the "negotiated"
#      object (RFC 4253 7.1 computed from the two KEXINITs), "(no match)"
#      included;
#   3. libssh: NAME.report (wl-ssh-client --report) equals it too.
# Then the lying-length captures give their exact error lines.
# Needs tshark (skips without it); WIRELAB names another binary to test.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
WL=${WIRELAB:-$B/wirelab}
tmp=$(mktemp -d /tmp/wl-ssh-oracle.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark is not installed (apt-get install tshark)"
	exit 0
fi
[ -x "$WL" ] || { echo "FAIL: $WL is missing (make)"; exit 1; }

bad() {
	echo "FAIL: $*"
	fail=1
}

# show --json -> "frame<TAB>msgs<TAB>version<TAB>encrypted<TAB>info<TAB>clear
# <TAB>sport" per frame; clear: SSH in clear only, no error.
wl_frames() {
	awk '{
		n = ""; msgs = ""; v = ""; enc = 0; info = ""; clear = 0; sport = ""
		if (match($0, /^\{"n": [0-9]+/))
			n = substr($0, 7, RLENGTH - 6)
		if (match($0, /"sport": [0-9]+/))
			sport = substr($0, RSTART + 9, RLENGTH - 9)
		if (match($0, /"ssh": \{[^}]*\}/)) {
			s = substr($0, RSTART, RLENGTH)
			enc = s ~ /"encrypted": true/
			if (match(s, /"msgs": \[[^]]*\]/)) {
				msgs = substr(s, RSTART + 9, RLENGTH - 10)
				gsub(/ /, "", msgs)
			}
			if (match(s, /"version": "([^"\\]|\\.)*"/)) {
				v = substr(s, RSTART + 12, RLENGTH - 13)
				gsub(/\\"/, "\"", v)
				gsub(/\\\\/, "\\", v)
			}
		}
		if (match($0, /"info": "([^"\\]|\\.)*"/)) {
			info = substr($0, RSTART + 9, RLENGTH - 10)
			gsub(/\\"/, "\"", info)
			gsub(/\\\\/, "\\", info)
		}
		clear = (msgs != "" || v != "") && !enc && $0 !~ /"errors": /
		print n "\t" msgs "\t" v "\t" enc "\t" info "\t" clear "\t" sport
	}'
}

# Holds wirelab's frames (file 2) to tshark's (file 1). After a direction's
# NEWKEYS, tshark 4.0 may list codes that wirelab (rightly) does not: with
# AES-GCM, whose lengths are in clear, it "decrypts" without keys and reads
# garbage ("Padding Length: 83" in a 32-byte packet, Malformed). Only those
# codes, after tshark's own NEWKEYS of that direction, are let go; how many
# frames had them is printed.
compare_frames() {
	awk -F'\t' '
	NR == FNR { tm[$1] = $2; tv[$1] = $3; ti[$1] = $4; tn++; next }
	{
		wn++
		if (!($1 in tm)) { print "frame " $1 ": not in tshark'"'"'s list"; bad++; next }
		if (tv[$1] != $3) {
			print "frame " $1 ": ssh.protocol \"" tv[$1] "\", wirelab \"" $3 "\""
			bad++
		}
		if ($6 == 1 && ti[$1] != $5) {
			print "frame " $1 ": Info \"" ti[$1] "\", wirelab \"" $5 "\""
			bad++
		}
		want = tm[$1]
		if (newkeys[$7]) {
			if (want != "")
				ignored++
			want = ""
		} else if (("," want ",") ~ /,21,/) {
			k = index("," want ",", ",21,")
			if (k + 2 < length(want))
				ignored++
			want = substr(want, 1, k + 1)
			newkeys[$7] = 1
		}
		if (want != $2) {
			print "frame " $1 ": ssh.message_code " tm[$1] ", wirelab " $2
			bad++
		}
	}
	END {
		if (tn != wn) { print "tshark lists " tn " frames, wirelab " wn; bad++ }
		if (bad) exit 1
		print ignored + 0
	}' "$1" "$2"
}

# show --json -> the "negotiated" object as sorted key=value lines.
wl_negotiated() {
	awk 'match($0, /"negotiated": \{[^}]*\}/) {
		s = substr($0, RSTART + 15, RLENGTH - 16)
		n = split(s, kv, /", "/)
		for (i = 1; i <= n; i++) {
			gsub(/^"|"$/, "", kv[i])
			sub(/": "/, "=", kv[i])
			print kv[i]
		}
	}' | sort
}

# ssh -vv's kex: lines -> the same key=value lines.
vv_negotiated() {
	awk '
	{ sub(/\r$/, "") }
	/^kex: algorithm: / { if ($3 != "(no") print "kex=" $3 }
	/^kex: host key algorithm: / { print "hostkey=" $5 }
	/^kex: (client->server|server->client) cipher: / {
		d = $2 == "client->server" ? "c2s" : "s2c"
		print "cipher_" d "=" $4
		print "mac_" d "=" $6
		print "compression_" d "=" $8
	}' "$1" | sort
}

# wl-ssh-client --report -> the keys libssh can say.
report_negotiated() {
	grep -E '^(kex|cipher_c2s|cipher_s2c|mac_c2s|mac_s2c)=' "$1" | sort
}

ncap=0
for cap in tests/pcap/ssh-*.pcap; do
	name=$(basename "$cap" .pcap)
	case $name in
	*-trunc) continue ;; # cut by the snaplen: tshark marks what we leave out
	esac
	ncap=$((ncap + 1))
	if ! "$WL" show "$cap" --json >"$tmp/$name.jsonl" 2>"$tmp/$name.err"; then
		bad "$cap: wirelab show --json failed: $(cat "$tmp/$name.err")"
		continue
	fi
	wl_frames <"$tmp/$name.jsonl" >"$tmp/$name.wl"
	tshark -r "$cap" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e frame.number -e ssh.message_code -e ssh.protocol -e _ws.col.Info \
		>"$tmp/$name.tshark" 2>/dev/null
	nframes=$(wc -l <"$tmp/$name.wl")
	nmsgs=$(awk -F'\t' '$2 != "" || $3 != ""' "$tmp/$name.wl" | wc -l)
	if ! compare_frames "$tmp/$name.tshark" "$tmp/$name.wl" >"$tmp/$name.diff"; then
		bad "$cap: differs from tshark:"
		sed 's/^/    /' "$tmp/$name.diff" | head -20
	elif [ "$nmsgs" -lt 4 ]; then
		bad "$cap: only $nmsgs frames with SSH messages"
	else
		ignored=$(cat "$tmp/$name.diff")
		echo "ok: $cap: $nframes frames, $nmsgs with SSH in clear, as tshark" \
			"(tshark's codes read from encrypted bytes without keys: $ignored frames)"
	fi

	wl_negotiated <"$tmp/$name.jsonl" >"$tmp/$name.neg"
	for oracle in vv report; do
		f=tests/pcap/$name.$oracle
		[ -f "$f" ] || continue
		if [ $oracle = vv ] && grep -q '^kex: algorithm: (no match)' "$f"; then
			# ssh says no more than that: neither does wirelab choose a kex.
			: >"$tmp/$name.want"
			grep '^kex=' "$tmp/$name.neg" >"$tmp/$name.got"
		elif [ $oracle = vv ]; then
			vv_negotiated "$f" >"$tmp/$name.want"
			cp "$tmp/$name.neg" "$tmp/$name.got"
		else
			report_negotiated "$f" >"$tmp/$name.want"
			grep -E '^(kex|cipher_c2s|cipher_s2c|mac_c2s|mac_s2c)=' "$tmp/$name.neg" \
				>"$tmp/$name.got"
		fi
		if [ ! -s "$tmp/$name.want" ] && ! grep -q '^kex: algorithm: (no match)' "$f"; then
			bad "$f says nothing of the algorithms"
		elif ! diff "$tmp/$name.want" "$tmp/$name.got" >"$tmp/$name.ndiff"; then
			bad "$cap: negotiated algorithms differ from $f (< $oracle, > wirelab):"
			sed 's/^/    /' "$tmp/$name.ndiff"
		else
			echo "ok: $cap: $(wc -l <"$tmp/$name.want") negotiated algorithms as $f says"
		fi
		if grep -q '^kex: algorithm: (no match)' "$f" 2>/dev/null; then
			if grep -q 'ssh: KEXINIT: no key exchange method both sides support' \
				"$tmp/$name.jsonl"; then
				echo "ok: $cap: no common key exchange method, as $f says"
			else
				bad "$cap: no error for the kex that $f found no match for"
			fi
		fi
	done
done
[ "$ncap" -ge 8 ] || bad "only $ncap SSH captures under tests/pcap (run tests/pcap/ssh-make-pcaps.sh)"

# The lying lengths: one error line each, naming what and where.
expect_error() { # CAPTURE FRAME TEXT
	if grep "^{\"n\": $2," "$tmp/$1.jsonl" | grep -qF "\"errors\": [\"$3\"]"; then
		echo "ok: tests/pcap/$1.pcap: frame $2: $3"
	else
		bad "tests/pcap/$1.pcap: frame $2 does not say: $3"
	fi
}
expect_error ssh-bad-length 8 \
	"ssh: packet_length 2147483647 out of range (5 to 262144) at byte 41 of the client stream"
expect_error ssh-bad-namelist 8 \
	"ssh: KEXINIT: kex_algorithms length 16777215 runs past the payload (1083 bytes left) at byte 41 of the client stream"

# Cut by the snaplen: no crash, the lines that were captured whole.
if "$WL" show tests/pcap/ssh-openssh-trunc.pcap --json >"$tmp/trunc.jsonl" 2>&1 &&
	[ "$(grep -c '"ssh": {"version": "SSH-2.0-OpenSSH_9.2p1' "$tmp/trunc.jsonl")" -eq 2 ]; then
	echo "ok: tests/pcap/ssh-openssh-trunc.pcap: both identification lines, nothing invented"
else
	bad "tests/pcap/ssh-openssh-trunc.pcap: $(head -c 300 "$tmp/trunc.jsonl")"
fi
exit $fail

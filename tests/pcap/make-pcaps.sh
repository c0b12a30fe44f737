#!/bin/sh
# tests/pcap/make-pcaps.sh — how the captures under tests/pcap/ were made,
# for the record (CI does not run it: the captures are checked in).
#
#   sudo sh tests/pcap/make-pcaps.sh [OUTDIR]      (default: tests/pcap)
#
# Everything happens in a network namespace of its own (unshare -n: only
# `lo`, which vanishes with the script), between real peers nobody here
# wrote: curl against python3's http.server and against nginx (a config
# written to a temp dir, `daemon off`, single process, stopped by pid).
# tcpdump records on lo (EN10MB with zero MACs) or on `any` (Linux SLL/SLL2);
# editcap makes the pcapng and mid-stream variants; the broken files are cut
# with head -c; the non-TCP frames are built with python3's struct.
# Needs: root, tcpdump, editcap, curl, nginx, python3, iptables.
#
# synth-*.pcap are not made here: they are the frames of tests/test_dissect.c,
# which writes each test's frames when asked:
#     WL_TEST_PCAP_DIR=tests/pcap build/tests/test_dissect
#     rm tests/pcap/synth-not-tcp.pcap   (malformed frames: not for oracle.sh)
# A test that fails stops writing at the failed check, so the files checked
# in were written by a copy of the test whose cmocka assertions only print
# (sed inserting `#define assert_int_equal(a, b) if ((a) != (b))
# print_message(...)` and the like after <cmocka.h>), while tests still
# failed on wirelab bugs; the frames are the same.
set -eu

if [ -z "${WL_MAKE_PCAPS_NETNS:-}" ]; then
	export WL_MAKE_PCAPS_NETNS=1
	exec unshare -n sh "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here}" && pwd)
tmp=$(mktemp -d /tmp/wl-make-pcaps.XXXXXX)
pids=""
tcpd=""

cleanup() {
	for p in $pids $tcpd; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip link set lo up

# ---- the servers ----
mkdir -p "$tmp/www" "$tmp/nginx"
printf 'hello from wirelab\n' >"$tmp/www/hello.txt"
# A text long enough to be worth gzipping (the chunked responses).
i=0
while [ $i -lt 40 ]; do
	echo "line $i of a text that nginx compresses with gzip" >>"$tmp/www/long.txt"
	i=$((i + 1))
done
chmod -R a+rX "$tmp"

cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	default_type text/plain;
	if_modified_since before;
	gzip on;
	gzip_min_length 1;
	gzip_http_version 1.0;
	gzip_types text/plain;
	server {
		listen 127.0.0.1:8080;
		listen [::1]:8080;
		root $tmp/www;
		location = /empty { return 204; }
	}
}
EOF
nginx -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids="$pids $!"
python3 -m http.server 8000 --bind 127.0.0.1 --directory "$tmp/www" \
	>"$tmp/python.log" 2>&1 &
pids="$pids $!"

wait_port() { # URL
	n=0
	until curl -s -o /dev/null "$1"; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "server at $1 never came up" >&2; exit 1; }
		sleep 0.05
	done
}
wait_port http://127.0.0.1:8080/hello.txt
wait_port "http://[::1]:8080/hello.txt"
wait_port http://127.0.0.1:8000/hello.txt

# ---- capturing ----
cap_start() { # FILE IFACE FILTER [tcpdump options...]
	f=$1 ifc=$2 flt=$3
	shift 3
	: >"$tmp/tcpdump.log"
	tcpdump -i "$ifc" -n -U --immediate-mode -B 8192 -w "$f" "$@" "$flt" 2>"$tmp/tcpdump.log" &
	tcpd=$!
	n=0
	until grep -q 'listening on' "$tmp/tcpdump.log"; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "tcpdump did not start" >&2; exit 1; }
		sleep 0.05
	done
}
cap_stop() {
	# The last ACK of a teardown may follow the client's exit.
	sleep 0.3
	kill -INT "$tcpd"
	wait "$tcpd" || true
	tcpd=""
	# Without --immediate-mode the frames still in the ring at SIGINT are
	# lost; with it, `any` needs a bigger buffer (-B) to drop nothing.
	grep -q '^0 packets dropped by kernel' "$tmp/tcpdump.log" ||
		{ cat "$tmp/tcpdump.log" >&2; exit 1; }
}

N='http://127.0.0.1:8080'
P='http://127.0.0.1:8000'

# curl against python3's http.server: HTTP/1.0, headers and body in two
# writes, Content-Length, the server closes first.
cap_start "$out/http-python.pcap" lo 'tcp port 8000'
curl -s -o /dev/null "$P/hello.txt"
cap_stop

# curl against nginx: keep-alive server, Content-Length, curl closes first.
cap_start "$out/http-nginx.pcap" lo 'tcp port 8080'
curl -s -o /dev/null "$N/hello.txt"
cap_stop

# The same exchange recorded on `any`: Linux cooked headers v1 and v2.
cap_start "$out/http-nginx-sll.pcap" any 'tcp port 8080' -y LINUX_SLL
curl -s -o /dev/null "$N/hello.txt"
cap_stop
cap_start "$out/http-nginx-sll2.pcap" any 'tcp port 8080' -y LINUX_SLL2
curl -s -o /dev/null "$N/hello.txt"
cap_stop

# IPv6.
cap_start "$out/http-nginx-ipv6.pcap" lo 'tcp port 8080'
curl -s -o /dev/null "http://[::1]:8080/hello.txt"
cap_stop

# Cut by the snaplen: 90 bytes keep the headers (14+20+32) and 24 bytes of
# payload, so every data segment is cut short.
cap_start "$out/http-nginx-trunc.pcap" lo 'tcp port 8080' -s 90
curl -s -o /dev/null "$N/hello.txt"
cap_stop

# Two requests on one connection (keep-alive).
cap_start "$out/http-nginx-keepalive.pcap" lo 'tcp port 8080'
curl -s -o /dev/null -o /dev/null "$N/hello.txt" "$N/long.txt"
cap_stop

# One connection: 204 (no body), HEAD (Content-Length, no body), 304 (no
# body), then a 200 with a body: the body rules of RFC 9112 6.3 in a row.
cap_start "$out/http-nginx-nobody.pcap" lo 'tcp port 8080'
curl -s -o /dev/null "$N/empty" \
	--next -s -I -o /dev/null "$N/hello.txt" \
	--next -s -o /dev/null -z 'Jan 1 2099' "$N/hello.txt" \
	--next -s -o /dev/null "$N/hello.txt"
cap_stop

# gzip over HTTP/1.1: no Content-Length, chunked transfer coding.
cap_start "$out/http-nginx-chunked.pcap" lo 'tcp port 8080'
curl -s -o /dev/null --compressed "$N/long.txt"
cap_stop

# gzip over HTTP/1.0: no length at all, the response runs to the close.
cap_start "$out/http-nginx-close.pcap" lo 'tcp port 8080'
curl -s -o /dev/null --http1.0 --compressed "$N/long.txt"
cap_stop

# Two requests pipelined in one write (curl no longer pipelines).
cap_start "$out/http-nginx-pipelined.pcap" lo 'tcp port 8080'
python3 - <<'EOF'
import socket
s = socket.create_connection(("127.0.0.1", 8080))
s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          b"GET /empty HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
while s.recv(65536):
    pass
s.close()
EOF
cap_stop

# The same local port twice in a row (a response read to the close: the
# server closes first, so TIME_WAIT is the server's and the client's port is
# free at once): one 4-tuple, two TCP streams.
cap_start "$out/http-nginx-portreuse.pcap" lo 'tcp port 8080'
curl -s -o /dev/null --http1.0 --compressed --local-port 40123 "$N/hello.txt"
curl -s -o /dev/null --http1.0 --compressed --local-port 40123 "$N/hello.txt"
cap_stop

# Losses: a packet is captured (the taps see it on lo), then dropped at the
# receiver in raw PREROUTING, so the kernel sends it again. The rule drops
# the first packet it matches only (statistic nth, packet 0).
# 1. The server's SYN-ACK: retransmitted after the 1 s initial RTO, and the
#    client's SYN too.
iptables -t raw -A PREROUTING -i lo -p tcp --sport 8000 --tcp-flags SYN,ACK SYN,ACK \
	-m statistic --mode nth --every 1000000 --packet 0 -j DROP
cap_start "$out/http-python-synloss.pcap" lo 'tcp port 8000'
curl -s -o /dev/null "$P/hello.txt"
cap_stop
iptables -t raw -F PREROUTING
# 2. The server's first data segment (python's header write): the body
#    arrives before the headers' retransmission.
iptables -t raw -A PREROUTING -i lo -p tcp --sport 8000 --tcp-flags SYN NONE \
	-m length --length 53: -m statistic --mode nth --every 1000000 --packet 0 -j DROP
cap_start "$out/http-python-retrans.pcap" lo 'tcp port 8000'
curl -s -o /dev/null "$P/hello.txt"
cap_stop
iptables -t raw -F PREROUTING

# ---- variants made from the captures above ----
# pcapng.
editcap -F pcapng "$out/http-nginx.pcap" "$out/http-nginx.pcapng"
editcap -F pcapng "$out/http-nginx-sll2.pcap" "$out/http-nginx-sll2.pcapng"
# Mid-stream (no handshake; Wireshark takes each side's base from its first
# seq - 1, or from the other side's ack - 1): the keep-alive capture from
# its first GET (4-), from the client's ACK of the first response (7-), and
# from the second response, a server segment (9-).
editcap -r "$out/http-nginx-keepalive.pcap" "$out/http-nginx-midstream.pcap" 4-1000
editcap -r "$out/http-nginx-keepalive.pcap" "$out/http-nginx-midstream2.pcap" 7-1000
editcap -r "$out/http-nginx-keepalive.pcap" "$out/http-nginx-midstream3.pcap" 9-1000

# ---- broken files (for tests/integration/badinput.sh) ----
# Cut inside the 24-byte file header.
head -c 10 "$out/http-nginx.pcap" >"$out/bad-trunc-header.pcap"
# Cut inside the third packet's record (header 16 bytes + data).
python3 - "$out/http-nginx.pcap" "$out/bad-trunc-record.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
for _ in range(2):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    off += 16 + incl
open(sys.argv[2], "wb").write(d[:off + 16 + 20])
EOF
# Cut inside the third record's 16-byte header.
python3 - "$out/http-nginx.pcap" "$out/bad-trunc-rechdr.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
for _ in range(2):
    incl = struct.unpack("<I", d[off + 8:off + 12])[0]
    off += 16 + incl
open(sys.argv[2], "wb").write(d[:off + 7])
EOF
# pcapng cut inside a block.
sz=$(wc -c <"$out/http-nginx.pcapng")
head -c $((sz - 30)) "$out/http-nginx.pcapng" >"$out/bad-trunc.pcapng"
# Wrong magic: the rest of a valid file.
{ printf 'WLAB'; tail -c +5 "$out/http-nginx.pcap"; } >"$out/bad-magic.pcap"
# Zero packets: a valid header only.
head -c 24 "$out/http-nginx.pcap" >"$out/bad-empty.pcap"
# A link-layer type wirelab does not read (147, USER0), one frame.
python3 - "$out/bad-linktype.pcap" <<'EOF'
import struct, sys
frame = b"not a frame of any standard link layer"
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 147))
    f.write(struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)))
    f.write(frame)
EOF

# ---- no TCP at all: an ARP request and a DNS query over UDP ----
python3 - "$out/notcp.pcap" <<'EOF'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

src_mac = bytes.fromhex("020000000001")
dst_mac = bytes.fromhex("020000000002")
# ARP who-has 198.18.0.2 tell 198.18.0.1 (RFC 826), padded to 60 bytes.
arp = (b"\xff" * 6 + src_mac + b"\x08\x06" +
       struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src_mac +
       bytes([198, 18, 0, 1]) + b"\0" * 6 + bytes([198, 18, 0, 2]))
arp += b"\0" * (60 - len(arp))
# DNS query for example.com A over UDP 198.18.0.1:5353 -> 198.18.0.2:53.
dns = (struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) +
       b"\x07example\x03com\x00" + struct.pack("!HH", 1, 1))
udp_len = 8 + len(dns)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0x4000, 64, 17, 0,
                 bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, udp_len)
udp = struct.pack("!HHHH", 5353, 53, udp_len, 0) + dns
udp = udp[:6] + struct.pack("!H", csum(pseudo + udp)) + udp[8:]
eth_ip = dst_mac + src_mac + b"\x08\x00" + ip + udp

with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i, fr in enumerate((arp, eth_ip)):
        f.write(struct.pack("<IIII", 1700000000, 1000 * i, len(fr), len(fr)))
        f.write(fr)
EOF

echo "made the captures in $out"

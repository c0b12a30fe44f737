#!/bin/sh
# tests/pcap/tls-make-pcaps.sh — how the TLS captures under tests/pcap/ were
# made, for the record (CI does not run it: the captures are checked in).
#
#   sudo sh tests/pcap/tls-make-pcaps.sh [OUTDIR]      (default: tests/pcap)
#
# Everything happens in a network namespace of its own (unshare -n: only
# `lo`, which vanishes with the script), between real peers nobody here
# wrote: curl (OpenSSL) and wget (GnuTLS) against nginx, openssl s_client
# against openssl s_server. The server's certificate comes from
# harness/certgen.c (compiled here with a five-line driver). Each capture tls-NAME.pcap has its key log beside it as
# tls-NAME.keys (SSLKEYLOGFILE / -keylogfile): throwaway keys of throwaway
# certificates, made to be published.
# Needs: root, cc, libssl-dev, tcpdump, curl, wget, nginx, openssl.
set -eu

if [ -z "${WL_MAKE_PCAPS_NETNS:-}" ]; then
	export WL_MAKE_PCAPS_NETNS=1
	exec unshare -n sh "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(cd "${1:-$here}" && pwd)
tmp=$(mktemp -d /tmp/wl-tls-pcaps.XXXXXX)
pids=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip link set lo up

# ---- the certificate, from wirelab's own generator ----
cat >"$tmp/certgen-main.c" <<'EOF'
#include <stdio.h>
#include "harness/certgen.h"
int main(int argc, char **argv)
{
	char err[256];

	if (argc != 3 || certgen_selfsigned(argv[1], argv[2], err, sizeof(err))) {
		fprintf(stderr, "certgen: %s\n", argc == 3 ? err : "usage: DIR CN");
		return 1;
	}
	return 0;
}
EOF
cc -I"$top" -o "$tmp/certgen" "$tmp/certgen-main.c" "$top/harness/certgen.c" -lcrypto
mkdir -p "$tmp/pki" "$tmp/ca1" "$tmp/ca2"
"$tmp/certgen" "$tmp/pki" pi.lab
# Two more certificates sent as a chain by s_server: a Certificate message
# longer than a 512-byte record (the client does not verify: -k, s_client's
# default).
"$tmp/certgen" "$tmp/ca1" ca1.lab
"$tmp/certgen" "$tmp/ca2" ca2.lab
cat "$tmp/ca1/cert.pem" "$tmp/ca2/cert.pem" >"$tmp/pki/chain.pem"
# certgen makes EC keys only; RSA key transport and DHE_RSA need an RSA one.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pi.lab -days 30 \
	-keyout "$tmp/pki/rsa-key.pem" -out "$tmp/pki/rsa-cert.pem" 2>/dev/null

# ---- nginx: one for 1.2 and 1.3, one that allows only 1.2 ----
mkdir -p "$tmp/www" "$tmp/nginx"
printf 'hello from wirelab\n' >"$tmp/www/hello.txt"
# Larger than one TLS record (16 KiB): several application data records.
head -c 20000 /dev/zero | tr '\0' 'x' >"$tmp/www/big.txt"
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
	ssl_certificate $tmp/pki/cert.pem;
	ssl_certificate_key $tmp/pki/key.pem;
	ssl_session_tickets off;
	server {
		listen 127.0.0.1:8443 ssl;
		server_name pi.lab;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
		root $tmp/www;
	}
	server {
		listen 127.0.0.1:8444 ssl;
		server_name pi.lab;
		ssl_protocols TLSv1.2;
		root $tmp/www;
	}
}
EOF
nginx -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids="$pids $!"

R='--resolve pi.lab:8443:127.0.0.1 --resolve pi.lab:8444:127.0.0.1'
n=0
until curl -s -k $R -o /dev/null https://pi.lab:8443/hello.txt; do
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "nginx never came up" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }
	sleep 0.05
done

# ---- capturing ----
tcpd=""
cap_start() { # FILE FILTER [tcpdump options...]
	f=$1 flt=$2
	shift 2
	: >"$tmp/tcpdump.log"
	tcpdump -i lo -n -U --immediate-mode -w "$f" "$@" "$flt" 2>"$tmp/tcpdump.log" &
	tcpd=$!
	n=0
	until grep -q 'listening on' "$tmp/tcpdump.log"; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "tcpdump did not start" >&2; exit 1; }
		sleep 0.05
	done
}
cap_stop() {
	sleep 0.3
	kill -INT "$tcpd"
	wait "$tcpd" || true
}

# curl NAME URL [curl options...]: one capture and its key log.
curl_cap() {
	name=$1 url=$2
	shift 2
	rm -f "$out/tls-$name.keys"
	cap_start "$out/tls-$name.pcap" 'tcp port 8443 or tcp port 8444'
	SSLKEYLOGFILE="$out/tls-$name.keys" curl -s -k $R --http1.1 -o /dev/null "$@" "$url" || true
	cap_stop
}

H=https://pi.lab:8443/hello.txt
# TLS 1.2 with each AEAD family; the SHA-384 suite uses the PRF with SHA-384.
curl_cap 12-aes128gcm $H --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
curl_cap 12-aes256gcm $H --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384
curl_cap 12-chacha $H --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305
# TLS 1.3 with each suite.
curl_cap 13-aes128gcm $H --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
curl_cap 13-aes256gcm $H --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384
curl_cap 13-chacha $H --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
# Several application data records in a row, and records across segments.
curl_cap 13-big https://pi.lab:8443/big.txt --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
curl_cap 12-big https://pi.lab:8443/big.txt --tlsv1.2 --tls-max 1.2 \
	--ciphers ECDHE-ECDSA-AES128-GCM-SHA256
# A 1.3-only client against a 1.2-only server: the fatal alert in clear.
curl_cap mismatch https://pi.lab:8444/hello.txt --tlsv1.3
rm -f "$out/tls-mismatch.keys"

# Another TLS stack: wget is built with GnuTLS (which honours SSLKEYLOGFILE
# too). No --resolve in wget: it asks for the address, so no SNI is sent.
# --ciphers is a GnuTLS priority string (--secure-protocol=TLSv1_2 means
# "1.2 or newer" to GnuTLS).
wget_cap() { # NAME PRIORITY
	rm -f "$out/tls-$1.keys"
	cap_start "$out/tls-$1.pcap" 'tcp port 8443'
	SSLKEYLOGFILE="$out/tls-$1.keys" wget -q -O /dev/null --no-check-certificate \
		--ciphers="$2" https://127.0.0.1:8443/hello.txt || true
	cap_stop
}
wget_cap gnutls-12 NORMAL:-VERS-ALL:+VERS-TLS1.2
wget_cap gnutls-13 NORMAL:-VERS-ALL:+VERS-TLS1.3

# A small MTU: the handshake records are cut across TCP segments (and lo
# may not hand the capture one GSO super-packet: one segment per send).
ip link set lo mtu 400 gso_max_segs 1
curl_cap 12-mtu400 $H --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
curl_cap 13-mtu400 $H --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
ip link set lo mtu 65536 gso_max_segs 65535

# ---- openssl s_server/s_client ----
# s_server -WWW serves files of the current directory over HTTP/1.0 and
# closes. -max_send_frag 512: the server's handshake messages (the Certificate) are
# split across several TLS records; HelloRetryRequest from a group mismatch.
oss_cap() { # NAME SERVER-OPTIONS -- CLIENT-OPTIONS
	name=$1
	shift
	sopts=""
	while [ "$1" != "--" ]; do
		sopts="$sopts $1"
		shift
	done
	shift
	rm -f "$out/tls-$name.keys"
	(cd "$tmp/www" && exec openssl s_server -quiet -WWW -accept 127.0.0.1:9443 \
		-cert "$tmp/pki/cert.pem" -key "$tmp/pki/key.pem" -naccept 1 -no_ticket $sopts \
		>"$tmp/s_server.log" 2>&1) &
	spid=$!
	n=0
	until ss -ltn | grep -q '127.0.0.1:9443 '; do
		n=$((n + 1))
		[ $n -lt 100 ] || { echo "s_server did not start" >&2; cat "$tmp/s_server.log" >&2; exit 1; }
		sleep 0.05
	done
	cap_start "$out/tls-$name.pcap" 'tcp port 9443'
	# -quiet implies -ign_eof: the client reads until -WWW's server closes.
	printf 'GET /hello.txt HTTP/1.0\r\nHost: pi.lab\r\n\r\n' |
		openssl s_client -quiet -connect 127.0.0.1:9443 -servername pi.lab \
			-keylogfile "$out/tls-$name.keys" "$@" >/dev/null 2>&1 || true
	cap_stop
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
}
oss_cap 12-frag -max_send_frag 512 -cert_chain "$tmp/pki/chain.pem" -- \
	-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
oss_cap 13-frag -max_send_frag 512 -cert_chain "$tmp/pki/chain.pem" -- -tls1_3
oss_cap 13-hrr -groups P-256 -- -tls1_3 -groups X25519:P-256
# RSA key transport (ClientKeyExchange holds the encrypted premaster
# secret) and finite-field DHE (ServerKeyExchange with dh_p).
oss_cap 12-rsa -cert "$tmp/pki/rsa-cert.pem" -key "$tmp/pki/rsa-key.pem" -- \
	-tls1_2 -cipher AES128-GCM-SHA256
oss_cap 12-dhe -cert "$tmp/pki/rsa-cert.pem" -key "$tmp/pki/rsa-key.pem" -- \
	-tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384

echo "made the TLS captures in $out"

#!/usr/bin/env python3
"""tests/bad/make-bad.py — how the captures of tests/bad/ were made, for the
record (the test does not run it: the files are checked in).

    python3 tests/bad/make-bad.py [OUTDIR]        (default: tests/bad)

Two kinds (tests/bad/README.md lists every file):
  cap-*  files that are no capture, or a capture broken at the file level:
         wirelab must refuse them (exit 2, one line), all but
         cap-snaplen-huge, which is read.
  lie-*  valid pcaps whose packets lie (a TLS, SSH, WebSocket or HTTP length
         that the stream does not hold, an IP or TCP header that does not
         fit): wirelab reads them, as tshark does (exit 0), and says what is
         wrong at the packet.
cap-trunc-header, cap-trunc-rechdr, cap-trunc-record, cap-trunc-block.pcapng,
cap-magic, cap-header-only and cap-linktype-147 are copies of tests/pcap/bad-*
(cut from real captures by tests/pcap/make-pcaps.sh): not made here.

Every frame: Ethernet, IPv4 (198.18.0.1 the client, 198.18.0.2 the server),
TCP with correct checksums, one connection per file from its handshake, 1 ms
apart. Standard library only.
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
CLIENT, SERVER = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pcap_header(linktype=1, snaplen=262144):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)


def record(t_us, frame, wirelen=None, caplen=None):
    return struct.pack("<IIII", 1700000000 + t_us // 1000000, t_us % 1000000,
                       len(frame) if caplen is None else caplen,
                       len(frame) if wirelen is None else wirelen) + frame


def frame(src, dst, sport, dport, seq, ack, flags, payload=b"", ip_len_lie=None,
          data_offset=5):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, data_offset << 4, flags,
                      64240, 0, 0)
    seg = tcp + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    c = csum(pseudo + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    total = 20 + len(seg) if ip_len_lie is None else ip_len_lie
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    if src == SERVER:
        eth = eth[6:12] + eth[0:6] + eth[12:]
    return eth + ip + seg


FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


class Conn:
    """One TCP connection, client port 41000; frames 1 ms apart."""

    def __init__(self, port):
        self.port = port
        self.cseq, self.sseq = 1000, 5000
        self.frames = []

    def add(self, f):
        self.frames.append(f)

    def c(self, payload=b"", flags=PSH | ACK, **kw):
        self.add(frame(CLIENT, SERVER, 41000, self.port, self.cseq, self.sseq, flags,
                       payload, **kw))
        self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def s(self, payload=b"", flags=PSH | ACK, **kw):
        self.add(frame(SERVER, CLIENT, self.port, 41000, self.sseq, self.cseq, flags,
                       payload, **kw))
        self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self):
        self.add(frame(CLIENT, SERVER, 41000, self.port, self.cseq, 0, SYN))
        self.cseq += 1
        self.s(flags=SYN | ACK)
        self.c(flags=ACK)

    def close(self, first="client"):
        a, b = (self.c, self.s) if first == "client" else (self.s, self.c)
        a(flags=FIN | ACK)
        b(flags=FIN | ACK)
        a(flags=ACK)

    def write(self, name):
        data = pcap_header()
        for i, f in enumerate(self.frames):
            data += record(i * 1000, f)
        put(name, data)


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---- files that are no capture, or broken at the file level ----

def one_syn():
    return frame(CLIENT, SERVER, 41000, 80, 1000, 0, SYN)


put("cap-zero.pcap", b"")
put("cap-text.pcap", b"GET / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n")
put("cap-short.pcap", b"\xd4\xc3\xb2")
put("cap-linktype-wifi.pcap", pcap_header(linktype=105) + record(0, one_syn()))
put("cap-linktype-65000.pcap", pcap_header(linktype=65000) + record(0, one_syn()))
# A record that claims more captured bytes than any snaplen: refused.
put("cap-caplen-huge.pcap", pcap_header() + record(0, one_syn())
    + struct.pack("<IIII", 1700000000, 1000, 0x7FFFFFFF, 0x7FFFFFFF) + one_syn())
# A file header that allows 4 GiB frames, and a frame of a normal size:
# libpcap reads it (as tshark does), so this one is not refused.
put("cap-snaplen-huge.pcap", pcap_header(snaplen=0xFFFFFFFF) + record(0, one_syn()))


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


SHB = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
IDB = pcapng_block(1, struct.pack("<HHI", 1, 0, 262144))


def epb(f, t_us=0):
    return pcapng_block(6, struct.pack("<IIIII", 0, t_us >> 32, t_us & 0xFFFFFFFF,
                                       len(f), len(f)) + f)


put("cap-trunc-shb.pcapng", SHB[:20])
put("cap-pcapng-no-idb.pcapng", SHB + epb(one_syn()))
# A block whose total length is 8: less than a block's 12 bytes of framing.
put("cap-pcapng-blocklen.pcapng", SHB + IDB + struct.pack("<III", 6, 8, 8))

# ---- valid captures whose packets lie ----

# TLS: a ClientHello record whose header says 16384 bytes; 58 come, then FIN.
hello = b"\x01" + (54).to_bytes(3, "big") + b"\x03\x03" + bytes(32) + b"\x00" \
    + b"\x00\x02\x13\x01" + b"\x01\x00" + b"\x00\x0b" + b"\x00\x2b\x00\x03\x02\x03\x04" \
    + b"\x00\x17\x00\x00"
k = Conn(443)
k.handshake()
k.c(b"\x16\x03\x01" + (16384).to_bytes(2, "big") + hello)
k.s(flags=ACK)
k.close()
k.write("lie-tls-record-length.pcap")

# TLS: a handshake message (ClientHello) that says 256 bytes in a record of
# 58; the next record is application data.
k = Conn(443)
k.handshake()
short = b"\x01" + (256).to_bytes(3, "big") + hello[4:]
k.c(b"\x16\x03\x01" + len(short).to_bytes(2, "big") + short)
k.s(flags=ACK)
k.c(b"\x17\x03\x03\x00\x05hello")
k.s(flags=ACK)
k.close()
k.write("lie-tls-handshake-length.pcap")

# TLS: a handshake length of 16 MiB - 1; then the client's stream ends.
k = Conn(443)
k.handshake()
huge = b"\x01\xff\xff\xff" + hello[4:]
k.c(b"\x16\x03\x01" + len(huge).to_bytes(2, "big") + huge)
k.s(flags=ACK)
k.close()
k.write("lie-tls-handshake-huge.pcap")

# TLS: a ClientHello whose extensions length (0x0100) runs past its end.
k = Conn(443)
k.handshake()
ext_lie = hello[:-13] + b"\x01\x00" + hello[-11:]
k.c(b"\x16\x03\x01" + len(ext_lie).to_bytes(2, "big") + ext_lie)
k.s(flags=ACK)
k.close()
k.write("lie-tls-extensions-length.pcap")

# SSH: identification lines, then a client packet that lies, one file each:
# packet_length 0x7fffffff; a padding_length that does not fit; 1000 bytes
# said where the stream ends after 12.
def ssh_conn():
    k = Conn(22)
    k.handshake()
    k.s(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    k.c(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    return k


k = ssh_conn()
k.c(b"\x7f\xff\xff\xff\x04\x14" + bytes(10))
k.s(flags=ACK)
k.close()
k.write("lie-ssh-packet-length.pcap")

k = ssh_conn()
# packet_length 12: padding_length 200, which the 11 bytes after it cannot hold
k.c(struct.pack("!IB", 12, 200) + b"\x14" + bytes(10))
k.s(flags=ACK)
k.close()
k.write("lie-ssh-padding-length.pcap")

k = ssh_conn()
k.c(struct.pack("!IB", 1000, 4) + b"\x14" + bytes(6))
k.s(flags=ACK)
k.close()
k.write("lie-ssh-length-past-end.pcap")

# WebSocket: the upgrade, then server frames whose 64-bit lengths lie.
UPGRADE = (b"GET /chat HTTP/1.1\r\nHost: 198.18.0.2:8080\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")
SWITCH = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def ws_conn():
    k = Conn(8080)
    k.handshake()
    k.c(UPGRADE)
    k.s(SWITCH)
    return k


k = ws_conn()
k.s(b"\x82\x7f" + struct.pack("!Q", 0x8000000000000005) + b"hello")
k.close("server")
k.write("lie-ws-len64-top-bit.pcap")

k = ws_conn()
k.s(b"\x82\x7f" + struct.pack("!Q", 1 << 40) + b"hello")
k.close("server")
k.write("lie-ws-len64-huge.pcap")

k = ws_conn()
k.s(b"\x82\x7f" + struct.pack("!Q", 5) + b"hello")
k.close("server")
k.write("lie-ws-len64-minimal.pcap")

# HTTP: responses whose Content-Length does not say what the body holds.
GET = b"GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"


def http(name, head, body):
    k = Conn(80)
    k.handshake()
    k.c(GET)
    k.s(flags=ACK)
    k.s(b"HTTP/1.1 200 OK\r\nServer: wl\r\n" + head + b"\r\n" + body)
    k.c(flags=ACK)
    k.close("server")
    k.write(name)


http("lie-http-cl-long.pcap", b"Content-Length: 1000\r\n", b"twenty bytes of body")
http("lie-http-cl-invalid.pcap", b"Content-Length: lots\r\n", b"twenty bytes of body")
http("lie-http-cl-negative.pcap", b"Content-Length: -20\r\n", b"twenty bytes of body")
http("lie-http-cl-twice.pcap", b"Content-Length: 20\r\nContent-Length: 5\r\n",
     b"twenty bytes of body")

# IP and TCP headers that lie about their lengths.
k = Conn(80)
k.handshake()
k.c(GET, ip_len_lie=1500)
k.close()
k.write("lie-ip-total-length.pcap")

k = Conn(80)
k.handshake()
k.c(b"GET / HTTP/1.1\r\n", data_offset=15)
k.close()
k.write("lie-tcp-data-offset.pcap")

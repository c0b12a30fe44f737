/* tests/test_dissect.c — harness/dissect.c, dissect_http.c and pkt.c, from
 * frames written out byte by byte (packetdrill's packet_parser_test.c).
 *
 * The expected numbers are what tshark 4.0 shows for the very same frames,
 * not what the code happens to compute: run
 *     WL_TEST_PCAP_DIR=/tmp/x build/tests/test_dissect
 * and every test writes its frames to /tmp/x/synth-<test>.pcap, which
 * tshark reads (tests/pcap/synth-*.pcap are those files, so that
 * tests/integration/oracle.sh keeps comparing them with tshark).
 *
 * Truncated frames are copied to a buffer of exactly their captured length,
 * so that a read past the end shows under `make asan`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/pkt.h"

/* pcap LINKTYPE_* values. */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

/* ---- writing the frames of a test as a pcap, for tshark ---- */

static FILE *dump;

static void put_le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	fwrite(b, 1, 4, f);
}

static void put_le16(FILE *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	fwrite(b, 1, 2, f);
}

/* Starts synth-<name>.pcap when WL_TEST_PCAP_DIR is set. */
static void dump_open(const char *name, int linktype)
{
	const char *dir = getenv("WL_TEST_PCAP_DIR");
	char path[512];

	if (dump)
		fclose(dump);
	dump = NULL;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/synth-%s.pcap", dir, name);
	dump = fopen(path, "wb");
	assert_non_null(dump);
	put_le32(dump, 0xa1b2c3d4); /* microsecond timestamps */
	put_le16(dump, 2);
	put_le16(dump, 4);
	put_le32(dump, 0);
	put_le32(dump, 0);
	put_le32(dump, 262144);
	put_le32(dump, (uint32_t)linktype);
}

static void dump_frame(int64_t ts_us, const uint8_t *f, uint32_t caplen, uint32_t wirelen)
{
	if (!dump)
		return;
	put_le32(dump, (uint32_t)(ts_us / 1000000));
	put_le32(dump, (uint32_t)(ts_us % 1000000));
	put_le32(dump, caplen);
	put_le32(dump, wirelen);
	fwrite(f, 1, caplen, dump);
}

static void dump_close(void)
{
	if (dump)
		fclose(dump);
	dump = NULL;
}

/* ---- dissecting ---- */

#define T0 1700000000000000ll /* 2023-11-14, in microseconds */

static struct dissect *dnew(int linktype)
{
	struct dissect *d = NULL;
	char err[128];

	assert_int_equal(dissect_new(linktype, &d, err, sizeof(err)), 0);
	assert_non_null(d);
	return d;
}

/* Dissects a copy of the first caplen bytes of f, in a buffer of exactly that
 * size (ASan sees any read past it). */
static void dissect_copy(struct dissect *d, int64_t ts, const uint8_t *f, uint32_t caplen,
			 uint32_t wirelen, struct pkt *p)
{
	uint8_t *copy = malloc(caplen);

	assert_true(copy != NULL || caplen == 0);
	if (caplen)
		memcpy(copy, f, caplen);
	dump_frame(ts, f, caplen, wirelen);
	assert_int_equal(dissect_frame(d, ts, wirelen, copy, caplen, p), 0);
	free(copy);
}

/* One frame in a fresh dissector. */
static void dissect_one(int linktype, const uint8_t *f, uint32_t caplen, uint32_t wirelen,
			struct pkt *p)
{
	struct dissect *d = dnew(linktype);

	dissect_copy(d, T0, f, caplen, wirelen, p);
	dissect_free(d);
}

static int64_t field_int(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;
	int r;

	memset(&v, 0, sizeof(v));
	r = pkt_field(p, name, idx, &v);
	if (r != 1)
		fail_msg("frame %u: no %s[%zu] (pkt_field: %d)", p->n, name, idx, r);
	assert_int_equal(v.type, FVAL_INT);
	return v.i;
}

static void assert_field_str(const struct pkt *p, const char *name, size_t idx, const char *want)
{
	struct fval v;
	int r;

	memset(&v, 0, sizeof(v));
	r = pkt_field(p, name, idx, &v);
	if (r != 1)
		fail_msg("frame %u: no %s[%zu] (pkt_field: %d)", p->n, name, idx, r);
	assert_int_equal(v.type, FVAL_STR);
	if (v.slen != strlen(want) || memcmp(v.s, want, v.slen))
		fail_msg("frame %u: %s[%zu] is \"%.*s\", not \"%s\"", p->n, name, idx, (int)v.slen,
			 v.s, want);
}

static void assert_no_field(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;
	int r = pkt_field(p, name, idx, &v);

	if (r != 0)
		fail_msg("frame %u: %s[%zu]: pkt_field returned %d, not 0", p->n, name, idx, r);
}

/* ---- one SYN, over every link type ---- */

/* clang-format off */
/* IPv4 (RFC 791 3.1), 20 bytes, no options. */
static const uint8_t syn_ip4[] = {
	0x45, 0x00, 0x00, 0x3c, /* version 4, IHL 5; total length 60 */
	0x1c, 0x46, 0x40, 0x00, /* id 0x1c46; DF, offset 0 */
	0x40, 0x06, 0x92, 0x4e, /* TTL 64, protocol 6 (TCP), checksum */
	0xc6, 0x12, 0x00, 0x01, /* 198.18.0.1 */
	0xc6, 0x12, 0x00, 0x02, /* 198.18.0.2 */
	/* TCP (RFC 9293 3.1), 40 bytes */
	0xa1, 0x12, 0x00, 0x50, /* 41234 -> 80 */
	0x9f, 0x2c, 0x1a, 0x30, /* seq 2670467632 */
	0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0xa0, 0x02, 0xfa, 0xf0, /* data offset 10 (40 bytes); SYN; window 64240 */
	0x50, 0x10, 0x00, 0x00, /* checksum, urgent pointer */
	0x02, 0x04, 0x05, 0xb4, /* MSS 1460 */
	0x04, 0x02,             /* SACK permitted */
	0x08, 0x0a,             /* timestamps: */
	0x0a, 0x0b, 0x0c, 0x0d, /*   TSval 168496141 */
	0x00, 0x00, 0x00, 0x00, /*   TSecr 0 */
	0x01,                   /* NOP */
	0x03, 0x03, 0x07,       /* window scale 7 (x128) */
};

/* The same SYN over IPv6 (RFC 8200 3) with a hop-by-hop options header
 * (RFC 8200 4.3) holding one PadN option. */
static const uint8_t syn_ip6[] = {
	0x60, 0x00, 0x00, 0x00, /* version 6, class 0, flow 0 */
	0x00, 0x30, 0x00, 0x40, /* payload length 48; next header 0 (hop-by-hop); hop limit 64 */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::2 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	/* hop-by-hop: next header 6 (TCP), length 0 (8 bytes), PadN of 4 */
	0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	/* TCP, 40 bytes: as above but MSS 1440 */
	0xa1, 0x12, 0x00, 0x50, /* 41234 -> 80 */
	0x9f, 0x2c, 0x1a, 0x30, /* seq 2670467632 */
	0x00, 0x00, 0x00, 0x00, /* ack 0 */
	0xa0, 0x02, 0xfa, 0xf0, /* data offset 10; SYN; window 64240 */
	0x80, 0xd7, 0x00, 0x00, /* checksum, urgent pointer */
	0x02, 0x04, 0x05, 0xa0, /* MSS 1440 */
	0x04, 0x02,             /* SACK permitted */
	0x08, 0x0a, 0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x00, /* TSval, TSecr */
	0x01,                   /* NOP */
	0x03, 0x03, 0x07,       /* window scale 7 */
};

/* Ethernet II: destination, source, EtherType 0x0800 (IPv4). */
static const uint8_t eth_ip4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* 02:00:00:00:00:02 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* 02:00:00:00:00:01 */
	0x08, 0x00,
};

/* Ethernet II with an 802.1Q tag (VLAN 100, priority 0), then IPv4. */
static const uint8_t eth_vlan_ip4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, /* TPID 802.1Q */
	0x00, 0x64, /* PCP 0, DEI 0, VID 100 */
	0x08, 0x00, /* IPv4 */
};

/* 802.1ad outer tag, 802.1Q inner tag (QinQ), then IPv4. */
static const uint8_t eth_qinq_ip4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x88, 0xa8, 0x00, 0x0a, /* S-tag, VID 10 */
	0x81, 0x00, 0x00, 0x64, /* C-tag, VID 100 */
	0x08, 0x00,
};

static const uint8_t eth_ip6[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, /* IPv6 */
};

/* Linux cooked capture v1 (LINKTYPE_LINUX_SLL), 16 bytes. */
static const uint8_t sll_ip4[] = {
	0x00, 0x04,                                     /* packet type 4: sent by us */
	0x00, 0x01,                                     /* ARPHRD_ETHER */
	0x00, 0x06,                                     /* address length 6 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* address, padded to 8 */
	0x08, 0x00,                                     /* protocol: IPv4 */
};

/* Linux cooked capture v2 (LINKTYPE_LINUX_SLL2), 20 bytes. */
static const uint8_t sll2_ip4[] = {
	0x08, 0x00,             /* protocol: IPv4 */
	0x00, 0x00,             /* reserved */
	0x00, 0x00, 0x00, 0x03, /* interface index 3 */
	0x00, 0x01,             /* ARPHRD_ETHER */
	0x04,                   /* packet type: sent by us */
	0x06,                   /* address length */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* address */
};

/* BSD loopback (LINKTYPE_NULL): AF_INET (2) in the writer's byte order. */
static const uint8_t null_le_ip4[] = { 0x02, 0x00, 0x00, 0x00 };
static const uint8_t null_be_ip4[] = { 0x00, 0x00, 0x00, 0x02 };
/* LINKTYPE_NULL with AF_INET6 as macOS writes it (30), little-endian. */
static const uint8_t null_le_ip6[] = { 0x1e, 0x00, 0x00, 0x00 };
/* OpenBSD loopback (LINKTYPE_LOOP): the family in network order. */
static const uint8_t loop_ip4[] = { 0x00, 0x00, 0x00, 0x02 };

struct variant {
	const char *name;
	int linktype;
	const uint8_t *link;
	size_t linklen;
	int v6;
	/* captured lengths below which that layer is truncated */
	size_t link_below;
};

#define V(n, lt, hdr, v6, below) { n, lt, hdr, sizeof(hdr), v6, below }
static const uint8_t none[1];
static const struct variant variants[] = {
	V("ethernet", LT_EN10MB, eth_ip4, 0, 14),
	V("vlan", LT_EN10MB, eth_vlan_ip4, 0, 18),
	V("qinq", LT_EN10MB, eth_qinq_ip4, 0, 22),
	V("sll", LT_LINUX_SLL, sll_ip4, 0, 16),
	V("sll2", LT_LINUX_SLL2, sll2_ip4, 0, 20),
	V("null", LT_NULL, null_le_ip4, 0, 4),
	V("null-be", LT_NULL, null_be_ip4, 0, 4),
	V("loop", LT_LOOP, loop_ip4, 0, 4),
	{ "raw", LT_RAW, none, 0, 0, 1 }, /* the version nibble is the link layer */
	{ "ipv4", LT_IPV4, none, 0, 0, 0 },
	V("ethernet-ipv6", LT_EN10MB, eth_ip6, 1, 14),
	V("null-ipv6", LT_NULL, null_le_ip6, 1, 4),
	{ "raw-ipv6", LT_RAW, none, 0, 1, 1 },
	{ "ipv6", LT_IPV6, none, 0, 1, 0 },
};
/* clang-format on */

static size_t variant_frame(const struct variant *v, uint8_t *buf, size_t cap)
{
	const uint8_t *ip = v->v6 ? syn_ip6 : syn_ip4;
	size_t iplen = v->v6 ? sizeof(syn_ip6) : sizeof(syn_ip4);

	assert_true(v->linklen + iplen <= cap);
	memcpy(buf, v->link, v->linklen);
	memcpy(buf + v->linklen, ip, iplen);
	return v->linklen + iplen;
}

/* What every variant's SYN must read as. */
static void check_syn(const struct pkt *p, int v6)
{
	static const uint8_t a4[] = { 198, 18, 0, 1 }, b4[] = { 198, 18, 0, 2 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	assert_string_equal(p->err, "");
	assert_int_equal(p->ipver, v6 ? 6 : 4);
	assert_memory_equal(p->src, v6 ? a6 : a4, v6 ? 16 : 4);
	assert_memory_equal(p->dst, v6 ? b6 : b4, v6 ? 16 : 4);
	assert_int_equal(p->ttl, 64);
	assert_int_equal(p->iplen, v6 ? 88 : 60); /* v6: payload length 48 + 40 */
	assert_int_equal(p->is_tcp, 1);
	assert_int_equal(p->sport, 41234);
	assert_int_equal(p->dport, 80);
	assert_int_equal(p->flags, TCPF_SYN);
	assert_int_equal(p->ack_valid, 0);
	assert_int_equal(p->seq_raw, 2670467632u);
	assert_int_equal(p->seq, 0);
	assert_int_equal(p->nxtseq, 1);
	assert_int_equal(p->len, 0);
	assert_int_equal(p->hdrlen, 40);
	assert_int_equal(p->win, 64240);
	assert_int_equal(p->win_scaled, 64240); /* a SYN's window is never scaled */
	assert_int_equal(p->stream, 0);
	assert_int_equal(p->dir, PKT_DIR_CLIENT);
	assert_int_equal(p->analysis, 0);
	assert_string_equal(p->opts, v6 ? " MSS=1440 SACK_PERM TSval=168496141 TSecr=0 WS=128"
					: " MSS=1460 SACK_PERM TSval=168496141 TSecr=0 WS=128");
	assert_non_null(strstr(p->info, "41234 → 80 [SYN] Seq=0 Win=64240 Len=0"));
}

static void test_syn_every_link_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *v = &variants[i];
		uint8_t f[128];
		size_t n = variant_frame(v, f, sizeof(f));
		struct pkt p;

		memset(&p, 0, sizeof(p));
		dump_open(v->name, v->linktype);
		dissect_one(v->linktype, f, (uint32_t)n, (uint32_t)n, &p);
		dump_close();
		print_message("%s\n", v->name);
		check_syn(&p, v->v6);
		assert_int_equal(p.n, 1);
		assert_int_equal(p.wirelen, n);
		assert_int_equal(p.caplen, n);
		pkt_clear(&p);
	}
}

/* Cut at every length from 0 to the whole frame: never a crash, never a
 * read past the cut (ASan), and the error names the layer that is cut. */
static void test_syn_truncated_everywhere(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *v = &variants[i];
		uint8_t f[128];
		size_t full = variant_frame(v, f, sizeof(f));
		size_t ip = v->linklen, iph = v->v6 ? 40 : 20, ext = v->v6 ? 8 : 0;
		struct pkt p;

		memset(&p, 0, sizeof(p));
		for (size_t n = 0; n <= full; n++) {
			const char *want;

			if (n < v->link_below)
				want = "link: truncated header";
			else if (n < ip + iph)
				want = v->v6 ? "ipv6: truncated header" : "ipv4: truncated header";
			else if (n < ip + iph + ext)
				want = "ipv6: truncated extension header";
			else if (n < ip + iph + ext + 20)
				want = "tcp: truncated header";
			else if (n < full)
				want = "tcp: truncated options";
			else
				want = "";
			dissect_one(v->linktype, f, (uint32_t)n, (uint32_t)full, &p);
			print_message("%s cut at %zu: \"%s\"\n", v->name, n, p.err);
			assert_string_equal(p.err, want);
			assert_int_equal(p.is_tcp, n == full);
			assert_int_equal(p.stream, n == full ? 0 : -1);
			assert_int_equal(p.wirelen, full);
			assert_int_equal(p.caplen, n);
		}
		pkt_clear(&p);
	}
}

/* clang-format off */
/* An ACK with 10 bytes of data "0123456789", Ethernet + IPv4 + TCP (no
 * options), cut by the snaplen inside the payload. */
static const uint8_t data_frame[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x32, /* total length 50 = 20 + 20 + 10 */
	0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, /* checksum left 0 */
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0xa1, 0x12, 0x00, 0x50, /* 41234 -> 80 */
	0x00, 0x00, 0x10, 0x01, /* seq 4097 */
	0x00, 0x00, 0x20, 0x01, /* ack 8193 */
	0x50, 0x18, 0x01, 0xf6, /* data offset 5; PSH ACK; window 502 */
	0x00, 0x00, 0x00, 0x00,
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
};
/* clang-format on */

static void test_payload_cut_by_snaplen(void **state)
{
	const size_t hdrs = 14 + 20 + 20, full = sizeof(data_frame);
	struct pkt p;
	char want[80];

	(void)state;
	memset(&p, 0, sizeof(p));
	for (size_t n = hdrs; n <= full; n++) {
		dissect_one(LT_EN10MB, data_frame, (uint32_t)n, (uint32_t)full, &p);
		assert_int_equal(p.is_tcp, 1);
		/* tcp.len comes from IP's total length, as in Wireshark. */
		assert_int_equal(p.len, 10);
		assert_int_equal(p.seq, 1); /* mid-stream: first seq - 1 is the base */
		assert_int_equal(p.nxtseq, 11);
		if (n < full) {
			snprintf(want, sizeof(want),
				 "tcp: payload cut short (%zu of 10 bytes captured)", n - hdrs);
			assert_string_equal(p.err, want);
		} else {
			assert_string_equal(p.err, "");
		}
	}
	pkt_clear(&p);
}

/* An IP total length beyond the frame when nothing was cut (caplen equals
 * the length on the wire) is a lie, not a truncation. tshark 4.0: "IPv4
 * total length exceeds packet length (50 bytes)" (an IPv4 error), and
 * tcp.len 10 from the bytes the frame holds. */
static void test_ip_length_beyond_frame(void **state)
{
	uint8_t f[sizeof(data_frame)];
	struct pkt p;

	(void)state;
	memcpy(f, data_frame, sizeof(f));
	f[14 + 3] = 100; /* total length 100; the frame holds 50 bytes of IP */
	memset(&p, 0, sizeof(p));
	dump_open("ip-length-lie", LT_EN10MB);
	dissect_one(LT_EN10MB, f, sizeof(f), sizeof(f), &p);
	dump_close();
	print_message("err \"%s\", len %u\n", p.err, p.len);
	assert_int_equal(p.is_tcp, 1);
	assert_int_equal(p.len, 10);
	assert_int_equal(p.nxtseq, 11);
	assert_int_equal(strncmp(p.err, "ipv4: ", 6), 0);
	pkt_clear(&p);
}

/* IPv4 options (RFC 791 3.1): IHL 6, a Router Alert option (RFC 2113). */
static void test_ipv4_options(void **state)
{
	/* clang-format off */
	static const uint8_t f[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x46, 0x00, 0x00, 0x2f, /* IHL 6 (24 bytes); total 47 = 24 + 20 + 3 */
		0x00, 0x02, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		0x94, 0x04, 0x00, 0x00, /* Router Alert */
		0xa1, 0x12, 0x00, 0x50, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x20, 0x01,
		0x50, 0x18, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00,
		'a', 'b', 'c',
	};
	/* clang-format on */
	struct pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	dump_open("ipv4-options", LT_EN10MB);
	dissect_one(LT_EN10MB, f, sizeof(f), sizeof(f), &p);
	dump_close();
	assert_string_equal(p.err, "");
	assert_int_equal(p.iplen, 47);
	assert_int_equal(p.is_tcp, 1);
	assert_int_equal(p.sport, 41234);
	assert_int_equal(p.len, 3);
	assert_int_equal(p.hdrlen, 20);
	/* Cut inside the options: the IP layer says so. */
	for (size_t n = 14 + 20; n < 14 + 24; n++) {
		dissect_one(LT_EN10MB, f, (uint32_t)n, sizeof(f), &p);
		assert_string_equal(p.err, "ipv4: truncated options");
		assert_int_equal(p.is_tcp, 0);
	}
	pkt_clear(&p);
}

/* A pure ACK is 54 bytes; Ethernet pads it to 60. The padding is not TCP
 * payload: IP's total length bounds the segment. */
static void test_ethernet_padding(void **state)
{
	/* clang-format off */
	static const uint8_t f[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x29, /* total length 41: 20 + 20 + 1 byte of data */
		0x00, 0x03, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		0xa1, 0x12, 0x00, 0x50, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x20, 0x01,
		0x50, 0x10, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00,
		'x',                          /* the one byte */
		0x00, 0x00, 0x00, 0x00, 0x00, /* Ethernet padding to 60 bytes */
	};
	/* clang-format on */
	struct pkt p;

	(void)state;
	assert_int_equal(sizeof(f), 60);
	memset(&p, 0, sizeof(p));
	dump_open("ethernet-padding", LT_EN10MB);
	dissect_one(LT_EN10MB, f, sizeof(f), sizeof(f), &p);
	dump_close();
	assert_string_equal(p.err, "");
	assert_int_equal(p.len, 1);
	assert_int_equal(p.nxtseq, 2);
	assert_int_equal(field_int(&p, "frame.len", 0), 60);
	assert_int_equal(field_int(&p, "ip.len", 0), 41);
	assert_int_equal(field_int(&p, "tcp.len", 0), 1);
	pkt_clear(&p);
}

/* Frames that are not TCP: listed, not TCP, no error. */
static void test_not_tcp(void **state)
{
	/* clang-format off */
	/* ARP request (RFC 826), padded to 60 bytes. */
	static const uint8_t arp[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* Ethernet/IPv4, request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198, 18, 0, 1,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198, 18, 0, 2,
	};
	/* UDP over IPv4: 198.18.0.1:5353 -> 198.18.0.2:53, 4 bytes of data. */
	static const uint8_t udp[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x20, 0x00, 0x04, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		0x14, 0xe9, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 'a', 'b', 'c', 'd',
	};
	/* A non-first IPv4 fragment of a TCP segment (offset 8 x 185). */
	static const uint8_t frag[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, 0xb9, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	/* IPv6 ICMPv6 echo request, no extension headers. */
	static const uint8_t icmp6[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, /* payload 8, next 58 */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	};
	/* clang-format on */
	struct pkt p;
	struct dissect *d = NULL;
	char err[128];

	(void)state;
	memset(&p, 0, sizeof(p));
	dump_open("not-tcp", LT_EN10MB);
	dissect_one(LT_EN10MB, arp, sizeof(arp), sizeof(arp), &p);
	assert_string_equal(p.info, "ARP");
	assert_int_equal(p.ipver, 0);
	assert_int_equal(p.is_tcp, 0);
	assert_int_equal(p.stream, -1);
	assert_string_equal(p.err, "");
	assert_no_field(&p, "ip.src", 0);
	assert_no_field(&p, "tcp.seq", 0);
	assert_int_equal(field_int(&p, "frame.len", 0), 60);

	dissect_one(LT_EN10MB, udp, sizeof(udp), sizeof(udp), &p);
	assert_string_equal(p.info, "IPv4 protocol 17");
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.is_tcp, 0);
	assert_string_equal(p.err, "");
	assert_field_str(&p, "ip.dst", 0, "198.18.0.2");
	assert_no_field(&p, "tcp.srcport", 0);

	dissect_one(LT_EN10MB, frag, sizeof(frag), sizeof(frag), &p);
	assert_string_equal(p.info, "IPv4 fragment (offset 1480)");
	assert_int_equal(p.is_tcp, 0);
	assert_string_equal(p.err, "");

	dissect_one(LT_EN10MB, icmp6, sizeof(icmp6), sizeof(icmp6), &p);
	assert_string_equal(p.info, "ICMPv6");
	assert_int_equal(p.ipver, 6);
	assert_field_str(&p, "ip.src", 0, "2001:db8::1");
	assert_int_equal(p.is_tcp, 0);
	dump_close();

	/* Link types wirelab does not read are refused up front. */
	assert_int_equal(dissect_linktype_supported(LT_EN10MB), 1);
	assert_int_equal(dissect_linktype_supported(147), 0); /* USER0 */
	assert_int_not_equal(dissect_new(147, &d, err, sizeof(err)), 0);
	assert_null(d);
	assert_string_equal(err, "unsupported link-layer type 147");
	pkt_clear(&p);
}

/* IP and TCP headers that are invalid (not cut): the error names the layer
 * and says what is wrong, and the frame is not read as TCP. tshark 4.0 calls
 * them "Bogus IPv4 version", "Bogus IP header length", "Bogus IP length",
 * "Bogus TCP header length" and (the last) "Short segment ... [Malformed
 * Packet: TCP]". */
static void test_malformed_headers(void **state)
{
	/* clang-format off */
	/* EtherType IPv4, but the version nibble says 6. */
	static const uint8_t badver[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x65, 0x00, 0x00, 0x28, 0x00, 0x06, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	};
	/* IHL 4: shorter than the fixed header. */
	static const uint8_t badihl[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x44, 0x00, 0x00, 0x28, 0x00, 0x06, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	};
	/* Total length 16: less than the header it is in. */
	static const uint8_t badtotal[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x10, 0x00, 0x06, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	};
	/* TCP data offset 4 (16 bytes): less than the fixed header. */
	static const uint8_t badoff[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x28, 0x00, 0x07, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		0xa1, 0x12, 0x00, 0x50, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x20, 0x01,
		0x40, 0x10, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00,
	};
	/* TCP data offset 6 (24 bytes), captured, but IP's total length (40)
	 * leaves room for 20: the header runs past the IP payload. */
	static const uint8_t offpastip[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x28, 0x00, 0x08, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
		0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
		0xa1, 0x12, 0x00, 0x50, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x20, 0x01,
		0x60, 0x10, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x01, 0x01, 0x01, /* NOPs, beyond IP's length */
	};
	/* clang-format on */
	struct pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	dissect_one(LT_EN10MB, badver, sizeof(badver), sizeof(badver), &p);
	assert_string_equal(p.err, "ipv4: invalid header (version 6, ihl 20, length 40)");
	assert_int_equal(p.is_tcp, 0);
	dissect_one(LT_EN10MB, badihl, sizeof(badihl), sizeof(badihl), &p);
	assert_string_equal(p.err, "ipv4: invalid header (version 4, ihl 16, length 40)");
	dissect_one(LT_EN10MB, badtotal, sizeof(badtotal), sizeof(badtotal), &p);
	assert_string_equal(p.err, "ipv4: invalid header (version 4, ihl 20, length 16)");
	dissect_one(LT_EN10MB, badoff, sizeof(badoff), sizeof(badoff), &p);
	assert_string_equal(p.err, "tcp: invalid data offset 16");
	assert_int_equal(p.is_tcp, 0);
	dissect_one(LT_EN10MB, offpastip, sizeof(offpastip), sizeof(offpastip), &p);
	assert_string_equal(p.err, "tcp: header length 24 beyond the IP payload (20)");
	assert_int_equal(p.is_tcp, 0);
	pkt_clear(&p);
}

/* ---- TCP streams, built segment by segment ---- */

/* Ethernet + IPv4 (or IPv6) + TCP between 198.18.0.1 (client) and
 * 198.18.0.2 (server), with valid checksums. */
struct wr {
	uint8_t *p;
	size_t n, cap;
};

static void w8(struct wr *w, uint8_t v)
{
	assert_true(w->n < w->cap);
	w->p[w->n++] = v;
}

static void w16(struct wr *w, uint16_t v)
{
	w8(w, (uint8_t)(v >> 8));
	w8(w, (uint8_t)v);
}

static void w32(struct wr *w, uint32_t v)
{
	w16(w, (uint16_t)(v >> 16));
	w16(w, (uint16_t)v);
}

static void wbytes(struct wr *w, const void *b, size_t n)
{
	assert_true(w->n + n <= w->cap);
	memcpy(w->p + w->n, b, n);
	w->n += n;
}

static uint32_t sum16(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct conv {
	struct dissect *d;
	struct pkt p;
	int64_t ts; /* microseconds */
	int v6;
	uint16_t port[2]; /* client, server */
	uint32_t isn[2];  /* raw seq = isn + the relative number given */
	uint16_t win[2];
	uint8_t buf[4096];
};

static void conv_init(struct conv *c, const char *name, uint16_t cport, uint32_t cisn,
		      uint32_t sisn)
{
	memset(c, 0, sizeof(*c));
	c->d = dnew(LT_EN10MB);
	c->ts = T0;
	c->port[0] = cport;
	c->port[1] = 80;
	c->isn[0] = cisn;
	c->isn[1] = sisn;
	c->win[0] = 502;
	c->win[1] = 509;
	dump_open(name, LT_EN10MB);
}

static void conv_free(struct conv *c)
{
	dump_close();
	pkt_clear(&c->p);
	dissect_free(c->d);
}

/* One segment from dir (0 client, 1 server), dt microseconds after the
 * previous one; seq and ack relative to the ISNs. A SYN carries MSS,
 * SACK_PERM and WS=7 (so later windows are scaled by 128). */
static const struct pkt *segn(struct conv *c, int dir, int64_t dt, uint8_t flags, uint32_t seq,
			      uint32_t ack, const void *data, size_t len)
{
	static const uint8_t synopt[] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
					  0x01, 0x03, 0x03, 0x07, 0x00, 0x00 };
	const uint8_t *opt = flags & TCPF_SYN ? synopt : NULL;
	size_t optlen = opt ? sizeof(synopt) : 0, thl = 20 + optlen;
	struct wr w = { c->buf, 0, sizeof(c->buf) };
	uint8_t a[2][16] = { { 198, 18, 0, 1 }, { 198, 18, 0, 2 } };
	size_t alen = c->v6 ? 16 : 4, ip0, tcp0;
	uint32_t s;

	if (c->v6) {
		static const uint8_t pre[] = { 0x20, 0x01, 0x0d, 0xb8 };

		memset(a, 0, sizeof(a));
		memcpy(a[0], pre, 4);
		memcpy(a[1], pre, 4);
		a[0][15] = 1;
		a[1][15] = 2;
	}
	/* Ethernet */
	wbytes(&w, "\x02\x00\x00\x00\x00", 5);
	w8(&w, (uint8_t)(dir ? 1 : 2));
	wbytes(&w, "\x02\x00\x00\x00\x00", 5);
	w8(&w, (uint8_t)(dir ? 2 : 1));
	w16(&w, c->v6 ? 0x86dd : 0x0800);
	ip0 = w.n;
	if (c->v6) {
		w32(&w, 0x60000000);
		w16(&w, (uint16_t)(thl + len));
		w8(&w, 6);
		w8(&w, 64);
	} else {
		w16(&w, 0x4500);
		w16(&w, (uint16_t)(20 + thl + len));
		w16(&w, 0);
		w16(&w, 0x4000);
		w8(&w, 64);
		w8(&w, 6);
		w16(&w, 0);
	}
	wbytes(&w, a[dir], alen);
	wbytes(&w, a[!dir], alen);
	if (!c->v6) {
		uint16_t ck = fold(sum16(0, w.p + ip0, 20));

		w.p[ip0 + 10] = (uint8_t)(ck >> 8);
		w.p[ip0 + 11] = (uint8_t)ck;
	}
	tcp0 = w.n;
	w16(&w, c->port[dir]);
	w16(&w, c->port[!dir]);
	w32(&w, c->isn[dir] + seq);
	w32(&w, flags & TCPF_ACK ? c->isn[!dir] + ack : 0);
	w8(&w, (uint8_t)(thl / 4 << 4));
	w8(&w, flags);
	w16(&w, c->win[dir]);
	w32(&w, 0); /* checksum, urgent pointer */
	if (opt)
		wbytes(&w, opt, optlen);
	if (len)
		wbytes(&w, data, len);
	/* RFC 9293 3.1: the checksum covers a pseudo-header */
	s = sum16(0, a[dir], alen);
	s = sum16(s, a[!dir], alen);
	s += 6 + (uint32_t)(w.n - tcp0);
	s = sum16(s, w.p + tcp0, w.n - tcp0);
	uint16_t ck = fold(s);

	w.p[tcp0 + 16] = (uint8_t)(ck >> 8);
	w.p[tcp0 + 17] = (uint8_t)ck;
	c->ts += dt;
	dissect_copy(c->d, c->ts, w.p, (uint32_t)w.n, (uint32_t)w.n, &c->p);
	assert_string_equal(c->p.err, "");
	return &c->p;
}

static const struct pkt *seg(struct conv *c, int dir, int64_t dt, uint8_t flags, uint32_t seq,
			     uint32_t ack, const char *data)
{
	return segn(c, dir, dt, flags, seq, ack, data, data ? strlen(data) : 0);
}

#define C   0 /* from the client */
#define S   1 /* from the server */
#define SYN TCPF_SYN
#define ACK TCPF_ACK
#define FIN TCPF_FIN
#define RST TCPF_RST
#define PSH TCPF_PSH

/* tshark's columns for one packet: tcp.seq, tcp.ack (0 without ACK),
 * tcp.len, tcp.nxtseq, tcp.stream, and the direction. */
static void expect(const struct pkt *p, uint32_t seq, uint32_t ack, uint32_t len, uint32_t nxtseq,
		   int32_t stream, int dir)
{
	print_message("frame %u: seq %u ack %u len %u nxtseq %u stream %d dir %d\n", p->n, p->seq,
		      p->ack_valid ? p->ack : 0, p->len, p->nxtseq, p->stream, p->dir);
	assert_int_equal(p->is_tcp, 1);
	assert_int_equal(p->seq, seq);
	assert_int_equal(field_int(p, "tcp.seq", 0), seq);
	assert_int_equal(field_int(p, "tcp.ack", 0), ack);
	assert_int_equal(p->len, len);
	assert_int_equal(p->nxtseq, nxtseq);
	assert_int_equal(p->stream, stream);
	assert_int_equal(p->dir, dir);
}

static size_t nhttp(const struct pkt *p)
{
	size_t n = 0;
	struct fval v;

	while (pkt_field(p, "http", n, &v) == 1)
		n++;
	return n;
}

static const char get_req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"; /* 27 bytes */

/* The notes' exchange. The client's ISN is 16 below 2^32, so its raw
 * numbers wrap in the middle of the request: relative numbers do not. */
static void test_relative_numbers(void **state)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"; /* 43 */
	struct conv c;
	const struct pkt *p;

	(void)state;
	assert_int_equal(strlen(get_req), 27);
	assert_int_equal(strlen(resp), 43);
	conv_init(&c, "relative", 41234, 0xfffffff0u, 0x12345678u);
	expect(seg(&c, C, 0, SYN, 0, 0, NULL), 0, 0, 0, 1, 0, C);
	p = seg(&c, S, 100, SYN | ACK, 0, 1, NULL);
	expect(p, 0, 1, 0, 1, 0, S);
	assert_int_equal(p->ack_raw, 0xfffffff1u);
	/* Both SYNs had WS=7: from now on the window is scaled. */
	p = seg(&c, C, 100, ACK, 1, 1, NULL);
	expect(p, 1, 1, 0, 1, 0, C);
	assert_int_equal(p->win_scaled, 502 * 128);
	assert_int_equal(field_int(p, "tcp.window_size", 0), 502 * 128);
	assert_int_equal(field_int(p, "tcp.window_size_value", 0), 502);
	p = seg(&c, C, 100, PSH | ACK, 1, 1, get_req);
	expect(p, 1, 1, 27, 28, 0, C);
	assert_int_equal(p->seq_raw, 0xfffffff1u);
	assert_int_equal(p->nxtseq, 28); /* raw 0x0000000c: wrapped */
	expect(seg(&c, S, 100, ACK, 1, 28, NULL), 1, 28, 0, 1, 0, S);
	expect(seg(&c, S, 100, PSH | ACK, 1, 28, resp), 1, 28, 43, 44, 0, S);
	expect(seg(&c, C, 100, ACK, 28, 44, NULL), 28, 44, 0, 28, 0, C);
	/* The FIN takes one sequence number, like the SYN: the ghost byte. */
	expect(seg(&c, S, 100, FIN | ACK, 44, 28, NULL), 44, 28, 0, 45, 0, S);
	expect(seg(&c, C, 100, FIN | ACK, 28, 45, NULL), 28, 45, 0, 29, 0, C);
	p = seg(&c, S, 100, ACK, 45, 29, NULL);
	expect(p, 45, 29, 0, 45, 0, S);
	assert_int_equal(p->analysis, 0);
	assert_int_equal(dissect_nstreams(c.d), 1);
	conv_free(&c);
}

/* The same over IPv6. */
static void test_relative_numbers_ipv6(void **state)
{
	struct conv c;

	(void)state;
	conv_init(&c, "relative-ipv6", 41234, 1000, 2000);
	c.v6 = 1;
	expect(seg(&c, C, 0, SYN, 0, 0, NULL), 0, 0, 0, 1, 0, C);
	expect(seg(&c, S, 100, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 0, S);
	expect(seg(&c, C, 100, ACK, 1, 1, NULL), 1, 1, 0, 1, 0, C);
	expect(seg(&c, C, 100, PSH | ACK, 1, 1, get_req), 1, 1, 27, 28, 0, C);
	assert_field_str(&c.p, "ip.src", 0, "2001:db8::1");
	assert_int_equal(field_int(&c.p, "ip.len", 0), 40 + 20 + 27);
	assert_int_equal(field_int(&c.p, "http.request", 0), 1);
	conv_free(&c);
}

/* A capture that starts in the middle: no SYN. As tshark 4.0 shows it, each
 * side's base is its first seq - 1 (so its first segment reads Seq=1), and
 * a side not yet heard from takes the other side's ack - 1 (Ack=1). */
static void test_midstream_client_first(void **state)
{
	struct conv c;

	(void)state;
	conv_init(&c, "midstream", 41234, 5000000, 7000000);
	/* The client's request, 27 bytes at raw 5000100. */
	expect(seg(&c, C, 0, PSH | ACK, 100, 200, get_req), 1, 1, 27, 28, 0, C);
	expect(seg(&c, S, 100, ACK, 200, 127, NULL), 1, 28, 0, 1, 0, S);
	expect(seg(&c, S, 100, PSH | ACK, 200, 127, "HTTP/1.1 204 No Content\r\n\r\n"), 1, 28, 27,
	       28, 0, S);
	expect(seg(&c, C, 100, ACK, 127, 227, NULL), 28, 28, 0, 28, 0, C);
	expect(seg(&c, C, 100, FIN | ACK, 127, 227, NULL), 28, 28, 0, 29, 0, C);
	expect(seg(&c, S, 100, FIN | ACK, 227, 128, NULL), 28, 29, 0, 29, 0, S);
	expect(seg(&c, C, 100, ACK, 128, 228, NULL), 29, 29, 0, 29, 0, C);
	conv_free(&c);
}

/* Mid-stream, the first segment a server's pure ACK, then its data. */
static void test_midstream_server_ack_first(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "midstream-server", 41234, 5000000, 7000000);
	/* The sender of the first segment seen is the stream's "client" for
	 * wirelab's direction; tshark has no direction: only numbers count. */
	p = seg(&c, S, 0, ACK, 300, 50, NULL);
	expect(p, 1, 1, 0, 1, 0, p->dir);
	p = seg(&c, S, 100, PSH | ACK, 300, 50, "abcdefghij");
	expect(p, 1, 1, 10, 11, 0, p->dir);
	p = seg(&c, C, 100, ACK, 50, 310, NULL);
	expect(p, 1, 11, 0, 1, 0, p->dir);
	conv_free(&c);
}

/* Mid-stream, the server's response first (a capture started between the
 * request and the response): tshark lists the HTTP response at frame 1. */
static void test_midstream_response_first(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "midstream-response", 41234, 5000000, 7000000);
	p = seg(&c, S, 0, PSH | ACK, 300, 50, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	expect(p, 1, 1, 40, 41, 0, p->dir);
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_int_equal(field_int(p, "http.body_length", 0), 2);
	p = seg(&c, C, 100, ACK, 50, 340, NULL);
	expect(p, 1, 41, 0, 1, 0, p->dir);
	/* The next request and response on the connection. */
	p = seg(&c, C, 100, PSH | ACK, 50, 340, get_req);
	assert_int_equal(nhttp(p), 1);
	assert_field_str(p, "http.request.method", 0, "GET");
	p = seg(&c, S, 100, PSH | ACK, 340, 77, "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 204);
	conv_free(&c);
}

static void handshake(struct conv *c)
{
	expect(seg(c, C, 0, SYN, 0, 0, NULL), 0, 0, 0, 1, 0, C);
	expect(seg(c, S, 50, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 0, S);
	expect(seg(c, C, 50, ACK, 1, 1, NULL), 1, 1, 0, 1, 0, C);
}

static char block[2000];

static const struct pkt *data(struct conv *c, int dir, int64_t dt, uint32_t seq, uint32_t ack,
			      size_t len)
{
	return segn(c, dir, dt, PSH | ACK, seq, ack, block, len);
}

/* A segment sent again after 200 ms, below the highest seq seen. */
static void test_retransmission(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "retransmission", 41234, 1000, 900000);
	handshake(&c);
	p = data(&c, C, 1000, 1, 1, 100);
	assert_int_equal(p->analysis, 0);
	p = data(&c, C, 100, 101, 1, 100);
	assert_int_equal(p->analysis, 0);
	p = data(&c, C, 200000, 1, 1, 100);
	expect(p, 1, 1, 100, 101, 0, C);
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	assert_int_equal(field_int(p, "tcp.analysis.retransmission", 0), 1);
	assert_no_field(p, "tcp.analysis.out_of_order", 0);
	assert_non_null(strstr(p->info, "[TCP Retransmission]"));
	/* A retransmitted SYN is no new stream. */
	p = seg(&c, S, 100, ACK, 1, 201, NULL);
	assert_int_equal(p->analysis, 0);
	assert_no_field(p, "tcp.analysis.retransmission", 0);
	conv_free(&c);
}

/* A handshake whose SYN-ACK comes syn_ack us after the SYN and whose ACK
 * comes ack us after the SYN-ACK. */
static void handshake_timed(struct conv *c, int64_t syn_ack, int64_t ack)
{
	seg(c, C, 0, SYN, 0, 0, NULL);
	seg(c, S, syn_ack, SYN | ACK, 0, 1, NULL);
	seg(c, C, ack, ACK, 1, 1, NULL);
}

/* Segments seq..seq+99, then seq+200.., then the hole seq+100.. `fill` us
 * later; returns the hole's segment. */
static const struct pkt *hole(struct conv *c, uint32_t seq, int64_t fill)
{
	data(c, C, 1000, seq, 1, 100);
	data(c, C, 100, seq + 200, 1, 100);
	return data(c, C, fill, seq + 100, 1, 100);
}

/* Out-of-order or retransmission: tshark 4.0 calls a segment below the
 * highest seq out-of-order when it comes within the connection's first RTT
 * (SYN to the ACK that ends the handshake) of the segment that went
 * highest, or within 3 ms when no handshake was seen; otherwise it is a
 * retransmission. Here the first RTT is 10 ms: 6 and 9 ms are reordering,
 * 12 ms a retransmission (tshark: frames 9, 12, 15). */
static void test_out_of_order(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "out-of-order", 41234, 1000, 900000);
	handshake_timed(&c, 2000, 8000);
	p = hole(&c, 1, 500);
	expect(p, 101, 1, 100, 201, 0, C);
	assert_int_equal(p->analysis, PKT_AN_OUT_OF_ORDER);
	assert_int_equal(field_int(p, "tcp.analysis.out_of_order", 0), 1);
	assert_no_field(p, "tcp.analysis.retransmission", 0);
	assert_non_null(strstr(p->info, "[TCP Out-Of-Order]"));
	p = hole(&c, 301, 6000);
	assert_int_equal(p->analysis, PKT_AN_OUT_OF_ORDER);
	p = hole(&c, 601, 9000);
	assert_int_equal(p->analysis, PKT_AN_OUT_OF_ORDER);
	p = hole(&c, 901, 12000);
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	assert_no_field(p, "tcp.analysis.out_of_order", 0);
	conv_free(&c);
}

/* With a 100 us first RTT, a hole filled 500 us later is a retransmission,
 * though it is under 3 ms. */
static void test_out_of_order_fast_rtt(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "out-of-order-rtt", 41234, 1000, 900000);
	handshake_timed(&c, 50, 50);
	p = hole(&c, 1, 500);
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	p = hole(&c, 301, 20);
	assert_int_equal(p->analysis, PKT_AN_OUT_OF_ORDER);
	conv_free(&c);
}

/* No handshake in the capture: the threshold is 3 ms. */
static void test_out_of_order_midstream(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "out-of-order-midstream", 41234, 1000, 900000);
	p = hole(&c, 1, 2000);
	expect(p, 1 + 100, 1, 100, 201, 0, C);
	assert_int_equal(p->analysis, PKT_AN_OUT_OF_ORDER);
	p = hole(&c, 301, 4000);
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	conv_free(&c);
}

/* Data sent again after it was acknowledged: tshark's Spurious
 * Retransmission, with both tcp.analysis.retransmission and
 * tcp.analysis.spurious_retransmission. */
static void test_spurious_retransmission(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "spurious-retransmission", 41234, 1000, 900000);
	handshake(&c);
	data(&c, C, 1000, 1, 1, 100);
	seg(&c, S, 100, ACK, 1, 101, NULL);
	p = data(&c, C, 300000, 1, 1, 100);
	assert_int_equal(field_int(p, "tcp.analysis.retransmission", 0), 1);
	assert_int_equal(field_int(p, "tcp.analysis.spurious_retransmission", 0), 1);
	conv_free(&c);
}

/* 101..200 lost; two duplicate ACKs of 101, and 101.. again within 20 ms of
 * the last: tshark's Fast Retransmission (tcp.analysis.retransmission and
 * .fast_retransmission), though it also fills the hole within the first
 * RTT. */
static void test_fast_retransmission(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "fast-retransmission", 41234, 1000, 900000);
	handshake(&c);
	data(&c, C, 1000, 1, 1, 100);
	data(&c, C, 100, 201, 1, 100);
	seg(&c, S, 100, ACK, 1, 101, NULL);
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, PKT_AN_DUP_ACK);
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, PKT_AN_DUP_ACK);
	p = data(&c, C, 20, 101, 1, 100);
	assert_int_equal(field_int(p, "tcp.analysis.retransmission", 0), 1);
	assert_no_field(p, "tcp.analysis.out_of_order", 0);
	conv_free(&c);
}

/* RFC 5681 2's duplicate ACK as Wireshark flags it: a pure ACK repeating
 * the previous ACK number and window of its side. */
static void test_duplicate_ack(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "dup-ack", 41234, 1000, 900000);
	handshake(&c);
	data(&c, C, 1000, 1, 1, 100);
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, 0);
	data(&c, C, 100, 201, 1, 100); /* 101..200 lost */
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, PKT_AN_DUP_ACK);
	assert_int_equal(field_int(p, "tcp.analysis.duplicate_ack", 0), 1);
	assert_non_null(strstr(p->info, "[TCP Dup ACK"));
	data(&c, C, 100, 301, 1, 100);
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, PKT_AN_DUP_ACK);
	/* A new window is a window update, not a duplicate. */
	c.win[S] = 600;
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, 0);
	/* Data is never a duplicate ACK. */
	p = data(&c, S, 100, 1, 101, 10);
	assert_int_equal(p->analysis, 0);
	conv_free(&c);
}

/* tshark 4.0 flags a repeated pure ACK as a duplicate even when it already
 * acknowledges everything the other side sent (packet-tcp.c's rule has no
 * "outstanding data" condition): e.g. the client ACKing a retransmitted
 * SYN-ACK twice (tests/pcap/http-python-synloss.pcap, frame 7). */
static void test_duplicate_ack_nothing_outstanding(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "dup-ack-idle", 41234, 1000, 900000);
	handshake(&c);
	p = seg(&c, S, 1000000, SYN | ACK, 0, 1, NULL); /* the SYN-ACK again */
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	p = seg(&c, C, 50, ACK, 1, 1, NULL);
	assert_int_equal(p->analysis, PKT_AN_DUP_ACK);
	conv_free(&c);
}

/* A receiver with a closed window repeats its ACK: tshark 4.0 calls that a
 * zero window, never a duplicate ACK (its rule needs a non-zero window). */
static void test_duplicate_ack_zero_window(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "dup-ack-zero-window", 41234, 1000, 900000);
	handshake(&c);
	data(&c, C, 1000, 1, 1, 100);
	c.win[S] = 0;
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(p->analysis, PKT_AN_ZERO_WINDOW);
	p = seg(&c, S, 100, ACK, 1, 101, NULL);
	assert_int_equal(field_int(p, "tcp.analysis.zero_window", 0), 1);
	assert_no_field(p, "tcp.analysis.duplicate_ack", 0);
	conv_free(&c);
}

/* A keep-alive: one byte (or none) at the next seq - 1. */
static void test_keep_alive(void **state)
{
	struct conv c;
	const struct pkt *p;

	(void)state;
	conv_init(&c, "keep-alive", 41234, 1000, 900000);
	handshake(&c);
	data(&c, C, 1000, 1, 1, 100);
	seg(&c, S, 100, ACK, 1, 101, NULL);
	p = seg(&c, C, 7000000, ACK, 100, 1, NULL);
	expect(p, 100, 1, 0, 100, 0, C);
	assert_int_equal(p->analysis, PKT_AN_KEEP_ALIVE);
	assert_int_equal(field_int(p, "tcp.analysis.keep_alive", 0), 1);
	conv_free(&c);
}

/* tcp.stream: one number per connection, in order of first packet; a SYN
 * that reuses the ports of a closed connection starts a new one; a SYN sent
 * again does not. */
static void test_stream_numbering(void **state)
{
	struct conv a, b;
	const struct pkt *p;

	(void)state;
	conv_init(&a, "streams", 40000, 1000, 5000);
	/* Two connections interleaved in one capture: b shares a's dissector. */
	b = a;
	b.port[0] = 40001;
	b.isn[0] = 70000;
	b.isn[1] = 90000;
	p = seg(&a, C, 0, SYN, 0, 0, NULL);
	expect(p, 0, 0, 0, 1, 0, C);
	b.ts = a.ts;
	b.d = a.d;
	p = seg(&b, C, 10, SYN, 0, 0, NULL);
	expect(p, 0, 0, 0, 1, 1, C);
	a.ts = b.ts;
	expect(seg(&a, S, 10, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 0, S);
	b.ts = a.ts;
	p = seg(&b, C, 1000000, SYN, 0, 0, NULL); /* b's SYN again, no answer yet */
	expect(p, 0, 0, 0, 1, 1, C);
	assert_int_equal(p->analysis, PKT_AN_RETRANSMISSION);
	expect(seg(&b, S, 10, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 1, S);
	expect(seg(&b, C, 10, ACK, 1, 1, NULL), 1, 1, 0, 1, 1, C);
	a.ts = b.ts;
	expect(seg(&a, C, 10, ACK, 1, 1, NULL), 1, 1, 0, 1, 0, C);
	expect(seg(&a, C, 10, FIN | ACK, 1, 1, NULL), 1, 1, 0, 2, 0, C);
	expect(seg(&a, S, 10, FIN | ACK, 1, 2, NULL), 1, 2, 0, 2, 0, S);
	expect(seg(&a, C, 10, ACK, 2, 2, NULL), 2, 2, 0, 2, 0, C);
	/* a's ports again, a new ISN: a new stream, numbered from 0 again. */
	a.isn[0] = 3000000;
	a.isn[1] = 4000000;
	expect(seg(&a, C, 10, SYN, 0, 0, NULL), 0, 0, 0, 1, 2, C);
	expect(seg(&a, S, 10, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 2, S);
	expect(seg(&a, C, 10, ACK, 1, 1, NULL), 1, 1, 0, 1, 2, C);
	/* b ends with a RST; its ports again: stream 3. */
	b.ts = a.ts;
	expect(seg(&b, C, 10, RST | ACK, 1, 1, NULL), 1, 1, 0, 1, 1, C);
	b.isn[0] = 6000000;
	b.isn[1] = 8000000;
	expect(seg(&b, C, 10, SYN, 0, 0, NULL), 0, 0, 0, 1, 3, C);
	expect(seg(&b, S, 10, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 3, S);
	assert_int_equal(dissect_nstreams(a.d), 4);
	/* b's struct shares a's dissector and packet storage owner: free once. */
	pkt_clear(&b.p);
	conv_free(&a);
}

/* A capture that starts at the SYN-ACK: its sender is the server. */
static void test_stream_from_syn_ack(void **state)
{
	struct conv c;

	(void)state;
	conv_init(&c, "from-syn-ack", 41234, 1000, 900000);
	expect(seg(&c, S, 0, SYN | ACK, 0, 1, NULL), 0, 1, 0, 1, 0, S);
	expect(seg(&c, C, 100, ACK, 1, 1, NULL), 1, 1, 0, 1, 0, C);
	expect(seg(&c, C, 100, PSH | ACK, 1, 1, get_req), 1, 1, 27, 28, 0, C);
	assert_int_equal(field_int(&c.p, "http.request", 0), 1);
	conv_free(&c);
}

/* ---- HTTP (RFC 9112) over reassembled streams ---- */

/* An HTTP exchange after a handshake; returns the next relative seqs. */
struct hx {
	struct conv c;
	uint32_t cs, ss; /* next relative seq of client and server */
};

static void hx_init(struct hx *h, const char *name)
{
	conv_init(&h->c, name, 41234, 1000, 900000);
	handshake(&h->c);
	h->cs = h->ss = 1;
}

static const struct pkt *hx_send(struct hx *h, int dir, const char *text)
{
	size_t len = strlen(text);
	const struct pkt *p;

	if (dir == C) {
		p = segn(&h->c, C, 100, PSH | ACK, h->cs, h->ss, text, len);
		h->cs += (uint32_t)len;
	} else {
		p = segn(&h->c, S, 100, PSH | ACK, h->ss, h->cs, text, len);
		h->ss += (uint32_t)len;
	}
	return p;
}

static void test_http_split_across_segments(void **state)
{
	struct hx h;
	const struct pkt *p;

	(void)state;
	hx_init(&h, "http-split");
	/* The request head in three segments, cut inside the CRLF CRLF. */
	p = hx_send(&h, C, "GET /index.html HT");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, C, "TP/1.1\r\nHost: example.org\r\nUser-Agent: curl/7.88.1\r\n\r");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, C, "\n");
	assert_int_equal(nhttp(p), 1);
	assert_field_str(p, "http.request.method", 0, "GET");
	assert_field_str(p, "http.request.uri", 0, "/index.html");
	assert_field_str(p, "http.request.version", 0, "HTTP/1.1");
	assert_field_str(p, "http.host", 0, "example.org");
	assert_field_str(p, "http.user_agent", 0, "curl/7.88.1");
	assert_int_equal(field_int(p, "http.body_length", 0), 0);
	assert_non_null(strstr(p->info, "GET /index.html HTTP/1.1"));
	/* The response: head in one segment, its 12-byte body in two. */
	p = hx_send(&h, S,
		    "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
		    "Content-Type: text/plain\r\n\r\nhello");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, S, " world\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_field_str(p, "http.response.phrase", 0, "OK");
	assert_field_str(p, "http.content_type", 0, "text/plain");
	assert_int_equal(field_int(p, "http.content_length", 0), 12);
	assert_int_equal(field_int(p, "http.body_length", 0), 12);
	assert_int_equal(field_int(p, "http.header_length", 0), 65);
	conv_free(&h.c);
}

/* Two requests in one segment (pipelining, RFC 9112 9.3.2): both are listed
 * at it, in order; the responses follow in one segment too. */
static void test_http_pipelined(void **state)
{
	struct hx h;
	const struct pkt *p;

	(void)state;
	hx_init(&h, "http-pipelined");
	p = hx_send(&h, C,
		    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
		    "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(nhttp(p), 2);
	assert_field_str(p, "http.request.uri", 0, "/a");
	assert_field_str(p, "http.request.uri", 1, "/b");
	assert_field_str(p, "http.connection", 0, "close");
	p = hx_send(&h, S,
		    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nA\n"
		    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(nhttp(p), 2);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_int_equal(field_int(p, "http.response.code", 1), 404);
	assert_int_equal(field_int(p, "http.body_length", 1), 0);
	conv_free(&h.c);
}

/* Chunked transfer coding (RFC 9112 7.1): the message ends with the last
 * chunk and the trailer section, whatever the segments. */
static void test_http_chunked(void **state)
{
	struct hx h;
	const struct pkt *p;

	(void)state;
	hx_init(&h, "http-chunked");
	hx_send(&h, C, get_req);
	p = hx_send(&h, S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, S, "lo\r\n1a;ext=1\r\n");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, S, "abcdefghijklmnopqrstuvwxyz\r\n0\r\n");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, S, "Trailer-Field: x\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_field_str(p, "http.transfer_encoding", 0, "chunked");
	assert_int_equal(field_int(p, "http.body_length", 0), 5 + 26);
	/* The connection goes on: the next response parses. */
	hx_send(&h, C, get_req);
	p = hx_send(&h, S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.body_length", 0), 0);
	conv_free(&h.c);
}

/* RFC 9112 6.3: a response to HEAD, a 204 and a 304 have no body whatever
 * their Content-Length says; the next message starts right after the head. */
static void test_http_no_body(void **state)
{
	struct hx h;
	const struct pkt *p;

	(void)state;
	hx_init(&h, "http-no-body");
	p = hx_send(&h, C, "HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_field_str(p, "http.request.method", 0, "HEAD");
	p = hx_send(&h, S, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.content_length", 0), 100000);
	assert_int_equal(field_int(p, "http.body_length", 0), 0);
	hx_send(&h, C, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
	p = hx_send(&h, S, "HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 204);
	hx_send(&h, C, "GET /same HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"1\"\r\n\r\n");
	p = hx_send(&h, S, "HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 304);
	assert_int_equal(field_int(p, "http.body_length", 0), 0);
	hx_send(&h, C, get_req);
	p = hx_send(&h, S, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_int_equal(field_int(p, "http.body_length", 0), 3);
	conv_free(&h.c);
}

/* A response with neither Content-Length nor chunked coding runs to the
 * close (RFC 9112 6.3 item 8); tshark lists it at the server's FIN. */
static void test_http_read_to_close(void **state)
{
	struct hx h;
	const struct pkt *p;

	(void)state;
	hx_init(&h, "http-to-close");
	hx_send(&h, C, "GET / HTTP/1.0\r\n\r\n");
	p = hx_send(&h, S, "HTTP/1.0 200 OK\r\nServer: test\r\n\r\nfirst part, ");
	assert_int_equal(nhttp(p), 0);
	p = hx_send(&h, S, "second part");
	assert_int_equal(nhttp(p), 0);
	p = seg(&h.c, C, 100, ACK, h.cs, h.ss, NULL);
	assert_int_equal(nhttp(p), 0);
	p = seg(&h.c, S, 100, FIN | ACK, h.ss, h.cs, NULL);
	assert_int_equal(nhttp(p), 1);
	assert_int_equal(field_int(p, "http.response.code", 0), 200);
	assert_field_str(p, "http.server", 0, "test");
	assert_int_equal(field_int(p, "http.body_length", 0), 23);
	conv_free(&h.c);
}

/* ---- fields by name ---- */

static void test_pkt_field_names(void **state)
{
	struct conv c;
	const struct pkt *p;
	struct fval v;

	(void)state;
	conv_init(&c, "fields", 41234, 1000, 900000);
	seg(&c, C, 0, SYN, 0, 0, NULL);
	p = seg(&c, S, 250000, SYN | ACK, 0, 1, NULL);
	assert_int_equal(field_int(p, "frame.number", 0), 2);
	assert_int_equal(pkt_field(p, "frame.time_relative", 0, &v), 1);
	assert_int_equal(v.type, FVAL_REAL);
	assert_true(v.d > 0.2499 && v.d < 0.2501);
	assert_int_equal(field_int(p, "frame.len", 0), 14 + 20 + 32);
	assert_field_str(p, "ip.src", 0, "198.18.0.2");
	assert_field_str(p, "ip.dst", 0, "198.18.0.1");
	assert_field_str(p, "ip.addr", 0, "198.18.0.2");
	assert_field_str(p, "ip.addr", 1, "198.18.0.1");
	assert_no_field(p, "ip.addr", 2);
	assert_int_equal(field_int(p, "ip.ttl", 0), 64);
	assert_int_equal(field_int(p, "ip.len", 0), 52);
	assert_int_equal(field_int(p, "tcp", 0), 1);
	assert_int_equal(field_int(p, "tcp.srcport", 0), 80);
	assert_int_equal(field_int(p, "tcp.dstport", 0), 41234);
	assert_int_equal(field_int(p, "tcp.port", 0), 80);
	assert_int_equal(field_int(p, "tcp.port", 1), 41234);
	assert_int_equal(field_int(p, "tcp.stream", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags", 0), 0x12);
	assert_int_equal(field_int(p, "tcp.flags.syn", 0), 1);
	assert_int_equal(field_int(p, "tcp.flags.ack", 0), 1);
	assert_int_equal(field_int(p, "tcp.flags.fin", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags.reset", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags.push", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags.urg", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags.ece", 0), 0);
	assert_int_equal(field_int(p, "tcp.flags.cwr", 0), 0);
	assert_int_equal(field_int(p, "tcp.seq", 0), 0);
	assert_int_equal(field_int(p, "tcp.ack", 0), 1);
	assert_int_equal(field_int(p, "tcp.seq_raw", 0), 900000);
	assert_int_equal(field_int(p, "tcp.ack_raw", 0), 1001);
	assert_int_equal(field_int(p, "tcp.nxtseq", 0), 1);
	assert_int_equal(field_int(p, "tcp.len", 0), 0);
	assert_int_equal(field_int(p, "tcp.hdr_len", 0), 32);
	assert_int_equal(field_int(p, "tcp.window_size_value", 0), 509);
	assert_int_equal(field_int(p, "tcp.window_size", 0), 509);
	/* Analysis fields exist only where set, as in Wireshark's tree. */
	assert_no_field(p, "tcp.analysis.retransmission", 0);
	assert_no_field(p, "tcp.analysis.duplicate_ack", 0);
	/* A SYN's ack means nothing: tshark reads 0. */
	p = seg(&c, C, 100, SYN, 0, 0, NULL);
	assert_int_equal(field_int(p, "tcp.ack", 0), 0);
	/* HTTP fields, and names no dissector knows. */
	seg(&c, C, 100, ACK, 1, 1, NULL);
	p = seg(&c, C, 100, PSH | ACK, 1, 1,
		"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=b");
	assert_int_equal(field_int(p, "http", 0), 1);
	assert_int_equal(field_int(p, "http.request", 0), 1);
	assert_field_str(p, "http.request.method", 0, "POST");
	assert_field_str(p, "http.content_length_header", 0, "3");
	assert_int_equal(field_int(p, "http.content_length", 0), 3);
	assert_no_field(p, "http.response.code", 0);
	assert_no_field(p, "http.request.method", 1);
	assert_int_equal(pkt_field(p, "tcp.no_such_field", 0, &v), -1);
	assert_int_equal(pkt_field(p, "nosuchproto.x", 0, &v), -1);
	assert_int_equal(pkt_field_known("http.request.method"), 1);
	assert_int_equal(pkt_field_known("tcp.analysis.duplicate_ack"), 1);
	assert_int_equal(pkt_field_known("tcp.no_such_field"), 0);
	conv_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_every_link_type),
		cmocka_unit_test(test_syn_truncated_everywhere),
		cmocka_unit_test(test_payload_cut_by_snaplen),
		cmocka_unit_test(test_ip_length_beyond_frame),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_relative_numbers),
		cmocka_unit_test(test_relative_numbers_ipv6),
		cmocka_unit_test(test_midstream_client_first),
		cmocka_unit_test(test_midstream_server_ack_first),
		cmocka_unit_test(test_midstream_response_first),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_out_of_order_fast_rtt),
		cmocka_unit_test(test_out_of_order_midstream),
		cmocka_unit_test(test_spurious_retransmission),
		cmocka_unit_test(test_fast_retransmission),
		cmocka_unit_test(test_duplicate_ack),
		cmocka_unit_test(test_duplicate_ack_nothing_outstanding),
		cmocka_unit_test(test_duplicate_ack_zero_window),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_stream_numbering),
		cmocka_unit_test(test_stream_from_syn_ack),
		cmocka_unit_test(test_http_split_across_segments),
		cmocka_unit_test(test_http_pipelined),
		cmocka_unit_test(test_http_chunked),
		cmocka_unit_test(test_http_no_body),
		cmocka_unit_test(test_http_read_to_close),
		cmocka_unit_test(test_pkt_field_names),
	};

	memset(block, 'x', sizeof(block));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

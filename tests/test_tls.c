/* tests/test_tls.c — the TLS dissector on hand-built records (commented
 * byte arrays and small builders) and on the captures of tests/pcap/tls-*:
 * records split across segments and coalesced in one, handshake messages
 * several to a record and one across records, TLS 1.2 and 1.3 protection,
 * HelloRetryRequest, alerts, unknown extensions, input cut at every length
 * and lengths that lie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness/capture.h"
#include "harness/certgen.h"
#include "harness/dissect.h"
#include "harness/keylog.h"
#include "harness/pkt.h"

/* ---- a conversation fed to proto_tls the way dissect.c feeds it ---- */

struct conv {
	void *st;
	uint8_t *buf[2];
	size_t len[2];
	struct pkt p;
};

static void conv_open(struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->st = proto_tls.open();
	assert_non_null(c->st);
}

static void conv_close(struct conv *c)
{
	proto_tls.close(c->st);
	free(c->buf[0]);
	free(c->buf[1]);
	pkt_clear(&c->p);
}

static void pkt_start(struct pkt *p)
{
	p->nfv = 0;
	p->arena_len = 0;
	p->info[0] = '\0';
	p->err[0] = '\0';
}

/* One segment of direction dir: what completes in it is in the result. */
static struct pkt *seg(struct conv *c, int dir, const uint8_t *d, size_t n)
{
	struct proto_io io = { NULL, 0, "" };
	size_t used;

	pkt_start(&c->p);
	c->buf[dir] = realloc(c->buf[dir], c->len[dir] + n + 1);
	assert_non_null(c->buf[dir]);
	if (n)
		memcpy(c->buf[dir] + c->len[dir], d, n);
	c->len[dir] += n;
	used = proto_tls.feed(c->st, dir, c->buf[dir], c->len[dir], &c->p, &io);
	assert_true(used != (size_t)-1);
	assert_true(used <= c->len[dir]);
	memmove(c->buf[dir], c->buf[dir] + used, c->len[dir] - used);
	c->len[dir] -= used;
	return &c->p;
}

static struct pkt *fin(struct conv *c, int dir)
{
	pkt_start(&c->p);
	assert_int_equal(proto_tls.fin(c->st, dir, &c->p), 0);
	return &c->p;
}

/* Occurrences of a field; every name must be one the dissectors declare. */
static size_t count(const struct pkt *p, const char *name)
{
	struct fval v;
	size_t n = 0;
	int r;

	while ((r = pkt_field(p, name, n, &v)) == 1)
		n++;
	assert_int_not_equal(r, -1);
	return n;
}

static int64_t ival(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;

	if (pkt_field(p, name, idx, &v) != 1)
		fail_msg("no %s #%zu (info: %s)", name, idx, p->info);
	assert_int_equal(v.type, FVAL_INT);
	return v.i;
}

static const char *sval(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;

	if (pkt_field(p, name, idx, &v) != 1)
		fail_msg("no %s #%zu (info: %s)", name, idx, p->info);
	assert_int_equal(v.type, FVAL_STR);
	return v.s;
}

/* Every occurrence of an integer field as "a,b,c". */
static const char *ilist(const struct pkt *p, const char *name)
{
	static char buf[1024];
	size_t n = count(p, name), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%lld", i ? "," : "",
					(long long)ival(p, name, i));
	return buf;
}

static const char *json(const struct pkt *p)
{
	static char out[4096];
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	proto_tls.json(f, p);
	fclose(f);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static void no_errors(const struct pkt *p)
{
	if (count(p, "wl.error"))
		fail_msg("unexpected error: %s", sval(p, "wl.error", 0));
}

static void has_error(const struct pkt *p, const char *want)
{
	size_t n = count(p, "wl.error");

	for (size_t i = 0; i < n; i++)
		if (!strcmp(sval(p, "wl.error", i), want))
			return;
	fail_msg("no error \"%s\" (%zu errors, first: %s)", want, n,
		 n ? sval(p, "wl.error", 0) : "none");
}

/* ---- builders for what needs no comment line by line ---- */

struct bb {
	uint8_t b[1 << 17];
	size_t n;
};

static void put(struct bb *b, const void *d, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, d, n);
	b->n += n;
}

static void u8(struct bb *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void u16(struct bb *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v);
}

static void u24(struct bb *b, unsigned v)
{
	u8(b, v >> 16);
	u16(b, v & 0xffff);
}

/* A record around len bytes. */
static void record(struct bb *b, uint8_t type, const void *frag, size_t len)
{
	u8(b, type);
	u16(b, 0x0303);
	u16(b, (unsigned)len);
	put(b, frag, len);
}

/* A handshake message header + body into b. */
static void hsmsg(struct bb *b, uint8_t type, const void *body, size_t len)
{
	u8(b, type);
	u24(b, (unsigned)len);
	put(b, body, len);
}

/* ---- hand-built messages ---- */

/* The arrays keep one field a line, commented: clang-format would pack them. */
/* clang-format off */
/* A TLS 1.3 ClientHello as curl sends one, with an unknown and a GREASE
 * extension. Record length 0xa6 = handshake header 4 + body 0xa2. */
static const uint8_t client_hello[] = {
	0x16, 0x03, 0x01, 0x00, 0xa6, /* record: handshake, TLS 1.0, 166 bytes */
	0x01, 0x00, 0x00, 0xa2,       /* ClientHello, 162 bytes */
	0x03, 0x03,                   /* legacy_version: TLS 1.2 */
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* random (32) */
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x00,                         /* legacy_session_id: empty */
	0x00, 0x06,                   /* cipher_suites: 6 bytes */
	0x13, 0x01,                   /*   TLS_AES_128_GCM_SHA256 */
	0x13, 0x02,                   /*   TLS_AES_256_GCM_SHA384 */
	0xc0, 0x2b,                   /*   TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
	0x01, 0x00,                   /* compression_methods: null */
	0x00, 0x73,                   /* extensions: 115 bytes */
	0x00, 0x00, 0x00, 0x0b,       /*   server_name, 11 bytes */
	0x00, 0x09, 0x00, 0x00, 0x06, /*     list 9, host_name, 6 bytes */
	'p', 'i', '.', 'l', 'a', 'b',
	0x00, 0x0a, 0x00, 0x06,       /*   supported_groups, 6 bytes */
	0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, /* x25519, secp256r1 */
	0x00, 0x0d, 0x00, 0x06,       /*   signature_algorithms, 6 bytes */
	0x00, 0x04, 0x04, 0x03, 0x08, 0x04, /* ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256 */
	0x00, 0x10, 0x00, 0x0e,       /*   ALPN, 14 bytes */
	0x00, 0x0c, 0x02, 'h', '2',   /*     list 12: "h2" */
	0x08, 'h', 't', 't', 'p', '/', '1', '.', '1', /* "http/1.1" */
	0x00, 0x2b, 0x00, 0x05,       /*   supported_versions, 5 bytes */
	0x04, 0x03, 0x04, 0x03, 0x03, /*     list 4: TLS 1.3, TLS 1.2 */
	0x00, 0x33, 0x00, 0x26,       /*   key_share, 38 bytes */
	0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, /* list 36: x25519, 32 bytes */
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x0a, 0x0a, 0x00, 0x00,       /*   GREASE (RFC 8701), empty */
	0xfe, 0x0d, 0x00, 0x03, 0x01, 0x02, 0x03, /* unknown (ECH), 3 bytes */
};

/* A TLS 1.2 ServerHello choosing ECDHE-ECDSA-AES128-GCM-SHA256. */
static const uint8_t server_hello_12[] = {
	0x02, 0x00, 0x00, 0x2d,       /* ServerHello, 45 bytes */
	0x03, 0x03,                   /* legacy_version: TLS 1.2 */
	0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, /* random (32) */
	0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	0x00,                         /* session_id: empty */
	0xc0, 0x2b,                   /* cipher_suite */
	0x00,                         /* compression_method: null */
	0x00, 0x05,                   /* extensions: 5 bytes */
	0xff, 0x01, 0x00, 0x01, 0x00, /*   renegotiation_info, 1 byte: empty */
};

/* A TLS 1.3 ServerHello: supported_versions 1.3, key_share x25519. */
static const uint8_t server_hello_13[] = {
	0x02, 0x00, 0x00, 0x56,       /* ServerHello, 86 bytes */
	0x03, 0x03,                   /* legacy_version: TLS 1.2 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, /* random (32) */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x00,                         /* legacy_session_id_echo: empty */
	0x13, 0x01,                   /* cipher_suite: TLS_AES_128_GCM_SHA256 */
	0x00,                         /* legacy_compression_method */
	0x00, 0x2e,                   /* extensions: 46 bytes */
	0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, /* supported_versions: TLS 1.3 */
	0x00, 0x33, 0x00, 0x24,       /*   key_share, 36 bytes */
	0x00, 0x1d, 0x00, 0x20,       /*     x25519, 32 bytes */
	0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
	0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
	0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
	0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
};

/* A HelloRetryRequest: the fixed random of RFC 8446 4.1.3, key_share with
 * the selected group only. */
static const uint8_t hello_retry_request[] = {
	0x02, 0x00, 0x00, 0x34,       /* ServerHello, 52 bytes */
	0x03, 0x03,                   /* legacy_version */
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, /* SHA-256("HelloRetryRequest") */
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	0x00,                         /* legacy_session_id_echo */
	0x13, 0x02,                   /* cipher_suite: TLS_AES_256_GCM_SHA384 */
	0x00,                         /* legacy_compression_method */
	0x00, 0x0c,                   /* extensions: 12 bytes */
	0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, /* supported_versions: TLS 1.3 */
	0x00, 0x33, 0x00, 0x02, 0x00, 0x17, /* key_share: selected secp256r1 */
};

/* ServerKeyExchange (ECDHE): named_curve x25519, a 32-byte point, then a
 * signature that is not looked at. */
static const uint8_t server_key_exchange[] = {
	0x0c, 0x00, 0x00, 0x2a, /* ServerKeyExchange, 42 bytes */
	0x03, 0x00, 0x1d,       /* curve_type named_curve, x25519 */
	0x20,                   /* point: 32 bytes */
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x04, 0x03, 0x00, 0x02, 0x30, 0x00, /* signature: algorithm, 2 bytes */
};

static const uint8_t server_hello_done[] = { 0x0e, 0x00, 0x00, 0x00 };

/* ClientKeyExchange (ECDHE): a 32-byte point. */
static const uint8_t client_key_exchange[] = {
	0x10, 0x00, 0x00, 0x21, /* ClientKeyExchange, 33 bytes */
	0x20,                   /* point: 32 bytes */
	0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77,
	0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77,
	0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77,
};

static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };

/* clang-format on */

/* A certificate (DER) made by certgen for CN=pi.lab, shared by the tests. */
static uint8_t *cert_der;
static size_t cert_der_len;

static int make_cert(void **state)
{
	char dir[] = "/tmp/wl-test-tls.XXXXXX", path[64], err[200];
	FILE *f;
	X509 *x;
	unsigned char *p = NULL;
	int n;

	(void)state;
	if (!mkdtemp(dir) || certgen_selfsigned(dir, "pi.lab", err, sizeof(err)))
		return -1;
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	n = x ? i2d_X509(x, &p) : -1;
	X509_free(x);
	unlink(path);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	unlink(path);
	rmdir(dir);
	if (n <= 0)
		return -1;
	cert_der = p;
	cert_der_len = (size_t)n;
	return 0;
}

static int free_cert(void **state)
{
	(void)state;
	OPENSSL_free(cert_der);
	return 0;
}

/* Certificate (TLS 1.2): certificate_list holding the certgen certificate. */
static void certificate_msg(struct bb *b)
{
	u8(b, 11);
	u24(b, (unsigned)(3 + 3 + cert_der_len));
	u24(b, (unsigned)(3 + cert_der_len));
	u24(b, (unsigned)cert_der_len);
	put(b, cert_der, cert_der_len);
}

/* The server's first flight of TLS 1.2 as one record. */
static void server_flight_12(struct bb *out)
{
	static struct bb hs;

	hs.n = 0;
	put(&hs, server_hello_12, sizeof(server_hello_12));
	certificate_msg(&hs);
	put(&hs, server_key_exchange, sizeof(server_key_exchange));
	put(&hs, server_hello_done, sizeof(server_hello_done));
	record(out, 22, hs.b, hs.n);
}

/* ---- tests ---- */

static void test_detect(void **state)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static const uint8_t server_rec[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46 };

	(void)state;
	assert_int_equal(proto_tls.detect(client_hello, sizeof(client_hello), PKT_DIR_CLIENT), 1);
	for (size_t n = 0; n < 6; n++)
		assert_int_equal(proto_tls.detect(client_hello, n, PKT_DIR_CLIENT), -1);
	assert_int_equal(proto_tls.detect(http, sizeof(http) - 1, PKT_DIR_CLIENT), 0);
	assert_int_equal(proto_tls.detect(ssh, sizeof(ssh) - 1, PKT_DIR_SERVER), 0);
	/* A handshake record that is no ClientHello does not start a client. */
	assert_int_equal(proto_tls.detect(server_rec, sizeof(server_rec), PKT_DIR_CLIENT), 0);
	assert_int_equal(proto_tls.detect(server_rec, sizeof(server_rec), PKT_DIR_SERVER), 1);
	assert_int_equal(proto_tls.detect(server_rec, 3, PKT_DIR_SERVER), -1);
}

static void test_client_hello(void **state)
{
	struct conv c;
	struct pkt *p;

	(void)state;
	/* The array says its own lengths; check them before trusting it. */
	assert_int_equal(sizeof(client_hello), 5 + 0xa6);
	conv_open(&c);
	p = seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	no_errors(p);
	assert_string_equal(p->info, "Client Hello");
	assert_int_equal(count(p, "tls"), 1);
	assert_int_equal(ival(p, "tls.record.content_type", 0), 22);
	assert_int_equal(ival(p, "tls.record.version", 0), 0x0301);
	assert_int_equal(ival(p, "tls.record.length", 0), 0xa6);
	assert_int_equal(ival(p, "tls.handshake.type", 0), 1);
	assert_int_equal(ival(p, "tls.handshake.length", 0), 0xa2);
	assert_int_equal(ival(p, "tls.handshake.version", 0), 0x0303);
	assert_string_equal(ilist(p, "tls.handshake.ciphersuite"), "4865,4866,49195");
	assert_string_equal(sval(p, "tls.handshake.extensions_server_name", 0), "pi.lab");
	assert_string_equal(ilist(p, "tls.handshake.extensions_supported_group"), "29,23");
	assert_string_equal(ilist(p, "tls.handshake.sig_hash_alg"), "1027,2052");
	assert_string_equal(sval(p, "tls.handshake.extensions_alpn_str", 0), "h2");
	assert_string_equal(sval(p, "tls.handshake.extensions_alpn_str", 1), "http/1.1");
	assert_string_equal(ilist(p, "tls.handshake.extensions.supported_version"), "772,771");
	assert_string_equal(ilist(p, "tls.handshake.extensions_key_share_group"), "29");
	/* Unknown and GREASE extensions are listed by type, nothing more. */
	assert_string_equal(ilist(p, "tls.handshake.extension.type"),
			    "0,10,13,16,43,51,2570,65037");
	assert_int_equal(count(p, "tls.encrypted"), 0);
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 22, \"hs\": [1]}]");
	conv_close(&c);
}

/* TLS 1.2: the server's flight in one record (four messages), the
 * client's key exchange, CCS each way, then protected records. */
static void test_tls12_handshake(void **state)
{
	static struct bb b;
	static const uint8_t zeros[40];
	static struct bb enc_finished, enc_alert, app;
	struct conv c;
	struct pkt *p;

	(void)state;
	/* Protected records: bytes nobody without the keys can read. */
	enc_finished.n = enc_alert.n = app.n = 0;
	record(&enc_finished, 22, zeros, 40);
	record(&enc_alert, 21, zeros, 26);
	record(&app, 23, zeros, 3);
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	b.n = 0;
	server_flight_12(&b);
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info,
			    "Server Hello, Certificate, Server Key Exchange, Server Hello Done");
	assert_int_equal(count(p, "tls"), 1);
	assert_string_equal(ilist(p, "tls.handshake.type"), "2,11,12,14");
	assert_int_equal(ival(p, "tls.negotiated_version", 0), 0x0303);
	assert_int_equal(ival(p, "tls.handshake.ciphersuite", 0), 0xc02b);
	assert_string_equal(sval(p, "tls.handshake.ciphersuite_name", 0),
			    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(sval(p, "tls.key_exchange", 0), "ECDHE");
	assert_string_equal(sval(p, "tls.handshake.certificate.subject", 0), "CN=pi.lab");
	assert_string_equal(sval(p, "tls.handshake.certificate.issuer", 0), "CN=pi.lab");
	assert_int_equal(ival(p, "tls.handshake.certificate_length", 0), (int64_t)cert_der_len);
	assert_int_equal(ival(p, "tls.handshake.server_named_curve", 0), 29);
	assert_int_equal(ival(p, "tls.handshake.server_point_len", 0), 32);
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 22, \"hs\": [2, 11, 12, 14]}]");

	/* ClientKeyExchange, ChangeCipherSpec, Finished (protected): one segment. */
	b.n = 0;
	record(&b, 22, client_key_exchange, sizeof(client_key_exchange));
	put(&b, ccs, sizeof(ccs));
	put(&b, enc_finished.b, enc_finished.n);
	p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info,
			    "Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message");
	assert_int_equal(ival(p, "tls.handshake.client_point_len", 0), 32);
	assert_string_equal(ilist(p, "tls.record.content_type"), "22,20,22");
	assert_string_equal(ilist(p, "tls.handshake.type"), "16");
	assert_int_equal(ival(p, "tls.change_cipher_spec", 0), 1);
	assert_string_equal(ilist(p, "tls.encrypted"), "1");
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 22, \"hs\": [16]}, {\"type\": 20}, "
				     "{\"type\": 22, \"encrypted\": true}]");
	/* The server's side is still in clear until its own CCS. */
	b.n = 0;
	put(&b, ccs, sizeof(ccs));
	put(&b, enc_finished.b, enc_finished.n);
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	assert_string_equal(p->info, "Change Cipher Spec, Encrypted Handshake Message");
	p = seg(&c, PKT_DIR_CLIENT, app.b, app.n);
	assert_string_equal(p->info, "Application Data");
	assert_int_equal(ival(p, "tls.app_data", 0), 3);
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 23, \"encrypted\": true}]");
	p = seg(&c, PKT_DIR_SERVER, enc_alert.b, enc_alert.n);
	assert_string_equal(p->info, "Encrypted Alert");
	assert_int_equal(count(p, "tls.alert_message.desc"), 0);
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 21, \"encrypted\": true}]");
	no_errors(fin(&c, PKT_DIR_CLIENT));
	no_errors(fin(&c, PKT_DIR_SERVER));
	conv_close(&c);
}

/* TLS 1.3: after the ServerHello every record but CCS is protected, a
 * handshake record included; the CCS changes nothing. */
static void test_tls13_handshake(void **state)
{
	static struct bb b;
	static const uint8_t app[] = { 0x17, 0x03, 0x03, 0x00, 0x11, 0,	 1,  2,	 3,  4,	 5,
				       6,    7,	   8,	 9,    10,   11, 12, 13, 14, 15, 16 };
	static const uint8_t hs22[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x14, 0x00, 0x00, 0x00 };
	struct conv c;
	struct pkt *p;

	(void)state;
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	b.n = 0;
	record(&b, 22, server_hello_13, sizeof(server_hello_13));
	put(&b, ccs, sizeof(ccs));
	put(&b, app, sizeof(app));
	put(&b, hs22, sizeof(hs22));
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info, "Server Hello, Change Cipher Spec, Application Data, "
				     "Encrypted Handshake Message");
	assert_int_equal(ival(p, "tls.negotiated_version", 0), 0x0304);
	assert_int_equal(ival(p, "tls.handshake.extensions.supported_version", 0), 0x0304);
	assert_int_equal(ival(p, "tls.handshake.extensions_key_share_group", 0), 29);
	assert_string_equal(sval(p, "tls.handshake.ciphersuite_name", 0), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(sval(p, "tls.key_exchange", 0), "ECDHE");
	/* Like Wireshark: protected records have an opaque type, no content type. */
	assert_string_equal(ilist(p, "tls.record.content_type"), "22,20");
	assert_string_equal(ilist(p, "tls.record.opaque_type"), "23,22");
	assert_string_equal(ilist(p, "tls.handshake.type"), "2");
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 22, \"hs\": [2]}, {\"type\": 20}, "
				     "{\"type\": 23, \"encrypted\": true}, "
				     "{\"type\": 22, \"encrypted\": true}]");
	b.n = 0;
	put(&b, ccs, sizeof(ccs));
	put(&b, app, sizeof(app));
	p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info, "Change Cipher Spec, Application Data");
	assert_string_equal(json(p),
			    ", \"tls\": [{\"type\": 20}, {\"type\": 23, \"encrypted\": true}]");
	conv_close(&c);
}

/* The ServerHello ends its record in TLS 1.3 (RFC 8446 5.1), after a
 * HelloRetryRequest too. */
static void test_tls13_data_after_server_hello(void **state)
{
	static struct bb hs, b;

	(void)state;
	for (int hrr = 0; hrr < 2; hrr++) {
		struct conv c;
		struct pkt *p;

		conv_open(&c);
		seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
		if (hrr) {
			b.n = 0;
			record(&b, 22, hello_retry_request, sizeof(hello_retry_request));
			no_errors(seg(&c, PKT_DIR_SERVER, b.b, b.n));
			no_errors(seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello)));
		}
		hs.n = b.n = 0;
		put(&hs, server_hello_13, sizeof(server_hello_13));
		put(&hs, server_hello_done, sizeof(server_hello_done));
		record(&b, 22, hs.b, hs.n);
		p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
		has_error(p, "tls: 4 bytes after the TLS 1.3 ServerHello in its record (RFC 8446 "
			     "5.1)");
		assert_string_equal(ilist(p, "tls.handshake.type"), "2");
		conv_close(&c);
	}
}

static void test_hello_retry_request(void **state)
{
	static struct bb b;
	struct conv c;
	struct pkt *p;

	(void)state;
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	b.n = 0;
	record(&b, 22, hello_retry_request, sizeof(hello_retry_request));
	put(&b, ccs, sizeof(ccs));
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info, "Hello Retry Request, Change Cipher Spec");
	assert_int_equal(ival(p, "tls.handshake.type", 0), 2);
	assert_int_equal(ival(p, "tls.handshake.hello_retry_request", 0), 1);
	assert_int_equal(ival(p, "tls.handshake.extensions_key_share_selected_group", 0), 23);
	assert_int_equal(count(p, "tls.handshake.extensions_key_share_group"), 0);
	assert_int_equal(count(p, "tls.negotiated_version"), 0);
	/* The client's CCS and second ClientHello are still in clear. */
	b.n = 0;
	put(&b, ccs, sizeof(ccs));
	put(&b, client_hello, sizeof(client_hello));
	p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
	no_errors(p);
	assert_string_equal(p->info, "Change Cipher Spec, Client Hello");
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 20}, {\"type\": 22, \"hs\": [1]}]");
	p = seg(&c, PKT_DIR_SERVER, (const uint8_t[]){ 0x16, 0x03, 0x03, 0x00, 0x5a }, 5);
	assert_int_equal(count(p, "tls"), 0);
	p = seg(&c, PKT_DIR_SERVER, server_hello_13, sizeof(server_hello_13));
	no_errors(p);
	assert_int_equal(ival(p, "tls.negotiated_version", 0), 0x0304);
	conv_close(&c);
}

/* Records cut at every byte across two segments, and a Certificate cut
 * across three records: each message listed once, where it completes. */
static void test_split_everywhere(void **state)
{
	static struct bb flight, cert, b;
	char want_types[64];

	(void)state;
	/* Three records: ServerHello; Certificate in two halves; the rest. */
	cert.n = 0;
	certificate_msg(&cert);
	flight.n = 0;
	record(&flight, 22, server_hello_12, sizeof(server_hello_12));
	record(&flight, 22, cert.b, cert.n / 2);
	b.n = 0;
	put(&b, cert.b + cert.n / 2, cert.n - cert.n / 2);
	put(&b, server_key_exchange, sizeof(server_key_exchange));
	put(&b, server_hello_done, sizeof(server_hello_done));
	record(&flight, 22, b.b, b.n);
	snprintf(want_types, sizeof(want_types), "2,11,12,14");
	for (size_t cut = 0; cut <= flight.n; cut++) {
		struct conv c;
		struct pkt *p;
		char types[64] = "", info[400] = "";
		size_t nrec = 0, ncert = 0;

		conv_open(&c);
		seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
		for (int part = 0; part < 2; part++) {
			const uint8_t *d = part ? flight.b + cut : flight.b;
			size_t n = part ? flight.n - cut : cut;

			p = seg(&c, PKT_DIR_SERVER, d, n);
			no_errors(p);
			nrec += count(p, "tls");
			ncert += count(p, "tls.handshake.certificate.subject");
			if (count(p, "tls.handshake.type"))
				snprintf(types + strlen(types), sizeof(types) - strlen(types),
					 "%s%s", types[0] ? "," : "",
					 ilist(p, "tls.handshake.type"));
			if (p->info[0])
				snprintf(info + strlen(info), sizeof(info) - strlen(info), "%s%s",
					 info[0] ? ", " : "", p->info);
		}
		assert_int_equal(nrec, 3);
		assert_int_equal(ncert, 1);
		assert_string_equal(types, want_types);
		assert_string_equal(info, "Server Hello, [Certificate Fragment], Certificate, "
					  "Server Key Exchange, Server Hello Done");
		no_errors(fin(&c, PKT_DIR_SERVER));
		conv_close(&c);
	}
}

/* One byte per segment: the same messages, nothing before it completes. */
static void test_byte_by_byte(void **state)
{
	static struct bb b;
	struct conv c;
	size_t listed = 0;

	(void)state;
	b.n = 0;
	server_flight_12(&b);
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	for (size_t i = 0; i < b.n; i++) {
		struct pkt *p = seg(&c, PKT_DIR_SERVER, b.b + i, 1);

		no_errors(p);
		listed += count(p, "tls");
		if (i + 1 < b.n)
			assert_int_equal(count(p, "tls"), 0);
		else
			assert_string_equal(ilist(p, "tls.handshake.type"), "2,11,12,14");
	}
	assert_int_equal(listed, 1);
	conv_close(&c);
}

/* The ClientHello cut at every length: nothing listed, no error while it
 * may still come; a FIN there says the stream ended inside the record. */
static void test_truncated_every_length(void **state)
{
	(void)state;
	for (size_t n = 1; n < sizeof(client_hello); n++) {
		struct conv c;
		struct pkt *p;
		char want[120];

		conv_open(&c);
		p = seg(&c, PKT_DIR_CLIENT, client_hello, n);
		assert_int_equal(count(p, "tls"), 0);
		no_errors(p);
		p = fin(&c, PKT_DIR_CLIENT);
		snprintf(want, sizeof(want),
			 "tls: the client's stream ends inside a record (%zu bytes of it)", n);
		has_error(p, want);
		conv_close(&c);
	}
}

/* A record whose handshake message is cut short by its record: each prefix
 * of the ClientHello's body, the record length made to fit, is malformed
 * somewhere, reported, and never read past. */
static void test_truncated_message_every_length(void **state)
{
	const size_t body = sizeof(client_hello) - 9;

	(void)state;
	for (size_t n = 0; n < body; n++) {
		static struct bb hs, b;
		struct conv c;
		struct pkt *p;

		/* The handshake header says n bytes: a short but whole message. */
		hs.n = b.n = 0;
		hsmsg(&hs, 1, client_hello + 9, n);
		record(&b, 22, hs.b, hs.n);
		conv_open(&c);
		p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
		assert_int_equal(count(p, "tls.handshake.type"), 1);
		/* Only the end of an extension (or no extensions at all) is a
		 * place where a ClientHello may end well. */
		if (count(p, "wl.error") == 0) {
			size_t ext_end[] = { 2 + 32 + 1 + 8 + 2, body };
			int ok = 0;

			for (size_t i = 0; i < 2; i++)
				ok |= n == ext_end[i];
			if (!ok)
				fail_msg("ClientHello cut at %zu bytes raised no error", n);
		}
		conv_close(&c);
	}
}

static void test_alerts(void **state)
{
	/* clang-format off */
	static const uint8_t fatal[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, /* alert record, 2 bytes */
		0x02, 0x46,                   /* fatal, protocol_version (70) */
	};
	static const uint8_t two[] = {
		0x15, 0x03, 0x03, 0x00, 0x04, /* alert record, 4 bytes */
		0x01, 0x00,                   /* warning, close_notify */
		0x07, 0xc7,                   /* level 7?, description 199? */
	};
	/* clang-format on */
	static const uint8_t odd[] = { 0x15, 0x03, 0x03, 0x00, 0x03, 0x02, 0x28, 0x02 };
	static const uint8_t empty[] = { 0x15, 0x03, 0x03, 0x00, 0x00 };
	struct conv c;
	struct pkt *p;

	(void)state;
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	p = seg(&c, PKT_DIR_SERVER, fatal, sizeof(fatal));
	no_errors(p);
	assert_string_equal(p->info, "Alert (Level: Fatal, Description: Protocol Version)");
	assert_int_equal(ival(p, "tls.alert_message.level", 0), 2);
	assert_int_equal(ival(p, "tls.alert_message.desc", 0), 70);
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 21, \"alert\": [2, 70]}]");
	p = seg(&c, PKT_DIR_SERVER, two, sizeof(two));
	no_errors(p);
	assert_string_equal(p->info, "Alert (Level: Warning, Description: Close Notify), "
				     "Alert (Level: Unknown (7), Description: Unknown (199))");
	assert_string_equal(ilist(p, "tls.alert_message.desc"), "0,199");
	p = seg(&c, PKT_DIR_SERVER, odd, sizeof(odd));
	has_error(p, "tls: alert record of 3 bytes (2 per alert)");
	assert_string_equal(ilist(p, "tls.alert_message.desc"), "40");
	p = seg(&c, PKT_DIR_SERVER, empty, sizeof(empty));
	has_error(p, "tls: empty alert record");
	conv_close(&c);
}

/* Lengths that lie, inside the message: each reported with what and where. */
static void test_lying_lengths(void **state)
{
	static const struct {
		size_t at;    /* offset in client_hello */
		uint8_t v[2]; /* new bytes there */
		const char *want;
	} lies[] = {
		/* cipher_suites length 0x012c: 300 bytes, 121 left */
		{ 44,
		  { 0x01, 0x2c },
		  "tls: ClientHello: cipher_suites length 300 beyond its message "
		  "(125 bytes left)" },
		/* extensions length 0x0100 */
		{ 54,
		  { 0x01, 0x00 },
		  "tls: ClientHello: extensions length 256 beyond its message "
		  "(115 bytes left)" },
		/* server_name's extension length 0x00ff */
		{ 58,
		  { 0x00, 0xff },
		  "tls: ClientHello: extension length 255 beyond its extensions "
		  "(111 bytes left)" },
		/* server_name list length 0x0020, in an 11-byte extension */
		{ 60,
		  { 0x00, 0x20 },
		  "tls: ClientHello: server_name list length 32 beyond its "
		  "extension (9 bytes left)" },
		/* session_id length 0x21 with the suites' length byte after it */
		{ 43, { 0x21, 0x00 }, "tls: ClientHello: session_id of 33 bytes (at most 32)" },
		/* supported_versions: list 5 in a 5-byte extension */
		{ 113,
		  { 0x00, 0x05 },
		  "tls: ClientHello: supported_versions length 5 beyond its "
		  "extension (4 bytes left)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		uint8_t ch[sizeof(client_hello)];
		struct conv c;
		struct pkt *p;

		memcpy(ch, client_hello, sizeof(ch));
		if (lies[i].at == 113) {
			/* supported_versions' list length is one byte */
			ch[lies[i].at] = lies[i].v[1];
		} else if (lies[i].at == 43) {
			ch[lies[i].at] = lies[i].v[0];
		} else {
			memcpy(ch + lies[i].at, lies[i].v, 2);
		}
		conv_open(&c);
		p = seg(&c, PKT_DIR_CLIENT, ch, sizeof(ch));
		assert_int_equal(count(p, "tls.handshake.type"), 1);
		has_error(p, lies[i].want);
		conv_close(&c);
	}
}

/* Lengths that lie at the record and handshake layers. */
static void test_lying_record_lengths(void **state)
{
	/* A handshake header claiming 70000 bytes in a 10-byte record, then a
	 * CCS: the message can never complete. */
	/* clang-format off */
	static const uint8_t long_hs[] = {
		0x16, 0x03, 0x03, 0x00, 0x0a,             /* handshake record, 10 bytes */
		0x0b, 0x01, 0x11, 0x70,                   /* Certificate, 70000 bytes */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,       /* 6 bytes of it */
		0x14, 0x03, 0x03, 0x00, 0x01, 0x01,       /* ChangeCipherSpec */
	};
	/* clang-format on */
	static const uint8_t huge_hs[] = {
		0x16, 0x03, 0x03, 0x00, 0x04,
		0x0b, 0x7f, 0xff, 0xff, /* Certificate, 8388607 bytes */
	};
	static const uint8_t not_tls[] = { 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20 };
	static const uint8_t empty_hs[] = { 0x16, 0x03, 0x03, 0x00, 0x00 };
	static const uint8_t bad_ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x02, 0x01, 0x01 };
	static struct bb big;
	static const uint8_t zeros[16381];
	struct conv c;
	struct pkt *p;

	(void)state;
	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	p = seg(&c, PKT_DIR_SERVER, long_hs, sizeof(long_hs));
	assert_string_equal(p->info,
			    "[Certificate Fragment], [tls: handshake message cut short by "
			    "a ChangeCipherSpec record (10 bytes of it)], Change Cipher Spec");
	has_error(p, "tls: handshake message cut short by a ChangeCipherSpec record (10 bytes of "
		     "it)");
	conv_close(&c);

	conv_open(&c);
	p = seg(&c, PKT_DIR_SERVER, huge_hs, sizeof(huge_hs));
	has_error(p, "tls: handshake message Certificate of 8388607 bytes beyond the 262144 "
		     "wirelab reassembles");
	conv_close(&c);

	conv_open(&c);
	seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	p = seg(&c, PKT_DIR_CLIENT, not_tls, sizeof(not_tls));
	has_error(p, "tls: no TLS record at byte 171 of the client's stream (type 71, version "
		     "0x4554); the rest of it is not dissected");
	/* Nothing more is read from that side. */
	p = seg(&c, PKT_DIR_CLIENT, client_hello, sizeof(client_hello));
	assert_int_equal(count(p, "tls"), 0);
	no_errors(fin(&c, PKT_DIR_CLIENT));
	p = seg(&c, PKT_DIR_SERVER, empty_hs, sizeof(empty_hs));
	has_error(p, "tls: empty handshake record (RFC 8446 5.1)");
	p = seg(&c, PKT_DIR_SERVER, bad_ccs, sizeof(bad_ccs));
	has_error(p, "tls: ChangeCipherSpec of 2 bytes (RFC 5246 7.1: one byte, 1)");
	conv_close(&c);

	/* A clear record longer than 2^14 (RFC 8446 5.1). */
	big.n = 0;
	u8(&big, 22);
	u16(&big, 0x0303);
	u16(&big, 16385);
	hsmsg(&big, 4, zeros, sizeof(zeros)); /* a New Session Ticket of zeros */
	conv_open(&c);
	p = seg(&c, PKT_DIR_SERVER, big.b, big.n);
	has_error(p, "tls: record length 16385 beyond 16384 (RFC 8446 5.1)");
	assert_string_equal(ilist(p, "tls.handshake.type"), "4");
	conv_close(&c);
}

/* Unknown extensions of any length, one repeated. */
static void test_extensions(void **state)
{
	static struct bb body, exts, hs, b;
	static const uint16_t types[] = { 0x4469, 0xff01, 0x0015, 0xfe0d, 0x1234 };
	struct conv c;
	struct pkt *p;

	(void)state;
	exts.n = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		u16(&exts, types[i]);
		u16(&exts, (unsigned)(i * 7));
		for (size_t j = 0; j < i * 7; j++)
			u8(&exts, (unsigned)j);
	}
	u16(&exts, 0x1234); /* again */
	u16(&exts, 0);
	body.n = 0;
	u16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(&body, 0x11);
	u8(&body, 0);
	u16(&body, 2);
	u16(&body, 0x1301);
	u8(&body, 1);
	u8(&body, 0);
	u16(&body, (unsigned)exts.n);
	put(&body, exts.b, exts.n);
	hs.n = b.n = 0;
	hsmsg(&hs, 1, body.b, body.n);
	record(&b, 22, hs.b, hs.n);
	conv_open(&c);
	p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
	assert_string_equal(ilist(p, "tls.handshake.extension.type"),
			    "17513,65281,21,65037,4660,4660");
	assert_int_equal(count(p, "wl.error"), 1);
	has_error(p, "tls: ClientHello: extension 4660 appears twice (RFC 8446 4.2)");
	conv_close(&c);
}

/* A ClientHello with no extensions at all (RFC 5246 7.4.1.2) is fine. */
static void test_no_extensions(void **state)
{
	static struct bb body, hs, b;
	struct conv c;
	struct pkt *p;

	(void)state;
	body.n = 0;
	u16(&body, 0x0301);
	for (int i = 0; i < 32; i++)
		u8(&body, 0x11);
	u8(&body, 0);
	u16(&body, 2);
	u16(&body, 0x002f);
	u8(&body, 1);
	u8(&body, 0);
	hs.n = b.n = 0;
	hsmsg(&hs, 1, body.b, body.n);
	record(&b, 22, hs.b, hs.n);
	conv_open(&c);
	p = seg(&c, PKT_DIR_CLIENT, b.b, b.n);
	no_errors(p);
	assert_int_equal(ival(p, "tls.handshake.version", 0), 0x0301);
	assert_int_equal(count(p, "tls.handshake.extension.type"), 0);
	conv_close(&c);
}

/* A certificate_list whose entry is no DER certificate. */
static void test_bad_certificate(void **state)
{
	/* clang-format off */
	static const uint8_t cert[] = {
		0x0b, 0x00, 0x00, 0x0a, /* Certificate, 10 bytes */
		0x00, 0x00, 0x07,       /* certificate_list: 7 bytes */
		0x00, 0x00, 0x04,       /* one certificate, 4 bytes */
		0x30, 0x02, 0x05, 0x00, /* SEQUENCE { NULL }: DER, no X.509 */
	};
	/* clang-format on */
	static struct bb b;
	static struct bb hs;
	char want[32];
	struct conv c;
	struct pkt *p;

	(void)state;
	b.n = 0;
	record(&b, 22, cert, sizeof(cert));
	conv_open(&c);
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	has_error(p, "tls: Certificate: certificate 1 is not a DER X.509 certificate");
	assert_int_equal(count(p, "tls.handshake.certificate.subject"), 0);
	conv_close(&c);

	/* The list's lengths hold, so the next certificate is still read. */
	hs.n = b.n = 0;
	u8(&hs, 11);
	u24(&hs, (unsigned)(3 + 3 + 4 + 3 + cert_der_len));
	u24(&hs, (unsigned)(3 + 4 + 3 + cert_der_len));
	put(&hs, cert + 7, 7); /* the bad one, with its length */
	u24(&hs, (unsigned)cert_der_len);
	put(&hs, cert_der, cert_der_len);
	record(&b, 22, hs.b, hs.n);
	conv_open(&c);
	p = seg(&c, PKT_DIR_SERVER, b.b, b.n);
	assert_int_equal(count(p, "wl.error"), 1);
	has_error(p, "tls: Certificate: certificate 1 is not a DER X.509 certificate");
	assert_string_equal(sval(p, "tls.handshake.certificate.subject", 0), "CN=pi.lab");
	snprintf(want, sizeof(want), "4,%zu", cert_der_len);
	assert_string_equal(ilist(p, "tls.handshake.certificate_length"), want);
	conv_close(&c);
}

/* ---- captures ---- */

struct cap {
	struct pkt *p;
	size_t n;
};

static void load(const char *name, const char *keys, struct cap *cap)
{
	char path[256], err[256];
	struct capfile *cf = NULL;
	struct dissect *d = NULL;
	struct keylog *kl = NULL;
	int64_t ts;
	uint32_t wl, cl;
	const uint8_t *data;

	snprintf(path, sizeof(path), "tests/pcap/%s", name);
	if (keys) {
		char kp[256];

		snprintf(kp, sizeof(kp), "tests/pcap/%s", keys);
		if (keylog_load(kp, &kl, err, sizeof(err)))
			fail_msg("%s", err);
		dissect_tls_set_keylog(kl);
	}
	if (capture_open(path, &cf, err, sizeof(err)) ||
	    dissect_new(capture_linktype(cf), &d, err, sizeof(err)))
		fail_msg("%s", err);
	cap->p = NULL;
	cap->n = 0;
	while (capture_next(cf, &ts, &wl, &data, &cl, err, sizeof(err)) == 1) {
		struct pkt p;

		memset(&p, 0, sizeof(p));
		cap->p = realloc(cap->p, (cap->n + 1) * sizeof(*cap->p));
		assert_non_null(cap->p);
		assert_int_equal(dissect_frame(d, ts, wl, data, cl, &p), 0);
		assert_int_equal(pkt_copy(&cap->p[cap->n], &p), 0);
		pkt_clear(&p);
		cap->n++;
	}
	dissect_free(d);
	capture_close(cf);
	dissect_tls_set_keylog(NULL);
	keylog_free(kl);
}

static void unload(struct cap *cap)
{
	for (size_t i = 0; i < cap->n; i++)
		pkt_clear(&cap->p[i]);
	free(cap->p);
}

static const struct pkt *frame(const struct cap *cap, size_t n)
{
	assert_true(n >= 1 && n <= cap->n);
	return &cap->p[n - 1];
}

/* Every capture dissects without a protocol error, with or without keys. */
static void test_captures_clean(void **state)
{
	static const char *const names[] = {
		"tls-12-aes128gcm", "tls-12-aes256gcm", "tls-12-chacha", "tls-12-big",
		"tls-12-mtu400",    "tls-12-frag",	"tls-12-rsa",	 "tls-12-dhe",
		"tls-13-aes128gcm", "tls-13-aes256gcm", "tls-13-chacha", "tls-13-big",
		"tls-13-mtu400",    "tls-13-frag",	"tls-13-hrr",	 "tls-mismatch",
		"tls-gnutls-12",    "tls-gnutls-13",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (int withkeys = 0; withkeys < 2; withkeys++) {
			char pcap[64], keys[64];
			struct cap cap;
			size_t nrec = 0;

			if (withkeys && !strcmp(names[i], "tls-mismatch"))
				continue;
			snprintf(pcap, sizeof(pcap), "%s.pcap", names[i]);
			snprintf(keys, sizeof(keys), "%s.keys", names[i]);
			load(pcap, withkeys ? keys : NULL, &cap);
			for (size_t j = 0; j < cap.n; j++) {
				if (count(&cap.p[j], "wl.error"))
					fail_msg("%s frame %zu: %s", pcap, j + 1,
						 sval(&cap.p[j], "wl.error", 0));
				if (withkeys && count(&cap.p[j], "tls.decrypt_error"))
					fail_msg("%s frame %zu: %s", pcap, j + 1,
						 sval(&cap.p[j], "tls.decrypt_error", 0));
				/* With keys every protected record opens. */
				if (withkeys)
					assert_int_equal(count(&cap.p[j], "tls.encrypted"),
							 count(&cap.p[j], "tls.decrypted"));
				nrec += count(&cap.p[j], "tls");
			}
			assert_true(nrec >= 2);
			unload(&cap);
		}
	}
}

static void test_capture_tls12(void **state)
{
	struct cap cap;
	const struct pkt *p;

	(void)state;
	load("tls-12-aes128gcm.pcap", NULL, &cap);
	p = frame(&cap, 4);
	assert_string_equal(p->info, "Client Hello");
	assert_string_equal(sval(p, "tls.handshake.extensions_server_name", 0), "pi.lab");
	/* curl pinned to 1.2 sends no supported_versions (FIELD-NOTES). */
	assert_int_equal(count(p, "tls.handshake.extensions.supported_version"), 0);
	p = frame(&cap, 6);
	assert_string_equal(p->info,
			    "Server Hello, Certificate, Server Key Exchange, Server Hello Done");
	assert_int_equal(ival(p, "tls.negotiated_version", 0), 0x0303);
	assert_string_equal(sval(p, "tls.handshake.ciphersuite_name", 0),
			    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(sval(p, "tls.handshake.certificate.subject", 0), "CN=pi.lab");
	assert_int_equal(ival(p, "tls.handshake.server_named_curve", 0), 29);
	p = frame(&cap, 8);
	assert_string_equal(p->info,
			    "Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message");
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 22, \"hs\": [16]}, {\"type\": 20}, "
				     "{\"type\": 22, \"encrypted\": true}]");
	unload(&cap);

	/* Split records (MTU 400): the Certificate's record ends in frame 8. */
	load("tls-12-mtu400.pcap", NULL, &cap);
	assert_string_equal(frame(&cap, 6)->info, "Server Hello");
	assert_string_equal(frame(&cap, 8)->info,
			    "Certificate, Server Key Exchange, Server Hello Done");
	unload(&cap);

	/* RSA key transport and DHE. */
	load("tls-12-rsa.pcap", NULL, &cap);
	p = frame(&cap, 6);
	assert_string_equal(sval(p, "tls.key_exchange", 0), "RSA");
	assert_int_equal(ival(frame(&cap, 8), "tls.handshake.epms_len", 0), 256);
	unload(&cap);
	load("tls-12-dhe.pcap", NULL, &cap);
	p = frame(&cap, 6);
	assert_string_equal(sval(p, "tls.key_exchange", 0), "DHE");
	assert_true(ival(p, "tls.handshake.p_len", 0) >= 256);
	assert_int_equal(ival(frame(&cap, 8), "tls.handshake.yc_len", 0),
			 ival(p, "tls.handshake.p_len", 0));
	unload(&cap);
}

static void test_capture_tls13(void **state)
{
	struct cap cap;
	const struct pkt *p;

	(void)state;
	load("tls-13-aes128gcm.pcap", NULL, &cap);
	p = frame(&cap, 4);
	assert_string_equal(ilist(p, "tls.handshake.extensions.supported_version"), "772");
	assert_string_equal(ilist(p, "tls.handshake.extensions_key_share_group"), "29");
	p = frame(&cap, 6);
	assert_string_equal(p->info, "Server Hello, Change Cipher Spec, Application Data, "
				     "Application Data, Application Data, Application Data");
	assert_int_equal(ival(p, "tls.negotiated_version", 0), 0x0304);
	assert_string_equal(sval(p, "tls.key_exchange", 0), "ECDHE");
	assert_int_equal(count(p, "tls.handshake.certificate.subject"), 0);
	unload(&cap);

	/* With the key log: the encrypted handshake and the HTTP inside. */
	load("tls-13-aes128gcm.pcap", "tls-13-aes128gcm.keys", &cap);
	p = frame(&cap, 6);
	assert_string_equal(p->info, "Server Hello, Change Cipher Spec, Encrypted Extensions, "
				     "Certificate, Certificate Verify, Finished");
	assert_string_equal(sval(p, "tls.handshake.certificate.subject", 0), "CN=pi.lab");
	assert_string_equal(ilist(p, "tls.handshake.type"), "2,8,11,15,20");
	p = frame(&cap, 11);
	assert_string_equal(sval(p, "tls.decrypted.first_line", 0), "GET /hello.txt HTTP/1.1");
	assert_string_equal(sval(p, "http.request.method", 0), "GET");
	p = frame(&cap, 12);
	assert_int_equal(ival(p, "http.response.code", 0), 200);
	unload(&cap);

	/* HelloRetryRequest, then a second ClientHello in clear. */
	load("tls-13-hrr.pcap", NULL, &cap);
	p = frame(&cap, 6);
	assert_string_equal(p->info, "Hello Retry Request, Change Cipher Spec");
	assert_int_equal(ival(p, "tls.handshake.extensions_key_share_selected_group", 0), 23);
	assert_string_equal(frame(&cap, 8)->info, "Change Cipher Spec, Client Hello");
	assert_int_equal(ival(frame(&cap, 9), "tls.handshake.extensions_key_share_group", 0), 23);
	unload(&cap);
}

static void test_capture_mismatch(void **state)
{
	struct cap cap;
	const struct pkt *p;

	(void)state;
	load("tls-mismatch.pcap", NULL, &cap);
	p = frame(&cap, 4);
	assert_string_equal(ilist(p, "tls.handshake.extensions.supported_version"), "772");
	/* FIELD-NOTES: protocol_version (70), not handshake_failure. */
	p = frame(&cap, 6);
	assert_string_equal(p->info, "Alert (Level: Fatal, Description: Protocol Version)");
	assert_string_equal(json(p), ", \"tls\": [{\"type\": 21, \"alert\": [2, 70]}]");
	unload(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_client_hello),
		cmocka_unit_test(test_tls12_handshake),
		cmocka_unit_test(test_tls13_handshake),
		cmocka_unit_test(test_tls13_data_after_server_hello),
		cmocka_unit_test(test_hello_retry_request),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_truncated_message_every_length),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_lying_record_lengths),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_no_extensions),
		cmocka_unit_test(test_bad_certificate),
		cmocka_unit_test(test_captures_clean),
		cmocka_unit_test(test_capture_tls12),
		cmocka_unit_test(test_capture_tls13),
		cmocka_unit_test(test_capture_mismatch),
	};

	return cmocka_run_group_tests(tests, make_cert, free_cert);
}

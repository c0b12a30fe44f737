/* harness/dissect_tls.c — TLS records and handshake messages (RFC 8446,
 * RFC 5246), over each direction's reassembled TCP bytes.
 *
 * Record layer (RFC 8446 5.1, RFC 5246 6.2):
 *
 *   +--------------+--------------------+-----------------+------------------+
 *   | type (1)     | legacy_version (2) | length (2)      | fragment[length] |
 *   +--------------+--------------------+-----------------+------------------+
 *   20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data,
 *   24 heartbeat (RFC 6520)
 *
 * Handshake layer (RFC 8446 4, RFC 5246 7.4), carried in type-22 records:
 *
 *   +--------------+------------------+---------------------+
 *   | msg_type (1) | length (3)       | body[length]        |
 *   +--------------+------------------+---------------------+
 *
 * Records may be cut across TCP segments and several may share one; a
 * handshake message may share a record with others or run across several
 * records (RFC 8446 5.1: "may be coalesced ... or fragmented"). Each record
 * is one "tls" group, listed at the packet that completes it (as Wireshark
 * does); a handshake message is listed in the record that completes it,
 * and the record that starts it without finishing says "[X Fragment]".
 *
 * What is in clear: everything up to the ChangeCipherSpec of each side in
 * TLS 1.2; in TLS 1.3 only the ClientHello, HelloRetryRequest, ServerHello
 * and the compatibility ChangeCipherSpec (RFC 8446 D.4) — every other record
 * after the ServerHello is protected and shows as application data whatever
 * its inner type. With a key log (dissect_tls_set_keylog) protected records
 * of AES-GCM and ChaCha20-Poly1305 suites are decrypted (keylog.c), their
 * content dissected like clear content, and the application data fed to the
 * HTTP dissector, as Wireshark does with tls.keylog_file.
 *
 * Whatever breaks the RFCs (lengths that lie, a record that is no TLS, a
 * handshake message cut by a key change) is a protocol error ("wl.error") at
 * the packet; a record header that is no TLS ends the dissection of that
 * direction (there is no way to find the next record).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "harness/dissect.h"
#include "harness/keylog.h"
#include "harness/rd.h"
#include "harness/trace.h"

#define TLS_PLAINTEXT_MAX    16384	    /* RFC 8446 5.1: 2^14 */
#define TLS13_CIPHERTEXT_MAX (16384 + 256)  /* RFC 8446 5.2 */
#define TLS12_CIPHERTEXT_MAX (16384 + 2048) /* RFC 5246 6.2.3 */
#define HS_MAX		     (1u << 18)	    /* handshake messages reassembled up to this */
#define PLAIN_MAX	     (1u << 20)	    /* decrypted bytes kept for the inner protocol */
#define FIRST_LINE_MAX	     200
#define NAME_MAX_TEXT	     512 /* a certificate's subject or issuer, as text */

enum {
	CT_CHANGE_CIPHER_SPEC = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPLICATION_DATA = 23,
	CT_HEARTBEAT = 24,
};

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_ENCRYPTED_EXTENSIONS = 8,
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CLIENT_KEY_EXCHANGE = 16,
};

enum {
	EXT_SERVER_NAME = 0,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_ALPN = 16,
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
	EXT_KEY_SHARE = 51,
};

static const char *const tls_fields[] = {
	"tls",
	"tls.record.content_type",
	"tls.record.opaque_type", /* TLS 1.3 protected record: the outer type */
	"tls.record.version",
	"tls.record.length",
	"tls.encrypted",	    /* wirelab: the record is protected on the wire */
	"tls.decrypted",	    /* wirelab: ... and was opened with the key log */
	"tls.decrypt_error",	    /* wirelab: why a protected record was not opened */
	"tls.decrypted.first_line", /* wirelab: first line of decrypted application data */
	"tls.change_cipher_spec",
	"tls.alert_message.level",
	"tls.alert_message.desc",
	"tls.app_data", /* the record's length (Wireshark: the bytes) */
	"tls.handshake.type",
	"tls.handshake.length",
	"tls.handshake.version",
	"tls.handshake.session_id_length",
	"tls.handshake.ciphersuite",
	"tls.handshake.ciphersuite_name",    /* wirelab: IANA name of the chosen suite */
	"tls.handshake.hello_retry_request", /* wirelab: this ServerHello is an HRR */
	"tls.negotiated_version",	     /* wirelab: at the ServerHello */
	"tls.key_exchange",		     /* wirelab: ECDHE, DHE, RSA, PSK, ECDHE_PSK ... */
	"tls.handshake.extension.type",
	"tls.handshake.extensions_server_name",
	"tls.handshake.extensions_supported_group",
	"tls.handshake.extensions.supported_version",
	"tls.handshake.extensions_key_share_group",
	"tls.handshake.extensions_key_share_selected_group",
	"tls.handshake.sig_hash_alg",
	"tls.handshake.extensions_alpn_str",
	"tls.handshake.certificate_length",
	"tls.handshake.certificate.subject", /* wirelab: RFC 2253 text */
	"tls.handshake.certificate.issuer",
	"tls.handshake.server_named_curve",
	"tls.handshake.server_point_len",
	"tls.handshake.p_len",
	"tls.handshake.client_point_len",
	"tls.handshake.yc_len",
	"tls.handshake.epms_len",
	NULL,
};

/* RFC 8446 4.1.3: the random of a ServerHello that is a HelloRetryRequest,
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static const struct keylog *tls_keylog;

void dissect_tls_set_keylog(const struct keylog *kl)
{
	tls_keylog = kl;
}

struct tls_side {
	int dead;      /* a record header that is no TLS: not dissected further */
	int encrypted; /* its records are protected from now on */
	uint64_t off;  /* stream offset of the next record */
	uint8_t *hs;   /* an incomplete handshake message (header included) */
	size_t hs_len, hs_cap;
	uint32_t hs_skip; /* bytes still to skip of a message too long to keep */
	size_t pending;	  /* bytes of an incomplete record left with dissect.c */
	uint8_t *plain;	  /* decrypted application data not used by the inner protocol */
	size_t plain_len, plain_cap;
};

struct tls_state {
	struct tls_side side[2];
	int client_dir; /* the side that sent the ClientHello */
	int seen_ch, seen_sh;
	int offered13; /* the ClientHello offered TLS 1.3 */
	int tls13;     /* TLS 1.3 chosen (ServerHello or HelloRetryRequest) */
	uint16_t version;
	uint16_t suite;
	uint8_t cr[32], sr[32];
	struct tls_decrypt *dec;
	char dec_problem[160]; /* why there is no decryptor (with a key log) */
	uint8_t *rec;	       /* plaintext of one record */
	/* the protocol inside the decrypted application data */
	const struct proto *inner;
	void *inner_st;
	int inner_done; /* none, or given up */
};

/* What a handshake parser needs: where to add, what to call it. */
struct hs_ctx {
	struct tls_state *s;
	int dir;
	struct pkt *p;
	const char *msg; /* "ClientHello" */
	int decrypted;	 /* the message came out of a protected record */
};

/* Parsers return 0, 1 for malformed input (already reported), or -1 on ENOMEM. */
#define TRY(x)                     \
	do {                       \
		int r_ = (x);      \
		if (r_)            \
			return r_; \
	} while (0)

static int malformed(struct hs_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int malformed(struct hs_ctx *c, const char *fmt, ...)
{
	char msg[140];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pkt_proto_error(c->p, "tls: %s: %s", c->msg, msg) ? -1 : 1;
}

/* A vector <lenbytes-byte length> as a child cursor (RFC 8446 3.4). */
static int vec(struct hs_ctx *c, struct rd *r, int lenbytes, const char *what, const char *in,
	       struct rd *out)
{
	uint32_t n = 0;
	uint16_t n16 = 0;
	uint8_t n8 = 0;
	int bad = 0;

	switch (lenbytes) {
	case 1:
		bad = rd_u8(r, &n8);
		n = n8;
		break;
	case 2:
		bad = rd_be16(r, &n16);
		n = n16;
		break;
	default:
		bad = rd_be24(r, &n);
		break;
	}
	if (bad)
		return malformed(c, "truncated before the length of %s", what);
	if (rd_sub(r, n, out))
		return malformed(c, "%s length %u beyond its %s (%zu bytes left)", what, n, in,
				 rd_left(r));
	return 0;
}

static void *tls_open(void)
{
	struct tls_state *s = calloc(1, sizeof(*s));

	if (s)
		s->client_dir = PKT_DIR_CLIENT;
	return s;
}

static void plain_free(struct tls_side *sd)
{
	free(sd->plain);
	sd->plain = NULL;
	sd->plain_len = sd->plain_cap = 0;
}

static void side_free(struct tls_side *sd)
{
	free(sd->hs);
	sd->hs = NULL;
	sd->hs_len = sd->hs_cap = 0;
	plain_free(sd);
}

static void tls_close(void *st)
{
	struct tls_state *s = st;

	if (!s)
		return;
	side_free(&s->side[0]);
	side_free(&s->side[1]);
	tls_decrypt_free(s->dec);
	if (s->inner)
		s->inner->close(s->inner_st);
	free(s->rec);
	free(s);
}

/* A stream is TLS when its client starts with a handshake record holding a
 * ClientHello, or (a capture that missed it) its server with any record. */
static int tls_detect(const uint8_t *d, size_t len, int dir)
{
	if (dir == PKT_DIR_CLIENT) {
		if ((len > 0 && d[0] != CT_HANDSHAKE) || (len > 1 && d[1] != 3) ||
		    (len > 2 && d[2] > 4) || (len > 5 && d[5] != HS_CLIENT_HELLO))
			return 0;
		return len > 5 ? 1 : -1;
	}
	if ((len > 0 && (d[0] < CT_CHANGE_CIPHER_SPEC || d[0] > CT_HEARTBEAT)) ||
	    (len > 1 && d[1] != 3) || (len > 2 && d[2] > 4))
		return 0;
	return len > 4 ? 1 : -1;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 1024;
	uint8_t *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*buf, c);
	if (!n)
		return -1;
	*buf = n;
	*cap = c;
	return 0;
}

static const char *hs_name(uint8_t type, char *buf, size_t len)
{
	const char *n = tls_handshake_name(type);

	if (n)
		return n;
	snprintf(buf, len, "Unknown Handshake Message (%u)", type);
	return buf;
}

/* ---- extensions (RFC 8446 4.2) ---- */

enum ext_in { IN_CLIENT_HELLO, IN_SERVER_HELLO, IN_HRR, IN_ENCRYPTED_EXTENSIONS };

/* What a ServerHello's extensions chose. */
struct hello_ext {
	uint16_t version; /* supported_versions, 0 if absent */
	int has_key_share;
	uint16_t group;
	int has_psk;
	int offers13; /* ClientHello: supported_versions holds 0x0304 */
};

static int ext_u16_list(struct hs_ctx *c, struct rd *e, int lenbytes, const char *what,
			const char *field, int *has13)
{
	struct rd l;
	uint16_t v;

	TRY(vec(c, e, lenbytes, what, "extension", &l));
	if (rd_left(&l) % 2)
		return malformed(c, "%s of odd length %zu", what, rd_left(&l));
	while (!rd_be16(&l, &v)) {
		if (pkt_add_int(c->p, field, v))
			return -1;
		if (has13 && v == 0x0304)
			*has13 = 1;
	}
	return 0;
}

static int ext_server_name(struct hs_ctx *c, struct rd *e, enum ext_in in)
{
	struct rd list, name;
	uint8_t type;

	if (in != IN_CLIENT_HELLO)
		return 0; /* the server's is empty (RFC 6066 3) */
	TRY(vec(c, e, 2, "server_name list", "extension", &list));
	while (rd_left(&list)) {
		if (rd_u8(&list, &type))
			return malformed(c, "truncated server_name entry");
		TRY(vec(c, &list, 2, "server name", "server_name list", &name));
		if (type == 0 && pkt_add_str(c->p, "tls.handshake.extensions_server_name",
					     (const char *)name.p, rd_left(&name)))
			return -1;
	}
	return 0;
}

static int ext_alpn(struct hs_ctx *c, struct rd *e)
{
	struct rd list, proto;

	TRY(vec(c, e, 2, "ALPN list", "extension", &list));
	while (rd_left(&list)) {
		TRY(vec(c, &list, 1, "ALPN protocol", "ALPN list", &proto));
		if (pkt_add_str(c->p, "tls.handshake.extensions_alpn_str", (const char *)proto.p,
				rd_left(&proto)))
			return -1;
	}
	return 0;
}

static int ext_key_share(struct hs_ctx *c, struct rd *e, enum ext_in in, struct hello_ext *h)
{
	struct rd list, kx;
	uint16_t g;

	switch (in) {
	case IN_CLIENT_HELLO:
		TRY(vec(c, e, 2, "key_share list", "extension", &list));
		while (rd_left(&list)) {
			if (rd_be16(&list, &g))
				return malformed(c, "truncated key_share entry");
			TRY(vec(c, &list, 2, "key_exchange", "key_share list", &kx));
			if (pkt_add_int(c->p, "tls.handshake.extensions_key_share_group", g))
				return -1;
		}
		return 0;
	case IN_SERVER_HELLO:
		if (rd_be16(e, &g))
			return malformed(c, "truncated key_share");
		TRY(vec(c, e, 2, "key_exchange", "extension", &kx));
		h->has_key_share = 1;
		h->group = g;
		return pkt_add_int(c->p, "tls.handshake.extensions_key_share_group", g) ? -1 : 0;
	case IN_HRR:
		if (rd_be16(e, &g))
			return malformed(c, "truncated key_share");
		h->group = g;
		return pkt_add_int(c->p, "tls.handshake.extensions_key_share_selected_group", g)
			       ? -1
			       : 0;
	case IN_ENCRYPTED_EXTENSIONS:
		break;
	}
	return 0;
}

/* One extension's body; unknown ones are listed by type only. */
static int extension(struct hs_ctx *c, uint16_t type, struct rd *e, enum ext_in in,
		     struct hello_ext *h)
{
	uint16_t v;

	switch (type) {
	case EXT_SERVER_NAME:
		return ext_server_name(c, e, in);
	case EXT_SUPPORTED_GROUPS:
		return ext_u16_list(c, e, 2, "supported_groups",
				    "tls.handshake.extensions_supported_group", NULL);
	case EXT_SIGNATURE_ALGORITHMS:
		return ext_u16_list(c, e, 2, "signature_algorithms", "tls.handshake.sig_hash_alg",
				    NULL);
	case EXT_ALPN:
		return ext_alpn(c, e);
	case EXT_SUPPORTED_VERSIONS:
		if (in == IN_CLIENT_HELLO)
			return ext_u16_list(c, e, 1, "supported_versions",
					    "tls.handshake.extensions.supported_version",
					    &h->offers13);
		if (rd_be16(e, &v))
			return malformed(c, "truncated supported_versions");
		h->version = v;
		return pkt_add_int(c->p, "tls.handshake.extensions.supported_version", v) ? -1 : 0;
	case EXT_KEY_SHARE:
		return ext_key_share(c, e, in, h);
	case EXT_PRE_SHARED_KEY:
		if (in == IN_SERVER_HELLO)
			h->has_psk = 1;
		rd_skip(e, rd_left(e));
		return 0;
	}
	rd_skip(e, rd_left(e));
	return 0;
}

static int extensions(struct hs_ctx *c, struct rd *m, enum ext_in in, struct hello_ext *h)
{
	uint64_t seen[65536 / 64];
	struct rd exts, e;
	uint16_t type;
	int r;

	/* RFC 5246 7.4.1.2: a hello may end before its extensions. */
	if (!rd_left(m) && in != IN_ENCRYPTED_EXTENSIONS)
		return 0;
	TRY(vec(c, m, 2, "extensions", "message", &exts));
	memset(seen, 0, sizeof(seen));
	while (rd_left(&exts)) {
		if (rd_be16(&exts, &type))
			return malformed(c, "truncated extension type");
		if (pkt_add_int(c->p, "tls.handshake.extension.type", type))
			return -1;
		TRY(vec(c, &exts, 2, "extension", "extensions", &e));
		if (seen[type / 64] & (1ull << (type % 64))) {
			if (malformed(c, "extension %u appears twice (RFC 8446 4.2)", type) < 0)
				return -1;
		}
		seen[type / 64] |= 1ull << (type % 64);
		r = extension(c, type, &e, in, h);
		if (r < 0)
			return -1;
		if (r == 0 && rd_left(&e) &&
		    malformed(c, "extension %u: %zu bytes after its contents", type, rd_left(&e)) <
			    0)
			return -1;
	}
	if (rd_left(m))
		return malformed(c, "%zu bytes after the extensions", rd_left(m));
	return 0;
}

/* ---- hello messages ---- */

/* RFC 8446 4.1.2 / RFC 5246 7.4.1.2:
 *   legacy_version(2) random(32) legacy_session_id<0..32>
 *   cipher_suites<2..2^16-2> legacy_compression_methods<1..2^8-1>
 *   extensions<8..2^16-1> */
static int client_hello(struct hs_ctx *c, struct rd *m)
{
	struct tls_state *s = c->s;
	struct hello_ext h = { 0 };
	struct rd sid, cs, comp;
	const uint8_t *random;
	uint16_t ver, suite;

	if (rd_be16(m, &ver))
		return malformed(c, "truncated before its version");
	if (pkt_add_int(c->p, "tls.handshake.version", ver))
		return -1;
	if (rd_bytes(m, 32, &random))
		return malformed(c, "truncated in its random");
	TRY(vec(c, m, 1, "session_id", "message", &sid));
	if (pkt_add_int(c->p, "tls.handshake.session_id_length", (int64_t)rd_left(&sid)))
		return -1;
	if (rd_left(&sid) > 32)
		TRY(malformed(c, "session_id of %zu bytes (at most 32)", rd_left(&sid)));
	TRY(vec(c, m, 2, "cipher_suites", "message", &cs));
	if (rd_left(&cs) % 2 || !rd_left(&cs))
		TRY(malformed(c, "cipher_suites of %zu bytes (an even number, at least 2)",
			      rd_left(&cs)));
	while (!rd_be16(&cs, &suite))
		if (pkt_add_int(c->p, "tls.handshake.ciphersuite", suite))
			return -1;
	TRY(vec(c, m, 1, "compression_methods", "message", &comp));
	if (!rd_left(&comp))
		TRY(malformed(c, "no compression method (at least null)"));
	TRY(extensions(c, m, IN_CLIENT_HELLO, &h));
	/* The second ClientHello after an HRR keeps the random (RFC 8446 4.1.2). */
	if (!s->seen_ch && !c->decrypted) {
		memcpy(s->cr, random, 32);
		s->client_dir = c->dir;
		s->offered13 = h.offers13;
		s->seen_ch = 1;
	}
	return 0;
}

static const char *kx_of(const struct tls_state *s, const struct hello_ext *h)
{
	const struct tls_suite *su = tls_suite_find(s->suite);

	if (!s->tls13)
		return su ? tls_kx_name(su->kx) : "";
	/* RFC 8446 4.2.8/4.2.11: (EC)DHE with key_share, PSK with
	 * pre_shared_key, both for psk_dhe_ke. */
	if (h->has_key_share) {
		int dhe = h->group >= 256 && h->group <= 511; /* ffdhe* (RFC 7919) */

		if (h->has_psk)
			return dhe ? "DHE_PSK" : "ECDHE_PSK";
		return dhe ? "DHE" : "ECDHE";
	}
	return h->has_psk ? "PSK" : "";
}

/* Sets up decryption when a key log is set and the hellos are known. */
static void decrypt_setup(struct tls_state *s)
{
	char err[160];

	if (!tls_keylog || s->dec || !s->seen_ch || !s->seen_sh)
		return;
	if (tls_decrypt_new(tls_keylog, s->tls13 ? 0x0304 : s->version, s->suite, s->cr, s->sr,
			    &s->dec, err, sizeof(err)))
		snprintf(s->dec_problem, sizeof(s->dec_problem), "%s", err);
}

/* RFC 8446 4.1.3 / RFC 5246 7.4.1.3:
 *   legacy_version(2) random(32) legacy_session_id_echo<0..32>
 *   cipher_suite(2) legacy_compression_method(1) extensions<6..2^16-1>
 * A HelloRetryRequest is a ServerHello with a fixed random (*is_hrr). */
static int server_hello(struct hs_ctx *c, struct rd *m, int *is_hrr)
{
	struct tls_state *s = c->s;
	struct hello_ext h = { 0 };
	const uint8_t *random;
	struct rd sid;
	uint16_t ver, suite;
	uint8_t comp;
	int hrr;

	if (rd_be16(m, &ver))
		return malformed(c, "truncated before its version");
	if (pkt_add_int(c->p, "tls.handshake.version", ver))
		return -1;
	if (rd_bytes(m, 32, &random))
		return malformed(c, "truncated in its random");
	hrr = !memcmp(random, hrr_random, 32);
	*is_hrr = hrr;
	if (hrr)
		c->msg = "HelloRetryRequest";
	TRY(vec(c, m, 1, "session_id", "message", &sid));
	if (pkt_add_int(c->p, "tls.handshake.session_id_length", (int64_t)rd_left(&sid)))
		return -1;
	if (rd_left(&sid) > 32)
		TRY(malformed(c, "session_id of %zu bytes (at most 32)", rd_left(&sid)));
	if (rd_be16(m, &suite))
		return malformed(c, "truncated before its cipher_suite");
	if (pkt_add_int(c->p, "tls.handshake.ciphersuite", suite))
		return -1;
	if (rd_u8(m, &comp))
		return malformed(c, "truncated before its compression_method");
	TRY(extensions(c, m, hrr ? IN_HRR : IN_SERVER_HELLO, &h));
	if (hrr) {
		s->tls13 = 1;
		return pkt_add_int(c->p, "tls.handshake.hello_retry_request", 1) ? -1 : 0;
	}
	if (s->seen_sh || c->decrypted)
		return 0; /* a renegotiation's: the connection's keys stay */
	uint16_t neg = h.version ? h.version : ver;
	const struct tls_suite *su = tls_suite_find(suite);

	s->version = neg;
	s->suite = suite;
	s->tls13 = neg == 0x0304 || (neg >> 8) == 0x7f;
	memcpy(s->sr, random, 32);
	s->seen_sh = 1;
	if (!s->seen_ch)
		s->client_dir = !c->dir; /* the ServerHello tells who the server is */
	if (pkt_add_int(c->p, "tls.negotiated_version", neg) ||
	    (su && pkt_add_str(c->p, "tls.handshake.ciphersuite_name", su->name, strlen(su->name))))
		return -1;
	const char *kx = kx_of(s, &h);

	if (*kx && pkt_add_str(c->p, "tls.key_exchange", kx, strlen(kx)))
		return -1;
	if (s->tls13) {
		/* RFC 8446 2: everything after the ServerHello is protected. */
		s->side[0].encrypted = s->side[1].encrypted = 1;
	}
	decrypt_setup(s);
	return 0;
}

/* ---- Certificate, key exchange ---- */

/* What certificate() reads of one DER certificate: whether it is X.509,
 * how many of its bytes the DER spans, and its subject and issuer as RFC
 * 2253 text ("CN=pi.lab"; len -1: OpenSSL could not print the name). */
struct cert_info {
	int ok;
	size_t used;
	char subject[NAME_MAX_TEXT], issuer[NAME_MAX_TEXT];
	int subject_len, issuer_len;
};

/* Returns 0, or -1 on ENOMEM. */
static int name_text(const X509_NAME *name, char *buf, int *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	if (!b)
		return -1;
	*len = -1;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, buf, NAME_MAX_TEXT);
		*len = n > 0 ? n : 0;
	}
	BIO_free(b);
	return 0;
}

static int cert_decode(const uint8_t *der, size_t len, struct cert_info *ci)
{
	const unsigned char *pp = der;
	X509 *x = d2i_X509(NULL, &pp, (long)len);
	int ret = 0;

	ERR_clear_error(); /* OpenSSL queues why a DER did not parse */
	ci->ok = x != NULL;
	if (!x)
		return 0;
	ci->used = (size_t)(pp - der);
	if (name_text(X509_get_subject_name(x), ci->subject, &ci->subject_len) ||
	    name_text(X509_get_issuer_name(x), ci->issuer, &ci->issuer_len))
		ret = -1;
	X509_free(x);
	return ret;
}

/* Every connection to a server sends the same certificates, and d2i_X509
 * decodes all of one, public key included: on a capture of many TLS
 * connections it cost more than the rest of the dissection. So the last
 * few are remembered by their bytes (compared whole: equal bytes, equal
 * answer), per thread. */
#define CERT_MEMO 8

struct cert_memo {
	uint8_t *der;
	size_t len;
	struct cert_info ci;
};

static __thread struct cert_memo cert_memo[CERT_MEMO];
static __thread unsigned cert_memo_next;

/* The certificate's information, or NULL on ENOMEM. */
static const struct cert_info *cert_lookup(const uint8_t *der, size_t len)
{
	struct cert_memo *m;
	uint8_t *copy;

	for (size_t i = 0; i < CERT_MEMO; i++) {
		m = &cert_memo[i];
		if (m->der && m->len == len && !memcmp(m->der, der, len))
			return &m->ci;
	}
	m = &cert_memo[cert_memo_next++ % CERT_MEMO];
	copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	free(m->der);
	m->der = NULL;
	if (cert_decode(der, len, &m->ci)) {
		free(copy);
		return NULL;
	}
	memcpy(copy, der, len);
	m->der = copy;
	m->len = len;
	return &m->ci;
}

/* RFC 5246 7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>;
 * RFC 8446 4.4.2 adds certificate_request_context<0..2^8-1> before it and
 * extensions<0..2^16-1> after each certificate. */
static int certificate(struct hs_ctx *c, struct rd *m)
{
	struct rd ctx, list, der, exts;
	int n = 0;

	if (c->s->tls13)
		TRY(vec(c, m, 1, "certificate_request_context", "message", &ctx));
	TRY(vec(c, m, 3, "certificate_list", "message", &list));
	while (rd_left(&list)) {
		const struct cert_info *ci;

		n++;
		TRY(vec(c, &list, 3, "certificate", "certificate_list", &der));
		if (pkt_add_int(c->p, "tls.handshake.certificate_length", (int64_t)rd_left(&der)))
			return -1;
		if (c->s->tls13)
			TRY(vec(c, &list, 2, "certificate extensions", "certificate_list", &exts));
		ci = cert_lookup(der.p, rd_left(&der));
		if (!ci)
			return -1;
		if (!ci->ok) {
			/* The list's lengths hold: go on with the next one. */
			if (malformed(c, "certificate %d is not a DER X.509 certificate", n) < 0)
				return -1;
			continue;
		}
		if ((ci->subject_len >= 0 && pkt_add_str(c->p, "tls.handshake.certificate.subject",
							 ci->subject, (size_t)ci->subject_len)) ||
		    (ci->issuer_len >= 0 && pkt_add_str(c->p, "tls.handshake.certificate.issuer",
							ci->issuer, (size_t)ci->issuer_len)))
			return -1;
		if (ci->used != rd_left(&der) &&
		    malformed(c, "certificate %d: %zu bytes after its DER", n,
			      rd_left(&der) - ci->used) < 0)
			return -1;
	}
	if (rd_left(m))
		return malformed(c, "%zu bytes after the certificate_list", rd_left(m));
	return 0;
}

/* RFC 8422 5.4 (ECDHE: curve_type 3 = named_curve, namedcurve, point),
 * RFC 5246 7.4.3 (DHE: dh_p, dh_g, dh_Ys), RFC 4279 2 (a PSK hint first). */
static int server_key_exchange(struct hs_ctx *c, struct rd *m)
{
	const struct tls_suite *su = tls_suite_find(c->s->suite);
	struct rd v;
	uint8_t ctype;
	uint16_t curve;

	if (!su || c->s->tls13)
		return 0;
	if (su->kx == TLS_KX_ECDHE_PSK || su->kx == TLS_KX_DHE_PSK)
		TRY(vec(c, m, 2, "psk_identity_hint", "message", &v));
	if (su->kx == TLS_KX_ECDHE || su->kx == TLS_KX_ECDHE_PSK) {
		if (rd_u8(m, &ctype))
			return malformed(c, "truncated before its curve_type");
		if (ctype != 3)
			return 0; /* explicit curves (deprecated, RFC 8422 5.4) */
		if (rd_be16(m, &curve))
			return malformed(c, "truncated in its named curve");
		if (pkt_add_int(c->p, "tls.handshake.server_named_curve", curve))
			return -1;
		TRY(vec(c, m, 1, "ECDH point", "message", &v));
		return pkt_add_int(c->p, "tls.handshake.server_point_len", (int64_t)rd_left(&v))
			       ? -1
			       : 0;
	}
	if (su->kx == TLS_KX_DHE || su->kx == TLS_KX_DHE_PSK) {
		TRY(vec(c, m, 2, "dh_p", "message", &v));
		if (pkt_add_int(c->p, "tls.handshake.p_len", (int64_t)rd_left(&v)))
			return -1;
		TRY(vec(c, m, 2, "dh_g", "message", &v));
		TRY(vec(c, m, 2, "dh_Ys", "message", &v));
	}
	return 0;
}

/* RFC 8422 5.7 (ECDHE: point<1..2^8-1>), RFC 5246 7.4.7 (RSA:
 * EncryptedPreMasterSecret<0..2^16-1>; DHE: dh_Yc<1..2^16-1>), RFC 4279. */
static int client_key_exchange(struct hs_ctx *c, struct rd *m)
{
	const struct tls_suite *su = tls_suite_find(c->s->suite);
	struct rd v;

	if (!su || c->s->tls13)
		return 0;
	switch (su->kx) {
	case TLS_KX_PSK:
	case TLS_KX_ECDHE_PSK:
	case TLS_KX_DHE_PSK:
	case TLS_KX_RSA_PSK:
		TRY(vec(c, m, 2, "psk_identity", "message", &v));
		break;
	case TLS_KX_ANY:
	case TLS_KX_RSA:
	case TLS_KX_DHE:
	case TLS_KX_ECDHE:
	case TLS_KX_SRP:
	case TLS_KX_NONE:
		break;
	}
	switch (su->kx) {
	case TLS_KX_ECDHE:
	case TLS_KX_ECDHE_PSK:
		TRY(vec(c, m, 1, "ECDH point", "message", &v));
		return pkt_add_int(c->p, "tls.handshake.client_point_len", (int64_t)rd_left(&v))
			       ? -1
			       : 0;
	case TLS_KX_DHE:
	case TLS_KX_DHE_PSK:
		TRY(vec(c, m, 2, "dh_Yc", "message", &v));
		return pkt_add_int(c->p, "tls.handshake.yc_len", (int64_t)rd_left(&v)) ? -1 : 0;
	case TLS_KX_RSA:
	case TLS_KX_RSA_PSK:
		TRY(vec(c, m, 2, "EncryptedPreMasterSecret", "message", &v));
		return pkt_add_int(c->p, "tls.handshake.epms_len", (int64_t)rd_left(&v)) ? -1 : 0;
	case TLS_KX_ANY:
	case TLS_KX_PSK:
	case TLS_KX_SRP:
	case TLS_KX_NONE:
		break;
	}
	return 0;
}

/* One complete handshake message. *switched is set when it was a TLS 1.3
 * ServerHello: what follows in its record would have to be protected. */
static int handshake_message(struct tls_state *s, int dir, uint8_t type, const uint8_t *body,
			     uint32_t len, int decrypted, struct pkt *p, int *switched)
{
	struct hs_ctx c = { s, dir, p, "", decrypted };
	struct rd m = rd_make(body, len);
	char nb[40];
	int hrr = 0, r = 0, had_sh = s->seen_sh;

	if (pkt_add_int(p, "tls.handshake.type", type) ||
	    pkt_add_int(p, "tls.handshake.length", len))
		return -1;
	switch (type) {
	case HS_CLIENT_HELLO:
		c.msg = "ClientHello";
		r = client_hello(&c, &m);
		break;
	case HS_SERVER_HELLO:
		c.msg = "ServerHello";
		r = server_hello(&c, &m, &hrr);
		break;
	case HS_ENCRYPTED_EXTENSIONS: {
		struct hello_ext h = { 0 };

		c.msg = "EncryptedExtensions";
		r = extensions(&c, &m, IN_ENCRYPTED_EXTENSIONS, &h);
		break;
	}
	case HS_CERTIFICATE:
		c.msg = "Certificate";
		r = certificate(&c, &m);
		break;
	case HS_SERVER_KEY_EXCHANGE:
		c.msg = "ServerKeyExchange";
		r = server_key_exchange(&c, &m);
		break;
	case HS_CLIENT_KEY_EXCHANGE:
		c.msg = "ClientKeyExchange";
		r = client_key_exchange(&c, &m);
		break;
	}
	if (r < 0)
		return -1;
	pkt_info_add(p, "%s", hrr ? "Hello Retry Request" : hs_name(type, nb, sizeof(nb)));
	*switched = type == HS_SERVER_HELLO && !had_sh && s->seen_sh && s->tls13;
	return 0;
}

/* Handshake bytes of one record: completes, lists and keeps messages. */
static int handshake(struct tls_state *s, int dir, const uint8_t *d, size_t n, int decrypted,
		     struct pkt *p)
{
	struct tls_side *sd = &s->side[dir];
	size_t off = 0;
	char nb[40];

	if (n == 0)
		return pkt_proto_error(p, "tls: empty handshake record (RFC 8446 5.1)");
	while (off < n) {
		size_t take;
		uint32_t mlen;
		int started_here = sd->hs_len == 0, switched = 0;

		if (sd->hs_skip) {
			take = n - off < sd->hs_skip ? n - off : sd->hs_skip;
			sd->hs_skip -= (uint32_t)take;
			off += take;
			continue;
		}
		if (sd->hs_len < 4) {
			take = 4 - sd->hs_len < n - off ? 4 - sd->hs_len : n - off;
			if (grow(&sd->hs, &sd->hs_cap, 4))
				return -1;
			memcpy(sd->hs + sd->hs_len, d + off, take);
			sd->hs_len += take;
			off += take;
			if (sd->hs_len < 4)
				break;
		}
		mlen = (uint32_t)sd->hs[1] << 16 | (uint32_t)sd->hs[2] << 8 | sd->hs[3];
		if (mlen > HS_MAX) {
			if (pkt_proto_error(p,
					    "tls: handshake message %s of %u bytes beyond the %u "
					    "wirelab reassembles",
					    hs_name(sd->hs[0], nb, sizeof(nb)), mlen, HS_MAX))
				return -1;
			sd->hs_len = 0;
			sd->hs_skip = mlen;
			continue;
		}
		take = 4 + mlen - sd->hs_len < n - off ? 4 + mlen - sd->hs_len : n - off;
		if (grow(&sd->hs, &sd->hs_cap, sd->hs_len + take))
			return -1;
		memcpy(sd->hs + sd->hs_len, d + off, take);
		sd->hs_len += take;
		off += take;
		if (sd->hs_len < 4 + (size_t)mlen) {
			if (started_here)
				pkt_info_add(p, "[%s Fragment]",
					     hs_name(sd->hs[0], nb, sizeof(nb)));
			break;
		}
		sd->hs_len = 0;
		if (handshake_message(s, dir, sd->hs[0], sd->hs + 4, mlen, decrypted, p, &switched))
			return -1;
		if (switched && off < n) {
			/* RFC 8446 5.1: handshake messages may not span a key
			 * change; the ServerHello ends its record. */
			return pkt_proto_error(p,
					       "tls: %zu bytes after the TLS 1.3 ServerHello in "
					       "its record (RFC 8446 5.1)",
					       n - off);
		}
	}
	return 0;
}

/* ---- the other content types ---- */

/* The sender's data ended (close_notify, or the TCP FIN). */
static int inner_fin(struct tls_state *s, int dir, struct pkt *p)
{
	int pdir = dir == s->client_dir ? PKT_DIR_CLIENT : PKT_DIR_SERVER;

	if (!s->inner || !s->inner->fin)
		return 0;
	return s->inner->fin(s->inner_st, pdir, p);
}

static int alert(struct tls_state *s, int dir, const uint8_t *d, size_t n, int decrypted,
		 struct pkt *p)
{
	struct rd r = rd_make(d, n);
	uint8_t level, desc;
	char lb[24], db[24];

	if (n == 0)
		return pkt_proto_error(p, "tls: empty alert record");
	while (!rd_u8(&r, &level)) {
		if (rd_u8(&r, &desc))
			return pkt_proto_error(p, "tls: alert record of %zu bytes (2 per alert)",
					       n);
		const char *ln = level == 1 ? "Warning" : level == 2 ? "Fatal" : NULL;
		const char *dn = tls_alert_name(desc);

		if (!ln)
			snprintf(lb, sizeof(lb), "Unknown (%u)", level), ln = lb;
		if (!dn)
			snprintf(db, sizeof(db), "Unknown (%u)", desc), dn = db;
		if (pkt_add_int(p, "tls.alert_message.level", level) ||
		    pkt_add_int(p, "tls.alert_message.desc", desc))
			return -1;
		pkt_info_add(p, "Alert (Level: %s, Description: %s)", ln, dn);
		/* RFC 8446 6.1: close_notify ends the sender's data. */
		if (desc == 0 && decrypted && inner_fin(s, dir, p))
			return -1;
	}
	return 0;
}

static int change_cipher_spec(struct tls_state *s, int dir, const uint8_t *d, size_t n,
			      struct pkt *p)
{
	struct tls_side *sd = &s->side[dir];

	if (pkt_add_int(p, "tls.change_cipher_spec", 1))
		return -1;
	pkt_info_add(p, "Change Cipher Spec");
	if ((n != 1 || d[0] != 1) &&
	    pkt_proto_error(p, "tls: ChangeCipherSpec of %zu bytes%s (RFC 5246 7.1: one byte, 1)",
			    n, n == 1 ? ", not 1" : ""))
		return -1;
	/* TLS 1.3's compatibility CCS changes nothing (RFC 8446 D.4); a
	 * client offering 1.3 may send it before any ServerHello. */
	if (s->tls13 || (!s->seen_sh && s->offered13 && dir == s->client_dir))
		return 0;
	sd->encrypted = 1;
	tls_decrypt_ccs(s->dec, dir == s->client_dir ? 0 : 1);
	return 0;
}

/* Feeds decrypted application data to the protocol inside (HTTP, and
 * what HTTP upgrades to), as dissect.c does for TCP. */
static int inner_feed(struct tls_state *s, int dir, struct pkt *p)
{
	for (int guard = 0; guard < 4 && s->inner; guard++) {
		struct tls_side *sd = &s->side[dir];
		int pdir = dir == s->client_dir ? PKT_DIR_CLIENT : PKT_DIR_SERVER;
		struct proto_io io = { NULL, 0, "" };
		size_t used;

		if (!sd->plain_len)
			return 0;
		used = s->inner->feed(s->inner_st, pdir, sd->plain, sd->plain_len, p, &io);
		if (used == (size_t)-1)
			return -1;
		if (used > sd->plain_len)
			used = sd->plain_len;
		memmove(sd->plain, sd->plain + used, sd->plain_len - used);
		sd->plain_len -= used;
		if (io.next) {
			s->inner->close(s->inner_st);
			s->inner = io.next;
			s->inner_st = io.next->open();
			if (!s->inner_st) {
				s->inner = NULL;
				return -1;
			}
			if (inner_feed(s, !dir, p))
				return -1;
			continue;
		}
		if (used == 0)
			break;
	}
	return 0;
}

static int app_data_plain(struct tls_state *s, int dir, const uint8_t *d, size_t n, struct pkt *p)
{
	struct tls_side *sd = &s->side[dir];
	const uint8_t *nl = memchr(d, '\n', n < FIRST_LINE_MAX + 2 ? n : FIRST_LINE_MAX + 2);
	size_t ll = nl ? (size_t)(nl - d) : 0;
	int printable = ll > 0;

	if (ll && d[ll - 1] == '\r')
		ll--;
	for (size_t i = 0; i < ll && printable; i++)
		printable = (d[i] >= 0x20 && d[i] < 0x7f) || d[i] == '\t';
	if (printable && ll && pkt_add_str(p, "tls.decrypted.first_line", (const char *)d, ll))
		return -1;
	if (s->inner_done)
		return 0;
	if (sd->plain_len + n > PLAIN_MAX) {
		/* The inner protocol lost its way: stop rather than grow. */
		s->inner_done = 1;
		plain_free(&s->side[0]);
		plain_free(&s->side[1]);
		return 0;
	}
	if (grow(&sd->plain, &sd->plain_cap, sd->plain_len + n))
		return -1;
	memcpy(sd->plain + sd->plain_len, d, n);
	sd->plain_len += n;
	if (!s->inner) {
		int pdir = dir == s->client_dir ? PKT_DIR_CLIENT : PKT_DIR_SERVER;
		int r = proto_http.detect(sd->plain, sd->plain_len, pdir);

		if (r == 0 || (r < 0 && sd->plain_len > 64)) {
			s->inner_done = 1; /* not HTTP: the first lines are all we show */
			plain_free(sd);
			return 0;
		}
		if (r < 0)
			return 0;
		s->inner_st = proto_http.open();
		if (!s->inner_st)
			return -1;
		s->inner = &proto_http;
	}
	return inner_feed(s, dir, p);
}

/* The content of a record in clear, or opened with the key log. */
static int content(struct tls_state *s, int dir, uint8_t type, const uint8_t *d, size_t n,
		   int decrypted, struct pkt *p)
{
	switch (type) {
	case CT_CHANGE_CIPHER_SPEC:
		return change_cipher_spec(s, dir, d, n, p);
	case CT_ALERT:
		return alert(s, dir, d, n, decrypted, p);
	case CT_HANDSHAKE:
		return handshake(s, dir, d, n, decrypted, p);
	case CT_APPLICATION_DATA:
		pkt_info_add(p, "Application Data");
		return decrypted ? app_data_plain(s, dir, d, n, p) : 0;
	case CT_HEARTBEAT:
		pkt_info_add(p, "Heartbeat");
		return 0;
	}
	return pkt_proto_error(p, "tls: decrypted record of unknown content type %u", type);
}

static const char *content_name(uint8_t type)
{
	switch (type) {
	case CT_CHANGE_CIPHER_SPEC:
		return "a ChangeCipherSpec";
	case CT_ALERT:
		return "an alert";
	case CT_HANDSHAKE:
		return "a handshake";
	case CT_APPLICATION_DATA:
		return "an application_data";
	case CT_HEARTBEAT:
		return "a heartbeat";
	}
	return "an unknown";
}

static const char *protected_info(uint8_t type)
{
	switch (type) {
	case CT_CHANGE_CIPHER_SPEC:
		return "Encrypted Change Cipher Spec";
	case CT_ALERT:
		return "Encrypted Alert";
	case CT_HANDSHAKE:
		return "Encrypted Handshake Message";
	case CT_HEARTBEAT:
		return "Encrypted Heartbeat";
	}
	return "Application Data";
}

/* One whole record: its group and fields, then its content. */
static int record(struct tls_state *s, int dir, uint8_t type, uint16_t ver, const uint8_t *frag,
		  size_t len, struct pkt *p)
{
	struct tls_side *sd = &s->side[dir];
	/* application_data is never in clear; in TLS 1.3 the CCS always is. */
	int prot = type == CT_APPLICATION_DATA ||
		   (sd->encrypted && !(type == CT_CHANGE_CIPHER_SPEC && s->tls13));
	int decrypted = 0;
	uint8_t inner = type;
	size_t plen = 0;
	char err[160] = "";

	if (prot && s->dec) {
		if (!s->rec) {
			s->rec = malloc(65536);
			if (!s->rec)
				return -1;
		}
		decrypted = !tls_decrypt_record(s->dec, dir == s->client_dir ? 0 : 1, type, ver,
						frag, len, s->rec, &plen, &inner, err, sizeof(err));
	} else if (prot && tls_keylog && s->dec_problem[0]) {
		snprintf(err, sizeof(err), "%s", s->dec_problem);
	}
	if (pkt_add_group(p, "tls"))
		return -1;
	if (prot && s->tls13) {
		if (pkt_add_int(p, "tls.record.opaque_type", type) ||
		    (decrypted && pkt_add_int(p, "tls.record.content_type", inner)))
			return -1;
	} else if (pkt_add_int(p, "tls.record.content_type", type)) {
		return -1;
	}
	if (pkt_add_int(p, "tls.record.version", ver) || pkt_add_int(p, "tls.record.length", len))
		return -1;
	size_t max = !prot	? TLS_PLAINTEXT_MAX
		     : s->tls13 ? TLS13_CIPHERTEXT_MAX
				: TLS12_CIPHERTEXT_MAX;

	if (len > max && pkt_proto_error(p, "tls: record length %zu beyond %zu (RFC %s)", len, max,
					 !prot	    ? "8446 5.1"
					 : s->tls13 ? "8446 5.2"
						    : "5246 6.2.3"))
		return -1;
	if (prot && (pkt_add_int(p, "tls.encrypted", 1) ||
		     (decrypted && pkt_add_int(p, "tls.decrypted", 1)) ||
		     (err[0] && pkt_add_str(p, "tls.decrypt_error", err, strlen(err)))))
		return -1;
	if (type == CT_APPLICATION_DATA && pkt_add_int(p, "tls.app_data", (int64_t)len))
		return -1;
	/* RFC 8446 5.1: handshake messages are not interleaved with other
	 * record types. */
	if ((decrypted ? inner : type) != CT_HANDSHAKE && (sd->hs_len || sd->hs_skip)) {
		if (pkt_proto_error(p,
				    "tls: handshake message cut short by %s record (%zu bytes "
				    "of it)",
				    content_name(decrypted ? inner : type), sd->hs_len))
			return -1;
		sd->hs_len = 0;
		sd->hs_skip = 0;
	}
	if (prot && !decrypted) {
		pkt_info_add(p, "%s", protected_info(type));
		return 0;
	}
	if (prot)
		return content(s, dir, inner, s->rec, plen, 1, p);
	return content(s, dir, type, frag, len, 0, p);
}

static int header_valid(uint8_t type, uint16_t ver)
{
	return type >= CT_CHANGE_CIPHER_SPEC && type <= CT_HEARTBEAT && (ver >> 8) == 3 &&
	       (ver & 0xff) <= 4;
}

static size_t tls_feed(void *st, int dir, const uint8_t *data, size_t len, struct pkt *p,
		       struct proto_io *io)
{
	struct tls_state *s = st;
	struct tls_side *sd;
	size_t used = 0;

	(void)io;
	if (dir != PKT_DIR_CLIENT && dir != PKT_DIR_SERVER)
		return len;
	sd = &s->side[dir];
	if (sd->dead)
		return len;
	while (len - used >= 5) {
		struct rd r = rd_make(data + used, len - used), frag;
		uint8_t type;
		uint16_t ver, rlen;

		if (rd_u8(&r, &type) || rd_be16(&r, &ver) || rd_be16(&r, &rlen))
			break; /* cannot happen: 5 bytes are here */
		if (!header_valid(type, ver)) {
			sd->dead = 1;
			side_free(sd);
			if (pkt_proto_error(p,
					    "tls: no TLS record at byte %" PRIu64
					    " of the %s's stream (type %u, version 0x%04x); "
					    "the rest of it is not dissected",
					    sd->off, dir == s->client_dir ? "client" : "server",
					    type, ver))
				return (size_t)-1;
			return len;
		}
		if (rd_sub(&r, rlen, &frag))
			break; /* the record is not all here yet */
		if (record(s, dir, type, ver, frag.p, rlen, p))
			return (size_t)-1;
		used += 5u + rlen;
		sd->off += 5u + rlen;
	}
	sd->pending = len - used;
	return used;
}

/* The direction closed: what it left unfinished is cut short, and the
 * protocol inside may end a message at the close (HTTP read to the close). */
static int tls_fin(void *st, int dir, struct pkt *p)
{
	struct tls_state *s = st;
	struct tls_side *sd;
	const char *who;

	if (dir != PKT_DIR_CLIENT && dir != PKT_DIR_SERVER)
		return 0;
	sd = &s->side[dir];
	who = dir == s->client_dir ? "client" : "server";
	if (sd->dead)
		return 0;
	if (sd->pending &&
	    pkt_proto_error(p, "tls: the %s's stream ends inside a record (%zu bytes of it)", who,
			    sd->pending))
		return -1;
	if ((sd->hs_len || sd->hs_skip) &&
	    pkt_proto_error(p, "tls: the %s's stream ends inside a handshake message", who))
		return -1;
	return inner_fin(s, dir, p);
}

/* ---- show --json ---- */

/* "tls": [{"type": 22, "hs": [1]}, {"type": 21, "alert": [2, 40]},
 *         {"type": 23, "encrypted": true}] */
static void jw_tls(struct jw *w, const struct pkt *p)
{
	int first = 1;

	for (size_t i = 0; i < p->nfv; i++) {
		if (p->fv[i].type != PKT_FV_GROUP || strcmp(p->fv[i].name, "tls"))
			continue;
		size_t end = pkt_group_end(p, i);
		const struct pkt_fv *ct = pkt_group_field(p, i, end, "tls.record.content_type");
		const struct pkt_fv *ot = pkt_group_field(p, i, end, "tls.record.opaque_type");
		const struct pkt_fv *enc = pkt_group_field(p, i, end, "tls.encrypted");
		const struct pkt_fv *dec = pkt_group_field(p, i, end, "tls.decrypted");
		const struct pkt_fv *wire = ot ? ot : ct;
		int64_t inner = ct ? ct->i : -1;
		int readable = !enc || dec;

		if (first)
			jw_lit(w, ", \"tls\": [{\"type\": ");
		else
			jw_lit(w, ", {\"type\": ");
		jw_i64(w, wire ? wire->i : 0);
		first = 0;
		if (enc)
			jw_lit(w, ", \"encrypted\": true");
		if (dec) {
			jw_lit(w, ", \"decrypted\": true");
			if (ot && ct) {
				jw_lit(w, ", \"inner\": ");
				jw_i64(w, inner);
			}
		}
		if (readable && inner == CT_HANDSHAKE) {
			int n = 0;

			jw_lit(w, ", \"hs\": [");
			for (size_t j = i + 1; j < end; j++) {
				if (strcmp(p->fv[j].name, "tls.handshake.type"))
					continue;
				if (n++)
					jw_lit(w, ", ");
				jw_i64(w, p->fv[j].i);
			}
			jw_lit(w, "]");
		}
		if (readable && inner == CT_ALERT) {
			const struct pkt_fv *l =
				pkt_group_field(p, i, end, "tls.alert_message.level");
			const struct pkt_fv *d =
				pkt_group_field(p, i, end, "tls.alert_message.desc");

			if (l && d) {
				jw_lit(w, ", \"alert\": [");
				jw_i64(w, l->i);
				jw_lit(w, ", ");
				jw_i64(w, d->i);
				jw_lit(w, "]");
			}
		}
		jw_lit(w, "}");
	}
	if (!first)
		jw_lit(w, "]");
}

static void json_tls(FILE *out, const struct pkt *p)
{
	struct jw w;

	jw_init(&w, out);
	jw_tls(&w, p);
	jw_flush(&w);
}

const struct proto proto_tls = {
	.name = "tls",
	.fields = tls_fields,
	.detect = tls_detect,
	.open = tls_open,
	.close = tls_close,
	.feed = tls_feed,
	.fin = tls_fin,
	.carries = 1u << TRACE_TLS,
	.json = json_tls,
	.jw = jw_tls,
};

/* tests/test_ws.c — the WebSocket dissector (harness/dissect_ws.c) and the
 * HTTP upgrade before it (harness/dissect_http.c), through the real pipeline:
 * Ethernet/IPv4/TCP frames of one conversation, built in memory, go through
 * dissect_frame() one by one, as a capture would.
 *
 * Each conversation is the TCP handshake, the upgrade request with RFC 6455's
 * example key (1.3: "dGhlIHNhbXBsZSBub25jZQ==", whose accept value is
 * "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), the 101, then frames written out byte by
 * byte: the examples of RFC 6455 5.7 and RFC 7692 7.2.3, and one array per
 * protocol error. The client is 198.18.0.1 (port 41000, 41001... for each
 * conversation of a test), the server 198.18.0.2:8080 (an HTTP port to
 * tshark too).
 *
 * The expected fields are what tshark 4.0 shows for the very same frames:
 *     WL_TEST_PCAP_DIR=/tmp/x build/tests/test_ws
 * writes each test's conversations to /tmp/x/ws-synth-<name>.pcap. Those
 * under 20 KB are checked in as tests/pcap/ws-synth-*.pcap, where
 * tests/integration/ws_oracle.sh compares `wirelab show --json` with tshark
 * on every run; the long frames (ws-synth-lengths, -err-lengths-65535,
 * -beyond-kept: 70-140 KB) were compared once, by hand. tshark does not judge
 * the RFC's rules: the protocol errors ("wl.error") are checked here against
 * the RFC's text, and the absence of any error everywhere else.
 *
 * A failing check names the test's line and the frame number (the packet's
 * number in its conversation, as in the pcap of the same name).
 */
#include <inttypes.h>
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
#include "harness/show.h"

#define LT_EN10MB 1
#define T0	  1700000000000000ll /* 2023-11-14, in microseconds */
#define C	  PKT_DIR_CLIENT
#define S	  PKT_DIR_SERVER

/* ---- the frames of a test, as a pcap for tshark ---- */

static FILE *dump;
static char dump_name[64];
static uint16_t next_port = 41000; /* client port of the next conversation */
static int64_t clock_us = T0;	   /* the capture's clock, always forward */

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	fwrite(b, 1, 4, f);
}

/* Starts ws-synth-<name>.pcap; the conversations of one test go into one
 * file, each from its own client port (its own tcp.stream). */
static void dump_start(const char *name)
{
	const char *dir = getenv("WL_TEST_PCAP_DIR");
	char path[512];

	if (!strcmp(name, dump_name)) {
		next_port++;
		return;
	}
	snprintf(dump_name, sizeof(dump_name), "%s", name);
	next_port = 41000;
	if (dump)
		fclose(dump);
	dump = NULL;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/ws-synth-%s.pcap", dir, name);
	dump = fopen(path, "wb");
	assert_non_null(dump);
	put32(dump, 0xa1b2c3d4); /* pcap, microseconds */
	put32(dump, 2 | 4u << 16);
	put32(dump, 0);
	put32(dump, 0);
	put32(dump, 262144);
	put32(dump, LT_EN10MB);
}

static void dump_frame(int64_t ts, const uint8_t *f, uint32_t len)
{
	if (!dump)
		return;
	put32(dump, (uint32_t)(ts / 1000000));
	put32(dump, (uint32_t)(ts % 1000000));
	put32(dump, len);
	put32(dump, len);
	fwrite(f, 1, len, dump);
}

/* ---- what a failing test leaves: freed by its teardown ---- */

static void *held[8];

/* Keeps p until release(p) or the end of the test. */
static void *hold(void *p)
{
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (!held[i])
			return held[i] = p;
	fail_msg("more than %zu buffers held", sizeof(held) / sizeof(held[0]));
	return NULL;
}

static void release(void *p)
{
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (held[i] == p)
			held[i] = NULL;
	free(p);
}

/* ---- one TCP conversation ---- */

struct conv {
	struct dissect *d; /* NULL once closed */
	struct pkt p;
	int64_t ts;
	uint16_t cport; /* the client's port; the server is on 8080 */
	uint32_t isn[2];
	uint32_t next[2]; /* relative seq of each side's next byte */
};

static uint32_t csum_add(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v);
}

/* One segment from dir with flags, carrying len bytes at the side's next
 * sequence number, acknowledging all the other side sent. The dissector
 * reads a copy of exactly the frame's size (ASan sees any read past it). */
/* The open conversation, freed by the teardown if a check fails in the
 * middle (cmocka leaves the test by longjmp): tests keep theirs in static
 * storage, which outlives the jump. */
static struct conv *live;

static const struct pkt *segment(struct conv *c, int dir, uint8_t flags, const void *data,
				 size_t len)
{
	/* SYNs carry MSS 1460, SACK_PERM and WS 7, like Linux's. */
	static const uint8_t synopt[] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
					  0x01, 0x03, 0x03, 0x07, 0x00, 0x00 };
	size_t optlen = flags & TCPF_SYN ? sizeof(synopt) : 0;
	size_t thl = 20 + optlen, n = 14 + 20 + thl + len;
	uint8_t *f = hold(calloc(1, n)), *ip = f + 14, *tcp = ip + 20;
	uint8_t addr[2][4] = { { 198, 18, 0, 1 }, { 198, 18, 0, 2 } };
	uint32_t s;

	assert_true(20 + thl + len <= 65535);
	/* Ethernet II: 02:00:00:00:00:0{2,1} <- 02:00:00:00:00:0{1,2}, IPv4 */
	f[0] = 0x02, f[5] = (uint8_t)(dir == C ? 2 : 1);
	f[6] = 0x02, f[11] = (uint8_t)(dir == C ? 1 : 2);
	be16(f + 12, 0x0800);
	/* IPv4: version 4, IHL 5, total length, DF, TTL 64, TCP */
	ip[0] = 0x45;
	be16(ip + 2, (uint32_t)(20 + thl + len));
	be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, addr[dir], 4);
	memcpy(ip + 16, addr[!dir], 4);
	be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	/* TCP: ports, seq, ack, header length, flags, window 502 */
	be16(tcp, dir == C ? c->cport : 8080);
	be16(tcp + 2, dir == C ? 8080 : c->cport);
	be32(tcp + 4, c->isn[dir] + c->next[dir] - !!(flags & TCPF_SYN));
	be32(tcp + 8, flags & TCPF_ACK ? c->isn[!dir] + c->next[!dir] : 0);
	tcp[12] = (uint8_t)(thl / 4 << 4);
	tcp[13] = flags;
	be16(tcp + 14, 502);
	memcpy(tcp + 20, synopt, optlen);
	if (len)
		memcpy(tcp + thl, data, len);
	/* RFC 9293 3.1: the checksum covers a pseudo-header */
	s = csum_add(0, ip + 12, 8) + 6 + (uint32_t)(thl + len);
	be16(tcp + 16, csum_fold(csum_add(s, tcp, thl + len)));
	c->next[dir] += (uint32_t)len + !!(flags & TCPF_FIN);
	c->ts = clock_us += 1000;
	dump_frame(c->ts, f, (uint32_t)n);
	assert_int_equal(dissect_frame(c->d, c->ts, (uint32_t)n, f, (uint32_t)n, &c->p), 0);
	release(f);
	assert_string_equal(c->p.err, "");
	assert_int_equal(c->p.is_tcp, 1);
	assert_int_equal(c->p.dir, dir);
	return &c->p;
}

/* Data from dir, PSH|ACK. */
static const struct pkt *sendb(struct conv *c, int dir, const void *data, size_t len)
{
	return segment(c, dir, TCPF_PSH | TCPF_ACK, data, len);
}

#define SEND(c, dir, arr) sendb(c, dir, arr, sizeof(arr))

static const char upgrade_req[] = "GET /chat HTTP/1.1\r\n"
				  "Host: server.example.com\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "\r\n";
#define ACCEPT_RIGHT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The 101 with accept value `accept` (NULL: none) and more header lines. */
static const struct pkt *send_101(struct conv *c, const char *accept, const char *more)
{
	char resp[512];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 101 Switching Protocols\r\n"
			 "Upgrade: websocket\r\n"
			 "Connection: Upgrade\r\n"
			 "%s%s%s%s\r\n",
			 accept ? "Sec-WebSocket-Accept: " : "", accept ? accept : "",
			 accept ? "\r\n" : "", more ? more : "");

	assert_true(n > 0 && (size_t)n < sizeof(resp));
	return sendb(c, S, resp, (size_t)n);
}

static size_t count_field(const struct pkt *p, const char *name)
{
	struct fval v;
	size_t n = 0;

	while (pkt_field(p, name, n, &v) == 1)
		n++;
	return n;
}

static size_t nframes(const struct pkt *p)
{
	return count_field(p, "websocket");
}

static size_t nerrors(const struct pkt *p)
{
	return count_field(p, "wl.error");
}

/* The checks below report the test's line, not their own: each is a macro
 * passing __LINE__ to a function of the same name with "_at". */
#define FAIL_AT(line, ...)                          \
	do {                                        \
		print_error("ERROR: " __VA_ARGS__); \
		print_error("\n");                  \
		_fail(__FILE__, line);              \
	} while (0)

/* Prints the packet's errors: what a failing test shows. */
static void print_errors(const struct pkt *p)
{
	struct fval v;

	for (size_t i = 0; pkt_field(p, "wl.error", i, &v) == 1; i++)
		print_message("frame %u: wl.error \"%.*s\"\n", p->n, (int)v.slen, v.s);
}

static void assert_no_error_at(int line, const struct pkt *p)
{
	if (nerrors(p)) {
		print_errors(p);
		FAIL_AT(line, "frame %u: %zu protocol errors, none expected (info: %s)", p->n,
			nerrors(p), p->info);
	}
}

/* Exactly one error at p, and its text contains want. */
static void assert_error_at(int line, const struct pkt *p, const char *want)
{
	struct fval v;

	if (nerrors(p) != 1) {
		print_errors(p);
		FAIL_AT(line, "frame %u: %zu protocol errors, expected one with \"%s\"", p->n,
			nerrors(p), want);
		return;
	}
	pkt_field(p, "wl.error", 0, &v);
	if (!memmem(v.s, v.slen, want, strlen(want)))
		FAIL_AT(line, "frame %u: error \"%.*s\" does not say \"%s\"", p->n, (int)v.slen,
			v.s, want);
	/* The Info column says it too. */
	if (!strstr(p->info, want))
		FAIL_AT(line, "frame %u: info \"%s\" does not say \"%s\"", p->n, p->info, want);
}

static int64_t fint_at(int line, const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;
	int r;

	memset(&v, 0, sizeof(v));
	r = pkt_field(p, name, idx, &v);
	if (r != 1)
		FAIL_AT(line, "frame %u: no %s[%zu] (pkt_field: %d)", p->n, name, idx, r);
	if (v.type != FVAL_INT)
		FAIL_AT(line, "frame %u: %s[%zu] is not a number", p->n, name, idx);
	return v.i;
}

static void assert_fstr_at(int line, const struct pkt *p, const char *name, size_t idx,
			   const char *want, size_t wlen)
{
	struct fval v;
	int r;

	memset(&v, 0, sizeof(v));
	r = pkt_field(p, name, idx, &v);
	if (r != 1)
		FAIL_AT(line, "frame %u: no %s[%zu] (pkt_field: %d)", p->n, name, idx, r);
	if (v.type != FVAL_STR || v.slen != wlen || memcmp(v.s, want, wlen))
		FAIL_AT(line, "frame %u: %s[%zu] is \"%.*s\", not \"%.*s\"", p->n, name, idx,
			(int)v.slen, v.s, (int)wlen, want);
}

static void assert_absent_at(int line, const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;

	if (pkt_field(p, name, idx, &v) == 1)
		FAIL_AT(line, "frame %u: has %s[%zu], expected none", p->n, name, idx);
}

/* What tshark lists for WebSocket frame idx of the packet: websocket.fin,
 * .rsv, .opcode, .mask, .payload_length (7 bits), and the real length. */
static void assert_frame_at(int line, const struct pkt *p, size_t idx, int fin, int rsv, int opcode,
			    int mask, int len7, uint64_t len)
{
	static const char *const names[] = { "websocket.fin",
					     "websocket.rsv",
					     "websocket.opcode",
					     "websocket.mask",
					     "websocket.payload_length",
					     "websocket.len" };
	int64_t want[] = { fin, rsv, opcode, mask, len7, (int64_t)len };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int64_t got = fint_at(line, p, names[i], idx);

		if (got != want[i])
			FAIL_AT(line, "frame %u: %s[%zu] is %" PRId64 ", not %" PRId64, p->n,
				names[i], idx, got, want[i]);
	}
}

#define assert_no_error(p)	   assert_no_error_at(__LINE__, p)
#define assert_error(p, want)	   assert_error_at(__LINE__, p, want)
#define fint(p, name, idx)	   fint_at(__LINE__, p, name, idx)
#define assert_fstr(p, n, i, w, l) assert_fstr_at(__LINE__, p, n, i, w, l)
#define assert_str(p, n, i, w)	   assert_fstr_at(__LINE__, p, n, i, w, strlen(w))
#define assert_absent(p, n, i)	   assert_absent_at(__LINE__, p, n, i)
#define assert_frame(p, ...)	   assert_frame_at(__LINE__, p, __VA_ARGS__)

/* The packet as `show --json` writes it (a malloc'd string). */
static char *json_of(const struct pkt *p)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	show_packet_json(f, p);
	assert_int_equal(fclose(f), 0);
	return hold(s);
}

/* SYN, SYN-ACK, ACK, the upgrade request and the 101 with `accept` (NULL:
 * a 101 without the header; "-": no 101, the test sends its own) and the
 * header lines `more`. */
static void open_ws(struct conv *c, const char *name, const char *accept, const char *more)
{
	const struct pkt *p;
	char err[128];

	memset(c, 0, sizeof(*c));
	assert_int_equal(dissect_new(LT_EN10MB, &c->d, err, sizeof(err)), 0);
	live = c;
	c->isn[C] = 0x10000000u;
	c->isn[S] = 0xfffff000u; /* the server's numbers wrap: relative ones do not */
	dump_start(name);
	c->cport = next_port;
	c->next[C] = 1;
	segment(c, C, TCPF_SYN, NULL, 0);
	c->next[S] = 1;
	segment(c, S, TCPF_SYN | TCPF_ACK, NULL, 0);
	segment(c, C, TCPF_ACK, NULL, 0);
	p = sendb(c, C, upgrade_req, strlen(upgrade_req));
	assert_str(p, "http.request.method", 0, "GET");
	assert_str(p, "http.upgrade", 0, "websocket");
	assert_str(p, "http.sec_websocket_key", 0, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_int_equal(nframes(p), 0);
	assert_no_error(p);
	if (accept == NULL || strcmp(accept, "-")) {
		p = send_101(c, accept, more);
		assert_int_equal(fint(p, "http.response.code", 0), 101);
		assert_int_equal(nframes(p), 0);
	}
}

/* The usual case: the right accept value, and no error at the 101. */
static void open_ok(struct conv *c, const char *name)
{
	open_ws(c, name, ACCEPT_RIGHT, NULL);
	assert_int_equal(fint(&c->p, "http.sec_websocket_accept_valid", 0), 1);
	assert_no_error(&c->p);
}

/* FIN from the server, FIN from the client, the last ACK. */
static void close_ws(struct conv *c)
{
	segment(c, S, TCPF_FIN | TCPF_ACK, NULL, 0);
	segment(c, C, TCPF_FIN | TCPF_ACK, NULL, 0);
	segment(c, S, TCPF_ACK, NULL, 0);
	if (dump)
		fflush(dump);
	pkt_clear(&c->p);
	dissect_free(c->d);
	c->d = NULL;
	live = NULL;
}

/* After each test, passed or failed: nothing left allocated. */
static int teardown(void **state)
{
	(void)state;
	if (live && live->d) {
		pkt_clear(&live->p);
		dissect_free(live->d);
	}
	live = NULL;
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		free(held[i]);
		held[i] = NULL;
	}
	return 0;
}

/* A frame with a payload: header in its minimal length form, masked with
 * key if key is not NULL. Returns the frame (held: release() it) and its
 * size. */
static uint8_t *make_frame(int fin, int rsv, int opcode, const uint8_t *key, const void *payload,
			   size_t len, size_t *size)
{
	uint8_t *f = hold(malloc(14 + len + 1));
	size_t n = 0;

	f[n++] = (uint8_t)((fin ? 0x80 : 0) | rsv << 4 | opcode);
	if (len < 126) {
		f[n++] = (uint8_t)((key ? 0x80 : 0) | len);
	} else if (len <= 0xffff) {
		f[n++] = (uint8_t)((key ? 0x80 : 0) | 126);
		be16(f + n, (uint32_t)len);
		n += 2;
	} else {
		f[n++] = (uint8_t)((key ? 0x80 : 0) | 127);
		be32(f + n, (uint32_t)((uint64_t)len >> 32));
		be32(f + n + 4, (uint32_t)len);
		n += 8;
	}
	if (key) {
		memcpy(f + n, key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		f[n + i] = ((const uint8_t *)payload)[i] ^ (key ? key[i % 4] : 0);
	*size = n + len;
	return f;
}

static const struct pkt *send_frame(struct conv *c, int dir, int fin, int rsv, int opcode,
				    const void *payload, size_t len)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t n;
	uint8_t *f = make_frame(fin, rsv, opcode, dir == C ? key : NULL, payload, len, &n);
	const struct pkt *p = sendb(c, dir, f, n);

	release(f);
	return p;
}

static const struct pkt *send_text(struct conv *c, int dir, const char *text)
{
	return send_frame(c, dir, 1, 0, 0x1, text, strlen(text));
}

/* ---- RFC 6455 5.7: the examples ---- */

/* clang-format off */
/* A single-frame unmasked text message (from the server). */
static const uint8_t rfc_hello_unmasked[] = {
	0x81, 0x05,                   /* FIN, text; unmasked, length 5 */
	0x48, 0x65, 0x6c, 0x6c, 0x6f, /* "Hello" */
};
/* A single-frame masked text message (from the client). */
static const uint8_t rfc_hello_masked[] = {
	0x81, 0x85,                   /* FIN, text; masked, length 5 */
	0x37, 0xfa, 0x21, 0x3d,       /* masking key */
	0x7f, 0x9f, 0x4d, 0x51, 0x58, /* "Hello" ^ key */
};
/* A fragmented unmasked text message: "Hel", then "lo". */
static const uint8_t rfc_hel[] = {
	0x01, 0x03,       /* not FIN, text; length 3 */
	0x48, 0x65, 0x6c, /* "Hel" */
};
static const uint8_t rfc_lo[] = {
	0x80, 0x02, /* FIN, continuation; length 2 */
	0x6c, 0x6f, /* "lo" */
};
/* An unmasked Ping (from the server) and the masked Pong that answers it. */
static const uint8_t rfc_ping[] = {
	0x89, 0x05,                   /* FIN, ping; length 5 */
	0x48, 0x65, 0x6c, 0x6c, 0x6f, /* "Hello" */
};
static const uint8_t rfc_pong[] = {
	0x8a, 0x85,                   /* FIN, pong; masked, length 5 */
	0x37, 0xfa, 0x21, 0x3d,       /* masking key */
	0x7f, 0x9f, 0x4d, 0x51, 0x58, /* "Hello" ^ key */
};
/* clang-format on */

static void test_rfc_examples(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "rfc");
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_int_equal(nframes(p), 1);
	assert_frame(p, 0, 1, 0, 1, 0, 5, 5);
	assert_str(p, "websocket.payload", 0, "48656c6c6f");
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_absent(p, "websocket.masking_key", 0);
	assert_no_error(p);
	assert_non_null(strstr(p->info, "WebSocket Text [FIN] \"Hello\""));

	p = SEND(&c, C, rfc_hello_masked);
	assert_frame(p, 0, 1, 0, 1, 1, 5, 5);
	assert_str(p, "websocket.masking_key", 0, "37fa213d");
	assert_str(p, "websocket.payload", 0, "48656c6c6f"); /* unmasked */
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_no_error(p);
	assert_non_null(strstr(p->info, "WebSocket Text [FIN] [MASKED] \"Hello\""));

	p = SEND(&c, S, rfc_hel);
	assert_frame(p, 0, 0, 0, 1, 0, 3, 3);
	assert_absent(p, "websocket.payload.text", 0); /* the message is not whole yet */
	assert_no_error(p);
	p = SEND(&c, S, rfc_lo);
	assert_frame(p, 0, 1, 0, 0, 0, 2, 2);
	assert_str(p, "websocket.payload.text", 0, "Hello"); /* the whole message */
	assert_no_error(p);

	p = SEND(&c, S, rfc_ping);
	assert_frame(p, 0, 1, 0, 9, 0, 5, 5);
	assert_str(p, "websocket.payload", 0, "48656c6c6f");
	assert_absent(p, "websocket.payload.text", 0);
	assert_no_error(p);
	p = SEND(&c, C, rfc_pong);
	assert_frame(p, 0, 1, 0, 10, 1, 5, 5);
	/* The pong carries the ping's payload: how ws.ping_pong matches them. */
	assert_str(p, "websocket.payload", 0, "48656c6c6f");
	assert_no_error(p);
	close_ws(&c);
}

/* ---- every opcode ---- */

static void test_each_opcode(void **state)
{
	static const struct {
		int dir, fin, opcode;
		const char *payload;
		size_t len;
		const char *info;
	} cases[] = {
		{ C, 1, 0x1, "text", 4, "WebSocket Text [FIN] [MASKED] \"text\"" },
		{ S, 1, 0x2, "\x00\x01\x02", 3, "WebSocket Binary [FIN]" },
		{ C, 0, 0x2, "bin", 3, "WebSocket Binary [MASKED]" },
		{ C, 1, 0x0, "ary", 3, "WebSocket Continuation [FIN] [MASKED]" },
		{ S, 1, 0x9, "p", 1, "WebSocket Ping [FIN]" },
		{ C, 1, 0xa, "p", 1, "WebSocket Pong [FIN] [MASKED]" },
		{ C, 1, 0x8, "\x03\xe8", 2, "WebSocket Connection Close 1000" },
		{ S, 1, 0x8, "\x03\xe8", 2, "WebSocket Connection Close 1000" },
	};
	static struct conv c;

	(void)state;
	open_ok(&c, "opcodes");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len;
		const struct pkt *p = send_frame(&c, cases[i].dir, cases[i].fin, 0, cases[i].opcode,
						 cases[i].payload, len);

		assert_int_equal(nframes(p), 1);
		assert_frame(p, 0, cases[i].fin, 0, cases[i].opcode, cases[i].dir == C, (int)len,
			     len);
		assert_no_error(p);
		if (!strstr(p->info, cases[i].info))
			fail_msg("frame %u: info \"%s\", expected \"%s\"", p->n, p->info,
				 cases[i].info);
	}
	close_ws(&c);
}

/* ---- lengths: 7, 16 and 64 bits ---- */

/* clang-format off */
/* 125 bytes: the longest 7-bit length (and the longest control frame). */
static const uint8_t len125_hdr[] = { 0x82, 0x7d };
/* 126 bytes: the shortest 16-bit length. */
static const uint8_t len126_hdr[] = { 0x82, 0x7e, 0x00, 0x7e };
/* RFC 6455 5.7: 256 bytes binary message in a single unmasked frame. */
static const uint8_t len256_hdr[] = { 0x82, 0x7e, 0x01, 0x00 };
/* 65535: the longest 16-bit length. */
static const uint8_t len65535_hdr[] = { 0x82, 0x7e, 0xff, 0xff };
/* RFC 6455 5.7: 64KiB binary message in a single unmasked frame. */
static const uint8_t len65536_hdr[] = {
	0x82, 0x7f,                                     /* FIN, binary; 64-bit length: */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* 65536 */
};
/* 70000 bytes: more than wirelab keeps of one frame (64 KiB). */
static const uint8_t len70000_hdr[] = {
	0x82, 0x7f,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x11, 0x70, /* 70000 */
};
/* clang-format on */

/* A frame of hdr + len bytes of (i & 0xff), sent in segments of at most mss
 * bytes; every segment but the last lists nothing. */
static const struct pkt *send_long_at(int line, struct conv *c, int dir, const uint8_t *hdr,
				      size_t hlen, size_t len, size_t mss)
{
	uint8_t *f = hold(malloc(hlen + len));
	const struct pkt *p = NULL;

	memcpy(f, hdr, hlen);
	for (size_t i = 0; i < len; i++)
		f[hlen + i] = (uint8_t)i;
	for (size_t off = 0; off < hlen + len; off += mss) {
		size_t n = hlen + len - off < mss ? hlen + len - off : mss;

		p = sendb(c, dir, f + off, n);
		if (off + n < hlen + len && nframes(p))
			FAIL_AT(line, "frame %u: a frame listed %zu bytes before it ends", p->n,
				hlen + len - off - n);
	}
	release(f);
	return p;
}

#define send_long(...) send_long_at(__LINE__, __VA_ARGS__)

static void test_lengths(void **state)
{
	static const struct {
		const uint8_t *hdr;
		size_t hlen;
		size_t len;
		int len7;
		const char *ext;
	} cases[] = {
		{ len125_hdr, sizeof(len125_hdr), 125, 125, NULL },
		{ len126_hdr, sizeof(len126_hdr), 126, 126, "websocket.payload_length_ext_16" },
		{ len256_hdr, sizeof(len256_hdr), 256, 126, "websocket.payload_length_ext_16" },
		{ len65535_hdr, sizeof(len65535_hdr), 65535, 126,
		  "websocket.payload_length_ext_16" },
		{ len65536_hdr, sizeof(len65536_hdr), 65536, 127,
		  "websocket.payload_length_ext_64" },
	};
	static struct conv c;

	(void)state;
	open_ok(&c, "lengths");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pkt *p =
			send_long(&c, S, cases[i].hdr, cases[i].hlen, cases[i].len, 1448);

		assert_int_equal(nframes(p), 1);
		assert_frame(p, 0, 1, 0, 2, 0, cases[i].len7, cases[i].len);
		if (cases[i].ext)
			assert_int_equal(fint(p, cases[i].ext, 0), (int64_t)cases[i].len);
		else
			assert_absent(p, "websocket.payload_length_ext_16", 0);
		if (cases[i].len7 != 127)
			assert_absent(p, "websocket.payload_length_ext_64", 0);
		assert_no_error(p);
	}
	close_ws(&c);
}

/* A frame longer than wirelab keeps is still listed where it completes, as
 * tshark lists it (INTERFACE.md: "at the packet in which they complete"),
 * and the stream goes on after it. */
static void test_length_beyond_kept(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "beyond-kept");
	p = send_long(&c, S, len70000_hdr, sizeof(len70000_hdr), 70000, 1448);
	assert_int_equal(nframes(p), 1);
	assert_frame(p, 0, 1, 0, 2, 0, 127, 70000);
	assert_int_equal(fint(p, "websocket.payload_length_ext_64", 0), 70000);
	assert_no_error(p);
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_frame(p, 0, 1, 0, 1, 0, 5, 5);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	close_ws(&c);
}

/* ---- masking ---- */

static void test_masking(void **state)
{
	/* clang-format off */
	/* A key of zeros masks nothing, but the frame is masked all the same. */
	static const uint8_t zero_key[] = {
		0x81, 0x82,             /* FIN, text; masked, length 2 */
		0x00, 0x00, 0x00, 0x00, /* masking key 00000000 */
		0x68, 0x69,             /* "hi" */
	};
	/* A masked frame with no payload: only the key. */
	static const uint8_t empty_masked[] = {
		0x81, 0x80,             /* FIN, text; masked, length 0 */
		0xde, 0xad, 0xbe, 0xef, /* masking key */
	};
	/* 9 bytes: the key repeats (byte i ^ key[i % 4]). */
	static const uint8_t nine[] = {
		0x82, 0x89,                                     /* FIN, binary; masked, 9 */
		0x01, 0x02, 0x04, 0x08,                         /* key */
		0x01, 0x02, 0x04, 0x08, 0x01, 0x02, 0x04, 0x08, /* zeros ^ key */
		0xfe,                                           /* 0xff ^ 0x01 */
	};
	/* clang-format on */
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "masking");
	p = SEND(&c, C, zero_key);
	assert_frame(p, 0, 1, 0, 1, 1, 2, 2);
	assert_str(p, "websocket.masking_key", 0, "00000000");
	assert_str(p, "websocket.payload.text", 0, "hi");
	assert_no_error(p);
	p = SEND(&c, C, empty_masked);
	assert_frame(p, 0, 1, 0, 1, 1, 0, 0);
	assert_str(p, "websocket.masking_key", 0, "deadbeef");
	assert_str(p, "websocket.payload", 0, "");
	assert_str(p, "websocket.payload.text", 0, "");
	assert_no_error(p);
	p = SEND(&c, C, nine);
	assert_frame(p, 0, 1, 0, 2, 1, 9, 9);
	assert_str(p, "websocket.payload", 0, "0000000000000000ff");
	assert_no_error(p);
	close_ws(&c);
}

/* ---- fragmented messages ---- */

/* A text in three fragments from the client with a ping between them (RFC
 * 6455 5.4: control frames may come in the middle of a fragmented message),
 * a binary message in two from the server meanwhile, and a UTF-8 character
 * cut between two fragments (valid: 8.1 judges the whole message). */
static void test_fragmented(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "fragmented");
	p = send_frame(&c, C, 0, 0, 0x1, "one ", 4);
	assert_frame(p, 0, 0, 0, 1, 1, 4, 4);
	assert_absent(p, "websocket.payload.text", 0);
	assert_no_error(p);
	p = send_frame(&c, S, 0, 0, 0x2, "\x00\x01", 2); /* the server's own message */
	assert_frame(p, 0, 0, 0, 2, 0, 2, 2);
	assert_no_error(p);
	p = send_frame(&c, C, 1, 0, 0x9, "mid", 3); /* a ping inside the message */
	assert_frame(p, 0, 1, 0, 9, 1, 3, 3);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0xa, "mid", 3);
	assert_no_error(p);
	p = send_frame(&c, C, 0, 0, 0x0, "two ", 4);
	assert_frame(p, 0, 0, 0, 0, 1, 4, 4);
	assert_absent(p, "websocket.payload.text", 0);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x0, "\x02", 1);
	assert_frame(p, 0, 1, 0, 0, 0, 1, 1);
	assert_absent(p, "websocket.payload.text", 0); /* binary */
	assert_no_error(p);
	p = send_frame(&c, C, 1, 0, 0x0, "three", 5);
	assert_frame(p, 0, 1, 0, 0, 1, 5, 5);
	assert_str(p, "websocket.payload.text", 0, "one two three");
	assert_no_error(p);
	/* "café": é (C3 A9) cut between the fragments. */
	p = send_frame(&c, S, 0, 0, 0x1, "caf\xc3", 4);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x0, "\xa9", 1);
	assert_str(p, "websocket.payload.text", 0, "caf\xc3\xa9");
	assert_no_error(p);
	/* An empty first fragment and an empty last one. */
	p = send_frame(&c, S, 0, 0, 0x1, "", 0);
	assert_no_error(p);
	p = send_frame(&c, S, 0, 0, 0x0, "x", 1);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x0, "", 0);
	assert_frame(p, 0, 1, 0, 0, 0, 0, 0);
	assert_str(p, "websocket.payload.text", 0, "x");
	assert_no_error(p);
	close_ws(&c);
}

/* A continuation frame with no message open is an error, and it is not
 * glued to the message before it: that one ended with its FIN. */
static void test_stray_continuation_after_message(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "stray-continuation");
	p = send_text(&c, S, "hi");
	assert_str(p, "websocket.payload.text", 0, "hi");
	p = send_frame(&c, S, 1, 0, 0x0, "x", 1);
	assert_error(p, "continuation frame with no message to continue");
	assert_absent(p, "websocket.payload.text", 0); /* not "hix" */
	close_ws(&c);
}

/* ---- control frames ---- */

static void test_control_frames(void **state)
{
	uint8_t payload[126];
	static struct conv c;
	const struct pkt *p;

	(void)state;
	memset(payload, 'p', sizeof(payload));
	open_ok(&c, "control");
	/* 125 bytes: allowed (RFC 6455 5.5), each control opcode. */
	p = send_frame(&c, S, 1, 0, 0x9, payload, 125);
	assert_frame(p, 0, 1, 0, 9, 0, 125, 125);
	assert_no_error(p);
	p = send_frame(&c, C, 1, 0, 0xa, payload, 125);
	assert_frame(p, 0, 1, 0, 10, 1, 125, 125);
	assert_no_error(p);
	/* An empty ping and its empty pong. */
	p = send_frame(&c, C, 1, 0, 0x9, "", 0);
	assert_frame(p, 0, 1, 0, 9, 1, 0, 0);
	assert_str(p, "websocket.payload", 0, "");
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0xa, "", 0);
	assert_str(p, "websocket.payload", 0, "");
	assert_no_error(p);
	/* A Close of 125 bytes: code 1000, a reason of 123. */
	payload[0] = 0x03, payload[1] = 0xe8;
	p = send_frame(&c, S, 1, 0, 0x8, payload, 125);
	assert_frame(p, 0, 1, 0, 8, 0, 125, 125);
	assert_int_equal(fint(p, "websocket.payload.close.status_code", 0), 1000);
	assert_fstr(p, "websocket.payload.close.reason", 0, (const char *)payload + 2, 123);
	assert_no_error(p);
	close_ws(&c);
}

/* ---- close codes and reasons ---- */

static void test_close_codes(void **state)
{
	/* clang-format off */
	/* Close 1001 "bye" from the client (masked). */
	static const uint8_t close_1001_bye[] = {
		0x88, 0x85,             /* FIN, close; masked, length 5 */
		0x37, 0xfa, 0x21, 0x3d, /* key */
		0x34, 0x13,             /* 1001 (0x03e9) ^ key */
		0x43, 0x44, 0x52,       /* "bye" ^ key */
	};
	/* Close with no payload (no code: Wireshark and the RFC allow it). */
	static const uint8_t close_empty[] = { 0x88, 0x00 };
	/* clang-format on */
	static const unsigned good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
					 1010, 1011, 1012, 1013, 1014, 3000, 4999 };
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "close");
	p = SEND(&c, C, close_1001_bye);
	assert_frame(p, 0, 1, 0, 8, 1, 5, 5);
	assert_int_equal(fint(p, "websocket.payload.close.status_code", 0), 1001);
	assert_str(p, "websocket.payload.close.reason", 0, "bye");
	assert_str(p, "websocket.payload", 0, "03e9627965");
	assert_no_error(p);
	assert_non_null(strstr(p->info, "Close 1001"));
	p = SEND(&c, S, close_empty);
	assert_frame(p, 0, 1, 0, 8, 0, 0, 0);
	assert_absent(p, "websocket.payload.close.status_code", 0);
	assert_no_error(p);
	close_ws(&c);

	/* Each code an endpoint may send (RFC 6455 7.4.1, 7.4.2; IANA's
	 * registry adds 1012-1014), one conversation each. */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t pl[2] = { (uint8_t)(good[i] >> 8), (uint8_t)good[i] };

		open_ok(&c, "close");
		p = send_frame(&c, C, 1, 0, 0x8, pl, 2);
		assert_int_equal(fint(p, "websocket.payload.close.status_code", 0), good[i]);
		assert_str(p, "websocket.payload.close.reason", 0, "");
		assert_no_error(p);
		p = send_frame(&c, S, 1, 0, 0x8, pl, 2);
		assert_no_error(p);
		close_ws(&c);
	}
}

/* ---- protocol errors, one conversation each ---- */

/* clang-format off */
/* A client frame without a mask (RFC 6455 5.1: the server must fail). */
static const uint8_t err_unmasked_client[] = {
	0x81, 0x02, /* FIN, text; unmasked, length 2 */
	0x68, 0x69, /* "hi" */
};
/* A server frame with a mask (5.1: the client must fail). */
static const uint8_t err_masked_server[] = {
	0x81, 0x82,             /* FIN, text; masked, length 2 */
	0x01, 0x02, 0x03, 0x04, /* key */
	0x69, 0x6b,             /* "hi" ^ key */
};
/* RSV1, RSV2, RSV3 with no extension negotiated (5.2). */
static const uint8_t err_rsv1[] = { 0xc1, 0x02, 0x68, 0x69 }; /* FIN RSV1 text */
static const uint8_t err_rsv2[] = { 0xa1, 0x02, 0x68, 0x69 }; /* FIN RSV2 text */
static const uint8_t err_rsv3[] = { 0x91, 0x02, 0x68, 0x69 }; /* FIN RSV3 text */
/* 5 in the 16-bit form (5.2: "the minimal number of bytes MUST be used"). */
static const uint8_t err_len16_short[] = {
	0x82, 0x7e, 0x00, 0x05,       /* FIN, binary; 126: 16-bit length 5 */
	0x01, 0x02, 0x03, 0x04, 0x05,
};
/* 5 and 65535 in the 64-bit form. */
static const uint8_t err_len64_short[] = {
	0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05, /* FIN, binary; 127: 64-bit length 5 */
	0x01, 0x02, 0x03, 0x04, 0x05,
};
static const uint8_t err_len64_65535_hdr[] = {
	0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff, /* 127: 64-bit length 65535 */
};
/* 5.2: "the most significant bit MUST be 0": 2^63 + 5. */
static const uint8_t err_len64_top[] = {
	0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x05,
	0x01, 0x02, 0x03, 0x04, 0x05,
};
/* A ping of 126 bytes (5.5: control frames have at most 125). */
static const uint8_t err_long_ping_hdr[] = { 0x89, 0x7e, 0x00, 0x7e };
/* A ping without FIN (5.5: control frames MUST NOT be fragmented). */
static const uint8_t err_frag_ping[] = { 0x09, 0x01, 0x70 };
/* A Close with 1 byte of payload (5.5.1: a body starts with a 2-byte code). */
static const uint8_t err_close_1[] = { 0x88, 0x01, 0x03 };
/* Text that is not UTF-8 (8.1): 0xff never occurs in UTF-8. */
static const uint8_t err_text_ff[] = { 0x81, 0x03, 0x61, 0xff, 0x62 };
/* clang-format on */

/* One error case: a fresh conversation, the frame from dir, the error. */
static void one_error(const char *name, int dir, const uint8_t *frame, size_t len, const char *want)
{
	static struct conv c;
	const struct pkt *p;

	open_ok(&c, name);
	p = sendb(&c, dir, frame, len);
	assert_int_equal(nframes(p), 1);
	assert_error(p, want);
	close_ws(&c);
}

#define ONE_ERROR(name, dir, arr, want) one_error(name, dir, arr, sizeof(arr), want)

static void test_error_masking(void **state)
{
	(void)state;
	ONE_ERROR("err-masking", C, err_unmasked_client, "unmasked frame from the client");
	ONE_ERROR("err-masking", S, err_masked_server, "masked frame from the server");
}

static void test_error_rsv(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	ONE_ERROR("err-rsv", S, err_rsv1, "reserved bits 4 set");
	ONE_ERROR("err-rsv", S, err_rsv2, "reserved bits 2 set");
	ONE_ERROR("err-rsv", S, err_rsv3, "reserved bits 1 set");
	/* tshark's websocket.rsv is the 3 bits as a number. */
	open_ok(&c, "err-rsv");
	p = SEND(&c, S, err_rsv1);
	assert_frame(p, 0, 1, 4, 1, 0, 2, 2);
	close_ws(&c);
}

static void test_error_reserved_opcodes(void **state)
{
	(void)state;
	for (int op = 0x3; op <= 0xf; op++) {
		static struct conv c;
		const struct pkt *p;
		char want[32];

		if (op >= 0x8 && op <= 0xa)
			continue;
		snprintf(want, sizeof(want), "reserved opcode 0x%x", op);
		open_ok(&c, "err-opcodes");
		p = send_frame(&c, S, 1, 0, op, "x", 1);
		assert_frame(p, 0, 1, 0, op, 0, 1, 1);
		assert_error(p, want);
		assert_non_null(strstr(p->info, "Reserved"));
		close_ws(&c);
	}
}

static void test_error_lengths(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	ONE_ERROR("err-lengths", S, err_len16_short, "length 5 not in its minimal form");
	ONE_ERROR("err-lengths", S, err_len64_short, "length 5 not in its minimal form");
	/* The frame is still read by the length it states: the next one parses. */
	open_ok(&c, "err-lengths-65535");
	p = send_long(&c, S, err_len64_65535_hdr, sizeof(err_len64_65535_hdr), 65535, 1448);
	assert_frame(p, 0, 1, 0, 2, 0, 127, 65535);
	assert_error(p, "length 65535 not in its minimal form");
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_no_error(p);
	close_ws(&c);
}

/* 2^63 + 5: the length is an error where the header arrives; what follows
 * cannot be told from its payload. */
static void test_error_length_top_bit(void **state)
{
	static struct conv c;
	const struct pkt *p;
	struct fval v;
	int found = 0;
	char *s;

	(void)state;
	open_ok(&c, "err-len64-top");
	p = SEND(&c, S, err_len64_top);
	assert_int_equal(nframes(p), 1);
	assert_int_equal(fint(p, "websocket.payload_length", 0), 127);
	assert_true((uint64_t)fint(p, "websocket.len", 0) == 0x8000000000000005ull);
	for (size_t i = 0; pkt_field(p, "wl.error", i, &v) == 1; i++)
		found |= memmem(v.s, v.slen, "top bit set", 11) != NULL;
	if (!found) {
		print_errors(p);
		fail_msg("frame %u: no error for a 64-bit length with its top bit set", p->n);
	}
	/* tshark: websocket.payload_length_ext_64 == 9223372036854775813, an
	 * unsigned 64-bit field; "len" is that number, never negative. */
	s = json_of(p);
	if (!strstr(s, "\"len\": 9223372036854775813}"))
		fail_msg("frame %u: \"len\" is not 9223372036854775813: %s", p->n, s);
	release(s);
	close_ws(&c);
}

static void test_error_control_frames(void **state)
{
	uint8_t pl[126];
	static struct conv c;
	const struct pkt *p;

	(void)state;
	memset(pl, 'p', sizeof(pl));
	open_ok(&c, "err-control");
	p = send_long(&c, S, err_long_ping_hdr, sizeof(err_long_ping_hdr), 126, 1448);
	assert_frame(p, 0, 1, 0, 9, 0, 126, 126);
	assert_error(p, "control frame longer than 125 bytes");
	close_ws(&c);
	for (int op = 0x8; op <= 0xa; op++) {
		pl[0] = 0x03, pl[1] = 0xe8;
		open_ok(&c, "err-control");
		p = send_frame(&c, C, 1, 0, op, pl, 126);
		assert_frame(p, 0, 1, 0, op, 1, 126, 126);
		assert_error(p, "control frame longer than 125 bytes");
		close_ws(&c);
	}
	ONE_ERROR("err-control", S, err_frag_ping, "control frame fragmented");
	for (int op = 0x8; op <= 0xa; op++) {
		open_ok(&c, "err-control");
		p = send_frame(&c, C, 0, 0, op, "\x03\xe8", 2);
		assert_frame(p, 0, 0, 0, op, 1, 2, 2);
		assert_error(p, "control frame fragmented");
		close_ws(&c);
	}
}

static void test_error_continuation(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	/* A continuation first thing: there is no message. */
	ONE_ERROR("err-continuation", S, rfc_lo, "continuation frame with no message to continue");
	/* A new text while a binary message is still open. */
	open_ok(&c, "err-continuation");
	p = send_frame(&c, C, 0, 0, 0x2, "ab", 2);
	assert_no_error(p);
	p = send_text(&c, C, "new");
	assert_error(p, "new message before the last one's final frame");
	/* The new message is the one that counts now. */
	assert_str(p, "websocket.payload.text", 0, "new");
	p = send_frame(&c, C, 1, 0, 0x0, "x", 1);
	assert_error(p, "continuation frame with no message to continue");
	close_ws(&c);
	/* The same with a fragmented text: its first part is dropped. */
	open_ok(&c, "err-continuation");
	p = send_frame(&c, S, 0, 0, 0x1, "old ", 4);
	assert_no_error(p);
	p = send_frame(&c, S, 0, 0, 0x1, "new ", 4);
	assert_error(p, "new message before the last one's final frame");
	p = send_frame(&c, S, 1, 0, 0x0, "end", 3);
	assert_no_error(p);
	assert_str(p, "websocket.payload.text", 0, "new end");
	close_ws(&c);
}

static void test_error_after_close(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "err-after-close");
	p = send_frame(&c, C, 1, 0, 0x8, "\x03\xe8", 2);
	assert_no_error(p);
	p = send_text(&c, C, "late");
	assert_error(p, "frame after Close");
	/* The other side has not closed: its frames are fine. */
	p = send_text(&c, S, "still");
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x8, "\x03\xe8", 2);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x2, "z", 1);
	assert_error(p, "frame after Close");
	close_ws(&c);
}

static void test_error_close_payload(void **state)
{
	static const unsigned bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535 };
	static struct conv c;
	const struct pkt *p;

	(void)state;
	ONE_ERROR("err-close", S, err_close_1, "close payload of 1 byte");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t pl[2] = { (uint8_t)(bad[i] >> 8), (uint8_t)bad[i] };
		char want[64];

		snprintf(want, sizeof(want), "close code %u may not be sent", bad[i]);
		open_ok(&c, "err-close");
		p = send_frame(&c, C, 1, 0, 0x8, pl, 2);
		assert_int_equal(fint(p, "websocket.payload.close.status_code", 0), bad[i]);
		assert_error(p, want);
		close_ws(&c);
	}
}

/* RFC 6455 5.5.1: the reason is UTF-8; 8.1: a byte stream that should be
 * UTF-8 and is not fails the connection. */
static void test_error_close_reason_not_utf8(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "err-close-reason");
	p = send_frame(&c, C, 1, 0, 0x8, "\x03\xe8\xc3\x28", 4);
	assert_int_equal(fint(p, "websocket.payload.close.status_code", 0), 1000);
	assert_error(p, "UTF-8");
	close_ws(&c);
}

static void test_error_text_not_utf8(void **state)
{
	static const struct {
		const char *name, *text;
	} bad[] = {
		{ "0xff", "a\xff" },
		{ "overlong 2", "\xc0\xaf" },		   /* "/" in 2 bytes */
		{ "overlong 3", "\xe0\x80\xaf" },	   /* "/" in 3 bytes */
		{ "surrogate", "\xed\xa0\x80" },	   /* U+D800 */
		{ "beyond U+10FFFF", "\xf4\x90\x80\x80" }, /* U+110000 */
		{ "lone continuation", "\x80" },
		{ "cut short", "ab\xe2\x82" }, /* € cut short */
	};
	static struct conv c;
	const struct pkt *p;

	(void)state;
	ONE_ERROR("err-utf8", S, err_text_ff, "text message is not UTF-8");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i].name);
		open_ok(&c, "err-utf8");
		p = send_text(&c, C, bad[i].text);
		assert_error(p, "text message is not UTF-8");
		assert_absent(p, "websocket.payload.text", 0);
		close_ws(&c);
	}
	/* Fragments: judged at the last one, as a whole. */
	open_ok(&c, "err-utf8");
	p = send_frame(&c, S, 0, 0, 0x1, "ok \xe2\x82", 5);
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x0, "x", 1); /* € cut short by "x" */
	assert_error(p, "text message is not UTF-8");
	close_ws(&c);
	/* Valid: 1 to 4 bytes, U+10FFFF. Binary is never judged. */
	open_ok(&c, "err-utf8");
	p = send_text(&c, C, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	assert_no_error(p);
	p = send_frame(&c, S, 1, 0, 0x2, "\xff\xfe", 2);
	assert_no_error(p);
	close_ws(&c);
}

/* ---- the handshake's accept key ---- */

static void test_accept_key(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	/* Wrong: an error at the 101, naming the right value; frames are still
	 * dissected (a grader wants to see what followed). */
	open_ws(&c, "accept", "dGhlIHNhbXBsZSBub25jZQ==", NULL);
	p = &c.p;
	assert_int_equal(fint(p, "http.sec_websocket_accept_valid", 0), 0);
	assert_str(p, "http.sec_websocket_accept", 0, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_error(p, "Sec-WebSocket-Accept does not match the key (expected " ACCEPT_RIGHT);
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_no_error(p);
	close_ws(&c);
	/* Missing altogether. */
	open_ws(&c, "accept", NULL, NULL);
	p = &c.p;
	assert_int_equal(fint(p, "http.sec_websocket_accept_valid", 0), 0);
	assert_error(p, "Sec-WebSocket-Accept does not match the key");
	p = SEND(&c, C, rfc_hello_masked);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	close_ws(&c);
	/* Right, and the header name in another case (field names are
	 * case-insensitive, RFC 9110 5.1). */
	open_ws(&c, "accept", "-", NULL);
	p = sendb(&c, S,
		  "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
		  "connection: upgrade\r\nsec-websocket-accept: " ACCEPT_RIGHT "\r\n\r\n",
		  strlen("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
			 "connection: upgrade\r\nsec-websocket-accept: " ACCEPT_RIGHT "\r\n\r\n"));
	assert_int_equal(fint(p, "http.sec_websocket_accept_valid", 0), 1);
	assert_no_error(p);
	p = SEND(&c, C, rfc_hello_masked);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	close_ws(&c);
}

/* ---- TCP segmentation ---- */

/* One masked frame with a 16-bit length cut everywhere: after its first
 * byte, inside the extended length, inside the key, inside the payload. */
static void test_frame_split_across_segments(void **state)
{
	static const uint8_t key[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	static const size_t cuts[] = { 1, 3, 6, 9, 100 }; /* segment ends */
	char text[200];
	uint8_t *f;
	size_t n, at = 0;
	static struct conv c;
	const struct pkt *p = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	f = make_frame(1, 0, 0x1, key, text, sizeof(text), &n);
	assert_int_equal(n, 2 + 2 + 4 + 200);
	open_ok(&c, "split");
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		p = sendb(&c, C, f + at, cuts[i] - at);
		assert_int_equal(nframes(p), 0);
		at = cuts[i];
	}
	p = sendb(&c, C, f + at, n - at);
	assert_int_equal(nframes(p), 1);
	assert_frame(p, 0, 1, 0, 1, 1, 126, 200);
	assert_int_equal(fint(p, "websocket.payload_length_ext_16", 0), 200);
	assert_str(p, "websocket.masking_key", 0, "a1b2c3d4");
	assert_fstr(p, "websocket.payload.text", 0, text, sizeof(text));
	assert_no_error(p);
	release(f);
	/* One byte a segment. */
	f = make_frame(1, 0, 0x1, key, "byte by byte", 12, &n);
	for (size_t i = 0; i < n; i++) {
		p = sendb(&c, C, f + i, 1);
		assert_int_equal(nframes(p), i + 1 == n);
	}
	assert_str(p, "websocket.payload.text", 0, "byte by byte");
	release(f);
	close_ws(&c);
}

/* Several frames in one segment, listed in order; a segment that ends one
 * frame and starts the next. */
static void test_frames_in_one_segment(void **state)
{
	/* clang-format off */
	static const uint8_t three[] = {
		0x81, 0x03, 0x6f, 0x6e, 0x65,       /* text "one" */
		0x89, 0x02, 0x68, 0x62,             /* ping "hb" */
		0x82, 0x7e, 0x00, 0x80,             /* binary, 128 bytes: */
		/* 128 zero bytes follow (below) */
	};
	static const uint8_t tail[] = {
		0x81, 0x04, 0x6c, 0x61, 0x73, 0x74, /* text "last" */
		0x81, 0x03, 0x6e, 0x65,             /* text "ne..." (cut) */
	};
	/* clang-format on */
	uint8_t seg[sizeof(three) + 128 + sizeof(tail)];
	static struct conv c;
	const struct pkt *p;

	(void)state;
	memcpy(seg, three, sizeof(three));
	memset(seg + sizeof(three), 0, 128);
	memcpy(seg + sizeof(three) + 128, tail, sizeof(tail));
	open_ok(&c, "several");
	p = sendb(&c, S, seg, sizeof(seg));
	assert_int_equal(nframes(p), 4);
	assert_frame(p, 0, 1, 0, 1, 0, 3, 3);
	assert_frame(p, 1, 1, 0, 9, 0, 2, 2);
	assert_frame(p, 2, 1, 0, 2, 0, 126, 128);
	assert_frame(p, 3, 1, 0, 1, 0, 4, 4);
	assert_str(p, "websocket.payload.text", 0, "one");
	assert_str(p, "websocket.payload.text", 1, "last");
	assert_str(p, "websocket.payload", 1, "6862");
	assert_int_equal(fint(p, "websocket.payload_length_ext_16", 0), 128);
	assert_no_error(p);
	p = sendb(&c, S, "\x77", 1); /* the cut frame ends: "new" */
	assert_int_equal(nframes(p), 1);
	assert_str(p, "websocket.payload.text", 0, "new");
	close_ws(&c);
}

/* A segment sent again (a retransmission): its frames were listed the first
 * time and are not listed again, as tshark does; what follows parses. */
static void test_retransmitted_segment(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "retransmission");
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_int_equal(nframes(p), 1);
	c.next[S] -= sizeof(rfc_hello_unmasked); /* the same bytes at the same seq */
	p = SEND(&c, S, rfc_hello_unmasked);
	assert_true(p->analysis & PKT_AN_RETRANSMISSION);
	assert_int_equal(nframes(p), 0);
	assert_no_error(p);
	p = SEND(&c, C, rfc_hello_masked);
	c.next[C] -= sizeof(rfc_hello_masked);
	p = SEND(&c, C, rfc_hello_masked);
	assert_int_equal(nframes(p), 0);
	p = SEND(&c, S, rfc_ping);
	assert_frame(p, 0, 1, 0, 9, 0, 5, 5);
	assert_no_error(p);
	close_ws(&c);
}

/* The server's first frame in the segment of the 101 (as servers that write
 * both at once send it): HTTP and WebSocket in one packet. */
static void test_frame_with_the_101(void **state)
{
	char seg[256];
	int n;
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ws(&c, "with-101", "-", NULL);
	n = snprintf(seg, sizeof(seg),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		     ACCEPT_RIGHT);
	memcpy(seg + n, rfc_hello_unmasked, sizeof(rfc_hello_unmasked));
	p = sendb(&c, S, seg, (size_t)n + sizeof(rfc_hello_unmasked));
	assert_int_equal(fint(p, "http.response.code", 0), 101);
	assert_int_equal(fint(p, "http.sec_websocket_accept_valid", 0), 1);
	assert_int_equal(nframes(p), 1);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_no_error(p);
	p = SEND(&c, C, rfc_hello_masked);
	assert_str(p, "websocket.payload.text", 0, "Hello");
	assert_no_error(p);
	close_ws(&c);
}

/* ---- permessage-deflate (RFC 7692) ---- */

/* clang-format off */
/* RFC 7692 7.2.3.1: "Hello" compressed in one DEFLATE block, RSV1 set. */
static const uint8_t pmd_hello[] = {
	0xc1, 0x07,                               /* FIN, RSV1 (compressed), text; 7 */
	0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, /* deflate("Hello") minus 00 00 ff ff */
};
/* RFC 7692 7.2.3.2: "Hello" again, sharing the LZ77 window. */
static const uint8_t pmd_hello2[] = {
	0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00,
};
/* clang-format on */

/* Negotiated in the 101 (Sec-WebSocket-Extensions: permessage-deflate),
 * RSV1 on a data message's first frame means "compressed" (RFC 7692 6): no
 * error, and the compressed bytes are not text to judge as UTF-8. RSV1 on a
 * control frame or a continuation is still an error (6.1). */
static void test_permessage_deflate(void **state)
{
	static struct conv c;
	const struct pkt *p;
	struct fval v;

	(void)state;
	open_ws(&c, "deflate", ACCEPT_RIGHT, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
	assert_no_error(&c.p);
	assert_str(&c.p, "http.sec_websocket_extensions", 0, "permessage-deflate");
	p = SEND(&c, S, pmd_hello);
	assert_frame(p, 0, 1, 4, 1, 0, 7, 7);
	assert_no_error(p);
	/* Either "Hello" (inflated, as tshark shows it) or nothing. */
	if (pkt_field(p, "websocket.payload.text", 0, &v) == 1)
		assert_str(p, "websocket.payload.text", 0, "Hello");
	p = SEND(&c, S, pmd_hello2);
	assert_frame(p, 0, 1, 4, 1, 0, 5, 5);
	assert_no_error(p);
	/* A compressed message in two fragments: RSV1 on the first only. */
	p = send_frame(&c, C, 0, 4, 0x1, "\xf2\x48\xcd", 3);
	assert_no_error(p);
	p = send_frame(&c, C, 1, 0, 0x0, "\xc9\xc9\x07\x00", 4);
	assert_no_error(p);
	/* RSV1 on a continuation and on a ping: errors. */
	p = send_frame(&c, C, 0, 4, 0x2, "\x00", 1);
	assert_no_error(p);
	p = send_frame(&c, C, 1, 4, 0x0, "\x00", 1);
	assert_error(p, "reserved bits 4 set");
	p = send_frame(&c, S, 1, 4, 0x9, "", 0);
	assert_error(p, "reserved bits 4 set");
	/* RSV2 is not permessage-deflate's. */
	p = send_frame(&c, S, 1, 2, 0x1, "x", 1);
	assert_error(p, "reserved bits 2 set");
	close_ws(&c);
}

/* ---- the Info column: one line, printable ---- */

static void test_info_is_one_printable_line(void **state)
{
	static struct conv c;
	const struct pkt *p;

	(void)state;
	open_ok(&c, "info");
	/* A text with a newline and a terminal escape: show's text output and
	 * any terminal must not get them raw (pkt.h: info is one line). */
	p = send_text(&c, S, "two\nlines \x1b[2J");
	assert_no_error(p);
	assert_str(p, "websocket.payload.text", 0, "two\nlines \x1b[2J"); /* the field is exact */
	for (const char *s = p->info; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fail_msg("frame %u: info has byte 0x%02x: \"%s\"", p->n, (unsigned char)*s,
				 p->info);
	close_ws(&c);
}

/* ---- show --json: the "ws" array (INTERFACE.md) ---- */

static void test_show_json(void **state)
{
	/* clang-format off */
	static const uint8_t text_and_close[] = {
		0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,       /* masked text "Hello" */
		0x7f, 0x9f, 0x4d, 0x51, 0x58,
		0x88, 0x82, 0x00, 0x00, 0x00, 0x00,       /* masked Close, key 0: */
		0x03, 0xe8,                               /*   1000 */
	};
	/* clang-format on */
	static struct conv c;
	const struct pkt *p;
	char *s;

	(void)state;
	open_ok(&c, "json");
	p = SEND(&c, C, text_and_close);
	s = json_of(p);
	print_message("%s", s);
	assert_string_equal(
		s, "{\"n\": 6, \"t\": 0.005000, \"src\": \"198.18.0.1\", \"sport\": 41000, "
		   "\"dst\": \"198.18.0.2\", \"dport\": 8080, \"stream\": 0, \"flags\": 24, "
		   "\"seq\": 162, \"ack\": 130, \"len\": 19, \"info\": \"WebSocket Text [FIN] "
		   "[MASKED] \\\"Hello\\\", WebSocket Connection Close 1000\", \"ws\": "
		   "[{\"opcode\": 1, \"fin\": true, \"masked\": true, \"len\": 5}, "
		   "{\"opcode\": 8, \"fin\": true, \"masked\": true, \"len\": 2, \"close_code\": "
		   "1000}]}\n");
	release(s);
	/* A fragment, and an error: "fin": false, and "errors". */
	p = send_frame(&c, S, 0, 0, 0x2, "ab", 2);
	s = json_of(p);
	assert_non_null(strstr(
		s, ", \"ws\": [{\"opcode\": 2, \"fin\": false, \"masked\": false, \"len\": 2}]"));
	assert_null(strstr(s, "errors"));
	release(s);
	p = SEND(&c, S, err_masked_server);
	s = json_of(p);
	assert_non_null(
		strstr(s, "\"ws\": [{\"opcode\": 1, \"fin\": true, \"masked\": true, \"len\": 2}], "
			  "\"errors\": [\"websocket: "));
	release(s);
	/* A packet with no frame has no "ws" key. */
	p = segment(&c, C, TCPF_ACK, NULL, 0);
	s = json_of(p);
	assert_null(strstr(s, "\"ws\""));
	release(s);
	close_ws(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rfc_examples, teardown),
		cmocka_unit_test_teardown(test_each_opcode, teardown),
		cmocka_unit_test_teardown(test_lengths, teardown),
		cmocka_unit_test_teardown(test_length_beyond_kept, teardown),
		cmocka_unit_test_teardown(test_masking, teardown),
		cmocka_unit_test_teardown(test_fragmented, teardown),
		cmocka_unit_test_teardown(test_stray_continuation_after_message, teardown),
		cmocka_unit_test_teardown(test_control_frames, teardown),
		cmocka_unit_test_teardown(test_close_codes, teardown),
		cmocka_unit_test_teardown(test_error_masking, teardown),
		cmocka_unit_test_teardown(test_error_rsv, teardown),
		cmocka_unit_test_teardown(test_error_reserved_opcodes, teardown),
		cmocka_unit_test_teardown(test_error_lengths, teardown),
		cmocka_unit_test_teardown(test_error_length_top_bit, teardown),
		cmocka_unit_test_teardown(test_error_control_frames, teardown),
		cmocka_unit_test_teardown(test_error_continuation, teardown),
		cmocka_unit_test_teardown(test_error_after_close, teardown),
		cmocka_unit_test_teardown(test_error_close_payload, teardown),
		cmocka_unit_test_teardown(test_error_close_reason_not_utf8, teardown),
		cmocka_unit_test_teardown(test_error_text_not_utf8, teardown),
		cmocka_unit_test_teardown(test_accept_key, teardown),
		cmocka_unit_test_teardown(test_frame_split_across_segments, teardown),
		cmocka_unit_test_teardown(test_frames_in_one_segment, teardown),
		cmocka_unit_test_teardown(test_retransmitted_segment, teardown),
		cmocka_unit_test_teardown(test_frame_with_the_101, teardown),
		cmocka_unit_test_teardown(test_permessage_deflate, teardown),
		cmocka_unit_test_teardown(test_info_is_one_printable_line, teardown),
		cmocka_unit_test_teardown(test_show_json, teardown),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	if (dump)
		fclose(dump);
	return r;
}

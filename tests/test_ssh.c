/* tests/test_ssh.c — the SSH dissector (harness/dissect_ssh.c) on hand-built
 * bytes: identification lines, binary packets, KEXINIT, the algorithm choice
 * of RFC 4253 7.1, the key exchange messages, NEWKEYS and what follows it;
 * every message cut at every byte and every length made to lie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/dissect.h"
#include "harness/dissect_ssh.h"
#include "harness/pkt.h"

enum { C = PKT_DIR_CLIENT, S = PKT_DIR_SERVER };

/* A connection as dissect.c drives it: per direction, the bytes the
 * dissector has not consumed yet, fed again with each new segment. */
struct conn {
	void *st;
	uint8_t buf[2][300000];
	size_t len[2];
};

static struct conn *conn_new(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->st = proto_ssh.open();
	assert_non_null(c->st);
	return c;
}

static void conn_free(struct conn *c)
{
	proto_ssh.close(c->st);
	free(c);
}

static void pkt_fresh(struct pkt *p)
{
	pkt_clear(p);
	memset(p, 0, sizeof(*p));
}

/* One TCP segment of direction dir; what completes in it goes to p. */
static void seg(struct conn *c, int dir, const void *data, size_t n, struct pkt *p)
{
	pkt_fresh(p);
	assert_true(c->len[dir] + n <= sizeof(c->buf[dir]));
	memcpy(c->buf[dir] + c->len[dir], data, n);
	c->len[dir] += n;
	for (int guard = 0; guard < 4 && c->len[dir]; guard++) {
		struct proto_io io = { NULL, 0, "" };
		size_t used = proto_ssh.feed(c->st, dir, c->buf[dir], c->len[dir], p, &io);

		assert_true(used != (size_t)-1);
		assert_true(used <= c->len[dir]);
		assert_null(io.next);
		memmove(c->buf[dir], c->buf[dir] + used, c->len[dir] - used);
		c->len[dir] -= used;
		if (!used)
			break;
	}
}

static void seg_str(struct conn *c, int dir, const char *s, struct pkt *p)
{
	seg(c, dir, s, strlen(s), p);
}

static size_t count(const struct pkt *p, const char *name)
{
	struct fval v;
	size_t n = 0;

	while (pkt_field(p, name, n, &v) == 1)
		n++;
	assert_int_not_equal(pkt_field(p, name, 0, &v), -1); /* a name wirelab knows */
	return n;
}

static const char *str(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;

	if (pkt_field(p, name, idx, &v) != 1)
		fail_msg("no %s #%zu", name, idx);
	assert_int_equal(v.type, FVAL_STR);
	return v.s;
}

static int64_t num(const struct pkt *p, const char *name, size_t idx)
{
	struct fval v;

	if (pkt_field(p, name, idx, &v) != 1)
		fail_msg("no %s #%zu", name, idx);
	assert_int_equal(v.type, FVAL_INT);
	return v.i;
}

static void no_error(const struct pkt *p)
{
	struct fval v;

	if (pkt_field(p, "wl.error", 0, &v) == 1)
		fail_msg("unexpected error: %s", v.s);
}

/* The packet's `show --json` keys of SSH. */
static char *json_of(const struct pkt *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	proto_ssh.json(f, p);
	fclose(f);
	return buf;
}

static void json_is(const struct pkt *p, const char *want)
{
	char *got = json_of(p);

	assert_string_equal(got, want);
	free(got);
}

/* RFC 4253 6: a binary packet around payload, padded with zeros to a
 * multiple of 8 with at least 4 bytes of padding. */
static size_t packet(uint8_t *out, const void *payload, size_t n)
{
	size_t pad = 8 - (4 + 1 + n) % 8;
	uint32_t plen;

	if (pad < 4)
		pad += 8;
	plen = (uint32_t)(1 + n + pad);
	out[0] = (uint8_t)(plen >> 24);
	out[1] = (uint8_t)(plen >> 16);
	out[2] = (uint8_t)(plen >> 8);
	out[3] = (uint8_t)plen;
	out[4] = (uint8_t)pad;
	memcpy(out + 5, payload, n);
	memset(out + 5 + n, 0, pad);
	return 4 + plen;
}

static size_t put_string(uint8_t *out, const void *s, size_t n)
{
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	memcpy(out + 4, s, n);
	return 4 + n;
}

/* A KEXINIT payload with these ten name-lists (RFC 4253 7.1). */
static size_t kexinit_payload(uint8_t *out, const char *const lists[10])
{
	size_t n = 0;

	out[n++] = 20;
	memset(out + n, 0xab, 16);
	n += 16;
	for (int i = 0; i < 10; i++)
		n += put_string(out + n, lists[i], strlen(lists[i]));
	memset(out + n, 0, 5); /* first_kex_packet_follows, reserved */
	return n + 5;
}

static size_t kexinit(uint8_t *out, const char *const lists[10])
{
	uint8_t payload[4096];

	return packet(out, payload, kexinit_payload(payload, lists));
}

/* OpenSSH 9.2's lists, shortened. */
static const char *const openssh_client[10] = {
	"sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
	"ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-"
	"256",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
	"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
	"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
	"none,zlib@openssh.com,zlib",
	"none,zlib@openssh.com,zlib",
	"",
	"",
};

static const char *const openssh_server[10] = {
	"sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
	"ecdh-sha2-nistp256,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com",
	"rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
	"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
	"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
	"none,zlib@openssh.com",
	"none,zlib@openssh.com",
	"",
	"",
};

static const char ident_c[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n";
static const char ident_s[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n";

/* A connection past both identification lines. */
static struct conn *conn_identified(struct pkt *p)
{
	struct conn *c = conn_new();

	seg_str(c, C, ident_c, p);
	seg_str(c, S, ident_s, p);
	return c;
}

/* ---- identification lines (RFC 4253 4.2) ---- */

static void test_ident(void **state)
{
	struct conn *c = conn_new();
	struct pkt p = { 0 };

	(void)state;
	seg_str(c, C, ident_c, &p);
	assert_string_equal(str(&p, "ssh.protocol", 0), "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6");
	assert_string_equal(str(&p, "ssh.protoversion", 0), "2.0");
	assert_string_equal(str(&p, "ssh.softwareversion", 0), "OpenSSH_9.2p1");
	assert_string_equal(str(&p, "ssh.comments", 0), "Debian-2+deb12u6");
	assert_string_equal(p.info, "Client: Protocol (SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6)");
	assert_int_equal(count(&p, "ssh"), 1);
	assert_int_equal(count(&p, "ssh.message_code"), 0);
	no_error(&p);
	json_is(&p, ", \"ssh\": {\"version\": \"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\"}");

	/* No comments: no space, no ssh.comments. */
	seg_str(c, S, "SSH-2.0-libssh_0.10.6\r\n", &p);
	assert_string_equal(str(&p, "ssh.softwareversion", 0), "libssh_0.10.6");
	assert_int_equal(count(&p, "ssh.comments"), 0);
	assert_string_equal(p.info, "Server: Protocol (SSH-2.0-libssh_0.10.6)");
	no_error(&p);
	pkt_clear(&p);
	conn_free(c);
}

static void test_ident_cut_everywhere(void **state)
{
	size_t n = strlen(ident_c);

	(void)state;
	for (size_t cut = 1; cut < n; cut++) {
		struct conn *c = conn_new();
		struct pkt p = { 0 };

		seg(c, C, ident_c, cut, &p);
		assert_int_equal(count(&p, "ssh"), 0);
		assert_string_equal(p.info, "");
		seg(c, C, ident_c + cut, n - cut, &p);
		assert_string_equal(str(&p, "ssh.protocol", 0),
				    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6");
		no_error(&p);
		pkt_clear(&p);
		conn_free(c);
	}
}

static void test_ident_rules(void **state)
{
	struct conn *c;
	struct pkt p = { 0 };
	char longline[400];

	(void)state;
	/* LF alone: accepted (RFC 4253 4.2 allows for old peers) but flagged. */
	c = conn_new();
	seg_str(c, C, "SSH-2.0-PuTTY_Release_0.78\n", &p);
	assert_string_equal(str(&p, "ssh.protocol", 0), "SSH-2.0-PuTTY_Release_0.78");
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: identification line ends in LF without CR (RFC 4253 4.2: CR LF) "
			    "at byte 0 of the client stream");
	conn_free(c);

	/* 255 bytes with CR LF is the most; 256 is one too many. */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "SSH-2.0-", 8);
	memcpy(longline + 253, "\r\n", 3);
	c = conn_new();
	seg_str(c, C, longline, &p);
	no_error(&p);
	conn_free(c);
	memcpy(longline + 253, "y\r\n", 4);
	c = conn_new();
	seg_str(c, C, longline, &p);
	assert_int_equal(strlen(str(&p, "ssh.protocol", 0)), 254);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: identification line of 256 bytes (RFC 4253 4.2: 255 at most) at "
			    "byte 0 of the client stream");
	conn_free(c);

	/* '-' in softwareversion: common (Cisco) and against the RFC. */
	c = conn_new();
	seg_str(c, S, "SSH-2.0-Cisco-1.25\r\n", &p);
	assert_string_equal(str(&p, "ssh.softwareversion", 0), "Cisco-1.25");
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: softwareversion holds 0x2d (RFC 4253 4.2: printable US-ASCII, no "
			    "'-') at byte 0 of the server stream");
	conn_free(c);

	/* No softwareversion at all. */
	c = conn_new();
	seg_str(c, S, "SSH-2.0\r\n", &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: identification line without softwareversion at byte 0 of the "
			    "server stream");
	conn_free(c);

	/* SSH-1: identified, then nothing more is read. */
	c = conn_new();
	seg_str(c, S, "SSH-1.5-OldServer\r\n\x00\x00\x01\x07junk", &p);
	assert_string_equal(str(&p, "ssh.protoversion", 0), "1.5");
	assert_string_equal(
		str(&p, "wl.error", 0),
		"ssh: protocol version 1.5 is not SSH 2, not dissected at byte 0 of the "
		"server stream");
	seg_str(c, S, "more bytes", &p);
	assert_int_equal(count(&p, "ssh"), 0);
	conn_free(c);

	/* "1.99" is a server that also speaks 2.0 (RFC 4253 5.1). */
	c = conn_new();
	seg_str(c, S, "SSH-1.99-Compat\r\n", &p);
	no_error(&p);
	conn_free(c);

	/* No line end in 8192 bytes: given up. */
	c = conn_new();
	{
		static uint8_t junk[9000];

		memset(junk, 'a', sizeof(junk));
		seg(c, S, junk, 8000, &p);
		assert_int_equal(count(&p, "wl.error"), 0);
		seg(c, S, junk, 1000, &p);
		assert_string_equal(
			str(&p, "wl.error", 0),
			"ssh: no line end in the first 8192 bytes at byte 0 of the server "
			"stream");
	}
	conn_free(c);
	pkt_clear(&p);
}

static void test_ident_other_lines(void **state)
{
	struct conn *c = conn_new();
	struct pkt p = { 0 };

	(void)state;
	/* RFC 4253 4.2: "The server MAY send other lines of data before sending
	 * the version string." */
	seg_str(c, S, "Welcome to the lab\r\n", &p);
	assert_string_equal(str(&p, "ssh.other_line", 0), "Welcome to the lab");
	assert_string_equal(p.info, "Server: Line before the identification");
	json_is(&p, "");
	no_error(&p);
	seg_str(c, S, "SSH is not the first word\r\n\r\nSSH-2.0-OpenSSH_9.2\r\n", &p);
	assert_int_equal(count(&p, "ssh.other_line"), 2);
	assert_string_equal(str(&p, "ssh.other_line", 1), "");
	assert_string_equal(str(&p, "ssh.protocol", 0), "SSH-2.0-OpenSSH_9.2");
	no_error(&p);

	/* ... from the server only. */
	seg_str(c, C, "hello\r\nSSH-2.0-x\r\n", &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: client line before its identification (RFC 4253 4.2: server "
			    "only) at byte 0 of the client stream");
	assert_string_equal(str(&p, "ssh.protocol", 0), "SSH-2.0-x");
	pkt_clear(&p);
	conn_free(c);
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(proto_ssh.detect((const uint8_t *)"SSH-2.0-x\r\n", 11, C), 1);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"SS", 2, C), -1);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"GET / HTTP/1.1\r\n", 16, C), 0);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"\x16\x03\x01", 3, S), 0);
	/* A server's lines before its identification. */
	assert_int_equal(proto_ssh.detect((const uint8_t *)"hi\r\nSSH-2.0-x\r\n", 15, S), 1);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"hi\r\n", 4, S), -1);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"hi\r\n", 4, C), 0);
	assert_int_equal(proto_ssh.detect((const uint8_t *)"hi\x01\r\n", 5, S), 0);
}

/* ---- binary packets and KEXINIT ---- */

/* A KEXINIT with short lists (RFC 4253 7.1), as the client sends it. */
static const uint8_t kexinit_bytes[] = {
	/* packet_length 156, padding_length 11 */
	0x00,
	0x00,
	0x00,
	0x9c,
	0x0b,
	/* SSH_MSG_KEXINIT, cookie 101112...1f */
	0x14,
	0x10,
	0x11,
	0x12,
	0x13,
	0x14,
	0x15,
	0x16,
	0x17,
	0x18,
	0x19,
	0x1a,
	0x1b,
	0x1c,
	0x1d,
	0x1e,
	0x1f,
	/* kex_algorithms: "curve25519-sha256" */
	0x00,
	0x00,
	0x00,
	0x11,
	'c',
	'u',
	'r',
	'v',
	'e',
	'2',
	'5',
	'5',
	'1',
	'9',
	'-',
	's',
	'h',
	'a',
	'2',
	'5',
	'6',
	/* server_host_key_algorithms: "ssh-ed25519" */
	0x00,
	0x00,
	0x00,
	0x0b,
	's',
	's',
	'h',
	'-',
	'e',
	'd',
	'2',
	'5',
	'5',
	'1',
	'9',
	/* encryption c2s: "aes128-ctr" */
	0x00,
	0x00,
	0x00,
	0x0a,
	'a',
	'e',
	's',
	'1',
	'2',
	'8',
	'-',
	'c',
	't',
	'r',
	/* encryption s2c: "aes128-ctr" */
	0x00,
	0x00,
	0x00,
	0x0a,
	'a',
	'e',
	's',
	'1',
	'2',
	'8',
	'-',
	'c',
	't',
	'r',
	/* mac c2s: "hmac-sha2-256" */
	0x00,
	0x00,
	0x00,
	0x0d,
	'h',
	'm',
	'a',
	'c',
	'-',
	's',
	'h',
	'a',
	'2',
	'-',
	'2',
	'5',
	'6',
	/* mac s2c: "hmac-sha2-256" */
	0x00,
	0x00,
	0x00,
	0x0d,
	'h',
	'm',
	'a',
	'c',
	'-',
	's',
	'h',
	'a',
	'2',
	'-',
	'2',
	'5',
	'6',
	/* compression c2s: "none" */
	0x00,
	0x00,
	0x00,
	0x04,
	'n',
	'o',
	'n',
	'e',
	/* compression s2c: "none" */
	0x00,
	0x00,
	0x00,
	0x04,
	'n',
	'o',
	'n',
	'e',
	/* languages c2s: "" */
	0x00,
	0x00,
	0x00,
	0x00,
	/* languages s2c: "" */
	0x00,
	0x00,
	0x00,
	0x00,
	/* first_kex_packet_follows 0, reserved 0 */
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	/* padding */
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
	0x00,
};

/* Offsets of the ten name-list lengths in kexinit_bytes, and the lengths. */
static const size_t kexinit_list_at[10] = { 22, 43, 58, 72, 86, 103, 120, 128, 136, 140 };
static const uint8_t list_len[10] = { 17, 11, 10, 10, 13, 13, 4, 4, 0, 0 };

static void check_kexinit_fields(const struct pkt *p)
{
	assert_int_equal(count(p, "ssh"), 1);
	assert_int_equal(num(p, "ssh.packet_length", 0), 156);
	assert_int_equal(num(p, "ssh.padding_length", 0), 11);
	assert_int_equal(num(p, "ssh.message_code", 0), 20);
	assert_string_equal(str(p, "ssh.cookie", 0), "101112131415161718191a1b1c1d1e1f");
	assert_string_equal(str(p, "ssh.kex_algorithms", 0), "curve25519-sha256");
	assert_string_equal(str(p, "ssh.server_host_key_algorithms", 0), "ssh-ed25519");
	assert_string_equal(str(p, "ssh.encryption_algorithms_client_to_server", 0), "aes128-ctr");
	assert_string_equal(str(p, "ssh.encryption_algorithms_server_to_client", 0), "aes128-ctr");
	assert_string_equal(str(p, "ssh.mac_algorithms_client_to_server", 0), "hmac-sha2-256");
	assert_string_equal(str(p, "ssh.mac_algorithms_server_to_client", 0), "hmac-sha2-256");
	assert_string_equal(str(p, "ssh.compression_algorithms_client_to_server", 0), "none");
	assert_string_equal(str(p, "ssh.compression_algorithms_server_to_client", 0), "none");
	assert_string_equal(str(p, "ssh.languages_client_to_server", 0), "");
	assert_string_equal(str(p, "ssh.languages_server_to_client", 0), "");
	assert_int_equal(num(p, "ssh.first_kex_packet_follows", 0), 0);
	assert_string_equal(str(p, "ssh.kex.reserved", 0), "00000000");
}

static void test_kexinit(void **state)
{
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);

	(void)state;
	/* The offsets of the table above hold the lists' lengths. */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(kexinit_bytes[kexinit_list_at[i] + 3], list_len[i]);
	seg(c, C, kexinit_bytes, sizeof(kexinit_bytes), &p);
	check_kexinit_fields(&p);
	assert_string_equal(p.info, "Client: Key Exchange Init");
	no_error(&p);
	json_is(&p, ", \"ssh\": {\"msgs\": [20]}");
	/* One KEXINIT: nothing chosen yet. */
	assert_int_equal(count(&p, "ssh.negotiated.kex"), 0);
	pkt_clear(&p);
	conn_free(c);
}

/* Cut anywhere, the packet is listed at the segment that completes it. */
static void test_kexinit_cut_everywhere(void **state)
{
	(void)state;
	for (size_t cut = 1; cut < sizeof(kexinit_bytes); cut++) {
		struct pkt p = { 0 };
		struct conn *c = conn_identified(&p);

		seg(c, C, kexinit_bytes, cut, &p);
		assert_int_equal(count(&p, "ssh"), 0);
		assert_int_equal(count(&p, "wl.error"), 0);
		seg(c, C, kexinit_bytes + cut, sizeof(kexinit_bytes) - cut, &p);
		check_kexinit_fields(&p);
		no_error(&p);
		pkt_clear(&p);
		conn_free(c);
	}
}

/* Each of the ten lengths made to run past the payload. */
static void test_kexinit_lying_list_lengths(void **state)
{
	static const char *const names[10] = {
		"kex_algorithms",
		"server_host_key_algorithms",
		"encryption_algorithms_client_to_server",
		"encryption_algorithms_server_to_client",
		"mac_algorithms_client_to_server",
		"mac_algorithms_server_to_client",
		"compression_algorithms_client_to_server",
		"compression_algorithms_server_to_client",
		"languages_client_to_server",
		"languages_server_to_client",
	};

	(void)state;
	for (size_t i = 0; i < 10; i++) {
		uint8_t b[sizeof(kexinit_bytes)];
		struct pkt p = { 0 };
		struct conn *c = conn_identified(&p);
		char want[200];
		/* payload bytes after the length field: 5 + payload length - 1 -
		 * offset - 4 */
		size_t left = 5 + 144 - kexinit_list_at[i] - 4;

		memcpy(b, kexinit_bytes, sizeof(b));
		b[kexinit_list_at[i]] = 0x01; /* + 16 MiB */
		seg(c, C, b, sizeof(b), &p);
		snprintf(
			want, sizeof(want),
			"ssh: KEXINIT: %s length %u runs past the payload (%zu bytes left) at byte "
			"%zu of the client stream",
			names[i], 0x01000000u + b[kexinit_list_at[i] + 3], left, strlen(ident_c));
		assert_string_equal(str(&p, "wl.error", 0), want);
		assert_int_equal(num(&p, "ssh.message_code", 0), 20);
		/* The lists before it are there, none after. */
		assert_int_equal(count(&p, "ssh.first_kex_packet_follows"), 0);
		/* The packet's own length was right: the next one is read. */
		seg(c, C, "\x00\x00\x00\x0c\x0a\x15\0\0\0\0\0\0\0\0\0\0", 16, &p);
		assert_int_equal(num(&p, "ssh.message_code", 0), 21);
		no_error(&p);
		pkt_clear(&p);
		conn_free(c);
	}
}

/* The payload cut at every byte inside a packet whose own length is
 * right: "payload ends before ..." or a list running past it, never a read
 * past the packet. */
static void test_kexinit_payload_cut_everywhere(void **state)
{
	const uint8_t *payload = kexinit_bytes + 5;
	size_t full = 144;

	(void)state;
	for (size_t cut = 1; cut < full; cut++) {
		uint8_t b[256];
		struct pkt p = { 0 };
		struct conn *c = conn_identified(&p);
		size_t n = packet(b, payload, cut);

		seg(c, C, b, n, &p);
		assert_int_equal(num(&p, "ssh.message_code", 0), 20);
		assert_int_equal(count(&p, "wl.error"), 1);
		assert_non_null(strstr(str(&p, "wl.error", 0), "ssh: KEXINIT: "));
		assert_int_equal(count(&p, "ssh.kex.reserved"), 0);
		pkt_clear(&p);
		conn_free(c);
	}
}

static void test_packet_lengths(void **state)
{
	struct pkt p = { 0 };
	struct conn *c;
	uint8_t b[64];

	(void)state;
	/* packet_length past OpenSSH's limit: no boundary after it is trusted. */
	c = conn_identified(&p);
	seg(c, C, "\x7f\xff\xff\xff\x04\x14", 6, &p);
	assert_int_equal(num(&p, "ssh.packet_length", 0), 0x7fffffff);
	assert_string_equal(
		str(&p, "wl.error", 0),
		"ssh: packet_length 2147483647 out of range (5 to 262144) at byte 40 of "
		"the client stream");
	assert_string_equal(p.info, "Client: [ssh: packet_length 2147483647 out of range (5 to "
				    "262144) at byte 40 of the client stream]");
	seg(c, C, "\x00\x00\x00\x0c\x0a\x15\0\0\0\0\0\0\0\0\0\0", 16, &p);
	assert_int_equal(count(&p, "ssh"), 0);
	conn_free(c);

	/* Too short to hold padding_length and 4 bytes of padding. */
	c = conn_identified(&p);
	seg(c, S, "\x00\x00\x00\x04\x00\x15\x00\x00", 8, &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: packet_length 4 out of range (5 to 262144) at byte 40 of the "
			    "server stream");
	conn_free(c);

	/* padding_length beyond the packet. */
	c = conn_identified(&p);
	seg(c, C, "\x00\x00\x00\x0c\xc8\x15\0\0\0\0\0\0\0\0\0\0", 16, &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: padding_length 200 does not fit packet_length 12 at byte 40 of "
			    "the client stream");
	assert_int_equal(count(&p, "ssh.message_code"), 0);
	/* ... but the packet's boundary holds: the next one is read. */
	seg(c, C, "\x00\x00\x00\x0c\x0a\x15\0\0\0\0\0\0\0\0\0\0", 16, &p);
	assert_int_equal(num(&p, "ssh.message_code", 0), 21);
	conn_free(c);

	/* Padding of 3 bytes, and 4 + packet_length not a multiple of 8. */
	c = conn_identified(&p);
	seg(c, C, "\x00\x00\x00\x05\x03\x15\0\0\0", 9, &p);
	assert_int_equal(num(&p, "ssh.message_code", 0), 21);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: padding_length 3 below 4 (RFC 4253 6) at byte 40 of the client "
			    "stream");
	assert_string_equal(str(&p, "wl.error", 1),
			    "ssh: packet of 9 bytes not a multiple of 8 (RFC 4253 6) at byte 40 of "
			    "the client stream");
	conn_free(c);

	/* All padding, no message number. */
	c = conn_identified(&p);
	seg(c, C, "\x00\x00\x00\x0c\x0b\0\0\0\0\0\0\0\0\0\0\0", 16, &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: packet without a message number at byte 40 of the client stream");
	conn_free(c);

	/* NEWKEYS with a byte too many. */
	c = conn_identified(&p);
	seg(c, S, b, packet(b, "\x15\x00", 2), &p);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: NEWKEYS: 1 byte after its last field at byte 40 of the server "
			    "stream");
	conn_free(c);
	pkt_clear(&p);
}

/* ---- RFC 4253 7.1 ---- */

static void test_negotiate(void **state)
{
	char out[SSH_NAME_BUF];

	(void)state;
	/* The client's order decides, whatever the server's. */
	assert_int_equal(ssh_negotiate("a,b,c", "c,b", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
	assert_int_equal(ssh_negotiate("b,a", "a,b", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
	assert_int_equal(ssh_negotiate("aes128-ctr,chacha20-poly1305@openssh.com",
				       "chacha20-poly1305@openssh.com,aes128-ctr", out,
				       sizeof(out)),
			 0);
	assert_string_equal(out, "aes128-ctr");
	/* Whole names only. */
	assert_int_equal(ssh_negotiate("aes128", "aes128-ctr,aes1280", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(ssh_negotiate("aes128-ctr,zz", "aes128,zz", out, sizeof(out)), 0);
	assert_string_equal(out, "zz");
	/* Nothing in common: the connection fails. */
	assert_int_equal(ssh_negotiate("a,b", "c,d", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(ssh_negotiate("", "a", out, sizeof(out)), -1);
	assert_int_equal(ssh_negotiate("a", "", out, sizeof(out)), -1);
	/* Empty names are nobody's. */
	assert_int_equal(ssh_negotiate(",a,", ",a", out, sizeof(out)), 0);
	assert_string_equal(out, "a");
	/* Extension signals are never chosen, even when both list them. */
	assert_int_equal(ssh_negotiate("ext-info-c,kex-strict-c-v00@openssh.com,curve25519-sha256",
				       "kex-strict-c-v00@openssh.com,ext-info-c,curve25519-sha256",
				       out, sizeof(out)),
			 0);
	assert_string_equal(out, "curve25519-sha256");
	assert_int_equal(ssh_negotiate("ext-info-c", "ext-info-c", out, sizeof(out)), -1);
	/* A name that does not fit. */
	assert_int_equal(ssh_negotiate("abcdef", "abcdef", out, 6), -1);
	assert_int_equal(ssh_negotiate("abcdef", "abcdef", out, 7), 0);
	assert_int_equal(ssh_negotiate(NULL, "a", out, sizeof(out)), -1);
}

static void test_negotiate_kex(void **state)
{
	char out[SSH_NAME_BUF];

	(void)state;
	assert_int_equal(ssh_negotiate_kex(openssh_client[0], openssh_server[0], openssh_client[1],
					   openssh_server[1], out, sizeof(out)),
			 0);
	assert_string_equal(out, "sntrup761x25519-sha512@openssh.com");
	/* The server prefers curve25519; the client's order wins. */
	assert_int_equal(ssh_negotiate_kex("ecdh-sha2-nistp256,curve25519-sha256",
					   "curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519",
					   "ssh-ed25519", out, sizeof(out)),
			 0);
	assert_string_equal(out, "ecdh-sha2-nistp256");
	/* No host key algorithm in common: no method can work. */
	assert_int_equal(ssh_negotiate_kex("curve25519-sha256", "curve25519-sha256", "ssh-ed25519",
					   "rsa-sha2-512", out, sizeof(out)),
			 -1);
	assert_string_equal(out, "");
	assert_true(ssh_cipher_is_aead("chacha20-poly1305@openssh.com"));
	assert_true(ssh_cipher_is_aead("aes128-gcm@openssh.com"));
	assert_true(ssh_cipher_is_aead("aes256-gcm@openssh.com"));
	assert_false(ssh_cipher_is_aead("aes256-ctr"));
	assert_false(ssh_cipher_is_aead("AEAD_AES_128_GCM"));
}

/* The choice appears at the packet that completes the second KEXINIT. */
static void test_negotiated_fields(void **state)
{
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[4096];

	(void)state;
	seg(c, S, b, kexinit(b, openssh_server), &p); /* the server's first this time */
	assert_int_equal(count(&p, "ssh.negotiated.kex"), 0);
	no_error(&p);
	seg(c, C, b, kexinit(b, openssh_client), &p);
	no_error(&p);
	assert_string_equal(str(&p, "ssh.negotiated.kex", 0), "sntrup761x25519-sha512@openssh.com");
	assert_string_equal(str(&p, "ssh.negotiated.hostkey", 0), "ssh-ed25519");
	assert_string_equal(str(&p, "ssh.negotiated.cipher_c2s", 0),
			    "chacha20-poly1305@openssh.com");
	assert_string_equal(str(&p, "ssh.negotiated.cipher_s2c", 0),
			    "chacha20-poly1305@openssh.com");
	assert_string_equal(str(&p, "ssh.negotiated.mac_c2s", 0), "<implicit>");
	assert_string_equal(str(&p, "ssh.negotiated.mac_s2c", 0), "<implicit>");
	assert_string_equal(str(&p, "ssh.negotiated.compression_c2s", 0), "none");
	assert_string_equal(str(&p, "ssh.negotiated.compression_s2c", 0), "none");
	json_is(&p,
		", \"ssh\": {\"msgs\": [20], \"negotiated\": {\"kex\": "
		"\"sntrup761x25519-sha512@openssh.com\", \"hostkey\": \"ssh-ed25519\", "
		"\"cipher_c2s\": \"chacha20-poly1305@openssh.com\", \"cipher_s2c\": "
		"\"chacha20-poly1305@openssh.com\", \"mac_c2s\": \"<implicit>\", \"mac_s2c\": "
		"\"<implicit>\", \"compression_c2s\": \"none\", \"compression_s2c\": \"none\"}}");
	/* Only once. */
	seg(c, S, b, kexinit(b, openssh_server), &p);
	assert_int_equal(count(&p, "ssh.negotiated.kex"), 0);
	pkt_clear(&p);
	conn_free(c);
}

/* Each direction chosen on its own; a MAC when the cipher needs one. */
static void test_negotiated_per_direction(void **state)
{
	static const char *const client[10] = {
		"diffie-hellman-group14-sha256",
		"rsa-sha2-256,ssh-ed25519",
		"aes128-ctr,chacha20-poly1305@openssh.com",
		"aes256-gcm@openssh.com,aes128-ctr",
		"hmac-sha1,hmac-sha2-256",
		"hmac-sha2-512,hmac-sha2-256",
		"zlib@openssh.com,none",
		"none",
		"",
		"",
	};
	static const char *const server[10] = {
		"curve25519-sha256,diffie-hellman-group14-sha256",
		"ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
		"chacha20-poly1305@openssh.com,aes128-ctr",
		"aes128-ctr,aes256-gcm@openssh.com",
		"hmac-sha2-256,hmac-sha1",
		"hmac-sha2-256",
		"none,zlib@openssh.com",
		"none,zlib@openssh.com",
		"",
		"",
	};
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[4096];

	(void)state;
	seg(c, C, b, kexinit(b, client), &p);
	seg(c, S, b, kexinit(b, server), &p);
	no_error(&p);
	assert_string_equal(str(&p, "ssh.negotiated.kex", 0), "diffie-hellman-group14-sha256");
	assert_string_equal(str(&p, "ssh.negotiated.hostkey", 0), "rsa-sha2-256");
	assert_string_equal(str(&p, "ssh.negotiated.cipher_c2s", 0), "aes128-ctr");
	assert_string_equal(str(&p, "ssh.negotiated.cipher_s2c", 0), "aes256-gcm@openssh.com");
	assert_string_equal(str(&p, "ssh.negotiated.mac_c2s", 0), "hmac-sha1");
	assert_string_equal(str(&p, "ssh.negotiated.mac_s2c", 0), "<implicit>");
	assert_string_equal(str(&p, "ssh.negotiated.compression_c2s", 0), "zlib@openssh.com");
	assert_string_equal(str(&p, "ssh.negotiated.compression_s2c", 0), "none");
	pkt_clear(&p);
	conn_free(c);
}

static void test_negotiated_nothing_common(void **state)
{
	const char *client[10], *server[10];
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[4096];

	(void)state;
	memcpy(client, openssh_client, sizeof(client));
	memcpy(server, openssh_server, sizeof(server));
	client[0] = "diffie-hellman-group1-sha1,ext-info-c";
	server[3] = "aes256-ctr"; /* no common cipher server to client */
	seg(c, C, b, kexinit(b, client), &p);
	seg(c, S, b, kexinit(b, server), &p);
	assert_int_equal(count(&p, "ssh.negotiated.kex"), 0);
	assert_int_equal(count(&p, "ssh.negotiated.cipher_s2c"), 0);
	assert_string_equal(str(&p, "ssh.negotiated.cipher_c2s", 0),
			    "chacha20-poly1305@openssh.com");
	assert_int_equal(count(&p, "wl.error"), 2);
	assert_string_equal(str(&p, "wl.error", 0),
			    "ssh: KEXINIT: no key exchange method both sides support: the "
			    "connection fails (RFC 4253 7.1) at byte 40 of the server stream");
	assert_string_equal(str(&p, "wl.error", 1),
			    "ssh: KEXINIT: no cipher server to client both sides support: the "
			    "connection fails (RFC 4253 7.1) at byte 40 of the server stream");
	/* No method: the 30s are named as tshark names them, and not read. */
	seg(c, C, b, packet(b, "\x1e\x00\x00\x00\x01\x07", 6), &p);
	assert_string_equal(p.info, "Client: Diffie-Hellman Key Exchange Init");
	no_error(&p);
	pkt_clear(&p);
	conn_free(c);
}

static void test_name_lists_checked(void **state)
{
	const char *client[10];
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[4096];

	(void)state;
	memcpy(client, openssh_client, sizeof(client));
	client[2] = "aes128-ctr,"; /* what libssh 0.10 sends */
	client[3] = "aes128-ctr,,x";
	client[6] = ",none";
	client[7] = "none,a b";
	seg(c, C, b, kexinit(b, client), &p);
	assert_int_equal(count(&p, "wl.error"), 4);
	assert_string_equal(
		str(&p, "wl.error", 0),
		"ssh: KEXINIT: encryption_algorithms_client_to_server ends with a comma "
		"(an empty name, RFC 4251 5) at byte 40 of the client stream");
	assert_string_equal(str(&p, "wl.error", 1),
			    "ssh: KEXINIT: encryption_algorithms_server_to_client holds two commas "
			    "in a row (an empty name, RFC 4251 5) at byte 40 of the client stream");
	assert_string_equal(str(&p, "wl.error", 2),
			    "ssh: KEXINIT: compression_algorithms_client_to_server starts with a "
			    "comma (an empty name, RFC 4251 5) at byte 40 of the client stream");
	assert_string_equal(str(&p, "wl.error", 3),
			    "ssh: KEXINIT: compression_algorithms_server_to_client holds byte 0x20 "
			    "(RFC 4251 5: US-ASCII names) at byte 40 of the client stream");
	/* The lists still count for the choice. */
	seg(c, S, b, kexinit(b, openssh_server), &p);
	assert_string_equal(str(&p, "ssh.negotiated.cipher_c2s", 0), "aes128-ctr");
	pkt_clear(&p);
	conn_free(c);
}

/* ---- key exchange messages ---- */

/* Both sides send the same KEXINIT, with kex as the only method; *at is
 * where each direction stands after it. */
static struct conn *conn_kex(const char *kex, struct pkt *p, size_t *at)
{
	const char *lists[10];
	struct conn *c = conn_identified(p);
	uint8_t b[4096];
	size_t n;

	memcpy(lists, openssh_client, sizeof(lists));
	lists[0] = kex;
	n = kexinit(b, lists);
	seg(c, C, b, n, p);
	seg(c, S, b, n, p);
	assert_string_equal(str(p, "ssh.negotiated.kex", 0), kex);
	*at = strlen(ident_c) + n;
	return c;
}

/* SSH_MSG_KEX_ECDH_REPLY (RFC 5656 4): K_S, Q_S, signature. */
static size_t ecdh_reply(uint8_t *out, size_t ks_len_delta)
{
	uint8_t pay[512], ks[64], sig[128], q[32];
	size_t n = 0, k = 0, s = 0;

	memset(q, 0x5a, sizeof(q));
	k += put_string(ks, "ssh-ed25519", 11);
	k += put_string(ks + k, q, 32);
	s += put_string(sig, "ssh-ed25519", 11);
	s += put_string(sig + s, q, 32);
	pay[n++] = 31;
	n += put_string(pay + n, ks, k);
	pay[n - k - 1] = (uint8_t)(pay[n - k - 1] + ks_len_delta); /* K_S's length, low byte */
	n += put_string(pay + n, q, 32);
	n += put_string(pay + n, sig, s);
	return packet(out, pay, n);
}

static void test_kex_ecdh(void **state)
{
	struct pkt p = { 0 };
	size_t at;
	struct conn *c = conn_kex("curve25519-sha256", &p, &at);
	uint8_t b[1024], pay[64];
	size_t n;

	(void)state;
	pay[0] = 30;
	n = 1 + put_string(pay + 1, "0123456789abcdef0123456789abcdef", 32);
	seg(c, C, b, packet(b, pay, n), &p);
	assert_string_equal(p.info, "Client: Elliptic Curve Diffie-Hellman Key Exchange Init");
	assert_int_equal(num(&p, "ssh.message_code", 0), 30);
	assert_int_equal(num(&p, "ssh.ecdh.q_c_length", 0), 32);
	no_error(&p);

	/* The reply, NEWKEYS and the first encrypted bytes in one segment. */
	n = ecdh_reply(b, 0);
	n += packet(b + n, "\x15", 1);
	memcpy(b + n, "\xde\xad\xbe\xef\x01\x02\x03", 7);
	seg(c, S, b, n + 7, &p);
	no_error(&p);
	assert_string_equal(p.info, "Server: Elliptic Curve Diffie-Hellman Key Exchange Reply, New "
				    "Keys, Encrypted packet (len=7)");
	assert_int_equal(num(&p, "ssh.message_code", 0), 31);
	assert_int_equal(num(&p, "ssh.message_code", 1), 21);
	assert_string_equal(str(&p, "ssh.host_key.type", 0), "ssh-ed25519");
	assert_int_equal(num(&p, "ssh.host_key.length", 0), 51);
	assert_int_equal(num(&p, "ssh.ecdh.q_s_length", 0), 32);
	assert_string_equal(str(&p, "ssh.host_sig.type", 0), "ssh-ed25519");
	assert_int_equal(num(&p, "ssh.encrypted_packet", 0), 7);
	assert_int_equal(count(&p, "ssh"), 3);
	json_is(&p, ", \"ssh\": {\"msgs\": [31, 21], \"encrypted\": true}");

	/* The server's later bytes: one encrypted unit per segment, never
	 * split into guessed packets. */
	seg(c, S, "\x00\x00\x00\x0c\x0a\x15\0\0\0\0\0\0\0\0\0\0", 16, &p);
	assert_int_equal(count(&p, "ssh.message_code"), 0);
	assert_int_equal(num(&p, "ssh.encrypted_packet", 0), 16);
	assert_string_equal(p.info, "Server: Encrypted packet (len=16)");
	json_is(&p, ", \"ssh\": {\"encrypted\": true}");

	/* The client is still in clear until its own NEWKEYS. */
	seg(c, C, b, packet(b, "\x15", 1), &p);
	assert_string_equal(p.info, "Client: New Keys");
	json_is(&p, ", \"ssh\": {\"msgs\": [21]}");
	seg(c, C, "\x00\x00\x00\x0c", 4, &p);
	assert_string_equal(p.info, "Client: Encrypted packet (len=4)");
	pkt_clear(&p);
	conn_free(c);
}

static void test_kex_ecdh_lying(void **state)
{
	(void)state;
	/* K_S's length one byte long, then one byte short: Q_S and the
	 * signature are read from the wrong place and must not be trusted. */
	for (int delta = 1; delta <= 200; delta += 199) {
		struct pkt p = { 0 };
		size_t at;
		struct conn *c = conn_kex("ecdh-sha2-nistp256", &p, &at);
		uint8_t b[1024];

		seg(c, S, b, ecdh_reply(b, (size_t)delta), &p);
		assert_int_equal(num(&p, "ssh.message_code", 0), 31);
		assert_int_equal(count(&p, "wl.error"), 1);
		assert_non_null(strstr(str(&p, "wl.error", 0), "ssh: KEX_ECDH_REPLY: "));
		pkt_clear(&p);
		conn_free(c);
	}
	/* The reply from the client. */
	{
		struct pkt p = { 0 };
		size_t at;
		struct conn *c = conn_kex("curve25519-sha256@libssh.org", &p, &at);
		uint8_t b[1024];
		char want[120];

		seg(c, C, b, ecdh_reply(b, 0), &p);
		snprintf(want, sizeof(want),
			 "ssh: KEX_ECDH_REPLY: sent by the client at byte %zu of the client stream",
			 at);
		assert_string_equal(str(&p, "wl.error", 0), want);
		pkt_clear(&p);
		conn_free(c);
	}
}

/* tshark 4.0 names the messages of methods it does not know (OpenSSH 9.2's
 * default sntrup761x25519) as Diffie-Hellman's; their layout is ECDH's. */
static void test_kex_sntrup(void **state)
{
	struct pkt p = { 0 };
	size_t at;
	struct conn *c = conn_kex("sntrup761x25519-sha512@openssh.com", &p, &at);
	uint8_t b[4096], pay[1300], q[1190];
	size_t n;

	(void)state;
	memset(q, 0x11, sizeof(q));
	pay[0] = 30;
	n = 1 + put_string(pay + 1, q, sizeof(q)); /* sntrup761 public key + X25519 */
	seg(c, C, b, packet(b, pay, n), &p);
	assert_string_equal(p.info, "Client: Diffie-Hellman Key Exchange Init");
	assert_int_equal(num(&p, "ssh.ecdh.q_c_length", 0), 1190);
	no_error(&p);
	seg(c, S, b, ecdh_reply(b, 0), &p);
	assert_string_equal(p.info, "Server: Diffie-Hellman Key Exchange Reply");
	assert_string_equal(str(&p, "ssh.host_sig.type", 0), "ssh-ed25519");
	no_error(&p);
	pkt_clear(&p);
	conn_free(c);
}

static void test_kex_dh_and_gex(void **state)
{
	struct pkt p = { 0 };
	size_t at, n;
	struct conn *c = conn_kex("diffie-hellman-group14-sha256", &p, &at);
	uint8_t b[1024], pay[300], e[257];
	char want[120];

	(void)state;
	memset(e, 0x42, sizeof(e));
	pay[0] = 30;
	n = 1 + put_string(pay + 1, e, sizeof(e)); /* mpint e */
	seg(c, C, b, packet(b, pay, n), &p);
	assert_string_equal(p.info, "Client: Diffie-Hellman Key Exchange Init");
	assert_int_equal(num(&p, "ssh.mpint_length", 0), 257);
	no_error(&p);
	conn_free(c);

	/* RFC 4419: request (34), group (31), init (32), reply (33). */
	c = conn_kex("diffie-hellman-group-exchange-sha256", &p, &at);
	seg(c, C, b, packet(b, "\x22\x00\x00\x08\x00\x00\x00\x20\x00\x00\x00\x40\x00", 13), &p);
	assert_string_equal(p.info, "Client: Diffie-Hellman Group Exchange Request");
	assert_int_equal(num(&p, "ssh.dh_gex.min", 0), 2048);
	assert_int_equal(num(&p, "ssh.dh_gex.nbits", 0), 8192);
	assert_int_equal(num(&p, "ssh.dh_gex.max", 0), 16384);
	no_error(&p);
	n = packet(b, "\x1f\x00\x00\x00\x01\x17\x00\x00\x00\x01\x02", 11);
	seg(c, S, b, n, &p);
	at += n;
	assert_string_equal(p.info, "Server: Diffie-Hellman Group Exchange Group");
	assert_int_equal(count(&p, "ssh.mpint_length"), 2);
	no_error(&p);
	seg(c, C, b, packet(b, "\x20\x00\x00\x00\x01\x05", 6), &p);
	assert_string_equal(p.info, "Client: Diffie-Hellman Group Exchange Init");
	no_error(&p);
	/* A group with g missing. */
	seg(c, S, b, packet(b, "\x1f\x00\x00\x00\x01\x17", 6), &p);
	snprintf(want, sizeof(want),
		 "ssh: KEX_DH_GEX_GROUP: payload ends before g at byte %zu of the server stream",
		 at);
	assert_string_equal(str(&p, "wl.error", 0), want);
	/* 35-39: not the method's, and tshark has no name for them. */
	seg(c, S, b, packet(b, "\x23", 1), &p);
	assert_string_equal(p.info, "Server: Unknown (35)");
	pkt_clear(&p);
	conn_free(c);
}

static void test_disconnect(void **state)
{
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[256], pay[128];
	size_t n = 0, first;
	char want[160];

	(void)state;
	pay[n++] = 1;
	memcpy(pay + n, "\x00\x00\x00\x03", 4); /* SSH_DISCONNECT_KEY_EXCHANGE_FAILED */
	n += 4;
	n += put_string(pay + n, "no matching key exchange method", 31);
	n += put_string(pay + n, "", 0);
	first = packet(b, pay, n);
	seg(c, S, b, first, &p);
	assert_string_equal(p.info, "Server: Disconnect");
	assert_int_equal(num(&p, "ssh.disconnect_reason", 0), 3);
	assert_string_equal(str(&p, "ssh.disconnect_description", 0),
			    "no matching key exchange method");
	no_error(&p);
	/* The description's length lies. */
	pay[8] = 0x7f;
	seg(c, S, b, packet(b, pay, n), &p);
	snprintf(want, sizeof(want),
		 "ssh: DISCONNECT: the description length 127 runs past the payload (35 bytes "
		 "left) at byte %zu of the server stream",
		 strlen(ident_s) + first);
	assert_string_equal(str(&p, "wl.error", 0), want);
	pkt_clear(&p);
	conn_free(c);
}

/* Messages named as tshark names them; several per segment in order. */
static void test_names(void **state)
{
	struct pkt p = { 0 };
	struct conn *c = conn_identified(&p);
	uint8_t b[256];
	size_t n;

	(void)state;
	n = packet(b, "\x02\x00\x00\x00\x00", 5); /* IGNORE */
	n += packet(b + n, "\x05", 1);		  /* SERVICE_REQUEST, truncated */
	n += packet(b + n, "\xc8", 1);		  /* 200: local extension */
	n += packet(b + n, "\x32", 1);		  /* USERAUTH_REQUEST */
	seg(c, C, b, n, &p);
	assert_string_equal(p.info, "Client: Ignore, Service Request, Unknown (200), User "
				    "Authentication Request");
	json_is(&p, ", \"ssh\": {\"msgs\": [2, 5, 200, 50]}");
	pkt_clear(&p);
	conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident),
		cmocka_unit_test(test_ident_cut_everywhere),
		cmocka_unit_test(test_ident_rules),
		cmocka_unit_test(test_ident_other_lines),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_kexinit),
		cmocka_unit_test(test_kexinit_cut_everywhere),
		cmocka_unit_test(test_kexinit_lying_list_lengths),
		cmocka_unit_test(test_kexinit_payload_cut_everywhere),
		cmocka_unit_test(test_packet_lengths),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_kex),
		cmocka_unit_test(test_negotiated_fields),
		cmocka_unit_test(test_negotiated_per_direction),
		cmocka_unit_test(test_negotiated_nothing_common),
		cmocka_unit_test(test_name_lists_checked),
		cmocka_unit_test(test_kex_ecdh),
		cmocka_unit_test(test_kex_ecdh_lying),
		cmocka_unit_test(test_kex_sntrup),
		cmocka_unit_test(test_kex_dh_and_gex),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

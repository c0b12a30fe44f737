/* harness/dissect_ssh.c — SSH-2 while it is in clear (RFC 4253), then byte
 * counts.
 *
 * Each direction starts with its identification line (RFC 4253 4.2):
 *
 *   SSH-protoversion-softwareversion SP comments CR LF    (255 bytes at most)
 *
 * which the server may precede with other lines, none beginning "SSH-". The
 * binary packet protocol follows at once (RFC 4253 6):
 *
 *   uint32    packet_length    bytes that follow, the MAC excluded
 *   byte      padding_length
 *   byte[n1]  payload          n1 = packet_length - padding_length - 1
 *   byte[n2]  random padding   n2 = padding_length, at least 4
 *   byte[m]   mac              m = 0 until NEWKEYS
 *
 * (4 + packet_length a multiple of 8 while the cipher is "none"). The
 * payload's first byte is the message number. KEXINIT (RFC 4253 7.1):
 *
 *   byte         SSH_MSG_KEXINIT (20)
 *   byte[16]     cookie
 *   name-list    kex_algorithms, server_host_key_algorithms,
 *                encryption_algorithms_client_to_server, ..._server_to_client,
 *                mac_algorithms_..., compression_algorithms_..., languages_...
 *   boolean      first_kex_packet_follows
 *   uint32       0 (reserved)
 *
 * Messages 30-49 belong to the key exchange method, which nobody sends: both
 * sides compute it from the two KEXINITs (dissect_ssh.h), and so does this
 * dissector, at the packet that completes the second one. NEWKEYS (21) ends
 * the clear text of its direction: every later byte that direction sends is
 * encrypted, and with chacha20-poly1305@openssh.com even the packet lengths
 * are. No boundary is guessed there: each TCP segment's new bytes are one
 * "Encrypted packet" whose length is counted.
 *
 * Messages are listed at the packet that completes them, as Wireshark does
 * with reassembly; the Info text follows tshark 4.0's wording. A length that
 * lies is a protocol error ("wl.error") naming the message and the byte of
 * the direction where it is; when a packet_length cannot be trusted, no later
 * boundary of that direction can be, and the rest of it is left alone.
 */
#include "harness/dissect_ssh.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/json.h"
#include "harness/rd.h"
#include "harness/trace.h"

#define SSH_IDENT_MAX	    255		 /* RFC 4253 4.2, CR LF included */
#define SSH_OTHER_LINE_MAX  8192	 /* a server's line before it (bound of ours) */
#define SSH_OTHER_LINES_MAX 1024	 /* how many of them OpenSSH's client reads */
#define SSH_PACKET_MAX	    (256 * 1024) /* OpenSSH's PACKET_MAX_SIZE (RFC 4253 6.1: >= 35000) */
#define SSH_PAD_MIN	    4		 /* RFC 4253 6 */
#define SSH_NAME_MAX	    64		 /* RFC 4251 6 */

enum {
	SSH_MSG_DISCONNECT = 1,
	SSH_MSG_KEXINIT = 20,
	SSH_MSG_NEWKEYS = 21,
	SSH_MSG_KEX_FIRST = 30, /* 30-49: the key exchange method's own */
	SSH_MSG_KEX_LAST = 49,
};

/* The ten name-lists of KEXINIT, in wire order. */
enum {
	L_KEX,
	L_HOSTKEY,
	L_ENC_C2S,
	L_ENC_S2C,
	L_MAC_C2S,
	L_MAC_S2C,
	L_COMP_C2S,
	L_COMP_S2C,
	L_LANG_C2S,
	L_LANG_S2C,
	L_N,
};

static const char *const list_fields[L_N] = {
	"ssh.kex_algorithms",
	"ssh.server_host_key_algorithms",
	"ssh.encryption_algorithms_client_to_server",
	"ssh.encryption_algorithms_server_to_client",
	"ssh.mac_algorithms_client_to_server",
	"ssh.mac_algorithms_server_to_client",
	"ssh.compression_algorithms_client_to_server",
	"ssh.compression_algorithms_server_to_client",
	"ssh.languages_client_to_server",
	"ssh.languages_server_to_client",
};

static const char *const ssh_fields[] = {
	"ssh",
	"ssh.protocol",
	"ssh.packet_length",
	"ssh.padding_length",
	"ssh.message_code",
	"ssh.cookie",
	"ssh.kex_algorithms",
	"ssh.server_host_key_algorithms",
	"ssh.encryption_algorithms_client_to_server",
	"ssh.encryption_algorithms_server_to_client",
	"ssh.mac_algorithms_client_to_server",
	"ssh.mac_algorithms_server_to_client",
	"ssh.compression_algorithms_client_to_server",
	"ssh.compression_algorithms_server_to_client",
	"ssh.languages_client_to_server",
	"ssh.languages_server_to_client",
	"ssh.first_kex_packet_follows",
	"ssh.kex.reserved",
	"ssh.host_key.length",
	"ssh.host_key.type",
	"ssh.host_sig.length",
	"ssh.host_sig.type",
	"ssh.ecdh.q_c_length",
	"ssh.ecdh.q_s_length",
	"ssh.mpint_length", /* one per mpint of a Diffie-Hellman message */
	"ssh.dh_gex.min",
	"ssh.dh_gex.nbits",
	"ssh.dh_gex.max",
	"ssh.disconnect_reason",
	"ssh.disconnect_description",
	"ssh.encrypted_packet", /* wirelab: an int, the segment's encrypted bytes */
	/* wirelab: the parts of the identification line */
	"ssh.protoversion",
	"ssh.softwareversion",
	"ssh.comments",
	"ssh.other_line", /* wirelab: a server's line before its identification */
	/* wirelab: the choice of RFC 4253 7.1, at the second KEXINIT */
	"ssh.negotiated.kex",
	"ssh.negotiated.hostkey",
	"ssh.negotiated.cipher_c2s",
	"ssh.negotiated.cipher_s2c",
	"ssh.negotiated.mac_c2s",
	"ssh.negotiated.mac_s2c",
	"ssh.negotiated.compression_c2s",
	"ssh.negotiated.compression_s2c",
	NULL,
};

enum ssh_phase {
	SSH_IDENT,     /* before the identification line */
	SSH_CLEAR,     /* binary packets, no cipher yet */
	SSH_ENCRYPTED, /* after NEWKEYS */
	SSH_LOST,      /* a boundary could not be trusted: nothing more is read */
};

struct ssh_side {
	enum ssh_phase phase;
	uint64_t at;	      /* bytes of the direction consumed so far */
	unsigned other_lines; /* lines before the identification */
	int have_kexinit;     /* its first KEXINIT was read whole */
	size_t pending;	      /* bytes of an incomplete line or packet left */
	char *lists[L_N];     /* ... and its name-lists */
};

struct ssh_state {
	struct ssh_side side[2];
	int chosen;		/* both KEXINITs read, choice made */
	char kex[SSH_NAME_BUF]; /* the key exchange method, "" if unknown */
};

static const char *const side_name[2] = { "client", "server" };

/* ---- RFC 4253 7.1: the choice ---- */

/* Extension signals that sit in kex_algorithms but name no method. */
static int is_pseudo(const char *name, size_t n)
{
	return (n >= 9 && !memcmp(name, "ext-info-", 9)) ||
	       (n >= 11 && !memcmp(name, "kex-strict-", 11));
}

static int list_has(const char *list, const char *name, size_t n)
{
	const char *p = list;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !memcmp(p, name, n))
			return 1;
		if (!e)
			return 0;
		p = e + 1;
	}
}

/* The first client name the server also lists: 0 with name and length, or -1. */
static int common_name(const char *client, const char *server, const char **name, size_t *n)
{
	const char *p = client;

	if (!client || !server)
		return -1;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l && !is_pseudo(p, l) && list_has(server, p, l)) {
			*name = p;
			*n = l;
			return 0;
		}
		if (!e)
			return -1;
		p = e + 1;
	}
}

int ssh_negotiate(const char *client_list, const char *server_list, char *out, size_t outlen)
{
	const char *name;
	size_t n;

	if (outlen)
		out[0] = '\0';
	if (common_name(client_list, server_list, &name, &n) || n >= outlen)
		return -1;
	memcpy(out, name, n);
	out[n] = '\0';
	return 0;
}

int ssh_negotiate_kex(const char *client_kex, const char *server_kex, const char *client_hostkey,
		      const char *server_hostkey, char *out, size_t outlen)
{
	const char *name;
	size_t n;

	if (outlen)
		out[0] = '\0';
	if (common_name(client_hostkey, server_hostkey, &name, &n))
		return -1;
	return ssh_negotiate(client_kex, server_kex, out, outlen);
}

int ssh_cipher_is_aead(const char *cipher)
{
	/* OpenSSH's ciphers with an authentication tag (cipher_authlen() > 0).
	 * RFC 5647's AEAD_AES_*_GCM negotiate a MAC of the same name instead. */
	return !strcmp(cipher, "chacha20-poly1305@openssh.com") ||
	       !strcmp(cipher, "aes128-gcm@openssh.com") ||
	       !strcmp(cipher, "aes256-gcm@openssh.com");
}

/* ---- errors and Info ---- */

/* "ssh: <what> at byte N of the client stream" in wl.error and the Info. */
static int ssh_error(struct pkt *p, int dir, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ssh_error(struct pkt *p, int dir, uint64_t at, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pkt_proto_error(p, "ssh: %s at byte %" PRIu64 " of the %s stream", what, at,
			       side_name[dir]);
}

/* Where one message is being read, for its errors. */
struct msg {
	struct pkt *p;
	int dir;
	uint64_t at;	  /* its first byte in the direction */
	const char *name; /* "KEXINIT" */
	struct rd *r;	  /* its payload, bounded by the packet */
};

/* Records a malformed message: 1, or -1 when memory ran out. */
static int bad(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct msg *m, const char *fmt, ...)
{
	char what[112];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ssh_error(m->p, m->dir, m->at, "%s: %s", m->name, what) ? -1 : 1;
}

/* An RFC 4251 5 string (uint32 length, bytes; an mpint is laid out alike) as
 * a cursor of its own: 0, or what bad() returns. */
static int get_string(struct msg *m, struct rd *out, const char *what)
{
	uint32_t n;

	if (rd_be32(m->r, &n))
		return bad(m, "payload ends before %s", what);
	if (rd_sub(m->r, n, out))
		return bad(m, "%s length %u runs past the payload (%zu bytes left)", what, n,
			   rd_left(m->r));
	return 0;
}

static int get_u32(struct msg *m, uint32_t *v, const char *what)
{
	return rd_be32(m->r, v) ? bad(m, "payload ends before %s", what) : 0;
}

static int at_end(struct msg *m)
{
	size_t n = rd_left(m->r);

	return n ? bad(m, "%zu byte%s after its last field", n, n == 1 ? "" : "s") : 0;
}

/* ---- identification ---- */

/* Printable for the Info column; other bytes as '.'. */
static void text_copy(char *dst, size_t dstlen, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '.';
	dst[i] = '\0';
}

static int add_ident(struct ssh_side *sd, int dir, const uint8_t *d, size_t textlen, size_t linelen,
		     int cr, struct pkt *p)
{
	const uint8_t *proto = d + 4, *end = d + textlen;
	const uint8_t *dash = memchr(proto, '-', textlen - 4);
	const uint8_t *soft = dash ? dash + 1 : end;
	const uint8_t *sp = memchr(soft, ' ', (size_t)(end - soft));
	const uint8_t *soft_end = sp ? sp : end;
	char text[SSH_IDENT_MAX + 1];
	uint64_t at = sd->at;

	text_copy(text, sizeof(text), d, textlen);
	if (pkt_add_group(p, "ssh") || pkt_add_str(p, "ssh.protocol", (const char *)d, textlen) ||
	    pkt_add_str(p, "ssh.protoversion", (const char *)proto,
			(size_t)((dash ? dash : end) - proto)) ||
	    (dash && pkt_add_str(p, "ssh.softwareversion", (const char *)soft,
				 (size_t)(soft_end - soft))) ||
	    (sp && pkt_add_str(p, "ssh.comments", (const char *)sp + 1, (size_t)(end - sp - 1))))
		return -1;
	pkt_info_add(p, "Protocol (%s)", text);
	sd->phase = SSH_CLEAR;

	if (!cr && ssh_error(p, dir, at,
			     "identification line ends in LF without CR (RFC 4253 4.2: CR LF)"))
		return -1;
	if (linelen > SSH_IDENT_MAX &&
	    ssh_error(p, dir, at, "identification line of %zu bytes (RFC 4253 4.2: 255 at most)",
		      linelen))
		return -1;
	if (memchr(d, '\0', textlen) &&
	    ssh_error(p, dir, at, "NUL in the identification line (RFC 4253 4.2)"))
		return -1;
	if (!dash)
		return ssh_error(p, dir, at, "identification line without softwareversion");
	for (const uint8_t *c = soft; c < soft_end; c++) {
		if (*c > 0x20 && *c < 0x7f && *c != '-')
			continue;
		if (ssh_error(p, dir, at,
			      "softwareversion holds 0x%02x (RFC 4253 4.2: printable US-ASCII, "
			      "no '-')",
			      *c))
			return -1;
		break;
	}
	if (soft == soft_end && ssh_error(p, dir, at, "empty softwareversion (RFC 4253 4.2)"))
		return -1;
	/* "1.99": a server that speaks 2.0 and 1.x (RFC 4253 5.1). */
	size_t pl = (size_t)(dash - proto);

	if (!(pl == 3 && !memcmp(proto, "2.0", 3)) && !(pl == 4 && !memcmp(proto, "1.99", 4))) {
		sd->phase = SSH_LOST;
		return ssh_error(p, dir, at, "protocol version %.*s is not SSH 2, not dissected",
				 (int)(pl > 16 ? 16 : pl), (const char *)proto);
	}
	return 0;
}

/* One line of a direction that has not identified itself yet. */
static int read_line(struct ssh_side *sd, int dir, const uint8_t *d, size_t len, struct pkt *p,
		     size_t *used)
{
	size_t scan = len < SSH_OTHER_LINE_MAX ? len : SSH_OTHER_LINE_MAX;
	const uint8_t *lf = memchr(d, '\n', scan);
	size_t linelen, textlen;
	int cr;

	*used = 0;
	if (!lf) {
		if (len < SSH_OTHER_LINE_MAX)
			return 0; /* the line goes on in a later segment */
		sd->phase = SSH_LOST;
		*used = len;
		return ssh_error(p, dir, sd->at, "no line end in the first %d bytes",
				 SSH_OTHER_LINE_MAX);
	}
	linelen = (size_t)(lf - d) + 1;
	textlen = linelen - 1;
	cr = textlen && d[textlen - 1] == '\r';
	if (cr)
		textlen--;
	*used = linelen;
	if (textlen >= 4 && !memcmp(d, "SSH-", 4))
		return add_ident(sd, dir, d, textlen, linelen, cr, p);

	/* RFC 4253 4.2: "The server MAY send other lines of data before
	 * sending the version string." */
	if (pkt_add_group(p, "ssh") || pkt_add_str(p, "ssh.other_line", (const char *)d, textlen))
		return -1;
	pkt_info_add(p, "Line before the identification");
	if (dir == PKT_DIR_CLIENT &&
	    ssh_error(p, dir, sd->at,
		      "client line before its identification (RFC 4253 4.2: server only)"))
		return -1;
	if (++sd->other_lines > SSH_OTHER_LINES_MAX) {
		sd->phase = SSH_LOST;
		return ssh_error(p, dir, sd->at, "more than %d lines before the identification",
				 SSH_OTHER_LINES_MAX);
	}
	return 0;
}

/* ---- KEXINIT ---- */

/* RFC 4251 5: names are non-empty, comma-separated US-ASCII, at most 64
 * characters (RFC 4251 6). Reports the first fault of a list. (libssh 0.10
 * ends its cipher lists with a comma: an empty last name.) */
static int check_list(struct msg *m, const char *field, const uint8_t *v, size_t n)
{
	size_t name_len = 0;
	const char *what = field + 4; /* without "ssh." */

	if (n == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || v[i] == ',') {
			if (name_len == 0)
				return bad(m, "%s %s (an empty name, RFC 4251 5)", what,
					   i == 0   ? "starts with a comma"
					   : i == n ? "ends with a comma"
						    : "holds two commas in a row");
			if (name_len > SSH_NAME_MAX)
				return bad(m, "%s holds a name longer than %d (RFC 4251 6)", what,
					   SSH_NAME_MAX);
			name_len = 0;
			continue;
		}
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return bad(m, "%s holds byte 0x%02x (RFC 4251 5: US-ASCII names)", what,
				   v[i]);
		name_len++;
	}
	return 0;
}

static void hex(char *dst, const uint8_t *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[s[i] >> 4];
		dst[2 * i + 1] = digits[s[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* Adds a negotiated field, or records that the two lists share no name. */
static int add_choice(struct msg *m, const char *field, int found, const char *value,
		      const char *what)
{
	if (found)
		return pkt_add_str(m->p, field, value, strlen(value));
	return bad(m, "no %s both sides support: the connection fails (RFC 4253 7.1)", what) < 0
		       ? -1
		       : 0;
}

/* RFC 4253 7.1, computed once both KEXINITs are known. */
static int choose(struct ssh_state *s, struct msg *m)
{
	char *const *c = s->side[PKT_DIR_CLIENT].lists;
	char *const *sv = s->side[PKT_DIR_SERVER].lists;
	char hostkey[SSH_NAME_BUF], enc[2][SSH_NAME_BUF], mac[2][SSH_NAME_BUF],
		comp[2][SSH_NAME_BUF];
	int ok;

	s->chosen = 1;
	ok = !ssh_negotiate_kex(c[L_KEX], sv[L_KEX], c[L_HOSTKEY], sv[L_HOSTKEY], s->kex,
				sizeof(s->kex));
	if (add_choice(m, "ssh.negotiated.kex", ok, s->kex, "key exchange method"))
		return -1;
	ok = !ssh_negotiate(c[L_HOSTKEY], sv[L_HOSTKEY], hostkey, sizeof(hostkey));
	if (add_choice(m, "ssh.negotiated.hostkey", ok, hostkey, "host key algorithm"))
		return -1;
	for (int d = 0; d < 2; d++) {
		static const char *const fc[2] = { "ssh.negotiated.cipher_c2s",
						   "ssh.negotiated.cipher_s2c" };

		ok = !ssh_negotiate(c[L_ENC_C2S + d], sv[L_ENC_C2S + d], enc[d], sizeof(enc[d]));
		if (add_choice(m, fc[d], ok, enc[d],
			       d ? "cipher server to client" : "cipher client to server"))
			return -1;
	}
	for (int d = 0; d < 2; d++) {
		static const char *const fm[2] = { "ssh.negotiated.mac_c2s",
						   "ssh.negotiated.mac_s2c" };

		if (enc[d][0] && ssh_cipher_is_aead(enc[d])) {
			if (pkt_add_str(m->p, fm[d], "<implicit>", 10))
				return -1;
			continue;
		}
		ok = !ssh_negotiate(c[L_MAC_C2S + d], sv[L_MAC_C2S + d], mac[d], sizeof(mac[d]));
		if (add_choice(m, fm[d], ok, mac[d],
			       d ? "MAC server to client" : "MAC client to server"))
			return -1;
	}
	for (int d = 0; d < 2; d++) {
		static const char *const fz[2] = { "ssh.negotiated.compression_c2s",
						   "ssh.negotiated.compression_s2c" };

		ok = !ssh_negotiate(c[L_COMP_C2S + d], sv[L_COMP_C2S + d], comp[d],
				    sizeof(comp[d]));
		if (add_choice(m, fz[d], ok, comp[d],
			       d ? "compression server to client" : "compression client to server"))
			return -1;
	}
	return 0;
}

static int read_kexinit(struct ssh_state *s, struct msg *m)
{
	struct ssh_side *sd = &s->side[m->dir];
	char *lists[L_N] = { NULL };
	const uint8_t *v;
	char buf[33];
	uint8_t follows;
	int ret = -1, r;

	pkt_info_add(m->p, "Key Exchange Init");
	if (rd_bytes(m->r, 16, &v)) {
		ret = bad(m, "cookie cut short (%zu of 16 bytes)", rd_left(m->r)) < 0 ? -1 : 0;
		goto out;
	}
	hex(buf, v, 16);
	if (pkt_add_str(m->p, "ssh.cookie", buf, 32))
		goto out;
	for (int i = 0; i < L_N; i++) {
		struct rd list;

		r = get_string(m, &list, list_fields[i] + 4);
		if (r) {
			ret = r < 0 ? -1 : 0;
			goto out;
		}
		size_t n = rd_left(&list);

		if (pkt_add_str(m->p, list_fields[i], (const char *)list.p, n))
			goto out;
		if (check_list(m, list_fields[i], list.p, n) < 0)
			goto out;
		lists[i] = strndup((const char *)list.p, n);
		if (!lists[i])
			goto out;
	}
	if (rd_u8(m->r, &follows)) {
		ret = bad(m, "payload ends before first_kex_packet_follows") < 0 ? -1 : 0;
		goto out;
	}
	if (pkt_add_int(m->p, "ssh.first_kex_packet_follows", follows))
		goto out;
	if (rd_bytes(m->r, 4, &v)) {
		ret = bad(m, "payload ends before the reserved field") < 0 ? -1 : 0;
		goto out;
	}
	hex(buf, v, 4);
	if (pkt_add_str(m->p, "ssh.kex.reserved", buf, 8) || at_end(m) < 0)
		goto out;
	/* A KEXINIT in clear is the first one (a rekeying one is encrypted). */
	if (!sd->have_kexinit) {
		memcpy(sd->lists, lists, sizeof(lists));
		memset(lists, 0, sizeof(lists));
		sd->have_kexinit = 1;
	}
	if (!s->chosen && s->side[0].have_kexinit && s->side[1].have_kexinit && choose(s, m))
		goto out;
	ret = 0;
out:
	for (int i = 0; i < L_N; i++)
		free(lists[i]);
	return ret;
}

/* ---- key exchange messages (30-49) ---- */

enum kex_family { KEXF_UNKNOWN, KEXF_DH, KEXF_GEX, KEXF_ECDH };

/* How the method lays out its messages. The KEMs (sntrup761x25519,
 * mlkem768x25519) carry their public values as strings, like ECDH
 * (OpenSSH's kexgen.c uses SSH2_MSG_KEX_ECDH_INIT/REPLY for all of them). */
static enum kex_family kex_family(const char *kex)
{
	if (!strncmp(kex, "diffie-hellman-group-exchange-", 30))
		return KEXF_GEX;
	if (!strncmp(kex, "diffie-hellman-group", 20))
		return KEXF_DH;
	if (!strncmp(kex, "ecdh-sha2-", 10) || !strncmp(kex, "curve25519-sha256", 17) ||
	    !strcmp(kex, "curve448-sha512") || !strncmp(kex, "sntrup761x25519-sha512", 22) ||
	    !strncmp(kex, "mlkem", 5))
		return KEXF_ECDH;
	return KEXF_UNKNOWN;
}

/* The name tshark 4.0 gives the message. It knows the group exchange and
 * the elliptic-curve methods by name and reads every other method as plain
 * Diffie-Hellman: sntrup761x25519-sha512 (OpenSSH 9.2's default) comes out as
 * "Diffie-Hellman Key Exchange Init/Reply", though its messages are ECDH's. */
static void kex_message_name(const char *kex, unsigned code, char *buf, size_t len)
{
	static const char *const gex[] = {
		"Diffie-Hellman Group Exchange Request (Old)",
		"Diffie-Hellman Group Exchange Group",
		"Diffie-Hellman Group Exchange Init",
		"Diffie-Hellman Group Exchange Reply",
		"Diffie-Hellman Group Exchange Request",
	};
	const char *name = NULL;

	if (code < 40) {
		if (!strcmp(kex, "diffie-hellman-group-exchange-sha1") ||
		    !strcmp(kex, "diffie-hellman-group-exchange-sha256")) {
			if (code <= 34)
				name = gex[code - 30];
		} else if (!strncmp(kex, "ecdh-sha2-", 10) ||
			   !strcmp(kex, "curve25519-sha256@libssh.org") ||
			   !strcmp(kex, "curve25519-sha256") || !strcmp(kex, "curve448-sha512")) {
			if (code <= 31)
				name = code == 30
					       ? "Elliptic Curve Diffie-Hellman Key Exchange Init"
					       : "Elliptic Curve Diffie-Hellman Key Exchange Reply";
		} else if (code <= 31) {
			name = code == 30 ? "Diffie-Hellman Key Exchange Init"
					  : "Diffie-Hellman Key Exchange Reply";
		}
	}
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "Unknown (%u)", code);
}

/* K_S or the signature: a string holding a string (the type) first. */
static int add_key_blob(struct msg *m, const char *what, const char *flen, const char *ftype)
{
	struct rd blob, type;
	struct msg in = *m;
	int r = get_string(m, &blob, what);

	if (r)
		return r;
	if (pkt_add_int(m->p, flen, (int64_t)rd_left(&blob)))
		return -1;
	in.r = &blob;
	r = get_string(&in, &type, ftype);
	if (r)
		return r;
	return pkt_add_str(m->p, ftype, (const char *)type.p, rd_left(&type));
}

static int add_string_len(struct msg *m, const char *what, const char *field)
{
	struct rd v;
	int r = get_string(m, &v, what);

	return r ? r : pkt_add_int(m->p, field, (int64_t)rd_left(&v));
}

static int read_kex_message(struct ssh_state *s, struct msg *m, unsigned code)
{
	enum kex_family fam = s->kex[0] ? kex_family(s->kex) : KEXF_UNKNOWN;
	int from_client = -1; /* who may send it; -1: not checked */
	char name[64];
	uint32_t v;
	int r = 0;

	kex_message_name(s->kex, code, name, sizeof(name));
	pkt_info_add(m->p, "%s", name);
	switch (fam) {
	case KEXF_UNKNOWN:
		/* No method chosen (yet): nothing to read the payload by. */
		return 0;
	case KEXF_ECDH:
		if (code == 30) {
			m->name = "KEX_ECDH_INIT";
			from_client = 1;
			r = add_string_len(m, "Q_C", "ssh.ecdh.q_c_length");
		} else if (code == 31) {
			m->name = "KEX_ECDH_REPLY";
			from_client = 0;
			r = add_key_blob(m, "K_S", "ssh.host_key.length", "ssh.host_key.type");
			if (!r)
				r = add_string_len(m, "Q_S", "ssh.ecdh.q_s_length");
			if (!r)
				r = add_key_blob(m, "the signature", "ssh.host_sig.length",
						 "ssh.host_sig.type");
		} else {
			return 0;
		}
		break;
	case KEXF_DH:
		if (code == 30) {
			m->name = "KEXDH_INIT";
			from_client = 1;
			r = add_string_len(m, "e", "ssh.mpint_length");
		} else if (code == 31) {
			m->name = "KEXDH_REPLY";
			from_client = 0;
			r = add_key_blob(m, "K_S", "ssh.host_key.length", "ssh.host_key.type");
			if (!r)
				r = add_string_len(m, "f", "ssh.mpint_length");
			if (!r)
				r = add_key_blob(m, "the signature", "ssh.host_sig.length",
						 "ssh.host_sig.type");
		} else {
			return 0;
		}
		break;
	case KEXF_GEX: /* RFC 4419 */
		switch (code) {
		case 30:
			m->name = "KEX_DH_GEX_REQUEST_OLD";
			from_client = 1;
			r = get_u32(m, &v, "n");
			if (!r)
				r = pkt_add_int(m->p, "ssh.dh_gex.nbits", v);
			break;
		case 31:
			m->name = "KEX_DH_GEX_GROUP";
			from_client = 0;
			r = add_string_len(m, "p", "ssh.mpint_length");
			if (!r)
				r = add_string_len(m, "g", "ssh.mpint_length");
			break;
		case 32:
			m->name = "KEX_DH_GEX_INIT";
			from_client = 1;
			r = add_string_len(m, "e", "ssh.mpint_length");
			break;
		case 33:
			m->name = "KEX_DH_GEX_REPLY";
			from_client = 0;
			r = add_key_blob(m, "K_S", "ssh.host_key.length", "ssh.host_key.type");
			if (!r)
				r = add_string_len(m, "f", "ssh.mpint_length");
			if (!r)
				r = add_key_blob(m, "the signature", "ssh.host_sig.length",
						 "ssh.host_sig.type");
			break;
		case 34:
			m->name = "KEX_DH_GEX_REQUEST";
			from_client = 1;
			r = get_u32(m, &v, "min");
			if (!r)
				r = pkt_add_int(m->p, "ssh.dh_gex.min", v);
			if (!r)
				r = get_u32(m, &v, "n");
			if (!r)
				r = pkt_add_int(m->p, "ssh.dh_gex.nbits", v);
			if (!r)
				r = get_u32(m, &v, "max");
			if (!r)
				r = pkt_add_int(m->p, "ssh.dh_gex.max", v);
			break;
		default:
			return 0;
		}
		break;
	}
	if (r < 0)
		return -1;
	if (r == 0 && at_end(m) < 0)
		return -1;
	if (from_client >= 0 && from_client != (m->dir == PKT_DIR_CLIENT) &&
	    bad(m, "sent by the %s", side_name[m->dir]) < 0)
		return -1;
	return 0;
}

/* ---- other messages in clear ---- */

static const char *msg_name(unsigned code)
{
	/* tshark 4.0's names (RFC 4250 4.1.2). */
	static const struct {
		uint8_t code;
		const char *name;
	} names[] = {
		{ 1, "Disconnect" },
		{ 2, "Ignore" },
		{ 3, "Unimplemented" },
		{ 4, "Debug" },
		{ 5, "Service Request" },
		{ 6, "Service Accept" },
		{ 20, "Key Exchange Init" },
		{ 21, "New Keys" },
		{ 50, "User Authentication Request" },
		{ 51, "User Authentication Failure" },
		{ 52, "User Authentication Success" },
		{ 53, "User Authentication Banner" },
		{ 60, "Public Key algorithm accepted" },
		{ 80, "Global Request" },
		{ 81, "Request Success" },
		{ 82, "Request Failure" },
		{ 90, "Channel Open" },
		{ 91, "Channel Open Confirmation" },
		{ 92, "Channel Open Failure" },
		{ 93, "Window Adjust" },
		{ 94, "Channel Data" },
		{ 95, "Channel Extended Data" },
		{ 96, "Channel EOF" },
		{ 97, "Channel Close" },
		{ 98, "Channel Request" },
		{ 99, "Channel Success" },
		{ 100, "Channel Failure" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

static int read_disconnect(struct msg *m)
{
	struct rd desc, lang;
	uint32_t reason;
	int r;

	m->name = "DISCONNECT";
	r = get_u32(m, &reason, "the reason code");
	if (!r)
		r = pkt_add_int(m->p, "ssh.disconnect_reason", reason);
	if (!r)
		r = get_string(m, &desc, "the description");
	if (!r)
		r = pkt_add_str(m->p, "ssh.disconnect_description", (const char *)desc.p,
				rd_left(&desc));
	if (!r)
		r = get_string(m, &lang, "the language tag");
	if (!r)
		r = at_end(m);
	return r < 0 ? -1 : 0;
}

/* One binary packet in clear, if it is complete. */
static int read_packet(struct ssh_state *s, int dir, const uint8_t *d, size_t len, struct pkt *p,
		       size_t *used)
{
	struct ssh_side *sd = &s->side[dir];
	struct rd r = rd_make(d, len), pk, pay;
	struct msg m = { p, dir, sd->at, "packet", &pay };
	uint32_t plen;
	uint8_t padlen, code;
	const char *name;

	*used = 0;
	if (rd_be32(&r, &plen))
		return 0;
	if (plen < 1 + SSH_PAD_MIN || plen > SSH_PACKET_MAX) {
		/* Where the next packet starts is unknown from here on. */
		sd->phase = SSH_LOST;
		*used = len;
		if (pkt_add_group(p, "ssh") || pkt_add_int(p, "ssh.packet_length", plen))
			return -1;
		return ssh_error(p, dir, sd->at, "packet_length %u out of range (%d to %d)", plen,
				 1 + SSH_PAD_MIN, SSH_PACKET_MAX);
	}
	if (rd_sub(&r, plen, &pk))
		return 0; /* the rest of the packet comes later */
	*used = 4 + (size_t)plen;
	(void)rd_u8(&pk, &padlen); /* plen >= 5 */
	if (pkt_add_group(p, "ssh") || pkt_add_int(p, "ssh.packet_length", plen) ||
	    pkt_add_int(p, "ssh.padding_length", padlen))
		return -1;
	if (rd_sub(&pk, plen - 1 < padlen ? 0 : plen - 1 - padlen, &pay) || rd_left(&pk) != padlen)
		return ssh_error(p, dir, sd->at, "padding_length %u does not fit packet_length %u",
				 padlen, plen);
	if (padlen < SSH_PAD_MIN &&
	    ssh_error(p, dir, sd->at, "padding_length %u below %d (RFC 4253 6)", padlen,
		      SSH_PAD_MIN))
		return -1;
	if ((4 + plen) % 8 &&
	    ssh_error(p, dir, sd->at, "packet of %u bytes not a multiple of 8 (RFC 4253 6)",
		      4 + plen))
		return -1;
	if (rd_u8(&pay, &code))
		return ssh_error(p, dir, sd->at, "packet without a message number");
	if (pkt_add_int(p, "ssh.message_code", code))
		return -1;
	switch (code) {
	case SSH_MSG_KEXINIT:
		m.name = "KEXINIT";
		return read_kexinit(s, &m);
	case SSH_MSG_NEWKEYS:
		m.name = "NEWKEYS";
		pkt_info_add(p, "New Keys");
		sd->phase = SSH_ENCRYPTED; /* RFC 4253 7.3 */
		return at_end(&m) < 0 ? -1 : 0;
	case SSH_MSG_DISCONNECT:
		pkt_info_add(p, "Disconnect");
		return read_disconnect(&m);
	}
	if (code >= SSH_MSG_KEX_FIRST && code <= SSH_MSG_KEX_LAST)
		return read_kex_message(s, &m, code);
	name = msg_name(code);
	if (name)
		pkt_info_add(p, "%s", name);
	else
		pkt_info_add(p, "Unknown (%u)", code);
	return 0;
}

/* ---- the protocol ---- */

static int ssh_detect(const uint8_t *data, size_t len, int dir)
{
	size_t pos = 0;

	/* The server may send text lines before its identification. */
	while (pos < len) {
		size_t left = len - pos, n = left < 4 ? left : 4;
		const uint8_t *lf;

		if (!memcmp(data + pos, "SSH-", n))
			return left < 4 ? -1 : 1;
		if (dir != PKT_DIR_SERVER)
			return 0;
		lf = memchr(data + pos, '\n', left);
		for (const uint8_t *c = data + pos; c < (lf ? lf : data + len); c++)
			if ((*c < 0x20 && *c != '\t' && *c != '\r') || *c == 0x7f)
				return 0;
		if (!lf)
			return left > SSH_IDENT_MAX ? 0 : -1;
		pos = (size_t)(lf - data) + 1;
	}
	return -1;
}

static void *ssh_open(void)
{
	return calloc(1, sizeof(struct ssh_state));
}

static void ssh_close(void *st)
{
	struct ssh_state *s = st;

	if (!s)
		return;
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < L_N; i++)
			free(s->side[d].lists[i]);
	free(s);
}

/* tshark begins the Info with the sender: "Client: Key Exchange Init". */
static void info_prefix(struct pkt *p, int dir, size_t before)
{
	const char *pre = dir == PKT_DIR_CLIENT ? "Client: " : "Server: ";
	size_t pl = strlen(pre), n = strlen(p->info);

	if (before || !n)
		return;
	if (n + pl >= sizeof(p->info))
		n = sizeof(p->info) - pl - 1;
	memmove(p->info + pl, p->info, n);
	memcpy(p->info, pre, pl);
	p->info[pl + n] = '\0';
}

/* "Encrypted packet (len=N)": one a packet of an SSH session, so without
 * vsnprintf. */
static void encrypted_info(struct pkt *p, size_t n)
{
	static const char pre[] = "Encrypted packet (len=";
	char text[sizeof(pre) + 24], d[20], *s = json_digits(d + sizeof(d), n);
	size_t k = (size_t)(d + sizeof(d) - s);

	memcpy(text, pre, sizeof(pre) - 1);
	memcpy(text + sizeof(pre) - 1, s, k);
	memcpy(text + sizeof(pre) - 1 + k, ")", 2);
	pkt_info_add(p, "%s", text);
}

static size_t ssh_feed(void *st, int dir, const uint8_t *data, size_t len, struct pkt *p,
		       struct proto_io *io)
{
	struct ssh_state *s = st;
	struct ssh_side *sd = &s->side[dir];
	size_t used = 0, info_before = strlen(p->info);
	int r = 0;

	(void)io;
	while (used < len) {
		size_t n = 0;

		switch (sd->phase) {
		case SSH_IDENT:
			r = read_line(sd, dir, data + used, len - used, p, &n);
			break;
		case SSH_CLEAR:
			r = read_packet(s, dir, data + used, len - used, p, &n);
			break;
		case SSH_ENCRYPTED:
			n = len - used;
			r = pkt_add_group(p, "ssh") ||
			    pkt_add_int(p, "ssh.encrypted_packet", (int64_t)n);
			encrypted_info(p, n);
			break;
		case SSH_LOST:
			n = len - used;
			break;
		}
		if (r)
			break;
		if (n == 0)
			break;
		used += n;
		sd->at += n;
	}
	info_prefix(p, dir, info_before);
	if (r)
		return (size_t)-1;
	sd->pending = len - used;
	return used;
}

/* The direction's FIN: a line or packet it cut short is said, not dropped. */
static int ssh_fin(void *st, int dir, struct pkt *p)
{
	struct ssh_state *s = st;
	const struct ssh_side *sd;

	if (dir != PKT_DIR_CLIENT && dir != PKT_DIR_SERVER)
		return 0;
	sd = &s->side[dir];
	if (!sd->pending || sd->phase == SSH_LOST || sd->phase == SSH_ENCRYPTED)
		return 0;
	return pkt_proto_error(
		p, "ssh: the %s's stream ends inside %s (%zu bytes of it)", side_name[dir],
		sd->phase == SSH_IDENT ? "its identification line" : "a packet", sd->pending);
}

/* `, "ssh": {"version": "SSH-2.0-..."}`, `{"msgs": [20]}`, `{"encrypted": true}`
 * (INTERFACE.md); a segment that holds several of these has them all in one
 * object. The packet that completes the second KEXINIT adds the choice of RFC
 * 4253 7.1: `"negotiated": {"kex": "...", "hostkey": "...", "cipher_c2s": ...}`. */
static void jw_ssh(struct jw *w, const struct pkt *p)
{
	const struct pkt_fv *version = NULL;
	int in = 0, nmsgs = 0, encrypted = 0, negotiated = 0, any = 0;

	for (size_t i = 0; i < p->nfv; i++) {
		const struct pkt_fv *f = &p->fv[i];

		if (f->type == PKT_FV_GROUP)
			in = !strcmp(f->name, "ssh");
		else if (in && !version && !strcmp(f->name, "ssh.protocol"))
			version = f;
		else if (in && !strcmp(f->name, "ssh.message_code"))
			nmsgs++;
		else if (in && !strcmp(f->name, "ssh.encrypted_packet"))
			encrypted = 1;
		else if (in && !strncmp(f->name, "ssh.negotiated.", 15))
			negotiated = 1;
	}
	if (!version && !nmsgs && !encrypted && !negotiated)
		return;
	jw_lit(w, ", \"ssh\": {");
	if (version) {
		jw_lit(w, "\"version\": ");
		jw_str(w, version->s, version->slen);
		any = 1;
	}
	if (nmsgs) {
		int first = 1;

		if (any)
			jw_lit(w, ", ");
		jw_lit(w, "\"msgs\": [");
		in = 0;
		for (size_t i = 0; i < p->nfv; i++) {
			const struct pkt_fv *f = &p->fv[i];

			if (f->type == PKT_FV_GROUP)
				in = !strcmp(f->name, "ssh");
			else if (in && !strcmp(f->name, "ssh.message_code")) {
				if (!first)
					jw_lit(w, ", ");
				jw_i64(w, f->i);
				first = 0;
			}
		}
		jw_lit(w, "]");
		any = 1;
	}
	if (encrypted) {
		if (any)
			jw_lit(w, ", ");
		jw_lit(w, "\"encrypted\": true");
		any = 1;
	}
	if (negotiated) {
		int first = 1;

		if (any)
			jw_lit(w, ", ");
		jw_lit(w, "\"negotiated\": {");
		for (size_t i = 0; i < p->nfv; i++) {
			const struct pkt_fv *f = &p->fv[i];

			if (f->type != PKT_FV_STR || strncmp(f->name, "ssh.negotiated.", 15))
				continue;
			if (!first)
				jw_lit(w, ", ");
			/* the key: a field name of ours, nothing to escape */
			jw_lit(w, "\"");
			jw_mem(w, f->name + 15, strlen(f->name + 15));
			jw_lit(w, "\": ");
			jw_str(w, f->s, f->slen);
			first = 0;
		}
		jw_lit(w, "}");
	}
	jw_lit(w, "}");
}

static void json_ssh(FILE *out, const struct pkt *p)
{
	struct jw w;

	jw_init(&w, out);
	jw_ssh(&w, p);
	jw_flush(&w);
}

const struct proto proto_ssh = {
	.name = "ssh",
	.fields = ssh_fields,
	.detect = ssh_detect,
	.open = ssh_open,
	.close = ssh_close,
	.feed = ssh_feed,
	.fin = ssh_fin,
	.carries = 1u << TRACE_SSH,
	.json = json_ssh,
	.jw = jw_ssh,
};

/* harness/diagram.c — ladder diagrams (`wirelab diagram`, and the HTML
 * report's picture).
 *
 * One model, two renderings. The model is a row per packet of the lab's
 * stream (frame, time, tcpdump flags, relative seq/ack, length, and the
 * decoded message in the notes' words), the phases as consecutive runs of
 * rows, and round-trip brackets. Nothing is inferred that the protocol
 * fields do not say:
 *
 *   TCP handshake   the first SYN .. the client's ACK of the SYN-ACK
 *   data            what follows, until a protocol's phase starts
 *   HTTP            the first request (plain HTTP only)
 *   WebSocket       the packet after the 101 Switching Protocols
 *   TLS handshake   the ClientHello
 *   TLS app data    the client's first application data record
 *   SSH             identification line, KEXINIT (20), key exchange (30-49),
 *                   NEWKEYS (21), the first encrypted packet after both
 *                   NEWKEYS
 *   TCP close       the first FIN or RST
 *
 * A phase runs until the next begins; a protocol phase that would start
 * after the close does not appear. Round trips are counted as the claims'
 * rtts() counts them (labs/README.md: the times the sender turns from the
 * server back to the client, over the packets that carry something), the
 * bracket's two ends always counted: TCP SYN .. handshake ACK, TLS
 * ClientHello .. the client's first record of type application_data on the
 * wire (the claims' "tls.app_data": TLS 1.3 sends its Finished in one, so
 * a key log moves the phase, not the bracket), SSH the client's
 * identification .. its first encrypted packet.
 *
 * The SVG is written with fprintf, no library: every text escaped for XML,
 * every byte of a stranger's capture made valid UTF-8 first.
 */
#include "harness/diagram.h"
#include "harness/utf8.h"
#include "harness/xml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/capture.h"
#include "harness/cli.h"
#include "harness/dissect.h"
#include "harness/keylog.h"
#include "harness/show.h"

/* ---- text: valid UTF-8, bounded, columns counted ---- */

/* Copies src (n bytes) into dst as valid UTF-8 on one line: control
 * characters become '.', invalid bytes '?'. At most maxcols code points;
 * a cut text ends with an ellipsis. dst is always terminated. */
static void clean_text(char *dst, size_t dstlen, const char *src, size_t n, size_t maxcols)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, cols = 0, i = 0;

	if (!dstlen)
		return;
	while (i < n && s[i]) {
		size_t k = utf8_seq_len(s + i, n - i);
		char one = 0;

		if (cols + 1 > maxcols || o + 4 + 4 >= dstlen) {
			if (o + 3 < dstlen) {
				/* back off one column for the ellipsis */
				while (o > 0 && cols + 1 > maxcols) {
					do
						o--;
					while (o > 0 && ((unsigned char)dst[o] & 0xc0) == 0x80);
					cols--;
				}
				memcpy(dst + o, "\xe2\x80\xa6", 3);
				o += 3;
			}
			break;
		}
		if (k == 0)
			one = '?', k = 1;
		else if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			one = '.';
		if (one)
			dst[o++] = one;
		else
			memcpy(dst + o, s + i, k), o += k;
		i += k;
		cols++;
	}
	dst[o] = '\0';
}

/* Code points of a valid UTF-8 string: its width in a terminal, for the
 * Latin, Greek and Cyrillic text of a lab (wide CJK would count double). */
static size_t u8_cols(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Appends printf text to buf, after ", " if buf holds something. */
static void __attribute__((format(printf, 3, 4))) part(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 3 >= len)
		return;
	if (n) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* ---- the model ---- */

enum phase {
	PH_HANDSHAKE,
	PH_DATA,
	PH_HTTP,
	PH_WEBSOCKET,
	PH_TLS_HANDSHAKE,
	PH_TLS_DATA,
	PH_SSH_VERSION,
	PH_SSH_KEXINIT,
	PH_SSH_KEX,
	PH_SSH_NEWKEYS,
	PH_SSH_ENCRYPTED,
	PH_CLOSE,
	PH_N
};

static const struct {
	const char *name;
	const char *fill; /* band */
	const char *ink;  /* its title */
} phase_style[PH_N] = {
	[PH_HANDSHAKE] = { "TCP handshake", "#dcebf7", "#1f4e79" },
	[PH_DATA] = { "data", "#e7f4e8", "#2e6b31" },
	[PH_HTTP] = { "HTTP request and response", "#e7f4e8", "#2e6b31" },
	[PH_WEBSOCKET] = { "WebSocket", "#f1e6f5", "#6a1b9a" },
	[PH_TLS_HANDSHAKE] = { "TLS handshake", "#fff2cc", "#7a5c00" },
	[PH_TLS_DATA] = { "TLS application data (encrypted)", "#e7f4e8", "#2e6b31" },
	[PH_SSH_VERSION] = { "SSH version exchange", "#e3effc", "#1f4e79" },
	[PH_SSH_KEXINIT] = { "SSH KEXINIT", "#fff2cc", "#7a5c00" },
	[PH_SSH_KEX] = { "SSH key exchange (Diffie-Hellman)", "#ffe6cc", "#8a4500" },
	[PH_SSH_NEWKEYS] = { "SSH NEWKEYS", "#fbe3ec", "#8e244d" },
	[PH_SSH_ENCRYPTED] = { "SSH encrypted", "#e7f4e8", "#2e6b31" },
	[PH_CLOSE] = { "TCP close", "#ececec", "#444444" },
};

enum {
	MK_BAD = 0x1,  /* retransmission, RST, malformed: red */
	MK_WARN = 0x2, /* duplicate ACK, out-of-order, keep-alive, zero window, error */
	MK_RETRANS = 0x4,
};

struct row {
	const struct pkt *p;
	char tcp[80];  /* "[P.] seq 1 ack 1 len 77" */
	char msg[320]; /* "GET / HTTP/1.1", valid UTF-8, one line */
	char note[80]; /* "retransmission, dup ACK" */
	unsigned mark;
};

struct band {
	enum phase ph;
	size_t first, last;
};

struct bracket {
	size_t first, last; /* rows */
	int rtts;
	const char *what, *from, *to;
};

struct ladder {
	const struct trace *tr;
	struct row *rows;
	size_t nrows, omitted;
	struct band bands[PH_N];
	size_t nbands;
	struct bracket br[3];
	size_t nbr;
	char client[64], server[64]; /* "198.18.0.1:41234", "[::1]:80" */
	char capname[128];
};

static const struct pkt_fv *gfield(const struct pkt *p, size_t i, size_t end, const char *name)
{
	return pkt_group_field(p, i, end, name);
}

static void msg_http(char *m, size_t ml, const struct pkt *p, size_t i, size_t end)
{
	const struct pkt_fv *meth = gfield(p, i, end, "http.request.method");
	const struct pkt_fv *code = gfield(p, i, end, "http.response.code");

	if (meth) {
		const struct pkt_fv *uri = gfield(p, i, end, "http.request.uri");
		const struct pkt_fv *ver = gfield(p, i, end, "http.request.version");
		const struct pkt_fv *up = gfield(p, i, end, "http.upgrade");

		part(m, ml, "%.*s %.*s%s%s%.*s%s%.*s%s", (int)meth->slen, meth->s,
		     uri ? (int)(uri->slen > 60 ? 60 : uri->slen) : 0, uri ? uri->s : "",
		     uri && uri->slen > 60 ? "…" : "", ver ? " " : "", ver ? (int)ver->slen : 0,
		     ver ? ver->s : "", up ? " (Upgrade: " : "",
		     up ? (int)(up->slen > 20 ? 20 : up->slen) : 0, up ? up->s : "", up ? ")" : "");
	} else if (code) {
		const struct pkt_fv *ver = gfield(p, i, end, "http.response.version");
		const struct pkt_fv *ph = gfield(p, i, end, "http.response.phrase");

		part(m, ml, "%.*s%s%lld%s%.*s", ver ? (int)ver->slen : 0, ver ? ver->s : "",
		     ver ? " " : "", (long long)code->i, ph ? " " : "",
		     ph ? (int)(ph->slen > 40 ? 40 : ph->slen) : 0, ph ? ph->s : "");
	}
}

static void msg_websocket(char *m, size_t ml, const struct pkt *p, size_t i, size_t end)
{
	const struct pkt_fv *op = gfield(p, i, end, "websocket.opcode");
	const struct pkt_fv *text = gfield(p, i, end, "websocket.payload.text");
	const struct pkt_fv *len = gfield(p, i, end, "websocket.len");
	const struct pkt_fv *code = gfield(p, i, end, "websocket.payload.close.status_code");

	/* A whole text message is listed at its last frame, as Wireshark does. */
	if (text) {
		part(m, ml, "WebSocket Text \"%.*s%s\"", (int)(text->slen > 40 ? 40 : text->slen),
		     text->s, text->slen > 40 ? "..." : "");
		return;
	}
	switch (op ? op->i : -1) {
	case 0x0:
		part(m, ml, "WebSocket Continuation");
		break;
	case 0x1:
		part(m, ml, "WebSocket Text (fragment)");
		break;
	case 0x2:
		part(m, ml, "WebSocket Binary (%lld bytes)", len ? (long long)len->i : 0LL);
		break;
	case 0x8:
		if (code)
			part(m, ml, "Close %lld", (long long)code->i);
		else
			part(m, ml, "Close");
		break;
	case 0x9:
		part(m, ml, "Ping");
		break;
	case 0xa:
		part(m, ml, "Pong");
		break;
	default:
		part(m, ml, "WebSocket opcode %lld", op ? (long long)op->i : -1LL);
	}
}

static void msg_tls(char *m, size_t ml, const struct pkt *p, size_t i, size_t end)
{
	const struct pkt_fv *ct = gfield(p, i, end, "tls.record.content_type");
	int enc = gfield(p, i, end, "tls.encrypted") != NULL;
	int dec = gfield(p, i, end, "tls.decrypted") != NULL;
	int hrr = gfield(p, i, end, "tls.handshake.hello_retry_request") != NULL;
	size_t said = strlen(m);

	for (size_t j = i + 1; j < end; j++) {
		const struct pkt_fv *f = &p->fv[j];

		if (!strcmp(f->name, "tls.handshake.type")) {
			const char *name = tls_handshake_name((uint8_t)f->i);

			if (f->i == 2 && hrr)
				part(m, ml, "Hello Retry Request");
			else if (name)
				part(m, ml, "%s", name);
			else
				part(m, ml, "Handshake (%lld)", (long long)f->i);
		} else if (!strcmp(f->name, "tls.change_cipher_spec")) {
			part(m, ml, "Change Cipher Spec");
		} else if (!strcmp(f->name, "tls.alert_message.desc")) {
			const char *name = tls_alert_name((uint8_t)f->i);
			const struct pkt_fv *lv = j > 0 ? &p->fv[j - 1] : NULL;
			const char *level = lv && !strcmp(lv->name, "tls.alert_message.level")
						    ? (lv->i == 2   ? "Fatal, "
						       : lv->i == 1 ? "Warning, "
								    : "")
						    : "";

			if (name)
				part(m, ml, "Alert (%s%s)", level, name);
			else
				part(m, ml, "Alert (%s%lld)", level, (long long)f->i);
		}
	}
	if (strlen(m) != said)
		return;
	/* Nothing readable in the record: say what it is, as Wireshark does. */
	if (ct ? ct->i == 23 : gfield(p, i, end, "tls.app_data") != NULL)
		part(m, ml, "Application Data");
	else if (ct && ct->i == 22)
		part(m, ml, "%s",
		     enc && !dec ? "Encrypted Handshake Message" : "Handshake (fragment)");
	else if (ct && ct->i == 21 && enc && !dec)
		part(m, ml, "Encrypted Alert");
	else
		part(m, ml, "TLS record (type %lld)", ct ? (long long)ct->i : -1LL);
}

enum kex_family { KEX_UNKNOWN, KEX_ECDH, KEX_DH, KEX_GEX };

/* RFC 4253 8 (KEXDH), RFC 5656 7.1 (ECDH; the hybrid post-quantum methods
 * of OpenSSH use its numbers), RFC 4419 5 (group exchange). */
static enum kex_family kex_family(const char *kex)
{
	if (!strncmp(kex, "diffie-hellman-group-exchange-", 30))
		return KEX_GEX;
	if (!strncmp(kex, "diffie-hellman-group", 20))
		return KEX_DH;
	if (!strncmp(kex, "ecdh-sha2-", 10) || !strncmp(kex, "curve25519", 10) ||
	    !strncmp(kex, "curve448", 8) || !strncmp(kex, "sntrup761x25519", 15) ||
	    !strncmp(kex, "mlkem768", 8))
		return KEX_ECDH;
	return KEX_UNKNOWN;
}

static const char *kex_msg_name(enum kex_family fam, int64_t code)
{
	static const char *const gex[] = { "KEX_DH_GEX_REQUEST_OLD", "KEX_DH_GEX_GROUP",
					   "KEX_DH_GEX_INIT", "KEX_DH_GEX_REPLY",
					   "KEX_DH_GEX_REQUEST" };

	switch (fam) {
	case KEX_ECDH:
		return code == 30 ? "KEX_ECDH_INIT" : code == 31 ? "KEX_ECDH_REPLY" : NULL;
	case KEX_DH:
		return code == 30 ? "KEXDH_INIT" : code == 31 ? "KEXDH_REPLY" : NULL;
	case KEX_GEX:
		return code >= 30 && code <= 34 ? gex[code - 30] : NULL;
	case KEX_UNKNOWN:
		break;
	}
	return NULL;
}

/* RFC 4250 4.1.2: the messages that may be seen in clear. */
static const char *ssh_msg_name(int64_t code)
{
	switch (code) {
	case 1:
		return "DISCONNECT";
	case 2:
		return "IGNORE";
	case 3:
		return "UNIMPLEMENTED";
	case 4:
		return "DEBUG";
	case 5:
		return "SERVICE_REQUEST";
	case 6:
		return "SERVICE_ACCEPT";
	case 7:
		return "EXT_INFO";
	case 20:
		return "KEXINIT";
	case 21:
		return "NEWKEYS";
	}
	return NULL;
}

static void msg_ssh(char *m, size_t ml, const struct pkt *p, size_t i, size_t end,
		    enum kex_family fam)
{
	const struct pkt_fv *f;

	if ((f = gfield(p, i, end, "ssh.protocol")))
		part(m, ml, "%.*s", (int)(f->slen > 60 ? 60 : f->slen), f->s);
	else if (gfield(p, i, end, "ssh.other_line"))
		part(m, ml, "Line before the identification");
	else if ((f = gfield(p, i, end, "ssh.encrypted_packet")) && f->i == (int64_t)p->len)
		part(m, ml, "Encrypted");
	else if (f)
		part(m, ml, "Encrypted (%lld bytes)", (long long)f->i);
	else if ((f = gfield(p, i, end, "ssh.message_code"))) {
		const char *name =
			f->i >= 30 && f->i <= 49 ? kex_msg_name(fam, f->i) : ssh_msg_name(f->i);

		if (name)
			part(m, ml, "%s", name);
		else if (f->i >= 30 && f->i <= 49)
			part(m, ml, "KEX message %lld", (long long)f->i);
		else
			part(m, ml, "SSH message %lld", (long long)f->i);
	} else {
		part(m, ml, "SSH packet");
	}
}

static void addr_port(const struct pkt *p, const uint8_t *a, uint16_t port, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->ipver == 6 ? AF_INET6 : AF_INET, a, t, sizeof(t)))
		snprintf(t, sizeof(t), "?");
	snprintf(buf, len, p->ipver == 6 ? "[%s]:%u" : "%s:%u", t, port);
}

static void row_build(struct row *r, const struct pkt *p, enum kex_family *fam)
{
	char flags[16], msg[320] = "";
	uint8_t fl = p->flags;

	r->p = p;
	show_tcp_flags(p, flags, sizeof(flags));
	if (p->ack_valid)
		snprintf(r->tcp, sizeof(r->tcp), "[%s] seq %u ack %u len %u", flags, p->seq, p->ack,
			 p->len);
	else
		snprintf(r->tcp, sizeof(r->tcp), "[%s] seq %u len %u", flags, p->seq, p->len);
	if (fl & TCPF_SYN)
		part(msg, sizeof(msg), "%s", fl & TCPF_ACK ? "SYN-ACK" : "SYN");
	for (size_t i = 0; i < p->nfv; i++) {
		const struct pkt_fv *f = &p->fv[i];
		size_t end;

		if (f->type != PKT_FV_GROUP) {
			/* The method of the key exchange, known at the second
			 * KEXINIT, names the messages 30-49 that follow. */
			if (!strcmp(f->name, "ssh.negotiated.kex") && f->type == PKT_FV_STR)
				*fam = kex_family(f->s);
			continue;
		}
		end = pkt_group_end(p, i);
		if (!strcmp(f->name, "http"))
			msg_http(msg, sizeof(msg), p, i, end);
		else if (!strcmp(f->name, "websocket"))
			msg_websocket(msg, sizeof(msg), p, i, end);
		else if (!strcmp(f->name, "tls"))
			msg_tls(msg, sizeof(msg), p, i, end);
		else if (!strcmp(f->name, "ssh"))
			msg_ssh(msg, sizeof(msg), p, i, end, *fam);
	}
	if (fl & TCPF_FIN)
		part(msg, sizeof(msg), "FIN");
	if (fl & TCPF_RST)
		part(msg, sizeof(msg), "RST");
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", p->len ? "data" : fl & TCPF_ACK ? "ACK" : "");
	clean_text(r->msg, sizeof(r->msg), msg, strlen(msg), 300);

	r->note[0] = '\0';
	r->mark = 0;
	if (p->analysis & PKT_AN_SPURIOUS_RETRANSMISSION)
		part(r->note, sizeof(r->note), "spurious retransmission");
	else if (p->analysis & PKT_AN_FAST_RETRANSMISSION)
		part(r->note, sizeof(r->note), "fast retransmission");
	else if (p->analysis & PKT_AN_RETRANSMISSION)
		part(r->note, sizeof(r->note), "retransmission");
	if (p->analysis &
	    (PKT_AN_RETRANSMISSION | PKT_AN_SPURIOUS_RETRANSMISSION | PKT_AN_FAST_RETRANSMISSION))
		r->mark |= MK_BAD | MK_RETRANS;
	if (fl & TCPF_RST)
		r->mark |= MK_BAD;
	if (p->analysis & PKT_AN_OUT_OF_ORDER)
		part(r->note, sizeof(r->note), "out-of-order"), r->mark |= MK_WARN;
	if (p->analysis & PKT_AN_DUP_ACK)
		part(r->note, sizeof(r->note), "dup ACK"), r->mark |= MK_WARN;
	if (p->analysis & PKT_AN_KEEP_ALIVE)
		part(r->note, sizeof(r->note), "keep-alive"), r->mark |= MK_WARN;
	if (p->analysis & PKT_AN_ZERO_WINDOW)
		part(r->note, sizeof(r->note), "zero window"), r->mark |= MK_WARN;
	if (p->err[0])
		part(r->note, sizeof(r->note), "malformed"), r->mark |= MK_BAD;
	for (size_t i = 0; i < p->nfv; i++)
		if (!strcmp(p->fv[i].name, "wl.error")) {
			part(r->note, sizeof(r->note), "protocol error");
			r->mark |= MK_WARN;
			break;
		}
}

/* What a row carries, by the protocol fields (any group). */
static int has_int(const struct pkt *p, const char *name, int64_t v)
{
	for (size_t i = 0; i < p->nfv; i++)
		if (p->fv[i].type == PKT_FV_INT && p->fv[i].i == v && !strcmp(p->fv[i].name, name))
			return 1;
	return 0;
}

static int has_field(const struct pkt *p, const char *name)
{
	for (size_t i = 0; i < p->nfv; i++)
		if (!strcmp(p->fv[i].name, name))
			return 1;
	return 0;
}

/* A TLS record of application data: its content type 23 (inner, when it
 * was decrypted), or, for a TLS 1.3 record nobody could open, the opaque
 * type (as the claims' "tls.app_data" does). */
static int tls_app_data(const struct pkt *p)
{
	for (size_t i = 0; i < p->nfv; i++) {
		size_t end;
		const struct pkt_fv *ct;

		if (p->fv[i].type != PKT_FV_GROUP || strcmp(p->fv[i].name, "tls"))
			continue;
		end = pkt_group_end(p, i);
		ct = pkt_group_field(p, i, end, "tls.record.content_type");
		if (ct ? ct->i == 23 : pkt_group_field(p, i, end, "tls.app_data") != NULL)
			return 1;
	}
	return 0;
}

static int ssh_kex_msg(const struct pkt *p)
{
	for (size_t i = 0; i < p->nfv; i++)
		if (p->fv[i].type == PKT_FV_INT && p->fv[i].i >= 30 && p->fv[i].i <= 49 &&
		    !strcmp(p->fv[i].name, "ssh.message_code"))
			return 1;
	return 0;
}

/* Round trips from row a to row b, as rtts() (labs/README.md), a and b
 * always counted. */
static int count_rtts(const struct ladder *l, size_t a, size_t b)
{
	int last = PKT_DIR_NONE, n = 0;

	for (size_t k = a; k <= b; k++) {
		const struct pkt *p = l->rows[k].p;

		if (k != a && k != b && p->len == 0 && !(p->flags & (TCPF_SYN | TCPF_FIN)))
			continue;
		if (last == PKT_DIR_SERVER && p->dir == PKT_DIR_CLIENT)
			n++;
		last = p->dir;
	}
	return n;
}

static void add_bracket(struct ladder *l, long a, long b, const char *what, const char *from,
			const char *to)
{
	struct bracket *br;

	if (a < 0 || b <= a || l->nbr == sizeof(l->br) / sizeof(l->br[0]))
		return;
	/* One lane: a bracket that would overlap an earlier one is left out. */
	for (size_t i = 0; i < l->nbr; i++)
		if ((size_t)a <= l->br[i].last && (size_t)b >= l->br[i].first)
			return;
	br = &l->br[l->nbr++];
	br->first = (size_t)a;
	br->last = (size_t)b;
	br->rtts = count_rtts(l, br->first, br->last);
	br->what = what;
	br->from = from;
	br->to = to;
}

static void find_phases(struct ladder *l)
{
	long start[PH_N], syn = -1, synack = -1, hs_end = -1, data = -1, close = -1;
	long ch = -1, app = -1, wire_app = -1, http = -1, ws = -1, ver = -1, cver = -1;
	long kexinit = -1, kex = -1;
	long nk[2] = { -1, -1 }, enc = -1, cenc = -1;
	size_t n = l->nrows;

	for (size_t k = 0; k < n; k++) {
		const struct pkt *p = l->rows[k].p;
		long i = (long)k;
		int c = p->dir == PKT_DIR_CLIENT;

		if (syn < 0 && (p->flags & TCPF_SYN) && !(p->flags & TCPF_ACK))
			syn = i;
		if (synack < 0 && (p->flags & TCPF_SYN) && (p->flags & TCPF_ACK))
			synack = i;
		if (hs_end < 0 && synack >= 0 && i > synack && c && (p->flags & TCPF_ACK) &&
		    !(p->flags & TCPF_SYN))
			hs_end = i;
		if (data < 0 && p->len > 0)
			data = i;
		if (close < 0 && (p->flags & (TCPF_FIN | TCPF_RST)))
			close = i;
		if (ch < 0 && c && has_int(p, "tls.handshake.type", 1))
			ch = i;
		if (app < 0 && ch >= 0 && c && tls_app_data(p))
			app = i;
		if (wire_app < 0 && ch >= 0 && c && has_field(p, "tls.app_data"))
			wire_app = i;
		if (http < 0 && has_field(p, "http.request"))
			http = i;
		if (ws < 0 && has_int(p, "http.response.code", 101))
			ws = i + 1;
		if (ver < 0 && has_field(p, "ssh.protocol"))
			ver = i;
		if (cver < 0 && c && has_field(p, "ssh.protocol"))
			cver = i;
		if (kexinit < 0 && has_int(p, "ssh.message_code", 20))
			kexinit = i;
		if (kex < 0 && kexinit >= 0 && ssh_kex_msg(p))
			kex = i;
		if (nk[!c] < 0 && has_int(p, "ssh.message_code", 21))
			nk[!c] = i;
		if (enc < 0 && nk[0] >= 0 && nk[1] >= 0 && i > nk[0] && i > nk[1] &&
		    has_field(p, "ssh.encrypted_packet"))
			enc = i;
		if (cenc < 0 && c && nk[0] >= 0 && has_field(p, "ssh.encrypted_packet"))
			cenc = i;
	}
	for (int ph = 0; ph < PH_N; ph++)
		start[ph] = -1;
	start[PH_HANDSHAKE] = syn >= 0 ? syn : synack;
	start[PH_DATA] = hs_end >= 0 ? hs_end + 1 : data;
	if (ch >= 0) {
		/* HTTP inside TLS is application data. */
		start[PH_TLS_HANDSHAKE] = ch;
		start[PH_TLS_DATA] = app;
	} else {
		start[PH_HTTP] = http;
		start[PH_WEBSOCKET] = ws;
	}
	start[PH_SSH_VERSION] = ver;
	start[PH_SSH_KEXINIT] = kexinit;
	start[PH_SSH_KEX] = kex;
	start[PH_SSH_NEWKEYS] = nk[0] < 0	? nk[1]
				: nk[1] < 0	? nk[0]
				: nk[0] < nk[1] ? nk[0]
						: nk[1];
	start[PH_SSH_ENCRYPTED] = enc;
	start[PH_CLOSE] = close;

	/* The bands: phases by their first row; on a tie the later phase of
	 * the list wins (data that is the HTTP request is the HTTP phase). */
	l->nbands = 0;
	for (long row = 0; row < (long)n; row++) {
		int ph = -1;

		for (int q = 0; q < PH_N; q++) {
			if (start[q] != row)
				continue;
			if (q != PH_CLOSE && close >= 0 && start[q] > close)
				continue;
			ph = q;
		}
		if (ph < 0)
			continue;
		if (l->nbands)
			l->bands[l->nbands - 1].last = (size_t)row - 1;
		l->bands[l->nbands].ph = (enum phase)ph;
		l->bands[l->nbands].first = (size_t)row;
		l->nbands++;
	}
	if (l->nbands) {
		l->bands[0].first = 0;
		l->bands[l->nbands - 1].last = n - 1;
	}

	l->nbr = 0;
	add_bracket(l, syn, hs_end, "TCP handshake", "SYN", "ACK");
	add_bracket(l, ch, wire_app, "TLS handshake", "ClientHello", "first app-data record");
	add_bracket(l, cver, cenc, "SSH handshake", "client version", "first encrypted packet");
}

static int ladder_build(struct ladder *l, const struct trace *tr)
{
	enum kex_family fam = KEX_UNKNOWN;
	const char *base;

	memset(l, 0, sizeof(*l));
	l->tr = tr;
	l->nrows = tr->npkts < DIAGRAM_MAX_ROWS ? tr->npkts : DIAGRAM_MAX_ROWS;
	l->omitted = tr->npkts - l->nrows;
	l->rows = calloc(l->nrows ? l->nrows : 1, sizeof(*l->rows));
	if (!l->rows)
		return -1;
	for (size_t k = 0; k < l->nrows; k++)
		row_build(&l->rows[k], &tr->pkts[k], &fam);
	snprintf(l->client, sizeof(l->client), "?");
	snprintf(l->server, sizeof(l->server), "?");
	for (size_t k = 0; k < tr->npkts; k++) {
		const struct pkt *p = &tr->pkts[k];

		if (p->dir == PKT_DIR_CLIENT || p->dir == PKT_DIR_SERVER) {
			int c = p->dir == PKT_DIR_CLIENT;

			addr_port(p, p->src, p->sport, c ? l->client : l->server,
				  sizeof(l->client));
			addr_port(p, p->dst, p->dport, c ? l->server : l->client,
				  sizeof(l->client));
			break;
		}
	}
	base = tr->capture ? strrchr(tr->capture, '/') : NULL;
	base = base ? base + 1 : tr->capture ? tr->capture : "capture";
	clean_text(l->capname, sizeof(l->capname), base, strlen(base), 60);
	find_phases(l);
	return 0;
}

static void ladder_free(struct ladder *l)
{
	free(l->rows);
	l->rows = NULL;
}

static void fmt_duration(double s, char *buf, size_t len)
{
	if (s < 0.01)
		snprintf(buf, len, "%.3f ms", s * 1000.0);
	else if (s < 1.0)
		snprintf(buf, len, "%.1f ms", s * 1000.0);
	else
		snprintf(buf, len, "%.3f s", s);
}

/* The text of an arrow: tcpdump's values, the message, the notes. */
static void row_text(const struct row *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s  %s%s%s%s", r->tcp, r->msg, r->note[0] ? " [" : "", r->note,
		 r->note[0] ? "]" : "");
}

/* A piece of s (bytes n) of at most maxcols columns, broken after a space
 * when it must be. Returns its bytes; *next is where the rest starts. */
static size_t wrap_piece(const char *s, size_t n, size_t maxcols, size_t *next)
{
	size_t cols = 0, i = 0, brk = 0, good = 0, good_cols = 0;

	while (i < n) {
		size_t k = 1;

		while (i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		if (cols == maxcols)
			break;
		if (s[i] == ' ')
			brk = i;
		/* Between two messages (", ") or after the TCP values ("  "). */
		if (s[i] == ' ' && i > 0 && (s[i - 1] == ',' || s[i - 1] == ' '))
			good = i, good_cols = cols;
		i += k;
		cols++;
	}
	if (i >= n) {
		*next = n;
		return n;
	}
	if (good > 0 && good_cols * 2 >= maxcols)
		i = good;
	else if (brk > 0)
		i = brk;
	*next = i;
	while (*next < n && s[*next] == ' ')
		(*next)++;
	return i;
}

/* ---- text ---- */

/* Layout of a text line: "%5u %10.6f  " (18 columns), the client's bar,
 * TX_W columns of arrow, the server's bar, the margin for the brackets. */
#define TX_LEFT	  18
#define TX_W	  66
#define TX_TEXT	  (TX_W - 6)
#define TX_MARGIN (DIAGRAM_TXT_COLUMNS - TX_LEFT - TX_W - 2)

struct line {
	char b[1024];
	size_t n, cols;
};

static void ln_bytes(struct line *l, const char *s, size_t n)
{
	if (l->n + n >= sizeof(l->b))
		n = sizeof(l->b) - 1 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
	l->cols += u8_cols(s, n);
	l->b[l->n] = '\0';
}

static void ln_str(struct line *l, const char *s)
{
	ln_bytes(l, s, strlen(s));
}

static void ln_rep(struct line *l, char c, size_t k)
{
	while (k-- > 0 && l->n + 1 < sizeof(l->b)) {
		l->b[l->n++] = c;
		l->cols++;
	}
	l->b[l->n] = '\0';
}

static void ln_pad(struct line *l, size_t col)
{
	if (l->cols < col)
		ln_rep(l, ' ', col - l->cols);
}

static int ln_flush(FILE *out, struct line *l)
{
	while (l->n && l->b[l->n - 1] == ' ')
		l->n--;
	l->b[l->n] = '\0';
	fprintf(out, "%s\n", l->b);
	l->n = l->cols = 0;
	l->b[0] = '\0';
	return ferror(out) ? -1 : 0;
}

enum tx_kind { TX_SEP, TX_ARROW, TX_CONT };

/* The bracket margin of a line: the sep before row k, the arrow of row k,
 * or a continuation line of row k. *dur: a label was printed, the
 * duration goes on the next line inside the bracket. */
static void tx_margin(struct line *ln, const struct ladder *l, size_t k, enum tx_kind kind,
		      const struct bracket **dur)
{
	for (size_t i = 0; i < l->nbr; i++) {
		const struct bracket *b = &l->br[i];
		char lab[32], d[24];

		ln_pad(ln, TX_LEFT + TX_W + 2);
		if (kind == TX_ARROW && k == b->first) {
			snprintf(lab, sizeof(lab), "  -+ %.3s %d RTT", b->what, b->rtts);
			ln_str(ln, lab);
			*dur = b;
		} else if (kind == TX_ARROW && k == b->last) {
			ln_str(ln, "  -+");
		} else if ((k > b->first && k < b->last) || (kind == TX_CONT && k == b->first) ||
			   (kind == TX_SEP && k > b->first && k <= b->last)) {
			ln_str(ln, "   |");
			if (*dur == b) {
				fmt_duration(l->rows[b->last].p->t - l->rows[b->first].p->t, d,
					     sizeof(d));
				ln_str(ln, " ");
				ln_str(ln, d);
				*dur = NULL;
			}
		}
	}
}

static int write_txt(FILE *out, const struct ladder *l)
{
	struct line ln = { "", 0, 0 };
	const struct bracket *dur = NULL;
	char text[512], num[40], head[200];
	size_t band = 0, cl, sl;
	int marks = 0;

	snprintf(head, sizeof(head),
		 "wirelab ladder: %s, tcp.stream %d, %zu packets (client = laptop, server = Pi)",
		 l->capname, l->tr->stream, l->tr->npkts);
	if (u8_cols(head, strlen(head)) > DIAGRAM_TXT_COLUMNS)
		snprintf(head, sizeof(head), "wirelab ladder: %s, tcp.stream %d, %zu packets",
			 l->capname, l->tr->stream, l->tr->npkts);
	clean_text(text, sizeof(text), head, strlen(head), DIAGRAM_TXT_COLUMNS);
	ln_str(&ln, text);
	ln_flush(out, &ln);
	ln_str(&ln, "  No.       Time  client ");
	ln_str(&ln, l->client);
	cl = ln.cols;
	sl = strlen("server ") + strlen(l->server);
	if (cl + 2 + sl > TX_LEFT + TX_W + 2) {
		ln_flush(out, &ln);
		cl = 0;
	}
	ln_pad(&ln, TX_LEFT + TX_W + 2 > sl ? TX_LEFT + TX_W + 2 - sl : 0);
	ln_str(&ln, "server ");
	ln_str(&ln, l->server);
	ln_flush(out, &ln);

	for (size_t k = 0; k < l->nrows; k++) {
		const struct row *r = &l->rows[k];
		int c2s = r->p->dir != PKT_DIR_SERVER;
		size_t n, next, pc, off = 0;
		const char *s;

		if (band < l->nbands && l->bands[band].first == k) {
			const char *name = phase_style[l->bands[band].ph].name;
			size_t nl = strlen(name), lead = (TX_W - nl - 2) / 2;

			ln_pad(&ln, TX_LEFT);
			ln_str(&ln, "+");
			ln_rep(&ln, '=', lead);
			ln_str(&ln, " ");
			ln_str(&ln, name);
			ln_str(&ln, " ");
			ln_rep(&ln, '=', TX_W - lead - nl - 2);
			ln_str(&ln, "+");
			tx_margin(&ln, l, k, TX_SEP, &dur);
			if (ln_flush(out, &ln))
				return -1;
			band++;
		}
		row_text(r, text, sizeof(text));
		n = strlen(text);
		s = text;
		pc = wrap_piece(s, n, TX_TEXT, &next);
		if (r->p->t < 1000.0)
			snprintf(num, sizeof(num), "%5u %10.6f %c", r->p->n, r->p->t,
				 r->mark & MK_BAD ? '!' : ' ');
		else
			snprintf(num, sizeof(num), "%5u %10.3f %c", r->p->n, r->p->t,
				 r->mark & MK_BAD ? '!' : ' ');
		marks |= (int)(r->mark & MK_BAD);
		ln_str(&ln, num);
		ln_pad(&ln, TX_LEFT);
		ln_str(&ln, "|");
		if (c2s) {
			ln_str(&ln, "-- ");
			ln_bytes(&ln, s, pc);
			ln_str(&ln, " ");
			ln_rep(&ln, '-', TX_W - 5 - u8_cols(s, pc));
			ln_str(&ln, ">|");
		} else {
			ln_str(&ln, "<");
			ln_rep(&ln, '-', TX_W - 5 - u8_cols(s, pc));
			ln_str(&ln, " ");
			ln_bytes(&ln, s, pc);
			ln_str(&ln, " --|");
		}
		tx_margin(&ln, l, k, TX_ARROW, &dur);
		if (ln_flush(out, &ln))
			return -1;
		off = next;
		while (off < n) {
			pc = wrap_piece(s + off, n - off, TX_TEXT, &next);
			ln_pad(&ln, TX_LEFT);
			ln_str(&ln, "|");
			if (c2s) {
				ln_str(&ln, "   ");
				ln_bytes(&ln, s + off, pc);
			} else {
				ln_pad(&ln, TX_LEFT + 1 + TX_W - 3 - u8_cols(s + off, pc));
				ln_bytes(&ln, s + off, pc);
			}
			ln_pad(&ln, TX_LEFT + 1 + TX_W);
			ln_str(&ln, "|");
			tx_margin(&ln, l, k, TX_CONT, &dur);
			if (ln_flush(out, &ln))
				return -1;
			off += next;
		}
	}
	if (l->nrows) {
		ln_pad(&ln, TX_LEFT);
		ln_str(&ln, "+");
		ln_rep(&ln, '=', TX_W);
		ln_str(&ln, "+");
		ln_flush(out, &ln);
	}
	if (l->omitted)
		fprintf(out, "... %zu more packets not drawn (the diagram stops at %d)\n",
			l->omitted, DIAGRAM_MAX_ROWS);
	if (marks)
		fputs("! retransmission, RST or malformed packet\n", out);
	if (l->nbr)
		fputs("-+ round trips (RTT) as the claims count them: client -> server -> client "
		      "turns\n",
		      out);
	return ferror(out) ? -1 : 0;
}

/* ---- SVG ---- */

#define SV_W	 1060
#define SV_XNUM	 46  /* frame number, right-aligned */
#define SV_XTIME 126 /* time, right-aligned */
#define SV_XC	 200 /* client's lifeline */
#define SV_XS	 780 /* server's lifeline */
#define SV_XMID	 ((SV_XC + SV_XS) / 2)
#define SV_BAND0 136
#define SV_BAND1 806
#define SV_XBR	 832 /* brackets */
#define SV_TOP	 122 /* the first band */
#define SV_HEAD	 22  /* a band's title strip */
#define SV_LINE	 15  /* a message line */
#define SV_SLANT 12  /* how far an arrow falls on its way across */
#define SV_WRAP	 76  /* message characters per line */
#define SV_LINES 4
#define SV_ABOVE 22 /* the TCP values between the message and the arrow */

/* The message of row r cut in lines: starts and lengths; returns the count. */
static size_t sv_lines(const struct row *r, size_t off[SV_LINES], size_t len[SV_LINES], int *more)
{
	size_t n = strlen(r->msg), at = 0, k = 0, next;

	*more = 0;
	while (at < n && k < SV_LINES) {
		len[k] = wrap_piece(r->msg + at, n - at, SV_WRAP, &next);
		off[k++] = at;
		at += next;
	}
	*more = at < n;
	if (k == 0) {
		off[0] = len[0] = 0;
		k = 1;
	}
	return k;
}

static int sv_row_height(const struct row *r)
{
	size_t off[SV_LINES], len[SV_LINES];
	int more;

	return SV_LINE * (int)sv_lines(r, off, len, &more) + SV_ABOVE + SV_SLANT + 12;
}

/* sqrt by Newton's method: the one root this file needs, without libm. */
static double root(double v)
{
	double x = v > 1 ? v : 1;

	for (int i = 0; i < 40; i++)
		x = (x + v / x) / 2;
	return x;
}

static void sv_arrow(FILE *out, const struct row *r, int ya)
{
	int c2s = r->p->dir != PKT_DIR_SERVER;
	double x1 = c2s ? SV_XC : SV_XS, x2 = c2s ? SV_XS : SV_XC;
	double y1 = ya, y2 = ya + SV_SLANT, dx = x2 - x1, dy = y2 - y1;
	double len = root(dx * dx + dy * dy), ux = dx / len, uy = dy / len;
	double bx = x2 - 11 * ux, by = y2 - 11 * uy;
	const char *cls = r->mark & MK_BAD ? "wl-bad" : r->mark & MK_WARN ? "wl-warn" : "wl-ok";

	fprintf(out,
		"<line class=\"wl-arrow %s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		cls, r->mark & MK_RETRANS ? " wl-dash" : "", x1, y1, bx, by);
	fprintf(out, "<polygon class=\"wl-head %s\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
		cls, x2, y2, bx - 4.5 * uy, by + 4.5 * ux, bx + 4.5 * uy, by - 4.5 * ux);
}

static void sv_row(FILE *out, const struct row *r, int y, unsigned flags)
{
	size_t off[SV_LINES], len[SV_LINES], nl;
	int more, ya;
	const char *mcls = r->mark & MK_BAD    ? " wl-badtext"
			   : r->mark & MK_WARN ? " wl-warntext"
					       : "";
	char t[32];

	nl = sv_lines(r, off, len, &more);
	ya = y + SV_LINE * (int)nl + SV_ABOVE;
	if (flags & DIAGRAM_LINKS)
		fprintf(out, "<a href=\"#p%u\">", r->p->n);
	fprintf(out, "<g class=\"wl-row\" id=\"wl-f%u\"><title>frame %u, %.6f s: ", r->p->n,
		r->p->n, r->p->t);
	xml_put(out, r->msg);
	fputs(" — ", out);
	xml_put(out, r->tcp);
	if (r->note[0]) {
		fputs(" — ", out);
		xml_put(out, r->note);
	}
	fputs("</title>\n", out);
	snprintf(t, sizeof(t), "%.6f", r->p->t);
	fprintf(out, "<text class=\"wl-num\" x=\"%d\" y=\"%d\">%u</text>", SV_XNUM, ya + 4,
		r->p->n);
	fprintf(out, "<text class=\"wl-time\" x=\"%d\" y=\"%d\">%s</text>\n", SV_XTIME, ya + 4, t);
	for (size_t i = 0; i < nl; i++) {
		fprintf(out, "<text class=\"wl-msg%s\" x=\"%d\" y=\"%d\">", mcls, SV_XMID,
			y + 13 + SV_LINE * (int)i);
		xml_putn(out, r->msg + off[i], len[i]);
		if (more && i + 1 == nl)
			fputs("…", out);
		fputs("</text>\n", out);
	}
	sv_arrow(out, r, ya);
	fprintf(out, "<text class=\"wl-tcp\" x=\"%d\" y=\"%d\">", SV_XMID, ya - 7);
	xml_put(out, r->tcp);
	if (r->note[0]) {
		/* A no-break space: SVG renderers drop a plain one at a tspan's edge. */
		fprintf(out, "\xc2\xa0<tspan class=\"%s\">[",
			r->mark & MK_BAD ? "wl-badtext" : "wl-warntext");
		xml_put(out, r->note);
		fputs("]</tspan>", out);
	}
	fputs("</text></g>", out);
	if (flags & DIAGRAM_LINKS)
		fputs("</a>", out);
	fputc('\n', out);
}

static void sv_text(FILE *out, const char *cls, int x, int y, const char *s)
{
	fprintf(out, "<text class=\"%s\" x=\"%d\" y=\"%d\">", cls, x, y);
	xml_put(out, s);
	fputs("</text>\n", out);
}

static int write_svg(FILE *out, const struct ladder *l, unsigned flags)
{
	int *ry = calloc(l->nrows + 1, sizeof(int)), y = SV_TOP, h;
	int band_y[PH_N];
	size_t band = 0;
	char buf[320];

	if (!ry)
		return -1;
	/* Layout: a title strip at each band's start, then the rows. */
	for (size_t k = 0; k < l->nrows; k++) {
		if (band < l->nbands && l->bands[band].first == k) {
			band_y[band++] = y;
			y += SV_HEAD;
		}
		ry[k] = y;
		y += sv_row_height(&l->rows[k]);
	}
	ry[l->nrows] = y;
	h = y + 24 + 16 * 5;

	if (!(flags & DIAGRAM_INLINE))
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<svg %swidth=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" ",
		flags & DIAGRAM_INLINE ? "" : "xmlns=\"http://www.w3.org/2000/svg\" ", SV_W, h,
		SV_W, h);
	fputs("class=\"wl-ladder\" aria-label=\"ladder diagram\">\n", out);
	snprintf(buf, sizeof(buf), "Ladder diagram of %s, tcp.stream %d", l->capname,
		 l->tr->stream);
	fputs("<title>", out);
	xml_put(out, buf);
	fputs("</title>\n", out);
	fputs("<style>\n"
	      ".wl-ladder text{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;fill:#111}\n"
	      ".wl-ladder .wl-h1{font-size:17px;font-weight:bold}\n"
	      ".wl-ladder .wl-sub{font-size:12px;fill:#555}\n"
	      ".wl-ladder .wl-host{font-size:14px;font-weight:bold;text-anchor:middle}\n"
	      ".wl-ladder .wl-addr{font-size:12px;text-anchor:middle;"
	      "font-family:'DejaVu Sans Mono',Consolas,monospace}\n"
	      ".wl-ladder .wl-col{font-size:11px;fill:#555;text-anchor:end}\n"
	      ".wl-ladder .wl-num{font-size:13px;font-weight:bold;text-anchor:end}\n"
	      ".wl-ladder .wl-time{font-size:12px;fill:#444;text-anchor:end;"
	      "font-family:'DejaVu Sans Mono',Consolas,monospace}\n"
	      ".wl-ladder .wl-msg{font-size:13px;font-weight:bold;text-anchor:middle}\n"
	      ".wl-ladder .wl-tcp{font-size:11px;fill:#444;text-anchor:middle;"
	      "font-family:'DejaVu Sans Mono',Consolas,monospace}\n"
	      ".wl-ladder .wl-phase{font-size:12px;font-weight:bold;text-anchor:middle;"
	      "letter-spacing:0.5px}\n"
	      ".wl-ladder .wl-rtt{font-size:15px;font-weight:bold;fill:#8e244d}\n"
	      ".wl-ladder .wl-brtext{font-size:11px;fill:#8e244d}\n"
	      ".wl-ladder .wl-note{font-size:11px;fill:#555}\n"
	      ".wl-ladder .wl-badtext{fill:#c62828;font-weight:bold}\n"
	      ".wl-ladder .wl-warntext{fill:#b35900;font-weight:bold}\n"
	      ".wl-ladder .wl-life{stroke:#555;stroke-width:2}\n"
	      ".wl-ladder .wl-arrow{stroke-width:1.6}\n"
	      ".wl-ladder .wl-ok{stroke:#37474f;fill:#37474f}\n"
	      ".wl-ladder .wl-bad{stroke:#c62828;fill:#c62828;stroke-width:2.4}\n"
	      ".wl-ladder .wl-warn{stroke:#d97a00;fill:#d97a00;stroke-width:2}\n"
	      ".wl-ladder .wl-dash{stroke-dasharray:7 4}\n"
	      ".wl-ladder .wl-head{stroke-width:1}\n"
	      ".wl-ladder .wl-br{stroke:#8e244d;stroke-width:2;fill:none}\n"
	      ".wl-ladder a:hover .wl-msg{text-decoration:underline}\n"
	      "</style>\n",
	      out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SV_W,
		h);
	snprintf(buf, sizeof(buf), "%s, tcp.stream %d: %zu packets", l->capname, l->tr->stream,
		 l->tr->npkts);
	sv_text(out, "wl-h1", 16, 26, buf);
	sv_text(out, "wl-sub", 16, 45,
		"client: the laptop · server: the Pi · one arrow per packet, down the page in "
		"capture order · time in seconds since the first frame");
	for (int s = 0; s < 2; s++) {
		int x = s ? SV_XS : SV_XC;

		fprintf(out,
			"<rect x=\"%d\" y=\"58\" width=\"230\" height=\"42\" rx=\"6\" "
			"fill=\"#f4f6f8\" stroke=\"#555\"/>\n",
			x - 115);
		sv_text(out, "wl-host", x, 76, s ? "server" : "client");
		fprintf(out, "<text class=\"wl-addr\" x=\"%d\" y=\"93\">", x);
		xml_put(out, s ? l->server : l->client);
		fputs("</text>\n", out);
	}
	sv_text(out, "wl-col", SV_XNUM, 114, "No.");
	sv_text(out, "wl-col", SV_XTIME, 114, "Time (s)");

	/* The phases as shaded bands, each with its title strip. */
	for (size_t b = 0; b < l->nbands; b++) {
		int y0 = band_y[b], y1 = ry[l->bands[b].last + 1];
		enum phase ph = l->bands[b].ph;

		fprintf(out,
			"<rect class=\"wl-band\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			"fill=\"%s\"/>\n",
			SV_BAND0, y0, SV_BAND1 - SV_BAND0, y1 - y0, phase_style[ph].fill);
		fprintf(out, "<text class=\"wl-phase\" x=\"%d\" y=\"%d\" style=\"fill:%s\">",
			SV_XMID, y0 + 15, phase_style[ph].ink);
		xml_put(out, phase_style[ph].name);
		fputs("</text>\n", out);
	}
	fprintf(out, "<line class=\"wl-life\" x1=\"%d\" y1=\"100\" x2=\"%d\" y2=\"%d\"/>\n", SV_XC,
		SV_XC, ry[l->nrows]);
	fprintf(out, "<line class=\"wl-life\" x1=\"%d\" y1=\"100\" x2=\"%d\" y2=\"%d\"/>\n", SV_XS,
		SV_XS, ry[l->nrows]);
	for (size_t k = 0; k < l->nrows; k++)
		sv_row(out, &l->rows[k], ry[k], flags);

	/* Round trips: a bracket from where the first packet leaves to where
	 * the last arrives. */
	for (size_t i = 0; i < l->nbr; i++) {
		const struct bracket *b = &l->br[i];
		size_t o1[SV_LINES], n1[SV_LINES];
		int more, y1, y2, ym;
		char d[24];

		y1 = ry[b->first] + SV_LINE * (int)sv_lines(&l->rows[b->first], o1, n1, &more) +
		     SV_ABOVE;
		y2 = ry[b->last] + SV_LINE * (int)sv_lines(&l->rows[b->last], o1, n1, &more) +
		     SV_ABOVE + SV_SLANT;
		ym = (y1 + y2) / 2;
		fprintf(out, "<path class=\"wl-br\" d=\"M %d %d H %d V %d H %d\"/>\n", SV_XBR - 10,
			y1, SV_XBR, y2, SV_XBR - 10);
		snprintf(buf, sizeof(buf), "%d RTT", b->rtts);
		sv_text(out, "wl-rtt", SV_XBR + 10, ym - 22, buf);
		sv_text(out, "wl-brtext", SV_XBR + 10, ym - 7, b->what);
		snprintf(buf, sizeof(buf), "from %s", b->from);
		sv_text(out, "wl-brtext", SV_XBR + 10, ym + 7, buf);
		snprintf(buf, sizeof(buf), "to %s", b->to);
		sv_text(out, "wl-brtext", SV_XBR + 10, ym + 21, buf);
		fmt_duration(l->rows[b->last].p->t - l->rows[b->first].p->t, d, sizeof(d));
		sv_text(out, "wl-brtext", SV_XBR + 10, ym + 35, d);
	}

	y = ry[l->nrows] + 24;
	if (l->omitted) {
		snprintf(buf, sizeof(buf), "… %zu more packets not drawn (the diagram stops at %d)",
			 l->omitted, DIAGRAM_MAX_ROWS);
		sv_text(out, "wl-note", 16, y, buf);
	}
	sv_text(out, "wl-note", 16, y + 16,
		"Above each arrow: the message, then tcpdump's flags, the relative seq/ack and the "
		"TCP payload length.");
	sv_text(out, "wl-note", 16, y + 32,
		"Red arrow: retransmission (dashed), RST or malformed packet. Orange: duplicate "
		"ACK, out-of-order, keep-alive, zero window or protocol error.");
	sv_text(out, "wl-note", 16, y + 48,
		"Brackets: round trips as the claims count them (the sender turning from server "
		"back to client, pure ACKs aside). TLS: to the client's first application_data "
		"record");
	sv_text(out, "wl-note", 16, y + 64,
		"on the wire, as the claims' tls.app_data (TLS 1.3 sends its Finished in one).");
	fputs("</svg>\n", out);
	free(ry);
	return ferror(out) ? -1 : 0;
}

int diagram_write(FILE *out, const struct trace *tr, enum diagram_format fmt, unsigned flags)
{
	struct ladder l;
	int ret = -1;

	if (ladder_build(&l, tr))
		return -1;
	switch (fmt) {
	case DIAGRAM_SVG:
		ret = write_svg(out, &l, flags);
		break;
	case DIAGRAM_TXT:
		ret = write_txt(out, &l);
		break;
	}
	ladder_free(&l);
	return ret;
}

/* ---- which stream ---- */

int diagram_pick_stream(const char *path, int32_t *stream, char *err, size_t errlen)
{
	struct capfile *cf = NULL;
	struct dissect *d = NULL;
	struct pkt p;
	int ret = -1, r;
	int64_t ts;
	uint32_t wl, cl, nframes = 0;
	int32_t with_data = -1, n;
	const uint8_t *data;

	memset(&p, 0, sizeof(p));
	if (capture_open(path, &cf, err, errlen) ||
	    dissect_new(capture_linktype(cf), &d, err, errlen))
		goto out;
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		if (dissect_frame(d, ts, wl, data, cl, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		nframes++;
		if (p.is_tcp && p.stream >= 0 && p.len > 0 &&
		    (with_data < 0 || p.stream < with_data))
			with_data = p.stream;
	}
	if (r < 0)
		goto out;
	if (nframes == 0) {
		snprintf(err, errlen, "%s: the capture holds no packets", path);
		goto out;
	}
	n = dissect_nstreams(d);
	if (n == 0) {
		snprintf(err, errlen, "%s: no TCP stream in the capture (%u frames)", path,
			 nframes);
		goto out;
	}
	*stream = with_data >= 0 ? with_data : 0;
	for (int32_t s = 0; s < n; s++)
		if (dissect_stream_carries(d, s)) {
			*stream = s;
			break;
		}
	ret = 0;
out:
	pkt_clear(&p);
	dissect_free(d);
	capture_close(cf);
	return ret;
}

/* ---- wirelab diagram ---- */

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int cmd_diagram(int argc, char **argv)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "format", required_argument, NULL, 'f' },
					      { "stream", required_argument, NULL, 's' },
					      { "keylog", required_argument, NULL, 'k' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const char usage[] =
		"diagram CAPTURE [-o F.svg] [--format svg|txt] [--stream N] [--keylog F]";
	const char *outpath = NULL, *keylog = NULL, *format = NULL;
	enum diagram_format fmt;
	struct trace *tr = NULL;
	char err[1024], tmp[4096];
	long stream = -1;
	int c, bad, ret = EXIT_INPUT;
	FILE *f = NULL;

	while ((c = getopt_long(argc, argv, "o:f:s:k:h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 's':
			stream = strtol(optarg, &end, 10);
			if (!*optarg || *end || stream < 0 || stream > INT32_MAX) {
				fprintf(stderr,
					"wirelab: --stream wants a tcp.stream number, got '%s'\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		case 'k':
			keylog = optarg;
			break;
		case 'h':
			printf("usage: wirelab %s\n"
			       "  -o F        write to F (default: standard output)\n"
			       "  --format    svg or txt (default: txt for -o F.txt or a terminal, "
			       "else svg)\n"
			       "  --stream N  draw tcp.stream N (default: the first stream that "
			       "carries HTTP,\n"
			       "              WebSocket, TLS or SSH, else the first with data)\n"
			       "  --keylog F  decrypt TLS with the NSS key log F\n",
			       usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	if (optind != argc - 1)
		return cli_usage(usage);
	if (outpath && !strcmp(outpath, "-"))
		outpath = NULL;
	if (format && !strcmp(format, "svg"))
		fmt = DIAGRAM_SVG;
	else if (format && !strcmp(format, "txt"))
		fmt = DIAGRAM_TXT;
	else if (format) {
		fprintf(stderr, "wirelab: --format wants svg or txt, got '%s'\n", format);
		return EXIT_INPUT;
	} else if (outpath)
		fmt = ends_with(outpath, ".txt") ? DIAGRAM_TXT : DIAGRAM_SVG;
	else
		fmt = isatty(1) ? DIAGRAM_TXT : DIAGRAM_SVG;
	if (cli_use_keylog(keylog))
		return EXIT_INPUT;
	if (stream < 0) {
		int32_t s;

		if (diagram_pick_stream(argv[optind], &s, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
		stream = s;
	}
	if (trace_load(argv[optind], TRACE_ANY, (int32_t)stream, &tr, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	/* A file appears whole or not at all: written beside, then renamed. */
	if (outpath) {
		snprintf(tmp, sizeof(tmp), "%s.tmp%ld", outpath, (long)getpid());
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "wirelab: cannot write %s: %s\n", tmp, strerror(errno));
			goto out;
		}
	}
	bad = diagram_write(f ? f : stdout, tr, fmt, 0);
	if (f && fclose(f))
		bad = -1;
	if (!bad && f && rename(tmp, outpath))
		bad = -1;
	if (bad || fflush(stdout)) {
		fprintf(stderr, "wirelab: cannot write %s: %s\n", outpath ? outpath : "the diagram",
			strerror(errno));
		if (f)
			unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	trace_free(tr);
	cli_use_keylog(NULL);
	return ret;
}

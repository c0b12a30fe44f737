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
 * ClientHello .. the client's first application data, SSH the client's
 * identification .. its first encrypted packet.
 *
 * The SVG is written with fprintf, no library: every text escaped for XML,
 * every byte of a stranger's capture made valid UTF-8 first.
 */
#include "harness/diagram.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
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

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t u8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

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
		size_t k = u8_seq(s + i, n - i);
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

		part(m, ml, "%.*s %.*s%s%.*s%s%.*s%s", (int)meth->slen, meth->s,
		     uri ? (int)(uri->slen > 60 ? 60 : uri->slen) : 0, uri ? uri->s : "",
		     ver ? " " : "", ver ? (int)ver->slen : 0, ver ? ver->s : "",
		     up ? " (Upgrade: " : "", up ? (int)(up->slen > 20 ? 20 : up->slen) : 0,
		     up ? up->s : "", up ? ")" : "");
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
						    ? (lv->i == 2 ? "Fatal, " : lv->i == 1 ? "Warning, " : "")
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
		part(m, ml, "%s", enc && !dec ? "Encrypted Handshake Message" : "Handshake (fragment)");
	else if (ct && ct->i == 21 && enc && !dec)
		part(m, ml, "Encrypted Alert");
	else
		part(m, ml, "TLS record (type %lld)", ct ? (long long)ct->i : -1LL);
}

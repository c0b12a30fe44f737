/* harness/dissect_ws.c — WebSocket frames (RFC 6455 5.2), after the 101.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *
 * Every frame is listed at the packet that completes it. Whatever breaks the
 * RFC (an unmasked client frame, a masked server frame, reserved bits or
 * opcodes, a long or fragmented control frame, a non-minimal length, a
 * continuation with no message, data after Close, a bad close code, text that
 * is not UTF-8) is a protocol error at that packet ("wl.error"), and the
 * dissection goes on.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/json.h"
#include "harness/rd.h"
#include "harness/trace.h"
#include "harness/utf8.h"

#define WS_KEEP_MAX    (64 * 1024) /* frames up to this are kept whole */
#define WS_PAYLOAD_HEX 125	   /* bytes of payload shown in websocket.payload */
#define WS_TEXT_MAX    (64 * 1024) /* text messages validated as UTF-8 up to this */

static const char *const ws_fields[] = {
	"websocket",
	"websocket.fin",
	"websocket.rsv",
	"websocket.opcode",
	"websocket.mask",
	"websocket.payload_length",
	"websocket.payload_length_ext_16",
	"websocket.payload_length_ext_64",
	"websocket.masking_key",
	"websocket.len",	  /* wirelab: the payload's real length */
	"websocket.payload",	  /* wirelab: unmasked payload, hex, first 125 bytes */
	"websocket.payload.text", /* a complete text message (at its last frame) */
	"websocket.payload.close.status_code",
	"websocket.payload.close.reason",
	"websocket.pmc", /* a compressed message (permessage-deflate) */
	NULL,
};

enum {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xa,
};

struct ws_frame {
	int fin, rsv, opcode, masked;
	unsigned len7;
	uint64_t len;
	uint8_t key[4];
	size_t hdr;
};

struct ws_side {
	int in_message;	    /* a fragmented data message is open */
	int message_opcode; /* its opcode */
	int closed;	    /* sent a Close */
	/* a frame too big to keep, being skipped: listed when it ends */
	int skipping;
	uint64_t skip_left;
	struct ws_frame big;
	uint8_t big_prefix[WS_PAYLOAD_HEX];
	size_t big_have;
	int compressed; /* the open message is compressed (RFC 7692) */
	int lost;	/* a length no frame can have: the rest is unreadable */
	size_t pending; /* bytes of an incomplete frame left with dissect.c */
	/* the text message being assembled (for UTF-8 and the listing) */
	uint8_t *text;
	size_t text_len;
	int text_overflow;
};

struct ws_state {
	struct ws_side side[2];
	int deflate; /* permessage-deflate negotiated: RSV1 marks compressed messages */
};

static void *ws_open(void)
{
	return calloc(1, sizeof(struct ws_state));
}

static void ws_close(void *st)
{
	struct ws_state *s = st;

	if (!s)
		return;
	free(s->side[0].text);
	free(s->side[1].text);
	free(s);
}

/* RFC 7692: permessage-deflate lets RSV1 mark a compressed message. */
static void ws_upgraded(void *st, const char *ctx)
{
	struct ws_state *s = st;

	s->deflate = ctx && strstr(ctx, "permessage-deflate") != NULL;
}

static int ws_detect(const uint8_t *data, size_t len, int dir)
{
	/* Reached only by the HTTP upgrade, never by guessing. */
	(void)data;
	(void)len;
	(void)dir;
	return 0;
}

static const char *opcode_name(int op)
{
	switch (op) {
	case WS_CONT:
		return "Continuation";
	case WS_TEXT:
		return "Text";
	case WS_BINARY:
		return "Binary";
	case WS_CLOSE:
		return "Connection Close";
	case WS_PING:
		return "Ping";
	case WS_PONG:
		return "Pong";
	}
	return "Reserved";
}

/* RFC 6455 7.4: codes an endpoint may send in a Close frame. */
static int close_code_valid(unsigned code)
{
	if (code < 1000 || code == 1004 || code == 1005 || code == 1006 || code == 1015)
		return 0;
	if (code <= 1014)
		return 1;
	return code >= 3000 && code <= 4999;
}

static int text_append(struct ws_side *sd, const uint8_t *d, size_t n)
{
	if (sd->text_overflow || sd->text_len + n > WS_TEXT_MAX) {
		sd->text_overflow = 1;
		return 0;
	}
	uint8_t *t = realloc(sd->text, sd->text_len + n + 1);

	if (!t)
		return -1;
	sd->text = t;
	memcpy(t + sd->text_len, d, n);
	sd->text_len += n;
	return 0;
}

/* Parses a frame header: 1 complete, 0 needs more bytes. */
static int frame_header(const uint8_t *data, size_t len, struct ws_frame *f)
{
	struct rd r = rd_make(data, len);
	uint8_t b0, b1;

	if (rd_u8(&r, &b0) || rd_u8(&r, &b1))
		return 0;
	f->fin = b0 >> 7;
	f->rsv = (b0 >> 4) & 7;
	f->opcode = b0 & 0x0f;
	f->masked = b1 >> 7;
	f->len7 = b1 & 0x7f;
	f->len = f->len7;
	if (f->len7 == 126) {
		uint16_t l16;

		if (rd_be16(&r, &l16))
			return 0;
		f->len = l16;
	} else if (f->len7 == 127) {
		if (rd_be64(&r, &f->len))
			return 0;
	}
	if (f->masked && rd_copy(&r, f->key, 4))
		return 0;
	f->hdr = (size_t)(r.p - data);
	return 1;
}

/* n bytes as lowercase hex, NUL-terminated (dst holds 2n + 1). */
static void hex_text(char *dst, const uint8_t *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[s[i] >> 4];
		dst[2 * i + 1] = digits[s[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* The Info of a frame, five short parts joined (a frame or more a packet of
 * a WebSocket session: without vsnprintf). */
static void info_text(struct pkt *p, const char *a, const char *b, const char *c, const char *d,
		      const char *e)
{
	const char *part[] = { a, b, c, d, e };
	char text[160];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		size_t k = strlen(part[i]);

		if (k > sizeof(text) - 1 - n)
			k = sizeof(text) - 1 - n;
		memcpy(text + n, part[i], k);
		n += k;
	}
	text[n] = '\0';
	pkt_info_add(p, "%s", text);
}

static int list_frame(struct ws_state *s, int dir, const struct ws_frame *f, const uint8_t *payload,
		      size_t have, struct pkt *p)
{
	struct ws_side *sd = &s->side[dir];
	uint8_t buf[WS_PAYLOAD_HEX];
	char hex[2 * WS_PAYLOAD_HEX + 1], key[9];
	size_t shown = have < WS_PAYLOAD_HEX ? have : WS_PAYLOAD_HEX;
	int control = f->opcode >= 8;

	for (size_t i = 0; i < shown; i++)
		buf[i] = f->masked ? payload[i] ^ f->key[i % 4] : payload[i];
	hex_text(hex, buf, shown);
	hex_text(key, f->key, 4);
	if (pkt_add_group(p, "websocket") || pkt_add_int(p, "websocket.fin", f->fin) ||
	    pkt_add_int(p, "websocket.rsv", f->rsv) ||
	    pkt_add_int(p, "websocket.opcode", f->opcode) ||
	    pkt_add_int(p, "websocket.mask", f->masked) ||
	    pkt_add_int(p, "websocket.payload_length", f->len7) ||
	    (f->len7 == 126 &&
	     pkt_add_int(p, "websocket.payload_length_ext_16", (int64_t)f->len)) ||
	    (f->len7 == 127 &&
	     pkt_add_int(p, "websocket.payload_length_ext_64", (int64_t)f->len)) ||
	    (f->masked && pkt_add_str(p, "websocket.masking_key", key, 8)) ||
	    pkt_add_int(p, "websocket.len", (int64_t)f->len) ||
	    (have == f->len && pkt_add_str(p, "websocket.payload", hex, 2 * shown)))
		return -1;

	/* The RFC's rules, each an error at this packet. */
	if (dir == PKT_DIR_CLIENT && !f->masked &&
	    pkt_proto_error(p, "websocket: unmasked frame from the client (RFC 6455 5.1)"))
		return -1;
	if (dir == PKT_DIR_SERVER && f->masked &&
	    pkt_proto_error(p, "websocket: masked frame from the server (RFC 6455 5.1)"))
		return -1;
	/* RSV1 is permessage-deflate's, on a message's first frame only. */
	int pmc = s->deflate && (f->rsv & 4) && (f->opcode == WS_TEXT || f->opcode == WS_BINARY);
	int rsv = pmc ? f->rsv & 3 : f->rsv;

	if (rsv && pkt_proto_error(p, "websocket: reserved bits %d set with no extension", rsv))
		return -1;
	if (pmc && pkt_add_int(p, "websocket.pmc", 1))
		return -1;
	if ((f->opcode >= 3 && f->opcode <= 7) || f->opcode >= 0xb) {
		if (pkt_proto_error(p, "websocket: reserved opcode 0x%x", f->opcode))
			return -1;
	}
	if ((f->len7 == 126 && f->len < 126) || (f->len7 == 127 && f->len <= 0xffff)) {
		if (pkt_proto_error(p, "websocket: length %" PRIu64 " not in its minimal form",
				    f->len))
			return -1;
	}
	if (f->len7 == 127 && (f->len >> 63) &&
	    pkt_proto_error(p, "websocket: 64-bit length with its top bit set"))
		return -1;
	if (control && (f->len > 125 || !f->fin) &&
	    pkt_proto_error(p, "websocket: control frame %s (RFC 6455 5.5)",
			    f->len > 125 ? "longer than 125 bytes" : "fragmented"))
		return -1;
	if (sd->closed && pkt_proto_error(p, "websocket: frame after Close (RFC 6455 5.5.1)"))
		return -1;

	int stray = f->opcode == WS_CONT && !sd->in_message;

	if (stray) {
		if (pkt_proto_error(p, "websocket: continuation frame with no message to continue"))
			return -1;
	} else if ((f->opcode == WS_TEXT || f->opcode == WS_BINARY) && sd->in_message) {
		if (pkt_proto_error(p, "websocket: new message before the last one's final frame"))
			return -1;
	}
	if (f->opcode == WS_TEXT || f->opcode == WS_BINARY) {
		sd->in_message = !f->fin;
		sd->message_opcode = f->opcode;
		sd->compressed = pmc;
		sd->text_len = 0;
		sd->text_overflow = have < f->len;
	}
	/* A stray continuation belongs to no message: no text to add it to. */
	int data_op = stray ? -1 : f->opcode == WS_CONT ? sd->message_opcode : f->opcode;

	if (f->opcode == WS_CONT && f->fin)
		sd->in_message = 0;
	/* Compressed text is not UTF-8 until inflated: not checked. */
	if (data_op == WS_TEXT && f->opcode <= WS_BINARY && !sd->compressed) {
		uint8_t *plain = malloc(have ? have : 1);

		if (!plain)
			return -1;
		for (size_t i = 0; i < have; i++)
			plain[i] = f->masked ? payload[i] ^ f->key[i % 4] : payload[i];
		int bad = have < f->len ? (sd->text_overflow = 1, 0) : text_append(sd, plain, have);

		free(plain);
		if (bad)
			return -1;
		if (f->fin && !sd->text_overflow) {
			if (!utf8_valid(sd->text, sd->text_len)) {
				if (pkt_proto_error(
					    p,
					    "websocket: text message is not UTF-8 (RFC 6455 8.1)"))
					return -1;
			} else if (pkt_add_str(p, "websocket.payload.text", (const char *)sd->text,
					       sd->text_len)) {
				return -1;
			}
		}
	}
	if (f->opcode == WS_CLOSE) {
		sd->closed = 1;
		if (f->len == 1 && pkt_proto_error(p, "websocket: close payload of 1 byte"))
			return -1;
		if (f->len >= 2 && have >= 2) {
			unsigned code = (unsigned)buf[0] << 8 | buf[1];

			if (pkt_add_int(p, "websocket.payload.close.status_code", code) ||
			    pkt_add_str(p, "websocket.payload.close.reason", (const char *)buf + 2,
					shown - 2))
				return -1;
			if (!utf8_valid(buf + 2, shown - 2) &&
			    pkt_proto_error(
				    p, "websocket: close reason is not UTF-8 (RFC 6455 5.5.1)"))
				return -1;
			if (!close_code_valid(code) &&
			    pkt_proto_error(
				    p, "websocket: close code %u may not be sent (RFC 6455 7.4)",
				    code))
				return -1;
			pkt_info_add(p, "WebSocket Connection Close %u", code);
			return 0;
		}
	}
	/* Info as Wireshark words it, with the flags and a short text made
	 * one printable line (control bytes and invalid UTF-8 become '.'). */
	if (data_op == WS_TEXT && f->fin && f->opcode == WS_TEXT && !sd->text_overflow &&
	    !sd->compressed) {
		char t[41];
		size_t n = 0;

		for (size_t i = 0, k; i < sd->text_len && n + 4 < sizeof(t); i += k) {
			k = utf8_seq_len(sd->text + i, sd->text_len - i);
			if (k == 0 || sd->text[i] < 0x20 || sd->text[i] == 0x7f) {
				t[n++] = '.';
				k = 1;
			} else {
				memcpy(t + n, sd->text + i, k);
				n += k;
			}
		}
		t[n] = '\0';
		info_text(p, "WebSocket Text [FIN]", f->masked ? " [MASKED]" : "", " \"", t, "\"");
	} else {
		info_text(p, "WebSocket ", opcode_name(f->opcode), f->fin ? " [FIN]" : "",
			  f->masked ? " [MASKED]" : "", "");
	}
	return 0;
}

static size_t feed_frames(struct ws_state *s, int dir, const uint8_t *data, size_t len,
			  struct pkt *p)
{
	struct ws_side *sd = &s->side[dir];
	size_t used = 0;

	while (used < len) {
		struct ws_frame f;

		if (sd->skipping) {
			size_t n = len - used < sd->skip_left ? len - used : (size_t)sd->skip_left;
			size_t room = sizeof(sd->big_prefix) - sd->big_have;

			memcpy(sd->big_prefix + sd->big_have, data + used, n < room ? n : room);
			sd->big_have += n < room ? n : room;
			used += n;
			sd->skip_left -= n;
			if (sd->skip_left)
				return used;
			/* The frame ends here: listed here, as Wireshark does. */
			sd->skipping = 0;
			if (list_frame(s, dir, &sd->big, sd->big_prefix, sd->big_have, p))
				return (size_t)-1;
			continue;
		}
		if (!frame_header(data + used, len - used, &f))
			return used;
		if (sd->lost)
			return len;
		if (f.len >> 63) {
			/* No frame can end: listed now (with its error), and this
			 * direction is not read further. */
			size_t have = len - used - f.hdr;

			if (list_frame(s, dir, &f, data + used + f.hdr, have, p))
				return (size_t)-1;
			sd->lost = 1;
			return len;
		}
		if (f.len > WS_KEEP_MAX) {
			/* Too big to keep: its first bytes are kept, the rest is
			 * counted, and the frame is listed where it ends. */
			sd->big = f;
			sd->big_have = 0;
			sd->skipping = 1;
			sd->skip_left = f.len;
			used += f.hdr;
			continue;
		}
		if (len - used - f.hdr < f.len)
			return used;
		if (list_frame(s, dir, &f, data + used + f.hdr, (size_t)f.len, p))
			return (size_t)-1;
		used += f.hdr + (size_t)f.len;
	}
	return used;
}

static size_t ws_feed(void *st, int dir, const uint8_t *data, size_t len, struct pkt *p,
		      struct proto_io *io)
{
	struct ws_state *s = st;
	size_t used = feed_frames(s, dir, data, len, p);

	(void)io;
	if (used != (size_t)-1)
		s->side[dir].pending = len - used;
	return used;
}

/* The direction's FIN: a frame it cut short is said, not dropped. */
static int ws_fin(void *st, int dir, struct pkt *p)
{
	struct ws_state *s = st;
	struct ws_side *sd;
	const char *who = dir == PKT_DIR_CLIENT ? "client" : "server";

	if (dir != PKT_DIR_CLIENT && dir != PKT_DIR_SERVER)
		return 0;
	sd = &s->side[dir];
	if (sd->lost)
		return 0;
	if (sd->skipping)
		return pkt_proto_error(p,
				       "websocket: the %s's stream ends inside a frame of %llu "
				       "bytes (%llu to go)",
				       who, (unsigned long long)sd->big.len,
				       (unsigned long long)sd->skip_left);
	if (sd->pending)
		return pkt_proto_error(
			p, "websocket: the %s's stream ends inside a frame (%zu bytes of it)", who,
			sd->pending);
	return 0;
}

static int64_t group_int(const struct pkt *p, size_t i, size_t end, const char *name)
{
	const struct pkt_fv *f = pkt_group_field(p, i, end, name);

	return f ? f->i : 0;
}

/* "ws": [{"opcode": 1, "fin": true, "masked": true, "len": 5}, ...] */
static void jw_ws(struct jw *w, const struct pkt *p)
{
	int first = 1;

	for (size_t i = 0; i < p->nfv; i++) {
		if (p->fv[i].type != PKT_FV_GROUP || strcmp(p->fv[i].name, "websocket"))
			continue;
		size_t end = pkt_group_end(p, i);
		const struct pkt_fv *code =
			pkt_group_field(p, i, end, "websocket.payload.close.status_code");

		if (first)
			jw_lit(w, ", \"ws\": [{\"opcode\": ");
		else
			jw_lit(w, ", {\"opcode\": ");
		jw_i64(w, group_int(p, i, end, "websocket.opcode"));
		if (group_int(p, i, end, "websocket.fin"))
			jw_lit(w, ", \"fin\": true");
		else
			jw_lit(w, ", \"fin\": false");
		if (group_int(p, i, end, "websocket.mask"))
			jw_lit(w, ", \"masked\": true, \"len\": ");
		else
			jw_lit(w, ", \"masked\": false, \"len\": ");
		jw_u64(w, (uint64_t)group_int(p, i, end, "websocket.len"));
		if (code) {
			jw_lit(w, ", \"close_code\": ");
			jw_i64(w, code->i);
		}
		jw_lit(w, "}");
		first = 0;
	}
	if (!first)
		jw_lit(w, "]");
}

static void json_ws(FILE *out, const struct pkt *p)
{
	struct jw w;

	jw_init(&w, out);
	jw_ws(&w, p);
	jw_flush(&w);
}

const struct proto proto_websocket = {
	.name = "websocket",
	.fields = ws_fields,
	.detect = ws_detect,
	.open = ws_open,
	.close = ws_close,
	.upgraded = ws_upgraded,
	.feed = ws_feed,
	.fin = ws_fin,
	.carries = 1u << TRACE_WEBSOCKET,
	.json = json_ws,
	.jw = jw_ws,
};

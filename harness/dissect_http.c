/* harness/dissect_http.c — HTTP/1.x messages (RFC 9112).
 *
 *   start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
 *
 * A message is listed at the packet that completes it, body included, as
 * Wireshark does with reassembly on. The body's length follows RFC 9112 6.3:
 * no body for responses to HEAD, 1xx, 204 and 304; chunked transfer coding;
 * Content-Length; else a request has none and a response runs to the close
 * (it is then listed at the FIN that ends it, as Wireshark does).
 * A 101 response ends HTTP on the stream: the WebSocket dissector, when the
 * request asked for it, takes over both directions.
 */
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/dissect.h"
#include "harness/json.h"
#include "harness/trace.h"

#define HEAD_MAX 65536 /* a longer head is an error, as servers treat it */

static const char *const http_fields[] = {
	"http",
	"http.request",
	"http.response",
	"http.request.method",
	"http.request.uri",
	"http.request.version",
	"http.request.line",
	"http.response.version",
	"http.response.code",
	"http.response.phrase",
	"http.response.line",
	"http.host",
	"http.user_agent",
	"http.accept",
	"http.connection",
	"http.upgrade",
	"http.server",
	"http.content_type",
	"http.content_length",
	"http.content_length_header",
	"http.transfer_encoding",
	"http.sec_websocket_key",
	"http.sec_websocket_accept",
	"http.sec_websocket_version",
	"http.sec_websocket_protocol",
	"http.sec_websocket_extensions",
	"http.sec_websocket_accept_valid", /* wirelab: the accept matches the key */
	"http.header_length",		   /* wirelab: bytes of start line, fields and blank line */
	"http.body_length",		   /* wirelab: bytes of the message body */
	NULL,
};

/* Header fields recorded under their Wireshark names. */
static const struct {
	const char *header, *field;
} named[] = {
	{ "host", "http.host" },
	{ "user-agent", "http.user_agent" },
	{ "accept", "http.accept" },
	{ "connection", "http.connection" },
	{ "upgrade", "http.upgrade" },
	{ "server", "http.server" },
	{ "content-type", "http.content_type" },
	{ "transfer-encoding", "http.transfer_encoding" },
	{ "sec-websocket-key", "http.sec_websocket_key" },
	{ "sec-websocket-accept", "http.sec_websocket_accept" },
	{ "sec-websocket-version", "http.sec_websocket_version" },
	{ "sec-websocket-protocol", "http.sec_websocket_protocol" },
	{ "sec-websocket-extensions", "http.sec_websocket_extensions" },
};

enum body_kind { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_TO_CLOSE };

struct http_side {
	/* the message whose body is being read */
	int in_body;
	int is_response; /* the message is a response (its start line says) */
	enum body_kind body;
	uint64_t left;	 /* BODY_LENGTH: bytes to go; chunked: of this chunk */
	int chunk_state; /* 0 size line, 1 data, 2 CRLF after data, 3 trailers */
	uint64_t body_len;
	size_t head_len;
	char *head; /* a copy of the head, parsed again at completion */
};

struct http_state {
	struct http_side side[2];
	int head_requests; /* requests sent with HEAD still unanswered */
	int ws_requested;  /* a request asked for Upgrade: websocket */
	int switched;	   /* a 101 was seen: no more HTTP */
	char ws_key[64];   /* its Sec-WebSocket-Key */
	char ws_ext[160];  /* the 101's Sec-WebSocket-Extensions */
	int accept_check;  /* for the 101: 1 matches, -1 does not, 0 nothing to check */
	char accept_want[32];
};

/* RFC 6455 4.2.2: base64(SHA-1(key + the GUID)). */
static void ws_accept_for(const char *key, char out[32])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s%s", key, guid);

	SHA1((const unsigned char *)buf, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* A request line or a status line, whichever side sent it: a capture that
 * starts mid-connection may show the server's bytes first. */
static int http_detect(const uint8_t *data, size_t len, int dir)
{
	static const char *const methods[] = { "GET ",	 "POST ",    "HEAD ",	 "PUT ",  "DELETE ",
					       "PATCH ", "OPTIONS ", "CONNECT ", "TRACE " };
	size_t n;
	int undecided = 0;

	(void)dir;
	n = len < 7 ? len : 7;
	if (!memcmp(data, "HTTP/1.", n)) {
		if (len >= 7)
			return 1;
		undecided = 1;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t ml = strlen(methods[i]);

		n = len < ml ? len : ml;
		if (!memcmp(data, methods[i], n)) {
			if (len >= ml)
				return 1;
			undecided = 1;
		}
	}
	return undecided ? -1 : 0;
}

static void *http_open(void)
{
	return calloc(1, sizeof(struct http_state));
}

static void http_close(void *st)
{
	struct http_state *s = st;

	if (!s)
		return;
	free(s->side[0].head);
	free(s->side[1].head);
	free(s);
}

/* The end of the head: offset just past CRLF CRLF (or LF LF), 0 if absent. */
static size_t head_end(const uint8_t *d, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (d[i] != '\n')
			continue;
		if (d[i + 1] == '\n')
			return i + 2;
		if (d[i + 1] == '\r' && i + 2 < len && d[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The number that is all of [s, end), in base 10 or 16: digits only (no
 * sign, no blank: strtoull would skip blanks past the end of a head), at
 * least one, no overflow. 0, or -1 if it is not one. */
static int parse_uint(const char *s, const char *end, int base, uint64_t *out)
{
	uint64_t v = 0;

	if (s >= end)
		return -1;
	for (; s < end; s++) {
		int d = *s >= '0' && *s <= '9'		       ? *s - '0'
			: base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
			: base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
							       : -1;

		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static size_t trim_len(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

static int add_word(struct pkt *p, const char *name, const char **cur, const char *end)
{
	const char *s = *cur, *e = s;

	while (e < end && *e != ' ')
		e++;
	*cur = e < end ? e + 1 : e;
	return pkt_add_str(p, name, s, (size_t)(e - s));
}

/* Lists one message: its start line and fields, parsed from the kept head. */
static int list_message(struct pkt *p, int is_response, const char *head, size_t hlen,
			uint64_t body_len)
{
	const char *line = head, *end = head + hlen;
	const char *eol = memchr(line, '\n', hlen);
	size_t l0 = trim_len(line, eol ? (size_t)(eol - line) : hlen);
	const char *cur = line, *l0end = line + l0;

	if (pkt_add_group(p, "http") ||
	    pkt_add_int(p, is_response ? "http.response" : "http.request", 1))
		return -1;
	if (!is_response) {
		if (add_word(p, "http.request.method", &cur, l0end) ||
		    add_word(p, "http.request.uri", &cur, l0end) ||
		    pkt_add_str(p, "http.request.version", cur, (size_t)(l0end - cur)))
			return -1;
	} else {
		const char *code = NULL;
		uint64_t c = 0;

		if (add_word(p, "http.response.version", &cur, l0end))
			return -1;
		code = cur;
		while (cur < l0end && *cur != ' ')
			cur++;
		if (parse_uint(code, cur, 10, &c) || c > 999)
			c = 0; /* not a status code: start_message said so */
		if (pkt_add_int(p, "http.response.code", (int64_t)c))
			return -1;
		if (cur < l0end)
			cur++;
		if (pkt_add_str(p, "http.response.phrase", cur, (size_t)(l0end - cur)))
			return -1;
	}
	pkt_info_add(p, "%.*s", (int)l0, line);
	line = eol ? eol + 1 : end;
	while (line < end) {
		eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) + 1 : (size_t)(end - line);
		size_t tl = trim_len(line, ll - (eol ? 1 : 0));
		const char *colon = memchr(line, ':', tl);

		if (tl == 0)
			break;
		if (pkt_add_str(p, is_response ? "http.response.line" : "http.request.line", line,
				ll))
			return -1;
		if (colon) {
			size_t nl = (size_t)(colon - line);
			const char *v = colon + 1;

			while (v < line + tl && (*v == ' ' || *v == '\t'))
				v++;
			size_t vl = (size_t)(line + tl - v);

			for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if (strlen(named[i].header) == nl &&
				    !strncasecmp(line, named[i].header, nl) &&
				    pkt_add_str(p, named[i].field, v, vl))
					return -1;
			if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
				uint64_t n;

				if ((!parse_uint(v, v + vl, 10, &n) && n <= INT64_MAX &&
				     pkt_add_int(p, "http.content_length", (int64_t)n)) ||
				    pkt_add_str(p, "http.content_length_header", v, vl))
					return -1;
			}
		}
		line += ll;
	}
	if (pkt_add_int(p, "http.header_length", (int64_t)hlen) ||
	    pkt_add_int(p, "http.body_length", (int64_t)body_len))
		return -1;
	return 0;
}

/* A header's value in the head, or NULL. */
static const char *header_value(const char *head, size_t hlen, const char *name, size_t *vl)
{
	size_t nl = strlen(name);
	const char *line = memchr(head, '\n', hlen), *end = head + hlen;

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t tl = trim_len(line, eol ? (size_t)(eol - line) : (size_t)(end - line));

		if (tl > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
			const char *v = line + nl + 1;

			while (v < line + tl && (*v == ' ' || *v == '\t'))
				v++;
			*vl = (size_t)(line + tl - v);
			return v;
		}
		line = eol;
	}
	return NULL;
}

static int value_has_token(const char *v, size_t vl, const char *tok)
{
	size_t tl = strlen(tok);

	for (size_t i = 0; v && i + tl <= vl; i++)
		if (!strncasecmp(v + i, tok, tl) && (i == 0 || !isalnum((unsigned char)v[i - 1])) &&
		    (i + tl == vl || !isalnum((unsigned char)v[i + tl])))
			return 1;
	return 0;
}

/* The head's Content-Length (RFC 9110 8.6: 1*DIGIT; RFC 9112 6.3: several
 * that differ are an error): 0 with *n, 1 if there is none, -1 (an error
 * on p) if it is not a length. */
static int content_length(const char *head, size_t hlen, uint64_t *n, struct pkt *p)
{
	const char *line = memchr(head, '\n', hlen), *end = head + hlen;
	int seen = 0;

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t tl = trim_len(line, eol ? (size_t)(eol - line) : (size_t)(end - line));
		uint64_t v;

		if (tl > 14 && line[14] == ':' && !strncasecmp(line, "Content-Length", 14)) {
			const char *s = line + 15, *e = line + tl;

			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			if (parse_uint(s, e, 10, &v)) {
				pkt_proto_error(p, "http: invalid Content-Length");
				return -1;
			}
			if (seen && v != *n) {
				pkt_proto_error(
					p,
					"http: Content-Length given twice, %llu and %llu (RFC "
					"9112 6.3: an error)",
					(unsigned long long)*n, (unsigned long long)v);
				return -1;
			}
			*n = v;
			seen = 1;
		}
		line = eol;
	}
	return seen ? 0 : 1;
}

/* Parses a complete head: keeps it and decides how the body is delimited. */
static int start_message(struct http_state *s, int dir, const uint8_t *data, size_t hl,
			 struct pkt *p)
{
	struct http_side *sd = &s->side[dir];
	const char *h = (const char *)data;
	const char *v;
	size_t vl = 0;
	int code = 0;

	sd->head = malloc(hl);
	if (!sd->head)
		return -1;
	memcpy(sd->head, data, hl);
	sd->head_len = hl;
	sd->body_len = 0;
	sd->chunk_state = 0;
	sd->in_body = 1;
	sd->is_response = hl >= 5 && !memcmp(h, "HTTP/", 5);
	if (sd->is_response) {
		uint64_t c = 0;

		if (hl < 12 || memcmp(h, "HTTP/1.", 7) || parse_uint(h + 9, h + 12, 10, &c))
			pkt_proto_error(p, "http: malformed status line");
		else
			code = (int)c;
	} else {
		if (hl > 5 && !memcmp(h, "HEAD ", 5))
			s->head_requests++;
		v = header_value(h, hl, "Upgrade", &vl);
		if (value_has_token(v, vl, "websocket")) {
			s->ws_requested = 1;
			v = header_value(h, hl, "Sec-WebSocket-Key", &vl);
			if (v && vl < sizeof(s->ws_key))
				snprintf(s->ws_key, sizeof(s->ws_key), "%.*s", (int)vl, v);
		}
	}
	s->accept_check = 0;
	if (sd->is_response && code == 101) {
		v = header_value(h, hl, "Sec-WebSocket-Extensions", &vl);
		snprintf(s->ws_ext, sizeof(s->ws_ext), "%.*s", v ? (int)vl : 0, v ? v : "");
	}
	if (sd->is_response && code == 101 && s->ws_key[0]) {
		ws_accept_for(s->ws_key, s->accept_want);
		v = header_value(h, hl, "Sec-WebSocket-Accept", &vl);
		s->accept_check =
			v && vl == strlen(s->accept_want) && !memcmp(v, s->accept_want, vl) ? 1
											    : -1;
	}
	if (sd->is_response &&
	    ((code >= 100 && code < 200) || code == 204 || code == 304 || s->head_requests > 0)) {
		if (s->head_requests > 0 && code >= 200)
			s->head_requests--;
		sd->body = BODY_NONE;
		if (code == 101)
			s->switched = 1;
		return 0;
	}
	v = header_value(h, hl, "Transfer-Encoding", &vl);
	if (value_has_token(v, vl, "chunked")) {
		sd->body = BODY_CHUNKED;
		return 0;
	}
	switch (content_length(h, hl, &sd->left, p)) {
	case 0:
		sd->body = sd->left ? BODY_LENGTH : BODY_NONE;
		return 0;
	case -1: /* RFC 9112 6.3: an error; a response then goes to the close */
		break;
	}
	sd->body = sd->is_response ? BODY_TO_CLOSE : BODY_NONE;
	return 0;
}

/* Consumes body bytes; returns bytes used, sets *done when the body ended. */
static size_t read_body(struct http_side *sd, const uint8_t *d, size_t len, int *done,
			struct pkt *p)
{
	size_t used = 0;

	*done = 0;
	switch (sd->body) {
	case BODY_NONE:
		*done = 1;
		return 0;
	case BODY_TO_CLOSE:
		sd->body_len += len;
		return len;
	case BODY_LENGTH:
		used = len < sd->left ? len : (size_t)sd->left;
		sd->left -= used;
		sd->body_len += used;
		*done = sd->left == 0;
		return used;
	case BODY_CHUNKED:
		break;
	}
	/* RFC 9112 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF */
	while (used < len && !*done) {
		const uint8_t *rest = d + used;
		size_t rl = len - used;
		const uint8_t *nl;

		switch (sd->chunk_state) {
		case 0:
			nl = memchr(rest, '\n', rl);
			if (!nl)
				return rl > 1024 ? (pkt_proto_error(
							    p, "http: chunk size line too long"),
						    sd->body = BODY_TO_CLOSE, len)
						 : used;
			{
				/* chunk-size [; ext] CRLF */
				const char *z = (const char *)rest, *ze = z;

				while (ze < (const char *)nl && isxdigit((unsigned char)*ze))
					ze++;
				if (parse_uint(z, ze, 16, &sd->left)) {
					pkt_proto_error(p, "http: invalid chunk size");
					sd->body = BODY_TO_CLOSE;
					sd->body_len += len - used;
					return len;
				}
			}
			used += (size_t)(nl - rest) + 1;
			sd->chunk_state = sd->left ? 1 : 3;
			break;
		case 1: {
			size_t n = rl < sd->left ? rl : (size_t)sd->left;

			used += n;
			sd->left -= n;
			sd->body_len += n;
			if (!sd->left)
				sd->chunk_state = 2;
			break;
		}
		case 2:
			nl = memchr(rest, '\n', rl);
			if (!nl)
				return used;
			used += (size_t)(nl - rest) + 1;
			sd->chunk_state = 0;
			break;
		case 3:
			/* trailer fields, then an empty line */
			nl = memchr(rest, '\n', rl);
			if (!nl)
				return used;
			if (nl == rest || (nl == rest + 1 && rest[0] == '\r'))
				*done = 1;
			used += (size_t)(nl - rest) + 1;
			break;
		}
	}
	return used;
}

static size_t http_feed(void *st, int dir, const uint8_t *data, size_t len, struct pkt *p,
			struct proto_io *io)
{
	struct http_state *s = st;
	struct http_side *sd = &s->side[dir];
	size_t used = 0;

	while (used < len) {
		if (s->switched) {
			if (s->ws_requested) {
				io->next = dissect_proto_by_name("websocket");
				snprintf(io->ctx, sizeof(io->ctx), "%s", s->ws_ext);
				return used;
			}
			return len; /* another protocol we do not dissect */
		}
		if (!sd->in_body) {
			size_t hl = head_end(data + used, len - used);

			if (!hl) {
				if (len - used > HEAD_MAX) {
					pkt_proto_error(p, "http: header longer than %d bytes",
							HEAD_MAX);
					s->switched = 1;
					return len;
				}
				return used;
			}
			if (start_message(s, dir, data + used, hl, p))
				return (size_t)-1;
			used += hl;
		}
		int done;
		size_t n = read_body(sd, data + used, len - used, &done, p);

		used += n;
		if (!done)
			return used;
		if (list_message(p, sd->is_response, sd->head, sd->head_len, sd->body_len))
			return (size_t)-1;
		if (s->ws_requested)
			io->carries |= 1u << TRACE_WEBSOCKET;
		if (sd->is_response && s->accept_check) {
			if (pkt_add_int(p, "http.sec_websocket_accept_valid", s->accept_check > 0))
				return (size_t)-1;
			if (s->accept_check < 0 &&
			    pkt_proto_error(
				    p,
				    "websocket: Sec-WebSocket-Accept does not match the key "
				    "(expected %s, RFC 6455 4.2.2)",
				    s->accept_want))
				return (size_t)-1;
			s->accept_check = 0;
		}
		free(sd->head);
		sd->head = NULL;
		sd->in_body = 0;
	}
	if (s->switched && s->ws_requested) {
		io->next = dissect_proto_by_name("websocket");
		snprintf(io->ctx, sizeof(io->ctx), "%s", s->ws_ext);
	}
	return used;
}

/* Appends s to line (at *n, at most cap - 1 bytes in all, as snprintf). */
static void line_add(char *line, size_t cap, size_t *n, const char *s, size_t len)
{
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(line + *n, s, len);
	*n += len;
}

static void jw_http(struct jw *w, const struct pkt *p)
{
	for (size_t i = 0; i < p->nfv; i++) {
		if (p->fv[i].type != PKT_FV_GROUP || strcmp(p->fv[i].name, "http"))
			continue;
		size_t end = pkt_group_end(p, i);
		const struct pkt_fv *m = pkt_group_field(p, i, end, "http.request.method");
		const struct pkt_fv *u = pkt_group_field(p, i, end, "http.request.uri");
		const struct pkt_fv *v = pkt_group_field(p, i, end, "http.request.version");
		const struct pkt_fv *c = pkt_group_field(p, i, end, "http.response.code");

		if (m && u && v) {
			/* "METHOD URI VERSION", cut at 511 bytes; each part
			 * ends at its first NUL, as "%s" reads it */
			char line[512];
			size_t n = 0;

			line_add(line, sizeof(line), &n, m->s, strlen(m->s));
			line_add(line, sizeof(line), &n, " ", 1);
			line_add(line, sizeof(line), &n, u->s, strlen(u->s));
			line_add(line, sizeof(line), &n, " ", 1);
			line_add(line, sizeof(line), &n, v->s, strlen(v->s));
			jw_lit(w, ", \"http\": {\"request\": ");
			jw_str(w, line, n);
			jw_lit(w, "}");
		} else if (c) {
			jw_lit(w, ", \"http\": {\"status\": ");
			jw_i64(w, c->i);
			jw_lit(w, "}");
		}
		return; /* the first message: INTERFACE.md has one object */
	}
}

static void json_http(FILE *out, const struct pkt *p)
{
	struct jw w;

	jw_init(&w, out);
	jw_http(&w, p);
	jw_flush(&w);
}

/* A response read to the close ends here. */
static int http_fin(void *st, int dir, struct pkt *p)
{
	struct http_state *s = st;
	struct http_side *sd = &s->side[dir];

	if (!sd->in_body || sd->body == BODY_NONE)
		return 0;
	if (sd->body == BODY_LENGTH)
		pkt_proto_error(
			p,
			"http: the %s's stream ends inside the body (%llu bytes of it, %llu to go)",
			dir ? "server" : "client", (unsigned long long)sd->body_len,
			(unsigned long long)sd->left);
	else if (sd->body == BODY_CHUNKED)
		pkt_proto_error(
			p, "http: the %s's stream ends inside a chunked body (%llu bytes of it)",
			dir ? "server" : "client", (unsigned long long)sd->body_len);
	if (list_message(p, sd->is_response, sd->head, sd->head_len, sd->body_len))
		return -1;
	free(sd->head);
	sd->head = NULL;
	sd->in_body = 0;
	return 0;
}

const struct proto proto_http = {
	.name = "http",
	.fields = http_fields,
	.detect = http_detect,
	.open = http_open,
	.close = http_close,
	.feed = http_feed,
	.fin = http_fin,
	.carries = 1u << TRACE_HTTP,
	.json = json_http,
	.jw = jw_http,
};

/* harness/dissect.c — link, IPv4/IPv6 and TCP, stream tracking, analysis
 * and in-order reassembly feeding the protocol dissectors.
 *
 * Relative numbers and analysis follow Wireshark's TCP dissector, so that a
 * student sees the same numbers in both tools:
 *   - each side's base is its SYN's sequence number, or (mid-stream) its first
 *     sequence number minus one; a side not seen yet takes the other side's
 *     acknowledgment number minus one (RFC 9293 3.4: the ISN is consumed by
 *     the SYN, "the ghost byte");
 *   - a segment that carries data or SYN/FIN and starts below the highest
 *     sequence number seen from its side is sent again: a fast
 *     retransmission if it follows two duplicate ACKs for it within 20 ms,
 *     out-of-order if it comes within the connection's first RTT (3 ms
 *     without a handshake) of the highest one, else a retransmission,
 *     spurious when the peer had already acknowledged it;
 *   - a pure ACK with the side's next sequence number, last ACK number and
 *     last (non-zero) window is a duplicate ACK; a segment of at most one
 *     byte one below the next expected sequence number is a keep-alive.
 */
#include "harness/dissect.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/rd.h"
#include "harness/trace.h"

/* pcap LINKTYPE_* values (https://www.tcpdump.org/linktypes.html). */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
	LT_DLT_RAW_BSD = 12, /* DLT_RAW on some BSDs; libpcap maps it to 101 */
};

#define REASM_MAX	(1u << 20) /* bytes a dissector may leave pending per side */
#define PENDING_MAX	16	   /* out-of-order segments kept per side */
#define OOO_WINDOW_US	3000	   /* out-of-order threshold without a handshake */
#define FAST_RETRANS_US 20000	   /* a fast retransmission follows its dup ACKs within */

/* Found by their first bytes. */
static const struct proto *const protos[] = { &proto_http, &proto_ssh, &proto_tls };
/* Reached by an upgrade from another protocol; their fields count too. */
static const struct proto *const upgrades[] = { &proto_websocket };

const struct proto *dissect_proto_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(upgrades) / sizeof(upgrades[0]); i++)
		if (upgrades[i] && !strcmp(upgrades[i]->name, name))
			return upgrades[i];
	return NULL;
}

struct seg {
	uint32_t seq;
	uint8_t *data;
	uint32_t len;
};

struct half {
	uint8_t addr[16];
	uint16_t port;
	int base_set;
	uint32_t base;
	int max_set;
	uint32_t max_end; /* raw: highest seq + len (+SYN/FIN) seen */
	int64_t max_ts;
	int ack_set;
	uint32_t last_ack;
	int64_t last_ack_ts;
	unsigned dupacks; /* duplicate ACKs in a row */
	uint16_t last_win;
	int fin, rst;
	int wscale; /* -1: no SYN seen; -2: SYN without WS; else the shift */
	/* reassembly */
	int next_set;
	uint32_t next; /* raw seq of the next byte to append */
	uint8_t *buf;  /* bytes the protocol has not consumed */
	size_t len, cap;
	struct seg *pending; /* PENDING_MAX of them, allocated at the first */
	size_t npending;
	int detect_done;
	int overflow; /* gave up reassembling this side */
};

struct stream {
	int32_t id;
	uint8_t ipver;
	struct half h[2]; /* PKT_DIR_CLIENT, PKT_DIR_SERVER */
	const struct proto *proto;
	void *pstate;
	unsigned carries;
	int64_t syn_ts, first_rtt_us;
	int released;		    /* closed: reassembly and protocol state freed */
	int probe;		    /* dissect_stream_probe: what it carries of probe_kind */
	enum trace_kind probe_kind; /* is all that matters; dropped: that is known, */
	int dropped;		    /* the stream is numbered and analysed, no more */
	struct stream *hnext;	    /* hash chain */
};

struct dissect {
	int linktype;
	int64_t first_ts;
	uint32_t nframes;
	struct stream **streams; /* by id */
	int32_t nstreams, capstreams;
	struct stream **hash;
	size_t hsize;
};

int dissect_linktype_supported(int linktype)
{
	switch (linktype) {
	case LT_NULL:
	case LT_EN10MB:
	case LT_RAW:
	case LT_DLT_RAW_BSD:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2:
		return 1;
	}
	return 0;
}

int dissect_new(int linktype, struct dissect **out, char *err, size_t errlen)
{
	struct dissect *d;

	if (!dissect_linktype_supported(linktype)) {
		snprintf(err, errlen, "unsupported link-layer type %d", linktype);
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->linktype = linktype;
	d->hsize = 1024;
	d->hash = calloc(d->hsize, sizeof(*d->hash));
	if (!d->hash)
		goto nomem;
	*out = d;
	return 0;
nomem:
	free(d);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void half_free(struct half *h)
{
	free(h->buf);
	for (size_t i = 0; i < h->npending; i++)
		free(h->pending[i].data);
	free(h->pending);
}

static void stream_free(struct stream *s)
{
	if (!s)
		return;
	if (s->proto && s->pstate)
		s->proto->close(s->pstate);
	half_free(&s->h[0]);
	half_free(&s->h[1]);
	free(s);
}

void dissect_free(struct dissect *d)
{
	if (!d)
		return;
	for (int32_t i = 0; i < d->nstreams; i++)
		stream_free(d->streams[i]);
	free(d->streams);
	free(d->hash);
	free(d);
}

int32_t dissect_nstreams(const struct dissect *d)
{
	return d->nstreams;
}

unsigned dissect_stream_carries(const struct dissect *d, int32_t stream)
{
	if (stream < 0 || stream >= d->nstreams)
		return 0;
	return d->streams[stream]->carries;
}

/* Which protocols have a message (a group) in the packet, as bits of
 * protos[] then upgrades[]. */
static unsigned groups_present(const struct pkt *p)
{
	const size_t np = sizeof(protos) / sizeof(protos[0]);
	unsigned m = 0;

	for (size_t i = 0; i < p->nfv; i++) {
		if (p->fv[i].type != PKT_FV_GROUP)
			continue;
		for (size_t j = 0; j < np; j++)
			if (!strcmp(p->fv[i].name, protos[j]->name))
				m |= 1u << j;
		for (size_t j = 0; j < sizeof(upgrades) / sizeof(upgrades[0]); j++)
			if (!strcmp(p->fv[i].name, upgrades[j]->name))
				m |= 1u << (np + j);
	}
	return m;
}

void dissect_json(struct jw *w, const struct pkt *p)
{
	const size_t np = sizeof(protos) / sizeof(protos[0]);
	/* Every protocol's keys come from its messages: only those present
	 * are asked. */
	unsigned m = p->nfv ? groups_present(p) : 0;

	for (size_t i = 0; i < np; i++)
		if (m & (1u << i))
			protos[i]->jw(w, p);
	for (size_t i = 0; i < sizeof(upgrades) / sizeof(upgrades[0]); i++)
		if (m & (1u << (np + i)))
			upgrades[i]->jw(w, p);
}

/* Fields the TCP layer adds to the list (its header values are members). */
static const char *const tcp_fields[] = { "wl.error", "tcp.options.sack_le", "tcp.options.sack_re",
					  "tcp.options.sack.dsack", NULL };

int dissect_field_known(const char *name)
{
	for (const char *const *f = tcp_fields; *f; f++)
		if (!strcmp(*f, name))
			return 1;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		for (const char *const *f = protos[i]->fields; *f; f++)
			if (!strcmp(*f, name))
				return 1;
	for (size_t i = 0; i < sizeof(upgrades) / sizeof(upgrades[0]); i++)
		for (const char *const *f = upgrades[i] ? upgrades[i]->fields : NULL; f && *f; f++)
			if (!strcmp(*f, name))
				return 1;
	return 0;
}

/* Text of bounded length, as snprintf writes it (cut at cap - 1 bytes,
 * NUL-terminated) but without its format parsing: the Info and options
 * text of every TCP packet. n counts what was asked for, as snprintf's
 * return value does. */
struct sb {
	char *buf;
	size_t cap, n;
};

static inline void sb_mem(struct sb *b, const char *s, size_t len)
{
	if (len < b->cap - b->n && b->n < b->cap) {
		memcpy(b->buf + b->n, s, len); /* the common case: it fits */
		b->n += len;
		b->buf[b->n] = '\0';
		return;
	}
	if (b->n < b->cap) {
		size_t k = b->cap - 1 - b->n;

		if (len < k)
			k = len;
		memcpy(b->buf + b->n, s, k);
		b->buf[b->n + k] = '\0';
	}
	b->n += len;
}

#define sb_lit(b, lit) sb_mem((b), "" lit, sizeof(lit) - 1)

static void sb_u32(struct sb *b, uint32_t v)
{
	char d[20], *s = json_digits(d + sizeof(d), v);

	sb_mem(b, s, (size_t)(d + sizeof(d) - s));
}

void pkt_info_add(struct pkt *p, const char *fmt, ...)
{
	size_t n = strlen(p->info);
	va_list ap;

	if (n && n + 2 < sizeof(p->info)) {
		memcpy(p->info + n, ", ", 3);
		n += 2;
	}
	if (n >= sizeof(p->info) - 1)
		return;
	va_start(ap, fmt);
	if (!strcmp(fmt, "%s")) {
		/* Most protocol texts are names: no vsnprintf for them. */
		struct sb b = { p->info, sizeof(p->info), n };
		const char *s = va_arg(ap, const char *);

		sb_mem(&b, s, strlen(s));
	} else {
		vsnprintf(p->info + n, sizeof(p->info) - n, fmt, ap);
	}
	va_end(ap);
}

int pkt_proto_error(struct pkt *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pkt_info_add(p, "[%s]", msg);
	return pkt_add_str(p, "wl.error", msg, strlen(msg));
}

/* ---- link layer ---- */

/* Leaves r at the network header and returns its ethertype (0x0800, 0x86dd),
 * 0 for a frame that is not IP, -1 if truncated. */
static int link_decode(int linktype, struct rd *r, struct pkt *p)
{
	uint16_t et = 0;
	uint32_t af;
	uint8_t v;

	switch (linktype) {
	case LT_EN10MB:
		if (rd_skip(r, 12) || rd_be16(r, &et))
			goto trunc;
		/* 802.1Q / 802.1ad tags, possibly stacked */
		while (et == 0x8100 || et == 0x88a8) {
			if (rd_skip(r, 2) || rd_be16(r, &et))
				goto trunc;
		}
		if (et == 0x0806)
			snprintf(p->info, sizeof(p->info), "ARP");
		return et == 0x0800 || et == 0x86dd ? et : 0;
	case LT_LINUX_SLL:
		/* packet type, ARPHRD, addr len, 8 addr bytes, protocol */
		if (rd_skip(r, 14) || rd_be16(r, &et))
			goto trunc;
		return et == 0x0800 || et == 0x86dd ? et : 0;
	case LT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, addr len, 8 addr */
		if (rd_be16(r, &et) || rd_skip(r, 18))
			goto trunc;
		return et == 0x0800 || et == 0x86dd ? et : 0;
	case LT_NULL:
	case LT_LOOP:
		/* 4-byte address family, host order for NULL, network for LOOP;
		 * AF_INET is 2 everywhere, AF_INET6 is 10, 24, 28 or 30. */
		if (linktype == LT_LOOP ? rd_be32(r, &af) : rd_le32(r, &af))
			goto trunc;
		if (linktype == LT_NULL && af > 0xffff) /* written on a big-endian host */
			af = __builtin_bswap32(af);
		if (af == 2)
			return 0x0800;
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return 0x86dd;
		return 0;
	case LT_RAW:
	case LT_DLT_RAW_BSD:
		if (rd_left(r) < 1)
			goto trunc;
		v = r->p[0] >> 4;
		return v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0;
	case LT_IPV4:
		return 0x0800;
	case LT_IPV6:
		return 0x86dd;
	}
	return 0;
trunc:
	snprintf(p->err, sizeof(p->err), "link: truncated header");
	return -1;
}

/* ---- IP ---- */

/* Leaves tcp bounded by the IP payload; returns 1 for TCP, 0 for other
 * protocols (info set), -1 for a truncated/invalid header (err set). */
static int ipv4_decode(struct rd *r, uint32_t wire, struct pkt *p, struct rd *tcp, uint32_t *l4len)
{
	uint8_t vihl, ttl, proto;
	uint16_t total, frag;
	struct rd ip = *r;

	if (rd_u8(&ip, &vihl) || rd_skip(&ip, 1) || rd_be16(&ip, &total) || rd_skip(&ip, 2) ||
	    rd_be16(&ip, &frag) || rd_u8(&ip, &ttl) || rd_u8(&ip, &proto) || rd_skip(&ip, 2) ||
	    rd_copy(&ip, p->src, 4) || rd_copy(&ip, p->dst, 4)) {
		snprintf(p->err, sizeof(p->err), "ipv4: truncated header");
		return -1;
	}
	size_t ihl = (size_t)(vihl & 0x0f) * 4;

	if ((vihl >> 4) != 4 || ihl < 20 || total < ihl) {
		snprintf(p->err, sizeof(p->err),
			 "ipv4: invalid header (version %u, ihl %zu, length %u)", vihl >> 4, ihl,
			 total);
		return -1;
	}
	p->ipver = 4;
	p->ttl = ttl;
	p->iplen = total;
	/* More than the frame carried on the wire: an invalid header (not a
	 * capture cut short), read as far as the frame goes, as tshark does. */
	if (total > wire) {
		snprintf(p->err, sizeof(p->err),
			 "ipv4: total length %u exceeds the frame (%u bytes)", total, wire);
		if (wire < ihl)
			return -1;
		total = (uint16_t)wire;
	}
	/* Bound by the declared total length (Ethernet may pad short frames);
	 * a capture cut by the snaplen leaves less: the TCP layer says so. */
	struct rd body = *r;

	if (rd_left(&body) > total)
		body.end = body.p + total;
	if (rd_skip(&body, ihl)) {
		snprintf(p->err, sizeof(p->err), "ipv4: truncated options");
		return -1;
	}
	if ((frag & 0x1fff) || (frag & 0x2000)) {
		snprintf(p->info, sizeof(p->info), "IPv4 fragment (offset %u)",
			 (frag & 0x1fff) * 8);
		return 0;
	}
	*tcp = body;
	*l4len = total - (uint32_t)ihl;
	if (proto != 6) {
		snprintf(p->info, sizeof(p->info), "IPv4 protocol %u", proto);
		return 0;
	}
	return 1;
}

static int ipv6_decode(struct rd *r, uint32_t wire, struct pkt *p, struct rd *tcp, uint32_t *l4len)
{
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	struct rd ip = *r;

	if (rd_be32(&ip, &vtcfl) || rd_be16(&ip, &plen) || rd_u8(&ip, &nh) || rd_u8(&ip, &hlim) ||
	    rd_copy(&ip, p->src, 16) || rd_copy(&ip, p->dst, 16)) {
		snprintf(p->err, sizeof(p->err), "ipv6: truncated header");
		return -1;
	}
	if ((vtcfl >> 28) != 6) {
		snprintf(p->err, sizeof(p->err), "ipv6: invalid version %u", vtcfl >> 28);
		return -1;
	}
	p->ipver = 6;
	p->ttl = hlim;
	p->iplen = (uint16_t)(plen + 40 > 0xffff ? 0xffff : plen + 40);
	if ((uint32_t)plen + 40 > wire) {
		snprintf(p->err, sizeof(p->err),
			 "ipv6: payload length %u exceeds the frame (%u bytes)", plen, wire);
		plen = (uint16_t)(wire >= 40 ? wire - 40 : 0);
	}
	if (rd_left(&ip) > plen)
		ip.end = ip.p + plen;
	const uint8_t *l4start = ip.p;
	/* Extension headers (RFC 8200 4): hop-by-hop, routing, destination
	 * options share the (next header, length in 8-octet units) layout; a
	 * fragment header is 8 bytes and ends our interest. */
	for (int i = 0; i < 8; i++) {
		uint8_t next, hlen;

		if (nh == 0 || nh == 43 || nh == 60) {
			if (rd_u8(&ip, &next) || rd_u8(&ip, &hlen) || rd_skip(&ip, 6 + 8u * hlen)) {
				snprintf(p->err, sizeof(p->err),
					 "ipv6: truncated extension header");
				return -1;
			}
			nh = next;
			continue;
		}
		if (nh == 44) {
			snprintf(p->info, sizeof(p->info), "IPv6 fragment");
			return 0;
		}
		break;
	}
	*tcp = ip;
	*l4len = plen - (uint32_t)(ip.p - l4start);
	if (nh != 6) {
		if (nh == 58)
			snprintf(p->info, sizeof(p->info), "ICMPv6");
		else
			snprintf(p->info, sizeof(p->info), "IPv6 next header %u", nh);
		return 0;
	}
	return 1;
}

/* ---- streams ---- */

/* One end of a connection, a 32-bit word at a time (multiply, then fold
 * the high bits down: the table takes the low ones). */
static uint64_t end_hash(const uint8_t *addr, size_t alen, uint16_t port)
{
	uint64_t h = port;

	for (size_t i = 0; i < alen; i += 4) {
		uint32_t w;

		memcpy(&w, addr + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

/* Symmetric: the same stream hashes alike in both directions. */
static size_t tuple_hash(const struct pkt *p)
{
	size_t alen = p->ipver == 6 ? 16 : 4;

	return (size_t)(end_hash(p->src, alen, p->sport) ^ end_hash(p->dst, alen, p->dport));
}

static int half_is(const struct half *h, const struct pkt *p, int src)
{
	const uint8_t *a = src ? p->src : p->dst;

	if (h->port != (src ? p->sport : p->dport))
		return 0;
	/* constant lengths: compiled inline */
	return p->ipver == 6 ? !memcmp(h->addr, a, 16) : !memcmp(h->addr, a, 4);
}

static struct stream *stream_lookup(struct dissect *d, const struct pkt *p, int *dir)
{
	size_t slot = tuple_hash(p) & (d->hsize - 1);

	for (struct stream *s = d->hash[slot]; s; s = s->hnext) {
		if (s->ipver != p->ipver)
			continue;
		if (half_is(&s->h[0], p, 1) && half_is(&s->h[1], p, 0)) {
			*dir = PKT_DIR_CLIENT;
			return s;
		}
		if (half_is(&s->h[1], p, 1) && half_is(&s->h[0], p, 0)) {
			*dir = PKT_DIR_SERVER;
			return s;
		}
	}
	return NULL;
}

static int hash_grow(struct dissect *d)
{
	size_t nsize = d->hsize * 2;
	struct stream **nh = calloc(nsize, sizeof(*nh));

	if (!nh)
		return -1;
	/* Rehash the newest stream of each tuple last so it stays first. */
	for (int32_t i = 0; i < d->nstreams; i++) {
		struct stream *s = d->streams[i];
		struct pkt k;

		memset(&k, 0, sizeof(k));
		k.ipver = s->ipver;
		memcpy(k.src, s->h[0].addr, 16);
		memcpy(k.dst, s->h[1].addr, 16);
		k.sport = s->h[0].port;
		k.dport = s->h[1].port;
		size_t slot = tuple_hash(&k) & (nsize - 1);

		s->hnext = nh[slot];
		nh[slot] = s;
	}
	free(d->hash);
	d->hash = nh;
	d->hsize = nsize;
	return 0;
}

/* A new stream; the sender of p is its client unless p is a SYN-ACK (a
 * capture that missed the SYN). */
static struct stream *stream_new(struct dissect *d, const struct pkt *p, int *dir)
{
	struct stream *s = calloc(1, sizeof(*s));
	int c = (p->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK) ? 1 : 0;
	size_t alen = p->ipver == 6 ? 16 : 4;

	if (!s)
		return NULL;
	if (d->nstreams == d->capstreams) {
		int32_t cap = d->capstreams ? 2 * d->capstreams : 16;
		struct stream **n = realloc(d->streams, (size_t)cap * sizeof(*n));

		if (!n) {
			free(s);
			return NULL;
		}
		d->streams = n;
		d->capstreams = cap;
	}
	if ((size_t)d->nstreams >= d->hsize && hash_grow(d)) {
		free(s);
		return NULL;
	}
	s->id = d->nstreams;
	s->ipver = p->ipver;
	s->h[0].wscale = s->h[1].wscale = -1;
	memcpy(s->h[c].addr, p->src, alen);
	s->h[c].port = p->sport;
	memcpy(s->h[!c].addr, p->dst, alen);
	s->h[!c].port = p->dport;
	d->streams[d->nstreams++] = s;
	size_t slot = tuple_hash(p) & (d->hsize - 1);

	s->hnext = d->hash[slot];
	d->hash[slot] = s;
	*dir = c ? PKT_DIR_SERVER : PKT_DIR_CLIENT;
	return s;
}

/* Wireshark starts a new stream when a SYN reuses the ports of a stream
 * that has closed, or one with another initial sequence number. */
static int stream_is_reused(const struct stream *s, const struct pkt *p, int dir)
{
	const struct half *h = &s->h[dir];

	if ((p->flags & (TCPF_SYN | TCPF_ACK)) != TCPF_SYN)
		return 0;
	if (s->h[0].rst || s->h[1].rst || (s->h[0].fin && s->h[1].fin))
		return 1;
	return h->base_set && h->base != p->seq_raw && h->max_set && h->max_end != h->base + 1;
}

/* ---- sequence analysis ---- */

static int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void analyse(struct stream *st, struct half *fwd, struct half *rev, struct pkt *p)
{
	uint32_t seglen = p->len + !!(p->flags & TCPF_SYN) + !!(p->flags & TCPF_FIN);
	uint32_t end = p->seq_raw + seglen;
	int ctl = p->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST);

	if (!fwd->base_set) {
		fwd->base = p->flags & TCPF_SYN ? p->seq_raw : p->seq_raw - 1;
		fwd->base_set = 1;
	}
	if (!rev->base_set && (p->flags & TCPF_ACK)) {
		rev->base = p->ack_raw - 1;
		rev->base_set = 1;
	}
	p->seq = p->seq_raw - fwd->base;
	p->nxtseq = p->seq + seglen;
	if (p->ack_valid)
		p->ack = p->ack_raw - rev->base;

	/* The connection's first RTT: SYN to the ACK that ends the handshake. */
	if ((p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && !st->syn_ts)
		st->syn_ts = p->ts_us;
	else if (st->syn_ts && !st->first_rtt_us && !(p->flags & TCPF_SYN) &&
		 (p->flags & TCPF_ACK) && p->dir == PKT_DIR_CLIENT)
		st->first_rtt_us = p->ts_us - st->syn_ts;

	if (fwd->max_set && seglen <= 1 && p->seq_raw == fwd->max_end - 1 && !ctl) {
		p->analysis |= PKT_AN_KEEP_ALIVE;
	} else if (fwd->max_set && seglen > 0 && seq_lt(p->seq_raw, fwd->max_end)) {
		/* Below the highest sequence number seen: sent again, in the
		 * order Wireshark tells the kinds apart. */
		int64_t ooo = st->first_rtt_us ? st->first_rtt_us : OOO_WINDOW_US;

		if (rev->dupacks >= 2 && rev->last_ack == p->seq_raw &&
		    p->ts_us - rev->last_ack_ts < FAST_RETRANS_US) {
			p->analysis |= PKT_AN_RETRANSMISSION | PKT_AN_FAST_RETRANSMISSION;
		} else if (p->ts_us - fwd->max_ts < ooo && fwd->max_end != end) {
			p->analysis |= PKT_AN_OUT_OF_ORDER;
		} else {
			p->analysis |= PKT_AN_RETRANSMISSION;
			/* data the peer had already acknowledged */
			if (p->len && rev->ack_set && !seq_lt(rev->last_ack, end))
				p->analysis |= PKT_AN_SPURIOUS_RETRANSMISSION;
		}
	}
	/* RFC 5681 2: an ACK that acknowledges nothing new, carries nothing
	 * and keeps the window: a duplicate (Wireshark's rule). */
	if (seglen == 0 && !ctl && p->ack_valid && p->win != 0 && fwd->ack_set &&
	    p->win == fwd->last_win && fwd->max_set && p->seq_raw == fwd->max_end &&
	    p->ack_raw == fwd->last_ack) {
		p->analysis |= PKT_AN_DUP_ACK;
		fwd->dupacks++;
	} else if (p->ack_valid && (!fwd->ack_set || p->ack_raw != fwd->last_ack || seglen)) {
		fwd->dupacks = 0;
	}
	if (p->win == 0 && !ctl)
		p->analysis |= PKT_AN_ZERO_WINDOW;

	if (!fwd->max_set || seq_lt(fwd->max_end, end)) {
		fwd->max_end = end;
		fwd->max_ts = p->ts_us;
		fwd->max_set = 1;
	}
	if (p->ack_valid) {
		if (!fwd->ack_set || p->ack_raw != fwd->last_ack || (p->analysis & PKT_AN_DUP_ACK))
			fwd->last_ack_ts = p->ts_us;
		fwd->last_ack = p->ack_raw;
		fwd->last_win = p->win;
		fwd->ack_set = 1;
	}
	if (p->flags & TCPF_FIN)
		fwd->fin = 1;
	if (p->flags & TCPF_RST)
		fwd->rst = 1;
}

/* ---- reassembly ---- */

static int buf_append(struct half *h, const uint8_t *data, size_t len)
{
	if (h->len + len > REASM_MAX) {
		h->overflow = 1;
		return 0;
	}
	if (h->len + len > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;

		while (cap < h->len + len)
			cap *= 2;
		uint8_t *n = realloc(h->buf, cap);

		if (!n)
			return -1;
		h->buf = n;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, len);
	h->len += len;
	return 0;
}

/* Appends the part of [seq, seq+len) that is new at h->next. */
static int append_inorder(struct half *h, uint32_t seq, const uint8_t *data, uint32_t len)
{
	uint32_t skip = h->next - seq;

	if (seq_lt(h->next, seq) || skip >= len)
		return 0;
	if (buf_append(h, data + skip, len - skip))
		return -1;
	h->next = seq + len;
	return 0;
}

static int pending_add(struct half *h, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (h->npending == PENDING_MAX)
		return 0; /* the hole stays; later data waits for nobody */
	if (!h->pending && !(h->pending = malloc(PENDING_MAX * sizeof(*h->pending))))
		return -1;
	uint8_t *copy = malloc(len);

	if (!copy)
		return -1;
	memcpy(copy, data, len);
	h->pending[h->npending].seq = seq;
	h->pending[h->npending].data = copy;
	h->pending[h->npending].len = len;
	h->npending++;
	return 0;
}

static int pending_drain(struct half *h)
{
	int progress = 1;

	while (progress) {
		progress = 0;
		for (size_t i = 0; i < h->npending; i++) {
			struct seg *sg = &h->pending[i];

			if (seq_lt(h->next, sg->seq))
				continue;
			if (append_inorder(h, sg->seq, sg->data, sg->len))
				return -1;
			free(sg->data);
			h->pending[i] = h->pending[--h->npending];
			progress = 1;
			break;
		}
	}
	return 0;
}

static int reassemble(struct half *h, const struct pkt *p, const uint8_t *data)
{
	uint32_t seq = p->seq_raw + !!(p->flags & TCPF_SYN);

	if (!h->next_set) {
		h->next = seq;
		h->next_set = 1;
	}
	if (h->overflow || p->len == 0)
		return 0;
	if (seq_lt(h->next, seq))
		return pending_add(h, seq, data, p->len);
	if (append_inorder(h, seq, data, p->len))
		return -1;
	return pending_drain(h);
}

/* Whether s carries kind: 1, 0 never, -1 not known yet (dissect.h). */
static int stream_has(const struct stream *s, enum trace_kind kind)
{
	if (kind == TRACE_ANY || (s->carries & (1u << kind)))
		return 1;
	/* Nothing more is dissected of a stripped stream. */
	if (s->released)
		return 0;
	/* HTTP, TLS and SSH are marked when the protocol is found, at most
	 * once a stream; WebSocket later, by an HTTP upgrade. */
	if (s->proto)
		return kind == TRACE_WEBSOCKET && s->proto == &proto_http ? -1 : 0;
	/* Each side is looked at until its first bytes tell. */
	return s->h[0].detect_done && s->h[1].detect_done ? 0 : -1;
}

/* Hands the side's new bytes to the stream's protocol dissector. */
static int feed_proto(struct stream *s, int dir, struct pkt *p)
{
	struct half *h = &s->h[dir];

	if (!s->proto) {
		if (h->detect_done)
			h->len = 0; /* not a protocol we know: keep nothing */
		if (h->len == 0)
			return 0;
		int undecided = 0;

		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
			int r = protos[i]->detect(h->buf, h->len, dir);

			if (r == 1) {
				s->proto = protos[i];
				break;
			}
			if (r < 0)
				undecided = 1;
		}
		if (!s->proto) {
			if (!undecided || h->len > 64) {
				h->detect_done = 1;
				h->len = 0; /* not a protocol we know: drop the bytes */
			}
			return 0;
		}
		s->pstate = s->proto->open();
		if (!s->pstate)
			return -1;
		s->carries |= s->proto->carries;
		if (s->probe && stream_has(s, s->probe_kind) >= 0)
			return 0; /* found what the probe asks: tcp_decode drops it */
	}
	for (int guard = 0; guard < 4 && h->len; guard++) {
		struct proto_io io = { NULL, 0, "" };
		size_t used = s->proto->feed(s->pstate, dir, h->buf, h->len, p, &io);
		const struct proto *next = io.next;

		if (used == (size_t)-1)
			return -1;
		s->carries |= io.carries;
		if (used > h->len)
			used = h->len;
		memmove(h->buf, h->buf + used, h->len - used);
		h->len -= used;
		if (next) {
			s->proto->close(s->pstate);
			s->proto = next;
			s->pstate = next->open();
			if (!s->pstate)
				return -1;
			if (next->upgraded)
				next->upgraded(s->pstate, io.ctx);
			s->carries |= next->carries;
			/* The other side may hold bytes of the new protocol. */
			if (feed_proto(s, !dir, p))
				return -1;
			continue;
		}
		if (used == 0)
			break;
	}
	return 0;
}

/* Frees the stream's bytes and protocol state: from now on it keeps only
 * what its numbering and analysis need. */
static void stream_strip(struct stream *s)
{
	for (int d = 0; d < 2; d++) {
		struct half *h = &s->h[d];

		half_free(h);
		h->buf = NULL;
		h->len = h->cap = 0;
		h->pending = NULL;
		h->npending = 0;
	}
	if (s->proto && s->pstate)
		s->proto->close(s->pstate);
	s->pstate = NULL;
	s->released = 1;
}

/* A stream that both sides closed (or that was reset) is stripped, so
 * memory follows the open connections, not every connection ever seen. */
static void stream_release(struct stream *s)
{
	if (s->released || !(s->h[0].rst || s->h[1].rst || (s->h[0].fin && s->h[1].fin)))
		return;
	for (int d = 0; d < 2; d++)
		if (s->h[d].len || s->h[d].npending)
			return; /* bytes still to be given to the protocol */
	stream_strip(s);
}

int dissect_stream_has(const struct dissect *d, int32_t stream, enum trace_kind kind)
{
	return stream_has(d->streams[stream], kind);
}

/* A probed stream whose answer is known is dropped. */
static void probe_done(struct stream *s)
{
	if (!s->probe || s->dropped || stream_has(s, s->probe_kind) < 0)
		return;
	s->dropped = 1;
	if (!s->released)
		stream_strip(s);
}

void dissect_stream_probe(struct dissect *d, int32_t stream, enum trace_kind kind)
{
	struct stream *s = d->streams[stream];

	if (s->probe)
		return;
	s->probe = 1;
	s->probe_kind = kind;
	probe_done(s);
}

/* ---- TCP ---- */

struct tcp_opts {
	int shift; /* window scale (RFC 7323 2.2); -2 without the option */
	int nsack;
	uint32_t sack[4][2]; /* raw left/right edges (RFC 2018) */
};

/* Options as Wireshark's Info lists them, and what the analysis needs. */
static void tcp_options(struct rd opt, char *out, size_t outlen, struct tcp_opts *to)
{
	struct sb b = { out, outlen, 0 };
	uint8_t kind, len;

	out[0] = '\0';
	to->shift = -2;
	to->nsack = 0;
	while (rd_u8(&opt, &kind) == 0 && kind != 0) {
		uint16_t mss;
		uint8_t ws;
		uint32_t tsv, tse;
		struct rd o;

		if (kind == 1)
			continue;
		if (rd_u8(&opt, &len) || len < 2 || rd_sub(&opt, len - 2u, &o))
			break;
		if (kind == 2 && !rd_be16(&o, &mss)) {
			sb_lit(&b, " MSS=");
			sb_u32(&b, mss);
		} else if (kind == 3 && !rd_u8(&o, &ws)) {
			to->shift = ws > 14 ? 14 : ws;
			sb_lit(&b, " WS=");
			sb_u32(&b, 1u << to->shift);
		} else if (kind == 4) {
			sb_lit(&b, " SACK_PERM");
		} else if (kind == 8 && !rd_be32(&o, &tsv) && !rd_be32(&o, &tse)) {
			sb_lit(&b, " TSval=");
			sb_u32(&b, tsv);
			sb_lit(&b, " TSecr=");
			sb_u32(&b, tse);
		} else if (kind == 5) {
			while (to->nsack < 4 && !rd_be32(&o, &to->sack[to->nsack][0]) &&
			       !rd_be32(&o, &to->sack[to->nsack][1]))
				to->nsack++;
		}
		if (b.n >= outlen)
			break;
	}
}

/* SACK blocks as Wireshark shows them: relative to the peer's base, with
 * D-SACK (RFC 2883: a first block below the ACK reports a duplicate). */
static int sack_fields(struct pkt *p, const struct tcp_opts *to, const struct half *rev)
{
	struct sb b = { p->opts, sizeof(p->opts), strlen(p->opts) };

	for (int i = 0; i < to->nsack; i++) {
		uint32_t le = to->sack[i][0] - rev->base, re = to->sack[i][1] - rev->base;

		if (pkt_add_int(p, "tcp.options.sack_le", le) ||
		    pkt_add_int(p, "tcp.options.sack_re", re))
			return -1;
		sb_lit(&b, " SLE=");
		sb_u32(&b, le);
		sb_lit(&b, " SRE=");
		sb_u32(&b, re);
	}
	if (to->nsack && p->ack_valid && seq_lt(to->sack[0][0], p->ack_raw) &&
	    pkt_add_int(p, "tcp.options.sack.dsack", 1))
		return -1;
	return 0;
}

static void tcp_info(const struct pkt *p, const char *opts, char *out, size_t outlen)
{
	static const char *const names[] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
	};
	static const int order[] = { 1, 0, 2, 3, 4, 5, 6, 7 }; /* Wireshark lists SYN first */
	struct sb b = { out, outlen, 0 };
	int any = 0;

	out[0] = '\0';
	if (p->analysis & PKT_AN_RETRANSMISSION)
		sb_lit(&b, "[TCP Retransmission] ");
	else if (p->analysis & PKT_AN_OUT_OF_ORDER)
		sb_lit(&b, "[TCP Out-Of-Order] ");
	else if (p->analysis & PKT_AN_KEEP_ALIVE)
		sb_lit(&b, "[TCP Keep-Alive] ");
	else if (p->analysis & PKT_AN_DUP_ACK)
		sb_lit(&b, "[TCP Dup ACK] ");
	sb_u32(&b, p->sport);
	sb_lit(&b, " → ");
	sb_u32(&b, p->dport);
	sb_lit(&b, " [");
	for (size_t i = 0; i < 8; i++) {
		if (!(p->flags & (1u << order[i])))
			continue;
		if (any++)
			sb_lit(&b, ", ");
		sb_mem(&b, names[order[i]], 3);
	}
	sb_lit(&b, "] Seq=");
	sb_u32(&b, p->seq);
	if (p->ack_valid) {
		sb_lit(&b, " Ack=");
		sb_u32(&b, p->ack);
	}
	sb_lit(&b, " Win=");
	sb_u32(&b, p->win_scaled);
	sb_lit(&b, " Len=");
	sb_u32(&b, p->len);
	sb_mem(&b, opts, strlen(opts));
}

static int tcp_decode(struct dissect *d, struct rd *r, uint32_t l4len, struct pkt *p)
{
	uint8_t off, flags;
	struct rd opt;
	int dir = PKT_DIR_CLIENT;
	struct tcp_opts to;
	struct stream *s;

	if (rd_be16(r, &p->sport) || rd_be16(r, &p->dport) || rd_be32(r, &p->seq_raw) ||
	    rd_be32(r, &p->ack_raw) || rd_u8(r, &off) || rd_u8(r, &flags) || rd_be16(r, &p->win) ||
	    rd_skip(r, 4)) {
		snprintf(p->err, sizeof(p->err), "tcp: truncated header");
		return 0;
	}
	p->hdrlen = (uint16_t)((off >> 4) * 4);
	if (p->hdrlen < 20) {
		snprintf(p->err, sizeof(p->err), "tcp: invalid data offset %u", p->hdrlen);
		return 0;
	}
	if (l4len < p->hdrlen) {
		snprintf(p->err, sizeof(p->err), "tcp: header length %u beyond the IP payload (%u)",
			 p->hdrlen, l4len);
		return 0;
	}
	if (rd_sub(r, p->hdrlen - 20u, &opt)) {
		snprintf(p->err, sizeof(p->err), "tcp: truncated options");
		return 0;
	}
	p->is_tcp = 1;
	p->flags = flags;
	p->ack_valid = !!(flags & TCPF_ACK);
	/* tcp.len comes from IP's length, as in Wireshark; a capture cut by
	 * its snaplen holds less, and that side is no longer reassembled. */
	const uint8_t *payload = r->p;
	uint32_t avail = (uint32_t)rd_left(r);

	p->len = l4len - p->hdrlen;
	s = stream_lookup(d, p, &dir);
	if (s && stream_is_reused(s, p, dir)) {
		/* Shadow the old stream: the new one is found first. */
		s = NULL;
	}
	if (!s) {
		s = stream_new(d, p, &dir);
		if (!s)
			return -1;
	}
	p->stream = s->id;
	p->dir = (int8_t)dir;
	if (s->dropped) {
		/* Nobody reads this packet: its stream's numbers are all
		 * that matter (stream_is_reused). */
		analyse(s, &s->h[dir], &s->h[!dir], p);
		return 0;
	}
	/* Nor a probed stream's: no text, no window scaling or SACK. */
	to.shift = -2;
	to.nsack = 0;
	if (!s->probe)
		tcp_options(opt, p->opts, sizeof(p->opts), &to);
	/* The window of a SYN is never scaled; later ones are when both SYNs
	 * carried the option (RFC 7323 2.2). */
	if (flags & TCPF_SYN)
		s->h[dir].wscale = to.shift;
	p->win_scaled = p->win;
	if (!(flags & TCPF_SYN) && s->h[dir].wscale >= 0 && s->h[!dir].wscale >= 0)
		p->win_scaled = (uint32_t)p->win << s->h[dir].wscale;
	analyse(s, &s->h[dir], &s->h[!dir], p);
	if (sack_fields(p, &to, &s->h[!dir]))
		return -1;
	if (avail < p->len) {
		snprintf(p->err, sizeof(p->err), "tcp: payload cut short (%u of %u bytes captured)",
			 avail, p->len);
		s->h[dir].overflow = 1;
	}
	if (!s->released && reassemble(&s->h[dir], p, payload))
		return -1;
	/* Only new bytes were appended, so a duplicate lists nothing twice. */
	if (!s->released && feed_proto(s, dir, p))
		return -1;
	probe_done(s);
	if (!s->released && (flags & TCPF_FIN) && !(p->analysis & PKT_AN_RETRANSMISSION) &&
	    !s->h[dir].npending && s->proto && s->proto->fin && s->proto->fin(s->pstate, dir, p))
		return -1;
	stream_release(s);
	if (!p->info[0] && !s->probe)
		tcp_info(p, p->opts, p->info, sizeof(p->info));
	return 0;
}

/* The texts are emptied, not cleared: a frame's reset costs as much as
 * the rest of its TCP dissection otherwise. */
static void pkt_reset(struct pkt *p)
{
	memset(p, 0, offsetof(struct pkt, info));
	p->info[0] = p->opts[0] = p->err[0] = '\0';
	p->nfv = 0;
	p->arena_len = 0;
	p->stream = -1;
	p->dir = PKT_DIR_NONE;
}

int dissect_frame(struct dissect *d, int64_t ts_us, uint32_t wirelen, const uint8_t *data,
		  uint32_t caplen, struct pkt *p)
{
	struct rd r = rd_make(data, caplen), l4;
	uint32_t l4len = 0;
	int et, ret;

	pkt_reset(p);
	p->n = ++d->nframes;
	if (p->n == 1)
		d->first_ts = ts_us;
	p->ts_us = ts_us;
	p->t = (double)(ts_us - d->first_ts) / 1e6;
	p->wirelen = wirelen;
	p->caplen = caplen;

	et = link_decode(d->linktype, &r, p);
	if (et <= 0) {
		if (et == 0 && !p->info[0])
			snprintf(p->info, sizeof(p->info), "not IP");
		return 0;
	}
	/* What the frame had on the wire from the IP header on (wirelen
	 * counts bytes a snaplen cut off; they were sent). */
	size_t link = (size_t)(r.p - data);
	uint32_t wire = wirelen > link ? wirelen - (uint32_t)link : 0;

	ret = et == 0x0800 ? ipv4_decode(&r, wire, p, &l4, &l4len)
			   : ipv6_decode(&r, wire, p, &l4, &l4len);
	if (ret <= 0)
		return 0;
	return tcp_decode(d, &l4, l4len, p);
}

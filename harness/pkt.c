/* harness/pkt.c — fields of a dissected frame by Wireshark name. */
#include "harness/pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"

/* Frame, IP and TCP fields live in struct pkt; each has a reader. */
enum pf_kind {
	PF_FRAME_NUMBER,
	PF_FRAME_TIME_REL,
	PF_FRAME_LEN,
	PF_IP_SRC,
	PF_IP_DST,
	PF_IP_ADDR,
	PF_IP_TTL,
	PF_IP_LEN,
	PF_TCP,
	PF_TCP_SRCPORT,
	PF_TCP_DSTPORT,
	PF_TCP_PORT,
	PF_TCP_STREAM,
	PF_TCP_FLAGS,
	PF_TCP_FLAG, /* one bit, in .bit */
	PF_TCP_SEQ,
	PF_TCP_ACK,
	PF_TCP_SEQ_RAW,
	PF_TCP_ACK_RAW,
	PF_TCP_NXTSEQ,
	PF_TCP_LEN,
	PF_TCP_HDR_LEN,
	PF_TCP_WIN,
	PF_TCP_WIN_SCALED,
	PF_TCP_ANALYSIS, /* one bit of analysis, in .bit; present only when set */
};

struct pf {
	const char *name;
	enum pf_kind kind;
	unsigned bit;
};

static const struct pf pfs[] = {
	{ "frame.number", PF_FRAME_NUMBER, 0 },
	{ "frame.time_relative", PF_FRAME_TIME_REL, 0 },
	{ "frame.len", PF_FRAME_LEN, 0 },
	{ "ip.src", PF_IP_SRC, 0 },
	{ "ip.dst", PF_IP_DST, 0 },
	{ "ip.addr", PF_IP_ADDR, 0 },
	{ "ip.ttl", PF_IP_TTL, 0 },
	{ "ip.len", PF_IP_LEN, 0 },
	{ "tcp", PF_TCP, 0 },
	{ "tcp.srcport", PF_TCP_SRCPORT, 0 },
	{ "tcp.dstport", PF_TCP_DSTPORT, 0 },
	{ "tcp.port", PF_TCP_PORT, 0 },
	{ "tcp.stream", PF_TCP_STREAM, 0 },
	{ "tcp.flags", PF_TCP_FLAGS, 0 },
	{ "tcp.flags.fin", PF_TCP_FLAG, TCPF_FIN },
	{ "tcp.flags.syn", PF_TCP_FLAG, TCPF_SYN },
	{ "tcp.flags.reset", PF_TCP_FLAG, TCPF_RST },
	{ "tcp.flags.push", PF_TCP_FLAG, TCPF_PSH },
	{ "tcp.flags.ack", PF_TCP_FLAG, TCPF_ACK },
	{ "tcp.flags.urg", PF_TCP_FLAG, TCPF_URG },
	{ "tcp.flags.ece", PF_TCP_FLAG, TCPF_ECE },
	{ "tcp.flags.cwr", PF_TCP_FLAG, TCPF_CWR },
	{ "tcp.seq", PF_TCP_SEQ, 0 },
	{ "tcp.ack", PF_TCP_ACK, 0 },
	{ "tcp.seq_raw", PF_TCP_SEQ_RAW, 0 },
	{ "tcp.ack_raw", PF_TCP_ACK_RAW, 0 },
	{ "tcp.nxtseq", PF_TCP_NXTSEQ, 0 },
	{ "tcp.len", PF_TCP_LEN, 0 },
	{ "tcp.hdr_len", PF_TCP_HDR_LEN, 0 },
	{ "tcp.window_size_value", PF_TCP_WIN, 0 },
	{ "tcp.window_size", PF_TCP_WIN_SCALED, 0 },
	{ "tcp.analysis.retransmission", PF_TCP_ANALYSIS, PKT_AN_RETRANSMISSION },
	{ "tcp.analysis.spurious_retransmission", PF_TCP_ANALYSIS, PKT_AN_SPURIOUS_RETRANSMISSION },
	{ "tcp.analysis.fast_retransmission", PF_TCP_ANALYSIS, PKT_AN_FAST_RETRANSMISSION },
	{ "tcp.analysis.duplicate_ack", PF_TCP_ANALYSIS, PKT_AN_DUP_ACK },
	{ "tcp.analysis.out_of_order", PF_TCP_ANALYSIS, PKT_AN_OUT_OF_ORDER },
	{ "tcp.analysis.keep_alive", PF_TCP_ANALYSIS, PKT_AN_KEEP_ALIVE },
	{ "tcp.analysis.zero_window", PF_TCP_ANALYSIS, PKT_AN_ZERO_WINDOW },
};

static const struct pf *pf_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pfs) / sizeof(pfs[0]); i++)
		if (!strcmp(pfs[i].name, name))
			return &pfs[i];
	return NULL;
}

static int set_int(struct fval *v, int64_t i)
{
	memset(v, 0, sizeof(*v));
	v->type = FVAL_INT;
	v->i = i;
	return 1;
}

/* Addresses are read as text ("198.18.0.1"); a per-thread buffer keeps the
 * string alive until the next address read of the thread. */
static int set_addr(struct fval *v, const struct pkt *p, const uint8_t *a)
{
	static __thread char buf[4][INET6_ADDRSTRLEN];
	static __thread unsigned slot;
	char *s = buf[slot++ % 4];

	if (!inet_ntop(p->ipver == 6 ? AF_INET6 : AF_INET, a, s, INET6_ADDRSTRLEN))
		return 0;
	memset(v, 0, sizeof(*v));
	v->type = FVAL_STR;
	v->s = s;
	v->slen = strlen(s);
	return 1;
}

static int read_pf(const struct pf *f, const struct pkt *p, size_t idx, struct fval *v)
{
	int two = f->kind == PF_IP_ADDR || f->kind == PF_TCP_PORT;

	if (idx > (two ? 1u : 0u))
		return 0;
	switch (f->kind) {
	case PF_FRAME_NUMBER:
		return set_int(v, p->n);
	case PF_FRAME_TIME_REL:
		set_int(v, 0);
		v->type = FVAL_REAL;
		v->d = p->t;
		return 1;
	case PF_FRAME_LEN:
		return set_int(v, p->wirelen);
	case PF_IP_SRC:
		return p->ipver ? set_addr(v, p, p->src) : 0;
	case PF_IP_DST:
		return p->ipver ? set_addr(v, p, p->dst) : 0;
	case PF_IP_ADDR:
		return p->ipver ? set_addr(v, p, idx ? p->dst : p->src) : 0;
	case PF_IP_TTL:
		return p->ipver ? set_int(v, p->ttl) : 0;
	case PF_IP_LEN:
		return p->ipver ? set_int(v, p->iplen) : 0;
	case PF_TCP:
		return p->is_tcp ? set_int(v, 1) : 0;
	case PF_TCP_SRCPORT:
		return p->is_tcp ? set_int(v, p->sport) : 0;
	case PF_TCP_DSTPORT:
		return p->is_tcp ? set_int(v, p->dport) : 0;
	case PF_TCP_PORT:
		return p->is_tcp ? set_int(v, idx ? p->dport : p->sport) : 0;
	case PF_TCP_STREAM:
		return p->is_tcp ? set_int(v, p->stream) : 0;
	case PF_TCP_FLAGS:
		return p->is_tcp ? set_int(v, p->flags) : 0;
	case PF_TCP_FLAG:
		return p->is_tcp ? set_int(v, (p->flags & f->bit) != 0) : 0;
	case PF_TCP_SEQ:
		return p->is_tcp ? set_int(v, p->seq) : 0;
	case PF_TCP_ACK:
		/* Without the ACK flag tshark reads tcp.ack as 0. */
		return p->is_tcp ? set_int(v, p->ack_valid ? p->ack : 0) : 0;
	case PF_TCP_SEQ_RAW:
		return p->is_tcp ? set_int(v, p->seq_raw) : 0;
	case PF_TCP_ACK_RAW:
		return p->is_tcp ? set_int(v, p->ack_raw) : 0;
	case PF_TCP_NXTSEQ:
		return p->is_tcp ? set_int(v, p->nxtseq) : 0;
	case PF_TCP_LEN:
		return p->is_tcp ? set_int(v, p->len) : 0;
	case PF_TCP_HDR_LEN:
		return p->is_tcp ? set_int(v, p->hdrlen) : 0;
	case PF_TCP_WIN:
		return p->is_tcp ? set_int(v, p->win) : 0;
	case PF_TCP_WIN_SCALED:
		return p->is_tcp ? set_int(v, p->win_scaled) : 0;
	case PF_TCP_ANALYSIS:
		/* Present only when set, as in Wireshark's tree. */
		return p->is_tcp && (p->analysis & f->bit) ? set_int(v, 1) : 0;
	}
	return 0;
}

int pkt_field(const struct pkt *p, const char *name, size_t idx, struct fval *v)
{
	const struct pf *f = pf_find(name);
	size_t seen = 0;

	if (f)
		return read_pf(f, p, idx, v);
	if (!dissect_field_known(name))
		return -1;
	for (size_t i = 0; i < p->nfv; i++) {
		const struct pkt_fv *fv = &p->fv[i];

		if (strcmp(fv->name, name))
			continue;
		if (seen++ != idx)
			continue;
		memset(v, 0, sizeof(*v));
		switch (fv->type) {
		case PKT_FV_GROUP:
			v->type = FVAL_INT;
			v->i = 1;
			break;
		case PKT_FV_INT:
			v->type = FVAL_INT;
			v->i = fv->i;
			break;
		case PKT_FV_STR:
			v->type = FVAL_STR;
			v->s = fv->s;
			v->slen = fv->slen;
			break;
		}
		return 1;
	}
	return 0;
}

int pkt_field_known(const char *name)
{
	return pf_find(name) || dissect_field_known(name);
}

static struct pkt_fv *fv_push(struct pkt *p, const char *name, enum pkt_fv_type type)
{
	if (p->nfv == p->cap_fv) {
		size_t cap = p->cap_fv ? 2 * p->cap_fv : 8;
		struct pkt_fv *n = realloc(p->fv, cap * sizeof(*n));

		if (!n)
			return NULL;
		p->fv = n;
		p->cap_fv = cap;
	}
	struct pkt_fv *fv = &p->fv[p->nfv++];

	memset(fv, 0, sizeof(*fv));
	fv->name = name;
	fv->type = type;
	return fv;
}

int pkt_add_group(struct pkt *p, const char *name)
{
	return fv_push(p, name, PKT_FV_GROUP) ? 0 : -1;
}

int pkt_add_int(struct pkt *p, const char *name, int64_t i)
{
	struct pkt_fv *fv = fv_push(p, name, PKT_FV_INT);

	if (!fv)
		return -1;
	fv->i = i;
	return 0;
}

/* Strings go to the arena as offsets first: the arena may move while the
 * packet grows, so fv->s is fixed up after every reallocation. */
int pkt_add_str(struct pkt *p, const char *name, const char *s, size_t len)
{
	if (p->arena_len + len + 1 > p->arena_cap) {
		size_t cap = p->arena_cap ? p->arena_cap : 256;

		while (cap < p->arena_len + len + 1)
			cap *= 2;
		char *n = realloc(p->arena, cap);

		if (!n)
			return -1;
		for (size_t i = 0; i < p->nfv; i++)
			if (p->fv[i].type == PKT_FV_STR)
				p->fv[i].s = n + (p->fv[i].s - p->arena);
		p->arena = n;
		p->arena_cap = cap;
	}
	struct pkt_fv *fv = fv_push(p, name, PKT_FV_STR);

	if (!fv)
		return -1;
	char *d = p->arena + p->arena_len;

	memcpy(d, s, len);
	d[len] = '\0';
	p->arena_len += len + 1;
	fv->s = d;
	fv->slen = (uint32_t)len;
	return 0;
}

int pkt_copy(struct pkt *dst, const struct pkt *src)
{
	*dst = *src;
	dst->fv = NULL;
	dst->arena = NULL;
	dst->nfv = dst->cap_fv = 0;
	dst->arena_len = dst->arena_cap = 0;
	if (src->nfv) {
		dst->fv = malloc(src->nfv * sizeof(*dst->fv));
		if (!dst->fv)
			return -1;
		memcpy(dst->fv, src->fv, src->nfv * sizeof(*dst->fv));
		dst->nfv = dst->cap_fv = src->nfv;
	}
	if (src->arena_len) {
		dst->arena = malloc(src->arena_len);
		if (!dst->arena) {
			pkt_clear(dst);
			return -1;
		}
		memcpy(dst->arena, src->arena, src->arena_len);
		dst->arena_len = dst->arena_cap = src->arena_len;
		for (size_t i = 0; i < dst->nfv; i++)
			if (dst->fv[i].type == PKT_FV_STR)
				dst->fv[i].s = dst->arena + (src->fv[i].s - src->arena);
	}
	return 0;
}

void pkt_clear(struct pkt *p)
{
	free(p->fv);
	free(p->arena);
	p->fv = NULL;
	p->arena = NULL;
	p->nfv = p->cap_fv = 0;
	p->arena_len = p->arena_cap = 0;
}

size_t pkt_group_end(const struct pkt *p, size_t i)
{
	size_t j = i + 1;

	while (j < p->nfv && p->fv[j].type != PKT_FV_GROUP)
		j++;
	return j;
}

const struct pkt_fv *pkt_group_field(const struct pkt *p, size_t i, size_t end, const char *name)
{
	for (size_t j = i + 1; j < end && j < p->nfv; j++)
		if (!strcmp(p->fv[j].name, name))
			return &p->fv[j];
	return NULL;
}

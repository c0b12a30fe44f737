/* tests/bench/gen_capture.c — a big capture made of wirelab's own: the TCP
 * connections of the lab captures given as templates (what `wirelab run
 * --out DIR` wrote), replayed again and again, each copy a connection of its
 * own, until the output holds at least N packets.
 *
 *     gen_capture -n PACKETS -o OUT.pcap [-g GAP_US] TEMPLATE.pcap...
 *
 * Copy c of a template (the templates are taken in turn) keeps every byte of
 * its packets except what makes it a different connection:
 *   - the client's port is 1024 + c % 64512, and from the 64513th copy on the
 *     client's address moves to 198.19.X.Y (still the benchmarking range), so
 *     no two copies share a 4-tuple;
 *   - each side's sequence numbers move by a per-copy offset (SEQ, ACK and
 *     SACK blocks alike: RFC 2018 blocks are in the peer's space), and so do
 *     the timestamp values (RFC 7323 TSval/TSecr), so relative numbers and
 *     the analysis come out exactly as in the template;
 *   - timestamps move to the copy's start, GAP_US (default 500) after the
 *     previous copy's, so connections overlap as they would on a busy link;
 *     the output is in time order (a merge over the open copies);
 *   - IPv4 and TCP checksums are computed again (a template checksum that was
 *     already wrong stays wrong: the offload case).
 * Payloads (HTTP, WebSocket, TLS, SSH) are untouched, so the dissectors see
 * the same messages in every copy. Only the template's connection is copied
 * (the first TCP stream, identified by its SYN); other frames are skipped.
 * Links: Ethernet (veth), Linux cooked v1/v2, raw IP; IPv4 only (the labs').
 *
 * Links nothing but libpcap. Exit 0, 2 on bad usage or input.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PORTS	  64512u /* client ports 1024..65535 */
#define MAX_TPL	  256
#define SNAPLEN	  262144
#define TCPF_SYN  0x02
#define TCPF_ACK  0x10
#define GAP_US_DF 500

struct frame {
	int64_t dt_us; /* since the template's first frame */
	uint32_t caplen, wirelen;
	uint32_t l3;  /* offset of the IPv4 header */
	int from_cli; /* sent by the template's client */
	uint8_t *data;
};

struct tpl {
	const char *path;
	struct frame *f;
	size_t n;
	uint8_t cli_addr[4], srv_addr[4];
	uint16_t cli_port, srv_port;
};

/* One copy being written: the template, its offsets, the next frame. */
struct conn {
	const struct tpl *t;
	int64_t start_us;
	size_t next;
	uint32_t id;
	uint32_t seq_off[2]; /* [0] client, [1] server */
	uint32_t ts_off[2];
	uint8_t cli_addr[4];
	uint16_t cli_port;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Where the IPv4 header starts for this link type, or -1 (not IPv4). */
static long l3_offset(int dlt, const uint8_t *d, uint32_t caplen)
{
	switch (dlt) {
	case DLT_EN10MB: {
		uint32_t off = 12;

		while (off + 2 <= caplen && (get16(d + off) == 0x8100 || get16(d + off) == 0x88a8))
			off += 4;
		return off + 2 <= caplen && get16(d + off) == 0x0800 ? (long)off + 2 : -1;
	}
	case DLT_LINUX_SLL:
		return caplen >= 16 && get16(d + 14) == 0x0800 ? 16 : -1;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return caplen >= 20 && get16(d) == 0x0800 ? 20 : -1;
#endif
	case DLT_RAW:
		return caplen >= 1 && (d[0] >> 4) == 4 ? 0 : -1;
	default:
		return -1;
	}
}

/* The frame's IPv4+TCP header offsets if it is a whole (unfragmented)
 * IPv4 TCP segment with complete headers; else -1. */
static int tcp_at(const uint8_t *d, uint32_t caplen, uint32_t l3, uint32_t *l4)
{
	if (caplen < l3 + 20 || (d[l3] >> 4) != 4 || d[l3 + 9] != 6)
		return -1;
	uint32_t ihl = (d[l3] & 0x0fu) * 4;

	if (ihl < 20 || caplen < l3 + ihl + 20 || (get16(d + l3 + 6) & 0x3fff))
		return -1;
	*l4 = l3 + ihl;
	return 0;
}

/* RFC 1071 sum of len bytes, folded later. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (; len > 1; p += 2, len -= 2)
		s += get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Sum of the IPv4 header / of the TCP segment with its pseudo-header, with
 * the checksum field as it is: 0 when the checksum is right. */
static uint16_t ip_check(const uint8_t *ip, uint32_t ihl)
{
	return fold(sum16(ip, ihl, 0));
}

static uint16_t tcp_check(const uint8_t *ip, const uint8_t *tcp, uint32_t tcplen)
{
	uint32_t s = sum16(ip + 12, 8, 0) + 6 + tcplen;

	return fold(sum16(tcp, tcplen, s));
}

static int load_tpl(const char *path, int *dlt, struct tpl *t)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	int64_t first = 0;
	size_t cap = 0;
	int r, ret = -1, have_conn = 0;

	memset(t, 0, sizeof(*t));
	t->path = path;
	if (!pc) {
		fprintf(stderr, "gen_capture: %s\n", errbuf);
		return -1;
	}
	if (*dlt < 0)
		*dlt = pcap_datalink(pc);
	if (pcap_datalink(pc) != *dlt) {
		fprintf(stderr, "gen_capture: %s: link type %d, the first template's is %d\n", path,
			pcap_datalink(pc), *dlt);
		goto out;
	}
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		long l3 = l3_offset(*dlt, d, h->caplen);
		uint32_t l4;
		int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;

		if (l3 < 0 || tcp_at(d, h->caplen, (uint32_t)l3, &l4))
			continue;
		const uint8_t *ip = d + l3, *tcp = d + l4;
		uint16_t sport = get16(tcp), dport = get16(tcp + 2);
		int from_cli;

		if (!have_conn) {
			/* The connection starts with the client's SYN. */
			if ((tcp[13] & (TCPF_SYN | TCPF_ACK)) != TCPF_SYN)
				continue;
			memcpy(t->cli_addr, ip + 12, 4);
			memcpy(t->srv_addr, ip + 16, 4);
			t->cli_port = sport;
			t->srv_port = dport;
			first = ts;
			have_conn = 1;
		}
		if (sport == t->cli_port && dport == t->srv_port &&
		    !memcmp(ip + 12, t->cli_addr, 4) && !memcmp(ip + 16, t->srv_addr, 4))
			from_cli = 1;
		else if (sport == t->srv_port && dport == t->cli_port &&
			 !memcmp(ip + 12, t->srv_addr, 4) && !memcmp(ip + 16, t->cli_addr, 4))
			from_cli = 0;
		else
			continue;
		if (t->n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct frame *nf = realloc(t->f, nc * sizeof(*nf));

			if (!nf)
				goto nomem;
			t->f = nf;
			cap = nc;
		}
		struct frame *f = &t->f[t->n];

		f->data = malloc(h->caplen);
		if (!f->data)
			goto nomem;
		memcpy(f->data, d, h->caplen);
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->l3 = (uint32_t)l3;
		f->from_cli = from_cli;
		f->dt_us = ts - first;
		if (f->dt_us < 0)
			f->dt_us = 0;
		t->n++;
	}
	if (r == -1) {
		fprintf(stderr, "gen_capture: %s: %s\n", path, pcap_geterr(pc));
		goto out;
	}
	if (t->n == 0) {
		fprintf(stderr, "gen_capture: %s: no TCP connection that starts with a SYN\n",
			path);
		goto out;
	}
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "gen_capture: out of memory\n");
out:
	pcap_close(pc);
	return ret;
}

/* A small deterministic mix, so each copy has its own ISNs. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void conn_init(struct conn *c, const struct tpl *t, uint32_t id, int64_t start_us)
{
	uint32_t block = id / PORTS;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->id = id;
	c->start_us = start_us;
	c->cli_port = (uint16_t)(1024 + id % PORTS);
	memcpy(c->cli_addr, t->cli_addr, 4);
	if (block) {
		/* 198.19.0.0/16 is still 198.18.0.0/15 (RFC 2544). */
		c->cli_addr[0] = 198;
		c->cli_addr[1] = 19;
		c->cli_addr[2] = (uint8_t)(block >> 8);
		c->cli_addr[3] = (uint8_t)block;
	}
	/* The first copy keeps the template's numbers. */
	if (id >= 1) {
		c->seq_off[0] = mix32(2 * id);
		c->seq_off[1] = mix32(2 * id + 1);
		c->ts_off[0] = mix32(id ^ 0x5bd1e995U);
		c->ts_off[1] = mix32(id ^ 0x1b873593U);
	}
}

/* TSval/TSecr and SACK blocks in the options at opt[0..len). */
static void fix_options(uint8_t *opt, uint32_t len, uint32_t ts_own, uint32_t ts_peer,
			uint32_t seq_peer)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break;
		uint8_t olen = opt[i + 1];

		if (kind == 8 && olen == 10) {
			put32(opt + i + 2, get32(opt + i + 2) + ts_own);
			if (get32(opt + i + 6))
				put32(opt + i + 6, get32(opt + i + 6) + ts_peer);
		} else if (kind == 5) {
			for (uint32_t b = i + 2; b + 8 <= (uint32_t)i + olen; b += 8) {
				put32(opt + b, get32(opt + b) + seq_peer);
				put32(opt + b + 4, get32(opt + b + 4) + seq_peer);
			}
		}
		i += olen;
	}
}

/* Writes frame c->next of c's template as c's own. buf holds SNAPLEN bytes. */
static void emit(pcap_dumper_t *dump, struct conn *c, uint8_t *buf)
{
	const struct frame *f = &c->t->f[c->next];
	struct pcap_pkthdr h;
	uint32_t l4;
	int64_t ts = c->start_us + f->dt_us;
	int me = f->from_cli ? 0 : 1;

	memcpy(buf, f->data, f->caplen);
	if (tcp_at(buf, f->caplen, f->l3, &l4) == 0) {
		uint8_t *ip = buf + f->l3, *tcp = buf + l4;
		uint32_t ihl = l4 - f->l3, total = get16(ip + 2);
		uint32_t thl = (uint32_t)(tcp[12] >> 4) * 4;
		/* Checksums are redone only over what was captured whole. */
		int ip_ok = ip_check(ip, ihl) == 0;
		int tcp_whole = total >= ihl + 20 && f->l3 + total <= f->caplen;
		int tcp_ok = tcp_whole && tcp_check(ip, tcp, total - ihl) == 0;

		memcpy(ip + (f->from_cli ? 12 : 16), c->cli_addr, 4);
		put16(tcp + (f->from_cli ? 0 : 2), c->cli_port);
		put32(tcp + 4, get32(tcp + 4) + c->seq_off[me]);
		if (tcp[13] & TCPF_ACK)
			put32(tcp + 8, get32(tcp + 8) + c->seq_off[!me]);
		if (thl > 20 && l4 + thl <= f->caplen)
			fix_options(tcp + 20, thl - 20, c->ts_off[me], c->ts_off[!me],
				    c->seq_off[!me]);
		if (ip_ok) {
			put16(ip + 10, 0);
			put16(ip + 10, ip_check(ip, ihl));
		}
		if (tcp_ok) {
			put16(tcp + 16, 0);
			put16(tcp + 16, tcp_check(ip, tcp, total - ihl));
		}
	}
	h.ts.tv_sec = (time_t)(ts / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000);
	h.caplen = f->caplen;
	h.len = f->wirelen;
	pcap_dump((u_char *)dump, &h, buf);
	c->next++;
}

/* Min-heap of open copies by the time of their next frame. */
static int64_t next_ts(const struct conn *c)
{
	return c->start_us + c->t->f[c->next].dt_us;
}

static void heap_up(struct conn **hp, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (next_ts(hp[p]) <= next_ts(hp[i]))
			break;
		struct conn *x = hp[p];

		hp[p] = hp[i];
		hp[i] = x;
		i = p;
	}
}

static void heap_down(struct conn **hp, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && next_ts(hp[l]) < next_ts(hp[m]))
			m = l;
		if (r < n && next_ts(hp[r]) < next_ts(hp[m]))
			m = r;
		if (m == i)
			return;
		struct conn *x = hp[m];

		hp[m] = hp[i];
		hp[i] = x;
		i = m;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_capture -n PACKETS -o OUT.pcap [-g GAP_US] TEMPLATE.pcap...\n");
}

int main(int argc, char **argv)
{
	struct tpl *tpls = NULL;
	struct conn **heap = NULL;
	size_t ntpl = 0, nheap = 0, capheap = 0;
	const char *outpath = NULL;
	unsigned long long want = 0, admitted = 0, written = 0;
	long gap_us = GAP_US_DF;
	uint32_t nconn = 0;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	uint8_t *buf = NULL;
	int dlt = -1, c, ret = 2;
	int64_t base_us = 0;

	while ((c = getopt(argc, argv, "n:o:g:h")) != -1) {
		switch (c) {
		case 'n':
			want = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'g':
			gap_us = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!want || !outpath || gap_us < 0 || optind >= argc || argc - optind > MAX_TPL) {
		usage();
		return 2;
	}
	tpls = calloc((size_t)(argc - optind), sizeof(*tpls));
	buf = malloc(SNAPLEN);
	if (!tpls || !buf)
		goto nomem;
	for (int i = optind; i < argc; i++) {
		if (load_tpl(argv[i], &dlt, &tpls[ntpl]))
			goto out;
		ntpl++;
	}
	dead = pcap_open_dead(dlt, SNAPLEN);
	if (!dead || !(dump = pcap_dump_open(dead, outpath))) {
		fprintf(stderr, "gen_capture: %s: %s\n", outpath,
			dead ? pcap_geterr(dead) : "pcap_open_dead failed");
		goto out;
	}
	/* A fixed start: the same arguments make the same file. */
	base_us = 1700000000LL * 1000000;
	for (;;) {
		int64_t next_start = base_us + (int64_t)nconn * gap_us;

		/* Open every copy that starts before the earliest pending frame. */
		while (admitted < want && (nheap == 0 || next_start <= next_ts(heap[0]))) {
			const struct tpl *t = &tpls[nconn % ntpl];
			struct conn *cn = malloc(sizeof(*cn));

			if (!cn)
				goto nomem;
			if (nheap == capheap) {
				size_t nc = capheap ? 2 * capheap : 256;
				struct conn **nh = realloc(heap, nc * sizeof(*nh));

				if (!nh) {
					free(cn);
					goto nomem;
				}
				heap = nh;
				capheap = nc;
			}
			conn_init(cn, t, nconn, next_start);
			heap[nheap] = cn;
			heap_up(heap, nheap++);
			admitted += t->n;
			nconn++;
			next_start = base_us + (int64_t)nconn * gap_us;
		}
		if (nheap == 0)
			break;
		struct conn *top = heap[0];

		emit(dump, top, buf);
		written++;
		if (top->next == top->t->n) {
			free(top);
			heap[0] = heap[--nheap];
		}
		if (nheap)
			heap_down(heap, nheap, 0);
	}
	if (pcap_dump_flush(dump)) {
		fprintf(stderr, "gen_capture: %s: %s\n", outpath, strerror(errno));
		goto out;
	}
	printf("%llu packets, %u connections from %zu templates\n", written, nconn, ntpl);
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "gen_capture: out of memory\n");
out:
	for (size_t i = 0; i < nheap; i++)
		free(heap[i]);
	free(heap);
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	for (size_t i = 0; i < ntpl; i++) {
		for (size_t j = 0; j < tpls[i].n; j++)
			free(tpls[i].f[j].data);
		free(tpls[i].f);
	}
	free(tpls);
	free(buf);
	return ret;
}

/* tests/fuzz/seed.c — turns checked-in captures into seed inputs for the
 * stream fuzz targets, so each starts from real TLS, SSH and WebSocket
 * exchanges instead of from nothing.
 *
 *   seed tls|ssh|ws OUTDIR CAPTURE...
 *
 * Each TCP connection of each capture becomes one file in OUTDIR holding its
 * payload segments in capture order, in the target's own input format:
 *   tls  a flags byte (1: the target's key log is set), then chunks
 *        [dir << 7 | len][len bytes], len <= 127 (a segment becomes several)
 *   ssh  chunks [dir << 15 | len, big-endian 16 bits][len bytes]
 *   ws   as ssh, without the HTTP upgrade: each side's bytes up to and
 *        including its first blank line are left out
 * dir is 0 for the side that sent the SYN (or, without one, the side with
 * the higher port) and 1 for the other. Retransmitted bytes are written
 * again, as the target would see them from a capture: that is a fine seed.
 *
 * Only IPv4 and IPv6 over Ethernet, Linux cooked (v1, v2) and raw IP; the
 * seeds do not need more. Built by `make fuzz` with the host compiler.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONN 64

struct conn {
	uint8_t addr[2][16]; /* [0] the SYN's source, when seen */
	uint16_t port[2];
	int alen;
	int have_syn;
	FILE *out;
	int skipped[2]; /* ws: the upgrade's blank line seen on this side */
	int tail[2];	/* ws: how much of "\r\n\r\n" is matched */
};

static const char *mode;
static const char *outdir;
static struct conn conns[MAX_CONN];
static int nconn;
static unsigned long nfiles;

static const uint8_t *l3(int dlt, const uint8_t *p, size_t len, size_t *rest)
{
	size_t off;
	uint16_t et;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return NULL;
		et = (uint16_t)(p[12] << 8 | p[13]);
		off = 14;
		if (et == 0x8100 && len >= 18) {
			et = (uint16_t)(p[16] << 8 | p[17]);
			off = 18;
		}
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return NULL;
		et = (uint16_t)(p[14] << 8 | p[15]);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return NULL;
		et = (uint16_t)(p[0] << 8 | p[1]);
		off = 20;
		break;
	case DLT_RAW:
		if (len < 1)
			return NULL;
		et = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		off = 0;
		break;
	default:
		return NULL;
	}
	if (et != 0x0800 && et != 0x86dd)
		return NULL;
	*rest = len - off;
	return p + off;
}

static struct conn *find(const uint8_t *src, const uint8_t *dst, int alen, uint16_t sp, uint16_t dp,
			 int syn, int *dir)
{
	for (int i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];

		if (c->alen != alen)
			continue;
		for (int d = 0; d < 2; d++)
			if (!memcmp(c->addr[d], src, alen) && !memcmp(c->addr[!d], dst, alen) &&
			    c->port[d] == sp && c->port[!d] == dp) {
				*dir = d;
				return c;
			}
	}
	if (nconn == MAX_CONN)
		return NULL;
	struct conn *c = &conns[nconn++];

	memset(c, 0, sizeof(*c));
	c->alen = alen;
	/* [0] is the client: the SYN's sender, or the higher port */
	int swap = !syn && sp < dp;

	memcpy(c->addr[swap], src, alen);
	memcpy(c->addr[!swap], dst, alen);
	c->port[swap] = sp;
	c->port[!swap] = dp;
	c->have_syn = syn;
	*dir = swap;
	return c;
}

static int open_out(struct conn *c, const char *capture, int idx)
{
	char path[4096];
	const char *base = strrchr(capture, '/');

	snprintf(path, sizeof(path), "%s/%s-%d", outdir, base ? base + 1 : capture, idx);
	c->out = fopen(path, "wb");
	if (!c->out) {
		fprintf(stderr, "seed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!strcmp(mode, "tls"))
		fputc(1, c->out);
	nfiles++;
	return 0;
}

/* ws: drops each side's bytes up to its first "\r\n\r\n" */
static size_t skip_upgrade(struct conn *c, int dir, const uint8_t *p, size_t n)
{
	static const char end[] = "\r\n\r\n";
	size_t i = 0;

	while (!c->skipped[dir] && i < n) {
		c->tail[dir] = p[i] == (uint8_t)end[c->tail[dir]] ? c->tail[dir] + 1
			       : p[i] == '\r'			  ? 1
								  : 0;
		i++;
		if (c->tail[dir] == 4)
			c->skipped[dir] = 1;
	}
	return i;
}

static void emit(struct conn *c, int dir, const uint8_t *p, size_t n)
{
	if (!strcmp(mode, "ws")) {
		size_t s = skip_upgrade(c, dir, p, n);

		p += s;
		n -= s;
	}
	while (n) {
		size_t k;

		if (!strcmp(mode, "tls")) {
			k = n > 127 ? 127 : n;
			fputc(dir << 7 | (int)k, c->out);
		} else {
			k = n > 0x7fff ? 0x7fff : n;
			fputc(dir << 7 | (int)(k >> 8), c->out);
			fputc((int)(k & 0xff), c->out);
		}
		fwrite(p, 1, k, c->out);
		p += k;
		n -= k;
	}
}

static void packet(int dlt, const uint8_t *p, size_t len, const char *capture)
{
	size_t n, hl, tl;
	const uint8_t *ip = l3(dlt, p, len, &n);
	const uint8_t *src, *dst, *tcp;
	int alen, dir;

	if (!ip || n < 20)
		return;
	if ((ip[0] >> 4) == 4) {
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);

		hl = (size_t)(ip[0] & 15) * 4;
		if (ip[9] != 6 || hl < 20 || tot < hl || tot > n)
			return;
		n = tot;
		src = ip + 12;
		dst = ip + 16;
		alen = 4;
	} else {
		if (n < 40 || ip[6] != 6)
			return;
		hl = 40;
		n = 40 + (size_t)(ip[4] << 8 | ip[5]) > n ? n : 40 + (size_t)(ip[4] << 8 | ip[5]);
		src = ip + 8;
		dst = ip + 24;
		alen = 16;
	}
	if (n < hl + 20)
		return;
	tcp = ip + hl;
	tl = (size_t)(tcp[12] >> 4) * 4;
	if (tl < 20 || hl + tl > n)
		return;

	int syn = (tcp[13] & 0x12) == 0x02;
	struct conn *c = find(src, dst, alen, (uint16_t)(tcp[0] << 8 | tcp[1]),
			      (uint16_t)(tcp[2] << 8 | tcp[3]), syn, &dir);

	if (!c || n == hl + tl)
		return;
	if (!c->out && open_out(c, capture, (int)(c - conns)))
		return;
	emit(c, dir, tcp + tl, n - hl - tl);
}

static int one(const char *capture)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(capture, err);
	struct pcap_pkthdr *h;
	const uint8_t *d;

	if (!pc) {
		fprintf(stderr, "seed: %s\n", err);
		return -1;
	}
	nconn = 0;
	while (pcap_next_ex(pc, &h, &d) == 1)
		packet(pcap_datalink(pc), d, h->caplen, capture);
	for (int i = 0; i < nconn; i++)
		if (conns[i].out)
			fclose(conns[i].out);
	pcap_close(pc);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 4 ||
	    (strcmp(argv[1], "tls") && strcmp(argv[1], "ssh") && strcmp(argv[1], "ws"))) {
		fprintf(stderr, "usage: seed tls|ssh|ws OUTDIR CAPTURE...\n");
		return 2;
	}
	mode = argv[1];
	outdir = argv[2];
	for (int i = 3; i < argc; i++)
		rc |= one(argv[i]);
	printf("seed: %lu %s seeds in %s\n", nfiles, mode, outdir);
	return rc ? 1 : 0;
}

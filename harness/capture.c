/* harness/capture.c — pcap/pcapng reading and live recording via libpcap. */
#include "harness/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/dissect.h"

/* libpcap reads a frame with two fread calls, as much time as the
 * dissection of a TCP packet; so the records of a classic pcap file are
 * read here, from one large buffer. A record that is not plain (cut short,
 * longer than the snapshot length, a read error) goes back to libpcap from
 * its first byte: odd files get libpcap's own handling and words.
 *
 * pcap-savefile(5): a 24-byte file header (magic 0xa1b2c3d4, or 0xa1b23c4d
 * for nanoseconds, in the writer's byte order; version 2.4; ...), then per
 * frame a 16-byte header (seconds, micro- or nanoseconds, captured length,
 * length on the wire) and the captured bytes. */
#define TS_SEC_MAX (((int64_t)1 << 61) / 1000000) /* see capture_next */
#define FAST_BUF   (1u << 20)			  /* more than a record can be: 16 + 262144 */

struct capfile {
	pcap_t *pc;
	char *path;
	uint64_t frames;
	int fast; /* reading records here */
	int fd, swapped, nsec;
	uint32_t snaplen;
	uint8_t *buf;
	size_t len, pos; /* bytes in buf; the next record's offset in it */
	off_t off;	 /* the file offset of buf[0] */
};

static uint32_t get32(const uint8_t *p, int swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* Reading here needs a regular file of version 2.4 whose header libpcap
 * has just read. */
static void fast_open(struct capfile *cf)
{
	FILE *fp = pcap_file(cf->pc);
	uint8_t h[24];
	struct stat st;
	uint32_t magic;
	off_t at;

	if (!fp || pcap_is_swapped(cf->pc) < 0)
		return;
	cf->fd = fileno(fp);
	at = ftello(fp); /* just past the file header */
	if (cf->fd < 0 || fstat(cf->fd, &st) || !S_ISREG(st.st_mode) || at < (off_t)sizeof(h) ||
	    pread(cf->fd, h, sizeof(h), at - (off_t)sizeof(h)) != (ssize_t)sizeof(h))
		return;
	cf->swapped = pcap_is_swapped(cf->pc);
	magic = get32(h, cf->swapped);
	if ((magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) || pcap_major_version(cf->pc) != 2 ||
	    pcap_minor_version(cf->pc) != 4 || pcap_snapshot(cf->pc) <= 0)
		return;
	cf->buf = malloc(FAST_BUF);
	if (!cf->buf)
		return;
	cf->nsec = magic == 0xa1b23c4d;
	cf->snaplen = (uint32_t)pcap_snapshot(cf->pc);
	cf->off = at;
	cf->fast = 1;
}

/* Moves the unread bytes to the front and reads after them; -1 on a read
 * error. */
static int fast_fill(struct capfile *cf)
{
	memmove(cf->buf, cf->buf + cf->pos, cf->len - cf->pos);
	cf->off += (off_t)cf->pos;
	cf->len -= cf->pos;
	cf->pos = 0;
	while (cf->len < FAST_BUF) {
		ssize_t n = pread(cf->fd, cf->buf + cf->len, FAST_BUF - cf->len,
				  cf->off + (off_t)cf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		cf->len += (size_t)n;
	}
	return 0;
}

static int64_t ts_field(uint32_t v, int swapped)
{
	return swapped ? (int64_t)v : (int64_t)(int32_t)v;
}

/* As capture_next: 1 a frame, 0 the end; 2 for libpcap to read from here. */
static int fast_next(struct capfile *cf, int64_t *ts_us, uint32_t *wirelen, const uint8_t **data,
		     uint32_t *caplen)
{
	const uint8_t *h;
	int64_t sec, frac;
	uint32_t cl;

	if (cf->len - cf->pos < 16 && fast_fill(cf))
		return 2;
	if (cf->len == cf->pos)
		return 0;
	if (cf->len - cf->pos < 16)
		return 2;
	h = cf->buf + cf->pos;
	cl = get32(h + 8, cf->swapped);
	if (cl > cf->snaplen)
		return 2;
	if (cf->len - cf->pos < 16 + (size_t)cl) {
		if (fast_fill(cf) || cf->len < 16 + (size_t)cl)
			return 2;
		h = cf->buf;
	}
	/* As libpcap 1.10 with PCAP_TSTAMP_PRECISION_MICRO: the fields are
	 * signed 32-bit values, unsigned once byte-swapped; nanoseconds are
	 * scaled down (C division). */
	sec = ts_field(get32(h, cf->swapped), cf->swapped);
	frac = ts_field(get32(h + 4, cf->swapped), cf->swapped);
	*ts_us = sec * 1000000 + frac / (cf->nsec ? 1000 : 1);
	*caplen = cl;
	*wirelen = get32(h + 12, cf->swapped);
	*data = h + 16;
	cf->pos += 16 + (size_t)cl;
	return 1;
}

int capture_open(const char *path, struct capfile **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capfile *cf = NULL;
	int lt;

	cf = calloc(1, sizeof(*cf));
	if (!cf || !(cf->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	cf->pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!cf->pc) {
		/* libpcap's words are precise ("truncated dump file", "unknown
		 * file format"); name the file in front of them. */
		if (strstr(ebuf, "unknown file format"))
			snprintf(err, errlen, "%s: not a pcap or pcapng file (%s)", path, ebuf);
		else if (!strncmp(ebuf, path, strlen(path)))
			snprintf(err, errlen, "%s", ebuf); /* libpcap named the file */
		else
			snprintf(err, errlen, "%s: %s", path, ebuf);
		goto fail;
	}
	lt = pcap_datalink(cf->pc);
	if (!dissect_linktype_supported(lt)) {
		const char *name = pcap_datalink_val_to_name(lt);

		snprintf(err, errlen, "%s: unsupported link-layer type %d (%s)", path, lt,
			 name ? name : "unknown");
		goto fail;
	}
	fast_open(cf);
	*out = cf;
	return 0;
fail:
	capture_close(cf);
	return -1;
}

int capture_linktype(const struct capfile *cf)
{
	return pcap_datalink(cf->pc);
}

int capture_next(struct capfile *cf, int64_t *ts_us, uint32_t *wirelen, const uint8_t **data,
		 uint32_t *caplen, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;

	if (cf->fast) {
		r = fast_next(cf, ts_us, wirelen, data, caplen);
		if (r == 1)
			cf->frames++;
		if (r != 2)
			return r;
		/* libpcap goes on from the record it has to judge. */
		cf->fast = 0;
		if (fseeko(pcap_file(cf->pc), cf->off + (off_t)cf->pos, SEEK_SET)) {
			snprintf(err, errlen, "%s: after frame %llu: cannot seek: %s", cf->path,
				 (unsigned long long)cf->frames, strerror(errno));
			return -1;
		}
	}
	r = pcap_next_ex(cf->pc, &h, &d);
	if (r == 1) {
		cf->frames++;
		/* A pcapng's 64-bit timestamp may lie past what microseconds
		 * hold (fuzz_pcap): such a frame's time saturates at 2^61 us
		 * (73,000 years), where differences of two times still fit. */
		if (h->ts.tv_sec > TS_SEC_MAX || h->ts.tv_sec < -TS_SEC_MAX)
			*ts_us = h->ts.tv_sec > 0 ? TS_SEC_MAX * 1000000 : -TS_SEC_MAX * 1000000;
		else
			*ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		*wirelen = h->len;
		*caplen = h->caplen;
		*data = d;
		return 1;
	}
	if (r == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s: after frame %llu: %s", cf->path, (unsigned long long)cf->frames,
		 pcap_geterr(cf->pc));
	return -1;
}

void capture_close(struct capfile *cf)
{
	if (!cf)
		return;
	if (cf->pc)
		pcap_close(cf->pc);
	free(cf->buf);
	free(cf->path);
	free(cf);
}

/* ---- recording ---- */

struct capture {
	pcap_t *pc;
	pcap_dumper_t *dump;
	pthread_t thread;
	int stop_fd;
	int started;
	uint64_t frames;
	char err[256];
};

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct capture *c = (struct capture *)user;

	pcap_dump((u_char *)c->dump, h, d);
	c->frames++;
}

static void *capture_thread(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd[2] = { { pcap_get_selectable_fd(c->pc), POLLIN, 0 },
				 { c->stop_fd, POLLIN, 0 } };

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			snprintf(c->err, sizeof(c->err), "capture: poll: %s", strerror(errno));
			break;
		}
		if (pcap_dispatch(c->pc, -1, on_frame, (u_char *)c) < 0) {
			snprintf(c->err, sizeof(c->err), "capture: %s", pcap_geterr(c->pc));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			/* Drain: the kernel delivered every frame already sent
			 * (the caller waited for the connections to settle). */
			while (pcap_dispatch(c->pc, -1, on_frame, (u_char *)c) > 0)
				;
			break;
		}
	}
	return NULL;
}

static int open_in_netns(int netns_fd, const char *ifname, pcap_t **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int self = -1, ret = -1, entered = 0;
	pcap_t *pc = NULL;

	if (netns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(netns_fd, CLONE_NEWNET)) {
			snprintf(err, errlen, "capture on %s: cannot enter its namespace: %s",
				 ifname, strerror(errno));
			goto out;
		}
		entered = 1;
	}
	pc = pcap_create(ifname, ebuf);
	if (!pc) {
		snprintf(err, errlen, "capture on %s: %s", ifname, ebuf);
		goto out;
	}
	/* Whole frames, delivered at once (no batching timeout): the drain
	 * at the end must find everything, with no sleep. */
	if (pcap_set_snaplen(pc, 262144) || pcap_set_immediate_mode(pc, 1) ||
	    pcap_set_buffer_size(pc, 8 << 20) || pcap_set_promisc(pc, 0)) {
		snprintf(err, errlen, "capture on %s: cannot set options", ifname);
		goto out;
	}
	int r = pcap_activate(pc);

	if (r < 0) {
		snprintf(err, errlen, "capture on %s: %s", ifname, pcap_geterr(pc));
		goto out;
	}
	if (pcap_setnonblock(pc, 1, ebuf)) {
		snprintf(err, errlen, "capture on %s: %s", ifname, ebuf);
		goto out;
	}
	*out = pc;
	pc = NULL;
	ret = 0;
out:
	if (pc)
		pcap_close(pc);
	if (entered && setns(self, CLONE_NEWNET)) {
		/* A thread stuck in a lab namespace would do the rest of the run
		 * in the wrong place: there is no safe way on. */
		fprintf(stderr, "wirelab: cannot return to the original namespace: %s\n",
			strerror(errno));
		abort();
	}
	if (self >= 0)
		close(self);
	return ret;
}

int capture_start(int netns_fd, const char *ifname, const char *path, struct capture **out,
		  char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "capture: out of memory");
		return -1;
	}
	c->stop_fd = -1;
	if (open_in_netns(netns_fd, ifname, &c->pc, err, errlen))
		goto fail;
	c->dump = pcap_dump_open(c->pc, path);
	if (!c->dump) {
		snprintf(err, errlen, "capture: cannot write %s: %s", path, pcap_geterr(c->pc));
		goto fail;
	}
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (c->stop_fd < 0) {
		snprintf(err, errlen, "capture: eventfd: %s", strerror(errno));
		goto fail;
	}
	int e = pthread_create(&c->thread, NULL, capture_thread, c);

	if (e) {
		snprintf(err, errlen, "capture: cannot start thread: %s", strerror(e));
		goto fail;
	}
	c->started = 1;
	*out = c;
	return 0;
fail:
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pc)
		pcap_close(c->pc);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	free(c);
	return -1;
}

int capture_stop(struct capture *c, uint64_t *frames, char *err, size_t errlen)
{
	uint64_t one = 1;
	int ret = 0;

	if (!c)
		return 0;
	if (c->started) {
		if (write(c->stop_fd, &one, sizeof(one)) != sizeof(one))
			ret = -1;
		pthread_join(c->thread, NULL);
	}
	if (c->err[0]) {
		snprintf(err, errlen, "%s", c->err);
		ret = -1;
	}
	if (frames)
		*frames = c->frames;
	pcap_dump_close(c->dump);
	pcap_close(c->pc);
	close(c->stop_fd);
	free(c);
	return ret;
}

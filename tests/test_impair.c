/* tests/test_impair.c — the NFQUEUE engine (netns/impair.c) on a real
 * topology (topo_create), judged by a libpcap capture on the client's veth
 * opened from inside the client namespace: the vantage point of the notes'
 * Wireshark. Needs root; skips otherwise.
 *
 * Hold precision measured here (25 ms each way, 20 handshakes per run, the
 * SYN to SYN-ACK gap on the client veth): 50.05 to 50.25 ms, median ~50.13,
 * on this machine (2 cores, a VM) with both cores busy; impair.c has the
 * per-release figures. The tolerance is [50, 65) ms: never below 50 (a hold
 * cannot end early: the timerfd fires at or after the due time, and the
 * capture stamps the SYN before the pi side even sees it), and 15 ms above
 * for a CI machine where the engine thread cannot get a real-time priority
 * (then 2-5 ms wake-ups were seen here) — still far from the 75 ms that a
 * direction held twice would show.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns/impair.h"
#include "netns/proc.h"
#include "netns/registry.h"
#include "netns/topo.h"

#define PORT	 8080
#define MAX_SEGS 512

static char run_dir[] = "/tmp/wl-test-impair-XXXXXX";
static const char *skip_reason;

/* One TCP segment seen on the client's veth. */
struct seg {
	int64_t ts_ns;
	int from_client;
	uint8_t flags;
	uint32_t seq, ack;
	uint32_t len; /* TCP payload */
	uint16_t sport, dport;
	int csum_ok; /* IPv4 and TCP checksums valid; -1: not all captured */
};

struct lab {
	struct registry *reg;
	struct topo *t;
	struct impair *im;
	pcap_t *pc;
	struct seg segs[MAX_SEGS];
	size_t nsegs;
};

/* ---- packet reading (bounds-checked; the test's own small parser) ----- */

/* Parses an IPv4/TCP packet of which len bytes are at hand (a capture's
 * snap length may cut the payload; the headers must be there). 0 and fills
 * s (ts, from_client unset), or -1 if it is not IPv4/TCP or is cut short. */
static int parse_ip_tcp(const uint8_t *p, size_t len, struct seg *s)
{
	size_t ihl, tot, doff;
	const uint8_t *tcp;

	if (len < 20 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
		return -1;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = (size_t)p[2] << 8 | p[3];
	if (ihl < 20 || tot < ihl + 20 || len < ihl + 20)
		return -1;
	tcp = p + ihl;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || ihl + doff > tot || ihl + doff > len)
		return -1;
	s->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	s->dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	s->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	s->ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
	s->flags = tcp[13];
	s->len = (uint32_t)(tot - ihl - doff);
	return 0;
}

/* The Internet checksum (RFC 1071) of a buffer, folded, plus sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* 1 if the IPv4 header checksum and the TCP checksum (RFC 9293 §3.1,
 * pseudo-header included) of a complete packet verify, else 0. */
static int csums_ok(const uint8_t *p, size_t tot)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	uint8_t pseudo[12];

	if (csum_fold(csum_add(0, p, ihl)) != 0xffff)
		return 0;
	memcpy(pseudo, p + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (uint8_t)((tot - ihl) >> 8);
	pseudo[11] = (uint8_t)(tot - ihl);
	return csum_fold(csum_add(csum_add(0, pseudo, 12), p + ihl, tot - ihl)) == 0xffff;
}

/* ---- the lab ------------------------------------------------------------ */

static int open_pcap(void *ctx)
{
	struct lab *l = ctx;
	char ebuf[PCAP_ERRBUF_SIZE];

	/* pcap_activate opens the packet socket: inside the client
	 * namespace, where the veth end is. */
	l->pc = pcap_create(topo_ifname(l->t, TOPO_CLIENT), ebuf);
	if (!l->pc)
		return -1;
	if (pcap_set_snaplen(l->pc, 256) != 0 || pcap_set_immediate_mode(l->pc, 1) != 0 ||
	    pcap_set_tstamp_precision(l->pc, PCAP_TSTAMP_PRECISION_NANO) != 0 ||
	    pcap_activate(l->pc) != 0 || pcap_setnonblock(l->pc, 1, ebuf) != 0)
		return -1;
	return 0;
}

static void lab_up(struct lab *l, const struct impair_config *cfg)
{
	struct topo_config tc;
	char err[256] = "";

	memset(l, 0, sizeof(*l));
	memset(&tc, 0, sizeof(tc));
	if (registry_open(&l->reg, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	if (topo_create(&tc, l->reg, &l->t, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	if (topo_in_netns(l->t, TOPO_CLIENT, open_pcap, l, err, sizeof(err)) != 0)
		fail_msg("cannot capture on %s: %s", topo_ifname(l->t, TOPO_CLIENT),
			 l->pc ? pcap_geterr(l->pc) : err);
	if (cfg && impair_start(l->t, cfg, &l->im, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static void lab_down(struct lab *l)
{
	impair_free(l->im);
	if (l->pc)
		pcap_close(l->pc);
	topo_free(l->t);
	registry_close(l->reg);
	memset(l, 0, sizeof(*l));
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct lab *l = (struct lab *)user;
	struct seg s;

	/* Ethernet II, IPv4 only (the lab has IPv6 off). */
	if (h->caplen < 14 || bytes[12] != 0x08 || bytes[13] != 0x00 || l->nsegs >= MAX_SEGS)
		return;
	memset(&s, 0, sizeof(s));
	if (parse_ip_tcp(bytes + 14, h->caplen - 14, &s) < 0)
		return;
	s.ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* nano precision */
	{
		size_t tot = (size_t)bytes[14 + 2] << 8 | bytes[14 + 3];

		s.csum_ok = h->caplen - 14 >= tot ? csums_ok(bytes + 14, tot) : -1;
	}
	s.from_client = s.dport == PORT;
	l->segs[l->nsegs++] = s;
}

/* Reads what the capture holds so far. */
static void lab_read(struct lab *l)
{
	int r;

	do {
		r = pcap_dispatch(l->pc, -1, on_frame, (u_char *)l);
	} while (r > 0);
	assert_true(r == 0);
}

struct sock_ctx {
	int type, fd;
};

static int make_socket(void *ctx)
{
	struct sock_ctx *c = ctx;

	c->fd = socket(AF_INET, c->type | SOCK_CLOEXEC, 0);
	return c->fd < 0 ? -1 : 0;
}

/* A TCP socket of host h (it stays in h's namespace). */
static int sock_in(struct lab *l, enum topo_host h)
{
	struct sock_ctx c = { .type = SOCK_STREAM, .fd = -1 };
	char err[256] = "";

	if (topo_in_netns(l->t, h, make_socket, &c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return c.fd;
}

static int server(struct lab *l)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int one = 1, s = sock_in(l, TOPO_PI);

	a.sin_addr = topo_addr(l->t, TOPO_PI);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 16), 0);
	return s;
}

static int client(struct lab *l)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int s = sock_in(l, TOPO_CLIENT);

	a.sin_addr = topo_addr(l->t, TOPO_PI);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* Reads exactly n bytes within timeout_ms. */
static void read_all(int fd, char *buf, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&p, 1, timeout_ms), 1);
		r = read(fd, buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

/* The rules of table/chain inside pi, as `iptables -S` prints them. */
static void pi_rules(struct lab *l, const char *table, const char *chain, char *out, size_t len)
{
	char path[PATH_MAX], err[256] = "";
	char *argv[] = { "iptables", "-w", "-t", (char *)table, "-S", (char *)chain, NULL };
	struct proc_spec s = { .netns_fd = topo_netns_fd(l->t, TOPO_PI), .argv = argv };
	struct proc *p = NULL;
	int st = -1, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/rules", run_dir);
	s.stdout_path = path;
	if (proc_start(&s, NULL, &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	proc_free(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, out, len - 1);
	close(fd);
	unlink(path);
	assert_true(n >= 0);
	out[n] = '\0';
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- tests -------------------------------------------------------------- */

static void need_root(void)
{
	if (skip_reason) {
		fprintf(stderr, "skipped: %s\n", skip_reason);
		skip();
	}
}

/* No delay, no drop function: no rule, "none". */
static void test_idle(void **state)
{
	struct impair_config cfg = { { 0, 0 }, NULL, NULL };
	struct impair_stats st;
	char rules[1024];
	struct lab l;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	assert_string_equal(impair_describe(l.im), "none");
	assert_string_equal(impair_describe(NULL), "none");
	pi_rules(&l, "raw", "PREROUTING", rules, sizeof(rules));
	assert_null(strstr(rules, "NFQUEUE"));
	assert_int_equal(impair_wait_idle(l.im, 0), 0);
	impair_get_stats(l.im, &st);
	assert_true(st.passed == 0 && st.dropped == 0 && st.max_held == 0);
	lab_down(&l);
	impair_free(NULL);
}

/* 25 ms each way: every handshake's SYN to SYN-ACK gap on the client's veth
 * is 50 ms (tolerance in the file's comment), and a burst from pi arrives in
 * order. The rules are there while the engine runs and gone after. */
static void test_delay(void **state)
{
	struct impair_config cfg = { { 25000, 25000 }, NULL, NULL };
	enum { N = 20 };
	int64_t gap[N];
	struct impair_stats st;
	char rules[1024], buf[20000];
	struct lab l;
	int srv, c, a, one = 1;
	uint32_t next_seq = 0;
	size_t i, k = 0, data_segs = 0;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	pi_rules(&l, "raw", "PREROUTING", rules, sizeof(rules));
	assert_non_null(strstr(rules, "-A PREROUTING -i "));
	assert_non_null(strstr(rules, "-j NFQUEUE --queue-num 0"));
	assert_null(strstr(rules, "bypass"));
	pi_rules(&l, "mangle", "POSTROUTING", rules, sizeof(rules));
	assert_non_null(strstr(rules, "-A POSTROUTING -o "));
	assert_non_null(strstr(rules, "-j NFQUEUE --queue-num 1"));

	srv = server(&l);
	for (i = 0; i < N; i++) {
		c = client(&l);
		a = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
		assert_true(a >= 0);
		close(a);
		close(c);
	}
	/* A burst of 20 KB from pi, written in 1000-byte pieces. */
	c = client(&l);
	a = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	assert_int_equal(setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < sizeof(buf); i += 1000)
		assert_int_equal(write(a, buf + i, 1000), 1000);
	read_all(c, buf, sizeof(buf), 3000);
	close(a);
	close(c);
	close(srv);
	assert_int_equal(impair_wait_idle(l.im, 2000), 0);
	lab_read(&l);

	/* Each SYN with the SYN-ACK that answers it (ack = SYN's seq + 1). */
	for (i = 0; i < l.nsegs && k < N; i++) {
		const struct seg *s = &l.segs[i];

		if (!s->from_client || s->flags != TH_SYN)
			continue;
		for (size_t j = i + 1; j < l.nsegs; j++) {
			const struct seg *r = &l.segs[j];

			if (!r->from_client && r->flags == (TH_SYN | TH_ACK) &&
			    r->ack == s->seq + 1 && r->dport == s->sport) {
				gap[k++] = r->ts_ns - s->ts_ns;
				break;
			}
		}
	}
	assert_int_equal(k, N);
	qsort(gap, N, sizeof(gap[0]), cmp_i64);
	fprintf(stderr,
		"SYN to SYN-ACK over %d handshakes: min %.3f ms, median %.3f ms, "
		"max %.3f ms\n",
		N, gap[0] / 1e6, gap[N / 2] / 1e6, gap[N - 1] / 1e6);
	assert_true(gap[0] >= 50000000);
	assert_true(gap[N - 1] < 65000000);

	/* What pi's side sent went out as copies through a packet socket:
	 * complete checksums, as tx checksum offload is off in the topology. */
	k = 0;
	for (i = 0; i < l.nsegs; i++) {
		if (l.segs[i].csum_ok < 0)
			continue;
		assert_int_equal(l.segs[i].csum_ok, 1);
		k += !l.segs[i].from_client;
	}
	assert_true(k >= N);

	/* pi's data segments of the burst: contiguous, never out of order. */
	for (i = 0; i < l.nsegs; i++) {
		const struct seg *s = &l.segs[i];

		if (s->from_client || s->len == 0)
			continue;
		if (data_segs++ > 0)
			assert_int_equal(s->seq, next_seq);
		next_seq = s->seq + s->len;
	}
	assert_true(data_segs >= sizeof(buf) / 1448);

	impair_get_stats(l.im, &st);
	assert_int_equal(st.dropped, 0);
	/* Each handshake's three segments passed before accept returned. */
	assert_true(st.passed >= 3 * N);
	assert_true(st.max_held >= 1);
	assert_string_equal(impair_describe(l.im), "nfqueue (25.0 ms/25.0 ms, 0 dropped)");

	/* impair_free removes the rules, and the link passes packets
	 * undelayed again (no orphaned NFQUEUE rule dropping them). */
	impair_free(l.im);
	l.im = NULL;
	pi_rules(&l, "raw", "PREROUTING", rules, sizeof(rules));
	assert_null(strstr(rules, "NFQUEUE"));
	pi_rules(&l, "mangle", "POSTROUTING", rules, sizeof(rules));
	assert_null(strstr(rules, "NFQUEUE"));
	{
		struct timespec t0, t1;

		srv = server(&l);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		c = client(&l);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) <
			    10000000L);
		close(c);
		close(srv);
	}
	lab_down(&l);
}

/* 100 KB from pi in one write, 25 ms each way: slow start from 10
 * segments needs three flights (10 + 20 + 40 segments), so the last byte
 * arrives 2.5 RTT (125 ms) after the write. A hold that left pi's skbs
 * owned by its socket throttled pi through TCP Small Queues to 9 RTTs
 * (~450 ms, never more than 9 packets held); 200 ms separates the two with
 * room for a loaded machine. */
static void test_bulk_not_throttled(void **state)
{
	struct impair_config cfg = { { 25000, 25000 }, NULL, NULL };
	enum { TOTAL = 100000 };
	struct impair_stats st;
	struct timespec t0, t1;
	static char buf[TOTAL];
	struct lab l;
	int srv, c, a;
	int64_t ms;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	srv = server(&l);
	c = client(&l);
	a = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	memset(buf, 'x', sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The default 16 KB wmem start grows as needed: one write blocks
	 * until the last part is queued, which is well before it arrives. */
	assert_int_equal(write(a, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	read_all(c, buf, sizeof(buf), 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	impair_get_stats(l.im, &st);
	fprintf(stderr, "100 KB from pi: %lld ms, at most %u packets held\n", (long long)ms,
		st.max_held);
	assert_true(ms >= 120);
	assert_true(ms < 200);
	/* The second flight, 20 segments sent at once, is held at once. */
	assert_true(st.max_held >= 16);
	close(a);
	close(c);
	close(srv);
	lab_down(&l);
}

/* Failures leave nothing behind and say what failed: a second engine on
 * the same pi (its queues are taken), and no iptables in PATH. */
static void test_start_errors(void **state)
{
	struct impair_config cfg = { { 1000, 1000 }, NULL, NULL };
	struct impair *im2 = NULL;
	char err[256] = "", rules[1024], *path;
	struct lab l;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	assert_int_equal(impair_start(l.t, &cfg, &im2, err, sizeof(err)), -1);
	assert_null(im2);
	assert_string_equal(
		err, "cannot bind nfqueue 0 in pi: bound by another socket (a second engine?)");
	/* The first engine still serves its queues: 1 ms each way. */
	{
		struct timespec t0, t1;
		int srv = server(&l), c;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		c = client(&l);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >=
			    2000000L);
		close(c);
		close(srv);
	}
	impair_free(l.im);
	l.im = NULL;

	path = strdup(getenv("PATH"));
	assert_non_null(path);
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(impair_start(l.t, &cfg, &im2, err, sizeof(err)), -1);
	setenv("PATH", path, 1);
	free(path);
	assert_null(im2);
	assert_string_equal(err, "cannot run iptables: No such file or directory");
	pi_rules(&l, "raw", "PREROUTING", rules, sizeof(rules));
	assert_null(strstr(rules, "NFQUEUE"));
	/* The queues were released: a new engine can take them. */
	assert_int_equal(impair_start(l.t, &cfg, &l.im, err, sizeof(err)), 0);
	lab_down(&l);
}

/* wait_idle: 100 ms each way, a non-blocking connect. While the SYN is held
 * the wait times out; idle then comes only once SYN, SYN-ACK and ACK have
 * all passed (300 ms) and the connection is accepted. (The window that
 * publish_quiet() closes, between a release and the answer it provokes, is
 * a few µs wide here: this test would rarely catch its return.) */
static void test_wait_idle(void **state)
{
	struct impair_config cfg = { { 100000, 100000 }, NULL, NULL };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct impair_stats st;
	struct timespec t0, t1;
	struct lab l;
	int srv, c, s, flags;
	int64_t ms;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	srv = server(&l);
	c = sock_in(&l, TOPO_CLIENT);
	flags = fcntl(c, F_GETFL);
	assert_int_equal(fcntl(c, F_SETFL, flags | O_NONBLOCK), 0);
	a.sin_addr = topo_addr(l.t, TOPO_PI);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	/* The SYN reaches the engine through pi's backlog a moment later. */
	for (int i = 0; i < 1000; i++) {
		struct timespec us100 = { 0, 100000L };

		impair_get_stats(l.im, &st);
		if (st.max_held > 0)
			break;
		nanosleep(&us100, NULL);
	}
	assert_int_equal(st.max_held, 1);
	assert_int_equal(impair_wait_idle(l.im, 20), 1);
	assert_int_equal(impair_wait_idle(l.im, 3000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	impair_get_stats(l.im, &st);
	assert_int_equal(st.passed, 3);
	assert_true(ms >= 300);
	s = accept4(srv, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	assert_true(s >= 0);
	close(s);
	close(c);
	close(srv);
	lab_down(&l);
}

/* A drop function: the first TCP segment carrying data in its direction. */
struct drop_first {
	enum impair_dir dir;
	int want_data; /* 1: first data segment; 0: first pure ACK */
	int calls, dropped;
	uint32_t seq;
};

static int drop_first_fn(void *ctx, enum impair_dir dir, const uint8_t *ip, size_t len)
{
	struct drop_first *d = ctx;
	struct seg s;
	int match;

	d->calls++;
	if (dir != d->dir || d->dropped || parse_ip_tcp(ip, len, &s) < 0)
		return 0;
	if (d->want_data)
		match = s.len > 0;
	else
		match = s.len == 0 && s.flags == TH_ACK;
	if (!match)
		return 0;
	d->seq = s.seq;
	/* Read by the test's thread while the engine runs. */
	__atomic_store_n(&d->dropped, 1, __ATOMIC_RELEASE);
	return 1;
}

/* The first data segment to pi is dropped, every run: the capture on the
 * client's veth shows it twice (the original left the client, the pi side
 * lost it) and the client's TCP counts one retransmission. */
static void test_drop_data_to_pi(void **state)
{
	(void)state;
	need_root();
	for (int run = 0; run < 2; run++) {
		struct drop_first d = { .dir = IMPAIR_TO_PI, .want_data = 1 };
		struct impair_config cfg = { { 25000, 25000 }, drop_first_fn, &d };
		struct impair_stats st;
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		char buf[8];
		struct lab l;
		int srv, c, a, seen = 0;

		lab_up(&l, &cfg);
		srv = server(&l);
		c = client(&l);
		a = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
		assert_true(a >= 0);
		assert_int_equal(write(c, "hello", 5), 5);
		/* The retransmission after one RTO (>= 200 ms). */
		read_all(a, buf, 5, 3000);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
		assert_int_equal(ti.tcpi_total_retrans, 1);
		close(a);
		close(c);
		close(srv);
		assert_int_equal(impair_wait_idle(l.im, 2000), 0);
		lab_read(&l);
		impair_get_stats(l.im, &st);
		assert_int_equal(st.dropped, 1);
		assert_string_equal(impair_describe(l.im), "nfqueue (25.0 ms/25.0 ms, 1 dropped)");
		/* d.seq was written before the release of d.dropped. */
		assert_int_equal(__atomic_load_n(&d.dropped, __ATOMIC_ACQUIRE), 1);
		for (size_t i = 0; i < l.nsegs; i++)
			seen += l.segs[i].from_client && l.segs[i].len == 5 &&
				l.segs[i].seq == d.seq;
		assert_int_equal(seen, 2);
		lab_down(&l); /* joins the engine thread: d is ours again */
		assert_true(d.calls >= 5);
	}
}

/* "The first pure ACK from pi": pi ACKs the request at once (quickack at
 * connection start), that ACK is lost, and the response that follows
 * carries the acknowledgment instead. The capture shows no pure ACK from pi
 * between the request and the response. A pure ACK is never retransmitted,
 * so exactly one packet is missing. */
static void test_drop_pure_ack_from_pi(void **state)
{
	struct drop_first d = { .dir = IMPAIR_TO_CLIENT, .want_data = 0 };
	struct impair_config cfg = { { 25000, 25000 }, drop_first_fn, &d };
	struct impair_stats st;
	struct lab l;
	char buf[8];
	int srv, c, a, pure_acks = 0, responses = 0;

	(void)state;
	need_root();
	lab_up(&l, &cfg);
	srv = server(&l);
	c = client(&l);
	a = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	assert_int_equal(write(c, "hello", 5), 5);
	read_all(a, buf, 5, 3000);
	/* Answer only once pi's immediate ACK has been taken (and dropped),
	 * so that it cannot ride on the response instead. */
	for (int i = 0; i < 2000 && !__atomic_load_n(&d.dropped, __ATOMIC_ACQUIRE); i++) {
		struct timespec ms = { 0, 1000000L };

		nanosleep(&ms, NULL);
	}
	assert_int_equal(write(a, "world", 5), 5);
	read_all(c, buf, 5, 3000);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(impair_wait_idle(l.im, 2000), 0);
	lab_read(&l);
	for (size_t i = 0; i < l.nsegs; i++) {
		const struct seg *s = &l.segs[i];

		if (s->from_client)
			continue;
		pure_acks += s->len == 0 && s->flags == TH_ACK;
		responses += s->len == 5;
	}
	assert_int_equal(pure_acks, 0);
	assert_int_equal(responses, 1);
	impair_get_stats(l.im, &st);
	assert_int_equal(st.dropped, 1);
	close(a);
	close(c);
	close(srv);
	lab_down(&l);
	assert_int_equal(d.dropped, 1);
}

/* ---- main --------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip_reason = "namespaces and iptables need root";
		return 0;
	}
	if (!mkdtemp(run_dir))
		return -1;
	setenv("WIRELAB_RUN_DIR", run_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (skip_reason)
		return 0;
	return nftw(run_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_bulk_not_throttled),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_wait_idle),
		cmocka_unit_test(test_drop_data_to_pi),
		cmocka_unit_test(test_drop_pure_ack_from_pi),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

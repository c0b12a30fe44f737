/* netns/sockdiag.c — the TCP sockets of a namespace, through
 * NETLINK_SOCK_DIAG (sock_diag(7), the interface `ss` uses).
 *
 * A netlink socket belongs to the namespace of the thread that created it
 * (network_namespaces(7)), so the socket is opened while this thread is
 * setns'd into the lab namespace and the thread returns at once; the dumps
 * that follow need no namespace switch. The request is the plain
 * SOCK_DIAG_BY_FAMILY dump of inet_diag_req_v2 sent through a libnl socket,
 * which already does what libnl-idiag would add (multipart, NLMSG_ERROR,
 * sequence checks) without its object cache.
 */
#include "netns/sockdiag.h"

#include "netns/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Back-off of the wait functions: start short, because a server usually
 * listens within a millisecond of exec; cap low, because each dump costs
 * ~20 µs and a late answer delays the whole lab. */
#define POLL_FIRST_NS 200000L
#define POLL_MAX_NS   5000000L

struct dump {
	struct sockdiag_sock *v;
	size_t n, cap;
	int oom;
};

/* Opens a NETLINK_SOCK_DIAG socket in the namespace netns_fd (-1: ours). */
static int diag_open(int netns_fd, struct nl_sock **out, char *err, size_t errlen)
{
	struct nl_sock *sk = NULL;
	int self = -1, entered = 0, r, ret = -1;

	sk = nl_socket_alloc();
	if (!sk) {
		errbuf_set(err, errlen, "cannot allocate a sock_diag socket: out of memory");
		goto out;
	}
	/* The kernel answers a dump with NLMSG_DONE, never an ACK. */
	nl_socket_disable_auto_ack(sk);
	if (netns_fd >= 0) {
		/* thread-self: setns(2) moves only the calling thread. */
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0) {
			errbuf_set(err, errlen, "cannot open /proc/thread-self/ns/net: %s",
				   strerror(errno));
			goto out;
		}
		if (setns(netns_fd, CLONE_NEWNET) < 0) {
			errbuf_set(err, errlen, "cannot enter namespace (fd %d) for sock_diag: %s",
				   netns_fd, strerror(errno));
			goto out;
		}
		entered = 1;
	}
	r = nl_connect(sk, NETLINK_SOCK_DIAG);
	if (r < 0)
		errbuf_set(err, errlen, "cannot open a sock_diag socket: %s", nl_geterror(r));
	if (entered && setns(self, CLONE_NEWNET) < 0) {
		/* The thread would go on in the lab namespace: every later
		 * socket of it would be wrong. Say so loudly. */
		errbuf_set(err, errlen,
			   "cannot return to the original namespace after sock_diag: %s",
			   strerror(errno));
		goto out;
	}
	if (r < 0)
		goto out;
	*out = sk;
	sk = NULL;
	ret = 0;
out:
	if (self >= 0)
		close(self);
	nl_socket_free(sk);
	return ret;
}

static int dump_one(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct inet_diag_msg *m;
	struct sockdiag_sock *s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return NL_SKIP;
	m = nlmsg_data(nlh);
	if (m->idiag_family != AF_INET)
		return NL_SKIP;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct sockdiag_sock *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = 1;
			return NL_STOP;
		}
		d->v = v;
		d->cap = cap;
	}
	s = &d->v[d->n++];
	memset(s, 0, sizeof(*s));
	s->state = m->idiag_state;
	s->src.s_addr = m->id.idiag_src[0]; /* network order, as in_addr */
	s->dst.s_addr = m->id.idiag_dst[0];
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	s->timer = m->idiag_timer;
	s->expires_ms = m->idiag_expires;
	return NL_OK;
}

/* One dump of every IPv4 TCP socket. d is reset first. */
static int diag_dump(struct nl_sock *sk, struct dump *d, char *err, size_t errlen)
{
	struct inet_diag_req_v2 req;
	int r;

	d->n = 0;
	d->oom = 0;
	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_INET;
	req.sdiag_protocol = IPPROTO_TCP;
	/* One bit per TCP state (1 << TCP_ESTABLISHED ...); all of them,
	 * TIME_WAIT and request sockets (reported as SYN_RECV) included. */
	req.idiag_states = ~0U;
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_one, d);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot set up the sock_diag dump: %s", nl_geterror(r));
		return -1;
	}
	r = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	if (r < 0) {
		errbuf_set(err, errlen, "cannot send the sock_diag dump request: %s",
			   nl_geterror(r));
		return -1;
	}
	r = nl_recvmsgs_default(sk);
	if (d->oom) {
		errbuf_set(err, errlen, "cannot list TCP sockets: out of memory");
		return -1;
	}
	if (r < 0) {
		errbuf_set(err, errlen, "cannot list TCP sockets: %s", nl_geterror(r));
		return -1;
	}
	return 0;
}

int sockdiag_list(int netns_fd, struct sockdiag_sock **out, size_t *n, char *err, size_t errlen)
{
	struct nl_sock *sk = NULL;
	struct dump d = { 0 };
	int ret = -1;

	if (diag_open(netns_fd, &sk, err, errlen) < 0)
		goto out;
	if (diag_dump(sk, &d, err, errlen) < 0)
		goto out;
	*out = d.v;
	*n = d.n;
	d.v = NULL;
	ret = 0;
out:
	free(d.v);
	nl_socket_free(sk);
	return ret;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps the current back-off step (never past the deadline) and doubles
 * it up to the cap. Returns 1 once the deadline has passed. */
static int back_off(int64_t deadline, long *step_ns)
{
	int64_t left = deadline - now_ns();
	struct timespec ts;
	long nap;

	if (left <= 0)
		return 1;
	nap = left < *step_ns ? (long)left : *step_ns;
	ts.tv_sec = 0;
	ts.tv_nsec = nap;
	nanosleep(&ts, NULL);
	*step_ns = *step_ns * 2 > POLL_MAX_NS ? POLL_MAX_NS : *step_ns * 2;
	return 0;
}

static int64_t deadline_of(int timeout_ms)
{
	/* A negative timeout waits "forever": about 292 years. */
	return timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
}

int sockdiag_wait_listen(int netns_fd, uint16_t port, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = deadline_of(timeout_ms);
	long step = POLL_FIRST_NS;
	struct nl_sock *sk = NULL;
	struct dump d = { 0 };
	int ret = -1;

	if (diag_open(netns_fd, &sk, err, errlen) < 0)
		goto out;
	for (;;) {
		if (diag_dump(sk, &d, err, errlen) < 0)
			goto out;
		for (size_t i = 0; i < d.n; i++) {
			if (d.v[i].state == TCP_LISTEN && d.v[i].sport == port) {
				ret = 0;
				goto out;
			}
		}
		if (back_off(deadline, &step)) {
			ret = 1;
			goto out;
		}
	}
out:
	free(d.v);
	nl_socket_free(sk);
	return ret;
}

/* A socket of a connection that is opening, open or closing: everything but
 * LISTEN, TIME_WAIT and CLOSE (RFC 9293 §3.3.2 names the states). */
static int is_busy(int state)
{
	return state != TCP_LISTEN && state != TCP_TIME_WAIT && state != TCP_CLOSE;
}

int sockdiag_wait_quiet(const int *netns_fds, size_t nfds, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = deadline_of(timeout_ms);
	long step = POLL_FIRST_NS;
	struct nl_sock **sk = NULL;
	struct dump d = { 0 };
	size_t opened = 0;
	int ret = -1;

	sk = calloc(nfds ? nfds : 1, sizeof(*sk));
	if (!sk) {
		errbuf_set(err, errlen, "cannot wait for quiet sockets: out of memory");
		goto out;
	}
	for (; opened < nfds; opened++) {
		if (diag_open(netns_fds[opened], &sk[opened], err, errlen) < 0)
			goto out;
	}
	for (;;) {
		int busy = 0;

		for (size_t i = 0; i < nfds && !busy; i++) {
			if (diag_dump(sk[i], &d, err, errlen) < 0)
				goto out;
			for (size_t j = 0; j < d.n && !busy; j++)
				busy = is_busy(d.v[j].state);
		}
		if (!busy) {
			ret = 0;
			goto out;
		}
		if (back_off(deadline, &step)) {
			ret = 1;
			goto out;
		}
	}
out:
	for (size_t i = 0; i < opened; i++)
		nl_socket_free(sk[i]);
	free(sk);
	free(d.v);
	return ret;
}

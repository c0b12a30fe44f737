/* tests/test_sockdiag.c — netns/sockdiag.c against real sockets in fresh
 * network namespaces (unshare(2) of this thread, held by an fd only, so they
 * vanish when the test closes them). Needs root; skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns/sockdiag.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Creates a network namespace with lo up and returns an fd on it; the
 * calling thread stays in its own namespace. */
static int make_netns(void)
{
	int orig, nfd = -1, s = -1;
	struct ifreq ifr;

	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(orig >= 0);
	if (unshare(CLONE_NEWNET) < 0) {
		close(orig);
		return -1;
	}
	nfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	assert_int_equal(setns(orig, CLONE_NEWNET), 0);
	close(orig);
	assert_true(nfd >= 0);
	return nfd;
}

/* Runs in netns: a TCP socket, listening on 127.0.0.1 (any port) when
 * listening, else connected to 127.0.0.1:port. */
static int socket_in(int netns, int listening, uint16_t port, uint16_t *bound)
{
	int orig, s;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(orig >= 0);
	assert_int_equal(setns(netns, CLONE_NEWNET), 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(setns(orig, CLONE_NEWNET), 0);
	close(orig);
	assert_true(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (listening) {
		assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(s, 4), 0);
	} else {
		assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	if (bound)
		*bound = ntohs(a.sin_port);
	return s;
}

static const struct sockdiag_sock *find(const struct sockdiag_sock *v, size_t n, int state,
					uint16_t sport, uint16_t dport)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].state == state && v[i].sport == sport && v[i].dport == dport)
			return &v[i];
	}
	return NULL;
}

static int need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: namespaces need root\n");
		return -1;
	}
	return 0;
}

static void test_list_listen_and_established(void **state)
{
	struct sockdiag_sock *v = NULL;
	const struct sockdiag_sock *s;
	char err[256] = "";
	size_t n = 0;
	uint16_t port, cport;
	int ns, ns2, l, c, a;

	(void)state;
	if (need_root() < 0)
		skip();
	ns = make_netns();
	ns2 = make_netns();
	assert_true(ns >= 0 && ns2 >= 0);
	l = socket_in(ns, 1, 0, &port);
	c = socket_in(ns, 0, port, &cport);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);

	assert_int_equal(sockdiag_list(ns, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	s = find(v, n, TCP_LISTEN, port, 0);
	assert_non_null(s);
	assert_int_equal(ntohl(s->src.s_addr), INADDR_LOOPBACK);
	s = find(v, n, TCP_ESTABLISHED, cport, port);
	assert_non_null(s);
	assert_int_equal(ntohl(s->dst.s_addr), INADDR_LOOPBACK);
	assert_int_equal(s->timer, 0);
	assert_non_null(find(v, n, TCP_ESTABLISHED, port, cport));
	free(v);
	v = NULL;

	/* Another fresh namespace sees none of them. */
	assert_int_equal(sockdiag_list(ns2, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	v = NULL;

	/* Client closes first: it ends in TIME_WAIT with the 60 s timer
	 * (TCP_TIMEWAIT_LEN) running, reported as timer 3. */
	close(c);
	close(a);
	{
		const int fds[1] = { ns };

		assert_int_equal(sockdiag_wait_quiet(fds, 1, 2000, err, sizeof(err)), 0);
	}
	assert_int_equal(sockdiag_list(ns, &v, &n, err, sizeof(err)), 0);
	s = find(v, n, TCP_TIME_WAIT, cport, port);
	assert_non_null(s);
	assert_int_equal(s->timer, 3);
	assert_true(s->expires_ms > 50000 && s->expires_ms <= 60000);
	free(v);

	close(l);
	close(ns);
	close(ns2);
}

static void test_bad_namespace_fd(void **state)
{
	struct sockdiag_sock *v = NULL;
	char err[256] = "";
	size_t n = 0;
	int fd;

	(void)state;
	if (need_root() < 0)
		skip();
	/* An fd that is not a namespace: setns fails with EINVAL. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(sockdiag_list(fd, &v, &n, err, sizeof(err)), -1);
	assert_null(v);
	assert_non_null(strstr(err, "cannot enter namespace"));
	close(fd);
}

/* The server listens 60 ms after the wait begins; wait_listen must notice
 * then, not before and not much later. */
static void test_wait_listen(void **state)
{
	char err[256] = "";
	int go[2], done[2], ns, st;
	int64_t t0, dt;
	pid_t pid;
	char c;

	(void)state;
	if (need_root() < 0)
		skip();
	ns = make_netns();
	assert_true(ns >= 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(done, O_CLOEXEC), 0);

	/* Nobody listens: a short timeout expires. */
	t0 = now_ms();
	assert_int_equal(sockdiag_wait_listen(ns, 8080, 50, err, sizeof(err)), 1);
	assert_true(now_ms() - t0 >= 50);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
		struct timespec d = { 0, 60 * 1000000L };
		int s;

		close(go[1]);
		close(done[1]);
		if (setns(ns, CLONE_NEWNET) < 0 || read(go[0], &c, 1) != 1)
			_exit(1);
		nanosleep(&d, NULL);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
			_exit(2);
		/* Stay listening until the parent has seen it. */
		if (read(done[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(go[0]);
	close(done[0]);
	t0 = now_ms();
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(sockdiag_wait_listen(ns, 8080, 3000, err, sizeof(err)), 0);
	dt = now_ms() - t0;
	close(done[1]);
	close(go[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Not before the listen; within the 5 ms back-off cap plus slack. */
	assert_true(dt >= 60);
	assert_true(dt < 200);
	close(ns);
}

/* An established connection keeps the namespace busy: wait_quiet times out
 * until both ends are closed. Two namespaces, busy in the second. */
static void test_wait_quiet(void **state)
{
	char err[256] = "";
	int ns[2], l, c, a;
	uint16_t port;
	int64_t t0;

	(void)state;
	if (need_root() < 0)
		skip();
	ns[0] = make_netns();
	ns[1] = make_netns();
	assert_true(ns[0] >= 0 && ns[1] >= 0);
	assert_int_equal(sockdiag_wait_quiet(ns, 2, 100, err, sizeof(err)), 0);

	l = socket_in(ns[1], 1, 0, &port);
	/* LISTEN alone is quiet. */
	assert_int_equal(sockdiag_wait_quiet(ns, 2, 100, err, sizeof(err)), 0);
	c = socket_in(ns[1], 0, port, NULL);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	t0 = now_ms();
	assert_int_equal(sockdiag_wait_quiet(ns, 2, 80, err, sizeof(err)), 1);
	assert_true(now_ms() - t0 >= 80);

	/* Half-closed (FIN_WAIT2 / CLOSE_WAIT) is still busy. */
	close(c);
	assert_int_equal(sockdiag_wait_quiet(ns, 2, 30, err, sizeof(err)), 1);
	close(a);
	assert_int_equal(sockdiag_wait_quiet(ns, 2, 2000, err, sizeof(err)), 0);
	close(l);
	close(ns[0]);
	close(ns[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_listen_and_established),
		cmocka_unit_test(test_bad_namespace_fd),
		cmocka_unit_test(test_wait_listen),
		cmocka_unit_test(test_wait_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

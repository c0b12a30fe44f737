/* tests/test_topo.c — netns/topo.c on real namespaces.
 *
 * Every test builds its own topology (registry under a private
 * WIRELAB_RUN_DIR) and checks it from inside with libnl, ethtool ioctls,
 * /proc/sys and real sockets; none uses `ip` or any other program. Needs
 * root and unshare(CLONE_NEWNET); every test skips with the reason otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <pthread.h>
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
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include "netns/registry.h"
#include "netns/topo.h"

static const char *skip_reason;
static char run_dir[64];
static pid_t children[8]; /* killed and reaped after every test */

/* ---- helpers ---------------------------------------------------------- */

static void need_netns(void)
{
	if (skip_reason) {
		fprintf(stderr, "skipped: %s\n", skip_reason);
		skip();
	}
}

/* 1 if any thread of any process is in the namespace with this inode. */
static int netns_in_use(ino_t ino)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	int found = 0;

	assert_non_null(proc);
	while (!found && (e = readdir(proc))) {
		char tdir[64], path[64 + 256 + 8];
		struct dirent *te;
		DIR *task;

		if (atoi(e->d_name) <= 0)
			continue;
		snprintf(tdir, sizeof(tdir), "/proc/%d/task", atoi(e->d_name));
		task = opendir(tdir);
		if (!task)
			continue;
		while (!found && (te = readdir(task))) {
			struct stat st;

			if (te->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/ns/net", tdir, te->d_name);
			found = stat(path, &st) == 0 && st.st_ino == ino;
		}
		closedir(task);
	}
	closedir(proc);
	return found;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int run_dir_entries(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Names of the root namespace's interfaces, one string "a,b,c,". */
static void root_links(char *buf, size_t len)
{
	struct if_nameindex *ni = if_nameindex(), *p;
	size_t off = 0;

	assert_non_null(ni);
	buf[0] = '\0';
	for (p = ni; p->if_index; p++)
		off += (size_t)snprintf(buf + off, len - off, "%s,", p->if_name);
	if_freenameindex(ni);
}

static struct topo *build(struct registry *reg, const struct topo_config *cfg)
{
	struct topo *t = NULL;
	char err[512] = "";
	int r = topo_create(cfg, reg, &t, err, sizeof(err));

	if (r < 0)
		fail_msg("topo_create: %s", err);
	assert_non_null(t);
	return t;
}

static struct registry *open_registry(void)
{
	struct registry *reg = NULL;
	char err[512] = "";

	if (registry_open(&reg, err, sizeof(err)) < 0)
		fail_msg("registry_open: %s", err);
	return reg;
}

/* ---- what a namespace looks like from inside -------------------------- */

struct facts {
	const char *ifname;
	int ifindex;
	struct in_addr peer;
	/* filled inside */
	int err;
	unsigned link_flags, lo_flags, mtu;
	uint8_t mac[6];
	char addr[32];
	int naddr4, naddr6;
	int neigh_state;
	uint8_t neigh_mac[6];
	int offload_on; /* count of tso/gso/gro/tx-checksum features still on */
	char offload_bad[64];
	char disable_ipv6[3][8]; /* all, default, the veth */
	char rmem[64], wmem[64], cc[32], autocork[8], sack[8], ecn[8], nometrics[8];
	char fin_timeout[8];
	char qdisc[16];
	uint32_t tbf_rate;
};

/* The feature names of ETH_SS_FEATURES and their active bits, through the
 * ethtool ioctl (linux/ethtool.h): counts features that must be off. */
static void check_features(int fd, struct facts *f)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t n;
	} si;
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_gfeatures *gf = NULL;
	struct ifreq ifr;
	uint32_t n, i, blocks;

	memset(&si, 0, sizeof(si));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", f->ifname);
	si.hdr.cmd = ETHTOOL_GSSET_INFO;
	si.hdr.sset_mask = 1ULL << ETH_SS_FEATURES;
	ifr.ifr_data = (char *)&si;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || !si.hdr.sset_mask) {
		f->err = __LINE__;
		return;
	}
	n = si.n;
	blocks = (n + 31) / 32;
	gs = calloc(1, sizeof(*gs) + n * ETH_GSTRING_LEN);
	gf = calloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]));
	if (!gs || !gf)
		goto out;
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	ifr.ifr_data = (char *)gs;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		f->err = __LINE__;
		goto out;
	}
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	ifr.ifr_data = (char *)gf;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
		f->err = __LINE__;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *name = (const char *)gs->data + i * ETH_GSTRING_LEN;
		int active = !!(gf->features[i / 32].active & (1u << (i % 32)));

		if (!active)
			continue;
		if (!strncmp(name, "tx-tcp", 6) || !strncmp(name, "tx-checksum", 11) ||
		    !strcmp(name, "tx-generic-segmentation") || !strcmp(name, "rx-gro")) {
			f->offload_on++;
			snprintf(f->offload_bad, sizeof(f->offload_bad), "%s", name);
		}
	}
out:
	free(gs);
	free(gf);
}

static int gather(void *arg)
{
	struct facts *f = arg;
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *addrs = NULL, *neighs = NULL, *qdiscs = NULL;
	struct rtnl_link *link = NULL, *lo = NULL;
	struct nl_object *o;
	char path[128];
	int fd = -1;

	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0) {
		f->err = __LINE__;
		goto out;
	}
	if (rtnl_link_get_kernel(sk, 0, f->ifname, &link) < 0 ||
	    rtnl_link_get_kernel(sk, 0, "lo", &lo) < 0) {
		f->err = __LINE__;
		goto out;
	}
	f->link_flags = rtnl_link_get_flags(link);
	f->lo_flags = rtnl_link_get_flags(lo);
	f->mtu = rtnl_link_get_mtu(link);
	if (rtnl_link_get_ifindex(link) != f->ifindex)
		f->err = __LINE__;
	memcpy(f->mac, nl_addr_get_binary_addr(rtnl_link_get_addr(link)), 6);

	if (rtnl_addr_alloc_cache(sk, &addrs) < 0) {
		f->err = __LINE__;
		goto out;
	}
	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_family(a) == AF_INET6)
			f->naddr6++;
		if (rtnl_addr_get_family(a) == AF_INET && rtnl_addr_get_ifindex(a) == f->ifindex) {
			f->naddr4++;
			nl_addr2str(rtnl_addr_get_local(a), f->addr, sizeof(f->addr));
		}
	}
	if (rtnl_neigh_alloc_cache(sk, &neighs) < 0) {
		f->err = __LINE__;
		goto out;
	}
	f->neigh_state = -1;
	for (o = nl_cache_get_first(neighs); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;
		struct nl_addr *dst = rtnl_neigh_get_dst(n);

		if (rtnl_neigh_get_ifindex(n) == f->ifindex && dst &&
		    nl_addr_get_family(dst) == AF_INET &&
		    !memcmp(nl_addr_get_binary_addr(dst), &f->peer, 4)) {
			f->neigh_state = rtnl_neigh_get_state(n);
			if (rtnl_neigh_get_lladdr(n))
				memcpy(f->neigh_mac,
				       nl_addr_get_binary_addr(rtnl_neigh_get_lladdr(n)), 6);
		}
	}
	if (rtnl_qdisc_alloc_cache(sk, &qdiscs) < 0) {
		f->err = __LINE__;
		goto out;
	}
	for (o = nl_cache_get_first(qdiscs); o; o = nl_cache_get_next(o)) {
		struct rtnl_qdisc *q = (struct rtnl_qdisc *)o;

		if (rtnl_tc_get_ifindex(TC_CAST(q)) == f->ifindex &&
		    rtnl_tc_get_parent(TC_CAST(q)) == TC_H_ROOT) {
			snprintf(f->qdisc, sizeof(f->qdisc), "%s", rtnl_tc_get_kind(TC_CAST(q)));
			if (!strcmp(f->qdisc, "tbf"))
				f->tbf_rate = (uint32_t)rtnl_qdisc_tbf_get_rate(q);
		}
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		f->err = __LINE__;
		goto out;
	}
	check_features(fd, f);

	read_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", f->disable_ipv6[0], 8);
	read_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", f->disable_ipv6[1], 8);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", f->ifname);
	read_file(path, f->disable_ipv6[2], 8);
	read_file("/proc/sys/net/ipv4/tcp_rmem", f->rmem, sizeof(f->rmem));
	read_file("/proc/sys/net/ipv4/tcp_wmem", f->wmem, sizeof(f->wmem));
	read_file("/proc/sys/net/ipv4/tcp_congestion_control", f->cc, sizeof(f->cc));
	read_file("/proc/sys/net/ipv4/tcp_autocorking", f->autocork, sizeof(f->autocork));
	read_file("/proc/sys/net/ipv4/tcp_sack", f->sack, sizeof(f->sack));
	read_file("/proc/sys/net/ipv4/tcp_ecn", f->ecn, sizeof(f->ecn));
	read_file("/proc/sys/net/ipv4/tcp_no_metrics_save", f->nometrics, sizeof(f->nometrics));
	read_file("/proc/sys/net/ipv4/tcp_fin_timeout", f->fin_timeout, sizeof(f->fin_timeout));
out:
	if (fd >= 0)
		close(fd);
	if (qdiscs)
		nl_cache_free(qdiscs);
	if (neighs)
		nl_cache_free(neighs);
	if (addrs)
		nl_cache_free(addrs);
	if (lo)
		rtnl_link_put(lo);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return 0;
}

static void gather_host(struct topo *t, enum topo_host h, struct facts *f)
{
	char err[256] = "";

	memset(f, 0, sizeof(*f));
	f->ifname = topo_ifname(t, h);
	f->ifindex = topo_ifindex(t, h);
	f->peer = topo_addr(t, h == TOPO_CLIENT ? TOPO_PI : TOPO_CLIENT);
	if (topo_in_netns(t, h, gather, f, err, sizeof(err)) < 0)
		fail_msg("topo_in_netns: %s", err);
	if (f->err)
		fail_msg("gathering facts in %s failed at test_topo.c:%d", topo_host_name(h),
			 f->err);
}

/* cubic, unless the host does not allow it in namespaces (topo.c
 * pin_sysctls): then reno. Read in the root namespace. */
static const char *expected_cc(void)
{
	char allowed[256], dflt[64];

	assert_int_equal(read_file("/proc/sys/net/ipv4/tcp_allowed_congestion_control", allowed,
				   sizeof(allowed)),
			 0);
	assert_int_equal(read_file("/proc/sys/net/ipv4/tcp_congestion_control", dflt, sizeof(dflt)),
			 0);
	if (!strcmp(dflt, "cubic") || strstr(allowed, "cubic"))
		return "cubic";
	return "reno";
}

/* ---- tests ------------------------------------------------------------ */

static void test_build(void **state)
{
	static const struct topo_sysctl extra[] = { { "net.ipv4.tcp_fin_timeout", "17" } };
	struct topo_config cfg = { .sysctls = extra, .nsysctls = 1 };
	struct registry *reg;
	struct facts f[TOPO_NHOSTS];
	char before[4096], after[4096], name[32];
	ino_t ino[TOPO_NHOSTS];
	struct topo *t;
	int h;

	(void)state;
	need_netns();
	reg = open_registry();
	root_links(before, sizeof(before));
	t = build(reg, &cfg);
	root_links(after, sizeof(after));
	assert_string_equal(before, after); /* the root namespace saw nothing */

	for (h = 0; h < TOPO_NHOSTS; h++) {
		struct stat st;

		assert_int_equal(fstat(topo_netns_fd(t, (enum topo_host)h), &st), 0);
		ino[h] = st.st_ino;
		snprintf(name, sizeof(name), "%s-%s", registry_run_id(reg), h ? "p0" : "c0");
		assert_string_equal(topo_ifname(t, (enum topo_host)h), name);
		gather_host(t, (enum topo_host)h, &f[h]);
	}
	assert_int_not_equal(ino[0], ino[1]);
	assert_string_equal(f[TOPO_CLIENT].addr, "198.18.0.1/24");
	assert_string_equal(f[TOPO_PI].addr, "198.18.0.2/24");
	for (h = 0; h < TOPO_NHOSTS; h++) {
		int p = !h;

		assert_true(f[h].link_flags & IFF_UP);
		assert_true(f[h].lo_flags & IFF_UP);
		assert_int_equal(f[h].mtu, 1500);
		assert_int_equal(f[h].naddr4, 1);
		assert_int_equal(f[h].naddr6, 0); /* not even ::1 or fe80:: */
		if (f[h].offload_on)
			fail_msg("%s: offload %s still on", topo_host_name((enum topo_host)h),
				 f[h].offload_bad);
		assert_int_equal(f[h].neigh_state, NUD_PERMANENT);
		assert_memory_equal(f[h].neigh_mac, f[p].mac, 6);
		assert_string_equal(f[h].disable_ipv6[0], "1");
		assert_string_equal(f[h].disable_ipv6[1], "1");
		assert_string_equal(f[h].disable_ipv6[2], "1");
		assert_string_equal(f[h].rmem, "4096\t131072\t6291456");
		assert_string_equal(f[h].wmem, "4096\t16384\t4194304");
		assert_string_equal(f[h].cc, expected_cc());
		assert_string_equal(f[h].autocork, "0");
		assert_string_equal(f[h].sack, "1");
		assert_string_equal(f[h].ecn, "2");
		assert_string_equal(f[h].nometrics, "1");
		assert_string_equal(f[h].fin_timeout, "17");
		assert_string_not_equal(f[h].qdisc, "tbf");
	}
	/* The MACs are derived from the addresses: the same on every run. */
	assert_memory_equal(f[TOPO_CLIENT].mac, "\x02\x00\xc6\x12\x00\x01", 6);

	topo_free(t);
	for (h = 0; h < TOPO_NHOSTS; h++)
		assert_false(netns_in_use(ino[h]));
	registry_close(reg);
	assert_int_equal(run_dir_entries(), 0);
}

/* The registry holds "netns <name> <inode> <cookie>" for both namespaces. */
static void test_recorded(void **state)
{
	struct topo_config cfg = { 0 };
	struct registry *reg;
	char path[256], buf[1024], want[128];
	struct topo *t;
	int h;

	(void)state;
	need_netns();
	reg = open_registry();
	t = build(reg, &cfg);
	snprintf(path, sizeof(path), "%s/%s/objects", run_dir, registry_run_id(reg));
	assert_int_equal(read_file(path, buf, sizeof(buf)), 0);
	for (h = 0; h < TOPO_NHOSTS; h++) {
		struct stat st;

		assert_int_equal(fstat(topo_netns_fd(t, (enum topo_host)h), &st), 0);
		snprintf(want, sizeof(want), "netns %s-%s %llu ", registry_run_id(reg),
			 topo_host_name((enum topo_host)h), (unsigned long long)st.st_ino);
		if (!strstr(buf, want))
			fail_msg("'%s' not in objects:\n%s", want, buf);
	}
	topo_free(t);
	registry_close(reg);
}

struct sock_req {
	int type, proto;
	int fd;
};

static int make_socket(void *arg)
{
	struct sock_req *r = arg;

	r->fd = socket(r->type == SOCK_RAW ? AF_PACKET : AF_INET, r->type | SOCK_CLOEXEC, r->proto);
	return r->fd < 0 ? -1 : 0;
}

static int socket_in(struct topo *t, enum topo_host h, int type, int proto)
{
	struct sock_req r = { type, proto, -1 };
	char err[256] = "";

	if (topo_in_netns(t, h, make_socket, &r, err, sizeof(err)) < 0)
		fail_msg("socket in %s: %s %s", topo_host_name(h), err, strerror(errno));
	return r.fd;
}

#define BULK 100000

struct sender {
	int fd;
	ssize_t sent;
};

static void *send_bulk(void *arg)
{
	struct sender *s = arg;
	static char buf[BULK];

	memset(buf, 'x', sizeof(buf));
	s->sent = 0;
	while (s->sent < BULK) {
		ssize_t n = send(s->fd, buf + s->sent, (size_t)(BULK - s->sent), MSG_NOSIGNAL);

		if (n <= 0)
			break;
		s->sent += n;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Counts of what the client's veth carried. */
struct wire {
	int frames, arp, ipv6, tcp, bad_ipsum, bad_tcpsum, max_len;
};

static void read_wire(int ps, struct wire *w)
{
	static uint8_t f[65536];
	int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < 100000; i++) {
		ssize_t n = recv(ps, f, sizeof(f), MSG_DONTWAIT | MSG_TRUNC);
		uint16_t type;

		if (n < 0)
			break;
		w->frames++;
		if (n > w->max_len)
			w->max_len = (int)n;
		if (n < 14 || (size_t)n > sizeof(f))
			continue;
		type = (uint16_t)(f[12] << 8 | f[13]);
		if (type == ETH_P_ARP)
			w->arp++;
		if (type == ETH_P_IPV6)
			w->ipv6++;
		if (type == ETH_P_IP && n >= 34 && f[23] == IPPROTO_TCP) {
			/* RFC 791 3.1 header checksum, RFC 793 3.1 TCP
			 * checksum over the pseudo-header. */
			size_t ihl = (size_t)(f[14] & 0x0f) * 4;
			size_t tot = (size_t)(f[16] << 8 | f[17]);
			uint32_t s;

			w->tcp++;
			if (fold(sum16(f + 14, ihl, 0)) != 0xffff)
				w->bad_ipsum++;
			if (tot < ihl + 20 || 14 + tot > (size_t)n) {
				w->bad_tcpsum++;
				continue;
			}
			s = sum16(f + 26, 8, 0); /* source and destination */
			s += IPPROTO_TCP + (uint32_t)(tot - ihl);
			s = sum16(f + 14 + ihl, tot - ihl, s);
			if (fold(s) != 0xffff)
				w->bad_tcpsum++;
		}
	}
}

/* A TCP connection client -> pi carries 100 KB; on the client's veth every
 * frame is at most MTU-sized with valid checksums, and nothing else (no ARP,
 * no IPv6) appears. */
static void test_tcp(void **state)
{
	struct topo_config cfg = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct sender snd;
	struct registry *reg;
	struct wire w;
	pthread_t th;
	struct topo *t;
	struct timeval tmo = { .tv_sec = 10 };
	int ps, ls, cs, as, one = 1, rcvbuf = 8 << 20;
	static char buf[BULK + 1];
	ssize_t got = 0, n;

	(void)state;
	need_netns();
	reg = open_registry();
	t = build(reg, &cfg);

	ps = socket_in(t, TOPO_CLIENT, SOCK_RAW, htons(ETH_P_ALL));
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = topo_ifindex(t, TOPO_CLIENT);
	assert_int_equal(bind(ps, (struct sockaddr *)&ll, sizeof(ll)), 0);
	assert_int_equal(setsockopt(ps, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)), 0);

	ls = socket_in(t, TOPO_PI, SOCK_STREAM, 0);
	assert_int_equal(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	a.sin_addr = topo_addr(t, TOPO_PI);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	cs = socket_in(t, TOPO_CLIENT, SOCK_STREAM, 0);
	assert_int_equal(setsockopt(cs, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)), 0);
	assert_int_equal(connect(cs, (struct sockaddr *)&a, sizeof(a)), 0);
	as = accept(ls, NULL, NULL);
	assert_true(as >= 0);
	assert_int_equal(setsockopt(as, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)), 0);

	snd.fd = as;
	assert_int_equal(pthread_create(&th, NULL, send_bulk, &snd), 0);
	while ((n = recv(cs, buf + got, sizeof(buf) - (size_t)got, 0)) > 0)
		got += n;
	pthread_join(th, NULL);
	assert_int_equal(snd.sent, BULK);
	assert_int_equal(got, BULK);
	close(cs);
	close(as);
	close(ls);

	read_wire(ps, &w);
	close(ps);
	assert_true(w.tcp >= BULK / 1448);
	assert_int_equal(w.arp, 0);
	assert_int_equal(w.ipv6, 0);
	assert_int_equal(w.bad_ipsum, 0);
	assert_int_equal(w.bad_tcpsum, 0);
	assert_true(w.max_len <= 1514); /* no TSO/GSO/GRO super-frames */
	assert_int_equal(w.frames, w.tcp);

	topo_free(t);
	registry_close(reg);
}

/* topo_free kills what runs inside (children stay zombies for us to reap)
 * and the namespaces are gone from every process. */
static void test_free_kills(void **state)
{
	struct topo_config cfg = { 0 };
	struct registry *reg;
	pid_t pid[TOPO_NHOSTS];
	ino_t ino[TOPO_NHOSTS];
	struct topo *t;
	int h, status;

	(void)state;
	need_netns();
	reg = open_registry();
	t = build(reg, &cfg);
	for (h = 0; h < TOPO_NHOSTS; h++) {
		struct stat st;
		int p[2];
		char c;

		assert_int_equal(fstat(topo_netns_fd(t, (enum topo_host)h), &st), 0);
		ino[h] = st.st_ino;
		assert_int_equal(pipe(p), 0);
		pid[h] = fork();
		assert_true(pid[h] >= 0);
		if (pid[h] == 0) {
			if (setns(topo_netns_fd(t, (enum topo_host)h), CLONE_NEWNET) < 0)
				_exit(1);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		children[h] = pid[h];
		assert_int_equal(read(p[0], &c, 1), 1);
		close(p[0]);
	}
	topo_free(t);
	for (h = 0; h < TOPO_NHOSTS; h++) {
		/* topo_free waits for them: the zombie is there at once. */
		if (waitpid(pid[h], &status, WNOHANG) != pid[h])
			fail_msg("pid %d in %s survived topo_free", (int)pid[h],
				 topo_host_name((enum topo_host)h));
		children[h] = 0;
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		assert_false(netns_in_use(ino[h]));
	}
	registry_close(reg);
}

static int ret_ns_inode(void *arg)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return -1;
	*(ino_t *)arg = st.st_ino;
	return 42;
}

/* topo_in_netns runs fn inside, returns its value, and comes back. */
static void test_in_netns(void **state)
{
	struct topo_config cfg = { 0 };
	struct registry *reg;
	struct stat before, after, ns;
	char err[256] = "";
	struct topo *t;
	ino_t inside = 0;

	(void)state;
	need_netns();
	reg = open_registry();
	t = build(reg, &cfg);
	assert_int_equal(stat("/proc/thread-self/ns/net", &before), 0);
	assert_int_equal(topo_in_netns(t, TOPO_PI, ret_ns_inode, &inside, err, sizeof(err)), 42);
	assert_int_equal(stat("/proc/thread-self/ns/net", &after), 0);
	assert_int_equal(fstat(topo_netns_fd(t, TOPO_PI), &ns), 0);
	assert_int_equal(inside, ns.st_ino);
	assert_int_equal(before.st_ino, after.st_ino);
	topo_free(t);
	registry_close(reg);
}

/* A refused configuration or a failing sysctl: a one-line error naming the
 * object and the cause, nothing left behind. */
static void test_errors(void **state)
{
	static const struct topo_sysctl host_key[] = { { "kernel.hostname", "x" } };
	static const struct topo_sysctl no_key[] = { { "net.ipv4.no_such_sysctl", "1" } };
	struct topo_config cfg = { 0 };
	struct registry *reg;
	struct topo *t = NULL;
	char err[512], path[256], buf[2048], *p;

	(void)state;
	need_netns();
	reg = open_registry();

	cfg.sysctls = host_key;
	cfg.nsysctls = 1;
	assert_int_equal(topo_create(&cfg, reg, &t, err, sizeof(err)), -1);
	assert_null(t);
	assert_non_null(strstr(err, "kernel.hostname"));
	assert_non_null(strstr(err, "not a net.* sysctl key"));

	cfg.sysctls = no_key;
	assert_int_equal(topo_create(&cfg, reg, &t, err, sizeof(err)), -1);
	assert_null(t);
	assert_non_null(strstr(err, "net.ipv4.no_such_sysctl"));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_null(strchr(err, '\n'));

	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET, "10.0.0.1", &cfg.addr[TOPO_CLIENT]);
	assert_int_equal(topo_create(&cfg, reg, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10.0.0.1"));

	/* Every namespace the failed attempts recorded is gone. */
	snprintf(path, sizeof(path), "%s/%s/objects", run_dir, registry_run_id(reg));
	assert_int_equal(read_file(path, buf, sizeof(buf)), 0);
	for (p = buf; (p = strstr(p, "netns ")); p++) {
		char name[64];
		unsigned long long ino;

		assert_int_equal(sscanf(p, "netns %63s %llu", name, &ino), 2);
		assert_false(netns_in_use((ino_t)ino));
	}
	registry_close(reg);
	assert_int_equal(run_dir_entries(), 0);
}

/* rate_bps puts a TBF with that rate on both veth ends. */
static void test_rate(void **state)
{
	struct topo_config cfg = { .rate_bps = 100000000, .mtu = 1400 };
	struct registry *reg;
	struct facts f;
	struct topo *t;
	int h;

	(void)state;
	need_netns();
	reg = open_registry();
	t = build(reg, &cfg);
	for (h = 0; h < TOPO_NHOSTS; h++) {
		gather_host(t, (enum topo_host)h, &f);
		assert_string_equal(f.qdisc, "tbf");
		assert_int_equal(f.tbf_rate, 100000000 / 8);
		assert_int_equal(f.mtu, 1400);
	}
	topo_free(t);
	registry_close(reg);
}

/* Child of test_concurrent: waits for the start, builds, reports, holds
 * until released (EOF on rel), tears down. */
static void concurrent_child(int go, int rel, int report)
{
	struct topo_config cfg = { 0 };
	struct registry *reg = NULL;
	struct topo *t = NULL;
	char err[512], msg[64], c;
	int code = 1;

	if (read(go, &c, 1) != 1)
		_exit(2);
	if (registry_open(&reg, err, sizeof(err)) < 0 ||
	    topo_create(&cfg, reg, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "concurrent child: %s\n", err);
		snprintf(msg, sizeof(msg), "fail");
	} else {
		snprintf(msg, sizeof(msg), "%s", registry_run_id(reg));
		code = 0;
	}
	if (write(report, msg, strlen(msg) + 1) < 0)
		code = 3;
	if (read(rel, &c, 1) != 0) /* EOF: the parent saw both built */
		code = 4;
	topo_free(t);
	registry_close(reg);
	_exit(code);
}

/* Two processes build at the same moment, both topologies exist at once,
 * with different run ids, and both tear down. */
static void test_concurrent(void **state)
{
	int go[2], rel[2], rep[2][2], i, status;
	char id[2][64];
	pid_t pid[2];

	(void)state;
	need_netns();
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(rel), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(rep[i]), 0);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(go[1]);
			close(rel[1]);
			close(rep[i][0]);
			if (i == 1)
				close(rep[0][0]);
			concurrent_child(go[0], rel[0], rep[i][1]);
		}
		children[i] = pid[i];
		close(rep[i][1]);
	}
	close(go[0]);
	close(rel[0]);
	assert_int_equal(write(go[1], "gg", 2), 2); /* both start now */
	close(go[1]);
	for (i = 0; i < 2; i++) {
		ssize_t n = read(rep[i][0], id[i], sizeof(id[i]));

		assert_true(n > 0);
		id[i][n - 1] = '\0';
		close(rep[i][0]);
	}
	close(rel[1]); /* both are built: let them tear down */
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		children[i] = 0;
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_string_not_equal(id[0], "fail");
	assert_string_not_equal(id[1], "fail");
	assert_string_not_equal(id[0], id[1]);
	assert_int_equal(run_dir_entries(), 0);
}

/* keep: the namespaces stay bound under /run/netns after the run, the run
 * directory stays, registry_clean_unkept (a supervisor's clean-up) leaves
 * them, and registry_clean_stale (`wirelab clean`) removes both. */
static void test_keep(void **state)
{
	struct {
		char id[8];
		unsigned long long ino;
	} r;
	char path[128], err[512];
	struct stat st;
	int p[2], status, n;
	pid_t pid;

	(void)state;
	need_netns();
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct topo_config cfg = { .keep = 1 };
		struct registry *reg = NULL;
		struct topo *t = NULL;

		close(p[0]);
		memset(&r, 0, sizeof(r));
		if (registry_open(&reg, err, sizeof(err)) < 0 ||
		    topo_create(&cfg, reg, &t, err, sizeof(err)) < 0) {
			fprintf(stderr, "keep child: %s\n", err);
			_exit(1);
		}
		snprintf(r.id, sizeof(r.id), "%s", registry_run_id(reg));
		if (fstat(topo_netns_fd(t, TOPO_CLIENT), &st) < 0)
			_exit(1);
		r.ino = st.st_ino;
		topo_free(t);
		registry_close(reg);
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	children[0] = pid;
	assert_int_equal(read(p[0], &r, sizeof(r)), sizeof(r));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	children[0] = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	snprintf(path, sizeof(path), "/run/netns/%s-client", r.id);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((unsigned long long)st.st_ino, r.ino); /* the very namespace */
	assert_true(netns_in_use((ino_t)r.ino) == 0);		/* held by the mount only */
	assert_int_equal(run_dir_entries(), 1);

	n = registry_clean_unkept(NULL, NULL, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_unkept: %s", err);
	assert_int_equal(n, 0);
	assert_int_equal(stat(path, &st), 0); /* still up */
	assert_int_equal(run_dir_entries(), 1);

	n = registry_clean_stale(NULL, NULL, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_stale: %s", err);
	assert_int_equal(n, 2);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "/run/netns/%s-pi", r.id);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(run_dir_entries(), 0);
}

/* ---- main ------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Each test gets its own registry directory, so that what a failed test
 * left does not fail the next one. */
static int test_setup(void **state)
{
	(void)state;
	snprintf(run_dir, sizeof(run_dir), "/tmp/wirelab-test-topo-XXXXXX");
	if (!mkdtemp(run_dir))
		return -1;
	setenv("WIRELAB_RUN_DIR", run_dir, 1);
	alarm(60); /* a hung test ends the program (its namespaces die with it) */
	return 0;
}

/* After every test, passed or failed: undo what dead runs (the forked
 * children) left, kept mounts included, then drop the directory. Runs of
 * this process (a failed test skips registry_close) hold namespaces by fd
 * only, which go when the test program exits. */
static int test_teardown(void **state)
{
	char err[512];
	size_t i;

	(void)state;
	alarm(0);
	for (i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
		children[i] = 0;
	}
	if (registry_clean_stale(NULL, NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "warning: clean-up after the test: %s\n", err);
	if (nftw(run_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "warning: cannot remove %s: %s\n", run_dir, strerror(errno));
	return 0;
}

static int setup(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0) {
		skip_reason = "namespaces need root";
		return 0;
	}
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		skip_reason = "unshare(CLONE_NEWNET) refused by the kernel";
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_recorded, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_tcp, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_free_kills, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_in_netns, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_errors, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_rate, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_keep, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

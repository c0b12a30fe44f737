/* netns/topo.c — the two-host lab network, built through libnl-3.
 *
 * How a namespace is made: unshare(CLONE_NEWNET) moves the *calling thread*
 * into a new namespace (unshare(2); CLONE_NEWNET is per thread), the thread
 * opens /proc/thread-self/ns/net to hold it, and setns(2) takes it back to
 * the namespace it came from. Netlink and ioctl sockets opened while inside
 * stay bound to that namespace (netlink(7): a socket belongs to the
 * namespace it was created in), so almost all configuration is done from
 * outside through them; only /proc/sys needs the thread inside, because
 * procfs resolves /proc/sys/net against the current thread's namespace.
 *
 * The veth pair is created from the client namespace with its peer sent
 * straight into pi (IFLA_NET_NS_FD inside VETH_INFO_PEER, drivers/net/veth.c
 * veth_newlink), so the root namespace never sees either end, and the pair
 * dies with the namespaces: it needs no registry line of its own.
 *
 * Registry: "netns <prefix>-<host> <inode> <cookie>" is written right after
 * unshare, before anything is made inside. A crash before that line leaves a
 * namespace held only by this thread, which dies with the process. The cookie
 * (SO_NETNS_COOKIE, 0 on kernels < 5.14) lets a later clean-up tell our
 * namespace from a new one that reuses the inode number (registry.c).
 */
#include "netns/topo.h"

#include "netns/errbuf.h"
#include "netns/registry.h"

#include <net/if.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* asm-generic/socket.h, Linux 5.14 */
#endif

#define NETNS_RUN_DIR  "/run/netns" /* iproute2's, for `ip netns exec` */
#define LAB_NET	       0xc6120000u  /* 198.18.0.0/15, RFC 2544 benchmarking range */
#define LAB_MASK       0xfffe0000u
#define KILL_WAIT_MS   5000
#define TBF_LATENCY_US 50000 /* queue limit: 50 ms at the rate, as tc-tbf(8)'s examples */

struct topo {
	struct registry *reg;
	char prefix[8];
	char nsname[TOPO_NHOSTS][24]; /* <prefix>-client, <prefix>-pi */
	int nsfd[TOPO_NHOSTS];
	struct stat nsst[TOPO_NHOSTS]; /* dev/inode: how /proc/PID/ns/net names it */
	char ifname[TOPO_NHOSTS][IFNAMSIZ];
	int ifindex[TOPO_NHOSTS];
	uint8_t mac[TOPO_NHOSTS][6];
	struct in_addr addr[TOPO_NHOSTS];
	int keep;
	char mnt[TOPO_NHOSTS][64];
	int mnt_file[TOPO_NHOSTS]; /* we created the file */
	int mnt_done[TOPO_NHOSTS]; /* we mounted on it */
};

/* What only topo_create needs: one rtnetlink and one ioctl socket per
 * namespace (made inside it), and the thread's original namespace. */
struct build {
	const struct topo_config *cfg;
	struct nl_sock *sk[TOPO_NHOSTS];
	int ioc[TOPO_NHOSTS];
	int orig;
	unsigned prefixlen, mtu;
};

/* The pins (Documentation/networking/ip-sysctl.rst). A new namespace copies
 * tcp_rmem, tcp_wmem and the congestion control from the root namespace
 * (net/ipv4/tcp_ipv4.c tcp_sk_init), and a host's tuning must not change a
 * lab's SYN window (FIELD-NOTES "Clean captures"); the rest are the kernel
 * defaults, pinned so that what the capture shows does not depend on the
 * kernel's or the host's choice. */
static const struct topo_sysctl pinned[] = {
	{ "net.ipv4.tcp_rmem", "4096 131072 6291456" },
	{ "net.ipv4.tcp_wmem", "4096 16384 4194304" },
	/* Special-cased in pin_sysctls(): cubic, or reno where the host
	 * forbids cubic in namespaces. */
	{ "net.ipv4.tcp_congestion_control", "cubic" },
	{ "net.ipv4.tcp_timestamps", "1" },
	{ "net.ipv4.tcp_sack", "1" },
	{ "net.ipv4.tcp_window_scaling", "1" },
	{ "net.ipv4.tcp_ecn", "2" },
	/* No cached RTT/ssthresh from an earlier connection of the lab
	 * (tcp_metrics): every connection starts like the first. */
	{ "net.ipv4.tcp_no_metrics_save", "1" },
	{ "net.ipv4.tcp_fastopen", "1" },
	/* Off, unlike the kernel default: autocorking holds a small write
	 * back while an earlier skb of the socket is still in the qdisc or
	 * device queue, so two write()s leave as one or two segments depending
	 * on a race with the transmit path. With it off, segments follow the
	 * program's writes and Nagle (RFC 896), which depend only on ACKs. */
	{ "net.ipv4.tcp_autocorking", "0" },
	/* The kernel default (RFC 5681 4.1: restart from the restart window
	 * after an idle RTO), pinned rather than changed: a lab that wants a
	 * long-lived connection to keep its window sets it in cfg->sysctls. */
	{ "net.ipv4.tcp_slow_start_after_idle", "1" },
};

const char *topo_host_name(enum topo_host h)
{
	switch (h) {
	case TOPO_CLIENT:
		return "client";
	case TOPO_PI:
		return "pi";
	}
	return "?";
}

/* ---- sysctls ---------------------------------------------------------- */

/* /proc/sys path of key. Only net.* is accepted: kernel.*, vm.* and the
 * rest are the host's. Under /proc/sys/net a non-initial namespace sees its
 * own values; the few global ones shown there are read-only (net/ipv4/
 * sysctl_net_ipv4.c ipv4_sysctl_init_net: "Entries without data pointer are
 * global; Make them read-only in non-init_net ns"), so a write cannot reach
 * the host. */
static int sysctl_path(const char *key, char *path, size_t len)
{
	size_t i, n = strlen(key);
	int slashes = strchr(key, '/') != NULL;

	if (strncmp(key, slashes ? "net/" : "net.", 4) || n > 200 || strstr(key, "..") ||
	    key[n - 1] == '.' || key[n - 1] == '/' || strstr(key, "//"))
		return -1;
	for (i = 0; i < n; i++) {
		char c = key[i];

		if (!(c == '.' || c == '/' || c == '_' || c == '-' || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return -1;
	}
	snprintf(path, len, "/proc/sys/%s", key);
	if (!slashes) /* sysctl(8): dots separate, unless the key has a slash */
		for (i = strlen("/proc/sys/"); path[i]; i++)
			if (path[i] == '.')
				path[i] = '/';
	return 0;
}

/* Writes key=value for the namespace the calling thread is in. On failure
 * errno tells why (EPERM, ENOENT, EINVAL...). */
static int sysctl_set(const char *ns, const char *key, const char *value, char *err, size_t errlen)
{
	char path[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd = -1, e = 0, ret = -1;

	if (sysctl_path(key, path, sizeof(path)) < 0) {
		e = EINVAL;
		errbuf_set(err, errlen, "cannot set %s in %s: not a net.* sysctl key", key, ns);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		errbuf_set(err, errlen, "cannot set %s=%s in %s: %s", key, value, ns, strerror(e));
		goto out;
	}
	do {
		n = write(fd, value, len);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		e = n < 0 ? errno : EIO;
		errbuf_set(err, errlen, "cannot set %s=%s in %s: %s", key, value, ns,
			   n < 0 ? strerror(e) : "short write");
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	errno = e;
	return ret;
}

static int have_ipv6(void)
{
	return access("/proc/sys/net/ipv6", F_OK) == 0;
}

/* The pinned sysctls, in the namespace the calling thread is in.
 *
 * The congestion control: cubic, the kernel's default since 2.6.19 and what
 * the notes' Raspberry Pi runs. A non-initial namespace may only choose an
 * algorithm the host lists in net.ipv4.tcp_allowed_congestion_control
 * (net/ipv4/tcp_cong.c tcp_set_default_congestion_control: EPERM), and a
 * kernel built with another default (CONFIG_DEFAULT_TCP_CONG=bbr, as on the
 * project's machines) does not list cubic. Changing the host's list is not
 * ours to do, so there the lab gets reno, which is always allowed: loss-based
 * like cubic, with the same slow start and no pacing, unlike the bbr the
 * namespace would otherwise inherit. A lab that needs a given algorithm
 * sets it in cfg->sysctls and then fails loudly where it is not allowed. */
static int pin_sysctls(const char *ns, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		const struct topo_sysctl *p = &pinned[i];

		if (sysctl_set(ns, p->key, p->value, err, errlen) == 0)
			continue;
		if (errno != EPERM || strcmp(p->key, "net.ipv4.tcp_congestion_control") ||
		    sysctl_set(ns, p->key, "reno", err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- libnl helpers ---------------------------------------------------- */

static int link_get(struct nl_sock *sk, const char *ns, const char *name, struct rtnl_link **out,
		    char *err, size_t errlen)
{
	int r = rtnl_link_get_kernel(sk, 0, name, out);

	if (r < 0)
		errbuf_set(err, errlen, "cannot find link %s in %s: %s", name, ns, nl_geterror(r));
	return r < 0 ? -1 : 0;
}

static int link_up(struct nl_sock *sk, const char *ns, struct rtnl_link *link, char *err,
		   size_t errlen)
{
	struct rtnl_link *chg = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (chg) {
		rtnl_link_set_flags(chg, IFF_UP);
		r = rtnl_link_change(sk, link, chg, 0);
		rtnl_link_put(chg);
	}
	if (r < 0)
		errbuf_set(err, errlen, "cannot set link %s up in %s: %s", rtnl_link_get_name(link),
			   ns, nl_geterror(r));
	return r < 0 ? -1 : 0;
}

static int lo_up(struct nl_sock *sk, const char *ns, char *err, size_t errlen)
{
	struct rtnl_link *lo = NULL;
	int ret = -1;

	if (link_get(sk, ns, "lo", &lo, err, errlen) < 0)
		goto out;
	if (link_up(sk, ns, lo, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (lo)
		rtnl_link_put(lo);
	return ret;
}

/* ---- the namespaces --------------------------------------------------- */

/* Makes host h's namespace with the calling thread, records it, and sets
 * what must be set before any link exists: IPv6 off (so the veth is born
 * with disable_ipv6=1 and never sends DAD, RS or MLD), the pinned sysctls,
 * lo up. Leaves one netlink and one ioctl socket bound to it. Always
 * returns the thread to b->orig. */
static int host_init(struct topo *t, struct build *b, enum topo_host h, char *err, size_t errlen)
{
	const char *ns = t->nsname[h];
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	int inside = 0, r, ret = -1;

	if (unshare(CLONE_NEWNET) < 0) {
		errbuf_set(err, errlen, "cannot create namespace %s: unshare: %s", ns,
			   strerror(errno));
		goto out;
	}
	inside = 1;
	t->nsfd[h] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t->nsfd[h] < 0 || fstat(t->nsfd[h], &t->nsst[h]) < 0) {
		errbuf_set(err, errlen, "cannot open namespace %s: %s", ns, strerror(errno));
		goto out;
	}
	b->ioc[h] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->ioc[h] < 0) {
		errbuf_set(err, errlen, "cannot open a socket in %s: %s", ns, strerror(errno));
		goto out;
	}
	if (getsockopt(b->ioc[h], SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &clen) < 0) {
		if (errno != ENOPROTOOPT) {
			errbuf_set(err, errlen, "cannot get the cookie of %s: %s", ns,
				   strerror(errno));
			goto out;
		}
		cookie = 0;
	}
	if (registry_add(t->reg, err, errlen, "netns %s %llu %llu", ns,
			 (unsigned long long)t->nsst[h].st_ino, (unsigned long long)cookie) < 0)
		goto out;

	if (have_ipv6()) {
		if (sysctl_set(ns, "net.ipv6.conf.all.disable_ipv6", "1", err, errlen) < 0 ||
		    sysctl_set(ns, "net.ipv6.conf.default.disable_ipv6", "1", err, errlen) < 0)
			goto out;
	}
	if (pin_sysctls(ns, err, errlen) < 0)
		goto out;

	b->sk[h] = nl_socket_alloc();
	if (!b->sk[h]) {
		errbuf_set(err, errlen, "cannot open a netlink socket in %s: out of memory", ns);
		goto out;
	}
	r = nl_connect(b->sk[h], NETLINK_ROUTE);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot open a netlink socket in %s: %s", ns,
			   nl_geterror(r));
		goto out;
	}
	if (lo_up(b->sk[h], ns, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (inside && setns(b->orig, CLONE_NEWNET) < 0) {
		errbuf_set(err, errlen, "cannot leave namespace %s: setns: %s", ns,
			   strerror(errno));
		ret = -1;
	}
	return ret;
}

struct late_sysctls {
	const struct topo *t;
	const struct build *b;
	enum topo_host h;
	char *err;
	size_t errlen;
};

/* Inside host h, once its veth exists: IPv6 off on the veth itself (it was
 * born with it off through conf/default; this also covers a kernel that
 * did not apply the default) and the lab's own sysctls, which may name the
 * veth (net.ipv4.conf.<ifname>.*). */
static int late_sysctls_fn(void *arg)
{
	struct late_sysctls *a = arg;
	const char *ns = a->t->nsname[a->h];
	char key[96];
	size_t i;

	if (have_ipv6()) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", a->t->ifname[a->h]);
		if (sysctl_set(ns, key, "1", a->err, a->errlen) < 0)
			return -1;
	}
	for (i = 0; i < a->b->cfg->nsysctls; i++) {
		const struct topo_sysctl *s = &a->b->cfg->sysctls[i];

		if (!s->key || !s->value) {
			errbuf_set(a->err, a->errlen,
				   "cannot set sysctl #%zu in %s: no key or value", i + 1, ns);
			return -1;
		}
		if (sysctl_set(ns, s->key, s->value, a->err, a->errlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- the veth --------------------------------------------------------- */

/* Locally administered unicast MACs (IEEE 802: bit 1 of the first octet)
 * derived from the IPv4 address, 02:00:c6:12:00:01 for 198.18.0.1: the
 * Ethernet headers of a lab's capture are the same on every run. */
static void lab_mac(struct in_addr a, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, &a.s_addr, 4);
}

static int veth_add(struct topo *t, struct build *b, char *err, size_t errlen)
{
	struct rtnl_link *link = NULL, *peer = NULL;
	struct nl_addr *mac[TOPO_NHOSTS] = { NULL, NULL };
	int h, r, ret = -1;

	link = rtnl_link_veth_alloc();
	if (!link)
		goto nomem;
	peer = rtnl_link_veth_get_peer(link);
	for (h = 0; h < TOPO_NHOSTS; h++) {
		uint8_t m[6];

		lab_mac(t->addr[h], m);
		mac[h] = nl_addr_build(AF_LLC, m, sizeof(m));
		if (!mac[h])
			goto nomem;
	}
	rtnl_link_set_name(link, t->ifname[TOPO_CLIENT]);
	rtnl_link_set_mtu(link, b->mtu);
	rtnl_link_set_addr(link, mac[TOPO_CLIENT]);
	rtnl_link_set_name(peer, t->ifname[TOPO_PI]);
	rtnl_link_set_mtu(peer, b->mtu);
	rtnl_link_set_addr(peer, mac[TOPO_PI]);
	rtnl_link_set_ns_fd(peer, t->nsfd[TOPO_PI]);
	r = rtnl_link_add(b->sk[TOPO_CLIENT], link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot add veth %s/%s: %s", t->ifname[TOPO_CLIENT],
			   t->ifname[TOPO_PI], nl_geterror(r));
		goto out;
	}
	ret = 0;
	goto out;
nomem:
	errbuf_set(err, errlen, "cannot add veth %s/%s: out of memory", t->ifname[TOPO_CLIENT],
		   t->ifname[TOPO_PI]);
out:
	for (h = 0; h < TOPO_NHOSTS; h++)
		if (mac[h])
			nl_addr_put(mac[h]);
	if (peer)
		rtnl_link_put(peer);
	if (link)
		rtnl_link_put(link); /* frees the peer object with it */
	return ret;
}

/* ---- offloads --------------------------------------------------------- */

/* The features to turn off, by their ethtool names (ETH_SS_FEATURES
 * strings, net/ethtool/common.c netdev_features_strings): every tx checksum
 * offload, every segmentation offload (TSO in all its variants — kernels add
 * new ones, 6.18 has tx-tcp-accecn-segmentation — GSO, USO...), GRO and LRO.
 * With them off the stack hands the veth MTU-sized frames with finished
 * checksums, which is what a capture on it must show (FIELD-NOTES). Matching
 * names, rather than the legacy ETHTOOL_STSO/SGSO/SGRO/STXCSUM ioctls, also
 * catches variants those older commands do not cover. */
static int offload_name(const char *name)
{
	size_t n = strlen(name);
	static const char seg[] = "-segmentation";

	return !strncmp(name, "tx-checksum-", 12) || !strncmp(name, "rx-gro", 6) ||
	       !strcmp(name, "rx-lro") ||
	       (n > sizeof(seg) - 1 && !strcmp(name + n - (sizeof(seg) - 1), seg));
}

static int ethtool_ioctl(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static int offloads_off(const struct topo *t, const struct build *b, enum topo_host h, char *err,
			size_t errlen)
{
	const char *ifn = t->ifname[h], *ns = t->nsname[h];
	struct {
		struct ethtool_sset_info hdr;
		uint32_t count;
	} si;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *get = NULL;
	struct ethtool_sfeatures *set = NULL;
	uint32_t n, nblocks, i;
	int ret = -1;

	memset(&si, 0, sizeof(si));
	si.hdr.cmd = ETHTOOL_GSSET_INFO;
	si.hdr.sset_mask = 1ULL << ETH_SS_FEATURES;
	if (ethtool_ioctl(b->ioc[h], ifn, &si) < 0 || !si.hdr.sset_mask) {
		errbuf_set(err, errlen, "cannot list the features of %s in %s: %s", ifn, ns,
			   si.hdr.sset_mask ? strerror(errno) : "no feature names");
		goto out;
	}
	n = si.count;
	nblocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	get = calloc(1, sizeof(*get) + nblocks * sizeof(get->features[0]));
	set = calloc(1, sizeof(*set) + nblocks * sizeof(set->features[0]));
	if (!names || !get || !set) {
		errbuf_set(err, errlen, "cannot turn offloads off on %s in %s: out of memory", ifn,
			   ns);
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	if (ethtool_ioctl(b->ioc[h], ifn, names) < 0) {
		errbuf_set(err, errlen, "cannot list the features of %s in %s: %s", ifn, ns,
			   strerror(errno));
		goto out;
	}
	set->cmd = ETHTOOL_SFEATURES;
	set->size = nblocks;
	for (i = 0; i < n; i++)
		if (offload_name((const char *)names->data + (size_t)i * ETH_GSTRING_LEN))
			set->features[i / 32].valid |= 1u << (i % 32); /* requested: 0 */
	/* A positive return (ETHTOOL_F_WISH...) means not all of it took:
	 * the read below says which feature, by name. */
	if (ethtool_ioctl(b->ioc[h], ifn, set) < 0) {
		errbuf_set(err, errlen, "cannot turn offloads off on %s in %s: %s", ifn, ns,
			   strerror(errno));
		goto out;
	}
	get->cmd = ETHTOOL_GFEATURES;
	get->size = nblocks;
	if (ethtool_ioctl(b->ioc[h], ifn, get) < 0) {
		errbuf_set(err, errlen, "cannot read the features of %s in %s: %s", ifn, ns,
			   strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *name = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;

		if ((set->features[i / 32].valid & (1u << (i % 32))) &&
		    (get->features[i / 32].active & (1u << (i % 32)))) {
			errbuf_set(err, errlen, "cannot turn %.*s off on %s in %s: still on",
				   ETH_GSTRING_LEN, name, ifn, ns);
			goto out;
		}
	}
	ret = 0;
out:
	free(set);
	free(get);
	free(names);
	return ret;
}

/* ---- addresses, neighbours, rate -------------------------------------- */

static int addr_add(const struct topo *t, const struct build *b, enum topo_host h, char *err,
		    size_t errlen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &t->addr[h], sizeof(t->addr[h]));
	char s[INET_ADDRSTRLEN];
	int r = -NLE_NOMEM;

	inet_ntop(AF_INET, &t->addr[h], s, sizeof(s));
	if (a && local) {
		nl_addr_set_prefixlen(local, (int)b->prefixlen);
		rtnl_addr_set_ifindex(a, t->ifindex[h]);
		r = rtnl_addr_set_local(a, local);
		if (r >= 0)
			r = rtnl_addr_add(b->sk[h], a, 0);
	}
	if (r < 0)
		errbuf_set(err, errlen, "cannot add address %s/%u to %s in %s: %s", s, b->prefixlen,
			   t->ifname[h], t->nsname[h], nl_geterror(r));
	if (local)
		nl_addr_put(local);
	if (a)
		rtnl_addr_put(a);
	return r < 0 ? -1 : 0;
}

/* A permanent entry for the peer: the kernel never resolves it, so no ARP
 * request or reply (nor the re-probe after ~5 s) reaches the capture. */
static int neigh_add(const struct topo *t, const struct build *b, enum topo_host h, char *err,
		     size_t errlen)
{
	enum topo_host p = h == TOPO_CLIENT ? TOPO_PI : TOPO_CLIENT;
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &t->addr[p], sizeof(t->addr[p]));
	struct nl_addr *ll = nl_addr_build(AF_LLC, t->mac[p], sizeof(t->mac[p]));
	char s[INET_ADDRSTRLEN];
	int r = -NLE_NOMEM;

	inet_ntop(AF_INET, &t->addr[p], s, sizeof(s));
	if (n && dst && ll) {
		rtnl_neigh_set_ifindex(n, t->ifindex[h]);
		rtnl_neigh_set_family(n, AF_INET);
		r = rtnl_neigh_set_dst(n, dst);
		if (r >= 0) {
			rtnl_neigh_set_lladdr(n, ll);
			rtnl_neigh_set_state(n, NUD_PERMANENT);
			r = rtnl_neigh_add(b->sk[h], n, NLM_F_CREATE | NLM_F_REPLACE);
		}
	}
	if (r < 0)
		errbuf_set(err, errlen, "cannot add neighbour %s on %s in %s: %s", s, t->ifname[h],
			   t->nsname[h], nl_geterror(r));
	if (ll)
		nl_addr_put(ll);
	if (dst)
		nl_addr_put(dst);
	if (n)
		rtnl_neigh_put(n);
	return r < 0 ? -1 : 0;
}

/* TBF as root qdisc of the veth end (tc-tbf(8)). Bucket: one millisecond at
 * the rate but at least two full frames: hrtimer-based TBF needs no
 * rate/HZ bucket, and a small one keeps the link as smooth as a real NIC's. */
static int tbf_add(const struct topo *t, const struct build *b, enum topo_host h,
		   struct rtnl_link *link, char *err, size_t errlen)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	uint64_t bps = b->cfg->rate_bps / 8;
	uint64_t bucket = bps / 1000;
	int r = -NLE_NOMEM;

	if (bucket < 2 * ((uint64_t)b->mtu + 14))
		bucket = 2 * ((uint64_t)b->mtu + 14);
	if (q) {
		rtnl_tc_set_link(TC_CAST(q), link);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	}
	if (r >= 0) {
		rtnl_qdisc_tbf_set_rate(q, (int)bps, (int)bucket, 0);
		r = rtnl_qdisc_tbf_set_limit_by_latency(q, TBF_LATENCY_US);
	}
	if (r >= 0)
		r = rtnl_qdisc_add(b->sk[h], q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		errbuf_set(err, errlen, "cannot add tbf rate %llu bit/s on %s in %s: %s",
			   (unsigned long long)b->cfg->rate_bps, t->ifname[h], t->nsname[h],
			   nl_geterror(r));
	if (q)
		rtnl_qdisc_put(q);
	return r < 0 ? -1 : 0;
}

/* Link lookup, MAC check, and everything done to the veth ends from outside. */
static int veth_setup(struct topo *t, struct build *b, char *err, size_t errlen)
{
	struct rtnl_link *link[TOPO_NHOSTS] = { NULL, NULL };
	int h, ret = -1;

	for (h = 0; h < TOPO_NHOSTS; h++) {
		struct nl_addr *a;

		if (link_get(b->sk[h], t->nsname[h], t->ifname[h], &link[h], err, errlen) < 0)
			goto out;
		t->ifindex[h] = rtnl_link_get_ifindex(link[h]);
		a = rtnl_link_get_addr(link[h]); /* not a reference */
		if (!a || nl_addr_get_len(a) != sizeof(t->mac[h])) {
			errbuf_set(err, errlen, "cannot read the MAC address of %s in %s",
				   t->ifname[h], t->nsname[h]);
			goto out;
		}
		memcpy(t->mac[h], nl_addr_get_binary_addr(a), sizeof(t->mac[h]));
	}
	for (h = 0; h < TOPO_NHOSTS; h++) {
		struct late_sysctls a = { t, b, (enum topo_host)h, err, errlen };
		char e2[256];
		int r = topo_in_netns(t, (enum topo_host)h, late_sysctls_fn, &a, e2, sizeof(e2));

		if (r < 0) {
			if (e2[0])
				errbuf_set(err, errlen, "%s", e2);
			goto out;
		}
	}
	for (h = 0; h < TOPO_NHOSTS; h++) {
		if (offloads_off(t, b, (enum topo_host)h, err, errlen) < 0 ||
		    addr_add(t, b, (enum topo_host)h, err, errlen) < 0)
			goto out;
	}
	for (h = 0; h < TOPO_NHOSTS; h++)
		if (link_up(b->sk[h], t->nsname[h], link[h], err, errlen) < 0)
			goto out;
	/* After up: taking a device down flushes its neighbour entries. */
	for (h = 0; h < TOPO_NHOSTS; h++)
		if (neigh_add(t, b, (enum topo_host)h, err, errlen) < 0)
			goto out;
	if (b->cfg->rate_bps)
		for (h = 0; h < TOPO_NHOSTS; h++)
			if (tbf_add(t, b, (enum topo_host)h, link[h], err, errlen) < 0)
				goto out;
	ret = 0;
out:
	for (h = 0; h < TOPO_NHOSTS; h++)
		if (link[h])
			rtnl_link_put(link[h]);
	return ret;
}

/* ---- keep ------------------------------------------------------------- */

/* Bind-mounts each namespace on /run/netns/<prefix>-<host>, as `ip netns
 * add` does for its own, so that `ip netns exec` finds it. Unlike iproute2
 * we do not turn /run/netns into a shared mount point: that would be a
 * change to the host's mount table that outlives the lab. /run/netns itself
 * is made if missing and left, as iproute2 leaves it: removing it could
 * race with an `ip netns add` of somebody else. */
static int keep_mount(struct topo *t, char *err, size_t errlen)
{
	int h;

	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		errbuf_set(err, errlen, "cannot create %s: %s", NETNS_RUN_DIR, strerror(errno));
		return -1;
	}
	for (h = 0; h < TOPO_NHOSTS; h++) {
		char src[64];
		int fd;

		snprintf(t->mnt[h], sizeof(t->mnt[h]), "%s/%s", NETNS_RUN_DIR, t->nsname[h]);
		if (registry_add(t->reg, err, errlen, "mount %s", t->mnt[h]) < 0)
			return -1;
		fd = open(t->mnt[h], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd < 0) {
			errbuf_set(err, errlen, "cannot create %s: %s", t->mnt[h], strerror(errno));
			return -1;
		}
		close(fd);
		t->mnt_file[h] = 1;
		snprintf(src, sizeof(src), "/proc/self/fd/%d", t->nsfd[h]);
		if (mount(src, t->mnt[h], "none", MS_BIND, NULL) < 0) {
			errbuf_set(err, errlen, "cannot bind-mount namespace %s on %s: %s",
				   t->nsname[h], t->mnt[h], strerror(errno));
			return -1;
		}
		t->mnt_done[h] = 1;
	}
	return 0;
}

/* ---- create ----------------------------------------------------------- */

static int check_config(const struct topo_config *cfg, struct topo *t, struct build *b, char *err,
			size_t errlen)
{
	static const uint32_t defaults[TOPO_NHOSTS] = { 0xc6120001u, 0xc6120002u };
	uint32_t a[TOPO_NHOSTS], mask;
	char s[INET_ADDRSTRLEN];
	int h;

	b->prefixlen = cfg->prefixlen ? cfg->prefixlen : 24;
	b->mtu = cfg->mtu ? cfg->mtu : 1500;
	if (b->prefixlen < 15 || b->prefixlen > 31) {
		errbuf_set(err, errlen,
			   "bad prefix length /%u: the lab network is 198.18.0.0/15, "
			   "so /15 to /31",
			   b->prefixlen);
		return -1;
	}
	if (b->mtu < 68 || b->mtu > 65535) { /* ETH_MIN_MTU, ETH_MAX_MTU */
		errbuf_set(err, errlen, "bad MTU %u: a veth takes 68 to 65535", b->mtu);
		return -1;
	}
	if (cfg->rate_bps / 8 > INT32_MAX || (cfg->rate_bps && cfg->rate_bps < 8000)) {
		errbuf_set(err, errlen, "bad rate %llu bit/s: tbf takes 8 kbit/s to 17 Gbit/s",
			   (unsigned long long)cfg->rate_bps);
		return -1;
	}
	if (cfg->nsysctls && !cfg->sysctls) {
		errbuf_set(err, errlen, "bad configuration: %zu sysctls but no list",
			   cfg->nsysctls);
		return -1;
	}
	for (h = 0; h < TOPO_NHOSTS; h++) {
		t->addr[h] = cfg->addr[h];
		if (!t->addr[h].s_addr)
			t->addr[h].s_addr = htonl(defaults[h]);
		a[h] = ntohl(t->addr[h].s_addr);
		inet_ntop(AF_INET, &t->addr[h], s, sizeof(s));
		if ((a[h] & LAB_MASK) != LAB_NET) {
			errbuf_set(err, errlen,
				   "bad address %s for %s: outside the lab network "
				   "198.18.0.0/15",
				   s, topo_host_name((enum topo_host)h));
			return -1;
		}
	}
	mask = 0xffffffffu << (32 - b->prefixlen);
	if (a[0] == a[1] || (a[0] & mask) != (a[1] & mask)) {
		errbuf_set(err, errlen,
			   "bad addresses: client and pi must differ and share one /%u",
			   b->prefixlen);
		return -1;
	}
	return 0;
}

int topo_create(const struct topo_config *cfg, struct registry *reg, struct topo **out, char *err,
		size_t errlen)
{
	struct build b;
	struct topo *t = NULL;
	int h, ret = -1;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.orig = -1;
	for (h = 0; h < TOPO_NHOSTS; h++)
		b.ioc[h] = -1;
	if (!cfg || !reg || !out) {
		errbuf_set(err, errlen, "cannot create the topology: no configuration or registry");
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errbuf_set(err, errlen, "cannot create the topology: %s", strerror(errno));
		goto out;
	}
	t->reg = reg;
	for (h = 0; h < TOPO_NHOSTS; h++)
		t->nsfd[h] = -1;
	if (check_config(cfg, t, &b, err, errlen) < 0)
		goto out;
	snprintf(t->prefix, sizeof(t->prefix), "%.6s", registry_run_id(reg));
	for (h = 0; h < TOPO_NHOSTS; h++) {
		snprintf(t->nsname[h], sizeof(t->nsname[h]), "%s-%s", t->prefix,
			 topo_host_name((enum topo_host)h));
		snprintf(t->ifname[h], sizeof(t->ifname[h]), "%s-%s", t->prefix,
			 h == TOPO_CLIENT ? "c0" : "p0");
	}

	b.orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (b.orig < 0) {
		errbuf_set(err, errlen, "cannot open this thread's namespace: %s", strerror(errno));
		goto out;
	}
	for (h = 0; h < TOPO_NHOSTS; h++)
		if (host_init(t, &b, (enum topo_host)h, err, errlen) < 0)
			goto out;
	if (veth_add(t, &b, err, errlen) < 0)
		goto out;
	if (veth_setup(t, &b, err, errlen) < 0)
		goto out;
	if (cfg->keep) {
		t->keep = 1;
		if (keep_mount(t, err, errlen) < 0)
			goto out;
	}
	*out = t;
	t = NULL;
	ret = 0;
out:
	for (h = 0; h < TOPO_NHOSTS; h++) {
		if (b.sk[h])
			nl_socket_free(b.sk[h]);
		if (b.ioc[h] >= 0)
			close(b.ioc[h]);
	}
	if (b.orig >= 0)
		close(b.orig);
	if (t) {
		t->keep = 0; /* a failed build leaves nothing, kept or not */
		topo_free(t);
	}
	return ret;
}

/* ---- accessors -------------------------------------------------------- */

int topo_netns_fd(const struct topo *t, enum topo_host h)
{
	return t->nsfd[h];
}

const char *topo_ifname(const struct topo *t, enum topo_host h)
{
	return t->ifname[h];
}

int topo_ifindex(const struct topo *t, enum topo_host h)
{
	return t->ifindex[h];
}

struct in_addr topo_addr(const struct topo *t, enum topo_host h)
{
	return t->addr[h];
}

int topo_in_netns(const struct topo *t, enum topo_host h, int (*fn)(void *ctx), void *ctx,
		  char *err, size_t errlen)
{
	int self, ret = -1;

	if (err && errlen)
		err[0] = '\0';
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		errbuf_set(err, errlen, "cannot open this thread's namespace: %s", strerror(errno));
		goto out;
	}
	if (setns(t->nsfd[h], CLONE_NEWNET) < 0) {
		errbuf_set(err, errlen, "cannot enter namespace %s: %s", t->nsname[h],
			   strerror(errno));
		goto out;
	}
	ret = fn(ctx);
	if (setns(self, CLONE_NEWNET) < 0) {
		errbuf_set(err, errlen, "cannot leave namespace %s: %s", t->nsname[h],
			   strerror(errno));
		ret = -1;
	}
out:
	if (self >= 0)
		close(self);
	return ret;
}

/* ---- free ------------------------------------------------------------- */

static int in_our_netns(const struct topo *t, const struct stat *st)
{
	int h;

	for (h = 0; h < TOPO_NHOSTS; h++)
		if (t->nsfd[h] >= 0 && st->st_dev == t->nsst[h].st_dev &&
		    st->st_ino == t->nsst[h].st_ino)
			return 1;
	return 0;
}

/* SIGKILLs every process one of whose threads is inside our namespaces and
 * waits until each has exited. Exited children are left as zombies for
 * their parent (proc.c) to reap: reaping here would steal their status.
 * While we hold the namespace fds their inodes cannot be reused, so (dev,
 * inode) identifies them exactly. Bounded: a few scans, KILL_WAIT_MS each. */
static void kill_inside(const struct topo *t)
{
	pid_t self = getpid();
	int round;

	for (round = 0; round < 5; round++) {
		int fds[256], n = 0, i;
		struct dirent *e;
		DIR *proc = opendir("/proc");

		if (!proc)
			return;
		while ((e = readdir(proc)) && n < (int)(sizeof(fds) / sizeof(fds[0]))) {
			pid_t pid = (pid_t)atoi(e->d_name);
			char tdir[64], nspath[64 + 256 + 8];
			struct dirent *te;
			struct stat st;
			DIR *task;
			int hit = 0, pfd;

			if (pid <= 0 || pid == self)
				continue;
			snprintf(tdir, sizeof(tdir), "/proc/%d/task", (int)pid);
			task = opendir(tdir);
			if (!task)
				continue;
			while (!hit && (te = readdir(task))) {
				if (te->d_name[0] == '.')
					continue;
				snprintf(nspath, sizeof(nspath), "%s/%s/ns/net", tdir, te->d_name);
				hit = stat(nspath, &st) == 0 && in_our_netns(t, &st);
			}
			closedir(task);
			if (!hit)
				continue;
			/* With the pidfd held the pid cannot be recycled; a
			 * second look makes sure it is still the same process. */
			pfd = (int)syscall(SYS_pidfd_open, pid, 0);
			if (pfd < 0)
				continue;
			if (stat(nspath, &st) < 0 || !in_our_netns(t, &st) ||
			    syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0) {
				close(pfd);
				continue;
			}
			fds[n++] = pfd;
		}
		closedir(proc);
		for (i = 0; i < n; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };

			while (poll(&p, 1, KILL_WAIT_MS) < 0 && errno == EINTR)
				;
			close(fds[i]);
		}
		if (n == 0)
			break;
	}
}

void topo_free(struct topo *t)
{
	int h;

	if (!t)
		return;
	kill_inside(t);
	/* keep: the mounts (and with them the namespaces, the veth, the
	 * addresses) outlive the run. "kept" tells the clean-up after this
	 * run to leave them to `wirelab clean` (registry.h). */
	if (t->keep && t->mnt_done[TOPO_CLIENT] && t->mnt_done[TOPO_PI]) {
		char e[256];

		if (registry_add(t->reg, e, sizeof(e), "kept") < 0) {
			/* Unmarked, the lab goes with the run's clean-up:
			 * not what was asked, but nothing leaks. */
		}
	}
	for (h = TOPO_NHOSTS - 1; h >= 0 && !t->keep; h--) {
		if (t->mnt_done[h])
			umount2(t->mnt[h], MNT_DETACH);
		if (t->mnt_file[h])
			unlink(t->mnt[h]);
	}
	for (h = TOPO_NHOSTS - 1; h >= 0; h--)
		if (t->nsfd[h] >= 0)
			close(t->nsfd[h]);
	free(t);
}

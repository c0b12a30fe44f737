/* netns/topo.h — the two-host lab network, built through libnl-3.
 *
 * Two network namespaces, "client" and "pi", joined by one veth pair, each
 * namespace held only by a file descriptor of this process (so it vanishes
 * with the run, even after SIGKILL), unless cfg->keep bind-mounts them under
 * /run/netns/<prefix>-<host> for `ip netns exec`. <prefix> is the registry's
 * run id.
 *
 * In each namespace: lo up; IPv6 off before the veth comes up; the veth end
 * named <prefix>-c0 / <prefix>-p0, MTU, address (/prefixlen), up; TSO, GSO,
 * GRO and tx checksum offload off; a permanent neighbour entry for the peer
 * (no ARP on the wire); the pinned TCP sysctls (see topo.c) then cfg->sysctls;
 * optionally a TBF rate limit on each veth end.
 *
 * No process is forked to do any of it: no `ip`, no `ethtool`, no `tc`.
 */
#ifndef WIRELAB_TOPO_H
#define WIRELAB_TOPO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct registry;

enum topo_host { TOPO_CLIENT = 0, TOPO_PI = 1 };
#define TOPO_NHOSTS 2

struct topo_sysctl {
	const char *key;   /* "net.ipv4.tcp_sack" (dots or slashes) */
	const char *value; /* written as is */
};

struct topo_config {
	struct in_addr addr[TOPO_NHOSTS]; /* 0.0.0.0: 198.18.0.1 / 198.18.0.2 */
	unsigned prefixlen;		  /* 0: 24 */
	unsigned mtu;			  /* 0: 1500 */
	uint64_t rate_bps;		  /* 0: no limit; else TBF on both veth ends */
	const struct topo_sysctl *sysctls;
	size_t nsysctls;
	int keep; /* bind-mount the namespaces under /run/netns (recorded in reg);
		   * they outlive topo_free and the run until `wirelab clean` */
};

struct topo;

/* Builds the topology, recording each object in reg before making it.
 * On failure everything made so far is removed, kept or not. *out is NULL
 * on entry. reg must outlive the topology (topo_free writes to it). */
int topo_create(const struct topo_config *cfg, struct registry *reg, struct topo **out, char *err,
		size_t errlen) __attribute__((warn_unused_result));

int topo_netns_fd(const struct topo *t, enum topo_host h);
const char *topo_ifname(const struct topo *t, enum topo_host h); /* its veth end */
int topo_ifindex(const struct topo *t, enum topo_host h);
struct in_addr topo_addr(const struct topo *t, enum topo_host h);
const char *topo_host_name(enum topo_host h); /* "client", "pi" */

/* Runs fn(ctx) with the calling thread inside host h's namespace, then
 * returns to the namespace it came from. Returns fn's result, or -1 (err
 * filled) if entering or leaving failed. */
int topo_in_netns(const struct topo *t, enum topo_host h, int (*fn)(void *ctx), void *ctx,
		  char *err, size_t errlen);

/* Kills every process still inside the namespaces (by pid, found through
 * /proc/PID/task/TID/ns/net; SIGKILL, then waits until each has exited but
 * reaps none: a child of the caller stays a zombie for its owner), closes
 * the namespaces. Without keep that is the end of them and of the veth.
 * With keep the bind mounts stay, so the lab stays up, and "kept" is
 * recorded in reg (registry.h). Accepts NULL. */
void topo_free(struct topo *t);

#endif

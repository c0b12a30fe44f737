/* netns/sockdiag.h — the TCP sockets of a namespace, through NETLINK_SOCK_DIAG
 * (inet_diag), with no `ss` subprocess and no probe packet on the wire.
 */
#ifndef WIRELAB_SOCKDIAG_H
#define WIRELAB_SOCKDIAG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct sockdiag_sock {
	int state;		 /* TCP_ESTABLISHED... from <netinet/tcp.h> */
	struct in_addr src, dst; /* IPv4 only: labs are IPv4 */
	uint16_t sport, dport;	 /* host order */
	int timer;	     /* idiag_timer: 0 none, 1 retrans, 2 keepalive, 3 TIME_WAIT, 4 probe */
	uint32_t expires_ms; /* time left on that timer */
};

/* Lists the TCP sockets (all states) of the namespace netns_fd (-1: the
 * caller's). *out is malloc'd (free it), NULL on entry. */
int sockdiag_list(int netns_fd, struct sockdiag_sock **out, size_t *n, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Polls until a socket listens on port in the namespace. 0 ready, 1 timeout, -1 error. */
int sockdiag_wait_listen(int netns_fd, uint16_t port, int timeout_ms, char *err, size_t errlen);

/* Polls until no TCP socket of any of the namespaces is in a state of an
 * open or closing connection (SYN_*, ESTABLISHED, FIN_WAIT*, CLOSE_WAIT,
 * CLOSING, LAST_ACK): only LISTEN, TIME_WAIT or nothing is left.
 * 0 quiet, 1 timeout, -1 error. */
int sockdiag_wait_quiet(const int *netns_fds, size_t nfds, int timeout_ms, char *err,
			size_t errlen);

#endif

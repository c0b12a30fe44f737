/* netns/impair.h — link delay and deterministic loss, without sch_netem.
 *
 * Many kernels (this one included) have no netem. wirelab brings its own
 * engine on NFQUEUE: in the pi namespace, the packets arriving from the veth
 * (raw PREROUTING) and the packets leaving to it (mangle POSTROUTING) go to
 * a queue that a thread of this process serves. Each packet is held for the
 * one-way delay of its direction, in order, then accepted — or dropped if the
 * caller's drop function says so.
 *
 * Both holds sit on the pi's side of the link, so a capture on the client's
 * veth sees what Wireshark on the notes' laptop saw: a full round trip between
 * a client packet and the server's answer, ~0 between a server packet and the
 * client's immediate answer.
 */
#ifndef WIRELAB_IMPAIR_H
#define WIRELAB_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

struct topo;

enum impair_dir { IMPAIR_TO_PI = 0, IMPAIR_TO_CLIENT = 1 };

/* Decides the fate of one packet: ip points at its IPv4 header (len bytes).
 * Called once per packet, in arrival order, from the engine's thread.
 * Returns 1 to drop the packet, 0 to pass it. */
typedef int (*impair_drop_fn)(void *ctx, enum impair_dir dir, const uint8_t *ip, size_t len);

struct impair_config {
	uint32_t delay_us[2]; /* one-way delay, by enum impair_dir */
	impair_drop_fn drop;  /* NULL: drop nothing */
	void *drop_ctx;
};

struct impair_stats {
	uint64_t passed, dropped;
	uint32_t max_held; /* most packets held at once */
};

struct impair;

/* Installs the rules in the pi namespace and starts the engine's thread.
 * With both delays 0 and no drop function, installs nothing (*out is still
 * a valid, idle engine). */
int impair_start(const struct topo *t, const struct impair_config *cfg, struct impair **out,
		 char *err, size_t errlen) __attribute__((warn_unused_result));

/* Waits until no packet is held (or timeout_ms). 0 idle, 1 timeout. */
int impair_wait_idle(struct impair *im, int timeout_ms);

void impair_get_stats(const struct impair *im, struct impair_stats *st);

/* A line for the report: "nfqueue (25.0 ms/25.0 ms, 1 dropped)" or "none". */
const char *impair_describe(const struct impair *im);

/* Stops the thread (accepting whatever is still held) and frees. NULL ok. */
void impair_free(struct impair *im);

#endif

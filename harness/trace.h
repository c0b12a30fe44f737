/* harness/trace.h — the lab's connection, as the claims see it.
 *
 * A trace is the dissected packets of one TCP stream of a capture (the lab's
 * connection, found by what it carries), in capture order, each with its
 * frame number in the whole capture; plus facts that only a live run can
 * know (sock_diag's TIME_WAIT timers, what a client reported...), by name.
 */
#ifndef WIRELAB_TRACE_H
#define WIRELAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/pkt.h"

/* What identifies a lab's connection (INTERFACE.md, `check`). */
enum trace_kind {
	TRACE_ANY,	 /* the first TCP stream */
	TRACE_HTTP,	 /* the first stream whose client sends an HTTP request */
	TRACE_WEBSOCKET, /* ... an HTTP request with Upgrade: websocket */
	TRACE_TLS,	 /* ... a TLS ClientHello */
	TRACE_SSH,	 /* ... an SSH identification line */
};

struct trace_fact {
	char *name; /* "timewait.side" */
	char *value;
};

struct trace {
	char *capture;	    /* the file it came from */
	uint32_t nframes;   /* frames in the whole capture */
	int32_t stream;	    /* tcp.stream of the lab's connection */
	int nstreams_match; /* streams that carry the kind (>1: "took the first") */
	struct pkt *pkts;   /* the stream's packets, capture order */
	size_t npkts;
	struct trace_fact *facts;
	size_t nfacts;
};

/* Reads a pcap/pcapng, picks the stream (stream >= 0: that tcp.stream; else
 * the first that carries kind) and keeps its packets. Returns 0, or -1 with
 * err filled as one line naming the file ("x.pcap: no TCP stream carries an
 * HTTP request"). *out is NULL on entry. */
int trace_load(const char *path, enum trace_kind kind, int32_t stream, struct trace **out,
	       char *err, size_t errlen) __attribute__((warn_unused_result));

/* Adds or replaces a fact. */
int trace_set_fact(struct trace *t, const char *name, const char *value);
/* NULL if unknown (a claim reading it is n/a). */
const char *trace_fact(const struct trace *t, const char *name);

void trace_free(struct trace *t);

#endif

/* harness/dissect.h — frames to struct pkt: link, IP, TCP, streams, and the
 * protocol dissectors over each direction's reassembled bytes.
 *
 * State is per TCP stream (relative sequence bases, analysis, the bytes a
 * protocol dissector has not consumed yet), never per packet, so reading a
 * capture of any size takes memory in the number of open streams.
 */
#ifndef WIRELAB_DISSECT_H
#define WIRELAB_DISSECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/json.h"
#include "harness/pkt.h"
#include "harness/trace.h"

struct dissect;

/* Link-layer header types (pcap's LINKTYPE_* values) that are dissected. */
int dissect_linktype_supported(int linktype);

int dissect_new(int linktype, struct dissect **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Dissects the next frame. p is reset (keeping its allocations) and filled;
 * a truncated or malformed frame is described in p->err, never read past.
 * Returns 0, or -1 on ENOMEM. */
int dissect_frame(struct dissect *d, int64_t ts_us, uint32_t wirelen, const uint8_t *data,
		  uint32_t caplen, struct pkt *p);

/* What a stream carries, as a bitmask of 1 << enum trace_kind. */
unsigned dissect_stream_carries(const struct dissect *d, int32_t stream);
int32_t dissect_nstreams(const struct dissect *d);

/* Reading one stream out of many (trace.c). Whether the stream carries
 * kind (dissect_stream_carries): 1 yes, 0 no and it never will, -1 not known
 * yet (its protocol is not found, or an HTTP stream may still upgrade). */
int dissect_stream_has(const struct dissect *d, int32_t stream, enum trace_kind kind);
/* Only what the stream carries of kind matters from now on: it is dissected
 * until that is known (no options, Info or window scaling meanwhile), then
 * its later packets get the frame, IP and TCP header values, tcp.stream, the
 * relative numbers and the analysis, nothing else. */
void dissect_stream_probe(struct dissect *d, int32_t stream, enum trace_kind kind);

/* 1 if some protocol dissector may add the field. */
int dissect_field_known(const char *name);

void dissect_free(struct dissect *d);

/* ---- For the protocol dissectors (dissect_<proto>.c) ---- */

struct proto_io {
	const struct proto *next;
	unsigned carries;
	char ctx[160]; /* for next: what the upgrade negotiated (extensions) */
};

struct proto {
	const char *name;	   /* "http" */
	const char *const *fields; /* NULL-terminated names it may add */
	/* Whether a stream whose direction dir begins with data speaks this
	 * protocol: 1 yes, 0 no, -1 not enough bytes to tell. */
	int (*detect)(const uint8_t *data, size_t len, int dir);
	void *(*open)(void);
	void (*close)(void *st);
	/* Optional: what the upgrade that opened it negotiated (proto_io.ctx). */
	void (*upgraded)(void *st, const char *ctx);
	/* Consumes what it can of one direction's reassembled bytes, adding the
	 * fields of every message that completes to p (and a short text to
	 * p->info). Returns the bytes consumed (0: needs more), or (size_t)-1
	 * on ENOMEM. May set io->next to hand the stream to another protocol
	 * (an HTTP upgrade) and add trace-kind bits to io->carries. */
	size_t (*feed)(void *st, int dir, const uint8_t *data, size_t len, struct pkt *p,
		       struct proto_io *io);
	/* Optional: the direction's FIN arrived, every byte before it fed.
	 * Lists what ends with the close (an HTTP body read to the close). */
	int (*fin)(void *st, int dir, struct pkt *p);
	unsigned carries; /* trace kind bit it marks on the stream */
	/* Writes this protocol's keys of `show --json` for the packet (e.g.
	 * `, "http": {...}`), nothing if the packet has none of its messages;
	 * json to a stream, jw to show's buffered writer. */
	void (*json)(FILE *out, const struct pkt *p);
	void (*jw)(struct jw *w, const struct pkt *p);
};

/* Every protocol's json writer, in table order (used by show). */
void dissect_json(struct jw *w, const struct pkt *p);

extern const struct proto proto_http;
extern const struct proto proto_websocket;
extern const struct proto proto_tls; /* dissect_tls.c */
extern const struct proto proto_ssh; /* dissect_ssh.c */

/* A protocol reached only by an upgrade ("websocket"), or NULL. */
const struct proto *dissect_proto_by_name(const char *name);

/* Appends printf text to p->info, separated by ", " from what is there. */
void pkt_info_add(struct pkt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a protocol error in the field "wl.error" and in p->info. */
int pkt_proto_error(struct pkt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

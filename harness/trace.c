/* harness/trace.c — the lab's connection out of a capture.
 *
 * One pass over the file (two when many streams stay undecided for long):
 * see struct sel. Memory stays in the streams' state plus one stream's
 * packets (and at most SPECULATIVE_MAX others), whatever the size of the
 * capture.
 */
#include "harness/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture.h"
#include "harness/dissect.h"

static const char *kind_text(enum trace_kind k)
{
	switch (k) {
	case TRACE_ANY:
		return "TCP data";
	case TRACE_HTTP:
		return "an HTTP request";
	case TRACE_WEBSOCKET:
		return "a WebSocket upgrade";
	case TRACE_TLS:
		return "a TLS ClientHello";
	case TRACE_SSH:
		return "an SSH identification line";
	}
	return "?";
}

/* Packets kept of streams that may still turn out to be the lab's, beyond
 * the first one found: past this, the file is read a second time. */
#define SPECULATIVE_MAX 4096

/* One pass over the file picks the stream and keeps its packets. The lab's
 * stream is the first that carries the kind: packets are kept of the first
 * found so far and of earlier streams not known yet, and only those are
 * dissected whole. Every other stream is only probed (dissect_stream_probe)
 * for whether it carries the kind, as the report counts the candidates:
 * most of a big capture is read for its TCP numbers alone. */
struct sel {
	struct trace *t;
	struct dissect *d;
	enum trace_kind kind;
	int32_t want;	   /* the stream asked for (--stream), or -1 */
	int32_t best;	   /* the first stream known to carry kind, or INT32_MAX */
	size_t compact_at; /* t->npkts that calls for compact() */
	int overflow;	   /* too many kept in vain: pick now, keep in a second pass */
};

static int candidate(const struct sel *sl, int32_t s, int has)
{
	if (sl->want >= 0)
		return s == sl->want;
	if (sl->overflow)
		return 0;
	return s == sl->best || (s < sl->best && has != 0);
}

static void drop_pkts(struct trace *t)
{
	for (size_t i = 0; i < t->npkts; i++)
		pkt_clear(&t->pkts[i]);
	free(t->pkts);
	t->pkts = NULL;
	t->npkts = 0;
}

/* Forgets the packets of streams that are no longer candidates; too many
 * left of others than the best: give up keeping in this pass. */
static void compact(struct sel *sl)
{
	struct trace *t = sl->t;
	size_t n = 0, others = 0;

	for (size_t i = 0; i < t->npkts; i++) {
		int32_t s = t->pkts[i].stream;

		if (!candidate(sl, s, dissect_stream_has(sl->d, s, sl->kind))) {
			pkt_clear(&t->pkts[i]);
			continue;
		}
		others += s != sl->best;
		t->pkts[n++] = t->pkts[i];
	}
	t->npkts = n;
	if (sl->want < 0 && others > SPECULATIVE_MAX) {
		drop_pkts(t);
		sl->overflow = 1;
	}
	sl->compact_at = 2 * t->npkts + SPECULATIVE_MAX;
}

static int keep(struct trace *t, const struct pkt *p)
{
	if (t->npkts % 64 == 0) {
		struct pkt *n = realloc(t->pkts, (t->npkts + 64) * sizeof(*n));

		if (!n)
			return -1;
		t->pkts = n;
	}
	if (pkt_copy(&t->pkts[t->npkts], p))
		return -1;
	t->npkts++;
	return 0;
}

static int select_frame(struct sel *sl, const struct pkt *p)
{
	int32_t s = p->stream;
	int has;

	if (s < 0)
		return 0;
	has = dissect_stream_has(sl->d, s, sl->kind);
	if (has == 1 && s < sl->best)
		sl->best = s;
	if (!candidate(sl, s, has)) {
		dissect_stream_probe(sl->d, s, sl->kind);
		return 0;
	}
	if (keep(sl->t, p))
		return -1;
	if (sl->want < 0 && sl->t->npkts >= sl->compact_at)
		compact(sl);
	return 0;
}

/* Reads the whole file; sl->d is its dissection. */
static int pass(const char *path, struct sel *sl, char *err, size_t errlen)
{
	struct capfile *cf = NULL;
	struct pkt p;
	int ret = -1, r;
	int64_t ts;
	uint32_t wl, cl;
	const uint8_t *data;

	memset(&p, 0, sizeof(p));
	sl->t->nframes = 0;
	sl->best = INT32_MAX;
	sl->compact_at = SPECULATIVE_MAX;
	sl->overflow = 0;
	if (capture_open(path, &cf, err, errlen))
		goto out;
	if (dissect_new(capture_linktype(cf), &sl->d, err, errlen))
		goto out;
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		if (dissect_frame(sl->d, ts, wl, data, cl, &p) || select_frame(sl, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		sl->t->nframes++;
	}
	if (r < 0)
		goto out;
	ret = 0;
out:
	pkt_clear(&p);
	capture_close(cf);
	return ret;
}

int trace_load(const char *path, enum trace_kind kind, int32_t stream, struct trace **out,
	       char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	struct sel sl = { t, NULL, kind, stream, INT32_MAX, 0, 0 };
	int32_t nstreams;
	int ret = -1;

	if (!t || !(t->capture = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (pass(path, &sl, err, errlen))
		goto out;
	nstreams = dissect_nstreams(sl.d);
	if (t->nframes == 0) {
		snprintf(err, errlen, "%s: the capture holds no packets", path);
		goto out;
	}
	if (nstreams == 0) {
		snprintf(err, errlen, "%s: no TCP stream in the capture (%u frames)", path,
			 t->nframes);
		goto out;
	}
	for (int32_t s = 0; s < nstreams; s++)
		if (kind == TRACE_ANY || (dissect_stream_carries(sl.d, s) & (1u << kind)))
			t->nstreams_match++;
	t->stream = sl.best < INT32_MAX ? sl.best : -1;
	if (stream >= 0) {
		if (stream >= nstreams) {
			snprintf(err, errlen, "%s: no stream %d (the capture has tcp.stream 0..%d)",
				 path, stream, nstreams - 1);
			goto out;
		}
		t->stream = stream;
	}
	if (t->stream < 0) {
		snprintf(err, errlen, "%s: no TCP stream carries %s (%d streams)", path,
			 kind_text(kind), nstreams);
		goto out;
	}
	if (sl.overflow) {
		/* The stream is known now: read the file again for it. */
		dissect_free(sl.d);
		sl.d = NULL;
		sl.want = t->stream;
		if (pass(path, &sl, err, errlen))
			goto out;
	}
	/* Only the lab's stream's packets stay, in capture order. */
	sl.want = t->stream;
	compact(&sl);
	*out = t;
	t = NULL;
	ret = 0;
out:
	dissect_free(sl.d);
	trace_free(t);
	return ret;
}

int trace_set_fact(struct trace *t, const char *name, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -1;
	for (size_t i = 0; i < t->nfacts; i++) {
		if (!strcmp(t->facts[i].name, name)) {
			free(t->facts[i].value);
			t->facts[i].value = v;
			return 0;
		}
	}
	struct trace_fact *n = realloc(t->facts, (t->nfacts + 1) * sizeof(*n));
	char *nm = strdup(name);

	if (!n || !nm) {
		free(v);
		free(nm);
		if (n)
			t->facts = n;
		return -1;
	}
	t->facts = n;
	t->facts[t->nfacts].name = nm;
	t->facts[t->nfacts].value = v;
	t->nfacts++;
	return 0;
}

const char *trace_fact(const struct trace *t, const char *name)
{
	for (size_t i = 0; i < t->nfacts; i++)
		if (!strcmp(t->facts[i].name, name))
			return t->facts[i].value;
	return NULL;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->npkts; i++)
		pkt_clear(&t->pkts[i]);
	for (size_t i = 0; i < t->nfacts; i++) {
		free(t->facts[i].name);
		free(t->facts[i].value);
	}
	free(t->facts);
	free(t->pkts);
	free(t->capture);
	free(t);
}

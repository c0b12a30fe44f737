/* harness/trace.c — the lab's connection out of a capture.
 *
 * Two passes over the file: the first dissects everything to learn what each
 * stream carries and picks the stream; the second keeps that stream's
 * packets. Memory stays in the streams' state plus one stream's packets,
 * whatever the size of the capture.
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

/* Dissects the whole file, calling fn for every frame. */
static int pass(const char *path, struct dissect **dout, int (*fn)(void *, const struct pkt *),
		void *ctx, uint32_t *nframes, char *err, size_t errlen)
{
	struct capfile *cf = NULL;
	struct dissect *d = NULL;
	struct pkt p;
	int ret = -1, r;
	int64_t ts;
	uint32_t wl, cl;
	const uint8_t *data;

	memset(&p, 0, sizeof(p));
	if (capture_open(path, &cf, err, errlen))
		goto out;
	if (dissect_new(capture_linktype(cf), &d, err, errlen))
		goto out;
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		if (dissect_frame(d, ts, wl, data, cl, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if (fn && fn(ctx, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		(*nframes)++;
	}
	if (r < 0)
		goto out;
	ret = 0;
out:
	pkt_clear(&p);
	capture_close(cf);
	if (ret == 0 && dout)
		*dout = d;
	else
		dissect_free(d);
	return ret;
}

static int keep(void *ctx, const struct pkt *p)
{
	struct trace *t = ctx;

	if (p->stream != t->stream)
		return 0;
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

int trace_load(const char *path, enum trace_kind kind, int32_t stream, struct trace **out,
	       char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	struct dissect *d = NULL;
	uint32_t nframes = 0;
	int ret = -1;

	if (!t || !(t->capture = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (pass(path, &d, NULL, NULL, &nframes, err, errlen))
		goto out;
	if (nframes == 0) {
		snprintf(err, errlen, "%s: the capture holds no packets", path);
		goto out;
	}
	if (dissect_nstreams(d) == 0) {
		snprintf(err, errlen, "%s: no TCP stream in the capture (%u frames)", path,
			 nframes);
		goto out;
	}
	t->stream = -1;
	for (int32_t s = 0; s < dissect_nstreams(d); s++) {
		if (kind != TRACE_ANY && !(dissect_stream_carries(d, s) & (1u << kind)))
			continue;
		t->nstreams_match++;
		if (t->stream < 0)
			t->stream = s;
	}
	if (stream >= 0) {
		if (stream >= dissect_nstreams(d)) {
			snprintf(err, errlen, "%s: no stream %d (the capture has tcp.stream 0..%d)",
				 path, stream, dissect_nstreams(d) - 1);
			goto out;
		}
		t->stream = stream;
	}
	if (t->stream < 0) {
		snprintf(err, errlen, "%s: no TCP stream carries %s (%d streams)", path,
			 kind_text(kind), dissect_nstreams(d));
		goto out;
	}
	/* The first pass's streams are not needed for the second. */
	dissect_free(d);
	d = NULL;
	nframes = 0;
	if (pass(path, NULL, keep, t, &nframes, err, errlen))
		goto out;
	t->nframes = nframes;
	*out = t;
	t = NULL;
	ret = 0;
out:
	dissect_free(d);
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

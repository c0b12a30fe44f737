/* harness/lab.c — lab scripts (labs/README.md), read line by line.
 *
 * Each line is one statement: a keyword, then words and strings. Claim
 * expressions are handed to claim.c's parser, which says how far it read.
 * Everything that can be checked without a capture is checked here, so that
 * a script error stops `wirelab list` and `check` before any run.
 */
#include "harness/lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/claim.h"
#include "harness/filter.h"

struct lparse {
	const char *name; /* for messages */
	const char *text;
	size_t len;
	size_t off; /* start of the next line */
	int lineno; /* of the current line */
	char *line; /* the current line, comment cut off */
	size_t pos; /* cursor in line */
	struct lab *lab;
	struct lab_claim *claim; /* the open claim or question, or NULL */
	int question;		 /* ... it is a question */
	char *base;		 /* what `lab` must say */
	size_t kwat;		 /* offset of the current statement's keyword */
	size_t claim_at;	 /* ... of the open claim's */
	/* Where each statement that may appear once was seen (0: not yet). */
	int at_lab, at_title, at_section, at_stream, at_host[2], at_rate, at_mtu, at_delay[2];
	char *err;
	size_t errlen;
};

static int l_fail(struct lparse *lp, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* off: offset in the current line (columns count bytes from 1). */
static int l_fail(struct lparse *lp, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(lp->err, lp->errlen, "%s:%d:%zu: ", lp->name, lp->lineno, off + 1);

	if (n >= 0 && (size_t)n < lp->errlen) {
		va_start(ap, fmt);
		vsnprintf(lp->err + n, lp->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int l_nomem(struct lparse *lp)
{
	snprintf(lp->err, lp->errlen, "%s: out of memory", lp->name);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void l_skip(struct lparse *lp)
{
	while (is_space(lp->line[lp->pos]))
		lp->pos++;
}

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_space(s[n]) && s[n] != '"')
		n++;
	return n;
}

/* "expected WHAT, got ..." at the cursor. */
/* A word as a message shows it: at most 40 bytes, then "...". One at a
 * time (a static buffer): a message quotes one word. */
static const char *shown(const char *w, size_t n)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "%.*s%s", (int)(n > 40 ? 40 : n), w, n > 40 ? "..." : "");
	return buf;
}

static int l_expected(struct lparse *lp, const char *what)
{
	const char *s;

	l_skip(lp);
	s = lp->line + lp->pos;
	if (!*s)
		return l_fail(lp, lp->pos, "expected %s, got end of line", what);
	if (*s == '"')
		return l_fail(lp, lp->pos, "expected %s, got a string", what);
	return l_fail(lp, lp->pos, "expected %s, got \"%s\"", what, shown(s, word_len(s)));
}

/* Reads a word (anything up to a blank or a quote); *w points into the line. */
static int l_word(struct lparse *lp, const char *what, const char **w, size_t *n)
{
	l_skip(lp);
	*n = word_len(lp->line + lp->pos);
	if (*n == 0)
		return l_expected(lp, what);
	*w = lp->line + lp->pos;
	lp->pos += *n;
	return 0;
}

static int w_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && !strncmp(w, kw, n);
}

/* The cursor is at the end of the line. */
static int l_end(struct lparse *lp)
{
	l_skip(lp);
	if (lp->line[lp->pos])
		return l_expected(lp, "end of line");
	return 0;
}

int lab_string(const char *s, char **out, size_t *used, size_t **offs, char *err, size_t errlen)
{
	size_t i = 1, n = 0, cap = strlen(s) + 1;
	char *v = malloc(cap);
	size_t *o = offs ? malloc(cap * sizeof(*o)) : NULL;
	int ret = -1;

	*used = 0;
	if (!v || (offs && !o)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		char c = s[i];

		if (c == '\0' || c == '\n') {
			snprintf(err, errlen, "unterminated string");
			goto out;
		}
		if (c == '"')
			break;
		if (o)
			o[n] = i;
		if (c != '\\') {
			v[n++] = c;
			i++;
			continue;
		}
		if (s[i + 1] == '"' || s[i + 1] == '\\') {
			v[n++] = s[i + 1];
		} else if (s[i + 1] == 'n') {
			v[n++] = '\n';
		} else {
			*used = i;
			if (s[i + 1] && s[i + 1] != '\n')
				snprintf(err, errlen,
					 "expected an escape \\\" \\\\ or \\n, got \"\\%c\"",
					 s[i + 1]);
			else
				snprintf(err, errlen, "unterminated string");
			goto out;
		}
		i += 2;
	}
	if (o)
		o[n] = i;
	v[n] = '\0';
	*used = i + 1;
	*out = v;
	v = NULL;
	if (offs) {
		*offs = o;
		o = NULL;
	}
	ret = 0;
out:
	free(v);
	free(o);
	return ret;
}

/* Reads a string at the cursor; *at is its offset in the line. */
static int l_string(struct lparse *lp, const char *what, char **out, size_t *at, size_t **offs)
{
	size_t used = 0;
	char msg[160];

	l_skip(lp);
	if (lp->line[lp->pos] != '"')
		return l_expected(lp, what);
	if (lab_string(lp->line + lp->pos, out, &used, offs, msg, sizeof(msg)) < 0)
		return l_fail(lp, lp->pos + used, "%s", msg);
	if (at)
		*at = lp->pos;
	lp->pos += used;
	return 0;
}

/* A string that a statement may set once (title, text...). */
static int l_once_string(struct lparse *lp, char **field, const char *what)
{
	if (*field)
		return l_fail(lp, lp->kwat, "%s given twice", what);
	if (l_string(lp, "a string in double quotes", field, NULL, NULL) < 0)
		return -1;
	return l_end(lp);
}

/* Appends one zeroed element to an array of n; NULL on ENOMEM. */
static void *grow(void *base, size_t n, size_t size)
{
	char *p = realloc(base, (n + 1) * size);

	if (p)
		memset(p + n * size, 0, size);
	return p;
}

/* NUMBER UNIT, the number decimal with an optional fraction: what
 * durations and rates are made of. Returns the unit's index in units, or -1. */
static int num_unit(const char *w, size_t n, const char *const *units, size_t nunits, double *v)
{
	char buf[32], *end;
	size_t d = 0;

	while (d < n && (w[d] >= '0' && w[d] <= '9'))
		d++;
	if (d == 0)
		return -1;
	if (d < n && w[d] == '.') {
		size_t f = ++d;

		while (d < n && (w[d] >= '0' && w[d] <= '9'))
			d++;
		if (d == f)
			return -1;
	}
	if (d >= sizeof(buf))
		return -1;
	memcpy(buf, w, d);
	buf[d] = '\0';
	errno = 0;
	*v = strtod(buf, &end);
	if (errno || *end)
		return -1;
	for (size_t k = 0; k < nunits; k++)
		if (w_is(w + d, n - d, units[k]))
			return (int)k;
	return -1;
}

/* A duration in microseconds, at most max_us. */
static int l_duration(struct lparse *lp, uint64_t max_us, uint64_t *us)
{
	static const char *const units[] = { "us", "ms", "s" };
	static const double scale[] = { 1, 1e3, 1e6 };
	const char *w;
	size_t n, at;
	double v;
	int u;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a duration such as 25ms", &w, &n) < 0)
		return -1;
	u = num_unit(w, n, units, 3, &v);
	if (u < 0)
		return l_fail(lp, at, "expected a duration such as 25ms, got \"%s\"", shown(w, n));
	v *= scale[u];
	if (v > (double)max_us)
		return l_fail(lp, at, "expected a duration of at most %gs, got \"%s\"",
			      (double)max_us / 1e6, shown(w, n));
	*us = (uint64_t)(v + 0.5);
	return 0;
}

/* An integer in [lo, hi]; what names it in the message. */
static int l_uint(struct lparse *lp, const char *what, long lo, long hi, long *out)
{
	const char *w;
	size_t n, at;
	char buf[24], *end;
	long v;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, what, &w, &n) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 23 ? n : 23), w);
	errno = 0;
	v = strtol(buf, &end, 10);
	if (n >= sizeof(buf) || buf[0] < '0' || buf[0] > '9' || *end || errno || v < lo || v > hi)
		return l_fail(lp, at, "expected %s, got \"%s\"", what, shown(w, n));
	*out = v;
	return 0;
}

/* client | pi (| both) */
static int l_host(struct lparse *lp, int both, enum lab_host *h)
{
	const char *what = both ? "a host: client, pi or both" : "a host: client or pi";
	const char *w;
	size_t n, at;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, what, &w, &n) < 0)
		return -1;
	if (w_is(w, n, "client"))
		*h = LAB_CLIENT;
	else if (w_is(w, n, "pi"))
		*h = LAB_PI;
	else if (both && w_is(w, n, "both"))
		*h = LAB_BOTH;
	else
		return l_fail(lp, at, "expected %s, got \"%s\"", what, shown(w, n));
	return 0;
}

/* to-pi | to-client, as enum impair_dir */
static int l_direction(struct lparse *lp, int *dir)
{
	const char *w;
	size_t n, at;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a direction: to-pi or to-client", &w, &n) < 0)
		return -1;
	if (w_is(w, n, "to-pi"))
		*dir = 0;
	else if (w_is(w, n, "to-client"))
		*dir = 1;
	else
		return l_fail(lp, at, "expected a direction: to-pi or to-client, got \"%s\"",
			      shown(w, n));
	return 0;
}

/* ---- Top-level statements ---- */

static int st_lab(struct lparse *lp)
{
	const char *w;
	size_t n, at;

	if (lp->at_lab)
		return l_fail(lp, lp->kwat, "lab given twice (first at line %d)", lp->at_lab);
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "the lab's id", &w, &n) < 0)
		return -1;
	if (!w_is(w, n, lp->base))
		return l_fail(lp, at, "expected \"%s\" (the file's name), got \"%s\"", lp->base,
			      shown(w, n));
	lp->lab->id = strndup(w, n);
	if (!lp->lab->id)
		return l_nomem(lp);
	lp->at_lab = lp->lineno;
	return l_end(lp);
}

static int st_title(struct lparse *lp)
{
	lp->at_title = lp->lineno;
	return l_once_string(lp, &lp->lab->title, "title");
}

static int st_section(struct lparse *lp)
{
	lp->at_section = lp->lineno;
	return l_once_string(lp, &lp->lab->section, "section");
}

/* `cert "pi.lab"`: the run makes {dir}/cert.pem and {dir}/key.pem. */
static int st_cert(struct lparse *lp)
{
	return l_once_string(lp, &lp->lab->cert, "cert");
}

/* `keylog "keys.log"`: {dir}/keys.log (SSLKEYLOGFILE) is kept beside the
 * capture, and the capture is also written as pcapng with it inside. */
/* `optional`: the lab needs a program that may not be installed (a
 * browser); `run` then reports the lab as skipped, with the reason. */
static int st_optional(struct lparse *lp)
{
	if (lp->lab->optional) {
		l_fail(lp, lp->kwat, "optional given twice");
		return -1;
	}
	lp->lab->optional = 1;
	return l_end(lp);
}

/* `facts "FILE" as PREFIX`: after the programs, {dir}/FILE's KEY=VALUE
 * lines become facts PREFIX.KEY (a client's own account of what it did). */
static int st_facts(struct lparse *lp)
{
	struct lab_factfile *ff = grow(lp->lab->factfiles, lp->lab->nfactfiles, sizeof(*ff));
	size_t at, *offs = NULL, n;
	const char *w;
	int ret = -1;

	if (!ff)
		return l_nomem(lp);
	lp->lab->factfiles = ff;
	ff = &ff[lp->lab->nfactfiles++];
	ff->line = lp->lineno;
	if (l_string(lp, "a file name in double quotes", &ff->file, &at, &offs) < 0)
		goto out;
	if (!ff->file[0] || strchr(ff->file, '/')) {
		l_fail(lp, at, "facts names a file of the run's directory, without '/'");
		goto out;
	}
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "as", &w, &n) < 0)
		goto out;
	if (!w_is(w, n, "as")) {
		l_fail(lp, at, "expected as, got \"%s\"", shown(w, n));
		goto out;
	}
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a fact prefix", &w, &n) < 0)
		goto out;
	if (strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789_-") < n) {
		l_fail(lp, at,
		       "expected a fact prefix of lower-case letters, digits, '_' and '-', "
		       "got \"%s\"",
		       shown(w, n));
		goto out;
	}
	ff->prefix = strndup(w, n);
	if (!ff->prefix) {
		l_nomem(lp);
		goto out;
	}
	ret = l_end(lp);
out:
	free(offs);
	return ret;
}

static int st_keylog(struct lparse *lp)
{
	if (l_once_string(lp, &lp->lab->keylog, "keylog"))
		return -1;
	if (strchr(lp->lab->keylog, '/') || !lp->lab->keylog[0]) {
		snprintf(lp->err, lp->errlen,
			 "%s:%d: keylog names a file of the run's directory, "
			 "without '/'",
			 lp->name, lp->lineno);
		return -1;
	}
	return 0;
}

static int st_stream(struct lparse *lp)
{
	static const struct {
		const char *name;
		enum trace_kind kind;
	} kinds[] = { { "http", TRACE_HTTP },
		      { "websocket", TRACE_WEBSOCKET },
		      { "tls", TRACE_TLS },
		      { "ssh", TRACE_SSH },
		      { "any", TRACE_ANY } };
	const char *what = "a stream kind: http, websocket, tls, ssh or any";
	const char *w;
	size_t n, at, k;

	if (lp->at_stream)
		return l_fail(lp, lp->kwat, "stream given twice (first at line %d)", lp->at_stream);
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, what, &w, &n) < 0)
		return -1;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (w_is(w, n, kinds[k].name))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return l_fail(lp, at, "expected %s, got \"%s\"", what, shown(w, n));
	lp->lab->kind = kinds[k].kind;
	lp->at_stream = lp->lineno;
	return l_end(lp);
}

/* Lab addresses stay in 198.18.0.0/15 (RFC 2544's benchmarking range), so a
 * lab can never talk to a real network. */
static int st_host(struct lparse *lp)
{
	enum lab_host h;
	const char *w;
	size_t n, at;
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (l_host(lp, 0, &h) < 0)
		return -1;
	if (lp->at_host[h])
		return l_fail(lp, lp->kwat, "host %s given twice (first at line %d)",
			      h == LAB_PI ? "pi" : "client", lp->at_host[h]);
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "an IPv4 address in 198.18.0.0/15", &w, &n) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), w);
	if (n >= sizeof(buf) || inet_pton(AF_INET, buf, &a) != 1 ||
	    (ntohl(a.s_addr) >> 17) != (0xc6120000u >> 17))
		return l_fail(lp, at, "expected an IPv4 address in 198.18.0.0/15, got \"%s\"",
			      shown(w, n));
	if (lp->lab->addr[!h] && !strcmp(lp->lab->addr[!h], buf))
		return l_fail(lp, at, "client and pi need different addresses, got %s twice", buf);
	lp->lab->addr[h] = strdup(buf);
	if (!lp->lab->addr[h])
		return l_nomem(lp);
	lp->at_host[h] = lp->lineno;
	return l_end(lp);
}

/* link drop to-pi|to-client "FILTER" [nth N] */
/* Parses a filter read by l_string at `at` (offs: its bytes' offsets). */
static int l_filter(struct lparse *lp, const char *text, size_t at, const size_t *offs,
		    struct filter **f)
{
	char msg[200];
	size_t col = 0;
	int cn = 0;

	if (filter_parse(text, f, msg, sizeof(msg)) == 0)
		return 0;
	/* filter_parse says "col N: ..."; point into the file instead. */
	if (sscanf(msg, "col %zu: %n", &col, &cn) == 1 && cn > 0 && col >= 1 &&
	    col - 1 <= strlen(text))
		at += offs[col - 1];
	return l_fail(lp, at, "%s", msg + cn);
}

/* `exchange "FILTER"`: a capture holds this lab's exchange only if some
 * packet of its stream matches (grading checks a student's capture so). */
static int st_exchange(struct lparse *lp)
{
	struct lab_exchange *x = grow(lp->lab->exchanges, lp->lab->nexchanges, sizeof(*x));
	size_t at, *offs = NULL;
	int ret = -1;

	if (!x)
		return l_nomem(lp);
	lp->lab->exchanges = x;
	x = &x[lp->lab->nexchanges++];
	x->line = lp->lineno;
	if (l_string(lp, "a display filter in double quotes", &x->text, &at, &offs) < 0 ||
	    l_filter(lp, x->text, at, offs, &x->filter) < 0)
		goto out;
	ret = l_end(lp);
out:
	free(offs);
	return ret;
}

static int st_drop(struct lparse *lp)
{
	struct lab_drop *d = grow(lp->lab->drops, lp->lab->ndrops, sizeof(*d));
	size_t at, n, *offs = NULL;
	const char *w;
	int ret = -1;
	long nth;

	if (!d) {
		l_nomem(lp);
		goto out;
	}
	lp->lab->drops = d;
	d = &d[lp->lab->ndrops++];
	d->line = lp->lineno;
	d->nth = 1;
	if (l_direction(lp, &d->dir) < 0 ||
	    l_string(lp, "a display filter in double quotes", &d->filter_text, &at, &offs) < 0)
		goto out;
	if (l_filter(lp, d->filter_text, at, offs, &d->filter) < 0)
		goto out;
	l_skip(lp);
	if (lp->line[lp->pos]) {
		at = lp->pos;
		if (l_word(lp, "nth or end of line", &w, &n) < 0)
			goto out;
		if (!w_is(w, n, "nth")) {
			l_fail(lp, at, "expected nth or end of line, got \"%s\"", shown(w, n));
			goto out;
		}
		if (l_uint(lp, "a packet count from 1", 1, 1000000, &nth) < 0)
			goto out;
		d->nth = (unsigned)nth;
	}
	ret = l_end(lp);
out:
	free(offs);
	return ret;
}

static int st_link(struct lparse *lp)
{
	const char *w;
	size_t n, at;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "delay, rate, mtu or drop", &w, &n) < 0)
		return -1;
	if (w_is(w, n, "delay")) {
		uint64_t us;
		int dir = -1;

		if (l_duration(lp, 60000000, &us) < 0)
			return -1;
		l_skip(lp);
		if (lp->line[lp->pos] && l_direction(lp, &dir) < 0)
			return -1;
		for (int d = 0; d < 2; d++) {
			if (dir >= 0 && d != dir)
				continue;
			if (lp->at_delay[d])
				return l_fail(lp, at, "delay %s already set at line %d",
					      d ? "to-client" : "to-pi", lp->at_delay[d]);
			lp->lab->delay_us[d] = (uint32_t)us;
			lp->at_delay[d] = lp->lineno;
		}
	} else if (w_is(w, n, "rate")) {
		static const char *const units[] = { "bit", "kbit", "mbit", "gbit" };
		static const double scale[] = { 1, 1e3, 1e6, 1e9 };
		double v;
		int u;

		if (lp->at_rate)
			return l_fail(lp, at, "rate given twice (first at line %d)", lp->at_rate);
		l_skip(lp);
		at = lp->pos;
		if (l_word(lp, "a rate such as 100mbit", &w, &n) < 0)
			return -1;
		u = num_unit(w, n, units, 4, &v);
		if (u < 0 || v * scale[u] < 1 || v * scale[u] > 1e12)
			return l_fail(lp, at, "expected a rate such as 100mbit, got \"%s\"",
				      shown(w, n));
		lp->lab->rate_bps = (uint64_t)(v * scale[u] + 0.5);
		lp->at_rate = lp->lineno;
	} else if (w_is(w, n, "mtu")) {
		long mtu;

		if (lp->at_mtu)
			return l_fail(lp, at, "mtu given twice (first at line %d)", lp->at_mtu);
		/* 68: the least IPv4 allows (RFC 791); 65535: veth's most. */
		if (l_uint(lp, "an MTU from 68 to 65535", 68, 65535, &mtu) < 0)
			return -1;
		lp->lab->mtu = (unsigned)mtu;
		lp->at_mtu = lp->lineno;
	} else if (w_is(w, n, "drop")) {
		return st_drop(lp);
	} else {
		return l_fail(lp, at, "expected delay, rate, mtu or drop, got \"%s\"", shown(w, n));
	}
	return l_end(lp);
}

/* Only net.* sysctls belong to a network namespace: any other key would
 * change the host. */
static int st_sysctl(struct lparse *lp)
{
	struct lab_sysctl *s = grow(lp->lab->sysctls, lp->lab->nsysctls, sizeof(*s));
	const char *w;
	size_t n, at;

	if (!s)
		return l_nomem(lp);
	lp->lab->sysctls = s;
	s = &s[lp->lab->nsysctls++];
	s->line = lp->lineno;
	if (l_host(lp, 1, &s->host) < 0)
		return -1;
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a sysctl key such as net.ipv4.tcp_rmem", &w, &n) < 0)
		return -1;
	s->key = strndup(w, n);
	if (!s->key)
		return l_nomem(lp);
	if (strncmp(s->key, "net.", 4) || strstr(s->key, "..") || strchr(s->key, '/') ||
	    strspn(s->key, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return l_fail(
			lp, at,
			"expected a net.* sysctl key (the only ones a namespace owns), got \"%s\"",
			s->key);
	l_skip(lp);
	if (lp->line[lp->pos] == '"') {
		if (l_string(lp, "a value", &s->value, NULL, NULL) < 0)
			return -1;
	} else {
		if (l_word(lp, "a value", &w, &n) < 0)
			return -1;
		s->value = strndup(w, n);
		if (!s->value)
			return l_nomem(lp);
	}
	return l_end(lp);
}

/* Reads the next raw line of the text into *line (no comment cut); 0 at
 * the end of the text. */
static int next_raw_line(struct lparse *lp, const char **line, size_t *n)
{
	const char *nl;

	if (lp->off >= lp->len)
		return 0;
	*line = lp->text + lp->off;
	nl = memchr(*line, '\n', lp->len - lp->off);
	*n = nl ? (size_t)(nl - *line) : lp->len - lp->off;
	lp->off += *n + (nl ? 1 : 0);
	lp->lineno++;
	return 1;
}

/* file NAME <<TAG: the next lines up to one that is TAG are the body. */
static int st_file(struct lparse *lp)
{
	struct lab_file *f;
	const char *w, *raw;
	size_t n, at, rn, blen = 0;
	char *tag = NULL;
	int start, ret = -1;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a file name", &w, &n) < 0)
		goto out;
	if (w[0] == '.' || strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789._-") < n) {
		l_fail(lp, at,
		       "expected a file name of letters, digits, '.', '_' and '-', got \"%s\"",
		       shown(w, n));
		goto out;
	}
	for (size_t k = 0; k < lp->lab->nfiles; k++)
		if (w_is(w, n, lp->lab->files[k].name)) {
			l_fail(lp, at, "file %s given twice (first at line %d)",
			       lp->lab->files[k].name, lp->lab->files[k].line);
			goto out;
		}
	f = grow(lp->lab->files, lp->lab->nfiles, sizeof(*f));
	if (!f) {
		l_nomem(lp);
		goto out;
	}
	lp->lab->files = f;
	f = &f[lp->lab->nfiles++];
	f->line = lp->lineno;
	f->name = strndup(w, n);
	f->body = strdup("");
	if (!f->name || !f->body) {
		l_nomem(lp);
		goto out;
	}
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "<<TAG (the line that ends the body)", &w, &n) < 0)
		goto out;
	if (n < 3 || strncmp(w, "<<", 2)) {
		l_fail(lp, at, "expected <<TAG (the line that ends the body), got \"%s\"",
		       shown(w, n));
		goto out;
	}
	tag = strndup(w + 2, n - 2);
	if (!tag) {
		l_nomem(lp);
		goto out;
	}
	if (l_end(lp) < 0)
		goto out;
	start = lp->lineno;
	for (;;) {
		size_t s = 0, e;
		char *nb;

		if (!next_raw_line(lp, &raw, &rn)) {
			lp->lineno = start;
			l_fail(lp, at,
			       "unterminated file body: no line \"%s\" before the end of the file",
			       tag);
			goto out;
		}
		e = rn;
		while (s < e && is_space(raw[s]))
			s++;
		while (e > s && is_space(raw[e - 1]))
			e--;
		if (e - s == strlen(tag) && !strncmp(raw + s, tag, e - s))
			break;
		/* The body keeps its lines as written, without a CR of CRLF. */
		if (rn && raw[rn - 1] == '\r')
			rn--;
		nb = realloc(f->body, blen + rn + 2);
		if (!nb) {
			l_nomem(lp);
			goto out;
		}
		f->body = nb;
		memcpy(f->body + blen, raw, rn);
		blen += rn;
		f->body[blen++] = '\n';
		f->body[blen] = '\0';
	}
	ret = 0;
out:
	free(tag);
	return ret;
}

/* Splits a command into words as a shell would, without expanding
 * anything: blanks separate, single quotes group, a backslash escapes the
 * next character. at/offs locate the string in the line for messages. */
static int split_words(struct lparse *lp, const char *cmd, size_t at, const size_t *offs,
		       char ***out)
{
	size_t len = strlen(cmd), nw = 0, i = 0;
	char **argv = calloc(1, sizeof(*argv)), *cur = NULL;
	int ret = -1;

	if (!argv)
		return l_nomem(lp);
	for (;;) {
		size_t n = 0;
		int have = 0;
		char **na;

		while (i < len && is_space(cmd[i]))
			i++;
		if (i >= len)
			break;
		cur = malloc(len + 1);
		if (!cur) {
			l_nomem(lp);
			goto out;
		}
		while (i < len && !is_space(cmd[i])) {
			if (cmd[i] == '\'') {
				const char *q = strchr(cmd + i + 1, '\'');

				if (!q) {
					l_fail(lp, at + offs[i], "unterminated ' in the command");
					goto out;
				}
				memcpy(cur + n, cmd + i + 1, (size_t)(q - cmd - i - 1));
				n += (size_t)(q - cmd - i - 1);
				i = (size_t)(q - cmd) + 1;
			} else if (cmd[i] == '\\') {
				if (i + 1 >= len) {
					l_fail(lp, at + offs[i],
					       "a command cannot end with a backslash");
					goto out;
				}
				cur[n++] = cmd[i + 1];
				i += 2;
			} else {
				cur[n++] = cmd[i++];
			}
			have = 1;
		}
		if (!have)
			break;
		cur[n] = '\0';
		na = realloc(argv, (nw + 2) * sizeof(*na));
		if (!na) {
			l_nomem(lp);
			goto out;
		}
		argv = na;
		argv[nw++] = cur;
		argv[nw] = NULL;
		cur = NULL;
	}
	if (nw == 0) {
		l_fail(lp, at, "expected a command, got an empty string");
		goto out;
	}
	*out = argv;
	argv = NULL;
	ret = 0;
out:
	free(cur);
	for (size_t k = 0; argv && argv[k]; k++)
		free(argv[k]);
	free(argv);
	return ret;
}

/* server|client HOST "COMMAND" [as NAME] [ready PORT | timeout DUR] [exit N]
 * (`exit N`, clients only: the status the client must end with; a client
 * that is meant to fail, such as curl against a server it cannot talk to). */
static int st_prog(struct lparse *lp, enum lab_prog_kind kind)
{
	struct lab_prog *p = grow(lp->lab->progs, lp->lab->nprogs, sizeof(*p));
	const char *opt = kind == LAB_PROG_SERVER ? "ready" : "timeout";
	char *cmd = NULL, what[64];
	size_t *offs = NULL, at, n;
	const char *w;
	int seen_as = 0, seen_opt = 0, seen_exit = 0, ret = -1;

	if (!p)
		return l_nomem(lp);
	lp->lab->progs = p;
	p = &p[lp->lab->nprogs++];
	p->kind = kind;
	p->line = lp->lineno;
	p->timeout_ms = 10000;
	if (l_host(lp, 0, &p->host) < 0 ||
	    l_string(lp, "a command in double quotes", &cmd, &at, &offs) < 0 ||
	    split_words(lp, cmd, at, offs, &p->argv) < 0)
		goto out;
	snprintf(what, sizeof(what), "as, %s%s or end of line", opt,
		 kind == LAB_PROG_CLIENT ? ", exit" : "");
	for (;;) {
		l_skip(lp);
		if (!lp->line[lp->pos])
			break;
		at = lp->pos;
		if (l_word(lp, what, &w, &n) < 0)
			goto out;
		if ((w_is(w, n, "as") && seen_as) || (w_is(w, n, opt) && seen_opt) ||
		    (w_is(w, n, "exit") && seen_exit)) {
			l_fail(lp, at, "%s given twice", shown(w, n));
			goto out;
		}
		if (w_is(w, n, "as")) {
			seen_as = 1;
			l_skip(lp);
			at = lp->pos;
			if (l_word(lp, "a program name", &w, &n) < 0)
				goto out;
			if (strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"
				      "89_-") < n) {
				l_fail(lp, at,
				       "expected a program name of letters, digits, '_' and '-', "
				       "got \"%s\"",
				       shown(w, n));
				goto out;
			}
			p->name = strndup(w, n);
			if (!p->name) {
				l_nomem(lp);
				goto out;
			}
		} else if (kind == LAB_PROG_CLIENT && w_is(w, n, "exit")) {
			long st;

			seen_exit = 1;
			if (l_uint(lp, "an exit status from 0 to 255", 0, 255, &st) < 0)
				goto out;
			p->exit_status = (int)st;
		} else if (w_is(w, n, opt)) {
			seen_opt = 1;
			if (kind == LAB_PROG_SERVER) {
				long port;

				if (l_uint(lp, "a TCP port from 1 to 65535", 1, 65535, &port) < 0)
					goto out;
				p->ready_port = (int)port;
			} else {
				uint64_t us;

				if (l_duration(lp, 3600000000ull, &us) < 0)
					goto out;
				if (us < 1000) {
					l_fail(lp, at, "a timeout is at least 1ms");
					goto out;
				}
				p->timeout_ms = (int)(us / 1000);
			}
		} else {
			l_fail(lp, at, "expected %s, got \"%s\"", what, shown(w, n));
			goto out;
		}
	}
	if (!p->name) {
		p->name = strdup(kind == LAB_PROG_SERVER ? "server" : "client");
		if (!p->name) {
			l_nomem(lp);
			goto out;
		}
	}
	/* The runner and `grade` find programs by name. */
	for (size_t k = 0; k + 1 < lp->lab->nprogs; k++)
		if (!strcmp(lp->lab->progs[k].name, p->name)) {
			l_fail(lp, lp->kwat,
			       "program name \"%s\" given twice (first at line %d): name it with "
			       "as NAME",
			       p->name, lp->lab->progs[k].line);
			goto out;
		}
	ret = 0;
out:
	free(cmd);
	free(offs);
	return ret;
}

static int st_server(struct lparse *lp)
{
	return st_prog(lp, LAB_PROG_SERVER);
}

static int st_client(struct lparse *lp)
{
	return st_prog(lp, LAB_PROG_CLIENT);
}

/* role NAME build "CMD" run "CMD" [timeout DUR]: the program NAME (a server
 * or a client of the lab) may be replaced by a submission, built with the
 * first command and run with the second, both in the submission's copy. */
static int st_role(struct lparse *lp)
{
	struct lab_role *r;
	char *cmd = NULL;
	size_t *offs = NULL, at, n;
	const char *w;
	int ret = -1;

	if (lp->lab->role)
		return l_fail(lp, lp->kwat, "role given twice (first at line %d)",
			      lp->lab->role->line);
	r = lp->lab->role = calloc(1, sizeof(*r));
	if (!r)
		return l_nomem(lp);
	r->line = lp->lineno;
	r->build_timeout_ms = 60000;
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a program name", &w, &n) < 0)
		goto out;
	r->prog = strndup(w, n);
	if (!r->prog) {
		l_nomem(lp);
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		const char *kw = k ? "run" : "build";

		l_skip(lp);
		at = lp->pos;
		if (l_word(lp, kw, &w, &n) < 0)
			goto out;
		if (!w_is(w, n, kw)) {
			l_fail(lp, at, "expected %s, got \"%s\"", kw, shown(w, n));
			goto out;
		}
		if (l_string(lp, "a command in double quotes", &cmd, &at, &offs) < 0 ||
		    split_words(lp, cmd, at, offs, k ? &r->run : &r->build) < 0)
			goto out;
		free(cmd);
		free(offs);
		cmd = NULL;
		offs = NULL;
	}
	l_skip(lp);
	if (lp->line[lp->pos]) {
		uint64_t us;

		at = lp->pos;
		if (l_word(lp, "timeout or end of line", &w, &n) < 0)
			goto out;
		if (!w_is(w, n, "timeout")) {
			l_fail(lp, at, "expected timeout or end of line, got \"%s\"", shown(w, n));
			goto out;
		}
		if (l_duration(lp, 3600000000ull, &us) < 0)
			goto out;
		if (us < 1000) {
			l_fail(lp, at, "a timeout is at least 1ms");
			goto out;
		}
		r->build_timeout_ms = (int)(us / 1000);
	}
	ret = l_end(lp);
out:
	free(cmd);
	free(offs);
	return ret;
}

/* points ID N: a claim's or a question's worth when graded (checked at the
 * end of the file, where every claim is known). */
static int st_points(struct lparse *lp)
{
	struct lab_points *p = grow(lp->lab->points, lp->lab->npoints, sizeof(*p));
	const char *w;
	size_t n, at;
	long v;

	if (!p)
		return l_nomem(lp);
	lp->lab->points = p;
	p = &p[lp->lab->npoints++];
	p->line = lp->lineno;
	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a claim or question id", &w, &n) < 0)
		return -1;
	p->col = (int)at;
	p->claim = strndup(w, n);
	if (!p->claim)
		return l_nomem(lp);
	for (size_t k = 0; k + 1 < lp->lab->npoints; k++)
		if (!strcmp(lp->lab->points[k].claim, p->claim))
			return l_fail(lp, at, "points for %s given twice (first at line %d)",
				      p->claim, lp->lab->points[k].line);
	if (l_uint(lp, "points from 0 to 1000", 0, 1000, &v) < 0)
		return -1;
	p->points = (int)v;
	return l_end(lp);
}

static const struct lab_claim *find_in(const struct lab_claim *c, size_t n, const char *id,
				       size_t len)
{
	for (size_t k = 0; k < n; k++)
		if (strlen(c[k].id) == len && !memcmp(c[k].id, id, len))
			return &c[k];
	return NULL;
}

/* The claim or question with this id, or NULL. */
static const struct lab_claim *find_item(const struct lab *l, const char *id)
{
	const struct lab_claim *c = find_in(l->claims, l->nclaims, id, strlen(id));

	return c ? c : find_in(l->questions, l->nquestions, id, strlen(id));
}

/* At the end of the file: a role names a program, points name claims (with
 * a role) or questions. */
static int grading_check(struct lparse *lp)
{
	const struct lab *l = lp->lab;
	size_t k;

	if (l->role) {
		for (k = 0; k < l->nprogs; k++)
			if (!strcmp(l->progs[k].name, l->role->prog))
				break;
		if (k == l->nprogs) {
			snprintf(lp->err, lp->errlen,
				 "%s:%d: role %s: the lab has no program named \"%s\" (server, "
				 "client, or as NAME)",
				 lp->name, l->role->line, l->role->prog, l->role->prog);
			return -1;
		}
	}
	for (size_t i = 0; i < l->npoints; i++) {
		const struct lab_claim *c = find_item(l, l->points[i].claim);

		if (!c) {
			snprintf(lp->err, lp->errlen,
				 "%s:%d:%d: points for unknown claim or question \"%s\"", lp->name,
				 l->points[i].line, l->points[i].col + 1, l->points[i].claim);
			return -1;
		}
		if (!l->role && c >= l->claims && c < l->claims + l->nclaims) {
			snprintf(lp->err, lp->errlen,
				 "%s:%d: points for claim %s without a role statement: no "
				 "program is graded",
				 lp->name, l->points[i].line, c->id);
			return -1;
		}
	}
	return 0;
}

/* Claim ids are PREFIX.NAME, as in claims.md (http.syn, tls12.two_rtt). */
static int claim_id_ok(const char *w, size_t n)
{
	const char *dot = memchr(w, '.', n);
	size_t p;

	if (!dot || dot == w || (size_t)(dot - w) + 1 >= n)
		return 0;
	p = (size_t)(dot - w);
	if (!(w[0] >= 'a' && w[0] <= 'z') || strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-") < p)
		return 0;
	return strspn(dot + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") >= n - p - 1;
}

/* `claim ID` and `question ID`: ids are one namespace (points name both). */
static int open_item(struct lparse *lp, int question)
{
	struct lab *l = lp->lab;
	struct lab_claim *c, **arr = question ? &l->questions : &l->claims;
	size_t *cnt = question ? &l->nquestions : &l->nclaims;
	const char *w, *kind = question ? "question" : "claim";
	const struct lab_claim *dup;
	size_t n, at;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp,
		   question ? "a question id such as http.q_ack" : "a claim id such as http.syn",
		   &w, &n) < 0)
		return -1;
	if (!claim_id_ok(w, n))
		return l_fail(lp, at, "expected a %s id PREFIX.NAME such as %s, got \"%s\"", kind,
			      question ? "http.q_ack" : "http.syn", shown(w, n));
	dup = find_in(l->claims, l->nclaims, w, n);
	if (!dup)
		dup = find_in(l->questions, l->nquestions, w, n);
	if (dup)
		return l_fail(lp, at, "%s %s given twice (first at line %d)",
			      dup >= l->claims && dup < l->claims + l->nclaims ? "claim"
									       : "question",
			      dup->id, dup->line);
	c = grow(*arr, *cnt, sizeof(*c));
	if (!c)
		return l_nomem(lp);
	*arr = c;
	c = &c[(*cnt)++];
	lp->question = question;
	c->line = lp->lineno;
	c->verdict = LAB_HOLDS;
	c->id = strndup(w, n);
	if (!c->id)
		return l_nomem(lp);
	lp->claim = c;
	lp->claim_at = lp->kwat;
	return l_end(lp);
}

static int st_claim(struct lparse *lp)
{
	return open_item(lp, 0);
}

static int st_question(struct lparse *lp)
{
	return open_item(lp, 1);
}

/* ---- Claim statements ---- */

static int cl_text(struct lparse *lp)
{
	return l_once_string(lp, &lp->claim->text, "text");
}

static int cl_expected(struct lparse *lp)
{
	return l_once_string(lp, &lp->claim->expected, "expected");
}

static int cl_why(struct lparse *lp)
{
	return l_once_string(lp, &lp->claim->why, "why");
}

static int cl_verdict(struct lparse *lp)
{
	const char *what = "a verdict: holds, fails or n/a";
	const char *w;
	size_t n, at;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, what, &w, &n) < 0)
		return -1;
	if (w_is(w, n, "holds"))
		lp->claim->verdict = LAB_HOLDS;
	else if (w_is(w, n, "fails"))
		lp->claim->verdict = LAB_FAILS;
	else if (w_is(w, n, "n/a"))
		lp->claim->verdict = LAB_NA;
	else
		return l_fail(lp, at, "expected %s, got \"%s\"", what, shown(w, n));
	return l_end(lp);
}

static int is_name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* An expression at the cursor; *src (if not NULL) is its source text. */
static int l_expr(struct lparse *lp, struct expr **e, char **src)
{
	const struct lab_claim *c = lp->claim;
	size_t used = 0, erroff = 0, at, end;
	char msg[200];

	l_skip(lp);
	at = lp->pos;
	if (claim_expr_parse(lp->line + at, c->lets, c->nlets, e, &used, &erroff, msg,
			     sizeof(msg)) < 0)
		return l_fail(lp, at + erroff, "%s", msg);
	lp->pos += used;
	end = lp->pos;
	while (end > at && is_space(lp->line[end - 1]))
		end--;
	if (src) {
		*src = strndup(lp->line + at, end - at);
		if (!*src)
			return l_nomem(lp);
	}
	return 0;
}

static int cl_let(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;
	struct lab_let *lets;
	struct expr *e = NULL;
	char *name = NULL;
	size_t n = 0, at;
	int ret = -1;

	l_skip(lp);
	at = lp->pos;
	while (is_name_char(lp->line[at + n], n == 0))
		n++;
	if (n == 0) {
		l_expected(lp, "a name");
		goto out;
	}
	name = strndup(lp->line + at, n);
	if (!name) {
		l_nomem(lp);
		goto out;
	}
	lp->pos += n;
	if (claim_reserved(name)) {
		l_fail(lp, at, "\"%s\" is a keyword and cannot name a let", name);
		goto out;
	}
	for (size_t k = 0; k < c->nlets; k++)
		if (!strcmp(name, c->lets[k].name)) {
			l_fail(lp, at, "let %s given twice (first at line %d)", name,
			       c->lets[k].line);
			goto out;
		}
	l_skip(lp);
	if (lp->line[lp->pos] != '=') {
		l_expected(lp, "\"=\"");
		goto out;
	}
	lp->pos++;
	/* The let's own name is not in scope in its expression. */
	if (l_expr(lp, &e, NULL) < 0 || l_end(lp) < 0)
		goto out;
	lets = grow(c->lets, c->nlets, sizeof(*lets));
	if (!lets) {
		l_nomem(lp);
		goto out;
	}
	c->lets = lets;
	lets = &lets[c->nlets++];
	lets->e = e;
	lets->name = name;
	lets->line = lp->lineno;
	e = NULL;
	name = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	free(name);
	return ret;
}

static int cl_expect(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;
	struct expr *e = NULL, **es;
	char *src = NULL, **ts;
	int ret = -1;

	if (l_expr(lp, &e, &src) < 0 || l_end(lp) < 0)
		goto out;
	es = realloc(c->expects, (c->nexpects + 1) * sizeof(*es));
	if (!es) {
		l_nomem(lp);
		goto out;
	}
	c->expects = es;
	ts = realloc(c->expect_texts, (c->nexpects + 1) * sizeof(*ts));
	if (!ts) {
		l_nomem(lp);
		goto out;
	}
	c->expect_texts = ts;
	c->expects[c->nexpects] = e;
	c->expect_texts[c->nexpects++] = src;
	e = NULL;
	src = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	free(src);
	return ret;
}

/* `applies EXPR`: the capture can show the claim only when EXPR holds (a
 * retransmission claim needs a lost packet); otherwise the verdict is n/a. */
static int cl_applies(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;

	if (c->applies) {
		l_fail(lp, lp->kwat, "applies given twice");
		return -1;
	}
	if (l_expr(lp, &c->applies, &c->applies_text) < 0 || l_end(lp) < 0)
		return -1;
	return 0;
}

static int cl_evidence(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;
	struct expr *e = NULL, **es;
	int ret = -1;

	for (;;) {
		if (l_expr(lp, &e, NULL) < 0)
			goto out;
		es = realloc(c->evidence, (c->nevidence + 1) * sizeof(*es));
		if (!es) {
			l_nomem(lp);
			goto out;
		}
		c->evidence = es;
		c->evidence[c->nevidence++] = e;
		e = NULL;
		l_skip(lp);
		if (lp->line[lp->pos] != ',')
			break;
		lp->pos++;
	}
	l_skip(lp);
	if (lp->line[lp->pos]) {
		l_expected(lp, "\",\" or end of line");
		goto out;
	}
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

static int cl_report(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;
	size_t at, erroff = 0, *offs = NULL;
	char msg[200];
	int ret = -1;

	if (c->report) {
		l_fail(lp, lp->kwat, "report given twice");
		goto out;
	}
	if (l_string(lp, "a report template in double quotes", &c->report, &at, &offs) < 0)
		goto out;
	if (claim_report_check(c->report, c->lets, c->nlets, &erroff, msg, sizeof(msg)) < 0) {
		l_fail(lp, at + offs[erroff], "%s", msg);
		goto out;
	}
	ret = l_end(lp);
out:
	free(offs);
	return ret;
}

/* `answer EXPR`: the question's answer, read off the capture. */
static int q_answer(struct lparse *lp)
{
	struct lab_claim *c = lp->claim;

	if (c->answer)
		return l_fail(lp, lp->kwat, "answer given twice");
	if (l_expr(lp, &c->answer, &c->answer_text) < 0 || l_end(lp) < 0)
		return -1;
	return 0;
}

/* `tolerance NUMBER`: how far a numeric answer may be off (times, rates). */
static int q_tolerance(struct lparse *lp)
{
	const char *w;
	size_t n, at;
	char buf[64], *end;
	double v;

	l_skip(lp);
	at = lp->pos;
	if (l_word(lp, "a number", &w, &n) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 63 ? n : 63), w);
	v = strtod(buf, &end);
	if (n >= sizeof(buf) || *end || end == buf || !(v >= 0 && v <= 1e9) || buf[0] == '+')
		return l_fail(lp, at, "expected a tolerance from 0 to 1e9, got \"%s\"",
			      shown(w, n));
	lp->claim->tolerance = v;
	return l_end(lp);
}

enum { TOP, BODY, CLAIM_ONLY, QUESTION_ONLY };

static const struct stmt {
	const char *kw;
	int (*fn)(struct lparse *lp);
	int in_claim; /* TOP, or where in a claim's or question's body */
} stmts[] = {
	{ "lab", st_lab, 0 },
	{ "title", st_title, 0 },
	{ "section", st_section, 0 },
	{ "stream", st_stream, 0 },
	{ "host", st_host, 0 },
	{ "link", st_link, 0 },
	{ "sysctl", st_sysctl, 0 },
	{ "file", st_file, 0 },
	{ "server", st_server, 0 },
	{ "client", st_client, 0 },
	{ "claim", st_claim, 0 },
	{ "cert", st_cert, 0 },
	{ "keylog", st_keylog, 0 },
	{ "optional", st_optional, 0 },
	{ "facts", st_facts, 0 },
	{ "text", cl_text, BODY },
	{ "expected", cl_expected, CLAIM_ONLY },
	{ "let", cl_let, BODY },
	{ "expect", cl_expect, CLAIM_ONLY },
	{ "evidence", cl_evidence, BODY },
	{ "report", cl_report, CLAIM_ONLY },
	{ "verdict", cl_verdict, CLAIM_ONLY },
	{ "why", cl_why, CLAIM_ONLY },
	{ "applies", cl_applies, BODY },
	{ "role", st_role, 0 },
	{ "points", st_points, 0 },
	{ "question", st_question, 0 },
	{ "answer", q_answer, QUESTION_ONLY },
	{ "tolerance", q_tolerance, QUESTION_ONLY },
	{ "exchange", st_exchange, 0 },
};

/* A claim is complete when its body ends. */
static int claim_close(struct lparse *lp)
{
	const struct lab_claim *c = lp->claim;
	const char *missing = NULL;

	lp->claim = NULL;
	if (!c)
		return 0;
	if (!c->text)
		missing = "a text \"...\" statement (the sentence a student reads)";
	else if (lp->question && !c->answer)
		missing = "an answer statement";
	else if (lp->question)
		missing = NULL;
	else if (!c->nexpects)
		missing = "an expect statement";
	else if (c->verdict != LAB_HOLDS && !c->why)
		missing = "a why \"...\" statement (a verdict other than holds says why Linux "
			  "differs from the notes)";
	if (!missing)
		return 0;
	snprintf(lp->err, lp->errlen, "%s:%d:%zu: %s %s needs %s", lp->name, c->line,
		 lp->claim_at + 1, lp->question ? "question" : "claim", c->id, missing);
	return -1;
}

/* Cuts a comment: '#' outside a string, unless a digit follows (#4 is a
 * packet of the stream). */
static void cut_comment(char *s)
{
	int in_str = 0;

	for (size_t i = 0; s[i]; i++) {
		if (in_str && s[i] == '\\' && s[i + 1]) {
			i++;
		} else if (s[i] == '"') {
			in_str = !in_str;
		} else if (!in_str && s[i] == '#' && !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
			s[i] = '\0';
			return;
		}
	}
}

static int parse_line(struct lparse *lp)
{
	const char *w;
	size_t n, k;

	cut_comment(lp->line);
	lp->pos = 0;
	l_skip(lp);
	if (!lp->line[lp->pos])
		return 0;
	if (l_word(lp, "a statement", &w, &n) < 0)
		return -1;
	for (k = 0; k < sizeof(stmts) / sizeof(stmts[0]); k++)
		if (w_is(w, n, stmts[k].kw))
			break;
	if (k == sizeof(stmts) / sizeof(stmts[0]))
		return l_fail(lp, (size_t)(w - lp->line), "unknown statement \"%s\"", shown(w, n));
	if (stmts[k].in_claim && !lp->claim)
		return l_fail(lp, (size_t)(w - lp->line),
			      "%s belongs to a %s: start one with %s ID", stmts[k].kw,
			      stmts[k].in_claim == QUESTION_ONLY ? "question" : "claim",
			      stmts[k].in_claim == QUESTION_ONLY ? "question" : "claim");
	if (stmts[k].in_claim == CLAIM_ONLY && lp->question)
		return l_fail(lp, (size_t)(w - lp->line),
			      "%s belongs to a claim, not to question %s (a question has text, "
			      "let, applies, evidence, answer, tolerance)",
			      stmts[k].kw, lp->claim->id);
	if (stmts[k].in_claim == QUESTION_ONLY && !lp->question)
		return l_fail(lp, (size_t)(w - lp->line),
			      "%s belongs to a question, not to claim %s", stmts[k].kw,
			      lp->claim->id);
	if (!stmts[k].in_claim && claim_close(lp) < 0)
		return -1;
	lp->kwat = (size_t)(w - lp->line);
	return stmts[k].fn(lp);
}

int lab_parse(const char *name, const char *text, size_t len, struct lab **out, char *err,
	      size_t errlen)
{
	struct lparse lp = { .name = name, .text = text, .len = len, .err = err, .errlen = errlen };
	const char *slash = strrchr(name, '/'), *raw;
	size_t blen, rn;
	int ret = -1;

	lp.lab = calloc(1, sizeof(*lp.lab));
	if (!lp.lab) {
		l_nomem(&lp);
		goto out;
	}
	lp.lab->path = strdup(name);
	lp.base = strdup(slash ? slash + 1 : name);
	if (!lp.lab->path || !lp.base) {
		l_nomem(&lp);
		goto out;
	}
	blen = strlen(lp.base);
	if (blen > 4 && !strcmp(lp.base + blen - 4, ".lab"))
		lp.base[blen - 4] = '\0';
	while (next_raw_line(&lp, &raw, &rn)) {
		const char *nul = memchr(raw, '\0', rn);

		if (nul) {
			l_fail(&lp, (size_t)(nul - raw), "NUL byte: a lab script is text");
			goto out;
		}
		free(lp.line);
		lp.line = strndup(raw, rn);
		if (!lp.line) {
			l_nomem(&lp);
			goto out;
		}
		if (parse_line(&lp) < 0)
			goto out;
	}
	if (claim_close(&lp) < 0 || grading_check(&lp) < 0)
		goto out;
	if (!lp.at_lab || !lp.at_title || !lp.at_stream) {
		snprintf(err, errlen, "%s: missing %s statement", name,
			 !lp.at_lab	? "a lab ID"
			 : !lp.at_title ? "a title \"...\""
					: "a stream KIND");
		goto out;
	}
	*out = lp.lab;
	lp.lab = NULL;
	ret = 0;
out:
	free(lp.line);
	free(lp.base);
	lab_free(lp.lab);
	return ret;
}

int lab_load(const char *path, struct lab **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb = realloc(buf, cap ? 2 * cap : 8192);

			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap = cap ? 2 * cap : 8192;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	ret = lab_parse(path, buf ? buf : "", len, out, err, errlen);
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

static void free_item(struct lab_claim *c)
{
	free(c->id);
	free(c->text);
	free(c->expected);
	for (size_t i = 0; i < c->nlets; i++) {
		free(c->lets[i].name);
		claim_expr_free(c->lets[i].e);
	}
	free(c->lets);
	for (size_t i = 0; i < c->nexpects; i++) {
		claim_expr_free(c->expects[i]);
		free(c->expect_texts[i]);
	}
	free(c->expects);
	free(c->expect_texts);
	for (size_t i = 0; i < c->nevidence; i++)
		claim_expr_free(c->evidence[i]);
	claim_expr_free(c->applies);
	free(c->applies_text);
	free(c->evidence);
	free(c->report);
	free(c->why);
	claim_expr_free(c->answer);
	free(c->answer_text);
}

void lab_free(struct lab *l)
{
	if (!l)
		return;
	free(l->path);
	free(l->id);
	free(l->title);
	free(l->section);
	free(l->cert);
	free(l->keylog);
	for (size_t i = 0; i < l->nfactfiles; i++) {
		free(l->factfiles[i].file);
		free(l->factfiles[i].prefix);
	}
	free(l->factfiles);
	free(l->addr[0]);
	free(l->addr[1]);
	for (size_t k = 0; k < l->nsysctls; k++) {
		free(l->sysctls[k].key);
		free(l->sysctls[k].value);
	}
	free(l->sysctls);
	for (size_t k = 0; k < l->ndrops; k++) {
		filter_free(l->drops[k].filter);
		free(l->drops[k].filter_text);
	}
	free(l->drops);
	for (size_t k = 0; k < l->nfiles; k++) {
		free(l->files[k].name);
		free(l->files[k].body);
	}
	free(l->files);
	for (size_t k = 0; k < l->nprogs; k++) {
		free(l->progs[k].name);
		for (size_t a = 0; l->progs[k].argv && l->progs[k].argv[a]; a++)
			free(l->progs[k].argv[a]);
		free(l->progs[k].argv);
	}
	free(l->progs);
	for (size_t k = 0; k < l->nclaims; k++)
		free_item(&l->claims[k]);
	free(l->claims);
	for (size_t k = 0; k < l->nquestions; k++)
		free_item(&l->questions[k]);
	free(l->questions);
	for (size_t k = 0; k < l->nexchanges; k++) {
		filter_free(l->exchanges[k].filter);
		free(l->exchanges[k].text);
	}
	free(l->exchanges);
	if (l->role) {
		free(l->role->prog);
		for (size_t a = 0; l->role->build && l->role->build[a]; a++)
			free(l->role->build[a]);
		free(l->role->build);
		for (size_t a = 0; l->role->run && l->role->run[a]; a++)
			free(l->role->run[a]);
		free(l->role->run);
		free(l->role);
	}
	for (size_t k = 0; k < l->npoints; k++)
		free(l->points[k].claim);
	free(l->points);
	free(l);
}

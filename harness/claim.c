/* harness/claim.c — claim expressions: parsed when a lab is read, evaluated
 * against a trace (the language is in labs/README.md).
 *
 * Parsing checks names, fields, filters and the operand types, so that a
 * claim that parses can only come out holds, fails or n/a: a runtime value
 * that is missing or of the wrong kind is "absent", and absent compares
 * false, with a reason that the observed text shows.
 */
#include "harness/claim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/filter.h"

/* Static types, checked at parse time. ET_ANY: a field or fact, whose type
 * only the capture knows. */
enum etype { ET_PKT, ET_NUM, ET_STR, ET_BOOL, ET_ANY };

enum eop {
	EO_INT,
	EO_REAL,
	EO_STR,
	EO_LET,
	EO_POS,	   /* #N */
	EO_FIELD,  /* k[0].FIELD */
	EO_PSEUDO, /* k[0].n .pos .dir .t */
	EO_FIRST,  /* selections: k[0] after, k[1] before */
	EO_LAST,
	EO_NTH,
	EO_COUNT,
	EO_BYTES,
	EO_PAYLOAD,
	EO_RTTS,
	EO_FACT,
	EO_NEG,
	EO_NOT,
	EO_ADD,
	EO_SUB,
	EO_MUL,
	EO_DIV,
	EO_EQ,
	EO_NE,
	EO_LT,
	EO_LE,
	EO_GT,
	EO_GE,
	EO_IN,
	EO_AND,
	EO_OR,
};

enum pseudo { PS_N, PS_POS, PS_DIR, PS_T };

struct expr {
	enum eop op;
	enum etype type;
	int literal; /* a constant: not worth showing in an observed text */
	char *src;   /* source text, for observed texts */
	struct expr *k[3];
	int64_t i; /* EO_INT; EO_POS and EO_NTH: N; EO_LET: index */
	double d;  /* EO_REAL */
	char *s;   /* EO_STR value, EO_FIELD name, EO_FACT name */
	size_t slen;
	enum pseudo ps;
	struct filter *f; /* selections */
	char *what;	  /* selections: the source from the filter on */
	int dir;	  /* selections: PKT_DIR_CLIENT/SERVER, PKT_DIR_NONE: either */
};

static const char *const reserved[] = { "first",   "last", "nth",   "count",  "bytes",
					"payload", "rtts", "fact",  "client", "server",
					"in",	   "from", "after", "before" };

int claim_reserved(const char *word)
{
	for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
		if (!strcmp(word, reserved[k]))
			return 1;
	return 0;
}

void claim_expr_free(struct expr *e)
{
	if (!e)
		return;
	for (int k = 0; k < 3; k++)
		claim_expr_free(e->k[k]);
	free(e->src);
	free(e->s);
	free(e->what);
	filter_free(e->f);
	free(e);
}

/* ---- Parsing ---- */

enum xtok { XT_END, XT_NUM, XT_STR, XT_IDENT, XT_FIELD, XT_POS, XT_OP };

struct xparse {
	const char *text;
	const struct lab_let *lets;
	size_t nlets;
	size_t pos;    /* where the next token starts */
	enum xtok tok; /* the current token */
	size_t start, len;
	size_t prev_end; /* end of the last token consumed */
	int64_t i;	 /* XT_NUM (integer), XT_POS */
	double d;	 /* XT_NUM (real) */
	int is_real;
	char *str; /* XT_STR value */
	size_t slen;
	size_t *offs; /* XT_STR: offsets of its bytes, from the token start */
	size_t erroff;
	char *err;
	size_t errlen;
	unsigned nodes, depth; /* bounds: recursion and the tree's depth */
};

/* An expression is a line of a script: these bounds are far above any real
 * one and keep parsing, evaluating and freeing off deep recursion. */
#define X_NODES_MAX 1000
#define X_DEPTH_MAX 100

static int x_fail(struct xparse *xp, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int x_fail(struct xparse *xp, size_t off, const char *fmt, ...)
{
	va_list ap;

	xp->erroff = off;
	va_start(ap, fmt);
	vsnprintf(xp->err, xp->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int x_nomem(struct xparse *xp)
{
	return x_fail(xp, xp->start, "out of memory");
}

static int x_expected(struct xparse *xp, const char *what)
{
	switch (xp->tok) {
	case XT_END:
		return x_fail(xp, xp->start, "expected %s, got end of expression", what);
	case XT_STR:
		return x_fail(xp, xp->start, "expected %s, got the string \"%.40s\"", what,
			      xp->str);
	case XT_NUM:
	case XT_IDENT:
	case XT_FIELD:
	case XT_POS:
	case XT_OP:
		break;
	}
	return x_fail(xp, xp->start, "expected %s, got \"%.*s\"", what, (int)xp->len,
		      xp->text + xp->start);
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a dotted name at s: word { "." word }. */
static size_t dotted_len(const char *s)
{
	size_t n = 0;

	for (;;) {
		while (is_alpha(s[n]) || is_digit(s[n]))
			n++;
		if (s[n] != '.' || !(is_alpha(s[n + 1]) || is_digit(s[n + 1])))
			return n;
		n++;
	}
}

static int x_number(struct xparse *xp)
{
	const char *t = xp->text;
	size_t e = xp->pos, u;
	char buf[64], *end;

	if (t[e] == '0' && (t[e + 1] == 'x' || t[e + 1] == 'X')) {
		e += 2;
		while (is_digit(t[e]) || (t[e] >= 'a' && t[e] <= 'f') ||
		       (t[e] >= 'A' && t[e] <= 'F'))
			e++;
	} else {
		while (is_digit(t[e]))
			e++;
		/* "1..3" is a range: a '.' is a decimal point only before a digit. */
		if (t[e] == '.' && is_digit(t[e + 1])) {
			e++;
			while (is_digit(t[e]))
				e++;
		}
	}
	if (e - xp->pos >= sizeof(buf))
		return x_fail(xp, xp->pos, "number too long");
	memcpy(buf, t + xp->pos, e - xp->pos);
	buf[e - xp->pos] = '\0';
	errno = 0;
	xp->is_real = strchr(buf, '.') != NULL;
	if (xp->is_real) {
		xp->d = strtod(buf, &end);
	} else {
		uint64_t v = strtoull(buf, &end, 0);

		if (v > INT64_MAX)
			errno = ERANGE;
		xp->i = (int64_t)v;
	}
	if (*end || errno)
		return x_fail(xp, xp->pos, "expected a number, got \"%s\"", buf);
	/* A unit makes a duration, in seconds. */
	for (u = e; is_alpha(t[u]); u++)
		;
	if (u > e) {
		/* Divided, not multiplied by 1e-3: 25ms is then the same double
		 * as 0.025, and compares equal to it. */
		static const struct {
			const char *name;
			double div;
		} units[] = { { "s", 1 }, { "ms", 1e3 }, { "us", 1e6 } };
		double v = xp->is_real ? xp->d : (double)xp->i;
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].name) == u - e && !strncmp(t + e, units[k].name, u - e))
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return x_fail(xp, e, "expected a unit s, ms or us, got \"%.*s\"",
				      (int)(u - e), t + e);
		xp->d = v / units[k].div;
		xp->is_real = 1;
		e = u;
	}
	xp->tok = XT_NUM;
	xp->len = e - xp->pos;
	return 0;
}

static int x_next(struct xparse *xp)
{
	static const char *const ops[] = {
		"==", "!=", "<=", ">=", "&&", "||", "..", "<", ">", "!",
		"+",  "-",  "*",  "/",	"(",  ")",  ",",  "{", "}", "="
	};
	const char *t = xp->text;

	xp->prev_end = xp->start + xp->len;
	free(xp->str);
	free(xp->offs);
	xp->str = NULL;
	xp->offs = NULL;
	/* A CRLF file leaves a '\r' at the end of each line. */
	while (t[xp->pos] == ' ' || t[xp->pos] == '\t' || t[xp->pos] == '\r' || t[xp->pos] == '\n')
		xp->pos++;
	xp->start = xp->pos;
	xp->len = 0;
	if (t[xp->pos] == '\0') {
		xp->tok = XT_END;
		return 0;
	}
	if (t[xp->pos] == '"') {
		size_t used = 0;
		char msg[200];

		if (lab_string(t + xp->pos, &xp->str, &used, &xp->offs, msg, sizeof(msg)) < 0)
			return x_fail(xp, xp->pos + used, "%s", msg);
		xp->slen = strlen(xp->str);
		xp->tok = XT_STR;
		xp->len = used;
	} else if (t[xp->pos] == '#') {
		size_t e = xp->pos + 1;

		if (!is_digit(t[e]))
			return x_fail(xp, xp->pos,
				      "expected a packet number after \"#\" (#1: the stream's "
				      "first packet)");
		while (is_digit(t[e]))
			e++;
		errno = 0;
		xp->i = strtoll(t + xp->pos + 1, NULL, 10);
		if (errno || xp->i > UINT32_MAX)
			return x_fail(xp, xp->pos, "packet number too large");
		xp->tok = XT_POS;
		xp->len = e - xp->pos;
	} else if (is_digit(t[xp->pos])) {
		if (x_number(xp) < 0)
			return -1;
	} else if (is_alpha(t[xp->pos])) {
		xp->tok = XT_IDENT;
		xp->len = dotted_len(t + xp->pos);
	} else if (t[xp->pos] == '.' && is_alpha(t[xp->pos + 1])) {
		xp->tok = XT_FIELD;
		xp->len = 1 + dotted_len(t + xp->pos + 1);
	} else {
		size_t k;

		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (!strncmp(t + xp->pos, ops[k], strlen(ops[k])))
				break;
		if (k == sizeof(ops) / sizeof(ops[0]))
			return x_fail(xp, xp->pos, "unexpected character \"%c\"", t[xp->pos]);
		xp->tok = XT_OP;
		xp->len = strlen(ops[k]);
	}
	xp->pos += xp->len;
	return 0;
}

/* The current token is the operator or keyword s. */
static int x_is(const struct xparse *xp, const char *s)
{
	return (xp->tok == XT_OP || xp->tok == XT_IDENT) && xp->len == strlen(s) &&
	       !strncmp(xp->text + xp->start, s, xp->len);
}

static const char *etype_name(enum etype t)
{
	switch (t) {
	case ET_PKT:
		return "a packet";
	case ET_NUM:
		return "a number";
	case ET_STR:
		return "a string";
	case ET_BOOL:
		return "a condition";
	case ET_ANY:
		return "a field value";
	}
	return "?";
}

/* A new node; x_done() sets its source text once its last token is
 * consumed. */
static struct expr *x_new(struct xparse *xp, enum eop op, enum etype type)
{
	struct expr *e;

	if (++xp->nodes > X_NODES_MAX) {
		x_fail(xp, xp->start, "the expression is too long: more than %d terms",
		       X_NODES_MAX);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		x_nomem(xp);
		return NULL;
	}
	e->op = op;
	e->type = type;
	e->dir = PKT_DIR_NONE;
	return e;
}

/* Parses with fn one level deeper (after a "(", a "-" or a "!"): bounded. */
static int x_deeper(struct xparse *xp, int (*fn)(struct xparse *, struct expr **),
		    struct expr **out)
{
	int r;

	if (++xp->depth > X_DEPTH_MAX)
		r = x_fail(xp, xp->start,
			   "the expression nests too deep: more than %d \"(\", \"-\" or \"!\"",
			   X_DEPTH_MAX);
	else
		r = fn(xp, out);
	xp->depth--;
	return r;
}

static int x_done(struct xparse *xp, struct expr *e, size_t start)
{
	e->src = strndup(xp->text + start, xp->prev_end - start);
	return e->src ? 0 : x_nomem(xp);
}

/* Checks that the operand at off is a packet (want == ET_PKT) or a value
 * that can be a number (ET_NUM: numbers and field values). */
static int x_want(struct xparse *xp, const struct expr *e, size_t off, enum etype want,
		  const char *what)
{
	int ok = want == ET_PKT ? e->type == ET_PKT : (e->type == ET_NUM || e->type == ET_ANY);

	if (ok)
		return 0;
	return x_fail(xp, off, "%s: expected %s, got %s", what, etype_name(want),
		      etype_name(e->type));
}

static int x_or(struct xparse *xp, struct expr **out);
static int x_postfix(struct xparse *xp, struct expr **out);
static int x_unary(struct xparse *xp, struct expr **out);
static int x_not(struct xparse *xp, struct expr **out);

/* Maps an error of filter_parse ("col N: ...") into the text. */
static int x_filter(struct xparse *xp, struct expr *e)
{
	char msg[200];
	size_t col = 0;
	int n = 0;

	if (filter_parse(xp->str, &e->f, msg, sizeof(msg)) == 0)
		return 0;
	if (sscanf(msg, "col %zu: %n", &col, &n) == 1 && n > 0 && col >= 1 && col - 1 <= xp->slen)
		return x_fail(xp, xp->start + xp->offs[col - 1], "%s", msg + n);
	return x_fail(xp, xp->start, "%s", msg);
}

/* SEL := STRING { from client|server | after P | before P } */
static int x_sel(struct xparse *xp, struct expr *e, const char *kw)
{
	size_t what_start = xp->start;
	int seen_from = 0;
	char buf[80];

	if (xp->tok != XT_STR) {
		snprintf(buf, sizeof(buf), "a display filter string after \"%s\"", kw);
		return x_expected(xp, buf);
	}
	if (x_filter(xp, e) < 0 || x_next(xp) < 0)
		return -1;
	for (;;) {
		if (x_is(xp, "from")) {
			if (seen_from)
				return x_fail(xp, xp->start, "\"from\" given twice");
			seen_from = 1;
			if (x_next(xp) < 0)
				return -1;
			if (x_is(xp, "client"))
				e->dir = PKT_DIR_CLIENT;
			else if (x_is(xp, "server"))
				e->dir = PKT_DIR_SERVER;
			else
				return x_expected(xp, "client or server after \"from\"");
			if (x_next(xp) < 0)
				return -1;
		} else if (x_is(xp, "after") || x_is(xp, "before")) {
			int k = x_is(xp, "before");
			size_t off;

			if (e->k[k])
				return x_fail(xp, xp->start, "\"%s\" given twice",
					      k ? "before" : "after");
			if (x_next(xp) < 0)
				return -1;
			off = xp->start;
			if (x_postfix(xp, &e->k[k]) < 0)
				return -1;
			if (e->k[k]->type != ET_PKT && e->k[k]->type != ET_NUM &&
			    e->k[k]->type != ET_ANY)
				return x_fail(xp, off,
					      "%s: expected a packet or a position, got %s",
					      k ? "before" : "after", etype_name(e->k[k]->type));
		} else {
			break;
		}
	}
	e->what = strndup(xp->text + what_start, xp->prev_end - what_start);
	return e->what ? 0 : x_nomem(xp);
}

static int x_field(struct xparse *xp, struct expr **pe, const char *name, size_t len, size_t off,
		   size_t start)
{
	static const char *const pseudo[] = { "n", "pos", "dir", "t" };
	struct expr *e = NULL;
	int ret = -1;

	if ((*pe)->type != ET_PKT) {
		x_fail(xp, off, "expected a packet before \".%.*s\", got %s", (int)len, name,
		       etype_name((*pe)->type));
		goto out;
	}
	e = x_new(xp, EO_FIELD, ET_ANY);
	if (!e)
		goto out;
	e->s = strndup(name, len);
	if (!e->s) {
		x_nomem(xp);
		goto out;
	}
	for (size_t k = 0; k < sizeof(pseudo) / sizeof(pseudo[0]); k++)
		if (!strcmp(e->s, pseudo[k])) {
			e->op = EO_PSEUDO;
			e->ps = (enum pseudo)k;
			e->type = e->ps == PS_DIR ? ET_STR : ET_NUM;
		}
	if (e->op == EO_FIELD && !pkt_field_known(e->s)) {
		x_fail(xp, off, "unknown field \"%s\"", e->s);
		goto out;
	}
	e->k[0] = *pe;
	*pe = e;
	e = NULL;
	ret = x_done(xp, *pe, start);
out:
	claim_expr_free(e);
	return ret;
}

/* NAME or NAME.FIELD */
static int x_name(struct xparse *xp, struct expr **out)
{
	const char *t = xp->text + xp->start;
	size_t start = xp->start, n = 0, len = xp->len;
	struct expr *e = NULL;
	size_t k;
	int ret = -1;

	while (n < len && t[n] != '.')
		n++;
	for (k = xp->nlets; k > 0; k--)
		if (strlen(xp->lets[k - 1].name) == n && !strncmp(xp->lets[k - 1].name, t, n))
			break;
	if (k == 0) {
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), t);
		if (pkt_field_known(name))
			x_fail(xp, start,
			       "field %s needs a packet: write P.%s with P a let, #N or (first "
			       "...)",
			       name, name);
		else
			x_fail(xp, start, "unknown name \"%.*s\"", (int)n, t);
		goto out;
	}
	e = x_new(xp, EO_LET, xp->lets[k - 1].e->type);
	if (!e)
		goto out;
	e->i = (int64_t)(k - 1);
	if (x_next(xp) < 0)
		goto out;
	e->src = strndup(t, n);
	if (!e->src) {
		x_nomem(xp);
		goto out;
	}
	if (n < len && x_field(xp, &e, t + n + 1, len - n - 1, start + n, start) < 0)
		goto out;
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

static int x_primary(struct xparse *xp, struct expr **out)
{
	size_t start = xp->start;
	struct expr *e = NULL;
	int ret = -1;

	switch (xp->tok) {
	case XT_NUM:
		e = x_new(xp, xp->is_real ? EO_REAL : EO_INT, ET_NUM);
		if (!e)
			goto out;
		e->i = xp->i;
		e->d = xp->d;
		e->literal = 1;
		break;
	case XT_STR:
		e = x_new(xp, EO_STR, ET_STR);
		if (!e)
			goto out;
		e->s = xp->str;
		e->slen = xp->slen;
		xp->str = NULL;
		e->literal = 1;
		break;
	case XT_POS:
		if (xp->i < 1) {
			x_fail(xp, start, "packets are numbered from 1, got #0");
			goto out;
		}
		e = x_new(xp, EO_POS, ET_PKT);
		if (!e)
			goto out;
		e->i = xp->i;
		break;
	case XT_FIELD:
		x_expected(xp, "an expression");
		goto out;
	case XT_END:
		x_expected(xp, "an expression");
		goto out;
	case XT_OP:
		if (!x_is(xp, "(")) {
			x_expected(xp, "an expression");
			goto out;
		}
		if (x_next(xp) < 0 || x_deeper(xp, x_or, &e) < 0)
			goto out;
		if (!x_is(xp, ")")) {
			x_expected(xp, "\")\"");
			goto out;
		}
		/* The parenthesised source keeps its parentheses. */
		free(e->src);
		e->src = NULL;
		break;
	case XT_IDENT:
		if (x_is(xp, "client") || x_is(xp, "server")) {
			e = x_new(xp, EO_STR, ET_STR);
			if (!e)
				goto out;
			e->s = strndup(xp->text + xp->start, xp->len);
			if (!e->s) {
				x_nomem(xp);
				goto out;
			}
			e->slen = xp->len;
			e->literal = 1;
		} else if (x_is(xp, "first") || x_is(xp, "last") || x_is(xp, "count") ||
			   x_is(xp, "bytes") || x_is(xp, "payload") || x_is(xp, "nth")) {
			static const struct {
				const char *kw;
				enum eop op;
				enum etype type;
			} sels[] = {
				{ "first", EO_FIRST, ET_PKT }, { "last", EO_LAST, ET_PKT },
				{ "nth", EO_NTH, ET_PKT },     { "count", EO_COUNT, ET_NUM },
				{ "bytes", EO_BYTES, ET_NUM }, { "payload", EO_PAYLOAD, ET_NUM }
			};
			size_t k = 0;

			while (!x_is(xp, sels[k].kw))
				k++;
			e = x_new(xp, sels[k].op, sels[k].type);
			if (!e || x_next(xp) < 0)
				goto out;
			if (e->op == EO_NTH) {
				if (xp->tok != XT_NUM || xp->is_real) {
					x_expected(xp, "a number after \"nth\"");
					goto out;
				}
				if (xp->i < 1) {
					x_fail(xp, xp->start, "nth counts from 1, got 0");
					goto out;
				}
				e->i = xp->i;
				if (x_next(xp) < 0)
					goto out;
			}
			if (x_sel(xp, e, sels[k].kw) < 0)
				goto out;
			ret = x_done(xp, e, start);
			goto done;
		} else if (x_is(xp, "rtts")) {
			e = x_new(xp, EO_RTTS, ET_NUM);
			if (!e || x_next(xp) < 0)
				goto out;
			if (!x_is(xp, "(")) {
				x_expected(xp, "\"(\" after \"rtts\"");
				goto out;
			}
			for (int k = 0; k < 2; k++) {
				size_t off;

				if (x_next(xp) < 0)
					goto out;
				off = xp->start;
				if (x_or(xp, &e->k[k]) < 0 ||
				    x_want(xp, e->k[k], off, ET_PKT, "rtts") < 0)
					goto out;
				if (!x_is(xp, k ? ")" : ",")) {
					x_expected(xp, k ? "\")\"" : "\",\"");
					goto out;
				}
			}
		} else if (x_is(xp, "fact")) {
			e = x_new(xp, EO_FACT, ET_ANY);
			if (!e || x_next(xp) < 0)
				goto out;
			if (xp->tok != XT_STR) {
				x_expected(xp, "a fact name string after \"fact\"");
				goto out;
			}
			e->s = xp->str;
			e->slen = xp->slen;
			xp->str = NULL;
		} else if (x_is(xp, "in") || x_is(xp, "from") || x_is(xp, "after") ||
			   x_is(xp, "before")) {
			x_expected(xp, "an expression");
			goto out;
		} else {
			if (x_name(xp, &e) < 0)
				goto out;
			ret = 0;
			goto done;
		}
		break;
	}
	if (x_next(xp) < 0)
		goto out;
	ret = e->src ? 0 : x_done(xp, e, start);
done:
	if (ret == 0) {
		*out = e;
		e = NULL;
	}
out:
	claim_expr_free(e);
	return ret;
}

/* postfix := primary { "." FIELD } */
static int x_postfix(struct xparse *xp, struct expr **out)
{
	size_t start = xp->start;
	struct expr *e = NULL;
	int ret = -1;

	if (x_primary(xp, &e) < 0)
		goto out;
	while (xp->tok == XT_FIELD) {
		size_t off = xp->start;
		char *name = strndup(xp->text + xp->start + 1, xp->len - 1);

		if (!name) {
			x_nomem(xp);
			goto out;
		}
		if (x_next(xp) < 0) {
			free(name);
			goto out;
		}
		ret = x_field(xp, &e, name, strlen(name), off, start);
		free(name);
		if (ret < 0)
			goto out;
		ret = -1;
	}
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

static int x_unary(struct xparse *xp, struct expr **out)
{
	size_t start = xp->start, off;
	struct expr *e = NULL, *k = NULL;
	int ret = -1;

	if (!x_is(xp, "-")) {
		ret = x_postfix(xp, out);
		goto out;
	}
	if (x_next(xp) < 0)
		goto out;
	off = xp->start;
	if (x_deeper(xp, x_unary, &k) < 0 || x_want(xp, k, off, ET_NUM, "\"-\"") < 0)
		goto out;
	if (k->op == EO_INT || k->op == EO_REAL) {
		/* A negative literal stays a literal. */
		k->i = -k->i;
		k->d = -k->d;
		free(k->src);
		k->src = NULL;
		e = k;
		k = NULL;
	} else {
		e = x_new(xp, EO_NEG, ET_NUM);
		if (!e)
			goto out;
		e->literal = k->literal;
		e->k[0] = k;
		k = NULL;
	}
	if (x_done(xp, e, start) < 0)
		goto out;
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(k);
	claim_expr_free(e);
	return ret;
}

/* Left-associative arithmetic: level 0 is "+"/"-", level 1 "*"/"/". */
static int x_arith(struct xparse *xp, int level, struct expr **out)
{
	const char *a = level ? "*" : "+", *b = level ? "/" : "-";
	size_t start = xp->start, off = xp->start;
	struct expr *e = NULL, *n = NULL;
	int ret = -1;

	if ((level ? x_unary(xp, &e) : x_arith(xp, 1, &e)) < 0)
		goto out;
	while (x_is(xp, a) || x_is(xp, b)) {
		char op[2] = { xp->text[xp->start], '\0' };
		char what[8];

		snprintf(what, sizeof(what), "\"%s\"", op);
		if (x_want(xp, e, off, ET_NUM, what) < 0)
			goto out;
		n = x_new(xp, x_is(xp, a) ? (level ? EO_MUL : EO_ADD) : (level ? EO_DIV : EO_SUB),
			  ET_NUM);
		if (!n)
			goto out;
		n->k[0] = e;
		e = n;
		n = NULL;
		if (x_next(xp) < 0)
			goto out;
		off = xp->start;
		if ((level ? x_unary(xp, &e->k[1]) : x_arith(xp, 1, &e->k[1])) < 0 ||
		    x_want(xp, e->k[1], off, ET_NUM, what) < 0 || x_done(xp, e, start) < 0)
			goto out;
		e->literal = e->k[0]->literal && e->k[1]->literal;
	}
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

/* Which operand types a comparison takes: packets only with == and != and
 * with each other; numbers with numbers; strings with strings; field values
 * with anything but a packet. */
static int x_comparable(struct xparse *xp, enum eop op, const struct expr *l, const struct expr *r,
			size_t off)
{
	int eq = op == EO_EQ || op == EO_NE;

	if (l->type == ET_PKT || r->type == ET_PKT) {
		if (eq && l->type == r->type)
			return 0;
		return x_fail(xp, off,
			      "cannot compare %s with %s%s: compare a field such as P.tcp.seq",
			      etype_name(l->type), etype_name(r->type), eq ? "" : " by order");
	}
	if (l->type == ET_ANY || r->type == ET_ANY || l->type == r->type) {
		if (!eq && (l->type == ET_BOOL || r->type == ET_BOOL))
			return x_fail(xp, off, "cannot order conditions");
		return 0;
	}
	return x_fail(xp, off, "cannot compare %s with %s", etype_name(l->type),
		      etype_name(r->type));
}

/* cmp := sum [ relop sum | "in" sum ".." sum ] */
static int x_cmp(struct xparse *xp, struct expr **out)
{
	static const struct {
		const char *sym;
		enum eop op;
	} rels[] = { { "==", EO_EQ }, { "!=", EO_NE }, { "<", EO_LT },
		     { "<=", EO_LE }, { ">", EO_GT },  { ">=", EO_GE } };
	size_t start = xp->start, opoff;
	struct expr *e = NULL, *n = NULL;
	size_t k;
	int ret = -1;

	if (x_arith(xp, 0, &e) < 0)
		goto out;
	opoff = xp->start;
	for (k = 0; k < sizeof(rels) / sizeof(rels[0]); k++)
		if (x_is(xp, rels[k].sym))
			break;
	if (k < sizeof(rels) / sizeof(rels[0])) {
		n = x_new(xp, rels[k].op, ET_BOOL);
		if (!n)
			goto out;
		n->k[0] = e;
		e = n;
		n = NULL;
		if (x_next(xp) < 0 || x_arith(xp, 0, &e->k[1]) < 0 ||
		    x_comparable(xp, e->op, e->k[0], e->k[1], opoff) < 0)
			goto out;
	} else if (x_is(xp, "in")) {
		n = x_new(xp, EO_IN, ET_BOOL);
		if (!n)
			goto out;
		n->k[0] = e;
		e = n;
		n = NULL;
		if (x_want(xp, e->k[0], start, ET_NUM, "in") < 0 || x_next(xp) < 0)
			goto out;
		for (int b = 1; b <= 2; b++) {
			size_t off = xp->start;

			if (x_arith(xp, 0, &e->k[b]) < 0 ||
			    x_want(xp, e->k[b], off, ET_NUM, "in") < 0)
				goto out;
			if (b == 1) {
				if (!x_is(xp, "..")) {
					x_expected(xp, "\"..\" (a range is LOW..HIGH)");
					goto out;
				}
				if (x_next(xp) < 0)
					goto out;
			}
		}
	} else {
		*out = e;
		e = NULL;
		ret = 0;
		goto out;
	}
	if (x_done(xp, e, start) < 0)
		goto out;
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

static int x_not(struct xparse *xp, struct expr **out)
{
	size_t start = xp->start;
	struct expr *e = NULL;
	int ret = -1;

	if (!x_is(xp, "!")) {
		ret = x_cmp(xp, out);
		goto out;
	}
	e = x_new(xp, EO_NOT, ET_BOOL);
	if (!e || x_next(xp) < 0 || x_deeper(xp, x_not, &e->k[0]) < 0 || x_done(xp, e, start) < 0)
		goto out;
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

/* Left-associative logic: "||" over "&&" over "!". */
static int x_logic(struct xparse *xp, enum eop op, struct expr **out)
{
	const char *sym = op == EO_OR ? "||" : "&&";
	size_t start = xp->start;
	struct expr *e = NULL, *n = NULL;
	int ret = -1;

	if ((op == EO_OR ? x_logic(xp, EO_AND, &e) : x_not(xp, &e)) < 0)
		goto out;
	while (x_is(xp, sym)) {
		n = x_new(xp, op, ET_BOOL);
		if (!n)
			goto out;
		n->k[0] = e;
		e = n;
		n = NULL;
		if (x_next(xp) < 0 ||
		    (op == EO_OR ? x_logic(xp, EO_AND, &e->k[1]) : x_not(xp, &e->k[1])) < 0 ||
		    x_done(xp, e, start) < 0)
			goto out;
	}
	*out = e;
	e = NULL;
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

static int x_or(struct xparse *xp, struct expr **out)
{
	return x_logic(xp, EO_OR, out);
}

int claim_expr_parse(const char *text, const struct lab_let *lets, size_t nlets, struct expr **out,
		     size_t *used, size_t *erroff, char *err, size_t errlen)
{
	struct xparse xp = {
		.text = text, .lets = lets, .nlets = nlets, .err = err, .errlen = errlen
	};
	struct expr *e = NULL;
	int ret = -1;

	if (x_next(&xp) < 0 || x_or(&xp, &e) < 0)
		goto out;
	*used = xp.start;
	*out = e;
	e = NULL;
	ret = 0;
out:
	if (ret < 0)
		*erroff = xp.erroff;
	free(xp.str);
	free(xp.offs);
	claim_expr_free(e);
	return ret;
}

/* ---- Evaluation ---- */

enum vtype { V_ABSENT, V_INT, V_REAL, V_STR, V_BOOL, V_PKT };

struct val {
	enum vtype t;
	int64_t i; /* V_INT, V_BOOL; V_PKT: index in the trace */
	int64_t g; /* V_PKT: the message (group) a selection matched, -1: the packet */
	double d;
	const char *s; /* V_STR: static, the expression's, or ectx-owned */
	size_t slen;
	char why[200]; /* V_ABSENT: what is missing */
};

struct ectx {
	const struct lab_claim *claim;
	const struct trace *tr;
	struct val *lets;
	uint8_t *mark; /* evidence: positions touched; NULL while rendering */
	int fact_missing;
	char **strs; /* copies of field strings, alive for the claim */
	size_t nstrs;
};

static void absent(struct val *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void absent(struct val *v, const char *fmt, ...)
{
	va_list ap;

	memset(v, 0, sizeof(*v));
	v->t = V_ABSENT;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static void set_int(struct val *v, enum vtype t, int64_t i)
{
	memset(v, 0, sizeof(*v));
	v->t = t;
	v->i = i;
	v->g = -1;
}

static void set_real(struct val *v, double d)
{
	memset(v, 0, sizeof(*v));
	v->t = V_REAL;
	v->d = d;
}

static void set_str(struct val *v, const char *s, size_t slen)
{
	memset(v, 0, sizeof(*v));
	v->t = V_STR;
	v->s = s;
	v->slen = slen;
}

/* Field strings can live in pkt_field()'s rotating buffers (addresses): a
 * value kept in a let needs its own copy. */
static int keep_str(struct ectx *cx, struct val *v, const char *s, size_t slen)
{
	char **n = realloc(cx->strs, (cx->nstrs + 1) * sizeof(*n));
	char *c;

	if (!n)
		return -1;
	cx->strs = n;
	c = malloc(slen + 1);
	if (!c)
		return -1;
	memcpy(c, s, slen);
	c[slen] = '\0';
	cx->strs[cx->nstrs++] = c;
	set_str(v, c, slen);
	return 0;
}

static int truthy(const struct val *v)
{
	switch (v->t) {
	case V_ABSENT:
		return 0;
	case V_INT:
	case V_BOOL:
		return v->i != 0;
	case V_REAL:
		return v->d != 0;
	case V_STR:
		return v->slen > 0;
	case V_PKT:
		return 1;
	}
	return 0;
}

static int eval(struct ectx *cx, const struct expr *e, struct val *v);

/* Bounds of a selection as trace indices [*lo, *hi). 0, or 1 with v absent
 * when a bound is. */
static int sel_bounds(struct ectx *cx, const struct expr *e, size_t *lo, size_t *hi, struct val *v)
{
	*lo = 0;
	*hi = cx->tr->npkts;
	for (int k = 0; k < 2; k++) {
		struct val b;
		int64_t pos; /* the bound's position, from 1 */

		if (!e->k[k])
			continue;
		if (eval(cx, e->k[k], &b) < 0)
			return -1;
		if (b.t == V_PKT) {
			pos = b.i + 1;
		} else if (b.t == V_INT) {
			pos = b.i;
		} else if (b.t == V_ABSENT) {
			*v = b;
			return 1;
		} else {
			absent(v, "%s is not a packet", e->k[k]->src);
			return 1;
		}
		if (k == 0 && pos > (int64_t)*lo)
			*lo = pos > (int64_t)cx->tr->npkts ? cx->tr->npkts : (size_t)pos;
		if (k == 1 && pos - 1 < (int64_t)*hi)
			*hi = pos < 1 ? 0 : (size_t)(pos - 1);
	}
	return 0;
}

/* One message of a packet as a packet of its own: the fields before the
 * first group (the TCP layer's) and the fields of group g, so that
 * `first "websocket.opcode == 9"` and then `.websocket.payload` speak of the
 * same frame when a segment carries several. fv is the caller's buffer. */
static int msg_view(const struct pkt *p, size_t g, struct pkt *view, struct pkt_fv **fv)
{
	size_t pre = 0, end = pkt_group_end(p, g);

	while (pre < p->nfv && p->fv[pre].type != PKT_FV_GROUP)
		pre++;
	*fv = malloc((pre + end - g + 1) * sizeof(**fv));
	if (!*fv)
		return -1;
	memcpy(*fv, p->fv, pre * sizeof(**fv));
	memcpy(*fv + pre, p->fv + g, (end - g) * sizeof(**fv));
	*view = *p;
	view->fv = *fv;
	view->nfv = pre + end - g;
	return 0;
}

/* The first (or last) message of p that matches f on its own; -1 if only
 * the packet as a whole matches (or it has no messages). */
static int64_t match_group(const struct filter *f, const struct pkt *p, int last, int *nomem)
{
	int64_t found = -1;

	for (size_t g = 0; g < p->nfv; g++) {
		struct pkt view;
		struct pkt_fv *fv;

		if (p->fv[g].type != PKT_FV_GROUP)
			continue;
		if (msg_view(p, g, &view, &fv)) {
			*nomem = 1;
			return -1;
		}
		int m = filter_match(f, &view);

		free(fv);
		if (m) {
			found = (int64_t)g;
			if (!last)
				break;
		}
	}
	return found;
}

static int eval_sel(struct ectx *cx, const struct expr *e, struct val *v)
{
	size_t lo, hi, found = 0, nmatch = 0;
	int64_t sum = 0;
	int r = sel_bounds(cx, e, &lo, &hi, v), nomem = 0;
	int counts = e->op == EO_COUNT || e->op == EO_BYTES || e->op == EO_PAYLOAD;

	if (r)
		return r < 0 ? -1 : 0;
	for (size_t idx = lo; idx < hi; idx++) {
		const struct pkt *p = &cx->tr->pkts[idx];

		if (e->dir != PKT_DIR_NONE && p->dir != e->dir)
			continue;
		if (!filter_match(e->f, p))
			continue;
		nmatch++;
		if (counts) {
			sum += e->op == EO_BYTES ? p->wirelen : e->op == EO_PAYLOAD ? p->len : 1;
			if (cx->mark)
				cx->mark[idx] = 1;
			continue;
		}
		if (e->op == EO_FIRST || (e->op == EO_NTH && nmatch == (size_t)e->i)) {
			found = idx + 1;
			break;
		}
		if (e->op == EO_LAST)
			found = idx + 1; /* the latest so far */
	}
	if (counts) {
		set_int(v, V_INT, sum);
	} else if (found) {
		set_int(v, V_PKT, (int64_t)(found - 1));
		v->g = match_group(e->f, &cx->tr->pkts[found - 1], e->op == EO_LAST, &nomem);
		if (nomem)
			return -1;
	} else if (e->op == EO_NTH && nmatch > 0)
		absent(v, "only %zu packet%s match %s", nmatch, nmatch == 1 ? "" : "s", e->what);
	else
		absent(v, "no packet matches %s", e->what);
	return 0;
}

/* Round trips from a to b: the packets that carry something (data, SYN or
 * FIN), and how often the sender turns from server back to client. */
static void eval_rtts(struct ectx *cx, size_t a, size_t b, struct val *v)
{
	int last = PKT_DIR_NONE;
	int64_t n = 0;

	for (size_t idx = a; idx <= b; idx++) {
		const struct pkt *p = &cx->tr->pkts[idx];

		if (p->len == 0 && !(p->flags & (TCPF_SYN | TCPF_FIN)))
			continue;
		if (last == PKT_DIR_SERVER && p->dir == PKT_DIR_CLIENT)
			n++;
		last = p->dir;
	}
	set_int(v, V_INT, n);
}

static int eval_field(struct ectx *cx, const struct expr *e, const struct val *pv, struct val *v)
{
	const struct pkt *p;
	struct fval f;

	if (pv->t != V_PKT) {
		*v = *pv;
		return 0;
	}
	p = &cx->tr->pkts[pv->i];
	if (e->op == EO_PSEUDO) {
		switch (e->ps) {
		case PS_N:
			set_int(v, V_INT, p->n);
			break;
		case PS_POS:
			set_int(v, V_INT, pv->i + 1);
			break;
		case PS_DIR:
			set_str(v,
				p->dir == PKT_DIR_CLIENT   ? "client"
				: p->dir == PKT_DIR_SERVER ? "server"
							   : "none",
				p->dir == PKT_DIR_NONE ? 4 : 6);
			break;
		case PS_T:
			set_real(v, p->t);
			break;
		}
		return 0;
	}
	/* A field with several occurrences reads as its first: in the
	 * message the selection matched, if it matched one. */
	struct pkt view;
	struct pkt_fv *fv = NULL;
	int got;

	if (pv->g >= 0 && msg_view(p, (size_t)pv->g, &view, &fv))
		return -1;
	got = pkt_field(fv ? &view : p, e->s, 0, &f);
	if (got == 1 && f.type == FVAL_STR) {
		/* the string lives in p's arena, not in the view's array */
		free(fv);
		return keep_str(cx, v, f.s, f.slen);
	}
	free(fv);
	if (got != 1) {
		absent(v, "frame %" PRIu32 " has no %s", p->n, e->s);
		return 0;
	}
	switch (f.type) {
	case FVAL_INT:
		set_int(v, V_INT, f.i);
		break;
	case FVAL_REAL:
		set_real(v, f.d);
		break;
	case FVAL_STR:
		return keep_str(cx, v, f.s, f.slen);
	}
	return 0;
}

/* A fact reads as a number when it is one. */
static void fact_val(const char *s, struct val *v)
{
	char *end;

	errno = 0;
	if (*s) {
		long long i = strtoll(s, &end, 10);

		if (!*end && !errno) {
			set_int(v, V_INT, i);
			return;
		}
		double d = strtod(s, &end);

		if (!*end && !errno) {
			set_real(v, d);
			return;
		}
	}
	set_str(v, s, strlen(s));
}

static int is_num(const struct val *v)
{
	return v->t == V_INT || v->t == V_REAL;
}

static double as_real(const struct val *v)
{
	return v->t == V_INT ? (double)v->i : v->d;
}

static void eval_arith(const struct expr *e, const struct val *a, const struct val *b,
		       struct val *v)
{
	int64_t r = 0;
	int ovf = 0;

	if (a->t == V_ABSENT || (b && b->t == V_ABSENT)) {
		*v = a->t == V_ABSENT ? *a : *b;
		return;
	}
	if (!is_num(a) || (b && !is_num(b))) {
		absent(v, "%s is not a number", (!is_num(a) ? e->k[0] : e->k[1])->src);
		return;
	}
	if (!b) {
		if (a->t == V_INT)
			set_int(v, V_INT, -a->i);
		else
			set_real(v, -a->d);
		return;
	}
	if (e->op == EO_DIV) {
		/* "/" is real division: ratios (wire bytes per payload byte). */
		if (as_real(b) == 0)
			absent(v, "%s is 0 (division by zero)", e->k[1]->src);
		else
			set_real(v, as_real(a) / as_real(b));
		return;
	}
	if (a->t == V_INT && b->t == V_INT) {
		if (e->op == EO_ADD)
			ovf = __builtin_add_overflow(a->i, b->i, &r);
		else if (e->op == EO_SUB)
			ovf = __builtin_sub_overflow(a->i, b->i, &r);
		else
			ovf = __builtin_mul_overflow(a->i, b->i, &r);
		if (ovf)
			absent(v, "%s overflows", e->src);
		else
			set_int(v, V_INT, r);
		return;
	}
	set_real(v, e->op == EO_ADD   ? as_real(a) + as_real(b)
		    : e->op == EO_SUB ? as_real(a) - as_real(b)
				      : as_real(a) * as_real(b));
}

/* Orders two present values: 0 and *c, or -1 if they are of kinds that do
 * not compare (then == is false and != true). */
static int vcompare(const struct val *a, const struct val *b, int *c)
{
	if (is_num(a) && is_num(b)) {
		if (a->t == V_INT && b->t == V_INT)
			*c = (a->i > b->i) - (a->i < b->i);
		else
			*c = (as_real(a) > as_real(b)) - (as_real(a) < as_real(b));
		return 0;
	}
	if (a->t != b->t)
		return -1;
	switch (a->t) {
	case V_STR: {
		size_t n = a->slen < b->slen ? a->slen : b->slen;
		int m = memcmp(a->s, b->s, n);

		*c = m ? m : (a->slen > b->slen) - (a->slen < b->slen);
		return 0;
	}
	case V_BOOL:
	case V_PKT:
		*c = (a->i > b->i) - (a->i < b->i);
		return 0;
	case V_ABSENT:
	case V_INT:
	case V_REAL:
		break;
	}
	return -1;
}

static int eval_cmp(const struct expr *e, const struct val *a, const struct val *b)
{
	int c = 0, r;

	if (a->t == V_ABSENT || b->t == V_ABSENT)
		return 0;
	r = vcompare(a, b, &c);
	if (r < 0)
		return e->op == EO_NE;
	return e->op == EO_EQ	? c == 0
	       : e->op == EO_NE ? c != 0
	       : e->op == EO_LT ? c < 0
	       : e->op == EO_LE ? c <= 0
	       : e->op == EO_GT ? c > 0
				: c >= 0;
}

static int eval(struct ectx *cx, const struct expr *e, struct val *v)
{
	struct val a, b, c;

	switch (e->op) {
	case EO_INT:
		set_int(v, V_INT, e->i);
		break;
	case EO_REAL:
		set_real(v, e->d);
		break;
	case EO_STR:
		set_str(v, e->s, e->slen);
		break;
	case EO_LET:
		*v = cx->lets[e->i];
		break;
	case EO_POS:
		if ((uint64_t)e->i > cx->tr->npkts)
			absent(v, "no packet #%" PRId64 ": the stream has %zu", e->i,
			       cx->tr->npkts);
		else
			set_int(v, V_PKT, e->i - 1);
		break;
	case EO_FIELD:
	case EO_PSEUDO:
		if (eval(cx, e->k[0], &a) < 0 || eval_field(cx, e, &a, v) < 0)
			return -1;
		break;
	case EO_FIRST:
	case EO_LAST:
	case EO_NTH:
	case EO_COUNT:
	case EO_BYTES:
	case EO_PAYLOAD:
		if (eval_sel(cx, e, v) < 0)
			return -1;
		break;
	case EO_RTTS:
		if (eval(cx, e->k[0], &a) < 0 || eval(cx, e->k[1], &b) < 0)
			return -1;
		if (a.t != V_PKT)
			*v = a;
		else if (b.t != V_PKT)
			*v = b;
		else if (a.i > b.i)
			absent(v, "%s comes after %s", e->k[0]->src, e->k[1]->src);
		else
			eval_rtts(cx, (size_t)a.i, (size_t)b.i, v);
		break;
	case EO_FACT: {
		const char *s = trace_fact(cx->tr, e->s);

		if (!s) {
			cx->fact_missing = 1;
			absent(v, "no fact \"%s\" (only a live run records it)", e->s);
		} else {
			fact_val(s, v);
		}
		break;
	}
	case EO_NEG:
		if (eval(cx, e->k[0], &a) < 0)
			return -1;
		eval_arith(e, &a, NULL, v);
		break;
	case EO_ADD:
	case EO_SUB:
	case EO_MUL:
	case EO_DIV:
		if (eval(cx, e->k[0], &a) < 0 || eval(cx, e->k[1], &b) < 0)
			return -1;
		eval_arith(e, &a, &b, v);
		break;
	case EO_EQ:
	case EO_NE:
	case EO_LT:
	case EO_LE:
	case EO_GT:
	case EO_GE:
		if (eval(cx, e->k[0], &a) < 0 || eval(cx, e->k[1], &b) < 0)
			return -1;
		set_int(v, V_BOOL, eval_cmp(e, &a, &b));
		break;
	case EO_IN:
		/* Inclusive: "in 9..11" holds for 9, 10 and 11. */
		if (eval(cx, e->k[0], &a) < 0 || eval(cx, e->k[1], &b) < 0 ||
		    eval(cx, e->k[2], &c) < 0)
			return -1;
		set_int(v, V_BOOL,
			is_num(&a) && is_num(&b) && is_num(&c) && as_real(&a) >= as_real(&b) &&
				as_real(&a) <= as_real(&c));
		break;
	case EO_NOT:
		if (eval(cx, e->k[0], &a) < 0)
			return -1;
		set_int(v, V_BOOL, !truthy(&a));
		break;
	case EO_AND:
	case EO_OR:
		/* Both sides always: every packet they touch is evidence, and
		 * every fact they read decides n/a. */
		if (eval(cx, e->k[0], &a) < 0 || eval(cx, e->k[1], &b) < 0)
			return -1;
		set_int(v, V_BOOL,
			e->op == EO_AND ? truthy(&a) && truthy(&b) : truthy(&a) || truthy(&b));
		break;
	}
	if (v->t == V_PKT && cx->mark)
		cx->mark[v->i] = 1;
	return 0;
}

/* ---- Observed texts ---- */

struct sb {
	char *s;
	size_t len, cap;
	int nomem;
};

static void sb_addn(struct sb *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->nomem = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_addn(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* quoted: strings as "..." with escapes, cut after 60 bytes (an observed
 * text is one line); else as they are (report templates), and absent
 * values as "(why)". */
static void render_val(struct sb *b, const struct ectx *cx, const struct val *v, int quoted)
{
	switch (v->t) {
	case V_ABSENT:
		/* In a template the reason stands inside a sentence. */
		sb_add(b, quoted ? "%s" : "(%s)", v->why);
		break;
	case V_INT:
		sb_add(b, "%" PRId64, v->i);
		break;
	case V_REAL: {
		/* Microseconds are what a capture resolves: 0.025, 2.750663. */
		char buf[64];
		size_t n = (size_t)snprintf(buf, sizeof(buf), "%.6f", v->d);

		if (n >= sizeof(buf)) {
			sb_add(b, "%g", v->d);
			break;
		}
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
		sb_add(b, "%s", strcmp(buf, "-0") ? buf : "0");
		break;
	}
	case V_BOOL:
		sb_add(b, "%s", v->i ? "true" : "false");
		break;
	case V_PKT:
		sb_add(b, "frame %" PRIu32, cx->tr->pkts[v->i].n);
		break;
	case V_STR:
		if (!quoted) {
			sb_addn(b, v->s, v->slen);
			break;
		}
		sb_addn(b, "\"", 1);
		for (size_t k = 0; k < v->slen && k < 60; k++) {
			unsigned char ch = (unsigned char)v->s[k];

			if (ch == '"' || ch == '\\')
				sb_add(b, "\\%c", ch);
			else if (ch == '\n')
				sb_add(b, "\\n");
			else if (ch == '\r')
				sb_add(b, "\\r");
			else if (ch < 0x20 || ch == 0x7f)
				sb_add(b, "\\x%02x", ch);
			else
				sb_addn(b, (const char *)&ch, 1);
		}
		sb_add(b, "%s\"", v->slen > 60 ? "..." : "");
		break;
	}
}

/* "SRC = VALUE" (or "SRC: why absent") for a side that is not a constant. */
static int render_side(struct ectx *cx, const struct expr *e, struct sb *b, int *first)
{
	struct val v;

	if (e->literal)
		return 0;
	if (eval(cx, e, &v) < 0)
		return -1;
	sb_add(b, "%s%s%s", *first ? "" : ", ", e->src, v.t == V_ABSENT ? ": " : " = ");
	render_val(b, cx, &v, 1);
	*first = 0;
	return 0;
}

/* An expect with its actual values: each side of a comparison, each
 * operand of a logical operator. */
static int render_cond(struct ectx *cx, const struct expr *e, struct sb *b, int *first)
{
	if (e->op == EO_AND || e->op == EO_OR) {
		if (render_cond(cx, e->k[0], b, first) < 0)
			return -1;
		return render_cond(cx, e->k[1], b, first);
	}
	if (e->op == EO_NOT)
		return render_cond(cx, e->k[0], b, first);
	if (e->op != EO_EQ && e->op != EO_NE && e->op != EO_LT && e->op != EO_LE &&
	    e->op != EO_GT && e->op != EO_GE && e->op != EO_IN)
		return render_side(cx, e, b, first);
	/* A comparison: its sides. */
	for (int k = 0; k < 3; k++)
		if (e->k[k] && render_side(cx, e->k[k], b, first) < 0)
			return -1;
	return 0;
}

/* Walks a report template: checks each {EXPR} (cx NULL) or renders it. */
static int report_walk(struct ectx *cx, const char *tmpl, const struct lab_let *lets, size_t nlets,
		       struct sb *b, size_t *erroff, char *err, size_t errlen)
{
	const char *s = tmpl, *open;
	struct expr *e = NULL;
	int ret = -1;

	while ((open = strchr(s, '{'))) {
		size_t used = 0, off = 0;
		struct val v;

		if (b)
			sb_addn(b, s, (size_t)(open - s));
		if (claim_expr_parse(open + 1, lets, nlets, &e, &used, &off, err, errlen) < 0) {
			*erroff = (size_t)(open + 1 - tmpl) + off;
			goto out;
		}
		s = open + 1 + used;
		if (*s != '}') {
			*erroff = (size_t)(s - tmpl);
			if (*s)
				snprintf(err, errlen,
					 "expected \"}\" after the expression, got \"%c\"", *s);
			else
				snprintf(err, errlen,
					 "expected \"}\" after the expression, got end of string");
			goto out;
		}
		s++;
		if (cx) {
			if (eval(cx, e, &v) < 0) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			render_val(b, cx, &v, 0);
		}
		claim_expr_free(e);
		e = NULL;
	}
	if (b)
		sb_addn(b, s, strlen(s));
	ret = 0;
out:
	claim_expr_free(e);
	return ret;
}

int claim_report_check(const char *tmpl, const struct lab_let *lets, size_t nlets, size_t *erroff,
		       char *err, size_t errlen)
{
	return report_walk(NULL, tmpl, lets, nlets, NULL, erroff, err, errlen);
}

const char *claim_verdict_name(enum lab_verdict v)
{
	switch (v) {
	case LAB_HOLDS:
		return "holds";
	case LAB_FAILS:
		return "fails";
	case LAB_NA:
		return "n/a";
	}
	return "?";
}

static int marks_to_packets(const struct trace *tr, const uint8_t *mark, struct claim_result *r)
{
	size_t n = 0;

	for (size_t k = 0; k < tr->npkts; k++)
		n += mark[k];
	if (!n)
		return 0;
	r->packets = malloc(n * sizeof(*r->packets));
	if (!r->packets)
		return -1;
	/* Positions ascend in capture order, and so do frame numbers. */
	for (size_t k = 0; k < tr->npkts; k++)
		if (mark[k])
			r->packets[r->npackets++] = tr->pkts[k].n;
	return 0;
}

static int eval_claim(const struct lab *lab, const struct lab_claim *c, const struct trace *tr,
		      struct claim_result *r, char *err, size_t errlen)
{
	struct ectx cx = { .claim = c, .tr = tr };
	uint8_t *mark = calloc(tr->npkts + 1, 1), *evmark = calloc(tr->npkts + 1, 1);
	struct sb obs = { 0 }, exp = { 0 };
	int holds = 1, first, ret = -1;
	struct val v;
	size_t off = 0;

	r->claim = c;
	cx.lets = calloc(c->nlets + 1, sizeof(*cx.lets));
	if (!mark || !evmark || !cx.lets)
		goto nomem;
	cx.mark = mark;
	for (size_t k = 0; k < c->nlets; k++)
		if (eval(&cx, c->lets[k].e, &cx.lets[k]) < 0)
			goto nomem;
	if (c->applies) {
		if (eval(&cx, c->applies, &v) < 0)
			goto nomem;
		if (!truthy(&v) || cx.fact_missing) {
			/* The capture cannot show this claim: say why, n/a. */
			r->verdict = LAB_NA;
			first = 1;
			sb_add(&obs, "does not apply to this capture: ");
			size_t before = obs.len;

			if (render_cond(&cx, c->applies, &obs, &first) < 0)
				goto nomem;
			if (obs.len == before)
				sb_add(&obs, "%s is false", c->applies_text);
			goto texts;
		}
	}
	if (c->answer) {
		/* A question: its answer, or why the capture does not show it. */
		if (eval(&cx, c->answer, &v) < 0)
			goto nomem;
		r->verdict = v.t == V_ABSENT || cx.fact_missing ? LAB_NA : LAB_HOLDS;
		if (r->verdict == LAB_NA)
			sb_add(&obs, "the capture does not show it: ");
		render_val(&obs, &cx, &v, v.t == V_ABSENT);
		sb_add(&exp, "%s", c->answer_text);
		goto done;
	}
	for (size_t k = 0; k < c->nexpects; k++) {
		if (eval(&cx, c->expects[k], &v) < 0)
			goto nomem;
		holds = holds && truthy(&v);
	}
	r->verdict = cx.fact_missing ? LAB_NA : holds ? LAB_HOLDS : LAB_FAILS;
	if (c->nevidence) {
		cx.mark = evmark;
		for (size_t k = 0; k < c->nevidence; k++)
			if (eval(&cx, c->evidence[k], &v) < 0)
				goto nomem;
	}
	cx.mark = NULL;
	if (c->report) {
		if (report_walk(&cx, c->report, c->lets, c->nlets, &obs, &off, err, errlen) < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, errlen, "%s:%d: claim %s: report: %s", lab->path, c->line,
				 c->id, msg);
			goto out;
		}
	} else {
		for (size_t k = 0; k < c->nexpects; k++) {
			size_t before;

			first = 1;
			if (k)
				sb_add(&obs, "; ");
			before = obs.len;
			if (render_cond(&cx, c->expects[k], &obs, &first) < 0)
				goto nomem;
			if (obs.len == before)
				sb_add(&obs, "%s", c->expects[k]->src);
		}
	}
texts:
	if (c->expected) {
		sb_add(&exp, "%s", c->expected);
	} else {
		for (size_t k = 0; k < c->nexpects; k++)
			sb_add(&exp, "%s%s", k ? " and " : "", c->expect_texts[k]);
	}
done:
	sb_addn(&obs, "", 0);
	sb_addn(&exp, "", 0);
	if (obs.nomem || exp.nomem)
		goto nomem;
	r->observed = obs.s;
	r->expected = exp.s;
	obs.s = exp.s = NULL;
	if (marks_to_packets(tr, c->nevidence ? evmark : mark, r) < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	for (size_t k = 0; k < cx.nstrs; k++)
		free(cx.strs[k]);
	free(cx.strs);
	free(cx.lets);
	free(mark);
	free(evmark);
	free(obs.s);
	free(exp.s);
	return ret;
}

static int eval_items(const struct lab *lab, const struct lab_claim *items, size_t n,
		      const struct trace *tr, struct claim_result **out, char *err, size_t errlen)
{
	struct claim_result *r = calloc(n + 1, sizeof(*r));
	int ret = -1;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		if (eval_claim(lab, &items[k], tr, &r[k], err, errlen) < 0)
			goto out;
	*out = r;
	r = NULL;
	ret = 0;
out:
	claim_results_free(r, n);
	return ret;
}

int claim_eval_all(const struct lab *lab, const struct trace *tr, struct claim_result **out,
		   char *err, size_t errlen)
{
	return eval_items(lab, lab->claims, lab->nclaims, tr, out, err, errlen);
}

int claim_eval_questions(const struct lab *lab, const struct trace *tr, struct claim_result **out,
			 char *err, size_t errlen)
{
	return eval_items(lab, lab->questions, lab->nquestions, tr, out, err, errlen);
}

void claim_results_free(struct claim_result *r, size_t n)
{
	if (!r)
		return;
	for (size_t k = 0; k < n; k++) {
		free(r[k].expected);
		free(r[k].observed);
		free(r[k].packets);
	}
	free(r);
}

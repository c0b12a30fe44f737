/* harness/filter.c — Wireshark display filters (the subset of filter.h).
 *
 * A recursive-descent parser builds a small tree; matching walks it and reads
 * fields through pkt_field(), so a filter sees exactly what a claim sees.
 * Where Wireshark would reject a comparison by the field's type (ip.src ==
 * "198.18.0.1"), this subset compares what pkt_field() returns instead: such a
 * filter is a superset, never a different answer on a filter both accept.
 */
#include "harness/filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fnode { FN_OR, FN_AND, FN_NOT, FN_TEST };

enum frel { FR_PRESENT, FR_EQ, FR_NE, FR_LT, FR_LE, FR_GT, FR_GE, FR_CONTAINS };

enum flit { FL_INT, FL_REAL, FL_STR, FL_IPV4 };

struct filter {
	enum fnode kind;
	struct filter *a, *b; /* FN_OR/FN_AND: both; FN_NOT: a */
	char *field;	      /* FN_TEST */
	enum frel rel;
	enum flit lt; /* the literal, unless FR_PRESENT */
	int64_t i;
	double d;
	char *s;
	size_t slen;
	uint32_t ip4; /* host order */
};

enum ftok { FT_END, FT_WORD, FT_STR, FT_OP };

struct fparse {
	const char *text;
	size_t pos;    /* where the next token starts */
	enum ftok tok; /* the current token */
	size_t start;  /* its offset */
	size_t len;    /* its length in the text */
	char *str;     /* FT_STR: the unescaped value */
	size_t slen;
	char *err;
	size_t errlen;
	unsigned nodes, depth; /* bounds: recursion and the tree's depth */
};

/* A filter is a line of a script: these bounds are far above any real one
 * and keep parsing, matching and freeing off deep recursion. */
#define FILTER_NODES_MAX 1000
#define FILTER_DEPTH_MAX 100

static int fp_fail(struct fparse *fp, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fp_fail(struct fparse *fp, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(fp->err, fp->errlen, "col %zu: ", off + 1);

	if (n >= 0 && (size_t)n < fp->errlen) {
		va_start(ap, fmt);
		vsnprintf(fp->err + n, fp->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "got ..." text for the current token. */
static int fp_expected(struct fparse *fp, const char *what)
{
	switch (fp->tok) {
	case FT_END:
		return fp_fail(fp, fp->start, "expected %s, got end of filter", what);
	case FT_STR:
		return fp_fail(fp, fp->start, "expected %s, got the string \"%s\"", what, fp->str);
	case FT_WORD:
	case FT_OP:
		break;
	}
	return fp_fail(fp, fp->start, "expected %s, got \"%.*s\"", what, (int)fp->len,
		       fp->text + fp->start);
}

static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == ':';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a Wireshark string literal at fp->pos ("..."): escapes \" \\ \n \r
 * \t and \xHH. */
static int fp_string(struct fparse *fp)
{
	const char *t = fp->text;
	size_t i = fp->pos + 1, n = 0;
	char *s = malloc(strlen(t + fp->pos) + 1);
	int ret = -1;

	if (!s) {
		snprintf(fp->err, fp->errlen, "out of memory");
		goto out;
	}
	for (;;) {
		char c = t[i];

		if (c == '\0' || (c == '\\' && t[i + 1] == '\0')) {
			fp_fail(fp, fp->pos, "unterminated string");
			goto out;
		}
		if (c == '"')
			break;
		if (c != '\\') {
			s[n++] = c;
			i++;
			continue;
		}
		switch (t[i + 1]) {
		case '"':
		case '\\':
			s[n++] = t[i + 1];
			break;
		case 'n':
			s[n++] = '\n';
			break;
		case 'r':
			s[n++] = '\r';
			break;
		case 't':
			s[n++] = '\t';
			break;
		case 'x':
			if (hexval(t[i + 2]) < 0 || hexval(t[i + 3]) < 0) {
				fp_fail(fp, i, "expected two hex digits after \\x");
				goto out;
			}
			s[n++] = (char)(hexval(t[i + 2]) * 16 + hexval(t[i + 3]));
			i += 2;
			break;
		default:
			fp_fail(fp, i,
				"expected an escape \\\" \\\\ \\n \\r \\t or \\xHH, got \"\\%c\"",
				t[i + 1]);
			goto out;
		}
		i += 2;
	}
	s[n] = '\0';
	fp->str = s;
	fp->slen = n;
	fp->len = i + 1 - fp->pos;
	s = NULL;
	ret = 0;
out:
	free(s);
	return ret;
}

/* Moves to the next token. */
static int fp_next(struct fparse *fp)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "&&", "||",
					   "<",	 ">",  "!",  "(",  ")" };
	const char *t = fp->text;

	free(fp->str);
	fp->str = NULL;
	while (t[fp->pos] == ' ' || t[fp->pos] == '\t' || t[fp->pos] == '\n')
		fp->pos++;
	fp->start = fp->pos;
	fp->len = 0;
	if (t[fp->pos] == '\0') {
		fp->tok = FT_END;
		return 0;
	}
	if (t[fp->pos] == '"') {
		if (fp_string(fp) < 0)
			return -1;
		fp->tok = FT_STR;
		fp->pos += fp->len;
		return 0;
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t n = strlen(ops[k]);

		if (!strncmp(t + fp->pos, ops[k], n)) {
			fp->tok = FT_OP;
			fp->len = n;
			fp->pos += n;
			return 0;
		}
	}
	/* A word: field, keyword, number or address; '-' only inside, or
	 * before a digit (a negative number). */
	if (is_word_char(t[fp->pos]) &&
	    (t[fp->pos] != '-' || (t[fp->pos + 1] >= '0' && t[fp->pos + 1] <= '9'))) {
		size_t e = fp->pos + 1;

		while (is_word_char(t[e]))
			e++;
		fp->tok = FT_WORD;
		fp->len = e - fp->pos;
		fp->pos = e;
		return 0;
	}
	return fp_fail(fp, fp->pos, "unexpected character \"%c\"", t[fp->pos]);
}

static int fp_is(const struct fparse *fp, const char *s)
{
	return (fp->tok == FT_OP || fp->tok == FT_WORD) && fp->len == strlen(s) &&
	       !strncmp(fp->text + fp->start, s, fp->len);
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	filter_free(f->a);
	filter_free(f->b);
	free(f->field);
	free(f->s);
	free(f);
}

static struct filter *fnode_new(struct fparse *fp, enum fnode kind)
{
	struct filter *f;

	if (++fp->nodes > FILTER_NODES_MAX) {
		fp_fail(fp, fp->start, "the filter is too long: more than %d terms",
			FILTER_NODES_MAX);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		snprintf(fp->err, fp->errlen, "out of memory");
	else
		f->kind = kind;
	return f;
}

/* Numbers as Wireshark reads them, except that a leading 0 (octal there) is
 * refused rather than read differently. Returns 1 if the word is a number. */
static int fp_number(struct fparse *fp, struct filter *f)
{
	const char *w = fp->text + fp->start;
	char buf[64], *end;
	const char *digits;

	if (fp->len >= sizeof(buf))
		return 0;
	memcpy(buf, w, fp->len);
	buf[fp->len] = '\0';
	digits = buf[0] == '-' ? buf + 1 : buf;
	if (digits[0] < '0' || digits[0] > '9')
		return 0;
	errno = 0;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		uint64_t u = strtoull(digits + 2, &end, 16);

		if (end == digits + 2 || *end || errno || u > INT64_MAX)
			return 0;
		f->lt = FL_INT;
		f->i = buf[0] == '-' ? -(int64_t)u : (int64_t)u;
		return 1;
	}
	if (strchr(digits, '.')) {
		f->d = strtod(buf, &end);
		if (*end || errno)
			return 0;
		f->lt = FL_REAL;
		return 1;
	}
	f->i = strtoll(buf, &end, 10);
	if (*end || errno)
		return 0;
	if (digits[0] == '0' && digits[1]) {
		fp_fail(fp, fp->start,
			"ambiguous number \"%s\" (Wireshark reads a leading 0 as octal): write it "
			"without the 0 or in 0x hex",
			buf);
		return -1;
	}
	f->lt = FL_INT;
	return 1;
}

static int fp_value(struct fparse *fp, struct filter *f)
{
	const char *what = "a number, a string or an IPv4 address";
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;
	int r;

	if (fp->tok == FT_STR) {
		f->lt = FL_STR;
		f->s = fp->str;
		f->slen = fp->slen;
		fp->str = NULL;
		return fp_next(fp);
	}
	if (fp->tok != FT_WORD)
		return fp_expected(fp, what);
	if (fp_is(fp, "true") || fp_is(fp, "false")) {
		f->lt = FL_INT;
		f->i = fp_is(fp, "true");
		return fp_next(fp);
	}
	if (fp->len < sizeof(buf)) {
		memcpy(buf, fp->text + fp->start, fp->len);
		buf[fp->len] = '\0';
		if (inet_pton(AF_INET, buf, &a) == 1) {
			f->lt = FL_IPV4;
			f->ip4 = ntohl(a.s_addr);
			return fp_next(fp);
		}
	}
	r = fp_number(fp, f);
	if (r < 0)
		return -1;
	if (r == 0)
		return fp_expected(fp, what);
	return fp_next(fp);
}

static const struct {
	const char *sym, *word;
	enum frel rel;
} rels[] = {
	{ "==", "eq", FR_EQ }, { "!=", "ne", FR_NE }, { "<", "lt", FR_LT },
	{ "<=", "le", FR_LE }, { ">", "gt", FR_GT },  { ">=", "ge", FR_GE },
};

static int fp_or(struct fparse *fp, struct filter **out);

static int fp_test(struct fparse *fp, struct filter **out)
{
	struct filter *f = NULL;
	int ret = -1;

	if (fp->tok != FT_WORD || fp_is(fp, "and") || fp_is(fp, "or") || fp_is(fp, "not") ||
	    fp_is(fp, "contains")) {
		fp_expected(fp, "a field name");
		goto out;
	}
	f = fnode_new(fp, FN_TEST);
	if (!f)
		goto out;
	f->field = strndup(fp->text + fp->start, fp->len);
	if (!f->field) {
		snprintf(fp->err, fp->errlen, "out of memory");
		goto out;
	}
	if (!pkt_field_known(f->field)) {
		fp_fail(fp, fp->start, "unknown field \"%s\"", f->field);
		goto out;
	}
	if (fp_next(fp) < 0)
		goto out;
	f->rel = FR_PRESENT;
	for (size_t k = 0; k < sizeof(rels) / sizeof(rels[0]); k++)
		if (fp_is(fp, rels[k].sym) || fp_is(fp, rels[k].word))
			f->rel = rels[k].rel;
	if (fp_is(fp, "contains")) {
		f->rel = FR_CONTAINS;
		if (fp_next(fp) < 0)
			goto out;
		if (fp->tok != FT_STR) {
			fp_expected(fp, "a string after \"contains\"");
			goto out;
		}
		if (fp_value(fp, f) < 0)
			goto out;
	} else if (f->rel != FR_PRESENT) {
		if (fp_next(fp) < 0 || fp_value(fp, f) < 0)
			goto out;
	}
	*out = f;
	f = NULL;
	ret = 0;
out:
	filter_free(f);
	return ret;
}

static int fp_not(struct fparse *fp, struct filter **out)
{
	struct filter *f = NULL;
	int ret = -1;

	if (++fp->depth > FILTER_DEPTH_MAX) {
		fp_fail(fp, fp->start, "the filter nests too deep: more than %d \"(\" or \"!\"",
			FILTER_DEPTH_MAX);
		goto out;
	}
	if (fp_is(fp, "!") || fp_is(fp, "not")) {
		f = fnode_new(fp, FN_NOT);
		if (!f || fp_next(fp) < 0 || fp_not(fp, &f->a) < 0)
			goto out;
	} else if (fp_is(fp, "(")) {
		size_t open = fp->start;

		if (fp_next(fp) < 0 || fp_or(fp, &f) < 0)
			goto out;
		if (!fp_is(fp, ")")) {
			if (fp->tok == FT_END)
				fp_fail(fp, open,
					"unbalanced \"(\": no \")\" before the end of filter");
			else
				fp_expected(fp, "\")\"");
			goto out;
		}
		if (fp_next(fp) < 0)
			goto out;
	} else if (fp_test(fp, &f) < 0) {
		goto out;
	}
	*out = f;
	f = NULL;
	ret = 0;
out:
	fp->depth--;
	filter_free(f);
	return ret;
}

/* One level of the binary operators: "||" over "&&" over unary. */
static int fp_binary(struct fparse *fp, enum fnode kind, struct filter **out)
{
	const char *sym = kind == FN_OR ? "||" : "&&", *word = kind == FN_OR ? "or" : "and";
	struct filter *f = NULL, *n = NULL;
	int ret = -1;

	if ((kind == FN_OR ? fp_binary(fp, FN_AND, &f) : fp_not(fp, &f)) < 0)
		goto out;
	while (fp_is(fp, sym) || fp_is(fp, word)) {
		n = fnode_new(fp, kind);
		if (!n)
			goto out;
		n->a = f;
		f = n;
		n = NULL;
		if (fp_next(fp) < 0)
			goto out;
		if ((kind == FN_OR ? fp_binary(fp, FN_AND, &f->b) : fp_not(fp, &f->b)) < 0)
			goto out;
	}
	*out = f;
	f = NULL;
	ret = 0;
out:
	filter_free(f);
	return ret;
}

static int fp_or(struct fparse *fp, struct filter **out)
{
	return fp_binary(fp, FN_OR, out);
}

int filter_parse(const char *text, struct filter **out, char *err, size_t errlen)
{
	struct fparse fp = { .text = text, .err = err, .errlen = errlen };
	struct filter *f = NULL;
	int ret = -1;

	if (fp_next(&fp) < 0 || fp_or(&fp, &f) < 0)
		goto out;
	if (fp.tok != FT_END) {
		if (fp_is(&fp, ")"))
			fp_fail(&fp, fp.start, "unbalanced \")\"");
		else
			fp_expected(&fp, "\"&&\", \"||\" or the end of the filter");
		goto out;
	}
	*out = f;
	f = NULL;
	ret = 0;
out:
	free(fp.str);
	filter_free(f);
	return ret;
}

/* Orders an occurrence against the literal: 0 and *c (<0, 0, >0), or -1 if
 * the two cannot be compared (a string field against a number...). */
static int fcompare(const struct fval *v, const struct filter *f, int *c)
{
	switch (f->lt) {
	case FL_INT:
		if (v->type == FVAL_INT) {
			*c = (v->i > f->i) - (v->i < f->i);
			return 0;
		}
		if (v->type == FVAL_REAL) {
			*c = (v->d > (double)f->i) - (v->d < (double)f->i);
			return 0;
		}
		return -1;
	case FL_REAL: {
		double d;

		if (v->type == FVAL_STR)
			return -1;
		d = v->type == FVAL_INT ? (double)v->i : v->d;
		*c = (d > f->d) - (d < f->d);
		return 0;
	}
	case FL_STR: {
		size_t n = v->slen < f->slen ? v->slen : f->slen;
		int m;

		if (v->type != FVAL_STR)
			return -1;
		m = memcmp(v->s, f->s, n);
		*c = m ? m : (v->slen > f->slen) - (v->slen < f->slen);
		return 0;
	}
	case FL_IPV4: {
		/* pkt_field() gives addresses as text: read them back. */
		char buf[INET_ADDRSTRLEN];
		struct in_addr a;
		uint32_t h;

		if (v->type != FVAL_STR || v->slen >= sizeof(buf))
			return -1;
		memcpy(buf, v->s, v->slen);
		buf[v->slen] = '\0';
		if (inet_pton(AF_INET, buf, &a) != 1)
			return -1;
		h = ntohl(a.s_addr);
		*c = (h > f->ip4) - (h < f->ip4);
		return 0;
	}
	}
	return -1;
}

static int ftest_one(const struct filter *f, const struct fval *v)
{
	int c = 0;

	if (f->rel == FR_CONTAINS)
		return v->type == FVAL_STR && f->lt == FL_STR &&
		       (f->slen == 0 || memmem(v->s, v->slen, f->s, f->slen) != NULL);
	if (fcompare(v, f, &c) < 0)
		return 0;
	switch (f->rel) {
	case FR_EQ:
		return c == 0;
	case FR_NE:
		return c != 0;
	case FR_LT:
		return c < 0;
	case FR_LE:
		return c <= 0;
	case FR_GT:
		return c > 0;
	case FR_GE:
		return c >= 0;
	case FR_PRESENT:
	case FR_CONTAINS:
		break;
	}
	return 0;
}

/* With several occurrences a test holds if any occurrence satisfies it,
 * except "!=", which holds if the field is present and no occurrence equals
 * (Wireshark >= 3.6: tcp.port != 80 is false on a packet to port 80, and on
 * a packet without TCP). */
static int ftest(const struct filter *f, const struct pkt *p)
{
	struct fval v;
	size_t idx;

	if (f->rel == FR_PRESENT)
		return pkt_field(p, f->field, 0, &v) == 1;
	for (idx = 0; pkt_field(p, f->field, idx, &v) == 1; idx++) {
		if (f->rel == FR_NE) {
			int c;

			if (fcompare(&v, f, &c) == 0 && c == 0)
				return 0;
		} else if (ftest_one(f, &v)) {
			return 1;
		}
	}
	return f->rel == FR_NE && idx > 0;
}

int filter_match(const struct filter *f, const struct pkt *p)
{
	switch (f->kind) {
	case FN_OR:
		return filter_match(f->a, p) || filter_match(f->b, p);
	case FN_AND:
		return filter_match(f->a, p) && filter_match(f->b, p);
	case FN_NOT:
		return !filter_match(f->a, p);
	case FN_TEST:
		return ftest(f, p);
	}
	return 0;
}

/* harness/answers.c — a student's answers file (answers.h). */
#include "harness/answers.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_ANSWER 4096

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Notes a line not understood: the first is described, all are counted. */
static void bad(struct answers *as, const char *name, int line, const char *fmt, const char *s,
		size_t n)
{
	char shown[64];
	size_t k, m = 0;

	if (as->bad++)
		return;
	/* What the line holds, printable and short. */
	for (k = 0; k < n && m + 4 < sizeof(shown); k++)
		shown[m++] = isprint((unsigned char)s[k]) ? s[k] : '?';
	if (k < n && m + 3 < sizeof(shown))
		m += (size_t)snprintf(shown + m, sizeof(shown) - m, "...");
	shown[m] = '\0';
	snprintf(as->first, sizeof(as->first), "%s:%d: ", name, line);
	m = strlen(as->first);
	snprintf(as->first + m, sizeof(as->first) - m, fmt, shown);
}

static int add(struct answers *as, const char *id, size_t idn, const char *v, size_t vn, int line)
{
	struct answer *a = realloc(as->a, (as->n + 1) * sizeof(*a));

	if (!a)
		return -1;
	as->a = a;
	a = &a[as->n];
	a->id = strndup(id, idn);
	a->value = strndup(v, vn);
	a->line = line;
	if (!a->id || !a->value) {
		free(a->id);
		free(a->value);
		return -1;
	}
	as->n++;
	return 0;
}

static int one_line(struct answers *as, const char *name, int lineno, const char *s, size_t n)
{
	size_t i = 0, id0, idn, v0, vn;

	if (memchr(s, '\0', n)) {
		bad(as, name, lineno, "a NUL byte: an answers file is text", "", 0);
		return 0;
	}
	if (n > LINE_MAX_ANSWER) {
		bad(as, name, lineno, "a line of over 4096 bytes: \"%s\"", s, n);
		return 0;
	}
	while (i < n && is_blank(s[i]))
		i++;
	while (n > i && is_blank(s[n - 1]))
		n--;
	if (i == n || s[i] == '#')
		return 0;
	id0 = i;
	while (i < n && is_id_char(s[i]))
		i++;
	idn = i - id0;
	while (i < n && is_blank(s[i]))
		i++;
	if (!idn || i == n || (s[i] != '=' && s[i] != ':')) {
		bad(as, name, lineno, "expected ID = VALUE, got \"%s\"", s + id0, n - id0);
		return 0;
	}
	i++;
	while (i < n && is_blank(s[i]))
		i++;
	v0 = i;
	vn = n - i;
	if (vn >= 2 && s[v0] == '"' && s[n - 1] == '"') {
		v0++;
		vn -= 2;
	}
	if (!vn) {
		bad(as, name, lineno, "%s has no value after '='", s + id0, idn);
		return 0;
	}
	for (size_t k = 0; k < as->n; k++)
		if (strlen(as->a[k].id) == idn && !memcmp(as->a[k].id, s + id0, idn)) {
			bad(as, name, lineno, "%s answered twice (the first answer counts)",
			    s + id0, idn);
			return 0;
		}
	return add(as, s + id0, idn, s + v0, vn, lineno);
}

int answers_parse(const char *name, const char *text, size_t len, struct answers **out, char *err,
		  size_t errlen)
{
	struct answers *as = calloc(1, sizeof(*as));
	size_t off = 0;
	int lineno = 0;

	if (!as)
		goto nomem;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		if (one_line(as, name, ++lineno, text + off, n) < 0)
			goto nomem;
		off += n + (nl != NULL);
	}
	*out = as;
	return 0;
nomem:
	answers_free(as);
	snprintf(err, errlen, "%s: out of memory", name);
	return -1;
}

const struct answer *answers_get(const struct answers *a, const char *id)
{
	for (size_t k = 0; a && k < a->n; k++)
		if (!strcmp(a->a[k].id, id))
			return &a->a[k];
	return NULL;
}

/* The whole of s as a number: decimal with a fraction and exponent, or 0x hex. */
static int as_number(const char *s, double *v)
{
	char *end;

	while (is_blank(*s))
		s++;
	if (!*s)
		return 0;
	errno = 0;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ||
	    (s[0] == '-' && s[1] == '0' && (s[2] == 'x' || s[2] == 'X')))
		*v = (double)strtoll(s, &end, 16);
	else
		*v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*v))
		return 0;
	while (is_blank(*end))
		end++;
	return *end == '\0';
}

/* Next character of a text compared loosely: lower case, blanks as one. */
static int next_loose(const char **s)
{
	if (is_blank(**s) || **s == '\n') {
		while (is_blank(**s) || **s == '\n')
			(*s)++;
		return **s ? ' ' : '\0';
	}
	return **s ? tolower((unsigned char)*(*s)++) : '\0';
}

int answers_match(const char *key, const char *given, double tol)
{
	double a, b;

	if (as_number(key, &a) && as_number(given, &b))
		return fabs(a - b) <= tol + 1e-9 * fmax(1.0, fabs(a));
	while (is_blank(*key) || *key == '\n')
		key++;
	while (is_blank(*given) || *given == '\n')
		given++;
	for (;;) {
		int x = next_loose(&key), y = next_loose(&given);

		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

void answers_free(struct answers *a)
{
	if (!a)
		return;
	for (size_t k = 0; k < a->n; k++) {
		free(a->a[k].id);
		free(a->a[k].value);
	}
	free(a->a);
	free(a);
}

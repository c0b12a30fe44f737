/* harness/answers.h — a student's answers file (`wirelab grade`, a capture
 * with answers): one answer per line,
 *
 *     # my capture from the Pi, 2026-11-20
 *     http.q_get_ack = 79
 *     tls13.q_rtts   = 1
 *
 * ID = VALUE (or ID: VALUE); VALUE is the rest of the line, blanks around it
 * dropped, double quotes around it too. Blank lines and lines starting with
 * '#' are skipped. A line that says nothing understood is not fatal: it is
 * counted, and the first such line is described (a student loses that
 * answer, not all of them).
 */
#ifndef WIRELAB_ANSWERS_H
#define WIRELAB_ANSWERS_H

#include <stddef.h>

struct answer {
	char *id;
	char *value;
	int line;
};

struct answers {
	struct answer *a;
	size_t n;
	unsigned bad;	 /* lines not understood */
	char first[256]; /* "answers.txt:3: expected ID = VALUE, got \"...\"" */
};

/* Parses text (len bytes; name is for messages). -1 only on ENOMEM (err
 * says so); *out is NULL on entry. */
int answers_parse(const char *name, const char *text, size_t len, struct answers **out, char *err,
		  size_t errlen) __attribute__((warn_unused_result));

/* The answer given for id, or NULL. */
const struct answer *answers_get(const struct answers *a, const char *id);

/* 1 if given answers what the capture shows (key): as numbers when both
 * read as numbers (decimal, 0x hex, with a fraction), equal within tol;
 * otherwise as text, case and runs of blanks ignored. */
int answers_match(const char *key, const char *given, double tol);

void answers_free(struct answers *a);

#endif

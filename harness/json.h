/* harness/json.h — writing JSON text (RFC 8259) to a stdio stream. */
#ifndef WIRELAB_JSON_H
#define WIRELAB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Writes s (len bytes, any content) as a JSON string: quotes, escapes,
 * invalid UTF-8 bytes as \u00XX of the byte (so the output stays valid). */
void json_str(FILE *f, const char *s, size_t len);
/* The same for a NUL-terminated string; NULL is written as null. */
void json_cstr(FILE *f, const char *s);

/* A JSON writer for many small pieces (`show --json`: a million packets of
 * some twenty tokens each). The pieces gather in buf and reach f in large
 * writes, and numbers are formatted by hand: one stdio call per token, and
 * printf's format parsing, cost more than the dissection. Nothing reaches
 * f before jw_flush (or a full buffer). */
#define JW_BUF 16384

struct jw {
	FILE *f;
	size_t n;
	char buf[JW_BUF];
};

void jw_init(struct jw *w, FILE *f);
void jw_flush(struct jw *w);
void jw_mem_slow(struct jw *w, const void *s, size_t len);

static inline void jw_mem(struct jw *w, const void *s, size_t len)
{
	if (len <= JW_BUF - w->n) {
		memcpy(w->buf + w->n, s, len);
		w->n += len;
	} else {
		jw_mem_slow(w, s, len);
	}
}

/* A string literal, its length known at compile time. */
#define jw_lit(w, lit) jw_mem((w), "" lit, sizeof(lit) - 1)

/* v in decimal, written two digits at a time backwards to end (20 bytes
 * before it are enough); returns the first digit. */
char *json_digits(char *end, uint64_t v);

void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
/* json_str and json_cstr, into the writer. */
void jw_str(struct jw *w, const char *s, size_t len);
void jw_cstr(struct jw *w, const char *s);

#endif

/* harness/json.h — writing JSON text (RFC 8259) to a stdio stream. */
#ifndef WIRELAB_JSON_H
#define WIRELAB_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s (len bytes, any content) as a JSON string: quotes, escapes,
 * invalid UTF-8 bytes as \u00XX of the byte (so the output stays valid). */
void json_str(FILE *f, const char *s, size_t len);
/* The same for a NUL-terminated string; NULL is written as null. */
void json_cstr(FILE *f, const char *s);

#endif

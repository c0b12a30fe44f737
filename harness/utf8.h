/* harness/utf8.h — UTF-8 as RFC 3629 defines it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. One checker for every place that
 * prints or judges text from a capture (JSON, HTML, SVG, WebSocket). */
#ifndef WIRELAB_UTF8_H
#define WIRELAB_UTF8_H

#include <stddef.h>

/* Length of the valid sequence at s (n bytes left, n > 0), 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* 1 if all n bytes are valid UTF-8. */
int utf8_valid(const unsigned char *s, size_t n);

#endif

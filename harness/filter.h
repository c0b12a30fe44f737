/* harness/filter.h — the subset of Wireshark's display-filter language that
 * lab scripts use to select packets, so a student can paste a claim's
 * selector into Wireshark's filter bar and see the same packets.
 *
 *   filter  := or
 *   or      := and { ("||" | "or") and }
 *   and     := not { ("&&" | "and") not }
 *   not     := ("!" | "not") not | "(" filter ")" | test
 *   test    := FIELD [ relop value | "contains" STRING ]
 *   relop   := "==" | "!=" | "<" | "<=" | ">" | ">=" | eq ne lt le gt ge
 *   value   := NUMBER (decimal, 0x hex) | STRING | IPV4 | "true" | "false"
 *
 * A bare FIELD tests presence. With several occurrences of a field, a test
 * holds if any occurrence satisfies it; "!=" holds if none equals (as
 * Wireshark >= 3.6). Unknown field names are errors at parse time.
 */
#ifndef WIRELAB_FILTER_H
#define WIRELAB_FILTER_H

#include <stddef.h>

#include "harness/pkt.h"

struct filter;

/* Parses text. On error, err is "col N: expected ..., got ..." (the caller
 * adds file and line); *out is NULL on entry. */
int filter_parse(const char *text, struct filter **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int filter_match(const struct filter *f, const struct pkt *p);
void filter_free(struct filter *f);

#endif

/* harness/json.c — JSON strings. */
#include "harness/json.h"

#include "harness/utf8.h"

#include <stdint.h>
#include <string.h>

void json_str(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\r') {
			fputs("\\r", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if ((n = utf8_seq_len(u + i, len - i)) == 0) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else {
			fwrite(u + i, 1, n, f);
			i += n;
		}
	}
	fputc('"', f);
}

void json_cstr(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_str(f, s, strlen(s));
}

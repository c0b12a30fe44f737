/* harness/json.c — JSON strings. */
#include "harness/json.h"

#include "harness/utf8.h"

#include <stdint.h>
#include <string.h>

void json_str(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* start of the bytes that go out as they are */

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		const char *esc = c == '"'    ? "\\\""
				  : c == '\\' ? "\\\\"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
				  : c == '\t' ? "\\t"
					      : NULL;
		size_t n = esc || c < 0x20 || c == 0x7f ? 0 : utf8_seq_len(u + i, len - i);

		if (n) {
			i += n;
			continue;
		}
		/* One write for the plain run, then the escape. */
		fwrite(u + run, 1, i - run, f);
		if (esc)
			fputs(esc, f);
		else
			fprintf(f, "\\u%04x", c);
		run = ++i;
	}
	fwrite(u + run, 1, len - run, f);
	fputc('"', f);
}

void json_cstr(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_str(f, s, strlen(s));
}

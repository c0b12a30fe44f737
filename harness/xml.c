/* harness/xml.c — XML/HTML text from a capture's bytes. */
#include "harness/xml.h"

#include <string.h>

#include "harness/utf8.h"

/* Text or attribute value: escaped, valid UTF-8, control characters shown
 * as U+FFFD except newline and tab. */
void xml_putn(FILE *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n && u[i];) {
		size_t k = utf8_seq_len(u + i, n - i);

		if (k == 0 || (k == 1 && u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') ||
		    (k == 1 && u[i] == 0x7f)) {
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		switch (u[i]) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fwrite(u + i, 1, k, out);
		}
		i += k;
	}
}

void xml_put(FILE *out, const char *s)
{
	if (s)
		xml_putn(out, s, strlen(s));
}

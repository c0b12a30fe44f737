/* labs/keys.h — what the two typists (wl-pty, wl-ssh-client) share: the C
 * escapes of --type ("ls\r", "\x03"), decoded into the bytes a keyboard
 * sends. Header-only, as labs/ws.h: each lab program is one C file. */
#ifndef WIRELAB_LABS_KEYS_H
#define WIRELAB_LABS_KEYS_H

#include <stdlib.h>
#include <string.h>

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* C escapes of --type: \n \r \t \e \xHH; *len is the byte count. */
static inline char *unescape(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'e':
			out[n++] = '\033';
			break;
		case 'x':
			if (hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
				out[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
				s += 2;
				break;
			}
			out[n++] = 'x';
			break;
		default:
			out[n++] = *s;
			break;
		}
		s++;
	}
	*len = n;
	return out;
}

#endif

/* netns/errbuf.h — filling a caller's error buffer, the one way every
 * netns/ module reports what failed (functions return 0/-1). */
#ifndef WIRELAB_ERRBUF_H
#define WIRELAB_ERRBUF_H

#include <stddef.h>

/* printf into err (errlen bytes); does nothing when err is NULL or empty. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

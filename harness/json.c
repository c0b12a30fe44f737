/* harness/json.c — JSON strings and the buffered writer. */
#include "harness/json.h"

#include "harness/utf8.h"

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->n = 0;
}

void jw_flush(struct jw *w)
{
	if (w->n)
		fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

void jw_mem_slow(struct jw *w, const void *s, size_t len)
{
	jw_flush(w);
	if (len < JW_BUF) {
		memcpy(w->buf, s, len);
		w->n = len;
	} else {
		fwrite(s, 1, len, w->f);
	}
}

char *json_digits(char *end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";

	while (v >= 100) {
		end -= 2;
		memcpy(end, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, pairs + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void jw_u64(struct jw *w, uint64_t v)
{
	static const uint64_t pow10[] = { 1ull,
					  10ull,
					  100ull,
					  1000ull,
					  10000ull,
					  100000ull,
					  1000000ull,
					  10000000ull,
					  100000000ull,
					  1000000000ull,
					  10000000000ull,
					  100000000000ull,
					  1000000000000ull,
					  10000000000000ull,
					  100000000000000ull,
					  1000000000000000ull,
					  10000000000000000ull,
					  100000000000000000ull,
					  1000000000000000000ull,
					  10000000000000000000ull };
	/* digits: from the bit length (log10(2) ~ 1233 / 4096), then one
	 * comparison */
	size_t n = (size_t)((64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	n += v >= pow10[n]; /* n <= 19 */
	if (n == 0)
		n = 1;
	if (JW_BUF - w->n < 20)
		jw_flush(w);
	json_digits(w->buf + w->n + n, v);
	w->n += n;
}

void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		jw_lit(w, "-");
		jw_u64(w, -(uint64_t)v);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

/* Bytes that go out as they are: printable ASCII but the quote and the
 * backslash. The rest is escaped, or checked as UTF-8. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Whether all 8 bytes of x are plain, 8 at once: each test leaves a byte's
 * top bit set where the byte is not (t holds the low 7 bits, so no sum
 * carries into the next byte). */
static int plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, top = 0x8080808080808080ull;
	uint64_t t = x & ~top;
	uint64_t bad = x;			     /* >= 0x80 */
	bad |= ~(t + 0x60 * ones);		     /* < 0x20 */
	bad |= t + ones;			     /* 0x7f */
	bad |= ~((t ^ ('"' * ones)) + 0x7f * ones);  /* '"' */
	bad |= ~((t ^ ('\\' * ones)) + 0x7f * ones); /* '\\' */
	return !(bad & top);
}

/* The escape of byte c, which is not plain and starts no UTF-8 sequence. */
static void jw_escape(struct jw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"') {
		jw_lit(w, "\\\"");
	} else if (c == '\\') {
		jw_lit(w, "\\\\");
	} else if (c == '\n') {
		jw_lit(w, "\\n");
	} else if (c == '\r') {
		jw_lit(w, "\\r");
	} else if (c == '\t') {
		jw_lit(w, "\\t");
	} else {
		char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		jw_mem(w, e, sizeof(e));
	}
}

void jw_str(struct jw *w, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* start of the bytes that go out as they are */

	jw_lit(w, "\"");
	for (size_t i = 0; i < len;) {
		uint64_t x;
		size_t stop;

		if (len - i >= 8 && (memcpy(&x, u + i, 8), plain8(x))) {
			i += 8;
			continue;
		}
		/* Something in the next 8 bytes: one at a time up to them. */
		stop = len - i >= 8 ? i + 8 : len;
		while (i < stop) {
			unsigned char c = u[i];
			size_t n = plain(c) ? 1 : c >= 0x80 ? utf8_seq_len(u + i, len - i) : 0;

			if (n) {
				i += n;
				continue;
			}
			/* One write for the plain run, then the escape. */
			jw_mem(w, u + run, i - run);
			jw_escape(w, c);
			run = ++i;
		}
	}
	jw_mem(w, u + run, len - run);
	jw_lit(w, "\"");
}

void jw_cstr(struct jw *w, const char *s)
{
	if (!s)
		jw_lit(w, "null");
	else
		jw_str(w, s, strlen(s));
}

void json_str(FILE *f, const char *s, size_t len)
{
	struct jw w;

	jw_init(&w, f);
	jw_str(&w, s, len);
	jw_flush(&w);
}

void json_cstr(FILE *f, const char *s)
{
	struct jw w;

	jw_init(&w, f);
	jw_cstr(&w, s);
	jw_flush(&w);
}

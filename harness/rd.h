/* harness/rd.h — the one cursor for every read of packet bytes.
 *
 * Every reader checks the bound first and consumes nothing on failure, so a
 * truncated or lying length can never make wirelab read past what the
 * capture holds (tcpdump's GET_BE_U_2; OpenSSH's sshbuf_get_u32). A
 * length-prefixed unit gets a child cursor bounded by its declared length.
 */
#ifndef WIRELAB_RD_H
#define WIRELAB_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p, *end;
};

static inline struct rd rd_make(const uint8_t *p, size_t len)
{
	struct rd r = { p, p + len };
	return r;
}

static inline size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline int rd_u8(struct rd *r, uint8_t *v)
{
	if (rd_left(r) < 1)
		return -1;
	*v = r->p[0];
	r->p += 1;
	return 0;
}

static inline int rd_be16(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return 0;
}

static inline int rd_be24(struct rd *r, uint32_t *v)
{
	if (rd_left(r) < 3)
		return -1;
	*v = (uint32_t)r->p[0] << 16 | (uint32_t)r->p[1] << 8 | r->p[2];
	r->p += 3;
	return 0;
}

static inline int rd_be32(struct rd *r, uint32_t *v)
{
	if (rd_left(r) < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return 0;
}

static inline int rd_be64(struct rd *r, uint64_t *v)
{
	const uint8_t *b = r->p;

	if (rd_left(r) < 8)
		return -1;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v = *v << 8 | b[i];
	r->p += 8;
	return 0;
}

static inline int rd_le16(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return -1;
	*v = (uint16_t)(r->p[1] << 8 | r->p[0]);
	r->p += 2;
	return 0;
}

static inline int rd_le32(struct rd *r, uint32_t *v)
{
	if (rd_left(r) < 4)
		return -1;
	*v = (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[1] << 8 | r->p[0];
	r->p += 4;
	return 0;
}

/* Points *v at the next n bytes (no copy). */
static inline int rd_bytes(struct rd *r, size_t n, const uint8_t **v)
{
	if (rd_left(r) < n)
		return -1;
	*v = r->p;
	r->p += n;
	return 0;
}

static inline int rd_copy(struct rd *r, void *dst, size_t n)
{
	if (rd_left(r) < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	return 0;
}

static inline int rd_skip(struct rd *r, size_t n)
{
	if (rd_left(r) < n)
		return -1;
	r->p += n;
	return 0;
}

/* A child cursor over the next n bytes, which the parent skips. */
static inline int rd_sub(struct rd *r, size_t n, struct rd *child)
{
	if (rd_left(r) < n)
		return -1;
	child->p = r->p;
	child->end = r->p + n;
	r->p += n;
	return 0;
}

#endif

/* tests/pngcheck.c — what a PNG screenshot shows, for
 * tests/integration/html.sh: that headless Chromium really drew the page.
 * No python, no image library: zlib only (cc -I. tests/pngcheck.c -lz).
 *
 *   pngcheck [--size WxH] [--min-colours N] [--min-ink N] [--differs B.png] A.png
 *
 * Reads A.png as the PNG specification (W3C PNG, 2nd edition; ISO/IEC
 * 15948) lays it out:
 *
 *   signature  89 50 4e 47 0d 0a 1a 0a
 *   chunk      length (4, big-endian, <= 2^31-1) | type (4) | data | CRC-32
 *              of type and data (4); IHDR first, IDAT(s), IEND last
 *   IHDR       width (4) | height (4) | bit depth | colour type |
 *              compression (0) | filter method (0) | interlace
 *   IDATs      together one zlib stream: per row a filter type byte
 *              (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth; section 9) and
 *              the filtered row
 *
 * and prints one line: the size, the distinct colours, the background
 * (the most common colour) and the pixels that are not it ("ink"); with
 * --differs, the pixels that differ from B.png. Each option is an
 * expectation: exit 1 with the reason on stderr when one does not hold;
 * exit 2 when a file is not a PNG this reads (8-bit grey, grey+alpha, RGB
 * or RGBA, not interlaced: what Chromium writes), naming what and where.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness/rd.h"

/* A screenshot is at most a few thousand pixels a side; this keeps the
 * arithmetic below far from overflow whatever IHDR says. */
#define MAX_SIDE 16384u
#define MAX_FILE (256u << 20)

struct image {
	uint32_t w, h;
	uint8_t depth, ctype;
	uint32_t *px; /* w * h, 0xRRGGBBAA */
};

struct stats {
	size_t colours; /* distinct, up to TABLE_CAP */
	int more;	/* more colours than TABLE_CAP */
	uint32_t bg;	/* the most common colour */
	size_t ink;	/* pixels that are not bg */
};

static int read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb;

			if (cap >= MAX_FILE) {
				snprintf(err, errlen, "%s: larger than %u MB", path,
					 MAX_FILE >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	fclose(f);
	return ret;
}

static int channels(uint8_t ctype)
{
	switch (ctype) {
	case 0: /* grey */
		return 1;
	case 2: /* RGB */
		return 3;
	case 4: /* grey, alpha */
		return 2;
	case 6: /* RGBA */
		return 4;
	}
	return 0; /* 3 (palette) and anything else: not read here */
}

static const char *ctype_name(uint8_t ctype)
{
	return ctype == 0 ? "grey" : ctype == 2 ? "RGB" : ctype == 4 ? "grey+alpha" : "RGBA";
}

static int read_ihdr(const char *path, struct rd *d, struct image *img, char *err, size_t errlen)
{
	uint8_t comp, filter, interlace;

	if (rd_left(d) != 13 || rd_be32(d, &img->w) || rd_be32(d, &img->h) ||
	    rd_u8(d, &img->depth) || rd_u8(d, &img->ctype) || rd_u8(d, &comp) ||
	    rd_u8(d, &filter) || rd_u8(d, &interlace)) {
		snprintf(err, errlen, "%s: IHDR: %zu bytes, not 13", path, rd_left(d));
		return -1;
	}
	if (!img->w || !img->h || img->w > MAX_SIDE || img->h > MAX_SIDE) {
		snprintf(err, errlen, "%s: IHDR: %ux%u: a side is 0 or over %u", path, img->w,
			 img->h, MAX_SIDE);
		return -1;
	}
	if (img->depth != 8 || !channels(img->ctype)) {
		snprintf(err, errlen,
			 "%s: IHDR: bit depth %u, colour type %u: only 8-bit grey, grey+alpha, "
			 "RGB and RGBA are read here",
			 path, img->depth, img->ctype);
		return -1;
	}
	if (comp || filter || interlace) {
		snprintf(err, errlen,
			 "%s: IHDR: compression %u, filter method %u, interlace %u: only 0, 0, 0 "
			 "are read here",
			 path, comp, filter, interlace);
		return -1;
	}
	return 0;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes each row's filter in place (section 9.2): a row reads the one
 * above it once that is already unfiltered. raw holds h rows of 1 + stride
 * bytes. */
static int unfilter(const char *path, uint8_t *raw, const struct image *img, size_t bpp, char *err,
		    size_t errlen)
{
	size_t stride = (size_t)img->w * bpp;
	const uint8_t *prior = NULL;

	for (uint32_t y = 0; y < img->h; y++) {
		uint8_t *row = raw + (size_t)y * (stride + 1), *x = row + 1;
		uint8_t f = row[0];

		if (f > 4) {
			snprintf(err, errlen, "%s: row %u: filter type %u (0-4)", path, y, f);
			return -1;
		}
		for (size_t i = 0; i < stride; i++) {
			uint8_t a = i >= bpp ? x[i - bpp] : 0, b = prior ? prior[i] : 0;
			uint8_t c = i >= bpp && prior ? prior[i - bpp] : 0;

			switch (f) {
			case 1:
				x[i] = (uint8_t)(x[i] + a);
				break;
			case 2:
				x[i] = (uint8_t)(x[i] + b);
				break;
			case 3:
				x[i] = (uint8_t)(x[i] + ((a + b) >> 1));
				break;
			case 4:
				x[i] = (uint8_t)(x[i] + paeth(a, b, c));
				break;
			}
		}
		prior = x;
	}
	return 0;
}

static int png_decode(const char *path, struct image *img, char *err, size_t errlen)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t *buf = NULL, *raw = NULL;
	size_t len = 0, rawlen = 0, bpp = 0;
	const uint8_t *s;
	struct rd r;
	z_stream zs;
	int zinit = 0, zend = 0, ret = -1;

	memset(img, 0, sizeof(*img));
	memset(&zs, 0, sizeof(zs));
	if (read_file(path, &buf, &len, err, errlen))
		return -1;
	r = rd_make(buf, len);
	if (rd_bytes(&r, sizeof(sig), &s) || memcmp(s, sig, sizeof(sig))) {
		snprintf(err, errlen, "%s: not a PNG (no PNG signature)", path);
		goto out;
	}
	for (int n = 0;; n++) {
		size_t off = (size_t)(r.p - buf);
		uint32_t clen, crc;
		const uint8_t *type, *data;
		struct rd d;

		if (rd_be32(&r, &clen) || rd_bytes(&r, 4, &type)) {
			snprintf(err, errlen, "%s: offset %zu: truncated chunk header (no IEND)",
				 path, off);
			goto out;
		}
		if (clen > 0x7fffffffu || rd_bytes(&r, clen, &data) || rd_be32(&r, &crc)) {
			snprintf(err, errlen,
				 "%s: offset %zu: chunk %.4s: length %u, %zu bytes left: truncated",
				 path, off, (const char *)type, clen, rd_left(&r));
			goto out;
		}
		if (crc32(crc32(0, type, 4), data, clen) != crc) {
			snprintf(err, errlen, "%s: offset %zu: chunk %.4s: CRC mismatch", path, off,
				 (const char *)type);
			goto out;
		}
		d = rd_make(data, clen);
		if (n == 0 && memcmp(type, "IHDR", 4)) {
			snprintf(err, errlen, "%s: offset %zu: first chunk %.4s, not IHDR", path,
				 off, (const char *)type);
			goto out;
		}
		if (n == 0) {
			if (read_ihdr(path, &d, img, err, errlen))
				goto out;
			bpp = (size_t)channels(img->ctype);
			rawlen = (size_t)img->h * (1 + (size_t)img->w * bpp);
			raw = malloc(rawlen);
			if (!raw || inflateInit(&zs) != Z_OK) {
				snprintf(err, errlen, "%s: out of memory for %ux%u", path, img->w,
					 img->h);
				goto out;
			}
			zinit = 1;
			zs.next_out = raw;
			zs.avail_out = (uInt)rawlen;
		} else if (!memcmp(type, "IDAT", 4)) {
			if (zend && clen) {
				snprintf(err, errlen,
					 "%s: offset %zu: IDAT after the end of the image data",
					 path, off);
				goto out;
			}
			zs.next_in = (Bytef *)data;
			zs.avail_in = clen;
			while (zs.avail_in && !zend) {
				int z = inflate(&zs, Z_NO_FLUSH);

				if (z == Z_STREAM_END) {
					zend = 1;
				} else if (z == Z_BUF_ERROR && !zs.avail_out) {
					snprintf(err, errlen,
						 "%s: offset %zu: IDAT: image data beyond the %zu "
						 "bytes of %ux%u %s",
						 path, off, rawlen, img->w, img->h,
						 ctype_name(img->ctype));
					goto out;
				} else if (z != Z_OK) {
					snprintf(err, errlen, "%s: offset %zu: IDAT: inflate: %s",
						 path, off, zs.msg ? zs.msg : "error");
					goto out;
				}
			}
		} else if (!memcmp(type, "IEND", 4)) {
			break;
		}
	}
	if (!zend || zs.total_out != rawlen) {
		snprintf(err, errlen, "%s: the image data ends after %lu of %zu bytes", path,
			 zs.total_out, rawlen);
		goto out;
	}
	if (unfilter(path, raw, img, bpp, err, errlen))
		goto out;
	img->px = malloc((size_t)img->w * img->h * sizeof(*img->px));
	if (!img->px) {
		snprintf(err, errlen, "%s: out of memory for %ux%u", path, img->w, img->h);
		goto out;
	}
	for (uint32_t y = 0; y < img->h; y++) {
		const uint8_t *x = raw + (size_t)y * (1 + (size_t)img->w * bpp) + 1;

		for (uint32_t i = 0; i < img->w; i++, x += bpp) {
			uint8_t cr, cg, cb, ca = 0xff;

			if (bpp <= 2) {
				cr = cg = cb = x[0];
				if (bpp == 2)
					ca = x[1];
			} else {
				cr = x[0];
				cg = x[1];
				cb = x[2];
				if (bpp == 4)
					ca = x[3];
			}
			img->px[(size_t)y * img->w + i] =
				(uint32_t)cr << 24 | (uint32_t)cg << 16 | (uint32_t)cb << 8 | ca;
		}
	}
	ret = 0;
out:
	if (zinit)
		inflateEnd(&zs);
	free(raw);
	free(buf);
	return ret;
}

/* Distinct colours with their counts: open addressing, at most half full. */
#define TABLE_BITS 18
#define TABLE_CAP  (1u << (TABLE_BITS - 1))

static int colour_stats(const struct image *img, struct stats *st)
{
	struct slot {
		uint32_t rgba, count; /* count 0: empty */
	} *t = calloc(1u << TABLE_BITS, sizeof(*t));
	size_t npx = (size_t)img->w * img->h;
	uint32_t best = 0;

	if (!t)
		return -1;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < npx; i++) {
		uint32_t v = img->px[i], h = (v * 0x9e3779b1u) >> (32 - TABLE_BITS);

		while (t[h].count && t[h].rgba != v)
			h = (h + 1) & ((1u << TABLE_BITS) - 1);
		if (!t[h].count) {
			if (st->colours == TABLE_CAP) {
				st->more = 1;
				continue;
			}
			st->colours++;
			t[h].rgba = v;
		}
		if (++t[h].count > best) {
			best = t[h].count;
			st->bg = v;
		}
	}
	for (size_t i = 0; i < npx; i++)
		st->ink += img->px[i] != st->bg;
	free(t);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: pngcheck [--size WxH] [--min-colours N] [--min-ink N] "
			"[--differs B.png] A.png\n");
	return 2;
}

/* A decimal number that ends at stop (NUL, or the 'x' of WxH); *rest is
 * what follows stop. */
static int number(const char *s, char stop, unsigned long *v, const char **rest)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || end == s || *end != stop || *s == '-' || *s == '+')
		return -1;
	if (rest)
		*rest = end + 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *other = NULL, *size = NULL;
	unsigned long min_colours = 0, min_ink = 0, want_w = 0, want_h = 0;
	struct image a, b;
	struct stats st;
	char err[512];
	int ret = 2, same = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-') {
			if (path)
				return usage();
			path = arg;
		} else if (i + 1 >= argc) {
			return usage();
		} else if (!strcmp(arg, "--size")) {
			const char *h;

			size = argv[++i];
			if (number(size, 'x', &want_w, &h) || number(h, '\0', &want_h, NULL))
				return usage();
		} else if (!strcmp(arg, "--min-colours")) {
			if (number(argv[++i], '\0', &min_colours, NULL))
				return usage();
		} else if (!strcmp(arg, "--min-ink")) {
			if (number(argv[++i], '\0', &min_ink, NULL))
				return usage();
		} else if (!strcmp(arg, "--differs")) {
			other = argv[++i];
		} else {
			return usage();
		}
	}
	if (!path)
		return usage();
	if (png_decode(path, &a, err, sizeof(err)) ||
	    (other && png_decode(other, &b, err, sizeof(err)))) {
		fprintf(stderr, "pngcheck: %s\n", err);
		goto out;
	}
	if (colour_stats(&a, &st)) {
		fprintf(stderr, "pngcheck: %s: out of memory\n", path);
		goto out;
	}
	printf("%s: %ux%u %s, %s%zu colour%s, background #%08x, %zu pixels (%.1f%%) not "
	       "background",
	       path, a.w, a.h, ctype_name(a.ctype), st.more ? "over " : "", st.colours,
	       st.colours == 1 ? "" : "s", st.bg, st.ink,
	       100.0 * (double)st.ink / ((double)a.w * a.h));
	ret = 0;
	if (other && (a.w != b.w || a.h != b.h)) {
		printf(", a different size from %s (%ux%u)", other, b.w, b.h);
	} else if (other) {
		size_t diff = 0;

		for (size_t i = 0; i < (size_t)a.w * a.h; i++)
			diff += a.px[i] != b.px[i];
		printf(", %zu pixels differ from %s", diff, other);
		same = !diff;
	}
	/* The summary line first, then what does not hold. */
	putchar('\n');
	fflush(stdout);
	if (same) {
		fprintf(stderr, "pngcheck: %s: the same pixels as %s\n", path, other);
		ret = 1;
	}
	if (size && (a.w != want_w || a.h != want_h)) {
		fprintf(stderr, "pngcheck: %s: %ux%u, not the %s asked for\n", path, a.w, a.h,
			size);
		ret = 1;
	}
	if (st.colours < min_colours) {
		fprintf(stderr, "pngcheck: %s: %zu colour%s, fewer than %lu%s\n", path, st.colours,
			st.colours == 1 ? "" : "s", min_colours, st.colours == 1 ? ": blank" : "");
		ret = 1;
	}
	if (st.ink < min_ink) {
		fprintf(stderr, "pngcheck: %s: %zu pixels not background, fewer than %lu\n", path,
			st.ink, min_ink);
		ret = 1;
	}
out:
	free(a.px);
	free(b.px);
	return ret;
}

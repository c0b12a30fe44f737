/* harness/pcapng.c — writing pcapng with a Decryption Secrets Block.
 *
 * Layout (draft-ietf-opsawg-pcapng, sections 4.1, 4.2, 4.7, 4.3), every
 * block: u32 type, u32 total length, body padded to 32 bits, u32 total
 * length again; written in this host's byte order, which the SHB's
 * byte-order magic announces.
 */
#include "harness/pcapng.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture.h"

enum {
	BT_SHB = 0x0A0D0D0A,
	BT_IDB = 0x00000001,
	BT_EPB = 0x00000006,
	BT_DSB = 0x0000000A,
	SECRETS_TLS_KEYLOG = 0x544c534b, /* "TLSK" */
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* One block: header, the parts given, zero padding, trailer. */
static int block(FILE *f, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	static const uint8_t zero[4];
	uint32_t total = (uint32_t)(12 + alen + pad4(blen));

	if (fwrite(&type, 4, 1, f) != 1 || fwrite(&total, 4, 1, f) != 1 ||
	    (alen && fwrite(a, 1, alen, f) != alen) || (blen && fwrite(b, 1, blen, f) != blen) ||
	    (pad4(blen) > blen && fwrite(zero, 1, pad4(blen) - blen, f) != pad4(blen) - blen) ||
	    fwrite(&total, 4, 1, f) != 1)
		return -1;
	return 0;
}

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
		free(buf);
		buf = NULL;
	} else {
		*len = (size_t)n;
	}
	if (f)
		fclose(f);
	return buf;
}

int pcapng_write_with_keylog(const char *in, const char *keylog, const char *out, char *err,
			     size_t errlen)
{
	struct capfile *cf = NULL;
	FILE *f = NULL;
	char *secrets = NULL;
	size_t slen = 0;
	int ret = -1, r;
	const uint8_t *data;
	int64_t ts;
	uint32_t wl, cl;

	if (!(secrets = slurp(keylog, &slen, err, errlen)) || capture_open(in, &cf, err, errlen))
		goto out;
	f = fopen(out, "wb");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int64_t section_len;
	} shb = { 0x1A2B3C4D, 1, 0, -1 };
	struct {
		uint16_t linktype, reserved;
		uint32_t snaplen;
	} idb = { (uint16_t)capture_linktype(cf), 0, 262144 };
	uint32_t dsb[2] = { SECRETS_TLS_KEYLOG, (uint32_t)slen };

	if (block(f, BT_SHB, &shb, sizeof(shb), NULL, 0) ||
	    block(f, BT_IDB, &idb, sizeof(idb), NULL, 0) ||
	    block(f, BT_DSB, dsb, sizeof(dsb), secrets, slen))
		goto werr;
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		/* Timestamps in the IDB's default resolution, microseconds. */
		uint32_t epb[5] = { 0, (uint32_t)((uint64_t)ts >> 32), (uint32_t)ts, cl, wl };

		if (block(f, BT_EPB, epb, sizeof(epb), data, cl))
			goto werr;
	}
	if (r < 0)
		goto out;
	if (fclose(f)) {
		f = NULL;
		goto werr;
	}
	f = NULL;
	ret = 0;
	goto out;
werr:
	snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
out:
	if (f)
		fclose(f);
	capture_close(cf);
	free(secrets);
	return ret;
}

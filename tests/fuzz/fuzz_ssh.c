/* tests/fuzz/fuzz_ssh.c — libFuzzer target for the SSH dissector
 * (harness/dissect_ssh.c): identification lines, binary packets, KEXINIT,
 * the key exchange messages and the algorithm choice, in both directions.
 *
 * The input is a list of TCP segments, each a 2-byte header and its bytes:
 *   bit 15     direction (0 client, 1 server)
 *   bits 0-14  segment length (cut to what the input still holds)
 * Each segment is appended to what the dissector left unconsumed of its
 * direction and fed again, as dissect.c does (up to 1 MiB kept per side, its
 * REASM_MAX), and the packet's JSON is written, as `show --json` would.
 *
 * Build (clang with libFuzzer):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -std=gnu11 -D_GNU_SOURCE -I. -o fuzz_ssh \
 *     tests/fuzz/fuzz_ssh.c harness/dissect*.c harness/keylog.c harness/pkt.c \
 *     harness/json.c $(pkg-config --libs openssl)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/pkt.h"

#define SIDE_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	uint8_t *buf;
	size_t len;
	int detected;
};

static FILE *devnull;
static uint8_t *bufs[2]; /* allocated once: the runs are many */

/* Keeps the packet's allocations, as dissect.c's pkt_reset does. */
static void pkt_restart(struct pkt *p)
{
	p->nfv = 0;
	p->arena_len = 0;
	p->info[0] = '\0';
	p->err[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side sides[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	struct pkt p;
	void *st = proto_ssh.open();
	size_t pos = 0;

	if (!st)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	for (int d = 0; d < 2; d++)
		if (!bufs[d])
			bufs[d] = malloc(SIDE_MAX);
	memset(&p, 0, sizeof(p));
	sides[0].buf = bufs[0];
	sides[1].buf = bufs[1];
	if (!sides[0].buf || !sides[1].buf || !devnull)
		goto out;
	while (pos + 2 <= size) {
		unsigned h = (unsigned)data[pos] << 8 | data[pos + 1];
		int dir = h >> 15;
		size_t n = h & 0x7fff;
		struct side *sd = &sides[dir];

		pos += 2;
		if (n > size - pos)
			n = size - pos;
		if (n > SIDE_MAX - sd->len)
			n = SIDE_MAX - sd->len;
		memcpy(sd->buf + sd->len, data + pos, n);
		sd->len += n;
		pos += n;
		if (!sd->detected && sd->len)
			sd->detected = proto_ssh.detect(sd->buf, sd->len, dir) >= 0;
		pkt_restart(&p);
		for (int guard = 0; guard < 4 && sd->len; guard++) {
			struct proto_io io = { NULL, 0, "" };
			size_t used = proto_ssh.feed(st, dir, sd->buf, sd->len, &p, &io);

			if (used == (size_t)-1)
				goto out;
			if (used > sd->len)
				abort(); /* a dissector never consumes more than it got */
			memmove(sd->buf, sd->buf + used, sd->len - used);
			sd->len -= used;
			if (!used)
				break;
		}
		if (strnlen(p.info, sizeof(p.info)) == sizeof(p.info))
			abort(); /* the Info text stays a string */
		proto_ssh.json(devnull, &p);
	}
out:
	pkt_clear(&p);
	proto_ssh.close(st);
	return 0;
}

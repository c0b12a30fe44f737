/* tests/fuzz/fuzz_ws.c — libFuzzer target for the WebSocket frame parser
 * (harness/dissect_ws.c): frame headers with every length form, masking,
 * fragmentation, control frames, close codes, UTF-8 checks, in both
 * directions, split into segments anywhere.
 *
 * The input is a list of segments, each a 2-byte header and its bytes:
 *   bit 15     direction (0 client, 1 server)
 *   bits 0-14  segment length (cut to what the input still holds)
 * Each segment is appended to what the parser left unconsumed of its
 * direction and fed again, as dissect.c does, and the packet's JSON written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/pkt.h"

#define SIDE_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static uint8_t *bufs[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len[2] = { 0, 0 }, pos = 0;
	struct pkt p;
	void *st = proto_websocket.open();

	if (!st)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	for (int d = 0; d < 2; d++)
		if (!bufs[d])
			bufs[d] = malloc(SIDE_MAX);
	memset(&p, 0, sizeof(p));
	if (!bufs[0] || !bufs[1] || !devnull)
		goto out;
	while (pos + 2 <= size) {
		unsigned h = (unsigned)data[pos] << 8 | data[pos + 1];
		int dir = h >> 15;
		size_t n = h & 0x7fff;

		pos += 2;
		if (n > size - pos)
			n = size - pos;
		if (n > SIDE_MAX - len[dir])
			n = SIDE_MAX - len[dir];
		memcpy(bufs[dir] + len[dir], data + pos, n);
		len[dir] += n;
		pos += n;
		p.nfv = 0;
		p.arena_len = 0;
		p.info[0] = '\0';
		for (int guard = 0; guard < 4 && len[dir]; guard++) {
			struct proto_io io = { NULL, 0, "" };
			size_t used = proto_websocket.feed(st, dir, bufs[dir], len[dir], &p, &io);

			if (used == (size_t)-1)
				goto out;
			if (used > len[dir])
				abort(); /* a dissector never consumes more than it got */
			memmove(bufs[dir], bufs[dir] + used, len[dir] - used);
			len[dir] -= used;
			if (!used)
				break;
		}
		if (strnlen(p.info, sizeof(p.info)) == sizeof(p.info))
			abort();
		proto_websocket.json(devnull, &p);
	}
out:
	pkt_clear(&p);
	proto_websocket.close(st);
	return 0;
}

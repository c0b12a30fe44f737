/* tests/fuzz/fuzz_tls.c — libFuzzer target for the TLS dissector (record,
 * handshake and extension parsers, decryption set-up, the HTTP inside) and
 * for the key log parser.
 *
 * Input: one flags byte, then chunks [h][data...] where h's top bit is the
 * direction (0 client, 1 server) and its low 7 bits the chunk length (a
 * chunk cut short by the end of input is what is left). Each chunk is one
 * "packet": appended to its direction's buffer and fed to proto_tls the way
 * dissect.c does (unconsumed bytes stay for the next call), then the JSON
 * writer runs over the packet's fields; at the end both directions get
 * their FIN. Flags: bit 0 sets a key log holding the secrets of two real
 * captures (tests/pcap/tls-12-aes128gcm, tls-13-aes128gcm), so seeds made
 * from those captures decrypt; bit 7 instead parses the rest as a key log.
 *
 * Build (from the top of the tree):
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
 *     -D_GNU_SOURCE -I. tests/fuzz/fuzz_tls.c harness/dissect.c \
 *     harness/dissect_http.c harness/dissect_ws.c harness/dissect_ssh.c \
 *     harness/dissect_tls.c harness/keylog.c harness/pkt.c harness/json.c \
 *     -lssl -lcrypto -o build/fuzz/fuzz_tls
 * Run: build/fuzz/fuzz_tls -max_total_time=300 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/dissect.h"
#include "harness/keylog.h"
#include "harness/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUF_MAX (1u << 20) /* dissect.c's REASM_MAX */

static const char keys[] = "CLIENT_RANDOM "
			   "7bbad88069f9f6a8d19ff663e5d19baeabbd678363bdcdac44722bd5953c33ee "
			   "71c8d2947642d16dd474c61dc5dd9598aae79dc02c97602fcbcd8ff2cbeeb7e1d566a6c"
			   "73379f6ae87782ae1a5486d34\n"
			   "SERVER_HANDSHAKE_TRAFFIC_SECRET "
			   "0c86a46af3e117705c18b1ed1a15607b28e165f75195cf564cd52ee302762533 "
			   "1719321e7cfa20583346d313e9836b1a78df285885dd7d62a2f2e99ba9c1dc7a\n"
			   "SERVER_TRAFFIC_SECRET_0 "
			   "0c86a46af3e117705c18b1ed1a15607b28e165f75195cf564cd52ee302762533 "
			   "8249962d7b6deb104c13629613c3d53c3ce0550898b7af94944422fcf4a8da68\n"
			   "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
			   "0c86a46af3e117705c18b1ed1a15607b28e165f75195cf564cd52ee302762533 "
			   "8de333905aaef7bd71d3ae5316298a604a48b64942fed82ea04956dd50ccd5c2\n"
			   "CLIENT_TRAFFIC_SECRET_0 "
			   "0c86a46af3e117705c18b1ed1a15607b28e165f75195cf564cd52ee302762533 "
			   "4b21c2e93e36f623fa3ffddf70d254ec0e133fb9d5d1187be7d8bf4b7237e9e0\n";

static struct keylog *fuzz_keylog(void)
{
	static struct keylog *kl;
	static int tried;
	char err[200];

	if (!tried) {
		const char *path = getenv("FUZZ_TLS_KEYLOG");

		tried = 1;
		if (path && keylog_load(path, &kl, err, sizeof(err)))
			kl = NULL;
		if (!kl && keylog_parse(keys, sizeof(keys) - 1, "fuzz", &kl, err, sizeof(err)))
			kl = NULL;
	}
	return kl;
}

struct dirbuf {
	uint8_t *b;
	size_t len;
};

static void feed(void *st, int dir, struct dirbuf *db, struct pkt *p, FILE *devnull)
{
	struct proto_io io = { NULL, 0, "" };
	size_t used = proto_tls.feed(st, dir, db->b, db->len, p, &io);

	if (used == (size_t)-1)
		abort(); /* ENOMEM is not expected at these sizes */
	if (used > db->len)
		abort(); /* feed may never claim more than it was given */
	memmove(db->b, db->b + used, db->len - used);
	db->len -= used;
	proto_tls.json(devnull, p);
}

static void reset(struct pkt *p)
{
	p->nfv = 0;
	p->arena_len = 0;
	p->info[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct dirbuf db[2] = { { NULL, 0 }, { NULL, 0 } };
	struct pkt p;
	size_t off = 1;
	void *st;

	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		struct keylog *kl = NULL;
		char err[200];

		if (keylog_parse((const char *)data + 1, size - 1, "fuzz", &kl, err, sizeof(err)) ==
		    0) {
			const uint8_t *sec;
			size_t len;
			uint8_t cr[32] = { 0 };

			(void)keylog_count(kl);
			(void)keylog_problem(kl);
			(void)keylog_find(kl, KEYLOG_CLIENT_RANDOM, cr, &sec, &len);
		}
		keylog_free(kl);
		return 0;
	}
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	dissect_tls_set_keylog(data[0] & 1 ? fuzz_keylog() : NULL);
	memset(&p, 0, sizeof(p));
	st = proto_tls.open();
	if (!st)
		abort();
	while (off < size) {
		int dir = data[off] >> 7;
		size_t n = data[off] & 0x7f;

		off++;
		if (n > size - off)
			n = size - off;
		if (db[dir].len + n <= BUF_MAX) {
			uint8_t *nb = realloc(db[dir].b, db[dir].len + n + 1);

			if (!nb)
				abort();
			db[dir].b = nb;
			memcpy(db[dir].b + db[dir].len, data + off, n);
			db[dir].len += n;
		}
		off += n;
		reset(&p);
		feed(st, dir, &db[dir], &p, devnull);
	}
	for (int dir = 0; dir < 2; dir++) {
		reset(&p);
		if (proto_tls.fin(st, dir, &p))
			abort();
		proto_tls.json(devnull, &p);
	}
	proto_tls.close(st);
	dissect_tls_set_keylog(NULL);
	free(db[0].b);
	free(db[1].b);
	pkt_clear(&p);
	return 0;
}

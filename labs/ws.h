/* labs/ws.h — what the lab's WebSocket server and client share: frames on
 * a blocking socket (RFC 6455 5.2) and the accept key (4.2.2). Header-only:
 * each lab program is one C file plus this. */
#ifndef WIRELAB_LABS_WS_H
#define WIRELAB_LABS_WS_H

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum { WS_CONT = 0, WS_TEXT = 1, WS_BIN = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

struct ws_msg {
	int opcode;
	int fin;
	size_t len;
	uint8_t data[4096];
};

static inline void ws_accept_key(const char *key, char out[32])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s%s", key, guid);

	SHA1((const unsigned char *)buf, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static inline int ws_send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One frame in one send(): a client masks (RFC 6455 5.3), a server not. */
static inline int ws_send(int fd, int opcode, const void *data, size_t len, int mask)
{
	uint8_t f[14 + 4096];
	size_t n = 0;
	uint8_t key[4] = { 0, 0, 0, 0 };

	if (len > 4096)
		return -1;
	f[n++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		f[n++] = (uint8_t)((mask ? 0x80 : 0) | len);
	} else {
		f[n++] = (uint8_t)((mask ? 0x80 : 0) | 126);
		f[n++] = (uint8_t)(len >> 8);
		f[n++] = (uint8_t)len;
	}
	if (mask) {
		if (RAND_bytes(key, 4) != 1)
			return -1;
		memcpy(f + n, key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		f[n + i] = ((const uint8_t *)data)[i] ^ key[i % 4];
	return ws_send_all(fd, f, n + len);
}

static inline int ws_read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t r = recv(fd, buf, len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Reads one frame (unmasking it). -1 on EOF or error. */
static inline int ws_recv(int fd, struct ws_msg *m)
{
	uint8_t h[2], ext[8], key[4] = { 0, 0, 0, 0 };
	uint64_t len;

	if (ws_read_exact(fd, h, 2))
		return -1;
	m->fin = h[0] >> 7;
	m->opcode = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (ws_read_exact(fd, ext, 2))
			return -1;
		len = (uint64_t)ext[0] << 8 | ext[1];
	} else if (len == 127) {
		if (ws_read_exact(fd, ext, 8))
			return -1;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | ext[i];
	}
	if (len > sizeof(m->data))
		return -1;
	if ((h[1] & 0x80) && ws_read_exact(fd, key, 4))
		return -1;
	if (ws_read_exact(fd, m->data, (size_t)len))
		return -1;
	for (size_t i = 0; i < len; i++)
		m->data[i] ^= key[i % 4];
	m->len = (size_t)len;
	return 0;
}

/* Whether fd has bytes within ms milliseconds. */
static inline int ws_readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) > 0;
}

static inline long ws_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif

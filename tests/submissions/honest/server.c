/* A student's WebSocket server for the websocket lab (RFC 6455), port -p.
 * One connection at a time: the upgrade, 3 pushed texts 15 ms apart, an
 * echo of each text, a pong for each ping, Close answered with Close, then
 * the server closes TCP first. The test copies of this file differ only in
 * the FAULT their Makefile defines. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t r = recv(fd, buf, len, 0);

		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* One frame, header and payload in one write: a frame split over two
 * writes waits for Nagle, and a close right after would carry its tail. */
static int send_frame(int fd, int opcode, const void *data, size_t len)
{
	uint8_t f[4 + 4096];
	size_t hl = 2;

	if (len > 4096)
		return -1;
	f[0] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		f[1] = (uint8_t)len;
	} else {
		f[1] = 126;
		f[2] = (uint8_t)(len >> 8);
		f[3] = (uint8_t)len;
		hl = 4;
	}
	memcpy(f + hl, data, len);
	return send_all(fd, f, hl + len);
}

struct msg {
	int opcode;
	size_t len;
	uint8_t data[4096];
};

static int recv_frame(int fd, struct msg *m)
{
	uint8_t h[2], ext[8], mask[4];
	uint64_t len;

	if (read_exact(fd, h, 2))
		return -1;
	m->opcode = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (read_exact(fd, ext, 2))
			return -1;
		len = (uint64_t)ext[0] << 8 | ext[1];
	} else if (len == 127) {
		return -1;
	}
	if (len > sizeof(m->data) || ((h[1] & 0x80) && read_exact(fd, mask, 4)) ||
	    read_exact(fd, m->data, (size_t)len))
		return -1;
	if (h[1] & 0x80)
		for (uint64_t i = 0; i < len; i++)
			m->data[i] ^= mask[i % 4];
	m->len = (size_t)len;
	return 0;
}

static int handshake(int c)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char head[8192] = "", key[128], in[200], resp[256];
	unsigned char sha[SHA_DIGEST_LENGTH];
	unsigned char accept[64];
	size_t got = 0;
	const char *k;
	int n;

	while (!strstr(head, "\r\n\r\n")) {
		ssize_t r = recv(c, head + got, sizeof(head) - 1 - got, 0);

		if (r <= 0 || got + (size_t)r >= sizeof(head) - 1)
			return -1;
		got += (size_t)r;
		head[got] = '\0';
	}
#ifdef FAULT_EARLY_CLOSE
	return -1; /* closes before the 101 */
#endif
	k = strcasestr(head, "\r\nSec-WebSocket-Key:");
	if (!k || sscanf(k + 20, " %127s", key) != 1)
		return -1;
	snprintf(in, sizeof(in), "%s%s", key, guid);
#ifdef FAULT_ACCEPT
	in[0] ^= 1; /* the wrong accept key */
#endif
	SHA1((const unsigned char *)in, strlen(in), sha);
	EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		     accept);
	return send_all(c, resp, (size_t)n);
}

static void serve(int c)
{
	struct msg m;
	int pushed = 0;
	long next = now_ms();

	if (handshake(c))
		return;
	for (;;) {
		struct pollfd p = { c, POLLIN, 0 };
		long wait = pushed < 3 ? next - now_ms() : 1000;

		if (poll(&p, 1, wait < 0 ? 0 : (int)wait) == 0) {
			if (pushed < 3) {
				char t[32];
				int n = snprintf(t, sizeof(t), "push %d", ++pushed);

				if (send_frame(c, 1, t, (size_t)n))
					return;
				next = now_ms() + 15;
			}
			continue;
		}
		if (recv_frame(c, &m))
			return;
		if (m.opcode == 1) {
			char t[4200];
			int n = snprintf(t, sizeof(t), "echo: %.*s", (int)m.len, (char *)m.data);

			if (send_frame(c, 1, t, (size_t)n))
				return;
		} else if (m.opcode == 9) {
#ifndef FAULT_NO_PONG
			if (send_frame(c, 10, m.data, m.len))
				return;
#endif
		} else if (m.opcode == 8) {
#ifndef FAULT_NO_CLOSE
			send_frame(c, 8, m.data, m.len >= 2 ? 2 : 0);
#endif
#ifdef FAULT_RST
			struct linger l = { 1, 0 }; /* RST instead of TCP's close */

			usleep(20000);
			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
#endif
			return;
		}
	}
}

int main(int argc, char **argv)
{
	int port = 8080, s, one = 1;
	struct sockaddr_in sa;

	if (argc == 3 && !strcmp(argv[1], "-p"))
		port = atoi(argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16)) {
		perror("server: listen");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
}

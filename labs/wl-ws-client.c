/* labs/wl-ws-client.c — stands in for the notes' browser console:
 *
 *   wl-ws-client -H HOST [-p PORT] [-s TEXT]... [-g GAP_MS] [-P PING] [-n PUSHES] [-c CODE]
 *
 * Connects, upgrades (checking Sec-WebSocket-Accept), sends each TEXT
 * GAP ms apart while answering the server's pings, pings once with PING and
 * waits for its pong, waits until PUSHES server messages have arrived, then
 * starts the close handshake with CODE and waits for the server's Close and
 * its FIN before closing its own side. Exits non-zero if the server breaks
 * the protocol (wrong accept key, no pong, no Close).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "labs/ws.h"

#define WAIT_MS 3000

struct state {
	int fd;
	int pushes, pong, closed;
	const char *ping;
};

/* Handles one frame from the server. */
static int on_frame(struct state *s, const struct ws_msg *m)
{
	switch (m->opcode) {
	case WS_TEXT:
		printf("< %.*s\n", (int)m->len, (const char *)m->data);
		if (m->len >= 5 && !memcmp(m->data, "push ", 5))
			s->pushes++;
		return 0;
	case WS_PING:
		return ws_send(s->fd, WS_PONG, m->data, m->len, 1);
	case WS_PONG:
		if (s->ping && m->len == strlen(s->ping) && !memcmp(m->data, s->ping, m->len))
			s->pong = 1;
		return 0;
	case WS_CLOSE:
		s->closed = 1;
		return 0;
	}
	return 0;
}

/* Services the socket for up to ms, or until done(s) holds. */
static int pump(struct state *s, int ms, int (*done)(const struct state *))
{
	long end = ws_now_ms() + ms;
	struct ws_msg m;

	while (!(done && done(s))) {
		long left = end - ws_now_ms();

		if (left <= 0)
			return done ? -1 : 0;
		if (!ws_readable(s->fd, (int)left))
			continue;
		if (ws_recv(s->fd, &m) || on_frame(s, &m))
			return -1;
	}
	return 0;
}

static int got_pong(const struct state *s)
{
	return s->pong;
}

static int want_pushes;

static int got_pushes(const struct state *s)
{
	return s->pushes >= want_pushes;
}

static int got_close(const struct state *s)
{
	return s->closed;
}

static int upgrade(int fd, const char *host, int port)
{
	unsigned char raw[16];
	char key[32], want[32], req[512], resp[4096];
	size_t got = 0;
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	n = snprintf(
		req, sizeof(req),
		"GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		host, port, key);
	if (ws_send_all(fd, req, (size_t)n))
		return -1;
	/* Read the response head byte by byte: frames may follow it at once. */
	while (got < sizeof(resp) - 1) {
		if (recv(fd, resp + got, 1, 0) != 1)
			return -1;
		got++;
		resp[got] = '\0';
		if (got >= 4 && !memcmp(resp + got - 4, "\r\n\r\n", 4))
			break;
	}
	if (strncmp(resp, "HTTP/1.1 101", 12)) {
		fprintf(stderr, "wl-ws-client: no 101: %.40s\n", resp);
		return -1;
	}
	ws_accept_key(key, want);
	const char *a = strcasestr(resp, "\r\nSec-WebSocket-Accept:");

	if (!a) {
		fprintf(stderr, "wl-ws-client: no Sec-WebSocket-Accept\n");
		return -1;
	}
	a += 23;
	while (*a == ' ')
		a++;
	if (strncmp(a, want, strlen(want))) {
		fprintf(stderr, "wl-ws-client: wrong Sec-WebSocket-Accept (want %s)\n", want);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *texts[16];
	int port = 8080, gap = 20, ntexts = 0, code = 1000, opt, one = 1;
	struct state s = { -1, 0, 0, 0, NULL };
	struct sockaddr_in sa;
	uint8_t cl[2];

	while ((opt = getopt(argc, argv, "H:p:s:g:P:n:c:")) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			if (ntexts < 16)
				texts[ntexts++] = optarg;
			break;
		case 'g':
			gap = atoi(optarg);
			break;
		case 'P':
			s.ping = optarg;
			break;
		case 'n':
			want_pushes = atoi(optarg);
			break;
		case 'c':
			code = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!host)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		goto usage;
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	/* A browser sends each message as it comes: no Nagle batching. */
	setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s.fd < 0 || connect(s.fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "wl-ws-client: cannot connect to %s:%d: %s\n", host, port,
			strerror(errno));
		return 1;
	}
	if (upgrade(s.fd, host, port))
		return 1;
	for (int i = 0; i < ntexts; i++) {
		if (ws_send(s.fd, WS_TEXT, texts[i], strlen(texts[i]), 1) || pump(&s, gap, NULL)) {
			fprintf(stderr, "wl-ws-client: connection lost while sending\n");
			return 1;
		}
	}
	if (s.ping &&
	    (ws_send(s.fd, WS_PING, s.ping, strlen(s.ping), 1) || pump(&s, WAIT_MS, got_pong))) {
		fprintf(stderr, "wl-ws-client: no pong to our ping\n");
		return 1;
	}
	if (want_pushes && pump(&s, WAIT_MS, got_pushes)) {
		fprintf(stderr, "wl-ws-client: %d of %d pushed messages\n", s.pushes, want_pushes);
		return 1;
	}
	cl[0] = (uint8_t)(code >> 8);
	cl[1] = (uint8_t)code;
	if (ws_send(s.fd, WS_CLOSE, cl, 2, 1) || pump(&s, WAIT_MS, got_close)) {
		fprintf(stderr, "wl-ws-client: the server did not answer our Close\n");
		return 1;
	}
	/* RFC 6455 7.1.1: the server closes TCP first; wait for its FIN. */
	while (ws_readable(s.fd, WAIT_MS)) {
		char b[256];

		if (recv(s.fd, b, sizeof(b), 0) <= 0)
			break;
	}
	close(s.fd);
	return 0;
usage:
	fprintf(stderr, "usage: wl-ws-client -H HOST [-p PORT] [-s TEXT]... [-g GAP_MS] [-P PING] "
			"[-n PUSHES] [-c CODE]\n");
	return 2;
}

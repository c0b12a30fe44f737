/* labs/wl-ws-server.c — the WebSocket server of the notes' Pi (port 8080).
 *
 *   wl-ws-server [-p PORT] [-n PUSHES] [-g PUSH_GAP_MS] [-P PING_TEXT] [-w] [-t]
 *
 * Per connection: reads the upgrade request, answers 101 with the accept key
 * (RFC 6455 4.2.2), then at once starts pushing PUSHES text messages, GAP ms
 * apart, while echoing every text the client sends ("echo: TEXT") — so the
 * two directions cross on the wire — pings the client once with PING_TEXT
 * (if given) and answers pings with pongs. On the client's Close it answers
 * Close with the same code and, as RFC 6455 7.1.1 says a server should,
 * closes the TCP connection first; -w waits for the client's FIN instead
 * (the notes' description, to compare). -t starts the pushes at the
 * client's first text instead of at the upgrade: a client that is slow to
 * start (a browser under load) still sees them cross its own texts.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "labs/ws.h"

struct opts {
	int pushes, gap_ms, wait_fin, after_text;
	const char *ping;
};

static int read_head(int c, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		ssize_t r = recv(c, buf + got, len - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return 0;
	}
	return -1;
}

static const char *header(const char *head, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *h = l + 2;

		if (!strncasecmp(h, name, nl) && h[nl] == ':') {
			const char *v = h + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return out;
		}
	}
	return NULL;
}

static int handshake(int c)
{
	char head[8192], key[128], up[64], accept[32], resp[256];
	int n;

	if (read_head(c, head, sizeof(head)))
		return -1;
	if (strncmp(head, "GET ", 4) || !header(head, "Upgrade", up, sizeof(up)) ||
	    strcasecmp(up, "websocket") || !header(head, "Sec-WebSocket-Key", key, sizeof(key))) {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
					  "Connection: close\r\n\r\n";
		ws_send_all(c, bad, sizeof(bad) - 1);
		return -1;
	}
	ws_accept_key(key, accept);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		     accept);
	return ws_send_all(c, resp, (size_t)n);
}

static void serve(int c, const struct opts *o)
{
	struct ws_msg m;
	int pushed = 0, pinged = !o->ping, started = !o->after_text;
	long next = ws_now_ms();

	if (handshake(c))
		return;
	for (;;) {
		long now = ws_now_ms();
		int wait =
			started && pushed < o->pushes ? (int)(next > now ? next - now : 0) : 1000;

		if (!ws_readable(c, wait)) {
			if (started && pushed < o->pushes) {
				char t[32];
				int n = snprintf(t, sizeof(t), "push %d", ++pushed);

				if (ws_send(c, WS_TEXT, t, (size_t)n, 0))
					return;
				next = ws_now_ms() + o->gap_ms;
				if (pushed == o->pushes && !pinged) {
					if (ws_send(c, WS_PING, o->ping, strlen(o->ping), 0))
						return;
					pinged = 1;
				}
			}
			continue;
		}
		if (ws_recv(c, &m))
			return;
		switch (m.opcode) {
		case WS_TEXT: {
			char t[4200];
			int n = snprintf(t, sizeof(t), "echo: %.*s", (int)m.len, (char *)m.data);

			if (ws_send(c, WS_TEXT, t, (size_t)n, 0))
				return;
			if (!started) { /* -t: the pushes start now */
				started = 1;
				next = ws_now_ms();
			}
			break;
		}
		case WS_PING:
			if (ws_send(c, WS_PONG, m.data, m.len, 0))
				return;
			break;
		case WS_CLOSE:
			/* Echo the status code (RFC 6455 5.5.1), then close. */
			ws_send(c, WS_CLOSE, m.data, m.len >= 2 ? 2 : 0, 0);
			if (o->wait_fin) {
				while (ws_readable(c, 2000) &&
				       recv(c, m.data, sizeof(m.data), 0) > 0)
					;
			}
			return;
		default:
			break;
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = { 0, 20, 0, 0, NULL };
	int port = 8080, opt, s, one = 1;
	struct sockaddr_in sa;

	while ((opt = getopt(argc, argv, "p:n:g:P:wt")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			o.pushes = atoi(optarg);
			break;
		case 'g':
			o.gap_ms = atoi(optarg);
			break;
		case 'P':
			o.ping = optarg;
			break;
		case 'w':
			o.wait_fin = 1;
			break;
		case 't':
			o.after_text = 1;
			break;
		default:
			fprintf(stderr, "usage: wl-ws-server [-p PORT] [-n PUSHES] [-g GAP_MS] "
					"[-P PING] [-w] [-t]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16)) {
		fprintf(stderr, "wl-ws-server: cannot listen on %d: %s\n", port, strerror(errno));
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		serve(c, &o);
		close(c);
	}
}

/* labs/wl-httpd.c — the notes' HTTP server: reads one request, answers it in
 * one send(), then closes the connection first.
 *
 *   wl-httpd [-p PORT] [-a ADDR] [-l] [-b BODY] [-d DELAY_MS]
 *
 * The response has no Content-Length unless -l: its end is the close (RFC
 * 9112 6.3, rule 8), so the client cannot close before the server does and
 * the server's FIN is always the first (FIELD-NOTES: with Content-Length and
 * Connection: close, who closes first is a race). Serves connections one at
 * a time until killed. -d waits DELAY_MS between reading the request and
 * answering it (the http-loss lab: a retransmitted request arrives while the
 * server is still "working").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int serve(int c, const char *body, int with_length, int delay_ms)
{
	char req[8192], resp[8192];
	size_t got = 0;
	int n;

	/* Read the whole head: closing with unread bytes would send a RST
	 * (RFC 9293 3.10.7.1 as Linux applies it) instead of a FIN. */
	while (got < sizeof(req) - 1) {
		ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	if (delay_ms > 0) {
		struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (with_length)
		n = snprintf(resp, sizeof(resp),
			     "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n%s",
			     strlen(body), body);
	else
		n = snprintf(
			resp, sizeof(resp),
			"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n%s",
			body);
	if (n < 0 || (size_t)n >= sizeof(resp))
		return -1;
	/* One send(): one segment on a link without offloads. */
	if (send(c, resp, (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = "0.0.0.0", *body = "<html><body>hello world</body></html>\n";
	int port = 80, with_length = 0, delay_ms = 0, opt, s, one = 1;
	struct sockaddr_in sa;

	while ((opt = getopt(argc, argv, "p:a:lb:d:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'l':
			with_length = 1;
			break;
		case 'b':
			body = optarg;
			break;
		case 'd':
			delay_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: wl-httpd [-p PORT] [-a ADDR] [-l] [-b BODY] [-d "
					"DELAY_MS]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "wl-httpd: bad address %s\n", addr);
		return 2;
	}
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16)) {
		fprintf(stderr, "wl-httpd: cannot listen on %s:%d: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "wl-httpd: accept: %s\n", strerror(errno));
			return 1;
		}
		if (serve(c, body, with_length, delay_ms))
			fprintf(stderr, "wl-httpd: connection ended early\n");
		close(c);
	}
}

/* tests/test_diagram.c — harness/diagram.c and harness/html.c over traces
 * built by hand: the notes' ten curl packets as a text ladder (its lines,
 * its phases, its round-trip bracket, 100 columns), TLS and SSH phases and
 * round trips, retransmissions and RSTs marked, long messages wrapped, the
 * SVG's elements and escaping, and the HTML page's claim table, links and
 * escaping of what a stranger's capture holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/claim.h"
#include "harness/diagram.h"
#include "harness/html.h"
#include "harness/lab.h"
#include "harness/report.h"
#include "harness/trace.h"

/* One TCP segment of the lab's stream, as the dissector would leave it. */
struct seg {
	int dir;
	uint8_t flags;
	uint32_t seq, ack, len; /* relative */
	double t;
	uint8_t analysis;
};

#define C   PKT_DIR_CLIENT
#define S   PKT_DIR_SERVER
#define SYN TCPF_SYN
#define ACK TCPF_ACK
#define PA  (TCPF_PSH | TCPF_ACK)
#define FA  (TCPF_FIN | TCPF_ACK)
#define RA  (TCPF_RST | TCPF_ACK)

static const uint8_t addr[2][4] = { { 198, 18, 0, 1 }, { 198, 18, 0, 2 } };

static struct trace *mk_trace(const struct seg *s, size_t n, uint16_t sport)
{
	struct trace *tr = calloc(1, sizeof(*tr));

	assert_non_null(tr);
	tr->capture = strdup("out/lab.pcap");
	tr->pkts = calloc(n, sizeof(*tr->pkts));
	assert_non_null(tr->pkts);
	tr->npkts = n;
	tr->nframes = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		struct pkt *p = &tr->pkts[k];

		p->n = (uint32_t)k + 1;
		p->t = s[k].t;
		p->ipver = 4;
		memcpy(p->src, addr[s[k].dir], 4);
		memcpy(p->dst, addr[!s[k].dir], 4);
		p->is_tcp = 1;
		p->sport = s[k].dir == C ? 41234 : sport;
		p->dport = s[k].dir == C ? sport : 41234;
		p->flags = s[k].flags;
		p->ack_valid = (s[k].flags & ACK) != 0;
		p->seq = s[k].seq;
		p->ack = s[k].ack;
		p->len = s[k].len;
		p->wirelen = 66 + s[k].len;
		p->dir = (int8_t)s[k].dir;
		p->analysis = s[k].analysis;
	}
	return tr;
}

static void http_request(struct pkt *p, const char *method, const char *uri, const char *upgrade)
{
	assert_int_equal(pkt_add_group(p, "http"), 0);
	assert_int_equal(pkt_add_int(p, "http.request", 1), 0);
	assert_int_equal(pkt_add_str(p, "http.request.method", method, strlen(method)), 0);
	assert_int_equal(pkt_add_str(p, "http.request.uri", uri, strlen(uri)), 0);
	assert_int_equal(pkt_add_str(p, "http.request.version", "HTTP/1.1", 8), 0);
	if (upgrade)
		assert_int_equal(pkt_add_str(p, "http.upgrade", upgrade, strlen(upgrade)), 0);
}

static void http_response(struct pkt *p, int code, const char *phrase)
{
	assert_int_equal(pkt_add_group(p, "http"), 0);
	assert_int_equal(pkt_add_int(p, "http.response", 1), 0);
	assert_int_equal(pkt_add_str(p, "http.response.version", "HTTP/1.1", 8), 0);
	assert_int_equal(pkt_add_int(p, "http.response.code", code), 0);
	assert_int_equal(pkt_add_str(p, "http.response.phrase", phrase, strlen(phrase)), 0);
}

/* One TLS record: its content type and the handshake messages in it. */
static void tls_record(struct pkt *p, int type, const int *hs, size_t nhs, int encrypted)
{
	assert_int_equal(pkt_add_group(p, "tls"), 0);
	assert_int_equal(pkt_add_int(p, "tls.record.content_type", type), 0);
	if (encrypted)
		assert_int_equal(pkt_add_int(p, "tls.encrypted", 1), 0);
	if (type == 20)
		assert_int_equal(pkt_add_int(p, "tls.change_cipher_spec", 1), 0);
	if (type == 23)
		assert_int_equal(pkt_add_int(p, "tls.app_data", 100), 0);
	for (size_t i = 0; i < nhs; i++)
		assert_int_equal(pkt_add_int(p, "tls.handshake.type", hs[i]), 0);
}

static void ssh_msg(struct pkt *p, int code)
{
	assert_int_equal(pkt_add_group(p, "ssh"), 0);
	assert_int_equal(pkt_add_int(p, "ssh.message_code", code), 0);
}

static void ssh_ident(struct pkt *p, const char *line)
{
	assert_int_equal(pkt_add_group(p, "ssh"), 0);
	assert_int_equal(pkt_add_str(p, "ssh.protocol", line, strlen(line)), 0);
}

static void ssh_encrypted(struct pkt *p)
{
	assert_int_equal(pkt_add_group(p, "ssh"), 0);
	assert_int_equal(pkt_add_int(p, "ssh.encrypted_packet", p->len), 0);
}

/* The diagram as text: malloc'd, NUL-terminated. */
static char *render(const struct trace *tr, enum diagram_format fmt, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(diagram_write(f, tr, fmt, flags), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Line i (from 0) of text, without its newline, into out. */
static int line_of(const char *text, size_t i, char *out, size_t len)
{
	const char *s = text, *e;

	for (; i > 0; i--) {
		s = strchr(s, '\n');
		if (!s)
			return -1;
		s++;
	}
	e = strchr(s, '\n');
	if (!e)
		return -1;
	snprintf(out, len, "%.*s", (int)(e - s), s);
	return 0;
}

/* The index of the line holding needle, or -1. */
static long find_line(const char *text, const char *needle)
{
	char ln[1024];

	for (size_t i = 0; line_of(text, i, ln, sizeof(ln)) == 0; i++)
		if (strstr(ln, needle))
			return (long)i;
	return -1;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *s = strstr(text, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* Links to packet table rows: href="#pN". */
static size_t frame_links(const char *text)
{
	size_t n = 0;

	for (const char *s = strstr(text, "href=\"#p"); s; s = strstr(s + 1, "href=\"#p"))
		n += s[8] >= '0' && s[8] <= '9';
	return n;
}

/* The titles of the SVG's phase bands, in order, each followed by '|'. */
static void phase_titles(const char *svg, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *s = strstr(svg, "class=\"wl-phase\""); s;
	     s = strstr(s + 1, "class=\"wl-phase\"")) {
		const char *b = strchr(s, '>'), *e = b ? strchr(b, '<') : NULL;

		assert_non_null(e);
		n += (size_t)snprintf(out + n, len - n, "%.*s|", (int)(e - b - 1), b + 1);
		assert_true(n < len);
	}
}

/* Every line at most 100 columns (code points), none ends in a space. */
static void assert_fits(const char *text)
{
	char ln[1024];

	for (size_t i = 0; line_of(text, i, ln, sizeof(ln)) == 0; i++) {
		size_t cols = 0, n = strlen(ln);

		for (size_t k = 0; k < n; k++)
			cols += ((unsigned char)ln[k] & 0xc0) != 0x80;
		if (cols > DIAGRAM_TXT_COLUMNS)
			fail_msg("line %zu has %zu columns: %s", i, cols, ln);
		if (n && ln[n - 1] == ' ')
			fail_msg("line %zu ends in a space: '%s'", i, ln);
	}
}

/* The notes' capture: P1..P10, the server closes first, 25 ms each way. */
static const struct seg notes[] = {
	{ C, SYN, 0, 0, 0, 0.000, 0 },	 { S, SYN | ACK, 0, 1, 0, 0.050, 0 },
	{ C, ACK, 1, 1, 0, 0.050, 0 },	 { C, PA, 1, 1, 77, 0.051, 0 },
	{ S, ACK, 1, 78, 0, 0.076, 0 },	 { S, PA, 1, 78, 300, 0.077, 0 },
	{ S, FA, 301, 78, 0, 0.077, 0 }, { C, ACK, 78, 302, 0, 0.102, 0 },
	{ C, FA, 78, 302, 0, 0.103, 0 }, { S, ACK, 302, 79, 0, 0.128, 0 },
};

static struct trace *notes_trace(void)
{
	struct trace *tr = mk_trace(notes, 10, 80);

	http_request(&tr->pkts[3], "GET", "/", NULL);
	http_response(&tr->pkts[5], 200, "OK");
	return tr;
}

static void test_txt_notes(void **state)
{
	struct trace *tr = notes_trace();
	char *t = render(tr, DIAGRAM_TXT, 0), ln[1024];
	/* Client-to-server arrows start at the client's bar and point right;
	 * the server's start at its bar and point left; a bracket in the
	 * margin spans SYN to the ACK that ends the handshake. */
	static const char *const want[] = {
		"wirelab ladder: lab.pcap, tcp.stream 0, 10 packets (client = laptop, server = Pi)",
		"  No.       Time  client 198.18.0.1:41234                         server "
		"198.18.0.2:80",
		"                  +========================= TCP handshake "
		"==========================+",
		"    1   0.000000  |-- [S] seq 0 len 0  SYN "
		"----------------------------------------->|  -+ TCP 1 RTT",
		"    2   0.050000  |<------------------------------ [S.] seq 0 ack 1 len 0  "
		"SYN-ACK --|   | 50.0 ms",
		"    3   0.050000  |-- [.] seq 1 ack 1 len 0  ACK "
		"----------------------------------->|  -+",
		"                  +=================== HTTP request and response "
		"====================+",
		"    4   0.051000  |-- [P.] seq 1 ack 1 len 77  GET / HTTP/1.1 "
		"---------------------->|",
		"    5   0.076000  |<---------------------------------- [.] seq 1 ack 78 len 0  "
		"ACK --|",
		"    6   0.077000  |<------------------- [P.] seq 1 ack 78 len 300  HTTP/1.1 200 "
		"OK --|",
		"                  +=========================== TCP close "
		"============================+",
		"    7   0.077000  |<------------------------------- [F.] seq 301 ack 78 len 0  "
		"FIN --|",
		"    8   0.102000  |-- [.] seq 78 ack 302 len 0  ACK "
		"-------------------------------->|",
		"    9   0.103000  |-- [F.] seq 78 ack 302 len 0  FIN "
		"------------------------------->|",
		"   10   0.128000  |<-------------------------------- [.] seq 302 ack 79 len 0  "
		"ACK --|",
		"                  "
		"+==================================================================+",
	};

	(void)state;
	print_message("%s", t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(line_of(t, i, ln, sizeof(ln)), 0);
		assert_string_equal(ln, want[i]);
	}
	assert_fits(t);
	/* No RST, no retransmission: no mark, no legend for one. */
	assert_null(strstr(t, "!"));
	assert_non_null(strstr(t, "round trips (RTT)"));
	free(t);
	trace_free(tr);
}

/* TLS 1.2: phases by the records, ClientHello to the client's first
 * application data is 2 round trips; pure ACKs do not count. */
static const struct seg tls12[] = {
	{ C, SYN, 0, 0, 0, 0.000, 0 },	   { S, SYN | ACK, 0, 1, 0, 0.050, 0 },
	{ C, ACK, 1, 1, 0, 0.050, 0 },	   { C, PA, 1, 1, 517, 0.055, 0 },
	{ S, ACK, 1, 518, 0, 0.105, 0 },   { S, PA, 1, 518, 656, 0.106, 0 },
	{ C, PA, 518, 657, 93, 0.107, 0 }, { S, PA, 657, 611, 51, 0.157, 0 },
	{ C, PA, 611, 708, 99, 0.158, 0 }, { S, PA, 708, 710, 217, 0.208, 0 },
	{ C, RA, 710, 925, 0, 0.209, 0 },
};

static void test_txt_tls(void **state)
{
	static const int ch[] = { 1 }, sh[] = { 2, 11, 12, 14 }, cke[] = { 16 };
	struct trace *tr = mk_trace(tls12, 11, 443);
	char *t;
	long hs, app, close, br;

	(void)state;
	tls_record(&tr->pkts[3], 22, ch, 1, 0);
	tls_record(&tr->pkts[5], 22, sh, 4, 0);
	tls_record(&tr->pkts[6], 22, cke, 1, 0);
	tls_record(&tr->pkts[6], 20, NULL, 0, 0);
	tls_record(&tr->pkts[6], 22, NULL, 0, 1); /* Finished, not decrypted */
	tls_record(&tr->pkts[7], 20, NULL, 0, 0);
	tls_record(&tr->pkts[7], 22, NULL, 0, 1);
	tls_record(&tr->pkts[8], 23, NULL, 0, 1);
	tls_record(&tr->pkts[9], 23, NULL, 0, 1);
	t = render(tr, DIAGRAM_TXT, 0);
	print_message("%s", t);
	assert_fits(t);
	hs = find_line(t, "= TLS handshake =");
	app = find_line(t, "= TLS application data (encrypted) =");
	close = find_line(t, "= TCP close =");
	assert_true(hs > 0 && app > hs && close > app);
	/* The handshake phase starts at the ClientHello, application data at
	 * the client's first application data record, the close at the RST. */
	assert_int_equal(find_line(t, "Client Hello"), hs + 1);
	assert_int_equal(find_line(t, "len 99  Application Data"), app + 1);
	assert_int_equal(find_line(t, "[R.]"), close + 1);
	assert_non_null(strstr(t, "len 656  Server Hello, Certificate, --|"));
	assert_non_null(strstr(
		t, "|                         Server Key Exchange, Server Hello Done   |   |"));
	assert_non_null(strstr(t, "Encrypted Handshake Message"));
	br = find_line(t, "-+ TLS 2 RTT");
	assert_int_equal(br, hs + 1);
	/* 0.158 - 0.055 s, on the line after the label */
	assert_int_equal(find_line(t, "| 103.0 ms"), br + 1);
	/* The RST is marked in the left margin and explained at the end. */
	assert_non_null(strstr(t, "   11   0.209000 !|-- [R.] seq 710 ack 925 len 0  RST"));
	assert_non_null(strstr(t, "! retransmission, RST or malformed packet"));
	free(t);
	trace_free(tr);
}

/* SSH: identification, KEXINIT, key exchange named by the negotiated
 * method, NEWKEYS, encrypted; the SSH bracket from the client's line to its
 * first encrypted packet. */
static const struct seg ssh[] = {
	{ C, SYN, 0, 0, 0, 0.000, 0 },	      { S, SYN | ACK, 0, 1, 0, 0.020, 0 },
	{ C, ACK, 1, 1, 0, 0.020, 0 },	      { C, PA, 1, 1, 23, 0.021, 0 },
	{ S, PA, 1, 24, 41, 0.041, 0 },	      { C, PA, 24, 42, 936, 0.042, 0 },
	{ S, PA, 42, 960, 1088, 0.062, 0 },   { C, PA, 960, 1130, 48, 0.063, 0 },
	{ S, PA, 1130, 1008, 524, 0.083, 0 }, { C, PA, 1008, 1654, 16, 0.084, 0 },
	{ C, PA, 1024, 1654, 44, 0.085, 0 },  { S, PA, 1654, 1068, 44, 0.105, 0 },
	{ C, FA, 1068, 1698, 0, 0.106, 0 },   { S, FA, 1698, 1069, 0, 0.126, 0 },
	{ C, ACK, 1069, 1699, 0, 0.126, 0 },
};

static void test_txt_ssh(void **state)
{
	struct trace *tr = mk_trace(ssh, 15, 22);
	char *t;
	long v, ki, kx, nk, enc;

	(void)state;
	ssh_ident(&tr->pkts[3], "SSH-2.0-OpenSSH_9.2p1");
	ssh_ident(&tr->pkts[4], "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
	ssh_msg(&tr->pkts[5], 20);
	ssh_msg(&tr->pkts[6], 20);
	assert_int_equal(pkt_add_str(&tr->pkts[6], "ssh.negotiated.kex", "curve25519-sha256", 17),
			 0);
	ssh_msg(&tr->pkts[7], 30);
	ssh_msg(&tr->pkts[8], 31);
	ssh_msg(&tr->pkts[8], 21);
	ssh_msg(&tr->pkts[9], 21);
	ssh_encrypted(&tr->pkts[10]);
	ssh_encrypted(&tr->pkts[11]);
	t = render(tr, DIAGRAM_TXT, 0);
	print_message("%s", t);
	assert_fits(t);
	v = find_line(t, "= SSH version exchange =");
	ki = find_line(t, "= SSH KEXINIT =");
	kx = find_line(t, "= SSH key exchange (Diffie-Hellman) =");
	nk = find_line(t, "= SSH NEWKEYS =");
	enc = find_line(t, "= SSH encrypted =");
	assert_true(v > 0 && ki > v && kx > ki && nk > kx && enc > nk);
	assert_int_equal(find_line(t, "SSH-2.0-OpenSSH_9.2p1 ---"), v + 1);
	assert_int_equal(find_line(t, "KEX_ECDH_INIT"), kx + 1);
	assert_int_equal(find_line(t, "KEX_ECDH_REPLY, NEWKEYS"), nk + 1);
	assert_int_equal(find_line(t, "len 44  Encrypted --"), enc + 1);
	/* c 4, s 5, c 6 (1), s 7, c 8 (2), s 9, c 10, c 11: 3 round trips */
	assert_int_equal(find_line(t, "-+ SSH 3 RTT"), v + 1);
	free(t);
	trace_free(tr);
}

/* A retransmission, a duplicate ACK, and a message too long for one line. */
static void test_txt_marks_and_wrap(void **state)
{
	static const struct seg s[] = {
		{ C, SYN, 0, 0, 0, 0.0, 0 },
		{ S, SYN | ACK, 0, 1, 0, 0.1, 0 },
		{ C, ACK, 1, 1, 0, 0.1, 0 },
		{ C, PA, 1, 1, 300, 0.2, 0 },
		{ C, PA, 1, 1, 300, 0.5, PKT_AN_RETRANSMISSION },
		{ S, ACK, 1, 301, 0, 0.6, PKT_AN_DUP_ACK },
		{ S, PA, 1, 301, 1400, 0.7, 0 },
	};
	struct trace *tr = mk_trace(s, 7, 8080);
	char uri[200], *t, ln[1024];
	long k;

	(void)state;
	memset(uri, 'a', sizeof(uri) - 1);
	uri[0] = '/';
	uri[sizeof(uri) - 1] = '\0';
	http_request(&tr->pkts[3], "GET", uri, NULL);
	for (int i = 0; i < 3; i++)
		http_response(&tr->pkts[6], 200 + i, "A phrase long enough to need a second line");
	t = render(tr, DIAGRAM_TXT, 0);
	print_message("%s", t);
	assert_fits(t);
	assert_non_null(strstr(t, "    5   0.500000 !|-- [P.] seq 1 ack 1 len 300  data "
				  "[retransmission] "));
	assert_non_null(strstr(t, "ACK [dup ACK] --|"));
	/* The URI is cut at 60 characters; the responses go on over lines
	 * that keep to the server's side. */
	k = find_line(t, "HTTP/1.1 200 A phrase");
	assert_true(k > 0);
	assert_int_equal(line_of(t, (size_t)k + 1, ln, sizeof(ln)), 0);
	assert_true(strlen(ln) > 70);
	assert_int_equal(ln[18], '|');
	assert_string_equal(ln + strlen(ln) - 4, "   |");
	assert_null(strstr(t, uri)); /* 199 characters: cut */
	free(t);
	trace_free(tr);
}

static void test_svg(void **state)
{
	struct trace *tr = notes_trace();
	char *t, *in, titles[256];
	static const char bad_utf8[] = "GET\xff\xc3<";

	(void)state;
	/* A URI that would be markup, and a method that is not UTF-8. */
	pkt_clear(&tr->pkts[3]);
	http_request(&tr->pkts[3], bad_utf8, "/a?b=<script>&c=\"d\"", NULL);
	tr->pkts[3].flags = PA;
	tr->pkts[9].flags = RA;
	t = render(tr, DIAGRAM_SVG, 0);
	assert_true(!strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"", 50));
	assert_non_null(strstr(t, "</svg>\n"));
	/* One arrow and one arrowhead per packet, one band per phase. */
	assert_int_equal(count(t, "<line class=\"wl-arrow"), 10);
	assert_int_equal(count(t, "<polygon class=\"wl-head"), 10);
	assert_int_equal(count(t, "<rect class=\"wl-band\""), 3);
	phase_titles(t, titles, sizeof(titles));
	assert_string_equal(titles, "TCP handshake|HTTP request and response|TCP close|");
	assert_int_equal(count(t, "<path class=\"wl-br\""), 1);
	assert_non_null(strstr(t, ">1 RTT</text>"));
	assert_non_null(strstr(t, ">from SYN</text>"));
	assert_non_null(strstr(t, ">to ACK</text>"));
	/* The hosts with their addresses; the RST in red. */
	assert_non_null(strstr(t, ">198.18.0.1:41234</text>"));
	assert_non_null(strstr(t, ">198.18.0.2:80</text>"));
	assert_int_equal(count(t, "<line class=\"wl-arrow wl-bad\""), 1);
	/* Escaped, and valid UTF-8: the bad bytes replaced. */
	assert_non_null(strstr(t, "GET??&lt; /a?b=&lt;script&gt;&amp;c=&quot;d&quot; HTTP/1.1"));
	assert_null(strstr(t, "<script"));
	assert_null(strstr(t, "\xff"));
	assert_int_equal(count(t, "<g "), count(t, "</g>"));
	assert_int_equal(count(t, "<text"), count(t, "</text>"));
	assert_null(strstr(t, "<a href"));
	/* Inline for a page: no declaration, no namespace (HTML gives it),
	 * each arrow a link to its row. */
	in = render(tr, DIAGRAM_SVG, DIAGRAM_INLINE | DIAGRAM_LINKS);
	assert_true(!strncmp(in, "<svg width=", 11));
	assert_null(strstr(in, "xmlns"));
	assert_null(strstr(in, "http://"));
	assert_int_equal(frame_links(in), 10);
	assert_non_null(strstr(in, "<a href=\"#p4\">"));
	free(in);
	free(t);
	trace_free(tr);
}

/* A stream that is only a SYN and its RST: two rows, no bracket. */
static void test_refused(void **state)
{
	static const struct seg s[] = {
		{ C, SYN, 0, 0, 0, 0.0, 0 },
		{ S, RA, 0, 1, 0, 0.0001, 0 },
	};
	struct trace *tr = mk_trace(s, 2, 81);
	char *t = render(tr, DIAGRAM_TXT, 0);

	(void)state;
	print_message("%s", t);
	assert_fits(t);
	assert_true(find_line(t, "= TCP handshake =") == 2);
	assert_true(find_line(t, "= TCP close =") == 4);
	assert_null(strstr(t, "RTT"));
	assert_non_null(strstr(t, "    2   0.000100 !|<"));
	free(t);
	trace_free(tr);
}

static const char lab_text[] = "lab t\n"
			       "title \"A <b>lab</b> & its title\"\n"
			       "stream http\n"
			       "claim t.syn\n"
			       "  text \"P1 is the SYN\"\n"
			       "  expected \"SYN <only>\"\n"
			       "  let syn = #1\n"
			       "  expect syn.tcp.flags == 0x02\n"
			       "  evidence syn\n"
			       "claim t.get\n"
			       "  text \"The GET's URI\"\n"
			       "  let get = first \"http.request\"\n"
			       "  expect get.http.request.uri == \"/\"\n"
			       "  evidence get\n"
			       "  report \"{get.http.request.uri}\"\n"
			       "  why \"the URI was not /\"\n";

/* The page: a claim table whose evidence links to rows, the SVG inline,
 * everything escaped, nothing fetched. The capture does not exist: the
 * page says so where the packet table would be. */
static void test_html_page(void **state)
{
	struct trace *tr = notes_trace();
	struct lab *lab = NULL;
	struct claim_result *res = NULL;
	struct lab_report rep;
	char err[300] = "", *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	pkt_clear(&tr->pkts[3]);
	http_request(&tr->pkts[3], "GET", "/<script>alert(1)</script>", NULL);
	tr->pkts[3].flags = PA;
	if (lab_parse("t.lab", lab_text, strlen(lab_text), &lab, err, sizeof(err)))
		fail_msg("%s", err);
	if (claim_eval_all(lab, tr, &res, err, sizeof(err)))
		fail_msg("%s", err);
	memset(&rep, 0, sizeof(rep));
	rep.lab = lab;
	rep.lab_id = lab->id;
	rep.tr = tr;
	rep.res = res;
	rep.nres = lab->nclaims;
	rep.capture = "/nonexistent/wirelab-test.pcap";
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(html_lab_page(f, &rep, "/tmp"), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(!strncmp(buf, "<!DOCTYPE html>\n<html lang=\"en\">", 32));
	assert_non_null(strstr(buf, "<meta name=\"wirelab-summary\" content=\"holds=1 fails=1 "
				    "na=0 ok=0\">"));
	assert_non_null(strstr(buf, "<title>wirelab · t — A &lt;b&gt;lab&lt;/b&gt; &amp; its "
				    "title</title>"));
	assert_non_null(strstr(buf, "<table class=\"claims\" id=\"claim-table\">"));
	assert_non_null(strstr(buf, "<tr class=\"holds\" id=\"c-t.syn\">"));
	assert_non_null(strstr(buf, "<tr class=\"fails unexpected\" id=\"c-t.get\">"));
	assert_non_null(strstr(buf, "<td>SYN &lt;only&gt;</td>"));
	assert_non_null(strstr(buf, "<td class=\"evidence\"><a href=\"#p1\">1</a> </td>"));
	assert_non_null(strstr(buf, "<td class=\"evidence\"><a href=\"#p4\">4</a> </td>"));
	assert_non_null(strstr(buf, "<b>why:</b> the URI was not /"));
	assert_non_null(strstr(buf, "this lab expects “holds”"));
	/* The observed URI and the ladder's message, escaped. */
	assert_non_null(strstr(buf, "<td>/&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
	assert_null(strstr(buf, "<script"));
	assert_int_equal(count(buf, "<svg "), 1);
	assert_int_equal(frame_links(buf), 10 + 2); /* the arrows, the evidence */
	assert_non_null(strstr(buf, "<pre>wirelab ladder: lab.pcap"));
	/* No capture: its path in text, no link, the reason in the table's place. */
	assert_non_null(strstr(buf, "capture /nonexistent/wirelab-test.pcap"));
	assert_non_null(strstr(buf, "<p class=\"error\">/nonexistent/wirelab-test.pcap:"));
	/* Nothing to fetch. */
	assert_null(strstr(buf, "src="));
	assert_null(strstr(buf, "http://"));
	assert_null(strstr(buf, "https://"));
	assert_null(strstr(buf, "url("));
	free(buf);
	claim_results_free(res, lab->nclaims);
	lab_free(lab);
	trace_free(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_notes), cmocka_unit_test(test_txt_tls),
		cmocka_unit_test(test_txt_ssh),	  cmocka_unit_test(test_txt_marks_and_wrap),
		cmocka_unit_test(test_svg),	  cmocka_unit_test(test_refused),
		cmocka_unit_test(test_html_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

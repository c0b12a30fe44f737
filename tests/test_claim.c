/* tests/test_claim.c — claims evaluated over hand-built traces: the curl
 * lab's claims on the notes' ten packets and on Linux's order, observed
 * texts, evidence, n/a on missing facts, round trips, ranges, durations; and
 * every error of the expression parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/claim.h"
#include "harness/lab.h"
#include "harness/trace.h"

/* One TCP segment of the lab's stream, as the dissector would leave it. */
struct seg {
	int dir;
	uint8_t flags;
	uint32_t seq, ack, len; /* relative */
	double t;
	const char *http; /* "GET", "GET POST" (two requests), "200": what completes here */
};

#define C   PKT_DIR_CLIENT
#define S   PKT_DIR_SERVER
#define SYN TCPF_SYN
#define ACK TCPF_ACK
#define PA  (TCPF_PSH | TCPF_ACK)
#define FA  (TCPF_FIN | TCPF_ACK)

static const uint32_t isn[2] = { 3000000000u, 1000u };
static const uint8_t addr[2][4] = { { 198, 18, 0, 1 }, { 198, 18, 0, 2 } };

static void add_http(struct pkt *p, const char *what)
{
	char buf[32], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", what);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		assert_int_equal(pkt_add_group(p, "http"), 0);
		if (w[0] >= '0' && w[0] <= '9') {
			assert_int_equal(pkt_add_int(p, "http.response.code", atoi(w)), 0);
		} else {
			assert_int_equal(pkt_add_str(p, "http.request.method", w, strlen(w)), 0);
			assert_int_equal(pkt_add_str(p, "http.request.uri", "/", 1), 0);
		}
	}
}

/* A trace of n segments, framed from first_frame on (other frames of the
 * capture, ARP..., come before). */
static struct trace *mk_trace(const struct seg *s, size_t n, uint32_t first_frame)
{
	struct trace *tr = calloc(1, sizeof(*tr));

	assert_non_null(tr);
	tr->pkts = calloc(n, sizeof(*tr->pkts));
	assert_non_null(tr->pkts);
	tr->npkts = n;
	tr->nframes = first_frame - 1 + (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		struct pkt *p = &tr->pkts[k];

		p->n = first_frame + (uint32_t)k;
		p->t = s[k].t;
		p->ipver = 4;
		memcpy(p->src, addr[s[k].dir], 4);
		memcpy(p->dst, addr[!s[k].dir], 4);
		p->is_tcp = 1;
		p->sport = s[k].dir == C ? 41234 : 80;
		p->dport = s[k].dir == C ? 80 : 41234;
		p->flags = s[k].flags;
		p->ack_valid = (s[k].flags & ACK) != 0;
		p->seq = s[k].seq;
		p->ack = s[k].ack;
		p->seq_raw = isn[s[k].dir] + s[k].seq;
		p->ack_raw = p->ack_valid ? isn[!s[k].dir] + s[k].ack : 0;
		p->len = s[k].len;
		p->wirelen = 66 + s[k].len;
		p->dir = (int8_t)s[k].dir;
		if (s[k].http)
			add_http(p, s[k].http);
	}
	return tr;
}

/* The notes' capture: P1..P10, the server closes first. */
static const struct seg notes[] = {
	{ C, SYN, 0, 0, 0, 0.000, NULL },   { S, SYN | ACK, 0, 1, 0, 0.025, NULL },
	{ C, ACK, 1, 1, 0, 0.025, NULL },   { C, PA, 1, 1, 77, 0.026, "GET" },
	{ S, ACK, 1, 78, 0, 0.051, NULL },  { S, PA, 1, 78, 300, 0.052, "200" },
	{ S, FA, 301, 78, 0, 0.052, NULL }, { C, ACK, 78, 302, 0, 0.077, NULL },
	{ C, FA, 78, 302, 0, 0.078, NULL }, { S, ACK, 302, 79, 0, 0.103, NULL },
};

/* Linux against a keep-alive server: curl closes first, and one pure ACK more. */
static const struct seg linux_order[] = {
	{ C, SYN, 0, 0, 0, 0.000, NULL },    { S, SYN | ACK, 0, 1, 0, 0.025, NULL },
	{ C, ACK, 1, 1, 0, 0.025, NULL },    { C, PA, 1, 1, 77, 0.026, "GET" },
	{ S, ACK, 1, 78, 0, 0.051, NULL },   { S, PA, 1, 78, 300, 0.052, "200" },
	{ C, ACK, 78, 301, 0, 0.052, NULL }, { C, FA, 78, 301, 0, 0.053, NULL },
	{ S, FA, 301, 79, 0, 0.078, NULL },  { C, ACK, 79, 302, 0, 0.078, NULL },
	{ S, ACK, 302, 79, 0, 0.079, NULL },
};

/* The curl lab as an instructor writes it (its http.* claims). */
static const char curl_lab[] =
	"lab http\n"
	"title \"Wiresharking curl: one GET, ten TCP packets\"\n"
	"section \"Wiresharking CURL - How a single GET request translates to 10 TCP Packets\"\n"
	"stream http\n"
	"host client 198.18.0.1\n"
	"host pi 198.18.0.2\n"
	"link delay 25ms to-pi\n"
	"sysctl both net.ipv4.tcp_rmem \"4096 131072 6291456\"\n"
	"server pi \"{labs}/httpd1 -p 80\" ready 80\n"
	"client client \"curl -s http://{pi}/\"\n"
	"\n"
	"claim http.syn\n"
	"  text \"P1 is the client's SYN, with its ISN, length 0\"\n"
	"  expected \"SYN only, length 0, from the client\"\n"
	"  let syn = #1\n"
	"  expect syn.tcp.flags == 0x02\n"
	"  expect syn.dir == client && syn.tcp.len == 0\n"
	"\n"
	"claim http.synack\n"
	"  text \"P2 is SYN-ACK: the server's own ISN, ack = client ISN + 1 (the ghost byte)\"\n"
	"  let syn = first \"tcp.flags.syn == 1 && tcp.flags.ack == 0\" from client\n"
	"  let synack = first \"tcp.flags.syn == 1 && tcp.flags.ack == 1\" from server\n"
	"  expect synack.pos == 2\n"
	"  expect synack.tcp.ack == syn.tcp.seq + 1\n"
	"\n"
	"claim http.get_acked\n"
	"  text \"P5: the server ACKs the GET, ack = client seq + length of P4\"\n"
	"  let get = first \"http.request.method == \\\"GET\\\"\" from client\n"
	"  let ack = first \"tcp.len == 0 && tcp.flags.ack == 1\" from server after get\n"
	"  expect get.pos == 4 && ack.pos == 5\n"
	"  expect ack.tcp.ack == get.tcp.seq + get.tcp.len\n"
	"\n"
	"claim http.server_fin\n"
	"  text \"P7: the server sends FIN-ACK first\"\n"
	"  let fin = first \"tcp.flags.fin == 1\"\n"
	"  expect fin.dir == server\n"
	"  evidence fin\n"
	"  report \"first FIN from the {fin.dir} at frame {fin.n}\"\n"
	"\n"
	"claim http.ten_packets\n"
	"  text \"The whole exchange is 10 TCP packets\"\n"
	"  expected \"10 packets\"\n"
	"  expect count \"tcp\" == 10\n"
	"  report \"{count \\\"tcp\\\"} packets\"\n";

static struct lab *parse(const char *name, const char *text)
{
	struct lab *l = NULL;
	char err[300] = "";

	if (lab_parse(name, text, strlen(text), &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return l;
}

static struct claim_result *eval_all(const struct lab *l, const struct trace *tr)
{
	struct claim_result *r = NULL;
	char err[300] = "";

	if (claim_eval_all(l, tr, &r, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(r);
	return r;
}

/* The evidence, as "1,2,3". */
static void assert_packets(const struct claim_result *r, const char *want)
{
	char buf[256] = "";
	size_t n = 0;

	for (size_t k = 0; k < r->npackets; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u", k ? "," : "",
				      r->packets[k]);
	assert_string_equal(buf, want);
}

static void assert_claim(const struct claim_result *r, const char *id, enum lab_verdict v,
			 const char *expected, const char *observed, const char *packets)
{
	assert_string_equal(r->claim->id, id);
	if (r->verdict != v)
		fail_msg("%s: verdict %s, want %s (observed: %s)", id,
			 claim_verdict_name(r->verdict), claim_verdict_name(v), r->observed);
	assert_string_equal(r->expected, expected);
	assert_string_equal(r->observed, observed);
	assert_packets(r, packets);
}

static void test_curl_notes(void **state)
{
	struct lab *l = parse("labs/http.lab", curl_lab);
	struct trace *tr = mk_trace(notes, 10, 1);
	struct claim_result *r = eval_all(l, tr);

	(void)state;
	assert_int_equal(l->nclaims, 5);
	assert_claim(&r[0], "http.syn", LAB_HOLDS, "SYN only, length 0, from the client",
		     "syn.tcp.flags = 2; syn.dir = \"client\", syn.tcp.len = 0", "1");
	assert_claim(&r[1], "http.synack", LAB_HOLDS,
		     "synack.pos == 2 and synack.tcp.ack == syn.tcp.seq + 1",
		     "synack.pos = 2; synack.tcp.ack = 1, syn.tcp.seq + 1 = 1", "1,2");
	assert_claim(&r[2], "http.get_acked", LAB_HOLDS,
		     "get.pos == 4 && ack.pos == 5 and ack.tcp.ack == get.tcp.seq + get.tcp.len",
		     "get.pos = 4, ack.pos = 5; ack.tcp.ack = 78, get.tcp.seq + get.tcp.len = 78",
		     "4,5");
	assert_claim(&r[3], "http.server_fin", LAB_HOLDS, "fin.dir == server",
		     "first FIN from the server at frame 7", "7");
	assert_claim(&r[4], "http.ten_packets", LAB_HOLDS, "10 packets", "10 packets",
		     "1,2,3,4,5,6,7,8,9,10");
	claim_results_free(r, l->nclaims);
	trace_free(tr);
	lab_free(l);
}

/* Linux's order, and frames 1-2 of the capture not in the stream: positions
 * (#1, .pos) stay within the stream, evidence and .n are frame numbers. */
static void test_curl_linux(void **state)
{
	struct lab *l = parse("labs/http.lab", curl_lab);
	struct trace *tr = mk_trace(linux_order, 11, 3);
	struct claim_result *r = eval_all(l, tr);

	(void)state;
	assert_claim(&r[0], "http.syn", LAB_HOLDS, "SYN only, length 0, from the client",
		     "syn.tcp.flags = 2; syn.dir = \"client\", syn.tcp.len = 0", "3");
	assert_claim(&r[1], "http.synack", LAB_HOLDS,
		     "synack.pos == 2 and synack.tcp.ack == syn.tcp.seq + 1",
		     "synack.pos = 2; synack.tcp.ack = 1, syn.tcp.seq + 1 = 1", "3,4");
	assert_claim(&r[2], "http.get_acked", LAB_HOLDS,
		     "get.pos == 4 && ack.pos == 5 and ack.tcp.ack == get.tcp.seq + get.tcp.len",
		     "get.pos = 4, ack.pos = 5; ack.tcp.ack = 78, get.tcp.seq + get.tcp.len = 78",
		     "6,7");
	assert_claim(&r[3], "http.server_fin", LAB_FAILS, "fin.dir == server",
		     "first FIN from the client at frame 10", "10");
	assert_claim(&r[4], "http.ten_packets", LAB_FAILS, "10 packets", "11 packets",
		     "3,4,5,6,7,8,9,10,11,12,13");
	claim_results_free(r, l->nclaims);
	trace_free(tr);
	lab_free(l);
}

#define HEAD "lab t\ntitle \"t\"\nstream any\n"

/* One claim over a trace: its result (freed by the caller with l). */
static struct claim_result *one(const char *body, const struct trace *tr, struct lab **l)
{
	char text[4096];

	snprintf(text, sizeof(text), HEAD "claim t.c\n  text \"t\"\n%s", body);
	*l = parse("t", text);
	return eval_all(*l, tr);
}

static void check(const char *body, const struct trace *tr, enum lab_verdict v,
		  const char *observed, const char *packets)
{
	struct lab *l = NULL;
	struct claim_result *r = one(body, tr, &l);

	if (r->verdict != v)
		fail_msg("%s: verdict %s, want %s (observed: %s)", body,
			 claim_verdict_name(r->verdict), claim_verdict_name(v), r->observed);
	assert_string_equal(r->observed, observed);
	if (packets)
		assert_packets(r, packets);
	claim_results_free(r, l->nclaims);
	lab_free(l);
}

static void test_fails_observed(void **state)
{
	struct trace *tr = mk_trace(notes, 10, 1);

	(void)state;
	check("expect count \"tcp\" == 11\n", tr, LAB_FAILS, "count \"tcp\" = 10",
	      "1,2,3,4,5,6,7,8,9,10");
	/* A field the packet lacks: absent, and the text says so. */
	check("expect #3.http.request.method == \"GET\"\n", tr, LAB_FAILS,
	      "#3.http.request.method: frame 3 has no http.request.method", "3");
	/* A packet that does not exist: every field of it is absent. */
	check("let rst = first \"tcp.flags.reset == 1\" from server\n"
	      "expect rst.dir == server\n",
	      tr, LAB_FAILS, "rst.dir: no packet matches \"tcp.flags.reset == 1\" from server", "");
	check("expect !(first \"tcp.flags.reset == 1\")\n", tr, LAB_HOLDS,
	      "(first \"tcp.flags.reset == 1\"): no packet matches \"tcp.flags.reset == 1\"", "");
	check("expect (nth 3 \"tcp.len > 0\").pos == 9\n", tr, LAB_FAILS,
	      "(nth 3 \"tcp.len > 0\").pos: only 2 packets match \"tcp.len > 0\"", "");
	check("expect (nth 2 \"tcp.len > 0\").pos == 6\n", tr, LAB_HOLDS,
	      "(nth 2 \"tcp.len > 0\").pos = 6", "6");
	check("expect #11.tcp.seq == 0\n", tr, LAB_FAILS,
	      "#11.tcp.seq: no packet #11: the stream has 10", "");
	/* Comparisons with absent are false, "!=" too. */
	check("expect #11.tcp.seq != 0\n", tr, LAB_FAILS,
	      "#11.tcp.seq: no packet #11: the stream has 10", "");
	/* Several expects: all must hold; each is rendered. */
	check("expect #1.tcp.len == 0\nexpect #4.tcp.len == 78\n", tr, LAB_FAILS,
	      "#1.tcp.len = 0; #4.tcp.len = 77", "1,4");
	/* A constant expect renders as itself. */
	check("expect 1 < 2\n", tr, LAB_HOLDS, "1 < 2", "");
	/* A last packet, after and before bounds. */
	check("expect (last \"tcp.flags.ack == 1\" from client before #9).pos == 8\n", tr,
	      LAB_HOLDS, "(last \"tcp.flags.ack == 1\" from client before #9).pos = 8", "8,9");
	check("expect count \"tcp\" after #3 before #8 == 4\n", tr, LAB_HOLDS,
	      "count \"tcp\" after #3 before #8 = 4", "3,4,5,6,7,8");
	check("expect count \"tcp\" after 3 before 8 == 4\n", tr, LAB_HOLDS,
	      "count \"tcp\" after 3 before 8 = 4", "4,5,6,7");
	check("expect count \"tcp\" after #10 == 0 && count \"tcp\" before #1 == 0\n", tr,
	      LAB_HOLDS, "count \"tcp\" after #10 = 0, count \"tcp\" before #1 = 0", "1,10");
	trace_free(tr);
}

static void test_values(void **state)
{
	struct trace *tr = mk_trace(notes, 10, 1);
	struct pkt *p4 = &tr->pkts[3];

	(void)state;
	/* Two requests complete in P4: a field reads its first occurrence, a
	 * filter matches any. */
	pkt_clear(p4);
	add_http(p4, "GET POST");
	check("expect #4.http.request.method == \"GET\"\n", tr, LAB_HOLDS,
	      "#4.http.request.method = \"GET\"", "4");
	check("expect (first \"http.request.method == \\\"POST\\\"\").pos == 4\n", tr, LAB_HOLDS,
	      "(first \"http.request.method == \\\"POST\\\"\").pos = 4", "4");
	check("expect #4.http.request.method != \"POST\"\n", tr, LAB_HOLDS,
	      "#4.http.request.method = \"GET\"", "4");
	check("expect (first \"http.response.code == 200\" from server).pos == 6\n", tr, LAB_HOLDS,
	      "(first \"http.response.code == 200\" from server).pos = 6", "6");
	/* Bytes on the wire against payload bytes; "/" is real division. */
	check("expect bytes \"tcp\" == 1037 && payload \"tcp\" == 377\n", tr, LAB_HOLDS,
	      "bytes \"tcp\" = 1037, payload \"tcp\" = 377", "1,2,3,4,5,6,7,8,9,10");
	check("let ratio = bytes \"tcp\" / payload \"tcp\"\nexpect ratio > 2.5\n", tr, LAB_HOLDS,
	      "ratio = 2.750663", NULL);
	check("expect payload \"tcp\" / count \"tcp.len > 0 && tcp.len < 10\" > 0\n", tr, LAB_FAILS,
	      "payload \"tcp\" / count \"tcp.len > 0 && tcp.len < 10\": count \"tcp.len > 0 && "
	      "tcp.len < 10\" is 0 (division by zero)",
	      NULL);
	/* Arithmetic: precedence, unary minus, int and real mixed. */
	check("expect 2 + 3 * 4 == 14 && (2 + 3) * 4 == 20 && -#2.tcp.ack == -1\n", tr, LAB_HOLDS,
	      "-#2.tcp.ack = -1", "2");
	check("expect 2 - 3 - 4 == -5 && 1 + 2 * 3 - 4 / 2 == 5 && 7 / 2 == 3.5\n", tr, LAB_HOLDS,
	      "2 - 3 - 4 == -5 && 1 + 2 * 3 - 4 / 2 == 5 && 7 / 2 == 3.5", "");
	check("expect 9223372036854775807 + #2.tcp.ack > 0\n", tr, LAB_FAILS,
	      "9223372036854775807 + #2.tcp.ack: 9223372036854775807 + #2.tcp.ack overflows", "2");
	check("expect #4.tcp.len - 7 * 11 == 0.0\n", tr, LAB_HOLDS, "#4.tcp.len - 7 * 11 = 0", "4");
	/* Raw numbers: 32-bit values, compared as int64. */
	check("expect #2.tcp.ack_raw == #1.tcp.seq_raw + 1\n", tr, LAB_HOLDS,
	      "#2.tcp.ack_raw = 3000000001, #1.tcp.seq_raw + 1 = 3000000001", "1,2");
	/* Strings and packets. */
	check("expect #1.dir == client && #2.dir != client && #2 == (first \"tcp\" from server)\n",
	      tr, LAB_HOLDS,
	      "#1.dir = \"client\", #2.dir = \"server\", #2 = frame 2, (first \"tcp\" from server) "
	      "= "
	      "frame 2",
	      "1,2");
	check("expect #1.ip.src == \"198.18.0.1\" && #2.ip.dst == \"198.18.0.1\"\n", tr, LAB_HOLDS,
	      "#1.ip.src = \"198.18.0.1\", #2.ip.dst = \"198.18.0.1\"", "1,2");
	/* A kept address outlives later reads of addresses. */
	check("let a = #1.ip.src\nlet b = #2.ip.src\nlet c = #3.ip.src\nlet d = #4.ip.src\n"
	      "let e = #5.ip.src\nexpect a == \"198.18.0.1\" && e == \"198.18.0.2\"\n",
	      tr, LAB_HOLDS, "a = \"198.18.0.1\", e = \"198.18.0.2\"", "1,2,3,4,5");
	/* No IP layer: the field is absent. */
	tr->pkts[0].ipver = 0;
	check("expect #1.ip.src == \"198.18.0.1\"\n", tr, LAB_FAILS,
	      "#1.ip.src: frame 1 has no ip.src", "1");
	trace_free(tr);
}

static void test_ranges_durations(void **state)
{
	struct trace *tr = mk_trace(notes, 10, 1);

	(void)state;
	check("expect count \"tcp\" in 9..11\n", tr, LAB_HOLDS, "count \"tcp\" = 10", NULL);
	check("expect count \"tcp\" in 10..10\n", tr, LAB_HOLDS, "count \"tcp\" = 10", NULL);
	check("expect count \"tcp\" in 11..12\n", tr, LAB_FAILS, "count \"tcp\" = 10", NULL);
	check("expect count \"tcp\" in count \"tcp.len > 0\"..20\n", tr, LAB_HOLDS,
	      "count \"tcp\" = 10, count \"tcp.len > 0\" = 2", NULL);
	/* Durations are seconds: 25ms is 0.025. */
	check("expect #2.t - #1.t in 20ms..30ms\n", tr, LAB_HOLDS, "#2.t - #1.t = 0.025", "1,2");
	check("expect #10.t < 100ms\n", tr, LAB_FAILS, "#10.t = 0.103", "10");
	check("expect #10.t <= 0.103 && #10.t >= 103000us && #10.t > 0.1s\n", tr, LAB_HOLDS,
	      "#10.t = 0.103, #10.t = 0.103, #10.t = 0.103", "10");
	check("expect #2.frame.time_relative == 25ms\n", tr, LAB_HOLDS,
	      "#2.frame.time_relative = 0.025", "2");
	check("expect #5.t - #4.t in 1.5 * 0.016..1.5 * 0.017\n", tr, LAB_HOLDS,
	      "#5.t - #4.t = 0.025", NULL);
	/* Reals print to the microsecond, without trailing zeros. */
	check("expect #1.t - #2.t > 0 || #1.t * 1 != 0\n", tr, LAB_FAILS,
	      "#1.t - #2.t = -0.025, #1.t * 1 = 0", "1,2");
	tr->pkts[9].t = 12.3456789;
	check("expect #10.t == 12\n", tr, LAB_FAILS, "#10.t = 12.345679", "10");
	/* No exponents in literals; a huge real prints as %g. */
	check("let big = 10000000000.0 * 10000000000.0 * 10000000000.0 * 10000000000.0 * "
	      "10000000000.0 * 10000000000.0 * 10000000000.0\n"
	      "expect -#1.t * big == 1 && #10.t * big == 1\n",
	      tr, LAB_FAILS, "-#1.t * big = 0, #10.t * big = 1.23457e+71", "1,10");
	trace_free(tr);
}

static void test_facts(void **state)
{
	struct trace *tr = mk_trace(notes, 10, 1);
	struct lab *l = NULL;
	struct claim_result *r;

	(void)state;
	/* A capture alone cannot say where TIME_WAIT sits: n/a, never fails. */
	check("expect fact \"timewait.side\" == server\n", tr, LAB_NA,
	      "fact \"timewait.side\": no fact \"timewait.side\" (only a live run records it)", "");
	check("expect count \"tcp\" == 10 && fact \"timewait.seconds\" in 50..70\n", tr, LAB_NA,
	      "count \"tcp\" = 10, fact \"timewait.seconds\": no fact \"timewait.seconds\" (only a "
	      "live run records it)",
	      NULL);
	assert_int_equal(trace_set_fact(tr, "timewait.side", "server"), 0);
	assert_int_equal(trace_set_fact(tr, "timewait.seconds", "60"), 0);
	assert_int_equal(trace_set_fact(tr, "timewait.ratio", "0.5"), 0);
	check("expect fact \"timewait.side\" == server\n", tr, LAB_HOLDS,
	      "fact \"timewait.side\" = \"server\"", "");
	check("expect fact \"timewait.side\" == client\n", tr, LAB_FAILS,
	      "fact \"timewait.side\" = \"server\"", "");
	check("expect fact \"timewait.seconds\" in 50..70 && fact \"timewait.ratio\" < 1\n", tr,
	      LAB_HOLDS, "fact \"timewait.seconds\" = 60, fact \"timewait.ratio\" = 0.5", "");
	check("expect fact \"timewait.seconds\" > 200\n", tr, LAB_FAILS,
	      "fact \"timewait.seconds\" = 60", "");
	/* The verdict a lab expects does not change the verdict computed. */
	r = one("expect fact \"timewait.seconds\" > 200\nverdict fails\n"
		"why \"Linux keeps TIME_WAIT 60 s (TCP_TIMEWAIT_LEN), not 4 minutes\"\n",
		tr, &l);
	assert_int_equal(r->verdict, LAB_FAILS);
	assert_int_equal(r->claim->verdict, LAB_FAILS);
	claim_results_free(r, l->nclaims);
	lab_free(l);
	r = one("expect fact \"timewait.seconds\" < 200\nverdict fails\nwhy \"w\"\n", tr, &l);
	assert_int_equal(r->verdict, LAB_HOLDS);
	assert_int_equal(r->claim->verdict, LAB_FAILS);
	assert_string_equal(r->claim->why, "w");
	claim_results_free(r, l->nclaims);
	lab_free(l);
	trace_free(tr);
}

static void test_evidence(void **state)
{
	struct trace *tr = mk_trace(notes, 10, 1);

	(void)state;
	/* Without evidence: every packet the lets and expects touched. */
	check("let a = #4\nlet b = #5\nexpect a.tcp.len > b.tcp.len\n", tr, LAB_HOLDS,
	      "a.tcp.len = 77, b.tcp.len = 0", "4,5");
	/* With evidence: only what it names, in frame order, once each. */
	check("let a = #5\nlet b = #4\nexpect a.tcp.len < b.tcp.len\nevidence b, a, #4\n", tr,
	      LAB_HOLDS, "a.tcp.len = 0, b.tcp.len = 77", "4,5");
	check("expect count \"tcp\" == 10\nevidence count \"tcp.flags.fin == 1\"\n", tr, LAB_HOLDS,
	      "count \"tcp\" = 10", "7,9");
	check("expect count \"tcp\" == 10\nevidence first \"tcp.flags.reset == 1\"\n", tr,
	      LAB_HOLDS, "count \"tcp\" = 10", "");
	/* A report renders values as they are, absent ones as their reason. */
	check("let fin = first \"tcp.flags.fin == 1\" from client\n"
	      "let rst = first \"tcp.flags.reset == 1\"\n"
	      "expect fin.pos == 9\n"
	      "report \"client FIN at {fin}, {fin.dir}, t={fin.t}s; RST: {rst.dir}; "
	      "{\\\"{\\\"}{\\\"}\\\"}\"\n",
	      tr, LAB_HOLDS,
	      "client FIN at frame 9, client, t=0.078s; RST: (no packet matches "
	      "\"tcp.flags.reset == 1\"); {}",
	      "9");
	trace_free(tr);
}

/* Round trips: TLS 1.2 needs two before the client's first application
 * data, TLS 1.3 one; pure ACKs do not count. */
static const struct seg tls12[] = {
	{ C, SYN, 0, 0, 0, 0.000, NULL },
	{ S, SYN | ACK, 0, 1, 0, 0.050, NULL },
	{ C, ACK, 1, 1, 0, 0.050, NULL },
	{ C, PA, 1, 1, 517, 0.051, NULL }, /* ClientHello */
	{ S, ACK, 1, 518, 0, 0.101, NULL },
	{ S, PA, 1, 518, 1200, 0.102, NULL }, /* SH..SHD */
	{ C, ACK, 518, 1201, 0, 0.102, NULL },
	{ C, PA, 518, 1201, 126, 0.103, NULL }, /* CKE, CCS, Finished */
	{ S, PA, 1201, 644, 51, 0.153, NULL },	/* CCS, Finished */
	{ C, PA, 644, 1252, 80, 0.154, NULL },	/* application data */
	{ S, ACK, 1252, 724, 0, 0.204, NULL },
};

static const struct seg tls13[] = {
	{ C, SYN, 0, 0, 0, 0.000, NULL },      { S, SYN | ACK, 0, 1, 0, 0.050, NULL },
	{ C, ACK, 1, 1, 0, 0.050, NULL },      { C, PA, 1, 1, 517, 0.051, NULL }, /* ClientHello */
	{ S, PA, 1, 518, 1400, 0.101, NULL }, /* SH, EE, Cert, CV, Finished */
	{ C, ACK, 518, 1401, 0, 0.101, NULL }, { C, PA, 518, 1401, 74, 0.102, NULL }, /* Finished */
	{ C, PA, 592, 1401, 80, 0.102, NULL }, /* application data */
	{ S, ACK, 1401, 672, 0, 0.152, NULL },
};

static const char rtt_claim[] = "let hello = first \"tcp.len > 0\" from client\n"
				"let data = last \"tcp.len > 0\" from client\n"
				"expect rtts(hello, data) == %d\n";

static void test_rtts(void **state)
{
	struct trace *t12 = mk_trace(tls12, 11, 1), *t13 = mk_trace(tls13, 9, 1);
	char body[256];

	(void)state;
	snprintf(body, sizeof(body), rtt_claim, 2);
	check(body, t12, LAB_HOLDS, "rtts(hello, data) = 2", "4,10");
	check(body, t13, LAB_FAILS, "rtts(hello, data) = 1", "4,8");
	snprintf(body, sizeof(body), rtt_claim, 1);
	check(body, t13, LAB_HOLDS, "rtts(hello, data) = 1", "4,8");
	/* From the SYN, the handshake is one round trip more. */
	check("expect rtts(#1, #10) == 3 && rtts(#1, #1) == 0 && rtts(#4, #6) == 0\n", t12,
	      LAB_HOLDS, "rtts(#1, #10) = 3, rtts(#1, #1) = 0, rtts(#4, #6) = 0", "1,4,6,10");
	check("expect rtts(#10, #4) == 2\n", t12, LAB_FAILS, "rtts(#10, #4): #10 comes after #4",
	      "4,10");
	check("expect rtts(#4, #20) == 2\n", t12, LAB_FAILS,
	      "rtts(#4, #20): no packet #20: the stream has 11", "4");
	trace_free(t12);
	trace_free(t13);
}

static void test_empty_trace(void **state)
{
	struct trace *tr = calloc(1, sizeof(*tr));

	(void)state;
	assert_non_null(tr);
	check("expect count \"tcp\" == 0 && bytes \"tcp\" == 0\n", tr, LAB_HOLDS,
	      "count \"tcp\" = 0, bytes \"tcp\" = 0", "");
	check("expect #1.tcp.len == 0\n", tr, LAB_FAILS,
	      "#1.tcp.len: no packet #1: the stream has 0", "");
	trace_free(tr);
}

static void expr_err(const char *text, size_t off, const char *want)
{
	struct expr *e = NULL;
	size_t used = 0, erroff = 99;
	char err[200] = "";

	assert_int_equal(claim_expr_parse(text, NULL, 0, &e, &used, &erroff, err, sizeof(err)), -1);
	assert_null(e);
	assert_string_equal(err, want);
	assert_int_equal(erroff, off);
}

static void test_expr_errors(void **state)
{
	(void)state;
	expr_err("", 0, "expected an expression, got end of expression");
	expr_err("syn.tcp.seq == 0", 0, "unknown name \"syn\"");
	expr_err("tcp.seq == 1", 0,
		 "field tcp.seq needs a packet: write P.tcp.seq with P a let, #N or (first ...)");
	expr_err("#1.tcp.sqe", 2, "unknown field \"tcp.sqe\"");
	expr_err("count \"tcp.flgs == 1\"", 7, "unknown field \"tcp.flgs\"");
	expr_err("#1 < #2", 3,
		 "cannot compare a packet with a packet by order: compare a field such as "
		 "P.tcp.seq");
	expr_err("#1 == 1", 3,
		 "cannot compare a packet with a number: compare a field such as P.tcp.seq");
	expr_err("count \"tcp\" == \"x\"", 12, "cannot compare a number with a string");
	expr_err("(#1 == #2) < 1", 11, "cannot compare a condition with a number");
	expr_err("(#1 == #2) < (#1 == #3)", 11, "cannot order conditions");
	expr_err("#1 + 1", 0, "\"+\": expected a number, got a packet");
	expr_err("#1.dir * 2", 0, "\"*\": expected a number, got a string");
	expr_err("1 - #1", 4, "\"-\": expected a number, got a packet");
	expr_err("-#1", 1, "\"-\": expected a number, got a packet");
	expr_err("first 5", 6, "expected a display filter string after \"first\", got \"5\"");
	expr_err("count", 5,
		 "expected a display filter string after \"count\", got end of expression");
	expr_err("#0", 0, "packets are numbered from 1, got #0");
	expr_err("# 1", 0, "expected a packet number after \"#\" (#1: the stream's first packet)");
	expr_err("nth 0 \"tcp\"", 4, "nth counts from 1, got 0");
	expr_err("nth x \"tcp\"", 4, "expected a number after \"nth\", got \"x\"");
	expr_err("(1 + 2", 6, "expected \")\", got end of expression");
	expr_err("count \"tcp\" in 1 3", 17, "expected \"..\" (a range is LOW..HIGH), got \"3\"");
	expr_err("count \"tcp\" in", 14, "expected an expression, got end of expression");
	expr_err("#1.dir in 1..2", 0, "in: expected a number, got a string");
	expr_err("rtts #1", 5, "expected \"(\" after \"rtts\", got \"#1\"");
	expr_err("rtts(#1)", 7, "expected \",\", got \")\"");
	expr_err("rtts(#1, 2)", 9, "rtts: expected a packet, got a number");
	expr_err("first \"tcp\" from nobody", 17,
		 "expected client or server after \"from\", got \"nobody\"");
	expr_err("first \"tcp\" from client from server", 24, "\"from\" given twice");
	expr_err("first \"tcp\" after #1 after #2", 21, "\"after\" given twice");
	expr_err("first \"tcp\" after \"x\"", 18,
		 "after: expected a packet or a position, got a string");
	expr_err("fact x", 5, "expected a fact name string after \"fact\", got \"x\"");
	expr_err("count \"tcp\".tcp.seq", 11,
		 "expected a packet before \".tcp.seq\", got a number");
	expr_err("#1.tcp.seq.n", 2, "unknown field \"tcp.seq.n\"");
	expr_err("(#1.tcp.seq).n", 12, "expected a packet before \".n\", got a field value");
	expr_err("#1 @", 3, "unexpected character \"@\"");
	expr_err("#1.t < 5min", 8, "expected a unit s, ms or us, got \"min\"");
	expr_err("\"a\\tb\"", 2, "expected an escape \\\" \\\\ or \\n, got \"\\t\"");
	expr_err("\"ab", 0, "unterminated string");
	expr_err("== 1", 0, "expected an expression, got \"==\"");
	expr_err("from", 0, "expected an expression, got \"from\"");
	expr_err("99999999999999999999", 0, "expected a number, got \"99999999999999999999\"");
}

static void test_expr_used(void **state)
{
	struct expr *e = NULL;
	size_t used = 0, erroff = 0;
	char err[200] = "";

	(void)state;
	/* The parser stops before what is not its own: a list, a template's "}". */
	assert_int_equal(claim_expr_parse("count \"tcp\" == 10, #1", NULL, 0, &e, &used, &erroff,
					  err, sizeof(err)),
			 0);
	assert_int_equal(used, 17);
	claim_expr_free(e);
	e = NULL;
	assert_int_equal(claim_expr_parse("#1.n}", NULL, 0, &e, &used, &erroff, err, sizeof(err)),
			 0);
	assert_int_equal(used, 4);
	claim_expr_free(e);
	claim_expr_free(NULL);
	assert_true(claim_reserved("count"));
	assert_true(claim_reserved("before"));
	assert_false(claim_reserved("syn"));
	assert_string_equal(claim_verdict_name(LAB_HOLDS), "holds");
	assert_string_equal(claim_verdict_name(LAB_FAILS), "fails");
	assert_string_equal(claim_verdict_name(LAB_NA), "n/a");
	claim_results_free(NULL, 3);
}

/* Questions: the answer each capture calls for, with its evidence; n/a with
 * why when the capture cannot show it. */
static const char questions_lab[] =
	"lab q\ntitle \"t\"\nstream http\n"
	"question q.get_ack\n  text \"ack of the server's ACK of the GET?\"\n"
	"  let get = first \"http.request.method\" from client\n"
	"  answer (first \"tcp.len == 0 && tcp.flags.ack == 1\" from server after get).tcp.ack\n"
	"question q.method\n  text \"method?\"\n  answer (first "
	"\"http.request.method\").http.request.method\n"
	"question q.t\n  text \"when is the response?\"\n"
	"  answer (first \"http.response.code\").t - #1.t\n"
	"question q.ghost\n  text \"the RST?\"\n  answer (first \"tcp.flags.reset == 1\").n\n"
	"question q.fin\n  text \"a FIN from the server?\"\n"
	"  applies count \"tcp.flags.fin == 1\" from server > 0\n  answer #1.n\n";

static void test_questions(void **state)
{
	struct trace *tr = mk_trace(notes, sizeof(notes) / sizeof(notes[0]), 1);
	struct lab *l = parse("labs/q.lab", questions_lab);
	struct claim_result *r = NULL;
	char err[300] = "";

	(void)state;
	assert_int_equal(claim_eval_questions(l, tr, &r, err, sizeof(err)), 0);
	assert_int_equal(r[0].verdict, LAB_HOLDS);
	assert_string_equal(r[0].observed, "78");
	assert_packets(&r[0], "4,5");
	assert_string_equal(r[1].observed, "GET");
	assert_string_equal(r[2].observed, "0.052");
	assert_int_equal(r[3].verdict, LAB_NA);
	assert_non_null(strstr(r[3].observed, "the capture does not show it: "));
	assert_int_equal(r[4].verdict, LAB_HOLDS);
	claim_results_free(r, l->nquestions);
	r = NULL;
	/* The same lab on a capture where only the client closes. */
	trace_free(tr);
	tr = mk_trace(notes, 6, 1);
	assert_int_equal(claim_eval_questions(l, tr, &r, err, sizeof(err)), 0);
	assert_int_equal(r[4].verdict, LAB_NA);
	assert_non_null(strstr(r[4].observed, "does not apply"));
	claim_results_free(r, l->nquestions);
	trace_free(tr);
	lab_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_notes),	 cmocka_unit_test(test_curl_linux),
		cmocka_unit_test(test_fails_observed),	 cmocka_unit_test(test_values),
		cmocka_unit_test(test_ranges_durations), cmocka_unit_test(test_facts),
		cmocka_unit_test(test_evidence),	 cmocka_unit_test(test_rtts),
		cmocka_unit_test(test_empty_trace),	 cmocka_unit_test(test_expr_errors),
		cmocka_unit_test(test_expr_used),	 cmocka_unit_test(test_questions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

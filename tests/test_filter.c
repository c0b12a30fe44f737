/* tests/test_filter.c — the display-filter subset: every error message, and
 * matching over hand-built packets (several occurrences, "!=", addresses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness/filter.h"
#include "harness/pkt.h"

/* A TCP segment between 198.18.0.1:41234 (client) and 198.18.0.2:80. */
static void mk(struct pkt *p, uint32_t n, int dir, uint8_t flags, uint32_t len)
{
	static const uint8_t c[4] = { 198, 18, 0, 1 }, s[4] = { 198, 18, 0, 2 };

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->t = 0.010 * n;
	p->ipver = 4;
	memcpy(p->src, dir == PKT_DIR_CLIENT ? c : s, 4);
	memcpy(p->dst, dir == PKT_DIR_CLIENT ? s : c, 4);
	p->is_tcp = 1;
	p->sport = dir == PKT_DIR_CLIENT ? 41234 : 80;
	p->dport = dir == PKT_DIR_CLIENT ? 80 : 41234;
	p->flags = flags;
	p->ack_valid = (flags & TCPF_ACK) != 0;
	p->len = len;
	p->wirelen = 66 + len;
	p->dir = (int8_t)dir;
}

static int match(const char *text, const struct pkt *p)
{
	struct filter *f = NULL;
	char err[200] = "";
	int r;

	if (filter_parse(text, &f, err, sizeof(err)) != 0)
		fail_msg("filter %s: %s", text, err);
	r = filter_match(f, p);
	filter_free(f);
	return r;
}

static void parse_error(const char *text, const char *want)
{
	struct filter *f = NULL;
	char err[200] = "";

	assert_int_equal(filter_parse(text, &f, err, sizeof(err)), -1);
	assert_null(f);
	assert_string_equal(err, want);
}

static void test_flags(void **state)
{
	struct pkt syn, synack, ack;

	(void)state;
	mk(&syn, 1, PKT_DIR_CLIENT, TCPF_SYN, 0);
	mk(&synack, 2, PKT_DIR_SERVER, TCPF_SYN | TCPF_ACK, 0);
	mk(&ack, 3, PKT_DIR_CLIENT, TCPF_ACK, 0);
	assert_true(match("tcp.flags.syn == 1 && tcp.flags.ack == 0", &syn));
	assert_false(match("tcp.flags.syn == 1 && tcp.flags.ack == 0", &synack));
	assert_true(match("tcp.flags.syn == 1 and tcp.flags.ack == 1", &synack));
	assert_true(match("tcp.flags == 0x12", &synack));
	assert_true(match("tcp.flags eq 18", &synack));
	assert_false(match("tcp.flags == 0x12", &syn));
	assert_true(match("tcp.flags.syn == true", &syn));
	assert_true(match("tcp.flags.syn == false", &ack));
	/* A bare field tests presence: the SYN bit of a TCP packet is always there. */
	assert_true(match("tcp.flags.syn", &ack));
	assert_true(match("tcp", &ack));
	/* ... but analysis flags are present only when set. */
	assert_false(match("tcp.analysis.retransmission", &ack));
	ack.analysis = PKT_AN_RETRANSMISSION;
	assert_true(match("tcp.analysis.retransmission", &ack));
}

static void test_logic_precedence(void **state)
{
	struct pkt p;

	(void)state;
	mk(&p, 4, PKT_DIR_CLIENT, TCPF_PSH | TCPF_ACK, 77);
	/* && binds tighter than ||. */
	assert_true(match("tcp.len == 0 && tcp.flags.syn == 1 || tcp.len > 0", &p));
	assert_false(match("tcp.len == 0 && (tcp.flags.syn == 1 || tcp.len > 0)", &p));
	assert_true(match("!(tcp.len == 0)", &p));
	assert_true(match("not tcp.len == 0", &p));
	assert_false(match("! ! (tcp.len == 0)", &p));
	assert_true(match("tcp.len>0", &p));
	assert_true(
		match("tcp.len ge 77 and tcp.len le 77 and tcp.len gt 76 and tcp.len lt 78", &p));
	assert_true(match("tcp.len >= 77 && tcp.len <= 77 && tcp.len != 76", &p));
	assert_false(match("tcp.len < 77 or tcp.len > 77", &p));
	assert_true(match("tcp.len == -1 || tcp.len == 77", &p));
	assert_true(match("frame.len == 143", &p));
	assert_true(match("frame.time_relative > 0.035 && frame.time_relative < 0.045", &p));
	assert_true(match("frame.number == 4", &p));
}

/* tcp.port and ip.addr occur twice in every packet: a test holds if any
 * occurrence satisfies it, "!=" only if no occurrence equals. */
static void test_occurrences(void **state)
{
	struct pkt c, s;

	(void)state;
	mk(&c, 1, PKT_DIR_CLIENT, TCPF_ACK, 0);
	mk(&s, 2, PKT_DIR_SERVER, TCPF_ACK, 0);
	assert_true(match("tcp.port == 80", &c));
	assert_true(match("tcp.port == 80", &s));
	assert_true(match("tcp.port == 41234", &s));
	assert_false(match("tcp.port != 80", &c));
	assert_true(match("tcp.port != 443", &c));
	assert_true(match("!(tcp.port == 443)", &c));
	assert_true(match("tcp.port > 40000", &c));
	assert_false(match("tcp.port > 50000", &c));
	assert_true(match("ip.addr == 198.18.0.2", &c));
	assert_false(match("ip.addr != 198.18.0.2", &c));
	assert_true(match("ip.addr != 198.18.0.9", &c));
	assert_true(match("ip.src == 198.18.0.1 && ip.dst == 198.18.0.2", &c));
	assert_false(match("ip.src == 198.18.0.1", &s));
	assert_true(match("ip.src > 198.18.0.1", &s));
	assert_true(match("ip.src == \"198.18.0.2\"", &s));
	assert_true(match("tcp.dstport == 80 and tcp.srcport == 41234", &c));
}

/* A packet without the field: every comparison is false, "!=" too (as in
 * Wireshark >= 3.6); its negation is true. */
static void test_absent(void **state)
{
	struct pkt arp;

	(void)state;
	memset(&arp, 0, sizeof(arp));
	arp.n = 1;
	arp.wirelen = 42;
	arp.dir = PKT_DIR_NONE;
	assert_false(match("tcp", &arp));
	assert_false(match("tcp.port == 80", &arp));
	assert_false(match("tcp.port != 80", &arp));
	assert_true(match("!(tcp.port == 80)", &arp));
	assert_false(match("ip.src == 198.18.0.1", &arp));
	assert_false(match("ip.src", &arp));
	assert_true(match("frame.len == 42", &arp));
	assert_false(match("http.request.method != \"GET\"", &arp));
}

static void test_http_fields(void **state)
{
	struct pkt p;

	(void)state;
	mk(&p, 4, PKT_DIR_CLIENT, TCPF_PSH | TCPF_ACK, 150);
	/* Two pipelined requests complete in this segment. */
	assert_int_equal(pkt_add_group(&p, "http"), 0);
	assert_int_equal(pkt_add_str(&p, "http.request.method", "GET", 3), 0);
	assert_int_equal(pkt_add_str(&p, "http.request.uri", "/index.html", 11), 0);
	assert_int_equal(pkt_add_group(&p, "http"), 0);
	assert_int_equal(pkt_add_str(&p, "http.request.method", "POST", 4), 0);
	assert_int_equal(pkt_add_int(&p, "http.content_length", 12), 0);
	assert_true(match("http", &p));
	assert_true(match("http.request.method == \"GET\"", &p));
	assert_true(match("http.request.method == \"POST\"", &p));
	assert_false(match("http.request.method != \"GET\"", &p));
	assert_true(match("http.request.method != \"PUT\"", &p));
	assert_true(match("http.request.method contains \"OS\"", &p));
	assert_false(match("http.request.method contains \"PUT\"", &p));
	assert_true(match("http.request.uri contains \".html\"", &p));
	assert_true(match("http.request.method == \"\\x47ET\"", &p));
	assert_true(match("http.request.method > \"GET\"", &p)); /* "POST" */
	assert_false(match("http.request.method < \"GET\"", &p));
	/* Strings and numbers do not compare: false, and "!=" true. */
	assert_false(match("http.request.method == 3", &p));
	assert_true(match("http.request.method != 3", &p));
	assert_false(match("http.content_length contains \"1\"", &p));
	assert_true(match("http.content_length == 12", &p));
	assert_false(match("http.response.code", &p));
	pkt_clear(&p);
}

static void test_errors(void **state)
{
	(void)state;
	parse_error("", "col 1: expected a field name, got end of filter");
	parse_error("   ", "col 4: expected a field name, got end of filter");
	parse_error("tcp.flgs == 1", "col 1: unknown field \"tcp.flgs\"");
	parse_error("tcp.len > 0 && tcp.sqe", "col 16: unknown field \"tcp.sqe\"");
	parse_error("tcp.len >", "col 10: expected a number, a string or an IPv4 address, "
				 "got end of filter");
	parse_error("tcp.len == abc",
		    "col 12: expected a number, a string or an IPv4 address, got \"abc\"");
	parse_error("tcp.len > 0 tcp.seq",
		    "col 13: expected \"&&\", \"||\" or the end of the filter, got \"tcp.seq\"");
	parse_error("(tcp.len > 0", "col 1: unbalanced \"(\": no \")\" before the end of filter");
	parse_error("(tcp.len > 0 tcp.seq", "col 14: expected \")\", got \"tcp.seq\"");
	parse_error("tcp.len > 0)", "col 12: unbalanced \")\"");
	parse_error("http.request.method == \"GET", "col 24: unterminated string");
	parse_error("http.host == \"a\\qb\"",
		    "col 16: expected an escape \\\" \\\\ \\n \\r \\t or \\xHH, got \"\\q\"");
	parse_error("http.host == \"\\x4\"", "col 15: expected two hex digits after \\x");
	parse_error("http.host == \"a\\", "col 14: unterminated string");
	parse_error("tcp.port == 010",
		    "col 13: ambiguous number \"010\" (Wireshark reads a leading "
		    "0 as octal): write it without the 0 or in 0x hex");
	parse_error("tcp.len contains 5",
		    "col 18: expected a string after \"contains\", got \"5\"");
	parse_error("tcp.len @ 3", "col 9: unexpected character \"@\"");
	parse_error("== 1", "col 1: expected a field name, got \"==\"");
	parse_error("tcp.len == 1 &&", "col 16: expected a field name, got end of filter");
	parse_error("tcp.len == \"x\" and \"y\"",
		    "col 20: expected a field name, got the string \"y\"");
	parse_error("tcp.len == 0xfffffffffffffffff",
		    "col 12: expected a number, a string or an IPv4 address, "
		    "got \"0xfffffffffffffffff\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),	    cmocka_unit_test(test_logic_precedence),
		cmocka_unit_test(test_occurrences), cmocka_unit_test(test_absent),
		cmocka_unit_test(test_http_fields), cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

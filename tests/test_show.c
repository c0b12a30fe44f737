/* tests/test_show.c — harness/show.c: the flag letters against tcpdump, and
 * one packet's JSON Lines object against INTERFACE.md.
 *
 * The expected letters are what tcpdump 4.99 prints for the same flags: its
 * print-tcp.c lists them in the order F S R P . U E W (FIN, SYN, RST, PSH,
 * ACK, URG, ECE, CWR), so an ECN SYN-ACK is "S.E", not "SE.".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/pkt.h"
#include "harness/show.h"

static void test_tcp_flags_as_tcpdump(void **state)
{
	/* tcpdump -n -r of one frame with each flags byte. */
	static const struct {
		uint8_t flags;
		const char *tcpdump;
	} cases[] = {
		{ 0x02, "S" },	  { 0x12, "S." },	{ 0x10, "." },	 { 0x18, "P." },
		{ 0x11, "F." },	  { 0x19, "FP." },	{ 0x14, "R." },	 { 0x04, "R" },
		{ 0x00, "none" }, { 0x01, "F" },	{ 0x03, "FS" },	 { 0x1c, "RP." },
		{ 0x30, ".U" },	  { 0x52, "S.E" },	{ 0xc2, "SEW" }, { 0x50, ".E" },
		{ 0x90, ".W" },	  { 0xff, "FSRP.UEW" },
	};
	struct pkt p;
	char buf[16];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.is_tcp = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.flags = cases[i].flags;
		show_tcp_flags(&p, buf, sizeof(buf));
		print_message("flags %#04x: wirelab \"%s\", tcpdump \"%s\"\n", cases[i].flags, buf,
			      cases[i].tcpdump);
		assert_string_equal(buf, cases[i].tcpdump);
	}
}

/* A short buffer truncates, never overflows. */
static void test_tcp_flags_short_buffer(void **state)
{
	struct pkt p;
	char buf[4];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.is_tcp = 1;
	p.flags = 0xff;
	memset(buf, 'x', sizeof(buf));
	show_tcp_flags(&p, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
}

/* INTERFACE.md: flags as a number, seq/ack relative, ack 0 without the ACK
 * flag, analysis by Wireshark's field names, malformed frames say so. */
static void test_packet_json(void **state)
{
	struct pkt p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.n = 7;
	p.t = 0.25;
	p.ipver = 4;
	memcpy(p.src, "\xc6\x12\x00\x01", 4);
	memcpy(p.dst, "\xc6\x12\x00\x02", 4);
	p.is_tcp = 1;
	p.sport = 41234;
	p.dport = 80;
	p.stream = 3;
	p.flags = TCPF_PSH; /* no ACK: the ack field means nothing */
	p.ack = 99;
	p.ack_valid = 0;
	p.seq = 101;
	p.len = 100;
	p.analysis = PKT_AN_RETRANSMISSION;
	snprintf(p.info, sizeof(p.info), "x");
	snprintf(p.err, sizeof(p.err), "tcp: payload cut short (10 of 100 bytes captured)");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	show_packet_json(f, &p);
	fclose(f);
	assert_string_equal(text,
			    "{\"n\": 7, \"t\": 0.250000, \"src\": \"198.18.0.1\", "
			    "\"sport\": 41234, \"dst\": \"198.18.0.2\", \"dport\": 80, "
			    "\"stream\": 3, \"flags\": 8, \"seq\": 101, \"ack\": 0, "
			    "\"len\": 100, \"analysis\": [\"retransmission\"], \"info\": \"x\", "
			    "\"malformed\": \"tcp: payload cut short (10 of 100 bytes "
			    "captured)\"}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_flags_as_tcpdump),
		cmocka_unit_test(test_tcp_flags_short_buffer),
		cmocka_unit_test(test_packet_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/test_lab.c — lab scripts: a full lab parsed into every field, and
 * every parse error with its exact one-line message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/claim.h"
#include "harness/filter.h"
#include "harness/lab.h"

static const char full_lab[] =
	"# The notes' curl lab, with every statement the language has.\n"
	"lab http\n"
	"title \"Wiresharking curl: one GET, ten TCP packets\"   # a comment\n"
	"section \"Wiresharking CURL\"\n"
	"stream http\n"
	"host client 198.18.0.1\n"
	"host pi 198.19.255.254\n"
	"link delay 25ms\n"
	"link rate 100mbit\n"
	"link mtu 1500\n"
	"link drop to-client \"tcp.len == 0 && tcp.flags.ack == 1\" nth 2\n"
	"link drop to-pi \"tcp.flags.fin == 1\"\n"
	"sysctl both net.ipv4.tcp_rmem \"4096 131072 6291456\"\n"
	"sysctl pi net.ipv4.tcp_timestamps 0\n"
	"file index.html <<EOF\n"
	"<h1>hello # not a comment</h1>\n"
	"  indented \"as written\"\n"
	"  EOF  \n"
	"server pi \"{labs}/httpd1 -p 80 -f {dir}/index.html\" ready 80\n"
	"server pi \"sh -c 'exec sleep 100' a\\\\ b\" as sleeper\n"
	"client client \"curl -s http://{pi}/\" timeout 5s\n"
	"\n"
	"claim http.syn\n"
	"  text \"P1 is the client's SYN, with its ISN, length 0\"\n"
	"  expected \"SYN only, length 0, from the client\"\n"
	"  let syn = #1\n"
	"  expect syn.tcp.flags == 0x02   # SYN alone\n"
	"  expect syn.dir == client && syn.tcp.len == 0\n"
	"  evidence syn, #2\n"
	"\n"
	"claim http.server_fin\n"
	"  text \"P7: the server sends FIN-ACK first\"\n"
	"  let fin = first \"tcp.flags.fin == 1\"\n"
	"  expect fin.dir == server\n"
	"  report \"first FIN from the {fin.dir} at frame {fin.n}\"\n"
	"  verdict fails\n"
	"  why \"curl closes first against a keep-alive server\"\n";

static void test_full(void **state)
{
	struct lab *l = NULL;
	char err[256] = "";
	struct pkt p;

	(void)state;
	if (lab_parse("labs/http.lab", full_lab, strlen(full_lab), &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(l->path, "labs/http.lab");
	assert_string_equal(l->id, "http");
	assert_string_equal(l->title, "Wiresharking curl: one GET, ten TCP packets");
	assert_string_equal(l->section, "Wiresharking CURL");
	assert_int_equal(l->kind, TRACE_HTTP);
	assert_string_equal(l->addr[LAB_CLIENT], "198.18.0.1");
	assert_string_equal(l->addr[LAB_PI], "198.19.255.254");
	assert_int_equal(l->delay_us[0], 25000);
	assert_int_equal(l->delay_us[1], 25000);
	assert_int_equal(l->rate_bps, 100000000);
	assert_int_equal(l->mtu, 1500);

	assert_int_equal(l->ndrops, 2);
	assert_int_equal(l->drops[0].dir, 1);
	assert_int_equal(l->drops[0].nth, 2);
	assert_int_equal(l->drops[0].line, 11);
	assert_string_equal(l->drops[0].filter_text, "tcp.len == 0 && tcp.flags.ack == 1");
	memset(&p, 0, sizeof(p));
	p.is_tcp = 1;
	p.flags = TCPF_ACK;
	assert_true(filter_match(l->drops[0].filter, &p));
	assert_false(filter_match(l->drops[1].filter, &p));
	assert_int_equal(l->drops[1].dir, 0);
	assert_int_equal(l->drops[1].nth, 1);

	assert_int_equal(l->nsysctls, 2);
	assert_int_equal(l->sysctls[0].host, LAB_BOTH);
	assert_string_equal(l->sysctls[0].key, "net.ipv4.tcp_rmem");
	assert_string_equal(l->sysctls[0].value, "4096 131072 6291456");
	assert_int_equal(l->sysctls[1].host, LAB_PI);
	assert_string_equal(l->sysctls[1].value, "0");
	assert_int_equal(l->sysctls[1].line, 14);

	assert_int_equal(l->nfiles, 1);
	assert_string_equal(l->files[0].name, "index.html");
	assert_string_equal(l->files[0].body,
			    "<h1>hello # not a comment</h1>\n  indented \"as written\"\n");
	assert_int_equal(l->files[0].line, 15);

	assert_int_equal(l->nprogs, 3);
	assert_int_equal(l->progs[0].kind, LAB_PROG_SERVER);
	assert_int_equal(l->progs[0].host, LAB_PI);
	assert_string_equal(l->progs[0].name, "server");
	assert_string_equal(l->progs[0].argv[0], "{labs}/httpd1");
	assert_string_equal(l->progs[0].argv[4], "{dir}/index.html");
	assert_null(l->progs[0].argv[5]);
	assert_int_equal(l->progs[0].ready_port, 80);
	assert_int_equal(l->progs[0].line, 19);
	assert_string_equal(l->progs[1].name, "sleeper");
	assert_string_equal(l->progs[1].argv[0], "sh");
	assert_string_equal(l->progs[1].argv[1], "-c");
	assert_string_equal(l->progs[1].argv[2], "exec sleep 100");
	assert_string_equal(l->progs[1].argv[3], "a b");
	assert_null(l->progs[1].argv[4]);
	assert_int_equal(l->progs[1].ready_port, 0);
	assert_int_equal(l->progs[2].kind, LAB_PROG_CLIENT);
	assert_int_equal(l->progs[2].host, LAB_CLIENT);
	assert_string_equal(l->progs[2].name, "client");
	assert_string_equal(l->progs[2].argv[2], "http://{pi}/");
	assert_int_equal(l->progs[2].timeout_ms, 5000);

	assert_int_equal(l->nclaims, 2);
	assert_string_equal(l->claims[0].id, "http.syn");
	assert_int_equal(l->claims[0].line, 23);
	assert_string_equal(l->claims[0].text, "P1 is the client's SYN, with its ISN, length 0");
	assert_string_equal(l->claims[0].expected, "SYN only, length 0, from the client");
	assert_int_equal(l->claims[0].nlets, 1);
	assert_string_equal(l->claims[0].lets[0].name, "syn");
	assert_int_equal(l->claims[0].lets[0].line, 26);
	assert_int_equal(l->claims[0].nexpects, 2);
	assert_string_equal(l->claims[0].expect_texts[0], "syn.tcp.flags == 0x02");
	assert_string_equal(l->claims[0].expect_texts[1], "syn.dir == client && syn.tcp.len == 0");
	assert_int_equal(l->claims[0].nevidence, 2);
	assert_null(l->claims[0].report);
	assert_int_equal(l->claims[0].verdict, LAB_HOLDS);
	assert_null(l->claims[0].why);
	assert_string_equal(l->claims[1].report, "first FIN from the {fin.dir} at frame {fin.n}");
	assert_int_equal(l->claims[1].verdict, LAB_FAILS);
	assert_string_equal(l->claims[1].why, "curl closes first against a keep-alive server");
	assert_null(l->claims[1].expected);
	lab_free(l);
}

/* A file saved with CRLF line ends reads the same. */
static void test_crlf(void **state)
{
	char *crlf = malloc(2 * sizeof(full_lab));
	struct lab *l = NULL;
	char err[256] = "";
	size_t n = 0;

	(void)state;
	assert_non_null(crlf);
	for (const char *s = full_lab; *s; s++) {
		if (*s == '\n')
			crlf[n++] = '\r';
		crlf[n++] = *s;
	}
	if (lab_parse("labs/http.lab", crlf, n, &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(l->title, "Wiresharking curl: one GET, ten TCP packets");
	assert_string_equal(l->files[0].body,
			    "<h1>hello # not a comment</h1>\n  indented \"as written\"\n");
	assert_string_equal(l->sysctls[1].value, "0");
	assert_string_equal(l->progs[2].argv[2], "http://{pi}/");
	assert_int_equal(l->progs[2].timeout_ms, 5000);
	assert_string_equal(l->claims[0].expect_texts[1], "syn.dir == client && syn.tcp.len == 0");
	assert_string_equal(l->claims[1].why, "curl closes first against a keep-alive server");
	assert_int_equal(l->claims[1].verdict, LAB_FAILS);
	lab_free(l);
	free(crlf);
}

/* Defaults, a one-way delay, and a name without directory or suffix. */
static void test_defaults(void **state)
{
	static const char text[] = "lab tls13\ntitle \"TLS 1.3\"\nstream tls\n"
				   "link delay 1.5ms to-client\nlink rate 1.5gbit\n"
				   "client pi \"true\"\n";
	struct lab *l = NULL;
	char err[256] = "";

	(void)state;
	if (lab_parse("tls13", text, strlen(text), &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_null(l->section);
	assert_null(l->addr[0]);
	assert_null(l->addr[1]);
	assert_int_equal(l->delay_us[0], 0);
	assert_int_equal(l->delay_us[1], 1500);
	assert_int_equal(l->rate_bps, 1500000000);
	assert_int_equal(l->mtu, 0);
	assert_int_equal(l->kind, TRACE_TLS);
	assert_int_equal(l->progs[0].timeout_ms, 10000);
	assert_int_equal(l->nclaims, 0);
	lab_free(l);
	lab_free(NULL);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/wl-test-lab-XXXXXX", path[64], err[256] = "";
	struct lab *l = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/http.lab", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(full_lab, f);
	fclose(f);
	if (lab_load(path, &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(l->id, "http");
	assert_string_equal(l->path, path);
	assert_int_equal(l->nclaims, 2);
	lab_free(l);
	l = NULL;
	unlink(path);
	assert_int_equal(lab_load(path, &l, err, sizeof(err)), -1);
	assert_null(l);
	{
		char want[128];

		snprintf(want, sizeof(want), "cannot read %s: No such file or directory", path);
		assert_string_equal(err, want);
	}
	rmdir(dir);
}

#define HEAD "lab x\ntitle \"t\"\nstream any\n" /* lines 1-3 */

static void parse_err(const char *text, const char *want)
{
	struct lab *l = NULL;
	char err[300] = "";

	assert_int_equal(lab_parse("labs/x.lab", text, strlen(text), &l, err, sizeof(err)), -1);
	assert_null(l);
	assert_string_equal(err, want);
}

static void test_err_statements(void **state)
{
	(void)state;
	parse_err(HEAD "foo bar\n", "labs/x.lab:4:1: unknown statement \"foo\"");
	parse_err(HEAD "  expect count \"tcp\" == 1\n",
		  "labs/x.lab:4:3: expect belongs to a claim: start one with claim ID");
	parse_err("lab y\n", "labs/x.lab:1:5: expected \"x\" (the file's name), got \"y\"");
	parse_err("lab\n", "labs/x.lab:1:4: expected the lab's id, got end of line");
	parse_err("lab x\nlab x\n", "labs/x.lab:2:1: lab given twice (first at line 1)");
	parse_err("title \"t\"\nstream any\n", "labs/x.lab: missing a lab ID statement");
	parse_err("lab x\nstream any\n", "labs/x.lab: missing a title \"...\" statement");
	parse_err("lab x\ntitle \"t\"\n", "labs/x.lab: missing a stream KIND statement");
	parse_err(HEAD "title \"u\"\n", "labs/x.lab:4:1: title given twice");
	parse_err("lab x\ntitle t\n",
		  "labs/x.lab:2:7: expected a string in double quotes, got \"t\"");
	parse_err("lab x\ntitle \"t\" more\n",
		  "labs/x.lab:2:11: expected end of line, got \"more\"");
	parse_err("lab x\ntitle \"t\n", "labs/x.lab:2:7: unterminated string");
	parse_err("lab x\ntitle \"a\\tb\"\n",
		  "labs/x.lab:2:9: expected an escape \\\" \\\\ or \\n, got \"\\t\"");
	parse_err("lab x\nstream udp\n",
		  "labs/x.lab:2:8: expected a stream kind: http, websocket, tls, ssh or any, got "
		  "\"udp\"");
	parse_err(HEAD "stream any\n", "labs/x.lab:4:1: stream given twice (first at line 3)");
	{
		static const char nul[] = "lab x\ntitle \"t\"\nstr\0eam any\n";
		struct lab *l = NULL;
		char err[200];

		assert_int_equal(
			lab_parse("labs/x.lab", nul, sizeof(nul) - 1, &l, err, sizeof(err)), -1);
		assert_string_equal(err, "labs/x.lab:3:4: NUL byte: a lab script is text");
	}
}

static void test_err_topology(void **state)
{
	(void)state;
	parse_err(HEAD "host pi 10.0.0.1\n",
		  "labs/x.lab:4:9: expected an IPv4 address in 198.18.0.0/15, got \"10.0.0.1\"");
	parse_err(HEAD "host pi 198.20.0.1\n",
		  "labs/x.lab:4:9: expected an IPv4 address in 198.18.0.0/15, got \"198.20.0.1\"");
	parse_err(
		HEAD "host pi 198.18.0.256\n",
		"labs/x.lab:4:9: expected an IPv4 address in 198.18.0.0/15, got \"198.18.0.256\"");
	parse_err(HEAD "host router 198.18.0.1\n",
		  "labs/x.lab:4:6: expected a host: client or pi, got \"router\"");
	parse_err(HEAD "host pi 198.18.0.1\nhost client 198.18.0.1\n",
		  "labs/x.lab:5:13: client and pi need different addresses, got 198.18.0.1 twice");
	parse_err(HEAD "host pi 198.18.0.1\nhost pi 198.18.0.2\n",
		  "labs/x.lab:5:1: host pi given twice (first at line 4)");
	parse_err(HEAD "link delay 25\n",
		  "labs/x.lab:4:12: expected a duration such as 25ms, got \"25\"");
	parse_err(HEAD "link delay 25 ms\n",
		  "labs/x.lab:4:12: expected a duration such as 25ms, got \"25\"");
	parse_err(HEAD "link delay 2min\n",
		  "labs/x.lab:4:12: expected a duration such as 25ms, got \"2min\"");
	parse_err(HEAD "link delay 61s\n",
		  "labs/x.lab:4:12: expected a duration of at most 60s, got \"61s\"");
	parse_err(HEAD "link delay 5ms sideways\n",
		  "labs/x.lab:4:16: expected a direction: to-pi or to-client, got \"sideways\"");
	parse_err(HEAD "link delay 5ms to-pi\nlink delay 5ms\n",
		  "labs/x.lab:5:6: delay to-pi already set at line 4");
	parse_err(HEAD "link rate 100mb\n",
		  "labs/x.lab:4:11: expected a rate such as 100mbit, got \"100mb\"");
	parse_err(HEAD "link mtu 10\n",
		  "labs/x.lab:4:10: expected an MTU from 68 to 65535, got \"10\"");
	parse_err(HEAD "link jitter 5ms\n",
		  "labs/x.lab:4:6: expected delay, rate, mtu or drop, got \"jitter\"");
	parse_err(HEAD "link drop to-pi \"tcp.flgs == 1\"\n",
		  "labs/x.lab:4:18: unknown field \"tcp.flgs\"");
	parse_err(HEAD "link drop to-pi \"tcp.len > 0 &&\"\n",
		  "labs/x.lab:4:32: expected a field name, got end of filter");
	parse_err(HEAD "link drop to-pi \"tcp.len > 0\" nth 0\n",
		  "labs/x.lab:4:35: expected a packet count from 1, got \"0\"");
	parse_err(HEAD "link drop to-pi \"tcp.len > 0\" every 2\n",
		  "labs/x.lab:4:31: expected nth or end of line, got \"every\"");
	parse_err(HEAD "sysctl pi kernel.panic 1\n",
		  "labs/x.lab:4:11: expected a net.* sysctl key (the only ones a namespace owns), "
		  "got \"kernel.panic\"");
	parse_err(HEAD "sysctl pi net.ipv4..x 1\n",
		  "labs/x.lab:4:11: expected a net.* sysctl key (the only ones a namespace owns), "
		  "got \"net.ipv4..x\"");
	parse_err(HEAD "sysctl all net.ipv4.x 1\n",
		  "labs/x.lab:4:8: expected a host: client, pi or both, got \"all\"");
	parse_err(HEAD "sysctl pi net.ipv4.tcp_sack\n",
		  "labs/x.lab:4:28: expected a value, got end of line");
}

static void test_err_programs(void **state)
{
	(void)state;
	parse_err(HEAD "file index.html <<EOF\nhello\nEOFX\n",
		  "labs/x.lab:4:17: unterminated file body: no line \"EOF\" before the end of the "
		  "file");
	parse_err(HEAD "file ../etc/passwd <<EOF\nEOF\n",
		  "labs/x.lab:4:6: expected a file name of letters, digits, '.', '_' and '-', got "
		  "\"../etc/passwd\"");
	parse_err(HEAD "file a <<EOF\nEOF\nfile a <<EOF\nEOF\n",
		  "labs/x.lab:6:6: file a given twice (first at line 4)");
	parse_err(HEAD "file a EOF\n",
		  "labs/x.lab:4:8: expected <<TAG (the line that ends the body), got \"EOF\"");
	parse_err(HEAD "server pi \"\" ready 80\n",
		  "labs/x.lab:4:11: expected a command, got an empty string");
	parse_err(HEAD "server pi \"sh -c 'exit 1\"\n",
		  "labs/x.lab:4:18: unterminated ' in the command");
	parse_err(HEAD "server pi httpd\n",
		  "labs/x.lab:4:11: expected a command in double quotes, got \"httpd\"");
	parse_err(HEAD "server pi \"httpd\" ready 0\n",
		  "labs/x.lab:4:25: expected a TCP port from 1 to 65535, got \"0\"");
	parse_err(HEAD "server pi \"httpd\" timeout 5s\n",
		  "labs/x.lab:4:19: expected as, ready or end of line, got \"timeout\"");
	parse_err(HEAD "server pi \"httpd\" ready 80 ready 81\n",
		  "labs/x.lab:4:28: ready given twice");
	parse_err(HEAD "client client \"curl\" timeout 0s\n",
		  "labs/x.lab:4:22: a timeout is at least 1ms");
	parse_err(HEAD "server pi \"a\"\nserver pi \"b\"\n",
		  "labs/x.lab:5:1: program name \"server\" given twice (first at line 4): name it "
		  "with as NAME");
	parse_err(HEAD "server pi \"a\" as web/1\n",
		  "labs/x.lab:4:18: expected a program name of letters, digits, '_' and '-', got "
		  "\"web/1\"");
}

#define CLAIM HEAD "claim x.c\n  text \"t\"\n" /* lines 4-5 */

static void test_err_claims(void **state)
{
	(void)state;
	parse_err(HEAD "claim syn\n",
		  "labs/x.lab:4:7: expected a claim id PREFIX.NAME such as http.syn, got \"syn\"");
	parse_err(HEAD "claim Http.syn\n", "labs/x.lab:4:7: expected a claim id PREFIX.NAME such "
					   "as http.syn, got \"Http.syn\"");
	parse_err(
		HEAD "claim http.\n",
		"labs/x.lab:4:7: expected a claim id PREFIX.NAME such as http.syn, got \"http.\"");
	parse_err(CLAIM "  expect count \"tcp\" > 0\nclaim x.c\n",
		  "labs/x.lab:7:7: claim x.c given twice (first at line 4)");
	parse_err(
		HEAD "claim x.c\n  expect count \"tcp\" > 0\n",
		"labs/x.lab:4:1: claim x.c needs a text \"...\" statement (the sentence a student "
		"reads)");
	parse_err(CLAIM "title \"u\"\n", "labs/x.lab:4:1: claim x.c needs an expect statement");
	parse_err(CLAIM "  expect count \"tcp\" > 0\n  verdict fails\n",
		  "labs/x.lab:4:1: claim x.c needs a why \"...\" statement (a verdict other than "
		  "holds says why Linux differs from the notes)");
	parse_err(CLAIM "  verdict maybe\n",
		  "labs/x.lab:6:11: expected a verdict: holds, fails or n/a, got \"maybe\"");
	parse_err(CLAIM "  text \"u\"\n", "labs/x.lab:6:3: text given twice");
	parse_err(CLAIM "  expect syn.tcp.seq == 0\n", "labs/x.lab:6:10: unknown name \"syn\"");
	parse_err(CLAIM "  expect #1.tcp.sqe == 0\n", "labs/x.lab:6:12: unknown field \"tcp.sqe\"");
	parse_err(CLAIM "  expect count \"tcp.flgs == 1\" > 0\n",
		  "labs/x.lab:6:17: unknown field \"tcp.flgs\"");
	/* Columns point through the string's escapes into the filter. */
	parse_err(CLAIM "  expect count \"http.host == \\\"a\\\" &&\" > 0\n",
		  "labs/x.lab:6:38: expected a field name, got end of filter");
	parse_err(CLAIM "  expect count \"tcp\" == 10 extra\n",
		  "labs/x.lab:6:28: expected end of line, got \"extra\"");
	parse_err(CLAIM "  expect count \"tcp\" = 10\n",
		  "labs/x.lab:6:22: expected end of line, got \"=\"");
	parse_err(CLAIM "  let first = #1\n",
		  "labs/x.lab:6:7: \"first\" is a keyword and cannot name a let");
	parse_err(CLAIM "  let a = #1\n  let a = #2\n",
		  "labs/x.lab:7:7: let a given twice (first at line 6)");
	parse_err(CLAIM "  let a #1\n", "labs/x.lab:6:9: expected \"=\", got \"#1\"");
	parse_err(CLAIM "  let a = a\n", "labs/x.lab:6:11: unknown name \"a\"");
	parse_err(CLAIM "  evidence #1 #2\n",
		  "labs/x.lab:6:15: expected \",\" or end of line, got \"#2\"");
	parse_err(CLAIM "  report \"{count \\\"tcp\\\"} {nope}\"\n",
		  "labs/x.lab:6:28: unknown name \"nope\"");
	parse_err(CLAIM "  report \"{#1.n\"\n",
		  "labs/x.lab:6:16: expected \"}\" after the expression, got end of string");
	parse_err(CLAIM "  expect #1.t < 25xs\n",
		  "labs/x.lab:6:19: expected a unit s, ms or us, got \"xs\"");
}

/* Questions (a capture with answers), exchange filters and their points. */
static const char questions_lab[] =
	HEAD "server pi \"srv\"\n"
	     "role server build \"make\" run \"./s\"\n"
	     "exchange \"http.response.code == 101\"\n"
	     "claim x.c\n  text \"t\"\n  expect count \"tcp\" > 0\n"
	     "question x.q_ack\n"
	     "  text \"Relative ack of the server's ACK of the GET?\"\n"
	     "  let get = first \"http.request\" from client\n"
	     "  applies get.n > 0\n"
	     "  answer (first \"tcp.len == 0\" from server after get).tcp.ack\n"
	     "question x.q_t\n  text \"When?\"\n  answer #2.t\n"
	     "  tolerance 0.005\n"
	     "points x.c 3\npoints x.q_ack 2\n";

static void test_questions(void **state)
{
	struct lab *l = NULL;
	char err[300] = "";

	(void)state;
	assert_int_equal(
		lab_parse("labs/x.lab", questions_lab, strlen(questions_lab), &l, err, sizeof(err)),
		0);
	assert_int_equal(l->nclaims, 1);
	assert_int_equal(l->nquestions, 2);
	assert_string_equal(l->questions[0].id, "x.q_ack");
	assert_non_null(l->questions[0].answer);
	assert_non_null(l->questions[0].applies);
	assert_string_equal(l->questions[0].answer_text,
			    "(first \"tcp.len == 0\" from server after get).tcp.ack");
	assert_int_equal(l->questions[0].nlets, 1);
	assert_true(l->questions[0].tolerance == 0);
	assert_true(l->questions[1].tolerance == 0.005);
	assert_int_equal(l->nexchanges, 1);
	assert_string_equal(l->exchanges[0].text, "http.response.code == 101");
	assert_int_equal(l->exchanges[0].line, 6);
	assert_int_equal(l->npoints, 2);
	lab_free(l);
}

#define QUESTION HEAD "question x.q\n  text \"t\"\n" /* lines 4-5 */

static void test_err_questions(void **state)
{
	(void)state;
	parse_err(HEAD "question q\n", "labs/x.lab:4:10: expected a question id PREFIX.NAME "
				       "such as http.q_ack, got \"q\"");
	parse_err(QUESTION "title \"u\"\n", "labs/x.lab:4:1: question x.q needs an answer "
					    "statement");
	parse_err(HEAD "question x.q\n  answer #1.n\n",
		  "labs/x.lab:4:1: question x.q needs a text \"...\" statement (the sentence a "
		  "student reads)");
	parse_err(QUESTION "  answer #1.n\n  answer #2.n\n", "labs/x.lab:7:3: answer given twice");
	parse_err(QUESTION "  answer #1.nn\n", "labs/x.lab:6:12: unknown field \"nn\"");
	parse_err(QUESTION "  expect #1.n == 1\n",
		  "labs/x.lab:6:3: expect belongs to a claim, not to question x.q (a question "
		  "has text, let, applies, evidence, answer, tolerance)");
	parse_err(CLAIM "  answer #1.n\n",
		  "labs/x.lab:6:3: answer belongs to a question, not to claim x.c");
	parse_err(HEAD "answer #1.n\n",
		  "labs/x.lab:4:1: answer belongs to a question: start one with question ID");
	parse_err(QUESTION "  answer #1.n\n  tolerance -1\n",
		  "labs/x.lab:7:13: expected a tolerance from 0 to 1e9, got \"-1\"");
	parse_err(QUESTION "  answer #1.n\n  tolerance 1x\n",
		  "labs/x.lab:7:13: expected a tolerance from 0 to 1e9, got \"1x\"");
	parse_err(CLAIM "  expect #1.n == 1\nquestion x.c\n",
		  "labs/x.lab:7:10: claim x.c given twice (first at line 4)");
	parse_err(QUESTION "  answer #1.n\nclaim x.q\n",
		  "labs/x.lab:7:7: question x.q given twice (first at line 4)");
	parse_err(HEAD "exchange tcp\n",
		  "labs/x.lab:4:10: expected a display filter in double quotes, got \"tcp\"");
	parse_err(HEAD "exchange \"tcp.flgs == 1\"\n",
		  "labs/x.lab:4:11: unknown field \"tcp.flgs\"");
	parse_err(QUESTION "  answer #1.n\npoints x.nope 1\n",
		  "labs/x.lab:7:8: points for unknown claim or question \"x.nope\"");
	parse_err(CLAIM "  expect #1.n == 1\npoints x.c 1\n",
		  "labs/x.lab:7: points for claim x.c without a role statement: no program is "
		  "graded");
}

/* Bounds that keep parsing, evaluating and freeing off deep recursion (the
 * lab fuzzer's first finding: 10 M runs in, "((((..." overflowed the stack). */
static void test_err_bounds(void **state)
{
	char *text = malloc(64 * 1024);
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(text, CLAIM "  expect ");
	for (int i = 0; i < 101; i++)
		text[n++] = '(';
	strcpy(text + n, "1 == 1\n");
	parse_err(text, "labs/x.lab:6:111: the expression nests too deep: more than 100 \"(\", "
			"\"-\" or \"!\"");
	n = (size_t)sprintf(text, CLAIM "  expect ");
	for (int i = 0; i < 101; i++)
		text[n++] = '!';
	strcpy(text + n, "true\n");
	parse_err(text, "labs/x.lab:6:111: the expression nests too deep: more than 100 \"(\", "
			"\"-\" or \"!\"");
	n = (size_t)sprintf(text, CLAIM "  expect 1");
	for (int i = 0; i < 600; i++)
		n += (size_t)sprintf(text + n, " + 1");
	strcpy(text + n, " > 0\n");
	parse_err(text, "labs/x.lab:6:2010: the expression is too long: more than 1000 terms");
	n = (size_t)sprintf(text, HEAD "exchange \"");
	for (int i = 0; i < 101; i++)
		text[n++] = '(';
	strcpy(text + n, "tcp\"\n");
	parse_err(text, "labs/x.lab:4:111: the filter nests too deep: more than 100 \"(\" or "
			"\"!\"");
	n = (size_t)sprintf(text, HEAD "exchange \"tcp");
	for (int i = 0; i < 1001; i++)
		n += (size_t)sprintf(text + n, " || tcp");
	strcpy(text + n, "\"\n");
	parse_err(text, "labs/x.lab:4:3511: the filter is too long: more than 1000 terms");
	/* Just under the bounds: parsed. */
	n = (size_t)sprintf(text, CLAIM "  expect ");
	for (int i = 0; i < 99; i++)
		text[n++] = '(';
	n += (size_t)sprintf(text + n, "1 == 1");
	for (int i = 0; i < 99; i++)
		text[n++] = ')';
	strcpy(text + n, "\n");
	{
		struct lab *l = NULL;
		char err[300] = "";

		assert_int_equal(lab_parse("labs/x.lab", text, strlen(text), &l, err, sizeof(err)),
				 0);
		lab_free(l);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),	       cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_load),
		cmocka_unit_test(test_err_statements), cmocka_unit_test(test_err_topology),
		cmocka_unit_test(test_err_programs),   cmocka_unit_test(test_err_claims),
		cmocka_unit_test(test_questions),      cmocka_unit_test(test_err_questions),
		cmocka_unit_test(test_err_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

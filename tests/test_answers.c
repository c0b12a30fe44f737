/* tests/test_answers.c — a student's answers file (harness/answers.c): what
 * it reads, what it reports and how answers compare; and grade's small
 * parsers (--shard, points by verdict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness/answers.h"
#include "harness/grade.h"

static struct answers *parse(const char *text)
{
	struct answers *a = NULL;
	char err[200] = "";

	assert_int_equal(answers_parse("answers.txt", text, strlen(text), &a, err, sizeof(err)), 0);
	assert_non_null(a);
	return a;
}

static void test_parse(void **state)
{
	struct answers *a = parse("# my capture\n"
				  "\n"
				  "http.q_ack = 79\r\n"
				  "  tls13.q_rtts:1   \n"
				  "ws.q_accept = \"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\"\n"
				  "ws.q_text = hello world  # not a comment\n"
				  "last.q = no newline");

	(void)state;
	assert_int_equal(a->n, 5);
	assert_int_equal(a->bad, 0);
	assert_string_equal(answers_get(a, "http.q_ack")->value, "79");
	assert_int_equal(answers_get(a, "http.q_ack")->line, 3);
	assert_string_equal(answers_get(a, "tls13.q_rtts")->value, "1");
	assert_string_equal(answers_get(a, "ws.q_accept")->value, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_string_equal(answers_get(a, "ws.q_text")->value, "hello world  # not a comment");
	assert_string_equal(answers_get(a, "last.q")->value, "no newline");
	assert_null(answers_get(a, "http.q"));
	answers_free(a);
}

/* Lines not understood are counted, the first described; the rest count. */
static void test_bad_lines(void **state)
{
	static const char nul[] = "a.b = 1\nx.y = \0oops\nc.d = 2\n";
	struct answers *a;
	char err[200];

	(void)state;
	a = parse("the answer is 79\nhttp.q = 1\nhttp.q = 2\n= 3\nws.q =\n");
	assert_int_equal(a->n, 1);
	assert_int_equal(a->bad, 4);
	assert_string_equal(a->first,
			    "answers.txt:1: expected ID = VALUE, got \"the answer is 79\"");
	assert_string_equal(answers_get(a, "http.q")->value, "1");
	answers_free(a);
	a = parse("http.q = 1\nhttp.q = 2\n");
	assert_string_equal(a->first, "answers.txt:2: http.q answered twice (the first answer "
				      "counts)");
	answers_free(a);
	a = parse("ws.q =  \n");
	assert_string_equal(a->first, "answers.txt:1: ws.q has no value after '='");
	answers_free(a);
	a = NULL;
	assert_int_equal(answers_parse("answers.txt", nul, sizeof(nul) - 1, &a, err, sizeof(err)),
			 0);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->first, "answers.txt:2: a NUL byte: an answers file is text");
	answers_free(a);
	/* Empty is fine: nothing answered. */
	a = parse("");
	assert_int_equal(a->n + a->bad, 0);
	answers_free(a);
}

static void test_match(void **state)
{
	(void)state;
	assert_true(answers_match("79", "79", 0));
	assert_true(answers_match("79", " 79.0 ", 0));
	assert_true(answers_match("79", "0x4f", 0));
	assert_false(answers_match("79", "78", 0));
	assert_false(answers_match("79", "79 bytes", 0));
	assert_true(answers_match("0.052", "0.05", 0.005));
	assert_false(answers_match("0.052", "0.04", 0.005));
	assert_true(answers_match("0.1", "0.1000000001", 0));
	assert_true(answers_match("GET", "get", 0));
	assert_true(answers_match("Switching  Protocols", "switching protocols", 0));
	assert_false(
		answers_match("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo", 0));
	assert_false(answers_match("1000", "", 0));
	assert_false(answers_match("1000", "nan", 0));
	/* Out of range is not a number: compared as text. */
	assert_true(answers_match("1e400", "1E400", 0));
}

static void test_grade_parsers(void **state)
{
	unsigned k = 0, n = 0;

	(void)state;
	assert_int_equal(grade_parse_shard("2/4", &k, &n), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 4);
	assert_int_equal(grade_parse_shard("1/1", &k, &n), 0);
	assert_int_equal(grade_parse_shard("0/4", &k, &n), -1);
	assert_int_equal(grade_parse_shard("5/4", &k, &n), -1);
	assert_int_equal(grade_parse_shard("2/", &k, &n), -1);
	assert_int_equal(grade_parse_shard("/4", &k, &n), -1);
	assert_int_equal(grade_parse_shard("2/4x", &k, &n), -1);
	assert_int_equal(grade_parse_shard("-1/4", &k, &n), -1);
	assert_int_equal(grade_parse_shard("99999999999/99999999999", &k, &n), -1);
	/* Points when the verdict is the one the lab expects (0 holds, 1 fails). */
	assert_int_equal(grade_claim_points(0, 0, 3), 3);
	assert_int_equal(grade_claim_points(1, 0, 3), 0);
	assert_int_equal(grade_claim_points(1, 1, 2), 2);
	assert_int_equal(grade_claim_points(2, 0, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_grade_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

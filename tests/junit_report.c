/* tests/junit_report.c — report_junit() over `wirelab check`'s verdicts, for
 * tests/integration/junit.sh. `check` has no --junit (only `run --junit`
 * writes JUnit, and run needs root and namespaces), so this does what
 * cmd_check does for each capture and hands the reports to report_junit as
 * cmd_run does: the XML is the tool's own, on captures anyone can check.
 *
 *   junit_report [--strict] OUT.xml LAB:CAPTURE[:KEYLOG]...
 *
 * One testsuite per LAB:CAPTURE. A capture that does not load becomes a
 * suite with an <error> (trace_load's message), as run reports a lab that
 * could not run; "skip=REASON" in place of CAPTURE is a skipped suite, as
 * run reports an optional lab whose program is missing. --strict: a claim
 * passes only with the verdict the lab expects (run's rule); without it,
 * check's rule. Exit 0 once OUT.xml is written, 2 on bad usage or input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/claim.h"
#include "harness/cli.h"
#include "harness/report.h"

struct suite {
	struct lab *lab;
	struct trace *tr;
	struct claim_result *res;
	char *error; /* the capture did not load: why */
};

static int suite_load(struct suite *s, struct lab_report *rep, char *arg, int strict)
{
	char err[1024], *cap = strchr(arg, ':'), *keys;

	if (!cap) {
		fprintf(stderr, "junit_report: '%s': want LAB:CAPTURE[:KEYLOG]\n", arg);
		return -1;
	}
	*cap++ = '\0';
	keys = strchr(cap, ':');
	if (keys)
		*keys++ = '\0';
	if (cli_load_lab(arg, &s->lab, err, sizeof(err))) {
		fprintf(stderr, "junit_report: %s\n", err);
		return -1;
	}
	rep->lab = s->lab;
	rep->lab_id = s->lab->id;
	rep->capture = cap;
	rep->strict = strict;
	if (!strncmp(cap, "skip=", 5)) {
		rep->skipped = rep->error = cap + 5;
		return 0;
	}
	if (cli_use_keylog(keys))
		return -1;
	if (trace_load(cap, s->lab->kind, -1, &s->tr, err, sizeof(err))) {
		cli_use_keylog(NULL);
		s->error = strdup(err);
		if (!s->error) {
			fprintf(stderr, "junit_report: out of memory\n");
			return -1;
		}
		rep->error = s->error;
		return 0;
	}
	cli_use_keylog(NULL);
	if (claim_eval_all(s->lab, s->tr, &s->res, err, sizeof(err))) {
		fprintf(stderr, "junit_report: %s\n", err);
		return -1;
	}
	rep->tr = s->tr;
	rep->res = s->res;
	rep->nres = s->lab->nclaims;
	return 0;
}

int main(int argc, char **argv)
{
	struct suite *s = NULL;
	struct lab_report *reps = NULL;
	char err[1024];
	int strict = 0, first = 1, ret = 2;
	size_t n = 0;

	cli_init(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "--strict")) {
		strict = 1;
		first = 2;
	}
	if (argc - first < 2) {
		fprintf(stderr, "usage: junit_report [--strict] OUT.xml LAB:CAPTURE[:KEYLOG]...\n");
		return 2;
	}
	n = (size_t)(argc - first - 1);
	s = calloc(n, sizeof(*s));
	reps = calloc(n, sizeof(*reps));
	if (!s || !reps) {
		fprintf(stderr, "junit_report: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (suite_load(&s[i], &reps[i], argv[first + 1 + (int)i], strict))
			goto out;
	if (report_junit(argv[first], reps, n, err, sizeof(err))) {
		fprintf(stderr, "junit_report: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; s && i < n; i++) {
		if (s[i].lab)
			claim_results_free(s[i].res, s[i].lab->nclaims);
		trace_free(s[i].tr);
		lab_free(s[i].lab);
		free(s[i].error);
	}
	free(s);
	free(reps);
	cli_use_keylog(NULL);
	return ret;
}

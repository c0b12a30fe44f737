/* harness/report.h — a lab's verdicts for people (terminal), programs (JSON
 * of INTERFACE.md) and CI (JUnit XML). */
#ifndef WIRELAB_REPORT_H
#define WIRELAB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/claim.h"

struct lab_report {
	const struct lab *lab;
	const char *lab_id;	/* set even when the lab did not load */
	const struct trace *tr; /* NULL if the lab could not be checked */
	const struct claim_result *res;
	size_t nres;
	const char *capture; /* the file the verdicts come from */
	const char *error;   /* the lab could not be run/checked: why */
	const char *skipped; /* an optional lab was not run: why */
	const char *notes;   /* run: what was used ("delay: nfqueue ...") */
	double seconds;
	int strict; /* run: every verdict must be as the lab expects */
};

/* Whether a claim passes: its verdict is what the lab expects (strict), or
 * it is not a claim the lab expects to hold that fails (check). */
int report_claim_ok(const struct lab_report *r, const struct claim_result *c);
/* EXIT_HOLDS, EXIT_CLAIM (or EXIT_INPUT when r->error). */
int report_exit_code(const struct lab_report *r);

void report_text(FILE *out, const struct lab_report *r, int color);
void report_json(FILE *out, const struct lab_report *r);
int report_junit(const char *path, const struct lab_report *r, size_t n, char *err, size_t errlen);
/* TAP version 13: one test point per claim ("ok" when it is as the lab
 * expects), a skipped lab as "# SKIP", a lab that could not run as not ok. */
void report_tap(FILE *out, const struct lab_report *r, size_t n);

#endif

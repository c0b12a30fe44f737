/* harness/claim.h — a lab's claims checked against a trace. */
#ifndef WIRELAB_CLAIM_H
#define WIRELAB_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#include "harness/lab.h"
#include "harness/trace.h"

struct claim_result {
	const struct lab_claim *claim; /* id, text, expected verdict, why, line */
	enum lab_verdict verdict;      /* computed from the capture alone */
	char *expected;		       /* what the notes say ("10 packets") */
	char *observed;		       /* what the capture shows ("11 packets") */
	uint32_t *packets;	       /* frame numbers of the evidence, ascending */
	size_t npackets;
};

/* Evaluates every claim of lab on tr. *out (array of lab->nclaims) is NULL on
 * entry. A claim whose evaluation cannot be carried out (a fact a capture
 * cannot show) is LAB_NA, never an error; -1 only on ENOMEM or a script error
 * found at run time (err: "labs/x.lab:30: ..."). */
int claim_eval_all(const struct lab *lab, const struct trace *tr, struct claim_result **out,
		   char *err, size_t errlen) __attribute__((warn_unused_result));

/* Answers every question of lab from tr (array of lab->nquestions): verdict
 * LAB_HOLDS with the answer in observed ("79", "2", "0.05"), or LAB_NA
 * with why the capture does not show it; expected is the answer's
 * expression, packets the evidence. Errors as claim_eval_all. */
int claim_eval_questions(const struct lab *lab, const struct trace *tr, struct claim_result **out,
			 char *err, size_t errlen) __attribute__((warn_unused_result));

void claim_results_free(struct claim_result *r, size_t n);

/* For lab.c, which reads claims: claim expressions (labs/README.md) are
 * parsed when the lab is read, so that every script error is found before a
 * run. lets[0..nlets) are the names in scope (the claim's earlier lets).
 * Parses the longest expression at the start of text and sets *used to the
 * bytes it took (the caller checks what follows). On error, *erroff is the
 * offset in text of the fault and err says what was expected. *out is NULL
 * on entry. */
int claim_expr_parse(const char *text, const struct lab_let *lets, size_t nlets, struct expr **out,
		     size_t *used, size_t *erroff, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void claim_expr_free(struct expr *e);
/* Checks each {EXPR} of a report template (the string's value), as above. */
int claim_report_check(const char *tmpl, const struct lab_let *lets, size_t nlets, size_t *erroff,
		       char *err, size_t errlen) __attribute__((warn_unused_result));
/* 1 if word is a keyword of the expressions (first, count, from...), which
 * cannot name a let. */
int claim_reserved(const char *word);

const char *claim_verdict_name(enum lab_verdict v); /* "holds", "fails", "n/a" */

#endif

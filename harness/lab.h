/* harness/lab.h — lab scripts (labs/<id>.lab), parsed.
 *
 * The language is documented in labs/README.md. A parsed lab is plain data:
 * the runner reads the topology and the programs, claim.c evaluates the
 * claims against a trace. Every node keeps the file and line it came from.
 */
#ifndef WIRELAB_LAB_H
#define WIRELAB_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "harness/trace.h"

struct filter; /* filter.h: a parsed Wireshark display filter */
struct expr;   /* claim.c: a parsed claim expression */

enum lab_host { LAB_CLIENT = 0, LAB_PI = 1, LAB_BOTH = 2 };
enum lab_verdict { LAB_HOLDS = 0, LAB_FAILS = 1, LAB_NA = 2 };

struct lab_sysctl {
	enum lab_host host;
	char *key, *value;
	int line;
};

struct lab_drop {
	int dir;	       /* 0: to-pi, 1: to-client (enum impair_dir) */
	struct filter *filter; /* which packets count */
	char *filter_text;
	unsigned nth; /* drop the nth matching packet (from 1) */
	int line;
};

struct lab_file { /* `file NAME <<EOF ... EOF`: written into the run's dir */
	char *name;
	char *body;
	int line;
};

enum lab_prog_kind { LAB_PROG_SERVER, LAB_PROG_CLIENT };

struct lab_prog {
	enum lab_prog_kind kind;
	enum lab_host host; /* LAB_CLIENT or LAB_PI */
	char *name;	    /* "server", "client", or `as NAME` */
	char **argv;	    /* words, {placeholders} not yet expanded; NULL-terminated */
	int ready_port;	    /* server: wait until this TCP port listens (0: none) */
	int timeout_ms;	    /* client: kill after (default 10000) */
	int exit_status;    /* client: the status it must exit with (default 0) */
	int untrusted;	    /* grade: a student's program (no raised priority) */
	int line;
};

struct lab_let {
	char *name;
	struct expr *e;
	int line;
};

struct lab_claim {
	char *id;	/* "http.syn" */
	char *text;	/* the sentence a student reads */
	char *expected; /* optional: how the notes put it ("10 packets") */
	struct lab_let *lets;
	size_t nlets;
	struct expr **expects; /* all must be true */
	char **expect_texts;   /* source text of each, for reports */
	size_t nexpects;
	struct expr **evidence; /* packet expressions shown as evidence */
	size_t nevidence;
	char *report;	      /* optional observed template, "{expr} packets" */
	struct expr *applies; /* optional: when false the capture cannot show the claim (n/a) */
	char *applies_text;
	enum lab_verdict verdict; /* what this lab expects on Linux (default holds) */
	char *why;		  /* why the verdict differs from the notes */
	/* A question (`question ID`) has an answer instead of expects: the
	 * value a student must read off their own capture. */
	struct expr *answer;
	char *answer_text;
	double tolerance; /* a numeric answer within this is right (default 0) */
	int line;
};

/* `role NAME build "CMD" run "CMD" [timeout DUR]`: the lab program NAME is
 * one a submission may replace (`wirelab grade`). */
struct lab_role {
	char *prog;	      /* the program's name (a server's or a client's) */
	char **build;	      /* words, run in the submission's copy */
	char **run;	      /* words, run there in the program's place */
	int build_timeout_ms; /* default 60000 */
	int line;
};

/* `points ID N`: what a claim or a question is worth when graded. */
struct lab_points {
	char *claim;
	int points;
	int line, col;
};

struct lab {
	char *path; /* as given */
	char *id, *title, *section;
	enum trace_kind kind; /* `stream http|websocket|tls|ssh|any` */
	/* topology */
	char *addr[2];	      /* dotted quads; NULL: defaults */
	uint32_t delay_us[2]; /* one-way, by direction (to-pi, to-client) */
	uint64_t rate_bps;
	unsigned mtu;
	struct lab_sysctl *sysctls;
	size_t nsysctls;
	struct lab_drop *drops;
	size_t ndrops;
	struct lab_file *files;
	size_t nfiles;
	char *cert;   /* `cert "NAME"`: a self-signed cert for NAME in {dir} */
	char *keylog; /* `keylog "NAME"`: {dir}/NAME is a TLS key log to keep */
	int optional; /* `optional`: a missing program skips the lab (run) */
	struct lab_factfile {
		char *file;   /* in {dir} */
		char *prefix; /* facts PREFIX.KEY */
		int line;
	} * factfiles;
	size_t nfactfiles;
	struct lab_prog *progs;
	size_t nprogs;
	struct lab_claim *claims;
	size_t nclaims;
	struct lab_claim *questions; /* `question ID`: graded against answers */
	size_t nquestions;
	struct lab_exchange { /* `exchange "FILTER"`: a capture of this lab has one */
		struct filter *filter;
		char *text;
		int line;
	} * exchanges;
	size_t nexchanges;
	struct lab_role *role; /* NULL: the lab grades nothing */
	struct lab_points *points;
	size_t npoints;
};

/* Parses a lab file. Errors are one line "labs/x.lab:12:7: expected ..., got ...".
 * *out is NULL on entry. */
int lab_load(const char *path, struct lab **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Parses from memory (name is used in messages). */
int lab_parse(const char *name, const char *text, size_t len, struct lab **out, char *err,
	      size_t errlen) __attribute__((warn_unused_result));
/* Reads the string literal at s (s[0] is '"'; escapes \" \\ \n). On success
 * *out is its value (caller frees), *used the bytes read with both quotes and,
 * if offs is not NULL, *offs a malloc'd array (caller frees) with the offset
 * in s of each value byte and, last, of the closing quote: what parses the
 * value (a filter, a report's {EXPR}) can then point into the file. On error
 * *used is the offset of the fault. *out and *offs are NULL on entry. */
int lab_string(const char *s, char **out, size_t *used, size_t **offs, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void lab_free(struct lab *l);

#endif

/* harness/run.h — running one lab in fresh namespaces, for `run` and for
 * whatever else runs labs (grading). */
#ifndef WIRELAB_RUN_H
#define WIRELAB_RUN_H

#include <limits.h>
#include <stddef.h>

#include "harness/claim.h"
#include "harness/lab.h"
#include "harness/trace.h"

struct registry;

struct run_opts {
	const char *out_dir; /* absolute: captures go to OUT/LAB.pcap */
	const char *json_path;
	const char *junit_path;
	int keep;
};

struct lab_outcome {
	struct lab *lab;	  /* in: the lab to run (may be edited by the caller) */
	struct trace *tr;	  /* out: the lab's stream, with the run's facts */
	struct claim_result *res; /* out: lab->nclaims verdicts */
	char error[1024];	  /* out: why the lab could not run, if it could not */
	char pcap[PATH_MAX];	  /* out: the capture */
	char notes[256];	  /* out: what the link did */
	int code;		  /* out: EXIT_HOLDS if it ran and was checked */
	double seconds;
};

/* Runs oc->lab once: topology, impairments, capture, programs, checks. Every
 * object is recorded in reg first. The caller frees oc's outputs
 * (claim_results_free, trace_free). */
void run_one(struct registry *reg, const struct run_opts *o, struct lab_outcome *oc);

/* How many labs may run their programs at once on this machine (CPU slots,
 * run.c): max(1, online CPUs / 2), or WIRELAB_SLOTS. */
int run_slots(void);

/* Forks the process that removes what this process leaves if it dies (the
 * registry's dead runs). Returns the write end of the pipe it waits on:
 * keep it open for the process's life. */
int supervisor_start(char *err, size_t errlen);

#endif

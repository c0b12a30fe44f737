/* harness/grade.h — `wirelab grade`: a lab run once per student submission,
 * the student's program in the lab's `role`, sandboxed, claims scored by the
 * lab's `points`. The command is cmd_grade (cli.h); this header is what
 * grading exposes for tests. */
#ifndef WIRELAB_GRADE_H
#define WIRELAB_GRADE_H

#include <stddef.h>
#include <sys/types.h>

/* Where the cgroup limits of a sandbox live. */
enum grade_cgroups {
	GRADE_CG_NONE,	 /* no cgroup of ours: rlimits only */
	GRADE_CG_V1,	 /* v1 controllers only (no cgroup.kill) */
	GRADE_CG_HYBRID, /* pids/memory/cpu in v1 trees, cgroup2 for cgroup.kill */
	GRADE_CG_V2,	 /* pure cgroup2 */
};

/* Which hierarchy this machine has (reads /sys/fs/cgroup). */
enum grade_cgroups grade_cgroups_detect(void);

/* The points a claim earns: all of them when the verdict is the one the lab
 * expects (enum lab_verdict values), else none. */
int grade_claim_points(int verdict, int expected, int points);

/* Parses --shard K/N (1 <= K <= N); 0 or -1. */
int grade_parse_shard(const char *s, unsigned *k, unsigned *n);

#endif

/* netns/proc.h — programs run inside a lab namespace.
 *
 * fork; in the child: its own process group, PR_SET_PDEATHSIG(SIGKILL),
 * setns into the namespace, stdin from /dev/null, stdout/stderr to files,
 * exec. The pid is recorded in the registry before the child may exec.
 * Stopping or timing out kills the whole process group.
 */
#ifndef WIRELAB_PROC_H
#define WIRELAB_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct registry;

struct proc_spec {
	int netns_fd;		 /* -1: the caller's namespace */
	char *const *argv;	 /* argv[0] is looked up in PATH */
	char *const *envp;	 /* NULL: the caller's environment */
	const char *cwd;	 /* NULL: unchanged */
	const char *stdout_path; /* NULL: /dev/null; created/truncated */
	const char *stderr_path; /* NULL: /dev/null; may equal stdout_path */
	int nice;		 /* 0: the caller's; else this nice value (root: < 0) */
};

struct proc;

int proc_start(const struct proc_spec *s, struct registry *reg, struct proc **out, char *err,
	       size_t errlen) __attribute__((warn_unused_result));

pid_t proc_pid(const struct proc *p);

/* Waits up to timeout_ms (-1: forever) for the process to exit. Returns 0 and
 * sets *status (as waitpid) when it exited; 1 when the timeout expired (the
 * process is left running); -1 on error. */
int proc_wait(struct proc *p, int timeout_ms, int *status, char *err, size_t errlen);

/* Sends sig to the process group, waits up to grace_ms for the leader, then
 * SIGKILLs the group and reaps the leader. Returns its wait status. Idempotent. */
int proc_stop(struct proc *p, int sig, int grace_ms);

/* Stops (SIGKILL) if still running and frees. Accepts NULL. */
void proc_free(struct proc *p);

#endif

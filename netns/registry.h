/* netns/registry.h — what a run creates, recorded before it is created.
 *
 * Every wirelab run owns a directory /run/wirelab/<run-id>/ (WIRELAB_RUN_DIR
 * overrides /run/wirelab for tests). Its file "owner" holds the pid and the
 * process start time (field 22 of /proc/PID/stat) of the run, so a dead run is
 * told from a live one even after the pid is reused. Its file "objects" gets
 * one line per object *before* the object is made:
 *
 *     netns <name> <inode>     a lab namespace (inode of its nsfs file)
 *     pid <pid> <starttime>    a process the run started (its own group leader)
 *     tmpdir <path>            a temporary directory of the run
 *     mount <path>             a bind mount (--keep: /run/netns/<prefix>-<host>)
 *
 * After a crash, registry_clean_stale() undoes exactly those objects of runs
 * whose owner is dead: it never matches anything by name, and never touches a
 * live run's objects (nor an object a live run also lists).
 */
#ifndef WIRELAB_REGISTRY_H
#define WIRELAB_REGISTRY_H

#include <stddef.h>
#include <sys/types.h>

struct registry;

/* Creates a fresh run directory with a unique run id ("wl" + 4 hex digits),
 * first cleaning up after dead runs. *out is NULL on entry. */
int registry_open(struct registry **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* "wl3f2a": the per-run prefix of every name the run gives (≤ 6 chars). */
const char *registry_run_id(const struct registry *r);

/* Appends one line "<kind> <args...>" and flushes it to the file before
 * returning, so that it survives a SIGKILL right after. */
int registry_add(struct registry *r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), warn_unused_result));

/* Start time of a live process (field 22 of /proc/PID/stat); 0 if gone. */
unsigned long long registry_proc_starttime(pid_t pid);

/* Normal end of a run: its objects are already undone by their owners;
 * removes the run directory. Accepts NULL. */
void registry_close(struct registry *r);

/* Undoes what dead runs left: kills their recorded processes (and any process
 * still inside one of their recorded namespaces), removes their mounts and temp
 * directories, then their run directory. Writes one line per removed object to
 * report (may be NULL). Returns the number of objects removed, -1 on error. */
int registry_clean_stale(void (*report)(void *ctx, const char *line), void *ctx, char *err,
			 size_t errlen);

#endif

/* netns/registry.h — what a run creates, recorded before it is created.
 *
 * Every wirelab run owns a directory /run/wirelab/<run-id>/ (WIRELAB_RUN_DIR
 * overrides /run/wirelab for tests). Its file "owner" holds the pid and the
 * process start time (field 22 of /proc/PID/stat) of the run, so a dead run is
 * told from a live one even after the pid is reused, and the boot id
 * (/proc/sys/kernel/random/boot_id): /run need not be a tmpfs, and after a
 * reboot pids, start times and namespace cookies start over, so a run of an
 * earlier boot gets its paths removed but nothing killed. Its file "objects"
 * gets one line per object *before* the object is made:
 *
 *     netns <name> <inode> <cookie>
 *                              a lab namespace: inode of its nsfs file, and
 *                              its SO_NETNS_COOKIE (socket(7); 0 if the kernel
 *                              has none). Inode numbers are reused once a
 *                              namespace is gone, cookies never: without a
 *                              cookie the namespace is not used to find
 *                              processes to kill.
 *     pid <pid> <starttime>    a process the run started (its own group leader)
 *     tmpdir <path>            a temporary directory of the run, directly under
 *                              $TMPDIR or /tmp, named <run-id>* or wirelab-*
 *     mount <path>             a bind mount, /run/netns/<run-id>-<host> (topo's
 *                              cfg->keep)
 *     cgroup <path>            a cgroup directory under /sys/fs/cgroup named
 *                              wirelab-* (a grading sandbox's): its processes
 *                              are killed (cgroup.kill, else each pid) and
 *                              the directory removed
 *     kept                     the run ended leaving its lab up on purpose
 *                              (topo_free with cfg->keep writes it)
 *
 * After a crash, registry_clean_stale() undoes exactly those objects of runs
 * whose owner is dead: it never matches anything by name, and never touches a
 * live run's objects (nor an object a live run also lists). A path that
 * breaks the rules above is reported and left alone, never removed.
 *
 * Kept labs (`wirelab run --keep`): registry_close() leaves the run directory
 * while a recorded mount exists, and the clean-ups that run by themselves
 * (registry_open() at the start of every run; a supervisor after a run:
 * registry_clean_unkept()) skip a dead run marked "kept", so the lab stays
 * up for `ip netns exec` until registry_clean_stale() (`wirelab clean`)
 * removes it like any dead run. A --keep run that dies before topo_free()
 * is not marked, and is cleaned up as usual.
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

/* Kills every process of the cgroup at path: cgroup.kill where there is
 * one (it catches racing forks), else SIGKILL to each pid listed until none
 * is left (bounded; pids.max bounds a fork bomb); remove: then rmdir it.
 * 0 (also when it is gone), or -1 with errno. */
int registry_cgroup_kill(const char *path, int remove);

/* Start time of a live process (field 22 of /proc/PID/stat); 0 if gone. */
unsigned long long registry_proc_starttime(pid_t pid);

/* Normal end of a run: its objects are already undone by their owners;
 * removes the run directory, unless a recorded mount is still there (a kept
 * lab: see above). Accepts NULL. */
void registry_close(struct registry *r);

/* Undoes what dead runs left: kills their recorded processes (and any process
 * still inside one of their recorded namespaces), removes their mounts and temp
 * directories, then their run directory. Writes one line per removed object to
 * report (may be NULL), "wl3f2a: killed pid 4242", and one per path it refuses
 * to touch. Returns the number of objects removed (processes, mounts, temp
 * dirs; run directories not counted), -1 on error: err names the first thing
 * that could not be undone; the rest is still done, and a run with anything
 * left keeps its directory for the next try. */
int registry_clean_stale(void (*report)(void *ctx, const char *line), void *ctx, char *err,
			 size_t errlen);

/* registry_clean_stale(), except the labs that dead runs kept up on purpose
 * ("kept"): for clean-ups nobody asked for, such as a supervisor's after a
 * run, which must not take down the lab a user keeps with --keep. */
int registry_clean_unkept(void (*report)(void *ctx, const char *line), void *ctx, char *err,
			  size_t errlen);

#endif

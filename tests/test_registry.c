/* tests/test_registry.c — netns/registry.c: records, and the clean-up after
 * a run that died by SIGKILL.
 *
 * The registry lives in a private WIRELAB_RUN_DIR. A "dead run" is a forked
 * child that opens a registry, makes and records objects, and is then
 * SIGKILLed. This process is a child subreaper (prctl(2)), so the dead
 * run's orphans become our children: we can check that exactly the right
 * ones were SIGKILLed and reap them. Decoys (a live run's objects, a
 * recycled pid, an inode with the wrong cookie, paths outside the rules)
 * must survive. Namespace parts need root and skip otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <ftw.h>
#include <unistd.h>

#include "netns/registry.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static char run_dir[64];
static int have_root;

/* What a test made, so that a failing test still leaves nothing behind
 * (cleanup() after every test): processes by pid, paths under /tmp. */
static pid_t tracked_pid[32];
static char tracked_path[16][128];
static char netns_decoy[64];   /* a file under /run/netns */
static int made_netns_run_dir; /* we created /run/netns for it */

static void track_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < sizeof(tracked_pid) / sizeof(tracked_pid[0]); i++)
		if (!tracked_pid[i]) {
			tracked_pid[i] = pid;
			return;
		}
}

static void untrack_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < sizeof(tracked_pid) / sizeof(tracked_pid[0]); i++)
		if (tracked_pid[i] == pid)
			tracked_pid[i] = 0;
}

static void track_path(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(tracked_path) / sizeof(tracked_path[0]); i++)
		if (!tracked_path[i][0]) {
			snprintf(tracked_path[i], sizeof(tracked_path[i]), "%s", path);
			return;
		}
}

/* ---- helpers ---------------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int run_dir_entries(void)
{
	DIR *d = opendir(run_dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void make_tmpdir(char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "/tmp/%sXXXXXX", prefix);
	assert_non_null(mkdtemp(buf));
	track_path(buf);
}

static void put_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Test clean-up only, on paths this test made under /tmp; never follows
 * symlinks (FTW_PHYS). */
static void rm_rf(const char *path)
{
	if (strncmp(path, "/tmp/", 5) || strstr(path, ".."))
		return;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		fprintf(stderr, "warning: cannot remove %s: %s\n", path, strerror(errno));
}

/* A process asleep in its own process group, optionally in a new network
 * namespace; returns once it is ready. */
static pid_t sleeper(int newnet)
{
	int p[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		setpgid(0, 0);
		if (newnet && unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	track_pid(pid);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* 1 if pid is our child and was killed by SIGKILL (reaped now), 0 if it is
 * still running. */
static int was_killed(pid_t pid)
{
	int status;
	pid_t r = waitpid(pid, &status, WNOHANG);

	if (r == 0)
		return 0;
	assert_int_equal(r, pid);
	untrack_pid(pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	untrack_pid(pid);
}

/* Inode and cookie of the namespace a process is in. */
static void netns_of(pid_t pid, unsigned long long *ino, unsigned long long *cookie)
{
	char path[64];
	struct stat st;
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	int fd, self, s;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	assert_int_equal(stat(path, &st), 0);
	*ino = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && self >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	assert_true(s >= 0);
	assert_int_equal(getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len), 0);
	*cookie = c;
	close(s);
	close(fd);
	close(self);
}

/* Lines a dead run records; "%G" in a line is replaced by the pid (and start
 * time) of a sleeper the dead run starts itself. */
struct dead_plan {
	const char *lines[16];
	int grandchild;	   /* start a sleeper and record it */
	int grandchild_ns; /* ... in a new namespace, recorded as netns, not pid */
};

struct dead_result {
	char id[8];
	pid_t grandchild;
};

/* Forks a run that records plan's objects and dies by SIGKILL. */
static void dead_run(const struct dead_plan *plan, struct dead_result *res)
{
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct registry *reg = NULL;
		char err[512];
		struct dead_result r;
		int i;

		close(p[0]);
		memset(&r, 0, sizeof(r));
		if (registry_open(&reg, err, sizeof(err)) < 0) {
			fprintf(stderr, "dead run: %s\n", err);
			_exit(1);
		}
		snprintf(r.id, sizeof(r.id), "%s", registry_run_id(reg));
		if (plan->grandchild) {
			int q[2];
			char c;

			if (pipe(q) < 0)
				_exit(1);
			r.grandchild = fork();
			if (r.grandchild < 0)
				_exit(1);
			if (r.grandchild == 0) {
				setpgid(0, 0);
				if (plan->grandchild_ns && unshare(CLONE_NEWNET) < 0)
					_exit(1);
				if (write(q[1], "x", 1) != 1)
					_exit(1);
				for (;;)
					pause();
			}
			if (read(q[0], &c, 1) != 1)
				_exit(1);
			if (plan->grandchild_ns) {
				unsigned long long ino, cookie;

				netns_of(r.grandchild, &ino, &cookie);
				if (registry_add(reg, err, sizeof(err), "netns dead-ns %llu %llu",
						 ino, cookie) < 0)
					_exit(1);
			} else if (registry_add(reg, err, sizeof(err), "pid %d %llu",
						(int)r.grandchild,
						registry_proc_starttime(r.grandchild)) < 0) {
				_exit(1);
			}
		}
		for (i = 0; plan->lines[i]; i++)
			if (registry_add(reg, err, sizeof(err), "%s", plan->lines[i]) < 0)
				_exit(1);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		for (;;)
			pause(); /* the registry stays open: no registry_close */
	}
	close(p[1]);
	track_pid(pid);
	assert_int_equal(read(p[0], res, sizeof(*res)), sizeof(*res));
	close(p[0]);
	if (res->grandchild > 0)
		track_pid(res->grandchild);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	untrack_pid(pid);
}

struct lines {
	char buf[4096];
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t n = strlen(l->buf);

	snprintf(l->buf + n, sizeof(l->buf) - n, "%s\n", line);
}

/* ---- tests ------------------------------------------------------------ */

static void test_open_add_close(void **state)
{
	struct registry *reg = NULL;
	char err[512], path[PATH_MAX], buf[1024], want[128], id[16], boot[64];
	int i;

	(void)state;
	assert_int_equal(registry_open(&reg, err, sizeof(err)), 0);
	snprintf(id, sizeof(id), "%s", registry_run_id(reg)); /* outlives reg */
	assert_int_equal(strlen(id), 6);
	assert_memory_equal(id, "wl", 2);
	for (i = 2; i < 6; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));

	snprintf(path, sizeof(path), "%s/%s/owner", run_dir, id);
	assert_int_equal(read_file(path, buf, sizeof(buf)), 0);
	assert_int_equal(read_file("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)), 0);
	boot[strcspn(boot, "\n")] = '\0';
	snprintf(want, sizeof(want), "%d %llu %s\n", (int)getpid(),
		 registry_proc_starttime(getpid()), boot);
	assert_string_equal(buf, want);
	assert_true(registry_proc_starttime(getpid()) > 0);

	assert_int_equal(registry_add(reg, err, sizeof(err), "tmpdir /tmp/wirelab-%d", 7), 0);
	assert_int_equal(registry_add(reg, err, sizeof(err), "pid %d %llu", 1, 2ULL), 0);
	assert_int_equal(registry_add(reg, err, sizeof(err), "two\nlines"), -1);
	assert_non_null(strstr(err, "objects"));
	snprintf(path, sizeof(path), "%s/%s/objects", run_dir, id);
	assert_int_equal(read_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tmpdir /tmp/wirelab-7\npid 1 2\n");

	registry_close(reg);
	snprintf(path, sizeof(path), "%s/%s", run_dir, id);
	assert_false(exists(path));
	registry_close(NULL);
	assert_int_equal(run_dir_entries(), 0);
}

/* A line is on disk the moment registry_add returns: a SIGKILL right after
 * loses nothing. */
static void test_durable(void **state)
{
	struct dead_plan plan = { .lines = { "tmpdir /tmp/wirelab-durable-test", NULL } };
	struct dead_result r;
	char path[PATH_MAX], buf[256];
	struct lines l = { "" };
	int n;

	(void)state;
	dead_run(&plan, &r);
	snprintf(path, sizeof(path), "%s/%s/objects", run_dir, r.id);
	assert_int_equal(read_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tmpdir /tmp/wirelab-durable-test\n");
	n = registry_clean_stale(collect, &l, buf, sizeof(buf));
	assert_int_equal(n, 0); /* the temp dir was never made */
	assert_non_null(strstr(l.buf, "removed run directory"));
	assert_int_equal(run_dir_entries(), 0);
}

static void test_starttime(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(registry_proc_starttime(0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* A zombie is not alive. */
	assert_int_equal(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
	assert_int_equal(registry_proc_starttime(pid), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(registry_proc_starttime(pid), 0);
}

/* The dead run's recorded process group and temp dir go; a live run's
 * process and temp dir, a recycled pid and refused paths stay. */
static void test_clean_dead_run(void **state)
{
	struct registry *live = NULL;
	char err[512], live_tmp[64], dead_tmp[64], decoy[64], nest[64], nested[128];
	char linkdir[64], target[64], linkpath[128], keep_file[PATH_MAX];
	char l_live_pid[64], l_live_tmp[96], l_recycled[64], l_dead_tmp[96], l_decoy[96];
	char l_nested[160], l_dotdot[160], l_link[96], l_netns[96];
	struct dead_plan plan = { .grandchild = 1 };
	struct dead_result r;
	struct lines l = { "" };
	pid_t live_pid, other;
	int n;

	(void)state;
	assert_int_equal(registry_open(&live, err, sizeof(err)), 0);
	live_pid = sleeper(0);
	other = sleeper(0); /* nobody's: stands for a recycled pid */
	make_tmpdir(live_tmp, sizeof(live_tmp), "wirelab-live-");
	assert_int_equal(registry_add(live, err, sizeof(err), "pid %d %llu", (int)live_pid,
				      registry_proc_starttime(live_pid)),
			 0);
	assert_int_equal(registry_add(live, err, sizeof(err), "tmpdir %s", live_tmp), 0);

	make_tmpdir(dead_tmp, sizeof(dead_tmp), "wirelab-dead-");
	put_file(dead_tmp, "capture.pcap");
	make_tmpdir(decoy, sizeof(decoy), "notwirelab-");
	put_file(decoy, "precious");
	make_tmpdir(nest, sizeof(nest), "nest-");
	snprintf(nested, sizeof(nested), "%s/wirelab-inner", nest);
	assert_int_equal(mkdir(nested, 0700), 0);
	/* A symlink inside the dead run's temp dir to a directory outside:
	 * the link goes, the target's contents stay. */
	make_tmpdir(target, sizeof(target), "notwirelab-target-");
	put_file(target, "precious");
	snprintf(linkpath, sizeof(linkpath), "%s/link", dead_tmp);
	assert_int_equal(symlink(target, linkpath), 0);
	/* A recorded temp dir that is itself a symlink is refused. */
	snprintf(linkdir, sizeof(linkdir), "/tmp/wirelab-symlink-%d", (int)getpid());
	assert_int_equal(symlink(target, linkdir), 0);
	track_path(linkdir);

	snprintf(l_live_pid, sizeof(l_live_pid), "pid %d %llu", (int)live_pid,
		 registry_proc_starttime(live_pid));
	snprintf(l_live_tmp, sizeof(l_live_tmp), "tmpdir %s", live_tmp);
	snprintf(l_recycled, sizeof(l_recycled), "pid %d %llu", (int)other,
		 registry_proc_starttime(other) + 1);
	snprintf(l_dead_tmp, sizeof(l_dead_tmp), "tmpdir %s", dead_tmp);
	snprintf(l_decoy, sizeof(l_decoy), "tmpdir %s", decoy);
	snprintf(l_nested, sizeof(l_nested), "tmpdir %s", nested);
	snprintf(l_dotdot, sizeof(l_dotdot), "tmpdir /tmp/wirelab-x/..%s", decoy + 4);
	snprintf(l_link, sizeof(l_link), "tmpdir %s", linkdir);
	plan.lines[0] = l_live_pid;
	plan.lines[1] = l_live_tmp;
	plan.lines[2] = l_recycled;
	plan.lines[3] = l_dead_tmp;
	plan.lines[4] = l_decoy;
	plan.lines[5] = l_nested;
	plan.lines[6] = l_dotdot;
	plan.lines[7] = l_link;
	plan.lines[8] = "mount /tmp/not-ours";
	plan.lines[9] = NULL;
	if (have_root) {
		/* Under /run/netns but not named after the dead run: stays. */
		int fd;

		if (mkdir("/run/netns", 0755) == 0)
			made_netns_run_dir = 1;
		snprintf(netns_decoy, sizeof(netns_decoy), "/run/netns/wirelab-decoy-%d",
			 (int)getpid());
		fd = open(netns_decoy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		close(fd);
		snprintf(l_netns, sizeof(l_netns), "mount %s", netns_decoy);
		plan.lines[9] = l_netns;
		plan.lines[10] = NULL;
	}
	dead_run(&plan, &r);
	assert_false(was_killed(r.grandchild)); /* orphaned, alive, ours now */

	n = registry_clean_stale(collect, &l, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_stale: %s", err);
	assert_int_equal(n, 2); /* the grandchild, the dead run's temp dir */
	assert_true(was_killed(r.grandchild));
	assert_false(was_killed(live_pid));
	assert_false(was_killed(other));
	assert_false(exists(dead_tmp));
	assert_true(exists(live_tmp));
	snprintf(keep_file, sizeof(keep_file), "%s/precious", decoy);
	assert_true(exists(keep_file));
	assert_true(exists(nested));
	snprintf(keep_file, sizeof(keep_file), "%s/precious", target);
	assert_true(exists(keep_file));
	assert_true(exists(linkdir));
	assert_non_null(strstr(l.buf, "killed pid"));
	assert_non_null(strstr(l.buf, "left temp dir"));
	assert_non_null(strstr(l.buf, "left mount /tmp/not-ours"));
	if (have_root)
		assert_true(exists(netns_decoy));
	assert_int_equal(run_dir_entries(), 1); /* the live run's */

	end(live_pid);
	end(other);
	registry_close(live);
	assert_int_equal(run_dir_entries(), 0);
}

/* Processes inside a dead run's recorded namespace are killed; one in a
 * namespace a live run also records, and one in an unrecorded namespace
 * whose inode is recorded with the wrong cookie (a reused inode), are not. */
static void test_clean_netns(void **state)
{
	struct registry *live = NULL;
	char err[512], l_shared[96], l_reused[96];
	unsigned long long ino, cookie, uino, ucookie;
	struct dead_plan plan = { .grandchild = 1, .grandchild_ns = 1 };
	struct dead_result r;
	pid_t in_live, unrelated;
	int n;

	(void)state;
	if (!have_root) {
		fprintf(stderr, "skipped: namespaces need root\n");
		skip();
	}
	assert_int_equal(registry_open(&live, err, sizeof(err)), 0);
	in_live = sleeper(1);
	netns_of(in_live, &ino, &cookie);
	assert_int_equal(
		registry_add(live, err, sizeof(err), "netns live-ns %llu %llu", ino, cookie), 0);
	unrelated = sleeper(1);
	netns_of(unrelated, &uino, &ucookie);

	snprintf(l_shared, sizeof(l_shared), "netns shared %llu %llu", ino, cookie);
	snprintf(l_reused, sizeof(l_reused), "netns reused %llu %llu", uino, ucookie + 1000);
	plan.lines[0] = l_shared;
	plan.lines[1] = l_reused;
	plan.lines[2] = NULL;
	dead_run(&plan, &r);
	assert_false(was_killed(r.grandchild));

	n = registry_clean_stale(NULL, NULL, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_stale: %s", err);
	assert_int_equal(n, 1);
	assert_true(was_killed(r.grandchild));
	assert_false(was_killed(in_live));
	assert_false(was_killed(unrelated));

	end(in_live);
	end(unrelated);
	registry_close(live);
	assert_int_equal(run_dir_entries(), 0);
}

/* What the cleaner cannot undo keeps the run directory and is an error. */
static void test_unknown_kind(void **state)
{
	struct dead_plan plan = { .lines = { "frobnicator 42", NULL } };
	struct dead_result r;
	char err[512], path[PATH_MAX];

	(void)state;
	dead_run(&plan, &r);
	assert_int_equal(registry_clean_stale(NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "frobnicator 42"));
	assert_non_null(strstr(err, r.id));
	assert_int_equal(run_dir_entries(), 1);
	/* A new run still opens: leftovers never block a run. */
	{
		struct registry *reg = NULL;

		assert_int_equal(registry_open(&reg, err, sizeof(err)), 0);
		assert_int_equal(run_dir_entries(), 2);
		registry_close(reg);
	}
	snprintf(path, sizeof(path), "%s/%s", run_dir, r.id);
	rm_rf(path);
	assert_int_equal(run_dir_entries(), 0);
}

/* A dead run marked "kept" (a lab left up on purpose) survives
 * registry_clean_unkept and a new run's registry_open, and goes with
 * registry_clean_stale. */
static void test_kept(void **state)
{
	struct dead_plan plan = { 0 };
	struct dead_result r;
	char err[512], tmp[64], line[96];
	int n;

	(void)state;
	make_tmpdir(tmp, sizeof(tmp), "wirelab-kept-");
	snprintf(line, sizeof(line), "tmpdir %s", tmp);
	plan.lines[0] = line;
	plan.lines[1] = "kept";
	dead_run(&plan, &r);
	n = registry_clean_unkept(NULL, NULL, err, sizeof(err));
	assert_int_equal(n, 0);
	assert_true(exists(tmp));
	assert_int_equal(run_dir_entries(), 1);
	{
		struct registry *reg = NULL;

		assert_int_equal(registry_open(&reg, err, sizeof(err)), 0);
		registry_close(reg);
	}
	assert_true(exists(tmp));
	assert_int_equal(run_dir_entries(), 1);
	n = registry_clean_stale(NULL, NULL, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_stale: %s", err);
	assert_int_equal(n, 1);
	assert_false(exists(tmp));
	assert_int_equal(run_dir_entries(), 0);
}

/* A run of an earlier boot: its paths are removed, but a process that
 * happens to have a recorded pid and start time now is not killed (after a
 * reboot both start over). */
static void test_earlier_boot(void **state)
{
	struct dead_plan plan = { 0 };
	struct dead_result r;
	char err[512], tmp[64], l_tmp[96], l_pid[64], path[PATH_MAX];
	pid_t other;
	int fd, n;

	(void)state;
	other = sleeper(0);
	make_tmpdir(tmp, sizeof(tmp), "wirelab-boot-");
	snprintf(l_tmp, sizeof(l_tmp), "tmpdir %s", tmp);
	snprintf(l_pid, sizeof(l_pid), "pid %d %llu", (int)other, registry_proc_starttime(other));
	plan.lines[0] = l_tmp;
	plan.lines[1] = l_pid;
	dead_run(&plan, &r);
	snprintf(path, sizeof(path), "%s/%s/owner", run_dir, r.id);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(dprintf(fd, "1 1 00000000-0000-0000-0000-000000000000\n") > 0);
	close(fd);

	n = registry_clean_stale(NULL, NULL, err, sizeof(err));
	if (n < 0)
		fail_msg("registry_clean_stale: %s", err);
	assert_int_equal(n, 1);
	assert_false(exists(tmp));
	assert_false(was_killed(other));
	assert_int_equal(run_dir_entries(), 0);
	end(other);
}

/* Many runs at once get distinct ids. */
static void test_unique_ids(void **state)
{
	struct registry *reg[64];
	char err[512];
	int i, j;

	(void)state;
	for (i = 0; i < 64; i++)
		assert_int_equal(registry_open(&reg[i], err, sizeof(err)), 0);
	for (i = 0; i < 64; i++)
		for (j = i + 1; j < 64; j++)
			assert_string_not_equal(registry_run_id(reg[i]), registry_run_id(reg[j]));
	assert_int_equal(run_dir_entries(), 64);
	for (i = 0; i < 64; i++)
		registry_close(reg[i]);
	assert_int_equal(run_dir_entries(), 0);
}

/* ---- main ------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	snprintf(run_dir, sizeof(run_dir), "/tmp/wirelab-test-registry-XXXXXX");
	if (!mkdtemp(run_dir))
		return -1;
	setenv("WIRELAB_RUN_DIR", run_dir, 1);
	have_root = geteuid() == 0;
	return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

/* After every test, passed or failed: its processes, its paths, and any
 * run directory it left (a failed test skips its registry_close). */
static int cleanup(void **state)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t i;
	DIR *d;

	(void)state;
	for (i = 0; i < sizeof(tracked_pid) / sizeof(tracked_pid[0]); i++)
		if (tracked_pid[i])
			end(tracked_pid[i]);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* orphans reparented to us */
		;
	for (i = 0; i < sizeof(tracked_path) / sizeof(tracked_path[0]); i++) {
		if (tracked_path[i][0])
			rm_rf(tracked_path[i]);
		tracked_path[i][0] = '\0';
	}
	if (netns_decoy[0])
		unlink(netns_decoy);
	netns_decoy[0] = '\0';
	if (made_netns_run_dir)
		rmdir("/run/netns");
	made_netns_run_dir = 0;
	d = opendir(run_dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", run_dir, e->d_name);
		rm_rf(path);
	}
	if (d)
		closedir(d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (rmdir(run_dir) < 0)
		fprintf(stderr, "warning: %s left behind: %s\n", run_dir, strerror(errno));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_open_add_close, cleanup),
		cmocka_unit_test_teardown(test_durable, cleanup),
		cmocka_unit_test_teardown(test_starttime, cleanup),
		cmocka_unit_test_teardown(test_clean_dead_run, cleanup),
		cmocka_unit_test_teardown(test_clean_netns, cleanup),
		cmocka_unit_test_teardown(test_unknown_kind, cleanup),
		cmocka_unit_test_teardown(test_kept, cleanup),
		cmocka_unit_test_teardown(test_earlier_boot, cleanup),
		cmocka_unit_test_teardown(test_unique_ids, cleanup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

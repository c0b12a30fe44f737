/* tests/test_proc.c — netns/proc.c with real programs (sh, sleep, readlink).
 *
 * This process makes itself a child subreaper (prctl(2)), so that the
 * grandchildren a test's shell starts are re-parented here when the shell
 * dies and the test can reap them and see which signal ended them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns/proc.h"
#include "netns/registry.h"

static char tmpdir[] = "/tmp/wl-test-proc-XXXXXX";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Reads a whole small file into buf (NUL-terminated). */
static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Waits (bounded) for a re-parented orphan and returns its wait status. */
static int reap_orphan(pid_t pid, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct timespec d = { 0, 1000000L };
	int st;

	while (now_ms() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		assert_true(r == 0);
		nanosleep(&d, NULL);
	}
	/* Ours (re-parented to this subreaper): do not leave it behind. */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("pid %d still alive after %d ms", (int)pid, timeout_ms);
	return -1;
}

static void test_exit_status_and_output(void **state)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; echo \"$WL_X\" \"$PWD\"; exit 7",
			 NULL };
	char *envp[] = { "WL_X=hello", "PATH=/usr/bin:/bin", NULL };
	char outp[PATH_MAX], errp[PATH_MAX], buf[PATH_MAX + 64], want[PATH_MAX + 64];
	struct proc_spec s = { .netns_fd = -1, .argv = argv, .envp = envp, .cwd = tmpdir };
	struct proc *p = NULL;
	char err[256] = "";
	int st = -1;

	(void)state;
	path_in(outp, sizeof(outp), "out");
	path_in(errp, sizeof(errp), "err");
	s.stdout_path = outp;
	s.stderr_path = errp;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	assert_true(proc_pid(p) > 0);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	/* Waiting again gives the same status; so does stop. */
	assert_int_equal(proc_wait(p, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_int_equal(proc_stop(p, SIGTERM, 100), st);
	assert_int_equal(proc_stop(p, SIGTERM, 100), st);
	slurp(outp, buf, sizeof(buf));
	snprintf(want, sizeof(want), "out\nhello %s\n", tmpdir);
	assert_string_equal(buf, want);
	slurp(errp, buf, sizeof(buf));
	assert_string_equal(buf, "err\n");
	proc_free(p);
	proc_free(NULL);
	unlink(outp);
	unlink(errp);
}

/* stdout and stderr to the same file: one shared offset, nothing lost. */
static void test_same_file_for_both(void **state)
{
	char *argv[] = { "sh", "-c", "echo 1; echo 2 >&2; echo 3", NULL };
	char outp[PATH_MAX], buf[64];
	struct proc_spec s = { .netns_fd = -1, .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	int st = -1;

	(void)state;
	path_in(outp, sizeof(outp), "both");
	s.stdout_path = outp;
	s.stderr_path = outp;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	slurp(outp, buf, sizeof(buf));
	assert_string_equal(buf, "1\n2\n3\n");
	proc_free(p);
	unlink(outp);
}

/* Only 0-2 reach the program: an fd of ours without O_CLOEXEC does not. */
static void test_no_fd_leak(void **state)
{
	char *argv[] = { "sh", "-c", "ls /proc/self/fd", NULL };
	char outp[PATH_MAX], buf[256];
	struct proc_spec s = { .netns_fd = -1, .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	int st = -1, leak;

	(void)state;
	leak = open("/dev/null", O_RDONLY); /* deliberately inheritable */
	assert_true(leak >= 3);
	path_in(outp, sizeof(outp), "fds");
	s.stdout_path = outp;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	slurp(outp, buf, sizeof(buf));
	/* ls itself opens one directory fd (3) to list /proc/self/fd. */
	assert_string_equal(buf, "0\n1\n2\n3\n");
	proc_free(p);
	close(leak);
	unlink(outp);
}

static void test_exec_failure(void **state)
{
	char *argv[] = { "wirelab-no-such-program", NULL };
	struct proc_spec s = { .netns_fd = -1, .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	int st;

	char *path;

	(void)state;
	/* A PATH we know: with an unreadable directory in it, execvp(3)
	 * reports EACCES instead of ENOENT. */
	path = strdup(getenv("PATH") ? getenv("PATH") : "");
	assert_non_null(path);
	setenv("PATH", "/usr/bin:/bin", 1);
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), -1);
	setenv("PATH", path, 1);
	free(path);
	assert_null(p);
	assert_string_equal(err, "cannot run wirelab-no-such-program: No such file or directory");
	/* The failed child was reaped: nothing is left to wait for. */
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	s.stdout_path = "/nonexistent-dir/out";
	argv[0] = "true";
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot open /nonexistent-dir/out for true: No such file or "
				 "directory");
}

/* A shell that ignores SIGTERM, with a grandchild (sleep) that inherits the
 * ignored SIGTERM: the timeout expires, SIGTERM does nothing, and after the
 * grace period SIGKILL ends both, through the group. */
static void test_timeout_kills_group(void **state)
{
	char *argv[] = { "sh", "-c", "trap '' TERM; sleep 30 & echo $!; wait", NULL };
	char outp[PATH_MAX], buf[64];
	struct proc_spec s = { .netns_fd = -1, .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	int st = -1, gst, r;
	int64_t t0, end;
	pid_t gpid = 0;

	(void)state;
	path_in(outp, sizeof(outp), "gpid");
	s.stdout_path = outp;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	/* The grandchild's pid appears once the shell has forked it. */
	end = now_ms() + 2000;
	while (gpid <= 0 && now_ms() < end) {
		struct timespec d = { 0, 1000000L };

		slurp(outp, buf, sizeof(buf));
		gpid = atoi(buf);
		if (gpid <= 0)
			nanosleep(&d, NULL);
	}
	assert_true(gpid > 0);
	assert_int_equal(getpgid(gpid), proc_pid(p));

	t0 = now_ms();
	assert_int_equal(proc_wait(p, 100, &st, err, sizeof(err)), 1);
	assert_true(now_ms() - t0 >= 100);
	t0 = now_ms();
	r = proc_stop(p, SIGTERM, 150);
	assert_true(now_ms() - t0 >= 150); /* SIGTERM was ignored: full grace */
	assert_true(WIFSIGNALED(r));
	assert_int_equal(WTERMSIG(r), SIGKILL);
	gst = reap_orphan(gpid, 2000);
	assert_true(WIFSIGNALED(gst));
	assert_int_equal(WTERMSIG(gst), SIGKILL);
	proc_free(p);
	unlink(outp);
}

/* A polite stop: SIGTERM reaches the group and nobody needs SIGKILL. */
static void test_stop_politely(void **state)
{
	char *argv[] = { "sleep", "30", NULL };
	struct proc_spec s = { .netns_fd = -1, .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	int64_t t0;
	int r;

	(void)state;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	t0 = now_ms();
	r = proc_stop(p, SIGTERM, 2000);
	assert_true(now_ms() - t0 < 1000);
	assert_true(WIFSIGNALED(r));
	assert_int_equal(WTERMSIG(r), SIGTERM);
	proc_free(p);
}

/* PR_SET_PDEATHSIG: a helper process starts sleep, then dies; the sleep
 * must die with it (SIGKILL) instead of living on. */
static void test_dies_with_parent(void **state)
{
	int pfd[2], st, gst;
	pid_t helper, gpid = 0;

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		char *argv[] = { "sleep", "30", NULL };
		struct proc_spec s = { .netns_fd = -1, .argv = argv };
		struct proc *p = NULL;
		char err[256];
		pid_t pid;

		if (proc_start(&s, NULL, &p, err, sizeof(err)) < 0)
			_exit(1);
		pid = proc_pid(p);
		if (write(pfd[1], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
			_exit(2);
		_exit(0); /* without proc_free: the kernel must do it */
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &gpid, sizeof(gpid)), (ssize_t)sizeof(gpid));
	close(pfd[0]);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	gst = reap_orphan(gpid, 2000);
	assert_true(WIFSIGNALED(gst));
	assert_int_equal(WTERMSIG(gst), SIGKILL);
}

/* The child runs in the namespace given: its /proc/self/ns/net names the
 * same namespace (same inode) as our fd. */
static void test_runs_in_namespace(void **state)
{
	char *argv[] = { "readlink", "/proc/self/ns/net", NULL };
	char outp[PATH_MAX], buf[64], want[64];
	struct proc_spec s = { .argv = argv };
	struct proc *p = NULL;
	char err[256] = "";
	struct stat sb;
	int orig, ns, st = -1;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: a new network namespace needs root\n");
		skip();
	}
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(orig >= 0);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_int_equal(setns(orig, CLONE_NEWNET), 0);
	assert_true(ns >= 0);
	assert_int_equal(fstat(ns, &sb), 0);

	path_in(outp, sizeof(outp), "ns");
	s.netns_fd = ns;
	s.stdout_path = outp;
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	slurp(outp, buf, sizeof(buf));
	snprintf(want, sizeof(want), "net:[%lu]\n", (unsigned long)sb.st_ino);
	assert_string_equal(buf, want);
	proc_free(p);

	/* Not a namespace fd: the message says which step failed. */
	s.netns_fd = orig;
	close(orig);
	s.netns_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(proc_start(&s, NULL, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot enter the namespace for readlink: Invalid argument");
	close(s.netns_fd);
	close(ns);
	unlink(outp);
}

/* The registry holds "pid <pid> <starttime>" before the program runs. The
 * program reads the registry itself, so the line is there by then. */
static void test_registry_line(void **state)
{
	char rundir[PATH_MAX], outp[PATH_MAX], line[128], buf[4096];
	char *argv[] = { "sh", "-c", "cat \"$WL_OBJ\"", NULL };
	char envbuf[PATH_MAX + 16];
	char *envp[] = { envbuf, "PATH=/usr/bin:/bin", NULL };
	struct proc_spec s = { .netns_fd = -1, .argv = argv, .envp = envp };
	struct registry *reg = NULL;
	struct proc *p = NULL;
	char err[256] = "";
	int st = -1;

	(void)state;
	path_in(rundir, sizeof(rundir), "run");
	assert_int_equal(mkdir(rundir, 0700), 0);
	setenv("WIRELAB_RUN_DIR", rundir, 1);
	if (registry_open(&reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "skipped: %s\n", err);
		rmdir(rundir);
		skip();
	}
	snprintf(envbuf, sizeof(envbuf), "WL_OBJ=%s/%s/objects", rundir, registry_run_id(reg));
	path_in(outp, sizeof(outp), "reg");
	s.stdout_path = outp;
	assert_int_equal(proc_start(&s, reg, &p, err, sizeof(err)), 0);
	assert_int_equal(proc_wait(p, 5000, &st, err, sizeof(err)), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	slurp(outp, buf, sizeof(buf));
	snprintf(line, sizeof(line), "pid %d ", (int)proc_pid(p));
	assert_non_null(strstr(buf, line));
	/* The start time recorded is the child's own (non-zero). */
	assert_true(strtoull(strstr(buf, line) + strlen(line), NULL, 10) > 0);
	proc_free(p);
	registry_close(reg);
	unsetenv("WIRELAB_RUN_DIR");
	unlink(outp);
	assert_int_equal(rmdir(rundir), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -1 : 0;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Removes the temp dir with whatever a failed test left in it. */
static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_and_output),
		cmocka_unit_test(test_same_file_for_both),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_stop_politely),
		cmocka_unit_test(test_dies_with_parent),
		cmocka_unit_test(test_runs_in_namespace),
		cmocka_unit_test(test_registry_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* netns/proc.c — programs run inside a lab namespace.
 *
 * The child is held at a pipe until the parent has recorded its pid in the
 * run registry: a SIGKILL of wirelab at any point leaves either no process or
 * a recorded one, never an unrecorded one (DEVELOPERS.md, "Ground rules").
 * Exec failures travel back through a close-on-exec pipe, so that the caller
 * sees "cannot run curl: No such file or directory" instead of a child that
 * exits 127 (the technique of posix_spawn(3) in glibc and of Python's
 * subprocess module).
 *
 * The leader is never reaped before proc_stop()/proc_free(): a zombie keeps
 * its pid, and so the number of its process group, from being reused
 * (kill(2) with -pgid would otherwise risk hitting somebody else's group
 * once the leader is gone). proc_wait() reads the status with WNOWAIT.
 */
#include "netns/proc.h"

#include "netns/errbuf.h"
#include "netns/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct proc {
	pid_t pid;
	int pidfd;  /* -1 when pidfd_open(2) is unavailable */
	int exited; /* status is valid; the leader is a zombie or reaped */
	int reaped;
	int status;
	char name[64]; /* basename of argv[0], for messages */
};

/* What the child writes to the error pipe when a step fails before exec. */
enum child_step {
	STEP_PARENT_GONE = 1,
	STEP_SETPGID,
	STEP_PDEATHSIG,
	STEP_SETNS,
	STEP_STDIN,
	STEP_STDOUT,
	STEP_STDERR,
	STEP_DUP,
	STEP_CHDIR,
	STEP_NICE,
	STEP_EXEC,
};

struct child_report {
	int step;
	int err;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Only async-signal-safe calls from here to exec: the parent may have other
 * threads (the impairment engine), whose locks the child inherits held
 * (fork(2), signal-safety(7)). */
static void child_fail(int fd, int step) __attribute__((noreturn));

static void child_fail(int fd, int step)
{
	struct child_report r = { .step = step, .err = errno };
	ssize_t n;

	do {
		n = write(fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	_exit(127);
}

static int child_open(const char *path, int flags)
{
	return open(path ? path : "/dev/null", flags | O_CLOEXEC, 0644);
}

static void child_run(const struct proc_spec *s, pid_t parent, int rel_fd, int err_fd)
	__attribute__((noreturn));

static void child_run(const struct proc_spec *s, pid_t parent, int rel_fd, int err_fd)
{
	struct sigaction dfl;
	sigset_t all;
	int in, out, errfd;
	char c;
	ssize_t n;

	/* Both sides call setpgid so that neither the parent's kill(-pid) nor
	 * the child's exec can run before the group exists (setpgid(2)). */
	if (setpgid(0, 0) < 0)
		child_fail(err_fd, STEP_SETPGID);
	/* The child dies with the *thread* that forked it (prctl(2)): call
	 * proc_start from a thread that lives as long as the child should
	 * (the main thread, not a short-lived worker). If the parent is
	 * already gone, getppid() names the reaper instead. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(err_fd, STEP_PDEATHSIG);
	if (getppid() != parent)
		child_fail(err_fd, STEP_PARENT_GONE);

	/* Exec keeps ignored signals ignored and the mask as is (execve(2)):
	 * the parent may block SIGINT/SIGTERM for its signalfd, and a program
	 * started with them blocked could not be stopped politely. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* glibc's reserved ones: EINVAL */
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	if (s->netns_fd >= 0 && setns(s->netns_fd, CLONE_NEWNET) < 0)
		child_fail(err_fd, STEP_SETNS);

	in = child_open(NULL, O_RDONLY);
	if (in < 0)
		child_fail(err_fd, STEP_STDIN);
	out = child_open(s->stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
	if (out < 0)
		child_fail(err_fd, STEP_STDOUT);
	if (s->stderr_path && s->stdout_path && strcmp(s->stderr_path, s->stdout_path) == 0)
		errfd = dup(out);
	else
		errfd = child_open(s->stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
	if (errfd < 0)
		child_fail(err_fd, STEP_STDERR);
	/* in/out/errfd are >= 3 unless the parent had 0-2 closed; moving them
	 * in the order 0, 1, 2 could clobber one not yet moved, so park them
	 * above 2 first. dup2 clears close-on-exec on 0-2 (dup2(2)). */
	if (in < 3 && (in = fcntl(in, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(err_fd, STEP_DUP);
	if (out < 3 && (out = fcntl(out, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(err_fd, STEP_DUP);
	if (errfd < 3 && (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(err_fd, STEP_DUP);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		child_fail(err_fd, STEP_DUP);

	if (s->cwd && chdir(s->cwd) < 0)
		child_fail(err_fd, STEP_CHDIR);

	/* Nothing but 0-2 may reach the program: an inherited socket, pcap
	 * handle or namespace fd would keep a lab object alive past its owner.
	 * close_range(2) with CLOSE_RANGE_CLOEXEC marks them all at once and
	 * keeps err_fd usable until exec closes it. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		if (max < 0 || max > 1 << 20)
			max = 1 << 20;
		for (int fd = 3; fd < max; fd++) {
			if (fd != err_fd && fd != rel_fd)
				close(fd);
		}
	}

	/* Wait for the parent to record our pid; EOF means it gave up. */
	do {
		n = read(rel_fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		errno = ECANCELED;
		child_fail(err_fd, STEP_PARENT_GONE);
	}

	if (s->nice && setpriority(PRIO_PROCESS, 0, s->nice) < 0)
		child_fail(err_fd, STEP_NICE);
	if (s->envp)
		execvpe(s->argv[0], s->argv, s->envp);
	else
		execvp(s->argv[0], s->argv);
	child_fail(err_fd, STEP_EXEC);
}

static const char *step_what(int step)
{
	switch ((enum child_step)step) {
	case STEP_PARENT_GONE:
		return "wait for the parent";
	case STEP_SETPGID:
		return "make a process group";
	case STEP_PDEATHSIG:
		return "set the parent-death signal";
	case STEP_SETNS:
		return "enter the namespace";
	case STEP_STDIN:
		return "open /dev/null";
	case STEP_STDOUT:
		return "open stdout";
	case STEP_STDERR:
		return "open stderr";
	case STEP_DUP:
		return "set up stdio";
	case STEP_CHDIR:
		return "change directory";
	case STEP_NICE:
		return "set the nice value";
	case STEP_EXEC:
		return "execute";
	}
	return "start";
}

static void set_name(struct proc *p, const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	snprintf(p->name, sizeof(p->name), "%s", slash && slash[1] ? slash + 1 : argv0);
}

/* Converts waitid(2)'s siginfo into the status waitpid(2) would give. */
static int status_from_siginfo(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return 0;
	}
}

/* Has the leader exited? Reads its status without reaping it. 1 yes, 0 no,
 * -1 error (errno). */
static int peek_exit(struct proc *p)
{
	siginfo_t si;

	if (p->exited)
		return 1;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return -1;
	if (si.si_pid != p->pid)
		return 0;
	p->status = status_from_siginfo(&si);
	p->exited = 1;
	return 1;
}

/* Waits for the leader to exit, without reaping it. 0 exited, 1 timeout,
 * -1 error (errno). */
static int wait_exit(struct proc *p, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	int r, nap_ms = 1;

	for (;;) {
		int left = -1;

		r = peek_exit(p);
		if (r != 0)
			return r > 0 ? 0 : -1;
		if (timeout_ms >= 0) {
			int64_t l = deadline - now_ms();

			if (l <= 0)
				return 1;
			left = l > INT_MAX ? INT_MAX : (int)l;
		}
		if (p->pidfd >= 0) {
			/* A pidfd polls readable once the process exits
			 * (pidfd_open(2)), with no SIGCHLD handler. */
			struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

			r = poll(&pfd, 1, left);
			if (r < 0 && errno != EINTR)
				return -1;
		} else {
			/* No pidfd: poll waitid() with a bounded back-off, so
			 * that the caller's SIGCHLD disposition stays its own. */
			int nap = left >= 0 && left < nap_ms ? left : nap_ms;
			struct timespec ts = { .tv_sec = nap / 1000,
					       .tv_nsec = (long)(nap % 1000) * 1000000 };

			nanosleep(&ts, NULL);
			if (nap_ms < 20)
				nap_ms *= 2;
		}
	}
}

int proc_start(const struct proc_spec *s, struct registry *reg, struct proc **out, char *err,
	       size_t errlen)
{
	struct proc *p = NULL;
	int rel[2] = { -1, -1 }, rep[2] = { -1, -1 };
	struct child_report r;
	pid_t parent = getpid();
	ssize_t n;
	int ret = -1;

	if (!s || !s->argv || !s->argv[0] || !out) {
		errbuf_set(err, errlen, "cannot start a process: no program given");
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errbuf_set(err, errlen, "cannot start %s: %s", s->argv[0], strerror(errno));
		goto out;
	}
	p->pid = -1;
	p->pidfd = -1;
	set_name(p, s->argv[0]);
	if (pipe2(rel, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		errbuf_set(err, errlen, "cannot start %s: pipe: %s", p->name, strerror(errno));
		goto out;
	}

	p->pid = fork();
	if (p->pid < 0) {
		errbuf_set(err, errlen, "cannot start %s: fork: %s", p->name, strerror(errno));
		goto out;
	}
	if (p->pid == 0) {
		close(rel[1]);
		close(rep[0]);
		child_run(s, parent, rel[0], rep[1]);
	}
	close(rel[0]);
	rel[0] = -1;
	close(rep[1]);
	rep[1] = -1;

	/* EACCES: the child already exec'd (impossible: it waits for us);
	 * ESRCH: it died, which the report pipe explains below. */
	if (setpgid(p->pid, p->pid) < 0 && errno != EACCES && errno != ESRCH) {
		errbuf_set(err, errlen, "cannot start %s: setpgid %d: %s", p->name, (int)p->pid,
			   strerror(errno));
		goto out;
	}
	/* The pid is ours and not yet reaped, so this pidfd cannot refer to a
	 * recycled pid. ENOSYS (kernel < 5.3) selects the polling fallback. */
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);

	if (reg) {
		unsigned long long st = registry_proc_starttime(p->pid);

		if (registry_add(reg, err, errlen, "pid %d %llu", (int)p->pid, st) < 0)
			goto out;
	}

	do {
		n = write(rel[1], "x", 1);
	} while (n < 0 && errno == EINTR);
	close(rel[1]);
	rel[1] = -1;

	/* EOF: exec succeeded and closed the pipe. A report: it failed. */
	do {
		n = read(rep[0], &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		errbuf_set(err, errlen, "cannot start %s: read: %s", p->name, strerror(errno));
		goto out;
	}
	if (n > 0) {
		if (n != (ssize_t)sizeof(r)) {
			errbuf_set(err, errlen, "cannot start %s: short report from the child",
				   p->name);
		} else if (r.step == STEP_STDOUT || r.step == STEP_STDERR) {
			const char *path = r.step == STEP_STDOUT ? s->stdout_path : s->stderr_path;

			errbuf_set(err, errlen, "cannot open %s for %s: %s",
				   path ? path : "/dev/null", p->name, strerror(r.err));
		} else if (r.step == STEP_CHDIR) {
			errbuf_set(err, errlen, "cannot change to %s for %s: %s", s->cwd, p->name,
				   strerror(r.err));
		} else if (r.step == STEP_EXEC) {
			errbuf_set(err, errlen, "cannot run %s: %s", p->name, strerror(r.err));
		} else {
			errbuf_set(err, errlen, "cannot %s for %s: %s", step_what(r.step), p->name,
				   strerror(r.err));
		}
		goto out;
	}
	*out = p;
	p = NULL;
	ret = 0;
out:
	if (rep[0] >= 0)
		close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
	if (rel[0] >= 0)
		close(rel[0]);
	if (rel[1] >= 0)
		close(rel[1]); /* a child still waiting reads EOF and exits */
	proc_free(p);
	return ret;
}

pid_t proc_pid(const struct proc *p)
{
	return p ? p->pid : -1;
}

int proc_wait(struct proc *p, int timeout_ms, int *status, char *err, size_t errlen)
{
	int r;

	if (!p || p->pid <= 0) {
		errbuf_set(err, errlen, "cannot wait: no process");
		return -1;
	}
	r = wait_exit(p, timeout_ms);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot wait for %s (pid %d): %s", p->name, (int)p->pid,
			   strerror(errno));
		return -1;
	}
	if (r == 0 && status)
		*status = p->status;
	return r;
}

int proc_stop(struct proc *p, int sig, int grace_ms)
{
	pid_t r;
	int st;

	if (!p || p->pid <= 0)
		return 0;
	if (p->reaped)
		return p->status;
	if (!p->exited && sig != SIGKILL && sig > 0) {
		kill(-p->pid, sig);
		wait_exit(p, grace_ms);
	}
	/* The leader is alive or a zombie: either way the group number is
	 * still ours, so this reaches only what we started (and what it
	 * forked without leaving the group). The leader itself too, in case
	 * it died before setpgid (the parent's call then fails with ESRCH). */
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	do {
		r = waitpid(p->pid, &st, 0);
	} while (r < 0 && errno == EINTR);
	if (r == p->pid)
		p->status = st;
	p->exited = 1;
	p->reaped = 1;
	return p->status;
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	if (p->pid > 0)
		proc_stop(p, SIGKILL, 0);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

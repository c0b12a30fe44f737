/* harness/grade.c — `wirelab grade LAB SUBMISSION... [--jobs N] [--out DIR]
 * [--shard K/N]`.
 *
 * For each submission (a directory per student, graded in the order of the
 * students' names): a child process of its own (fork: no threads shared)
 * opens its own run registry, copies the submission into a temp dir of the
 * run, builds it in the sandbox, runs the lab with the lab's `role` program
 * replaced by the student's (wrapped in the sandbox), and scores each claim
 * with the lab's `points`. The child writes DIR/STUDENT/ (results.json,
 * report.txt, the capture, build.log, program.out) and a row the parent
 * joins into DIR/gradebook.csv and gradebook.json, in the same order
 * whatever --jobs is.
 *
 * The sandbox, for the build and for the program (see harness/GRADING.md):
 * a root shell puts itself into fresh cgroups (pids, memory, cpu: v1, hybrid
 * or v2, whatever the machine has), points its output at a capped file and
 * execs prlimit (RLIMIT_NPROC, AS, CPU, FSIZE, NOFILE, CORE) -> setpriv (a
 * uid/gid of its own per run, no groups, no capabilities in any set,
 * no_new_privs) -> bwrap (new user, pid, ipc, uts and cgroup namespaces; a
 * read-only view of /usr, /etc and the libraries, a fresh /tmp, /dev and
 * /proc, the submission's copy the only writable place; the build also gets
 * a namespace with no network; the program stays in the lab namespace where
 * proc_start put it). Killing the outer bwrap kills the pid namespace; the
 * cgroup is killed (cgroup.kill, or kill of every pid in v1) and removed
 * after each step.
 */
#include "harness/grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/claim.h"
#include "harness/cli.h"
#include "harness/json.h"
#include "harness/report.h"
#include "harness/run.h"
#include "netns/registry.h"

#define UID_BASE     1900000u	  /* sandbox uid = base + the run id's 16 bits */
#define RUN_FSIZE    (1u << 20)	  /* the program's output and files */
#define BUILD_FSIZE  (16u << 20)  /* the build's log and objects */
#define RUN_AS	     (1ull << 30) /* address space */
#define BUILD_AS     (2ull << 30)
#define RUN_CPU_S    20
#define NPROC	     64
#define CG_PIDS	     64
#define CG_MEM	     (512ull << 20)
#define MAX_CG	     4
#define PROGRAM_TAIL 512
#define BUILD_TAIL   1024

static const char *const sandbox_tools[] = { "/usr/bin/bwrap", "/usr/bin/setpriv",
					     "/usr/bin/prlimit" };

/* ---- small helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, s, strlen(s));
	close(fd);
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The last len-1 bytes of a file, at most, starting at a line. */
static void tail_text(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	long sz;
	size_t n;
	char *nl;

	out[0] = '\0';
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	if (sz > (long)len - 1) {
		fseek(f, sz - (long)len + 1, SEEK_SET);
	} else {
		fseek(f, 0, SEEK_SET);
	}
	n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = '\0';
	if (sz > (long)len - 1 && (nl = strchr(out, '\n')))
		memmove(out, nl + 1, strlen(nl + 1) + 1);
	/* The text may hold NUL bytes (a flooding program's output): trim
	 * what strlen sees, never before the start. */
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
}

/* One line: newlines and tabs become spaces (rows, CSV). */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\t' || *s == '\r')
			*s = ' ';
}

/* A shell word in single quotes. */
static void sh_quote(char *out, size_t len, const char *s)
{
	size_t n = 0;

	if (len < 3)
		return;
	out[n++] = '\'';
	for (; *s && n + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

/* ---- scoring, shards ---- */

int grade_claim_points(int verdict, int expected, int points)
{
	return verdict == expected ? points : 0;
}

int grade_parse_shard(const char *s, unsigned *k, unsigned *n)
{
	char *end;
	unsigned long a, b;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || b == 0 || b > 100000 || a == 0 || a > b)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* ---- cgroups ---- */

enum grade_cgroups grade_cgroups_detect(void)
{
	if (exists("/sys/fs/cgroup/cgroup.controllers"))
		return GRADE_CG_V2;
	if (exists("/sys/fs/cgroup/pids/tasks") || exists("/sys/fs/cgroup/memory/tasks"))
		return exists("/sys/fs/cgroup/unified/cgroup.controllers") ? GRADE_CG_HYBRID
									   : GRADE_CG_V1;
	return GRADE_CG_NONE;
}

struct cgroups {
	char path[MAX_CG][PATH_MAX];
	size_t n;
	int v2;		     /* index of the cgroup2 directory (cgroup.kill), or -1 */
	char list[PATH_MAX]; /* the file that records them for the parent */
};

/* Records the directory (so that the parent removes it if this process
 * dies), then creates it. */
static int cg_add(struct cgroups *cg, const char *dir, char *err, size_t errlen)
{
	FILE *f = fopen(cg->list, "a");

	if (!f || fprintf(f, "%s\n", dir) < 0 || fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", cg->list, strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create cgroup %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(cg->path[cg->n++], PATH_MAX, "%s", dir);
	return 0;
}

static void cg_set(const char *dir, const char *file, const char *value)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (exists(p))
		write_str(p, value); /* a limit the kernel refuses: rlimits remain */
}

static int cg_create(struct cgroups *cg, const char *name, char *err, size_t errlen)
{
	static const char *const v1[] = { "pids", "memory", "cpu" };
	enum grade_cgroups kind = grade_cgroups_detect();
	char dir[PATH_MAX], v[64];

	cg->n = 0;
	cg->v2 = -1;
	if (kind == GRADE_CG_V1 || kind == GRADE_CG_HYBRID) {
		for (size_t i = 0; i < 3; i++) {
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s/tasks", v1[i]);
			if (!exists(dir))
				continue;
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s/%s", v1[i], name);
			if (cg_add(cg, dir, err, errlen))
				return -1;
			if (i == 0) {
				snprintf(v, sizeof(v), "%d", CG_PIDS);
				cg_set(dir, "pids.max", v);
			} else if (i == 1) {
				snprintf(v, sizeof(v), "%llu", CG_MEM);
				cg_set(dir, "memory.limit_in_bytes", v);
			} else {
				cg_set(dir, "cpu.cfs_period_us", "100000");
				cg_set(dir, "cpu.cfs_quota_us", "100000");
			}
		}
	}
	if (kind == GRADE_CG_HYBRID || kind == GRADE_CG_V2) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s/%s",
			 kind == GRADE_CG_HYBRID ? "/unified" : "", name);
		if (cg_add(cg, dir, err, errlen))
			return -1;
		cg->v2 = (int)cg->n - 1;
		snprintf(v, sizeof(v), "%d", CG_PIDS);
		cg_set(dir, "pids.max", v);
		snprintf(v, sizeof(v), "%llu", CG_MEM);
		cg_set(dir, "memory.max", v);
		cg_set(dir, "cpu.max", "100000 100000");
	}
	return 0;
}

static int cg_empty(const char *dir)
{
	char p[PATH_MAX + 32], line[64];
	FILE *f;
	int empty = 1;

	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	f = fopen(p, "r");
	if (!f)
		return 1;
	if (fgets(line, sizeof(line), f))
		empty = 0;
	fclose(f);
	return empty;
}

/* Kills every process of one cgroup directory and removes it. cgroup.kill
 * where there is one (it catches racing forks); else SIGKILL to every pid
 * listed, again until none is left (pids.max bounds a fork bomb). */
static void cg_kill_dir(const char *dir, int v2, int remove)
{
	char p[PATH_MAX + 32], line[64];

	snprintf(p, sizeof(p), "%s/cgroup.kill", dir);
	if (v2 && exists(p))
		write_str(p, "1");
	for (int i = 0; i < 400 && !cg_empty(dir); i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
		f = fopen(p, "r");
		while (f && fgets(line, sizeof(line), f)) {
			pid_t pid = (pid_t)atol(line);

			if (pid > 1)
				kill(pid, SIGKILL);
		}
		if (f)
			fclose(f);
		usleep(5000);
	}
	for (int i = 0; remove && i < 200 && rmdir(dir) && errno == EBUSY; i++)
		usleep(5000);
}

/* remove: and the directories go (the end of the submission). */
static void cg_kill(struct cgroups *cg, int remove)
{
	if (cg->v2 >= 0)
		cg_kill_dir(cg->path[cg->v2], 1, remove);
	for (size_t i = 0; i < cg->n; i++)
		if ((int)i != cg->v2)
			cg_kill_dir(cg->path[i], 0, remove);
}

/* The parent, after a child ended: the cgroups it listed, whatever it left. */
static void cg_clean_list(const char *list)
{
	char line[PATH_MAX];
	FILE *f = fopen(list, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (exists(line))
			cg_kill_dir(line,
				    strstr(line, "/sys/fs/cgroup/unified/") ||
					    grade_cgroups_detect() == GRADE_CG_V2,
				    1);
	}
	fclose(f);
	unlink(list);
}

/* ---- the sandbox ---- */

struct sandbox {
	unsigned uid;
	char copy[PATH_MAX]; /* the submission's writable copy */
	struct cgroups cg;
};

/* The one shell word that enters the sandbox: `sh -c SCRIPT wl-sandbox
 * CMD...` runs CMD in the copy. out: where its stdout/stderr go (capped by
 * RLIMIT_FSIZE). */
static int sandbox_script(const struct sandbox *sb, int build, const char *out, char *s, size_t len)
{
	char q_out[PATH_MAX * 4 + 8], q_copy[PATH_MAX * 4 + 8], cgw[MAX_CG * (PATH_MAX + 64)];
	size_t n = 0;
	int w;

	cgw[0] = '\0';
	for (size_t i = 0; i < sb->cg.n; i++) {
		char q[PATH_MAX * 4 + 32], p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s/cgroup.procs", sb->cg.path[i]);
		sh_quote(q, sizeof(q), p);
		n += (size_t)snprintf(cgw + n, sizeof(cgw) - n, "echo $$ >%s || exit 125; ", q);
		if (n >= sizeof(cgw))
			return -1;
	}
	sh_quote(q_out, sizeof(q_out), out);
	sh_quote(q_copy, sizeof(q_copy), sb->copy);
	w = snprintf(s, len,
		     "%sexec >%s 2>&1 </dev/null; "
		     "exec /usr/bin/prlimit --nproc=%d --as=%llu --cpu=%d --fsize=%u --nofile=256 "
		     "--core=0 -- "
		     "/usr/bin/setpriv --reuid=%u --regid=%u --clear-groups --inh-caps=-all "
		     "--bounding-set=-all --no-new-privs -- "
		     "/usr/bin/bwrap --unshare-user --uid %u --gid %u --unshare-pid --unshare-ipc "
		     "--unshare-uts --unshare-cgroup-try %s--die-with-parent --new-session "
		     "--ro-bind /usr /usr --ro-bind-try /bin /bin --ro-bind-try /sbin /sbin "
		     "--ro-bind-try /lib /lib --ro-bind-try /lib64 /lib64 --ro-bind-try /etc /etc "
		     "--dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --bind %s %s --chdir %s "
		     "--clearenv --setenv PATH /usr/local/bin:/usr/bin:/bin --setenv HOME %s "
		     "--setenv LANG C --setenv TMPDIR /tmp -- \"$@\"",
		     cgw, q_out, NPROC, build ? BUILD_AS : RUN_AS, build ? 600 : RUN_CPU_S,
		     build ? BUILD_FSIZE : RUN_FSIZE, sb->uid, sb->uid, sb->uid, sb->uid,
		     build ? "--unshare-net " : "", q_copy, q_copy, q_copy, q_copy);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* lchown to the sandbox's uid; anything but files, dirs and symlinks goes
 * (a device node or a FIFO has no business in a submission). */
static unsigned chown_uid;
static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode)) {
		unlink(path);
		return 0;
	}
	return lchown(path, chown_uid, chown_uid) ? -1 : 0;
}

/* Runs argv (no shell), waits up to timeout_ms; the exit status, or -1. */
static int run_cmd(char *const *argv, int timeout_ms, int *timed_out)
{
	pid_t pid = fork();
	int st = 0;
	double end = now_s() + timeout_ms / 1000.0;

	*timed_out = 0;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_s() > end) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return st;
		}
		usleep(5000);
	}
}

/* ---- one submission (in its own process) ---- */

struct sub {
	char name[256]; /* the student: the directory's name */
	char src[PATH_MAX];
	pid_t pid; /* the child grading it; 0 when done */
	double deadline;
	int status;
};

/* What one student earned, for the row, results.json and the report. */
struct graded {
	char error[2048];	  /* why the submission did not run through, or "" */
	struct claim_result *res; /* lab->nclaims, or NULL */
	int *points;
	int score, max;
};

static int points_of(const struct lab *lab, const char *claim)
{
	for (size_t i = 0; i < lab->npoints; i++)
		if (!strcmp(lab->points[i].claim, claim))
			return lab->points[i].points;
	return 0;
}

static const char *verdict_name(int v)
{
	return v == LAB_HOLDS ? "holds" : v == LAB_FAILS ? "fails" : "n/a";
}

static void evidence_text(char *out, size_t len, const struct claim_result *c)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->npackets && n + 16 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%u", i ? "," : "", c->packets[i]);
}

static void write_results(const char *dir, const char *student, const struct lab *lab,
			  const struct graded *g, double seconds)
{
	char path[PATH_MAX + 32], ev[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "{\"student\": ");
	json_cstr(f, student);
	fprintf(f, ", \"lab\": ");
	json_cstr(f, lab->id);
	fprintf(f, ", \"score\": %d, \"max_score\": %d, \"execution_time\": %.3f,\n \"output\": ",
		g->score, g->max, seconds);
	json_cstr(f, g->error[0] ? g->error : "ran to the end");
	fprintf(f, ",\n \"tests\": [");
	for (size_t i = 0; i < lab->nclaims; i++) {
		const struct lab_claim *c = &lab->claims[i];
		char *out = NULL;
		size_t olen = 0;
		FILE *o = open_memstream(&out, &olen);

		if (!o)
			continue;
		if (g->res) {
			const struct claim_result *r = &g->res[i];

			evidence_text(ev, sizeof(ev), r);
			fprintf(o, "verdict: %s (the lab expects %s)\nexpected: %s\nobserved: %s",
				verdict_name(r->verdict), verdict_name(c->verdict),
				r->expected ? r->expected : "", r->observed ? r->observed : "");
			if (ev[0])
				fprintf(o, "\nevidence: packets %s", ev);
		} else {
			fprintf(o, "not checked: %s", g->error);
		}
		fclose(o);
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_cstr(f, c->id);
		fprintf(f, ", \"score\": %d, \"max_score\": %d, \"verdict\": ",
			g->points ? g->points[i] : 0, points_of(lab, c->id));
		json_cstr(f, g->res ? verdict_name(g->res[i].verdict) : "not checked");
		fprintf(f, ", \"output\": ");
		json_cstr(f, out);
		fputc('}', f);
		free(out);
	}
	fprintf(f, "\n ]}\n");
	fclose(f);
}

/* The row the parent joins into the gradebook: "error" line, then one
 * "points<TAB>verdict" line per claim. */
static void write_row(const char *dir, const struct lab *lab, const struct graded *g)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32], e[sizeof(g->error)];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.row", dir);
	snprintf(tmp, sizeof(tmp), "%s/.row.tmp", dir);
	f = fopen(tmp, "w");
	if (!f)
		return;
	snprintf(e, sizeof(e), "%s", g->error);
	one_line(e);
	fprintf(f, "%s\n", e);
	for (size_t i = 0; i < lab->nclaims; i++)
		fprintf(f, "%d\t%s\n", g->points ? g->points[i] : 0,
			g->res ? verdict_name(g->res[i].verdict) : "not checked");
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void gerr(struct graded *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gerr(struct graded *g, const char *fmt, ...)
{
	va_list ap;

	if (g->error[0])
		return; /* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(g->error, sizeof(g->error), fmt, ap);
	va_end(ap);
}

/* Copies the submission into the run's temp dir, owned by the sandbox uid. */
static int copy_submission(struct registry *reg, struct sandbox *sb, const char *src,
			   struct graded *g)
{
	const char *tmp = getenv("TMPDIR");
	char e[512] = "", from[PATH_MAX + 4];
	int to, st;

	snprintf(sb->copy, sizeof(sb->copy), "%s/wirelab-%s-sub", tmp && *tmp ? tmp : "/tmp",
		 registry_run_id(reg));
	if (registry_add(reg, e, sizeof(e), "tmpdir %s", sb->copy) || mkdir(sb->copy, 0700)) {
		gerr(g, "grader: cannot create %s: %s", sb->copy, e[0] ? e : strerror(errno));
		return -1;
	}
	snprintf(from, sizeof(from), "%s/.", src);
	char *const argv[] = { "/bin/cp", "-R", "-P", from, sb->copy, NULL };

	st = run_cmd(argv, 60000, &to);
	if (to || st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		gerr(g, "grader: cannot copy the submission %s", src);
		return -1;
	}
	chown_uid = sb->uid;
	if (nftw(sb->copy, chown_entry, 32, FTW_PHYS)) {
		gerr(g, "grader: cannot hand the copy to uid %u: %s", sb->uid, strerror(errno));
		return -1;
	}
	return 0;
}

static int build_submission(struct sandbox *sb, const struct lab *lab, const char *outdir,
			    struct graded *g)
{
	char script[16384], log[PATH_MAX + 16], tail[BUILD_TAIL];
	char *argv[80];
	size_t n = 0;
	int to, st;

	snprintf(log, sizeof(log), "%s/build.log", outdir);
	if (sandbox_script(sb, 1, log, script, sizeof(script))) {
		gerr(g, "grader: the sandbox command is too long");
		return -1;
	}
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n++] = "wl-sandbox";
	for (size_t i = 0; lab->role->build[i] && n < 79; i++)
		argv[n++] = lab->role->build[i];
	argv[n] = NULL;
	st = run_cmd(argv, lab->role->build_timeout_ms, &to);
	cg_kill(&sb->cg, 0); /* whatever the build left running */
	tail_text(log, tail, sizeof(tail));
	if (to) {
		gerr(g, "build timed out after %d ms (killed): %s", lab->role->build_timeout_ms,
		     tail);
		return -1;
	}
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		gerr(g, "build failed (%s %d): %s", st >= 0 && WIFSIGNALED(st) ? "signal" : "exit",
		     st < 0	       ? -1
		     : WIFSIGNALED(st) ? WTERMSIG(st)
				       : WEXITSTATUS(st),
		     tail);
		return -1;
	}
	return 0;
}

/* The lab's program in the role becomes the sandbox running the student's. */
static int put_in_role(struct lab *lab, const struct sandbox *sb, const char *outdir,
		       struct graded *g)
{
	char script[16384], out[PATH_MAX + 16];
	struct lab_prog *pg = NULL;
	char **argv;
	size_t n = 0, nrun = 0;

	for (size_t i = 0; i < lab->nprogs; i++)
		if (!strcmp(lab->progs[i].name, lab->role->prog))
			pg = &lab->progs[i];
	while (lab->role->run[nrun])
		nrun++;
	snprintf(out, sizeof(out), "%s/program.out", outdir);
	if (!pg || sandbox_script(sb, 0, out, script, sizeof(script)) || nrun > 56) {
		gerr(g, "grader: cannot put the submission in role %s", lab->role->prog);
		return -1;
	}
	argv = calloc(nrun + 5, sizeof(*argv));
	if (!argv) {
		gerr(g, "grader: out of memory");
		return -1;
	}
	argv[n++] = strdup("/bin/sh");
	argv[n++] = strdup("-c");
	argv[n++] = strdup(script);
	argv[n++] = strdup("wl-sandbox");
	for (size_t i = 0; i < nrun; i++)
		argv[n++] = strdup(lab->role->run[i]);
	for (size_t i = 0; i < n; i++)
		if (!argv[i]) {
			for (size_t k = 0; k < n; k++)
				free(argv[k]);
			free(argv);
			gerr(g, "grader: out of memory");
			return -1;
		}
	for (size_t i = 0; pg->argv[i]; i++)
		free(pg->argv[i]);
	free(pg->argv);
	pg->argv = argv;
	return 0;
}

/* Grades one submission; runs in a child of its own. Never returns. */
static void grade_child(const char *lab_id, const struct sub *s, const char *out_root)
{
	struct lab *lab = NULL;
	struct registry *reg = NULL;
	struct sandbox sb;
	struct graded g;
	struct lab_outcome oc;
	struct run_opts o = { NULL, NULL, NULL, 0 };
	char outdir[PATH_MAX], e[1024], cgname[64], ptail[PROGRAM_TAIL], p[PATH_MAX + 32];
	double t0 = now_s();
	unsigned id;

	signal(SIGINT, SIG_IGN); /* the parent stops the children */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The sandbox's orphans (an inner bwrap whose parent was killed) come
	 * back to this process, which reaps them before it ends. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(&g, 0, sizeof(g));
	memset(&sb, 0, sizeof(sb));
	memset(&oc, 0, sizeof(oc));
	snprintf(outdir, sizeof(outdir), "%s/%s", out_root, s->name);
	snprintf(sb.cg.list, sizeof(sb.cg.list), "%s/.cgroups", outdir);
	if (cli_load_lab(lab_id, &lab, e, sizeof(e))) {
		gerr(&g, "grader: %s", e);
		goto done;
	}
	if (registry_open(&reg, e, sizeof(e))) {
		gerr(&g, "grader: %s", e);
		goto done;
	}
	if (sscanf(registry_run_id(reg) + 2, "%x", &id) != 1)
		id = (unsigned)getpid() & 0xffff;
	sb.uid = UID_BASE + (id & 0xffff);
	snprintf(cgname, sizeof(cgname), "wirelab-%s", registry_run_id(reg));
	if (cg_create(&sb.cg, cgname, e, sizeof(e))) {
		gerr(&g, "grader: %s", e);
		goto done;
	}
	if (copy_submission(reg, &sb, s->src, &g) || build_submission(&sb, lab, outdir, &g) ||
	    put_in_role(lab, &sb, outdir, &g))
		goto done;
	o.out_dir = outdir;
	oc.lab = lab;
	run_one(reg, &o, &oc);
	cg_kill(&sb.cg, 0);
	snprintf(p, sizeof(p), "%s/program.out", outdir);
	tail_text(p, ptail, sizeof(ptail));
	if (oc.code != EXIT_HOLDS) {
		struct stat st;
		char *sh = strstr(oc.error, "'/bin/sh'");

		if (sh) /* the sandbox's shell is the student's program */
			memcpy(sh, "(student)", 9);
		if (!stat(p, &st) && st.st_size >= (off_t)RUN_FSIZE)
			snprintf(ptail, sizeof(ptail),
				 "(its output reached the cap of %u bytes: "
				 "killed by SIGXFSZ)",
				 RUN_FSIZE);
		gerr(&g, "%s%s%s", oc.error, ptail[0] ? "; the program's last output: " : "",
		     ptail);
		/* The programs stopped early, yet the capture shows what the
		 * student's program did until then: check it. */
		if (!oc.res && !stat(oc.pcap, &st) && st.st_size > 24 &&
		    !trace_load(oc.pcap, lab->kind, -1, &oc.tr, e, sizeof(e)) &&
		    claim_eval_all(lab, oc.tr, &oc.res, e, sizeof(e))) {
			claim_results_free(oc.res, lab->nclaims);
			oc.res = NULL;
		}
	}
	g.res = oc.res;
done:
	if (lab) {
		g.points = calloc(lab->nclaims ? lab->nclaims : 1, sizeof(int));
		for (size_t i = 0; i < lab->nclaims; i++) {
			int max = points_of(lab, lab->claims[i].id);

			g.max += max;
			if (g.res && g.points) {
				g.points[i] = grade_claim_points((int)g.res[i].verdict,
								 (int)lab->claims[i].verdict, max);
				g.score += g.points[i];
			}
		}
		write_results(outdir, s->name, lab, &g, now_s() - t0);
		if (lab) {
			struct lab_report rep;
			FILE *f;

			snprintf(p, sizeof(p), "%s/report.txt", outdir);
			memset(&rep, 0, sizeof(rep));
			rep.lab = lab;
			rep.lab_id = lab->id;
			rep.tr = oc.tr;
			rep.res = g.res;
			rep.nres = g.res ? lab->nclaims : 0;
			rep.capture = oc.pcap[0] ? oc.pcap : NULL;
			rep.error = g.error[0] ? g.error : NULL;
			rep.notes = oc.notes[0] ? oc.notes : NULL;
			rep.seconds = now_s() - t0;
			rep.strict = 1;
			if ((f = fopen(p, "w"))) {
				fprintf(f, "student %s: %d/%d\n", s->name, g.score, g.max);
				report_text(f, &rep, 0);
				fclose(f);
			}
		}
		write_row(outdir, lab, &g);
	}
	cg_kill(&sb.cg, 1);
	for (int i = 0; i < 400; i++) { /* every orphan reaped, then none left */
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0 && errno == ECHILD)
			break;
		if (r <= 0)
			usleep(5000);
	}
	if (sb.copy[0])
		rm_tree(sb.copy);
	if (oc.lab)
		claim_results_free(oc.res, lab->nclaims);
	trace_free(oc.tr);
	free(g.points);
	lab_free(lab);
	registry_close(reg);
	fflush(NULL);
	_exit(0);
}

/* ---- the parent ---- */

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sub *)a)->name, ((const struct sub *)b)->name);
}

/* The student's name: the directory's last component. */
static int sub_name(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	size_t n;
	const char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	slash = strrchr(buf, '/');
	snprintf(out, len, "%s", slash ? slash + 1 : buf);
	return out[0] && out[0] != '.' &&
			       strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789._-@+") == strlen(out)
		       ? 0
		       : -1;
}

static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Joins the children's rows, in the students' order. */
static int write_gradebook(const char *out, const struct lab *lab, const struct sub *subs, size_t n,
			   char *err, size_t errlen)
{
	char path[PATH_MAX + 32], line[4096];
	FILE *csv, *js;
	int max = 0;

	for (size_t i = 0; i < lab->npoints; i++)
		max += lab->points[i].points;
	snprintf(path, sizeof(path), "%s/gradebook.csv", out);
	csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/gradebook.json", out);
	js = fopen(path, "w");
	if (!csv || !js) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (csv)
			fclose(csv);
		if (js)
			fclose(js);
		return -1;
	}
	fprintf(csv, "student,score,max_score");
	for (size_t c = 0; c < lab->nclaims; c++)
		if (points_of(lab, lab->claims[c].id))
			fprintf(csv, ",%s", lab->claims[c].id);
	fprintf(csv, ",error\n");
	fprintf(js, "{\"lab\": ");
	json_cstr(js, lab->id);
	fprintf(js, ", \"max_score\": %d, \"students\": [", max);
	for (size_t i = 0; i < n; i++) {
		char error[2048] = "", verdict[32];
		int *pts = calloc(lab->nclaims + 1, sizeof(int)), score = 0;
		char(*verd)[32] = calloc(lab->nclaims + 1, sizeof(*verd));
		FILE *f;

		if (!pts || !verd) {
			free(pts);
			free(verd);
			fclose(csv);
			fclose(js);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s/.row", out, subs[i].name);
		f = fopen(path, "r");
		if (!f || !fgets(error, sizeof(error), f)) {
			if (WIFSIGNALED(subs[i].status))
				snprintf(error, sizeof(error),
					 "grader: the grading process died (signal %d)",
					 WTERMSIG(subs[i].status));
			else
				snprintf(error, sizeof(error),
					 "grader: the grading process ended without a result");
		}
		error[strcspn(error, "\n")] = '\0';
		for (size_t c = 0; f && c < lab->nclaims && fgets(line, sizeof(line), f); c++) {
			if (sscanf(line, "%d\t%31[^\n]", &pts[c], verdict) == 2)
				snprintf(verd[c], sizeof(verd[c]), "%s", verdict);
			score += pts[c];
		}
		if (f)
			fclose(f);
		unlink(path);
		fprintf(csv, "%s,%d,%d", subs[i].name, score, max);
		for (size_t c = 0; c < lab->nclaims; c++)
			if (points_of(lab, lab->claims[c].id))
				fprintf(csv, ",%d", pts[c]);
		fputc(',', csv);
		csv_field(csv, error);
		fputc('\n', csv);
		fprintf(js, "%s\n  {\"student\": ", i ? "," : "");
		json_cstr(js, subs[i].name);
		fprintf(js, ", \"score\": %d, \"max_score\": %d, \"error\": ", score, max);
		json_cstr(js, error[0] ? error : NULL);
		fprintf(js, ", \"claims\": {");
		for (size_t c = 0; c < lab->nclaims; c++) {
			fprintf(js, "%s", c ? ", " : "");
			json_cstr(js, lab->claims[c].id);
			fprintf(js, ": {\"points\": %d, \"max\": %d, \"verdict\": ", pts[c],
				points_of(lab, lab->claims[c].id));
			json_cstr(js, verd[c][0] ? verd[c] : "not checked");
			fputc('}', js);
		}
		fprintf(js, "}}");
		free(pts);
		free(verd);
	}
	fprintf(js, "\n]}\n");
	if (fclose(csv) | fclose(js)) {
		snprintf(err, errlen, "cannot write the gradebook in %s", out);
		return -1;
	}
	return 0;
}

static void reap(struct sub *s, int st, const char *out)
{
	char list[PATH_MAX + 32], e[256];

	s->status = st;
	s->pid = 0;
	snprintf(list, sizeof(list), "%s/%s/.cgroups", out, s->name);
	cg_clean_list(list);
	/* A child that died leaves a dead run: undo it now. */
	if (WIFSIGNALED(st) && registry_clean_unkept(NULL, NULL, e, sizeof(e)) < 0)
		fprintf(stderr, "wirelab: clean-up: %s\n", e);
}

int cmd_grade(int argc, char **argv)
{
	static const struct option opts[] = { { "out", required_argument, NULL, 'o' },
					      { "jobs", required_argument, NULL, 'j' },
					      { "shard", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const char usage[] = "grade LAB SUBMISSION... [--jobs N] [--out DIR] [--shard K/N]";
	const char *out = "wirelab-grades";
	struct lab *lab = NULL;
	struct sub *subs = NULL;
	struct sigaction sa;
	char err[1024], out_abs[PATH_MAX];
	size_t nsubs = 0, nall, next = 0, running = 0, done = 0;
	unsigned shard_k = 1, shard_n = 1;
	long jobs = 1;
	int c, ret = EXIT_INPUT, sup = -1;
	double limit_s;

	while ((c = getopt_long(argc, argv, "o:j:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'j': {
			char *end;

			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 64) {
				fprintf(stderr, "wirelab: --jobs takes 1 to 64, got '%s'\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		}
		case 's':
			if (grade_parse_shard(optarg, &shard_k, &shard_n)) {
				fprintf(stderr,
					"wirelab: --shard takes K/N with 1 <= K <= N, got '%s'\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		case 'h':
			printf("usage: wirelab %s\n", usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage(usage);
	if (cli_load_lab(argv[optind], &lab, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		return EXIT_INPUT;
	}
	if (!lab->role) {
		fprintf(stderr,
			"wirelab: %s: the lab has no role statement: it grades no submission\n",
			lab->path);
		goto out;
	}
	nall = (size_t)(argc - optind - 1);
	subs = calloc(nall, sizeof(*subs));
	if (!subs) {
		fprintf(stderr, "wirelab: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nall; i++) {
		const char *path = argv[optind + 1 + (int)i];
		struct stat st;

		if (sub_name(path, subs[i].name, sizeof(subs[i].name))) {
			fprintf(stderr,
				"wirelab: %s: a submission's directory name is the student's: "
				"letters, digits, '.', '_', '-', '@', '+'\n",
				path);
			goto out;
		}
		if (stat(path, &st) || !S_ISDIR(st.st_mode) || !realpath(path, subs[i].src)) {
			fprintf(stderr, "wirelab: %s: not a directory\n", path);
			goto out;
		}
	}
	qsort(subs, nall, sizeof(*subs), by_name);
	for (size_t i = 1; i < nall; i++)
		if (!strcmp(subs[i].name, subs[i - 1].name)) {
			fprintf(stderr, "wirelab: two submissions of student '%s'\n", subs[i].name);
			goto out;
		}
	/* --shard K/N: every Nth student from the Kth, in name order. */
	for (size_t i = 0; i < nall; i++)
		if (i % shard_n == shard_k - 1)
			subs[nsubs++] = subs[i];
	if (geteuid() != 0) {
		fprintf(stderr, "wirelab: grade needs root (namespaces, the sandbox's uids): "
				"sudo wirelab grade ...\n");
		ret = EXIT_ENV;
		goto out;
	}
	for (size_t i = 0; i < sizeof(sandbox_tools) / sizeof(sandbox_tools[0]); i++)
		if (access(sandbox_tools[i], X_OK)) {
			fprintf(stderr,
				"wirelab: %s is missing: the sandbox needs bubblewrap and "
				"util-linux (sudo apt-get install bubblewrap util-linux)\n",
				sandbox_tools[i]);
			ret = EXIT_ENV;
			goto out;
		}
	if (cli_mkdir_p(out, err, sizeof(err)) || !realpath(out, out_abs)) {
		fprintf(stderr, "wirelab: %s\n", err[0] ? err : strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < nsubs; i++) {
		char d[PATH_MAX + 260];

		snprintf(d, sizeof(d), "%s/%s", out_abs, subs[i].name);
		rm_tree(d); /* a previous grade's files */
		if (cli_mkdir_p(d, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
	}
	sup = supervisor_start(err, sizeof(err));
	if (sup < 0) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_ENV;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A child's own bounds: the build's timeout, then the lab's programs. */
	limit_s = lab->role->build_timeout_ms / 1000.0 + 30 + 15.0 * (double)lab->nprogs;
	fflush(NULL);
	while (done < nsubs && !stop_sig) {
		while (running < (size_t)jobs && next < nsubs) {
			struct sub *s = &subs[next++];

			s->pid = fork();
			if (s->pid < 0) {
				fprintf(stderr, "wirelab: fork: %s\n", strerror(errno));
				s->pid = 0;
				s->status = 0;
				done++;
				continue;
			}
			if (s->pid == 0) {
				close(sup);
				grade_child(argv[optind], s, out_abs);
			}
			s->deadline = now_s() + limit_s;
			running++;
			fprintf(stderr, "[%zu/%zu] %s: grading\n", next, nsubs, s->name);
		}
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p > 0) {
			for (size_t i = 0; i < nsubs; i++)
				if (subs[i].pid == p) {
					reap(&subs[i], st, out_abs);
					running--;
					done++;
				}
			continue;
		}
		for (size_t i = 0; i < nsubs; i++)
			if (subs[i].pid > 0 && now_s() > subs[i].deadline)
				kill(subs[i].pid, SIGKILL); /* reaped above, graded as died */
		usleep(10000);
	}
	for (size_t i = 0; i < nsubs; i++) /* interrupted: stop what runs */
		if (subs[i].pid > 0) {
			int st;

			kill(subs[i].pid, SIGKILL);
			waitpid(subs[i].pid, &st, 0);
			reap(&subs[i], st, out_abs);
		}
	if (stop_sig) {
		fprintf(stderr, "\nwirelab: interrupted; cleaned up\n");
		ret = 128 + stop_sig;
		goto out;
	}
	if (write_gradebook(out_abs, lab, subs, nsubs, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	printf("%s: %zu submission%s graded: %s/gradebook.csv\n", lab->id, nsubs,
	       nsubs == 1 ? "" : "s", out_abs);
	for (size_t i = 0; i < nsubs; i++) {
		char p[PATH_MAX + 300], first[512] = "";
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s/report.txt", out_abs, subs[i].name);
		if ((f = fopen(p, "r"))) {
			if (fgets(first, sizeof(first), f))
				printf("  %s", first);
			fclose(f);
		} else {
			printf("  student %s: no result\n", subs[i].name);
		}
	}
	ret = EXIT_HOLDS;
out:
	free(subs);
	lab_free(lab);
	if (sup >= 0)
		close(sup);
	return ret;
}

/* harness/grade.c — `wirelab grade LAB SUBMISSION... [--jobs N] [--out DIR]
 * [--shard K/N]`, and `wirelab gradebook merge|answers`.
 *
 * Each submission (a directory per student, graded in the order of the
 * students' names) is graded in a child process of its own (fork: no
 * threads shared), which writes DIR/STUDENT/ (results.json, report.txt, the
 * capture, row.tsv; for a program build.log and program.out too). The
 * parent joins the rows into DIR/gradebook.csv and gradebook.json, in the
 * same order whatever --jobs is; `gradebook merge` joins shards' rows the
 * same way.
 *
 * A program: the child opens its own run registry, copies the submission
 * into a temp dir of the run, builds it in the sandbox, runs the lab with the
 * lab's `role` program replaced by the student's (wrapped in the sandbox),
 * and scores each claim with the lab's `points`.
 *
 * A capture with answers (the directory has an answers.txt): the capture is
 * copied beside the report, must hold the lab's exchange (its stream and the
 * `exchange` filters), and each answer is compared with what the lab's
 * question reads off that capture. No student code runs.
 *
 * The sandbox, for the build and for the program (README.md, "The sandbox"):
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

#include "harness/answers.h"
#include "harness/claim.h"
#include "harness/filter.h"
#include "harness/html.h"
#include "harness/cli.h"
#include "harness/json.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/xml.h"
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
#define SHARD_FILE   "shard.txt" /* which students a grade's output holds */

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
	int v2; /* index of the cgroup2 directory (cgroup.kill), or -1 */
	struct registry *reg;
};

/* Records the directory in the run's registry (so that it is removed if
 * this process dies: registry.h), then creates it. */
static int cg_add(struct cgroups *cg, const char *dir, char *err, size_t errlen)
{
	if (registry_add(cg->reg, err, errlen, "cgroup %s", dir))
		return -1;
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

/* How many processes the cgroups' memory limit killed (memory.events in
 * cgroup2, memory.oom_control in v1: "oom_kill N"). */
static long cg_oom_kills(const struct cgroups *cg)
{
	char p[PATH_MAX + 32], line[128];
	long total = 0, n;

	for (size_t i = 0; i < cg->n; i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", cg->path[i],
			 (int)i == cg->v2 ? "memory.events" : "memory.oom_control");
		if (!(f = fopen(p, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "oom_kill %ld", &n) == 1)
				total += n;
		fclose(f);
	}
	return total;
}

/* remove: and the directories go (the end of the submission). */
static void cg_kill(struct cgroups *cg, int remove)
{
	/* The cgroup2 directory first: its cgroup.kill catches racing forks. */
	if (cg->v2 >= 0)
		registry_cgroup_kill(cg->path[cg->v2], remove);
	for (size_t i = 0; i < cg->n; i++)
		if ((int)i != cg->v2)
			registry_cgroup_kill(cg->path[i], remove);
}

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

/* What a gradebook lists: the claims a program is graded on (a lab with a
 * role), then the questions a capture's answers are graded on. */
static size_t nitems(const struct lab *lab)
{
	return (lab->role ? lab->nclaims : 0) + lab->nquestions;
}

static const struct lab_claim *item(const struct lab *lab, size_t i, int *question)
{
	size_t nc = lab->role ? lab->nclaims : 0;

	*question = i >= nc;
	return i < nc ? &lab->claims[i] : &lab->questions[i - nc];
}

/* Item i's place among its own kind: in the claims' results or the
 * questions'. */
static size_t item_index(const struct lab *lab, size_t i)
{
	size_t nc = lab->role ? lab->nclaims : 0;

	return i < nc ? i : i - nc;
}

/* What one student earned, for the row, results.json and the report. */
struct graded {
	char error[2048];	  /* why the submission did not run through, or "" */
	int capture;		  /* a capture with answers, not a program */
	struct claim_result *res; /* the claims (a program) or the questions (a capture) */
	struct answers *ans;	  /* a capture's answers */
	char notes[512];	  /* lines of the answers file not understood... */
	/* per item (nitems): points earned, worth, verdict */
	int *points, *maxes;
	const char **verdicts;
	int score, max;
};

static int points_of(const struct lab *lab, const char *id)
{
	for (size_t i = 0; i < lab->npoints; i++)
		if (!strcmp(lab->points[i].claim, id))
			return lab->points[i].points;
	return 0;
}

static const char *verdict_name(int v)
{
	return v == LAB_HOLDS ? "holds" : v == LAB_FAILS ? "fails" : "n/a";
}

/* Scores item i: a claim by its verdict, a question by the answer given. */
static void score_item(const struct lab *lab, struct graded *g, size_t i)
{
	int q;
	const struct lab_claim *c = item(lab, i, &q);
	size_t k = item_index(lab, i);
	int worth = points_of(lab, c->id);
	const struct answer *a;

	g->points[i] = 0;
	g->maxes[i] = worth;
	if (q != g->capture) { /* the other kind of submission's */
		g->maxes[i] = 0;
		g->verdicts[i] = q ? "not asked" : "not graded";
		return;
	}
	if (!g->res) {
		g->verdicts[i] = "not checked";
		return;
	}
	if (!q) {
		g->points[i] = grade_claim_points((int)g->res[k].verdict, (int)c->verdict, worth);
		g->verdicts[i] = verdict_name(g->res[k].verdict);
		return;
	}
	a = answers_get(g->ans, c->id);
	if (g->res[k].verdict != LAB_HOLDS) {
		/* The student's capture cannot show it: not counted either way. */
		g->maxes[i] = 0;
		g->verdicts[i] = "n/a";
	} else if (!a) {
		g->verdicts[i] = "unanswered";
	} else if (answers_match(g->res[k].observed, a->value, c->tolerance)) {
		g->points[i] = worth;
		g->verdicts[i] = "right";
	} else {
		g->verdicts[i] = "wrong";
	}
}

static void evidence_text(char *out, size_t len, const struct claim_result *c)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->npackets && n + 16 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%u", i ? "," : "", c->packets[i]);
}

/* results.json's text for item i of a graded submission. */
static void item_output(FILE *o, const struct lab *lab, const struct graded *g, size_t i)
{
	int q;
	const struct lab_claim *c = item(lab, i, &q);
	const struct claim_result *r;
	const struct answer *a;
	char ev[1024];

	if (!g->res) {
		fprintf(o, "not checked: %s", g->error);
		return;
	}
	r = &g->res[item_index(lab, i)];
	evidence_text(ev, sizeof(ev), r);
	if (!q) {
		fprintf(o, "verdict: %s (the lab expects %s)\nexpected: %s\nobserved: %s",
			verdict_name(r->verdict), verdict_name(c->verdict),
			r->expected ? r->expected : "", r->observed ? r->observed : "");
	} else {
		a = answers_get(g->ans, c->id);
		fprintf(o, "question: %s\n", c->text);
		if (a)
			fprintf(o, "your answer: %s (answers.txt line %d)\n", a->value, a->line);
		else
			fprintf(o, "your answer: none (no line \"%s = ...\" in answers.txt)\n",
				c->id);
		fprintf(o, "%s: %s\nverdict: %s",
			r->verdict == LAB_HOLDS ? "your capture shows" : "not counted",
			r->observed ? r->observed : "", g->verdicts[i]);
	}
	if (ev[0])
		fprintf(o, "\nevidence: packets %s", ev);
}

static void write_results(const char *dir, const char *student, const struct lab *lab,
			  const struct graded *g, double seconds)
{
	char path[PATH_MAX + 32];
	size_t n = 0;
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
	if (g->error[0] || !g->notes[0]) {
		json_cstr(f, g->error[0] ? g->error : "ran to the end");
	} else {
		char msg[sizeof(g->notes) + 32];

		snprintf(msg, sizeof(msg), "graded; %s", g->notes);
		json_cstr(f, msg);
	}
	fprintf(f, ",\n \"tests\": [");
	for (size_t i = 0; i < nitems(lab); i++) {
		int q;
		const struct lab_claim *c = item(lab, i, &q);
		char *out = NULL;
		size_t olen = 0;
		FILE *o;

		if (q != g->capture)
			continue;
		o = open_memstream(&out, &olen);
		if (!o)
			continue;
		item_output(o, lab, g, i);
		fclose(o);
		fprintf(f, "%s\n  {\"name\": ", n++ ? "," : "");
		json_cstr(f, c->id);
		fprintf(f, ", \"score\": %d, \"max_score\": %d, \"verdict\": ", g->points[i],
			g->maxes[i]);
		json_cstr(f, g->verdicts[i]);
		fprintf(f, ", \"output\": ");
		json_cstr(f, out);
		fputc('}', f);
		free(out);
	}
	fprintf(f, "\n ]}\n");
	fclose(f);
}

/* The row the gradebook is joined from (by grade, or gradebook merge):
 * "wirelab-row LAB", the error line, then "points<TAB>max<TAB>verdict" per
 * item. It stays in the student's directory. */
static void write_row(const char *dir, const struct lab *lab, const struct graded *g)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32], e[sizeof(g->error)];
	FILE *f;

	snprintf(path, sizeof(path), "%s/row.tsv", dir);
	snprintf(tmp, sizeof(tmp), "%s/.row.tmp", dir);
	f = fopen(tmp, "w");
	if (!f)
		return;
	snprintf(e, sizeof(e), "%s", g->error);
	one_line(e);
	fprintf(f, "wirelab-row %s\n%s\n", lab->id, e);
	for (size_t i = 0; i < nitems(lab); i++)
		fprintf(f, "%d\t%d\t%s\n", g->points ? g->points[i] : 0, g->maxes ? g->maxes[i] : 0,
			g->verdicts ? g->verdicts[i] : "not checked");
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
	pg->untrusted = 1;
	return 0;
}

/* ---- a capture with answers ---- */

#define ANSWERS_MAX (64u << 10)
#define CAPTURE_MAX (1ull << 30)

/* Opens a regular file of the submission, never through a symlink (the
 * grader is root: a link to /etc/shadow must not be read). */
static int open_sub_file(const char *dir, const char *name, struct stat *st)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(dfd);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* A submission with an answers.txt is a capture with answers. */
static int is_capture_sub(const char *dir)
{
	char p[PATH_MAX + 16];
	struct stat st;

	snprintf(p, sizeof(p), "%s/answers.txt", dir);
	return !lstat(p, &st);
}

static int has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && !strcmp(name + n - e, ext);
}

/* The capture of a submission: capture.pcap(ng), else its only .pcap,
 * .pcapng or .cap file. */
static int find_capture(const char *dir, char *name, size_t len, struct graded *g)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, named = 0;

	if (!d) {
		gerr(g, "grader: cannot read the submission %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		int cap = has_ext(de->d_name, ".pcap") || has_ext(de->d_name, ".pcapng") ||
			  has_ext(de->d_name, ".cap");
		int is_named = !strcmp(de->d_name, "capture.pcap") ||
			       !strcmp(de->d_name, "capture.pcapng");

		if (!cap)
			continue;
		n++;
		if (named)
			continue;
		if (is_named || n == 1)
			snprintf(name, len, "%s", de->d_name);
		named = is_named;
	}
	closedir(d);
	if (!n) {
		gerr(g, "no capture in the submission: a capture with answers needs a "
			"capture.pcap (or .pcapng) beside answers.txt");
		return -1;
	}
	if (n > 1 && !named) {
		gerr(g, "%d captures in the submission: name the one to grade capture.pcap", n);
		return -1;
	}
	return 0;
}

/* Copies the student's capture into their output dir: what is graded is
 * that copy, which the student can no longer change. */
static int copy_capture(const char *dir, const char *name, const char *to, struct graded *g)
{
	struct stat st;
	int in = open_sub_file(dir, name, &st), out;
	char buf[65536];
	ssize_t r = 0;

	if (in < 0) {
		gerr(g, "%s: cannot read it (a regular file, not a link): %s", name,
		     strerror(errno));
		return -1;
	}
	if ((unsigned long long)st.st_size > CAPTURE_MAX) {
		close(in);
		gerr(g, "%s: %lld bytes: over the %llu MiB a graded capture may hold", name,
		     (long long)st.st_size, CAPTURE_MAX >> 20);
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		gerr(g, "grader: cannot write %s: %s", to, strerror(errno));
		return -1;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r) {
			r = -1;
			break;
		}
	close(in);
	if (close(out) || r < 0) {
		gerr(g, "grader: cannot copy %s to %s", name, to);
		return -1;
	}
	return 0;
}

static int read_answers(const char *dir, struct graded *g)
{
	struct stat st;
	int fd = open_sub_file(dir, "answers.txt", &st);
	char *buf, e[256];
	ssize_t r;

	if (fd < 0) {
		gerr(g, "answers.txt: cannot read it (a regular file, not a link): %s",
		     strerror(errno));
		return -1;
	}
	if ((unsigned long long)st.st_size > ANSWERS_MAX) {
		close(fd);
		gerr(g, "answers.txt: %lld bytes: an answers file is at most %u KiB",
		     (long long)st.st_size, ANSWERS_MAX >> 10);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	r = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (r < 0 || answers_parse("answers.txt", buf, (size_t)r, &g->ans, e, sizeof(e))) {
		free(buf);
		gerr(g, "answers.txt: %s", r < 0 ? "cannot read it" : e);
		return -1;
	}
	free(buf);
	return 0;
}

/* Notes what the answers file says that grading did not use. */
static void answer_notes(const struct lab *lab, struct graded *g)
{
	size_t n = 0, unknown = 0;

	if (g->ans->bad)
		n += (size_t)snprintf(g->notes + n, sizeof(g->notes) - n,
				      "%u line%s of answers.txt not understood (first: %s)",
				      g->ans->bad, g->ans->bad == 1 ? "" : "s", g->ans->first);
	for (size_t k = 0; k < g->ans->n && n < sizeof(g->notes); k++) {
		size_t q;

		for (q = 0; q < lab->nquestions; q++)
			if (!strcmp(lab->questions[q].id, g->ans->a[k].id))
				break;
		if (q < lab->nquestions || unknown++)
			continue;
		n += (size_t)snprintf(g->notes + n, sizeof(g->notes) - n,
				      "%sanswers.txt:%d: lab %s has no question %s", n ? "; " : "",
				      g->ans->a[k].line, lab->id, g->ans->a[k].id);
	}
}

/* The capture holds this lab's exchange: its stream was found (trace_load)
 * and every `exchange` filter matches a packet of it. */
static int check_exchange(const struct lab *lab, const struct trace *tr, const char *name,
			  struct graded *g)
{
	for (size_t k = 0; k < lab->nexchanges; k++) {
		size_t i;

		for (i = 0; i < tr->npkts; i++)
			if (filter_match(lab->exchanges[k].filter, &tr->pkts[i]))
				break;
		if (i == tr->npkts) {
			gerr(g,
			     "%s: not this lab's exchange: no packet of its stream (tcp.stream "
			     "eq %d) matches \"%s\" (%s:%d)",
			     name, tr->stream, lab->exchanges[k].text, lab->path,
			     lab->exchanges[k].line);
			return -1;
		}
	}
	return 0;
}

/* Grades a capture with answers: the capture must hold this lab's exchange;
 * each answer is checked against what the student's own capture shows. The
 * lab's claims are checked on it too, for the report (not for points). */
static void grade_capture(const struct lab *lab, const struct sub *s, const char *outdir,
			  struct graded *g, struct lab_outcome *oc)
{
	char name[256], e[1024];
	size_t plen;

	g->capture = 1;
	if (!lab->nquestions) {
		gerr(g,
		     "lab %s asks no questions: it grades programs, not captures with answers "
		     "(this submission has answers.txt)",
		     lab->id);
		return;
	}
	if (find_capture(s->src, name, sizeof(name), g) || read_answers(s->src, g))
		return;
	answer_notes(lab, g);
	snprintf(oc->pcap, sizeof(oc->pcap), "%s/%s", outdir,
		 has_ext(name, ".pcapng") ? "capture.pcapng" : "capture.pcap");
	if (copy_capture(s->src, name, oc->pcap, g))
		return;
	if (trace_load(oc->pcap, lab->kind, -1, &oc->tr, e, sizeof(e))) {
		/* e names our copy: the student knows the file by its own name. */
		plen = strlen(oc->pcap);
		gerr(g, "%s%s: not this lab's exchange", name,
		     strncmp(e, oc->pcap, plen) ? "" : e + plen);
		return;
	}
	if (check_exchange(lab, oc->tr, name, g))
		return;
	if (claim_eval_questions(lab, oc->tr, &g->res, e, sizeof(e))) {
		gerr(g, "grader: %s", e);
		return;
	}
	if (claim_eval_all(lab, oc->tr, &oc->res, e, sizeof(e)))
		oc->res = NULL; /* the report then goes without the claims */
}

/* ---- a program ---- */

/* Builds the student's program and runs the lab with it in its role. */
static void grade_program(struct lab *lab, const struct sub *s, const char *outdir,
			  struct graded *g, struct lab_outcome *oc, struct registry **reg,
			  struct sandbox *sb)
{
	struct run_opts o = { NULL, NULL, NULL, 0 };
	char e[1024], cgname[64], ptail[PROGRAM_TAIL], p[PATH_MAX + 32];
	unsigned id;
	long oom;

	if (!lab->role) {
		gerr(g,
		     "no answers.txt: lab %s grades a capture with answers (a capture.pcap and "
		     "an answers.txt), not a program",
		     lab->id);
		return;
	}
	if (registry_open(reg, e, sizeof(e))) {
		gerr(g, "grader: %s", e);
		return;
	}
	if (sscanf(registry_run_id(*reg) + 2, "%x", &id) != 1)
		id = (unsigned)getpid() & 0xffff;
	sb->uid = UID_BASE + (id & 0xffff);
	snprintf(cgname, sizeof(cgname), "wirelab-%s", registry_run_id(*reg));
	sb->cg.reg = *reg;
	if (cg_create(&sb->cg, cgname, e, sizeof(e))) {
		gerr(g, "grader: %s", e);
		return;
	}
	if (copy_submission(*reg, sb, s->src, g) || build_submission(sb, lab, outdir, g) ||
	    put_in_role(lab, sb, outdir, g))
		return;
	o.out_dir = outdir;
	oc->lab = lab;
	run_one(*reg, &o, oc);
	oom = cg_oom_kills(&sb->cg);
	cg_kill(&sb->cg, 0);
	snprintf(p, sizeof(p), "%s/program.out", outdir);
	tail_text(p, ptail, sizeof(ptail));
	if (oc->code != EXIT_HOLDS) {
		struct stat st;
		char *sh = strstr(oc->error, "'/bin/sh'");

		if (sh) /* the sandbox's shell is the student's program */
			memcpy(sh, "(student)", 9);
		if (!stat(p, &st) && st.st_size >= (off_t)RUN_FSIZE)
			snprintf(ptail, sizeof(ptail),
				 "(its output reached the cap of %u bytes: "
				 "killed by SIGXFSZ)",
				 RUN_FSIZE);
		if (oom > 0)
			gerr(g,
			     "%s; the sandbox's memory limit of %llu MiB killed %ld process%s "
			     "(oom_kill)",
			     oc->error, CG_MEM >> 20, oom, oom == 1 ? "" : "es");
		gerr(g, "%s%s%s", oc->error, ptail[0] ? "; the program's last output: " : "",
		     ptail);
		/* The programs stopped early, yet the capture shows what the
		 * student's program did until then: check it. */
		if (!oc->res && !stat(oc->pcap, &st) && st.st_size > 24 &&
		    !trace_load(oc->pcap, lab->kind, -1, &oc->tr, e, sizeof(e)) &&
		    claim_eval_all(lab, oc->tr, &oc->res, e, sizeof(e))) {
			claim_results_free(oc->res, lab->nclaims);
			oc->res = NULL;
		}
	}
	g->res = oc->res;
	oc->res = NULL;
}

/* report.txt: the score, each question's answer (a capture), then the lab's
 * report of the claims. */
/* The lab's report of a student's run (a program) or capture. */
static void student_report(struct lab_report *rep, const struct lab *lab, const struct graded *g,
			   const struct lab_outcome *oc, double seconds)
{
	memset(rep, 0, sizeof(*rep));
	rep->lab = lab;
	rep->lab_id = lab->id;
	rep->tr = oc->tr;
	rep->res = g->capture ? oc->res : g->res;
	rep->nres = rep->res ? lab->nclaims : 0;
	rep->capture = oc->pcap[0] ? oc->pcap : NULL;
	rep->error = g->error[0] ? g->error : NULL;
	rep->notes = oc->notes[0] ? oc->notes : NULL;
	rep->seconds = seconds;
	rep->strict = !g->capture; /* a student's own capture: the claims inform */
}

static void write_report(const char *outdir, const char *student, const struct lab *lab,
			 const struct graded *g, const struct lab_outcome *oc, double seconds)
{
	struct lab_report rep;
	char p[PATH_MAX + 32];
	FILE *f;

	snprintf(p, sizeof(p), "%s/report.txt", outdir);
	f = fopen(p, "w");
	if (!f)
		return;
	fprintf(f, "student %s: %d/%d\n", student, g->score, g->max);
	student_report(&rep, lab, g, oc, seconds);
	if (g->capture && g->res) {
		for (size_t i = 0; i < nitems(lab); i++) {
			int q;
			const struct lab_claim *c = item(lab, i, &q);
			char *out = NULL, *save = NULL;
			size_t olen = 0;
			FILE *o;

			if (!q || !(o = open_memstream(&out, &olen)))
				continue;
			item_output(o, lab, g, i);
			fclose(o);
			fprintf(f, "\n%s (%d/%d)\n", c->id, g->points[i], g->maxes[i]);
			for (char *l = strtok_r(out, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				fprintf(f, "  %s\n", l);
			free(out);
		}
		if (g->notes[0])
			fprintf(f, "\nnote: %s\n", g->notes);
		fprintf(f, "\nThe lab's claims on this capture (not graded):\n");
	}
	report_text(f, &rep, 0);
	fclose(f);
}

/* Grades one submission; runs in a child of its own. Never returns. */
static void grade_child(const char *lab_id, const struct sub *s, const char *out_root,
			const char *html_root)
{
	struct lab *lab = NULL;
	struct registry *reg = NULL;
	struct sandbox sb;
	struct graded g;
	struct lab_outcome oc;
	char outdir[PATH_MAX], e[1024];
	double t0 = now_s();
	size_t n;

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
	sb.cg.v2 = -1;
	snprintf(outdir, sizeof(outdir), "%s/%s", out_root, s->name);
	if (cli_load_lab(lab_id, &lab, e, sizeof(e))) {
		gerr(&g, "grader: %s", e);
		goto done;
	}
	if (is_capture_sub(s->src))
		grade_capture(lab, s, outdir, &g, &oc);
	else
		grade_program(lab, s, outdir, &g, &oc, &reg, &sb);
	n = nitems(lab);
	g.points = calloc(n + 1, sizeof(*g.points));
	g.maxes = calloc(n + 1, sizeof(*g.maxes));
	g.verdicts = calloc(n + 1, sizeof(*g.verdicts));
	if (!g.points || !g.maxes || !g.verdicts)
		goto done; /* no row: the parent grades it "ended without a result" */
	for (size_t i = 0; i < n; i++) {
		score_item(lab, &g, i);
		g.score += g.points[i];
		g.max += g.maxes[i];
	}
	write_results(outdir, s->name, lab, &g, now_s() - t0);
	write_report(outdir, s->name, lab, &g, &oc, now_s() - t0);
	if (html_root) {
		struct lab_report rep;
		char dir[PATH_MAX + 300];

		student_report(&rep, lab, &g, &oc, now_s() - t0);
		snprintf(dir, sizeof(dir), "%s/%s", html_root, s->name);
		if (html_write(dir, &rep, 1, e, sizeof(e)))
			gerr(&g, "grader: %s", e);
	}
	write_row(outdir, lab, &g);
done:
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
	if (lab) {
		claim_results_free(g.res, g.capture ? lab->nquestions : lab->nclaims);
		claim_results_free(oc.res, lab->nclaims);
	}
	answers_free(g.ans);
	trace_free(oc.tr);
	free(g.points);
	free(g.maxes);
	free(g.verdicts);
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
	/* Not a name a spreadsheet reads as a formula (- + @), nor one of the
	 * files beside the students' directories. */
	if (!strcmp(out, "gradebook.csv") || !strcmp(out, "gradebook.json") ||
	    !strcmp(out, "index.html") || !strcmp(out, SHARD_FILE))
		return -1;
	return out[0] && !strchr(".-+@", out[0]) &&
			       strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789._-@+") == strlen(out)
		       ? 0
		       : -1;
}

/* A quoted CSV field; one that starts as a formula would (= + - @, a tab
 * or CR: an error that quotes a student's file name) gets a ' first, so
 * that a spreadsheet shows it as text. */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	if (*s && strchr("=+-@\t\r", *s))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A row of the gradebook, as row.tsv holds it. */
struct row {
	char error[2048 + 2]; /* a graded error (2047 bytes at most), its newline */
	int score, max;
	int *points, *maxes;
	char (*verdicts)[32];
};

/* Reads DIR/STUDENT/row.tsv, written for lab; -1 with err if it is not one. */
static int read_row(const char *dir, const char *student, const struct lab *lab, struct row *r,
		    char *err, size_t errlen)
{
	char path[PATH_MAX + 300], line[4096], want[300];
	size_t n = nitems(lab), i = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->points = calloc(n + 1, sizeof(*r->points));
	r->maxes = calloc(n + 1, sizeof(*r->maxes));
	r->verdicts = calloc(n + 1, sizeof(*r->verdicts));
	if (!r->points || !r->maxes || !r->verdicts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/row.tsv", dir, student);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(want, sizeof(want), "wirelab-row %s\n", lab->id);
	if (!fgets(line, sizeof(line), f) || strcmp(line, want) ||
	    !fgets(r->error, sizeof(r->error), f)) {
		fclose(f);
		snprintf(err, errlen, "%s: not a row of lab %s", path, lab->id);
		return -1;
	}
	r->error[strcspn(r->error, "\n")] = '\0';
	for (; i < n && fgets(line, sizeof(line), f); i++) {
		if (sscanf(line, "%d\t%d\t%31[^\n]", &r->points[i], &r->maxes[i], r->verdicts[i]) !=
		    3)
			break;
		r->score += r->points[i];
		r->max += r->maxes[i];
	}
	fclose(f);
	if (i < n) {
		snprintf(err, errlen, "%s:%zu: expected POINTS<TAB>MAX<TAB>VERDICT for %s", path,
			 i + 3, item(lab, i, &(int){ 0 })->id);
		return -1;
	}
	return 0;
}

static void row_free(struct row *r)
{
	free(r->points);
	free(r->maxes);
	free(r->verdicts);
}

/* A row's claims or questions, those of its kind of submission. */
static void json_items(FILE *js, const struct lab *lab, const struct row *r, int questions)
{
	int first = 1;

	for (size_t c = 0; c < nitems(lab); c++) {
		int q;
		const struct lab_claim *it = item(lab, c, &q);

		if (q != questions || !strcmp(r->verdicts[c], "not asked") ||
		    !strcmp(r->verdicts[c], "not graded"))
			continue;
		fprintf(js, "%s", first ? "" : ", ");
		first = 0;
		json_cstr(js, it->id);
		fprintf(js, ": {\"points\": %d, \"max\": %d, \"verdict\": ", r->points[c],
			r->maxes[c]);
		json_cstr(js, r->verdicts[c][0] ? r->verdicts[c] : "not checked");
		fputc('}', js);
	}
}

/* Joins the students' rows (DIR/STUDENT/row.tsv) into DIR/gradebook.csv and
 * gradebook.json, in the order of names[]: `grade` and `gradebook merge`. */
static int write_gradebook(const char *out, const struct lab *lab, char (*names)[256], size_t n,
			   char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	FILE *csv, *js;
	int max = 0;

	/* The lab's max: its claims' points (a lab with a role), else its
	 * questions'; each row has its own. */
	for (size_t i = 0; i < nitems(lab); i++) {
		int q;
		const struct lab_claim *c = item(lab, i, &q);

		if (q == !lab->role)
			max += points_of(lab, c->id);
	}
	snprintf(path, sizeof(path), "%s/gradebook.csv", out);
	csv = fopen(path, "w");
	if (!csv) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/gradebook.json", out);
	js = fopen(path, "w");
	if (!js) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		fclose(csv);
		return -1;
	}
	fprintf(csv, "student,score,max_score");
	for (size_t c = 0; c < nitems(lab); c++) {
		int q;
		const char *id = item(lab, c, &q)->id;

		if (points_of(lab, id))
			fprintf(csv, ",%s", id);
	}
	fprintf(csv, ",error\n");
	fprintf(js, "{\"lab\": ");
	json_cstr(js, lab->id);
	fprintf(js, ", \"max_score\": %d, \"students\": [", max);
	for (size_t i = 0; i < n; i++) {
		struct row r;

		if (read_row(out, names[i], lab, &r, err, errlen)) {
			row_free(&r);
			fclose(csv);
			fclose(js);
			return -1;
		}
		fprintf(csv, "%s,%d,%d", names[i], r.score, r.max);
		for (size_t c = 0; c < nitems(lab); c++) {
			int q;

			if (!points_of(lab, item(lab, c, &q)->id))
				continue;
			if (!strcmp(r.verdicts[c], "not asked") ||
			    !strcmp(r.verdicts[c], "not graded"))
				fputc(',', csv); /* the other kind of submission's */
			else
				fprintf(csv, ",%d", r.points[c]);
		}
		fputc(',', csv);
		csv_field(csv, r.error);
		fputc('\n', csv);
		fprintf(js, "%s\n  {\"student\": ", i ? "," : "");
		json_cstr(js, names[i]);
		fprintf(js, ", \"score\": %d, \"max_score\": %d, \"error\": ", r.score, r.max);
		json_cstr(js, r.error[0] ? r.error : NULL);
		fprintf(js, ", \"claims\": {");
		if (lab->role)
			json_items(js, lab, &r, 0);
		fprintf(js, "}");
		if (lab->nquestions) {
			fprintf(js, ", \"questions\": {");
			json_items(js, lab, &r, 1);
			fprintf(js, "}");
		}
		fprintf(js, "}");
		row_free(&r);
	}
	fprintf(js, "\n]}\n");
	if (fclose(csv) | fclose(js)) {
		snprintf(err, errlen, "cannot write the gradebook in %s: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* `grade --html DIR`: DIR/index.html, the gradebook as a page (inline CSS,
 * nothing fetched), each student linked to their lab page DIR/STUDENT/. */
static int write_class_page(const char *dir, const char *out, const struct lab *lab,
			    char (*names)[256], size_t n, char *err, size_t errlen)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/index.html", dir);
	snprintf(tmp, sizeof(tmp), "%s/.index.html.tmp", dir);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	xml_put(f, lab->id);
	fputs(" gradebook</title>\n<style>\nbody{font:14px/1.4 sans-serif;margin:2em}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
	      "text-align:left;vertical-align:top}td.n{text-align:right}"
	      "tr.full td.n{color:#1a7f37}tr.zero td.n{color:#cf222e}\n</style>\n</head>\n"
	      "<body>\n<h1>",
	      f);
	xml_put(f, lab->id);
	fprintf(f,
		": %zu student%s</h1>\n<table id=\"gradebook\">\n<tr><th>student</th>"
		"<th>score</th><th>max</th><th>reason</th></tr>\n",
		n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		struct row r;

		if (read_row(out, names[i], lab, &r, err, errlen)) {
			row_free(&r);
			fclose(f);
			unlink(tmp);
			return -1;
		}
		fprintf(f, "<tr class=\"%s\"><td><a href=\"",
			r.score == r.max ? "full"
			: r.score	 ? "part"
					 : "zero");
		xml_put(f, names[i]);
		fputs("/", f);
		xml_put(f, lab->id);
		fputs(".html\">", f);
		xml_put(f, names[i]);
		fprintf(f, "</a></td><td class=\"n\">%d</td><td class=\"n\">%d</td><td>", r.score,
			r.max);
		xml_put(f, r.error);
		fputs("</td></tr>\n", f);
		row_free(&r);
	}
	fputs("</table>\n</body>\n</html>\n", f);
	if (fclose(f) || rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A child that ended without writing its row: one that says why. */
static void fallback_row(const char *out, const struct sub *s, const struct lab *lab)
{
	char path[PATH_MAX + 300];
	struct graded g;

	snprintf(path, sizeof(path), "%s/%s/row.tsv", out, s->name);
	if (!access(path, F_OK))
		return;
	memset(&g, 0, sizeof(g));
	if (WIFSIGNALED(s->status))
		gerr(&g, "grader: the grading process died (signal %d)", WTERMSIG(s->status));
	else
		gerr(&g, "grader: the grading process ended without a result");
	snprintf(path, sizeof(path), "%s/%s", out, s->name);
	write_row(path, lab, &g);
}

static void reap(struct sub *s, int st, const char *out, const struct lab *lab)
{
	char e[256];

	s->status = st;
	s->pid = 0;
	/* A child that died leaves a dead run (its namespaces, its sandbox's
	 * cgroups): undo it now. */
	if (WIFSIGNALED(st) && registry_clean_unkept(NULL, NULL, e, sizeof(e)) < 0)
		fprintf(stderr, "wirelab: clean-up: %s\n", e);
	fallback_row(out, s, lab);
}

static int write_manifest(const char *dir, const struct lab *lab, unsigned k, unsigned n,
			  char (*names)[256], size_t nnames, char *err, size_t errlen);

int cmd_grade(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },   { "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 's' }, { "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 }
	};
	static const char usage[] =
		"grade LAB SUBMISSION... [--jobs N] [--out DIR] [--shard K/N] [--html DIR]";
	const char *out = "wirelab-grades", *html_dir = NULL;
	char html_abs[PATH_MAX];
	struct lab *lab = NULL;
	struct sub *subs = NULL;
	struct sigaction sa;
	char err[1024], out_abs[PATH_MAX];
	size_t nsubs = 0, nall, next = 0, running = 0, done = 0;
	unsigned shard_k = 1, shard_n = 1;
	long jobs = 1;
	int c, ret = EXIT_INPUT, sup = -1;
	double limit_s;
	char(*names)[256] = NULL;

	while ((c = getopt_long(argc, argv, "o:j:s:H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'H':
			html_dir = optarg;
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
	if (!lab->role && !lab->nquestions) {
		fprintf(stderr,
			"wirelab: %s: the lab has no role and no question statement: it grades no "
			"submission\n",
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
	if (lab->role && geteuid() != 0) {
		fprintf(stderr, "wirelab: grade needs root (namespaces, the sandbox's uids): "
				"sudo wirelab grade ...\n");
		ret = EXIT_ENV;
		goto out;
	}
	for (size_t i = 0; lab->role && i < sizeof(sandbox_tools) / sizeof(sandbox_tools[0]); i++)
		if (access(sandbox_tools[i], X_OK)) {
			fprintf(stderr,
				"wirelab: %s is missing: the sandbox needs bubblewrap and "
				"util-linux (sudo apt-get install bubblewrap util-linux)\n",
				sandbox_tools[i]);
			ret = EXIT_ENV;
			goto out;
		}
	if (cli_mkdir_p(out, err, sizeof(err)) || !realpath(out, out_abs) ||
	    (html_dir &&
	     (cli_mkdir_p(html_dir, err, sizeof(err)) || !realpath(html_dir, html_abs)))) {
		fprintf(stderr, "wirelab: %s\n", err[0] ? err : strerror(errno));
		goto out;
	}
	names = calloc(nsubs + 1, sizeof(*names));
	if (!names) {
		fprintf(stderr, "wirelab: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nsubs; i++) {
		char d[PATH_MAX + 260];

		memcpy(names[i], subs[i].name, sizeof(names[i]));
		snprintf(d, sizeof(d), "%s/%s", out_abs, subs[i].name);
		rm_tree(d); /* a previous grade's files */
		if (cli_mkdir_p(d, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
	}
	if (write_manifest(out_abs, lab, shard_k, shard_n, names, nsubs, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	if (lab->role) /* a program's lab; a capture's makes nothing to clean */
		sup = supervisor_start(err, sizeof(err));
	if (lab->role && sup < 0) {
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
	/* A capture with answers takes a read of the capture: 120 s is plenty
	 * for the 1 GiB a graded capture may hold. */
	limit_s = 120;
	if (lab->role) {
		/* jobs beyond the CPU slots wait for one (run.c): their turn too */
		long turns = (jobs + run_slots() - 1) / run_slots();

		limit_s += lab->role->build_timeout_ms / 1000.0 +
			   15.0 * (double)lab->nprogs * (double)turns;
	}
	fflush(NULL);
	while (done < nsubs && !stop_sig) {
		while (running < (size_t)jobs && next < nsubs) {
			struct sub *s = &subs[next++];

			s->pid = fork();
			if (s->pid < 0) {
				fprintf(stderr, "wirelab: fork: %s\n", strerror(errno));
				s->pid = 0;
				s->status = 0;
				fallback_row(out_abs, s, lab); /* "ended without a result" */
				done++;
				continue;
			}
			if (s->pid == 0) {
				close(sup);
				grade_child(argv[optind], s, out_abs, html_dir ? html_abs : NULL);
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
					reap(&subs[i], st, out_abs, lab);
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
			reap(&subs[i], st, out_abs, lab);
		}
	if (stop_sig) {
		fprintf(stderr, "\nwirelab: interrupted; cleaned up\n");
		ret = 128 + stop_sig;
		goto out;
	}
	if (write_gradebook(out_abs, lab, names, nsubs, err, sizeof(err)) ||
	    (html_dir &&
	     write_class_page(html_abs, out_abs, lab, names, nsubs, err, sizeof(err)))) {
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
	free(names);
	free(subs);
	lab_free(lab);
	if (sup >= 0)
		close(sup);
	return ret;
}

/* ---- wirelab gradebook merge ---- */

static int by_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* DIR/shard.txt, written when a grade starts: "wirelab-shard LAB K N",
 * then the name of each student it grades. Merge trusts only it: a shard
 * killed halfway has students without a row, and says so. */
static int write_manifest(const char *dir, const struct lab *lab, unsigned k, unsigned n,
			  char (*names)[256], size_t nnames, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" SHARD_FILE, dir);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "wirelab-shard %s %u %u\n", lab->id, k, n);
	for (size_t i = 0; i < nnames; i++)
		fprintf(f, "%s\n", names[i]);
	if (fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads a shard's manifest: its K and N, its students appended to names
 * (each checked to have its row). */
static int read_manifest(const char *dir, const struct lab *lab, unsigned *k, unsigned *n,
			 char (**names)[256], size_t *nnames, char *err, size_t errlen)
{
	char path[PATH_MAX + 300], line[512], id[256];
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/" SHARD_FILE, dir);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s (not the output of a wirelab grade)", path,
			 strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "wirelab-shard %255s %u %u", id, k, n) != 3 || *k < 1 || *k > *n) {
		snprintf(err, errlen, "%s:1: expected wirelab-shard LAB K N", path);
		goto out;
	}
	if (strcmp(id, lab->id)) {
		snprintf(err, errlen, "%s: a shard of lab %s, not %s", path, id, lab->id);
		goto out;
	}
	for (int ln = 2; fgets(line, sizeof(line), f); ln++) {
		char name[256], row[PATH_MAX + 600];
		char(*nn)[256];

		line[strcspn(line, "\n")] = '\0';
		if (sub_name(line, name, sizeof(name)) || strcmp(name, line)) {
			snprintf(err, errlen, "%s:%d: not a student's name", path, ln);
			goto out;
		}
		snprintf(row, sizeof(row), "%s/%s/row.tsv", dir, name);
		if (access(row, R_OK)) {
			snprintf(err, errlen,
				 "%s: student %s has no row: shard %u/%u did not finish (was it "
				 "interrupted?)",
				 dir, name, *k, *n);
			goto out;
		}
		nn = realloc(*names, (*nnames + 1) * sizeof(**names));
		if (!nn) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		*names = nn;
		memcpy(nn[(*nnames)++], name, sizeof(name));
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

/* `wirelab gradebook answers LAB CAPTURE`: the answers file that capture
 * calls for (the key an instructor checks a student's capture against),
 * each question's text and evidence as a comment. */
static int gradebook_answers(const char *lab_id, const char *capture)
{
	struct lab *lab = NULL;
	struct trace *tr = NULL;
	struct claim_result *res = NULL;
	struct graded g;
	char err[1024], ev[1024];
	int ret = EXIT_INPUT;

	memset(&g, 0, sizeof(g));
	if (cli_load_lab(lab_id, &lab, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		return EXIT_INPUT;
	}
	if (!lab->nquestions) {
		fprintf(stderr, "wirelab: %s: the lab asks no questions\n", lab->path);
		goto out;
	}
	if (trace_load(capture, lab->kind, -1, &tr, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	if (check_exchange(lab, tr, capture, &g)) {
		fprintf(stderr, "wirelab: %s\n", g.error);
		ret = EXIT_CLAIM;
		goto out;
	}
	if (claim_eval_questions(lab, tr, &res, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_ENV;
		goto out;
	}
	printf("# %s: the answers %s calls for (tcp.stream eq %d)\n", lab->id, capture, tr->stream);
	for (size_t k = 0; k < lab->nquestions; k++) {
		evidence_text(ev, sizeof(ev), &res[k]);
		printf("\n# %s\n", lab->questions[k].text);
		if (ev[0])
			printf("# evidence: packets %s\n", ev);
		if (res[k].verdict == LAB_HOLDS)
			printf("%s = %s\n", lab->questions[k].id, res[k].observed);
		else
			printf("# %s: %s\n", lab->questions[k].id, res[k].observed);
	}
	ret = EXIT_HOLDS;
out:
	claim_results_free(res, lab->nquestions);
	trace_free(tr);
	lab_free(lab);
	return ret;
}

/* `wirelab gradebook merge LAB --out DIR SHARD...`: the shards' students
 * (copied into DIR unless a shard is DIR) in one gradebook, the very one an
 * unsharded `grade` writes. */
int cmd_gradebook(int argc, char **argv)
{
	static const struct option opts[] = { { "out", required_argument, NULL, 'o' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const char usage[] = "gradebook merge LAB --out DIR SHARD_DIR... | "
				    "gradebook answers LAB CAPTURE";
	const char *out = NULL;
	struct lab *lab = NULL;
	char(*names)[256] = NULL, err[1024], out_abs[PATH_MAX];
	size_t n = 0, nshards = 0;
	unsigned shard_n = 0, *seen = NULL;
	int c, ret = EXIT_INPUT;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: wirelab %s\n", usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	if (argc - optind == 3 && !strcmp(argv[optind], "answers"))
		return gradebook_answers(argv[optind + 1], argv[optind + 2]);
	if (argc - optind < 3 || strcmp(argv[optind], "merge") || !out)
		return cli_usage(usage);
	if (cli_load_lab(argv[optind + 1], &lab, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		return EXIT_INPUT;
	}
	if (cli_mkdir_p(out, err, sizeof(err)) || !realpath(out, out_abs)) {
		fprintf(stderr, "wirelab: %s\n", err[0] ? err : strerror(errno));
		goto out;
	}
	nshards = (size_t)(argc - optind - 2);
	seen = calloc(nshards + 1, sizeof(*seen));
	if (!seen) {
		fprintf(stderr, "wirelab: out of memory\n");
		goto out;
	}
	/* Every manifest first (nothing copied yet), then the copies. */
	for (size_t i = 0; i < nshards; i++) {
		char shard[PATH_MAX];
		unsigned k = 0, sn = 0;

		if (!realpath(argv[optind + 2 + (int)i], shard)) {
			fprintf(stderr, "wirelab: %s: %s\n", argv[optind + 2 + (int)i],
				strerror(errno));
			goto out;
		}
		if (read_manifest(shard, lab, &k, &sn, &names, &n, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
		if (shard_n && sn != shard_n) {
			fprintf(stderr, "wirelab: %s: a shard of %u, the others of %u\n", shard, sn,
				shard_n);
			goto out;
		}
		shard_n = sn;
		for (size_t j = 0; j < i; j++)
			if (seen[j] == k) {
				fprintf(stderr, "wirelab: shard %u/%u given twice (%s)\n", k, sn,
					shard);
				goto out;
			}
		seen[i] = k;
	}
	if (nshards != shard_n) {
		fprintf(stderr, "wirelab: %zu shard%s given, the grade was cut in %u\n", nshards,
			nshards == 1 ? "" : "s", shard_n);
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				fprintf(stderr, "wirelab: student '%s' is in two shards\n",
					names[i]);
				goto out;
			}
	for (size_t i = 0, at = 0; i < nshards; i++) {
		char shard[PATH_MAX];
		unsigned k, sn;
		size_t m = 0;
		char(*mine)[256] = NULL;

		if (!realpath(argv[optind + 2 + (int)i], shard) ||
		    read_manifest(shard, lab, &k, &sn, &mine, &m, err, sizeof(err))) {
			free(mine);
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
		free(mine);
		for (size_t j = at; j < at + m && strcmp(shard, out_abs); j++) {
			char from[PATH_MAX + 300], to[PATH_MAX + 300];
			int to_out, st;

			snprintf(from, sizeof(from), "%s/%s", shard, names[j]);
			snprintf(to, sizeof(to), "%s/%s", out_abs, names[j]);
			rm_tree(to); /* an earlier merge's copy */
			char *const cp[] = { "/bin/cp", "-R", "-P", from, to, NULL };

			st = run_cmd(cp, 60000, &to_out);
			if (to_out || st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "wirelab: cannot copy %s to %s\n", from, to);
				goto out;
			}
		}
		at += m;
	}
	qsort(names, n, sizeof(*names), by_str);
	/* No manifest: a merged gradebook is the end, not a shard (a shard
	 * merged into keeps its own). */
	if (write_gradebook(out_abs, lab, names, n, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	printf("%s: %zu student%s from %d shard%s: %s/gradebook.csv\n", lab->id, n,
	       n == 1 ? "" : "s", argc - optind - 2, argc - optind - 2 == 1 ? "" : "s", out_abs);
	ret = EXIT_HOLDS;
out:
	free(seen);
	free(names);
	lab_free(lab);
	return ret;
}

/* harness/run.c — `wirelab run` and `wirelab clean`.
 *
 * One lab run: a temp dir, the topology, the impairment engine, the capture
 * on the client's veth, the lab's programs in order, then — once every
 * connection has settled (sock_diag, no sleeping) and no packet is held —
 * the capture is drained and closed, the programs stopped, everything torn
 * down, and the claims checked on the capture exactly as `check` would.
 *
 * Clean-up never depends on this process surviving: every object is in the
 * run registry before it exists, and a supervisor process, forked first,
 * waits for this one to end (however it ends: exit, Ctrl-C, SIGKILL) and
 * then removes whatever a dead run left (registry_clean_unkept: a lab kept
 * with --keep stays until `wirelab clean`).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/capture.h"
#include "harness/certgen.h"
#include "harness/claim.h"
#include "harness/cli.h"
#include "harness/dissect.h"
#include "harness/filter.h"
#include "harness/html.h"
#include "harness/pcapng.h"
#include "harness/report.h"
#include "harness/run.h"
#include "netns/impair.h"
#include "netns/proc.h"
#include "netns/registry.h"
#include "netns/sockdiag.h"
#include "netns/topo.h"

#define READY_TIMEOUT_MS  5000
#define SETTLE_TIMEOUT_MS 5000
#define MAX_PROGS	  16

/* ---- the supervisor ---- */

static void supervisor_report(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "wirelab: cleaned up %s\n", line);
}

/* Forks the process that cleans up after this one. Returns the write end of
 * a pipe it waits on: when every copy is closed (this process ended), it
 * removes what dead runs left behind. */
int supervisor_start(char *err, size_t errlen)
{
	int fds[2];
	pid_t pid, parent = getpid();

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot create the supervisor's pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork the supervisor: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		char b, e[256];
		ssize_t r;

		/* Out of the terminal's process group: Ctrl-C must not stop the
		 * one process that cleans up after it. */
		setpgid(0, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		close(fds[1]);
		do
			r = read(fds[0], &b, 1);
		while (r > 0 || (r < 0 && errno == EINTR));
		/* The pipe closes while the parent is still exiting, and the
		 * registry rightly takes an exiting process for alive: wait until
		 * it has died (this process is then reparented), 10 s at most. */
		for (int i = 0; i < 10000 && getppid() == parent; i++)
			usleep(1000);
		if (registry_clean_unkept(supervisor_report, NULL, e, sizeof(e)) < 0)
			fprintf(stderr, "wirelab: clean-up: %s\n", e);
		_exit(0);
	}
	close(fds[0]);
	return fds[1];
}

static void on_signal(int sig)
{
	static const char msg[] = "\nwirelab: interrupted; cleaning up\n";

	/* The supervisor removes everything once this process is gone. */
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(128 + sig);
}

/* ---- one lab ---- */

struct drop_state {
	const struct lab *lab;
	struct dissect *d;
	struct pkt p;
	unsigned *seen; /* matches so far, per lab drop */
	int failed;
};

/* The engine asks about every packet, in order: dissect it as the capture
 * would (streams, relative numbers, HTTP...) and match the lab's drops. */
static int drop_decide(void *ctx, enum impair_dir dir, const uint8_t *ip, size_t len)
{
	struct drop_state *ds = ctx;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (dissect_frame(ds->d, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, (uint32_t)len,
			  ip, (uint32_t)len, &ds->p)) {
		ds->failed = 1;
		return 0;
	}
	for (size_t i = 0; i < ds->lab->ndrops; i++) {
		const struct lab_drop *dr = &ds->lab->drops[i];

		if (dr->dir != (int)dir || !filter_match(dr->filter, &ds->p))
			continue;
		if (++ds->seen[i] == dr->nth)
			return 1;
	}
	return 0;
}

struct lab_run {
	const struct lab *lab;
	struct registry *reg;
	const struct run_opts *o;
	char dir[PATH_MAX]; /* temp dir */
	char pcap[PATH_MAX];
	struct topo *topo;
	struct impair *imp;
	struct capture *cap;
	struct proc *procs[MAX_PROGS];
	size_t nprocs;
	struct drop_state drops;
	char notes[256];
	char **facts; /* "name\0value" pairs for the trace */
	size_t nfacts;
};

/* ---- CPU slots ----
 *
 * A lab's timing claims (round trips from timestamps, a push while the
 * client sends) need the CPU a lone run gets. So at most max(1, online CPUs
 * / 2) labs run their programs at once on the machine: several `wirelab
 * run`s, a grade's jobs. Set-up and checking are not held back. A slot is
 * an abstract UNIX socket bound in wirelab's network namespace (the
 * host's): it is free again when closed or when its process dies, and it
 * leaves nothing behind. WIRELAB_SLOTS=N sets another number. */
#define SLOT_POLL_US 5000
#define SLOT_WAIT_S  600
#define PROG_NICE    -10 /* the lab programs' nice value */

static int slot_count(void)
{
	const char *env = getenv("WIRELAB_SLOTS");
	long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN) / 2;

	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int run_slots(void)
{
	return slot_count();
}

/* Takes a slot, waiting for one up to SLOT_WAIT_S (a stopped run holds its
 * slot; so could anyone who binds the name); the fd, or -1 with err.
 * *waited: seconds spent waiting. */
static int slot_take(double *waited, char *err, size_t errlen)
{
	struct timespec t0, t1;
	int n = slot_count();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > SLOT_WAIT_S) {
			snprintf(err, errlen,
				 "no CPU slot free in %d s: %d lab%s of other wirelab runs held "
				 "the %d (abstract sockets @wirelab-cpu-slot-N; WIRELAB_SLOTS=N "
				 "sets the number)",
				 SLOT_WAIT_S, n, n == 1 ? "" : "s", n);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct sockaddr_un a = { .sun_family = AF_UNIX };
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			socklen_t len;

			if (fd < 0) {
				snprintf(err, errlen, "cannot take a CPU slot: socket: %s",
					 strerror(errno));
				return -1;
			}
			/* a leading NUL: the abstract namespace, no file */
			len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
					  (size_t)snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
							   "wirelab-cpu-slot-%d", i));
			if (bind(fd, (struct sockaddr *)&a, len) == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				*waited = (double)(t1.tv_sec - t0.tv_sec) +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
				return fd;
			}
			close(fd);
			if (errno != EADDRINUSE) {
				snprintf(err, errlen, "cannot take a CPU slot: bind: %s",
					 strerror(errno));
				return -1;
			}
		}
		usleep(SLOT_POLL_US);
	}
}

static int write_file(const char *path, const char *body, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(body, f) < 0 || fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}

/* {pi}, {client}, {dir}, {labs}, {out}, {lab} in a word or a file's body. */
static char *expand(const struct lab_run *r, const char *w)
{
	enum { NPH = 6 };
	char addr[2][16];
	const char *names[NPH] = { "{pi}", "{client}", "{dir}", "{labs}", "{out}", "{lab}" };
	const char *vals[NPH] = { addr[0],	   addr[1],	  r->dir,
				  cli_progs_dir(), r->o->out_dir, r->lab->id };
	size_t cap = strlen(w) + 1, n = 0;
	char *out;

	for (int h = 0; h < 2; h++) {
		struct in_addr a = topo_addr(r->topo, h ? TOPO_CLIENT : TOPO_PI);

		inet_ntop(AF_INET, &a, addr[h], sizeof(addr[h]));
	}
	for (size_t i = 0; i < NPH; i++)
		for (const char *q = strstr(w, names[i]); q; q = strstr(q + 1, names[i]))
			cap += strlen(vals[i]);
	out = malloc(cap);
	if (!out)
		return NULL;
	while (*w) {
		size_t i;

		for (i = 0; i < NPH; i++)
			if (!strncmp(w, names[i], strlen(names[i])))
				break;
		if (i < NPH) {
			memcpy(out + n, vals[i], strlen(vals[i]));
			n += strlen(vals[i]);
			w += strlen(names[i]);
		} else {
			out[n++] = *w++;
		}
	}
	out[n] = '\0';
	return out;
}

/* A program's path: a lab program (build/labs) first, then PATH. */
static int resolve_prog(const char *name, char *path, size_t len)
{
	const char *pathenv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char buf[PATH_MAX];

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return access(path, X_OK);
	}
	snprintf(path, len, "%s/%s", cli_progs_dir(), name);
	if (!access(path, X_OK))
		return 0;
	snprintf(buf, sizeof(buf), "%s", pathenv);
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", d, name);
		if (!access(path, X_OK))
			return 0;
	}
	return -1;
}

/* Exit 3 before anything is built if a program is missing. */
static int check_programs(const struct lab *lab, char *err, size_t errlen)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < lab->nprogs; i++) {
		const char *name = lab->progs[i].argv[0];

		if (strchr(name, '{'))
			continue; /* {labs}/x: checked when expanded */
		if (resolve_prog(name, path, sizeof(path))) {
			if (lab->optional)
				snprintf(err, errlen,
					 "%s:%d: program '%s' is not installed (an optional lab: "
					 "install %s to run it)",
					 lab->path, lab->progs[i].line, name, name);
			else
				snprintf(err, errlen,
					 "%s:%d: program '%s' is not installed (sudo sh "
					 "ci/install-deps.sh installs what the labs need)",
					 lab->path, lab->progs[i].line, name);
			return -1;
		}
	}
	return 0;
}

static void tail_file(const char *path, char *out, size_t len)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	out[0] = '\0';
	if (!f)
		return;
	if (fseek(f, -(long)sizeof(buf) + 1, SEEK_END))
		fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	char *last = strrchr(buf, '\n');

	snprintf(out, len, "%s", last ? last + 1 : buf);
}

static int start_prog(struct lab_run *r, const struct lab_prog *pg, char *err, size_t errlen)
{
	static char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C",
		"LC_ALL=C", "TERM=dumb", NULL
	};
	char *argv[64], path[PATH_MAX], outp[PATH_MAX + 32], errp[PATH_MAX + 32],
		home[PATH_MAX + 8];
	char *envp[8];
	size_t argc = 0, i;
	int ret = -1;
	struct proc_spec spec;

	memset(argv, 0, sizeof(argv));
	for (i = 0; pg->argv[i] && argc < 63; i++)
		if (!(argv[argc++] = expand(r, pg->argv[i])))
			goto out;
	if (resolve_prog(argv[0], path, sizeof(path))) {
		snprintf(err, errlen, "%s:%d: program '%s' is not installed", r->lab->path,
			 pg->line, argv[0]);
		goto out;
	}
	free(argv[0]);
	argv[0] = strdup(path);
	snprintf(home, sizeof(home), "HOME=%s", r->dir);
	for (i = 0; env[i]; i++)
		envp[i] = env[i];
	envp[i++] = home;
	envp[i] = NULL;
	snprintf(outp, sizeof(outp), "%s/%s.out", r->dir, pg->name);
	snprintf(errp, sizeof(errp), "%s/%s.err", r->dir, pg->name);
	memset(&spec, 0, sizeof(spec));
	spec.netns_fd = topo_netns_fd(r->topo, pg->host == LAB_PI ? TOPO_PI : TOPO_CLIENT);
	spec.argv = argv;
	spec.envp = envp;
	spec.cwd = r->dir;
	spec.stdout_path = outp;
	spec.stderr_path = errp;
	/* The lab's own programs are timed by its claims: ahead of whatever
	 * else the machine runs (a student's program is not). */
	spec.nice = pg->untrusted ? 0 : PROG_NICE;
	if (proc_start(&spec, r->reg, &r->procs[r->nprocs], err, errlen))
		goto out;
	r->nprocs++;
	ret = 0;
out:
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return ret;
}

static int run_server(struct lab_run *r, const struct lab_prog *pg, char *err, size_t errlen)
{
	char e2[256], tail[256], errp[PATH_MAX + 32];
	int st, w;

	if (start_prog(r, pg, err, errlen))
		return -1;
	if (!pg->ready_port)
		return 0;
	w = sockdiag_wait_listen(topo_netns_fd(r->topo, pg->host == LAB_PI ? TOPO_PI : TOPO_CLIENT),
				 (uint16_t)pg->ready_port, READY_TIMEOUT_MS, e2, sizeof(e2));
	if (w == 0)
		return 0;
	/* Did it die, or is it just slow? Say which, with its last words. */
	snprintf(errp, sizeof(errp), "%s/%s.err", r->dir, pg->name);
	tail_file(errp, tail, sizeof(tail));
	if (proc_wait(r->procs[r->nprocs - 1], 0, &st, e2, sizeof(e2)) == 0)
		snprintf(err, errlen,
			 "%s:%d: %s '%s' exited (status %d) before listening on %d%s%s",
			 r->lab->path, pg->line, pg->name, pg->argv[0],
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), pg->ready_port,
			 tail[0] ? ": " : "", tail);
	else
		snprintf(err, errlen, "%s:%d: %s '%s' did not listen on port %d within %d ms%s%s",
			 r->lab->path, pg->line, pg->name, pg->argv[0], pg->ready_port,
			 READY_TIMEOUT_MS, tail[0] ? ": " : "", tail);
	return -1;
}

static int run_client(struct lab_run *r, const struct lab_prog *pg, char *err, size_t errlen)
{
	char errp[PATH_MAX + 32], tail[256];
	struct proc *p;
	int st = 0, w;

	if (start_prog(r, pg, err, errlen))
		return -1;
	p = r->procs[r->nprocs - 1];
	w = proc_wait(p, pg->timeout_ms, &st, err, errlen);
	if (w < 0)
		return -1;
	snprintf(errp, sizeof(errp), "%s/%s.err", r->dir, pg->name);
	if (w == 1) {
		proc_stop(p, SIGKILL, 0);
		tail_file(errp, tail, sizeof(tail));
		snprintf(err, errlen, "%s:%d: %s '%s' did not finish within %d ms%s%s",
			 r->lab->path, pg->line, pg->name, pg->argv[0], pg->timeout_ms,
			 tail[0] ? ": " : "", tail);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != pg->exit_status) {
		tail_file(errp, tail, sizeof(tail));
		snprintf(err, errlen, "%s:%d: %s '%s' failed (%s %d)%s%s", r->lab->path, pg->line,
			 pg->name, pg->argv[0], WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), tail[0] ? ": " : "", tail);
		return -1;
	}
	return 0;
}

static void add_fact(struct lab_run *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char **n = realloc(r->facts, (r->nfacts + 1) * sizeof(*n));
	char *f = malloc(nl + vl + 2);

	if (!n || !f) {
		free(f);
		if (n)
			r->facts = n;
		return; /* a fact missing makes its claims n/a: said, not hidden */
	}
	memcpy(f, name, nl + 1);
	memcpy(f + nl + 1, value, vl + 1);
	r->facts = n;
	r->facts[r->nfacts++] = f;
}

/* `facts "FILE" as PREFIX`: KEY=VALUE lines a program of the lab wrote in
 * {dir} (what a client says it negotiated) become facts PREFIX.KEY. */
static void read_fact_files(struct lab_run *r)
{
	for (size_t i = 0; i < r->lab->nfactfiles; i++) {
		char path[PATH_MAX + 256], line[1024], name[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", r->dir, r->lab->factfiles[i].file);
		f = fopen(path, "r");
		if (!f)
			continue; /* the claims that read them are n/a */
		while (fgets(line, sizeof(line), f)) {
			char *eq = strchr(line, '='), *end = line + strlen(line);

			while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
				*--end = '\0';
			if (!eq || eq == line)
				continue;
			*eq = '\0';
			snprintf(name, sizeof(name), "%s.%s", r->lab->factfiles[i].prefix, line);
			add_fact(r, name, eq + 1);
		}
		fclose(f);
	}
}

/* What only a live run can tell: who holds TIME_WAIT, and for how long. */
static void collect_facts(struct lab_run *r)
{
	static const char *const names[] = { "client", "pi" };
	uint32_t tw_ms[2] = { 0, 0 };
	int tw[2] = { 0, 0 };
	char v[64], e[256];

	for (int h = 0; h < TOPO_NHOSTS; h++) {
		struct sockdiag_sock *s = NULL;
		size_t n = 0;

		if (sockdiag_list(topo_netns_fd(r->topo, (enum topo_host)h), &s, &n, e, sizeof(e)))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (s[i].state != TCP_TIME_WAIT)
				continue;
			tw[h] = 1;
			if (s[i].expires_ms > tw_ms[h])
				tw_ms[h] = s[i].expires_ms;
		}
		free(s);
	}
	add_fact(r, "timewait.side",
		 tw[0] && tw[1] ? "both"
		 : tw[0]	? names[0]
		 : tw[1]	? names[1]
				: "none");
	if (tw[0] || tw[1]) {
		snprintf(v, sizeof(v), "%u", tw_ms[0] > tw_ms[1] ? tw_ms[0] : tw_ms[1]);
		add_fact(r, "timewait.ms", v);
	}
	snprintf(v, sizeof(v), "%.3f",
		 (r->lab->delay_us[0] + (double)r->lab->delay_us[1]) / 1000.0);
	add_fact(r, "link.rtt_ms", v);
}

static int topo_from_lab(const struct lab *lab, struct topo_config *tc, struct topo_sysctl **sys,
			 char *err, size_t errlen)
{
	size_t n = 0;

	memset(tc, 0, sizeof(*tc));
	for (int h = 0; h < 2; h++)
		if (lab->addr[h] && inet_pton(AF_INET, lab->addr[h], &tc->addr[h]) != 1) {
			snprintf(err, errlen, "%s: bad address %s", lab->path, lab->addr[h]);
			return -1;
		}
	tc->mtu = lab->mtu;
	tc->rate_bps = lab->rate_bps;
	/* `sysctl both` applies to each host; topo takes one list for both,
	 * so host-specific ones are applied by the runner (topo_in_netns). */
	*sys = calloc(lab->nsysctls + 1, sizeof(**sys));
	if (!*sys) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < lab->nsysctls; i++) {
		if (lab->sysctls[i].host != LAB_BOTH)
			continue;
		(*sys)[n].key = lab->sysctls[i].key;
		(*sys)[n].value = lab->sysctls[i].value;
		n++;
	}
	tc->sysctls = *sys;
	tc->nsysctls = n;
	return 0;
}

struct sysctl_ctx {
	const char *key, *value;
	char err[256];
};

static int write_sysctl(void *arg)
{
	struct sysctl_ctx *c = arg;
	char path[256];
	size_t n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", c->key);

	for (size_t i = 10; i < n; i++)
		if (path[i] == '.')
			path[i] = '/';
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, c->value, strlen(c->value)) < 0) {
		snprintf(c->err, sizeof(c->err), "sysctl %s = %s: %s", c->key, c->value,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int host_sysctls(struct lab_run *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->lab->nsysctls; i++) {
		const struct lab_sysctl *s = &r->lab->sysctls[i];
		struct sysctl_ctx c = { s->key, s->value, "" };

		if (s->host == LAB_BOTH)
			continue;
		if (topo_in_netns(r->topo, s->host == LAB_PI ? TOPO_PI : TOPO_CLIENT, write_sysctl,
				  &c, err, errlen)) {
			if (c.err[0])
				snprintf(err, errlen, "%s:%d: %s", r->lab->path, s->line, c.err);
			return -1;
		}
	}
	return 0;
}

static int make_dir(struct lab_run *r, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(r->dir, sizeof(r->dir), "%s/wirelab-%s-%s", tmp && *tmp ? tmp : "/tmp",
		 registry_run_id(r->reg), r->lab->id);
	if (registry_add(r->reg, err, errlen, "tmpdir %s", r->dir))
		return -1;
	if (mkdir(r->dir, 0700)) {
		snprintf(err, errlen, "cannot create %s: %s", r->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The lab's `file` bodies, placeholders expanded, into the run's dir. */
static int write_files(struct lab_run *r, char *err, size_t errlen)
{
	if (r->lab->cert && certgen_selfsigned(r->dir, r->lab->cert, err, errlen))
		return -1;
	for (size_t i = 0; i < r->lab->nfiles; i++) {
		char path[PATH_MAX + 256];
		char *body = expand(r, r->lab->files[i].body);
		int bad;

		if (!body) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", r->dir, r->lab->files[i].name);
		bad = write_file(path, body, err, errlen);
		free(body);
		if (bad)
			return -1;
	}
	return 0;
}

static void rm_tree(const char *dir)
{
	char cmdpath[PATH_MAX + 64];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(cmdpath, sizeof(cmdpath), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_tree(cmdpath);
		else
			unlink(cmdpath);
	}
	closedir(d);
	rmdir(dir);
}

/* The TLS key log beside the capture (LAB.keys), and the capture again as
 * LAB.pcapng with the key log inside, which Wireshark opens decrypted. */
static int keep_keylog(struct lab_run *r, char *err, size_t errlen)
{
	char src[PATH_MAX + 256], dst[PATH_MAX + 64], ng[PATH_MAX + 64];
	size_t plen = strlen(r->pcap);

	snprintf(src, sizeof(src), "%s/%s", r->dir, r->lab->keylog);
	snprintf(dst, sizeof(dst), "%.*s.keys", (int)(plen > 5 ? plen - 5 : plen), r->pcap);
	snprintf(ng, sizeof(ng), "%.*s.pcapng", (int)(plen > 5 ? plen - 5 : plen), r->pcap);
	FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
	char buf[8192];
	size_t n;
	int ret = -1;

	if (!in || !out) {
		snprintf(err, errlen, "%s: keylog %s: %s", r->lab->path, in ? dst : src,
			 strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
			goto out;
		}
	if (fclose(out)) {
		out = NULL;
		snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
		goto out;
	}
	out = NULL;
	ret = pcapng_write_with_keylog(r->pcap, dst, ng, err, errlen);
out:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	return ret;
}

/* Runs one lab; fills the capture path. 0, or -1 with err (and *code). */
static int lab_run_once(struct lab_run *r, int *code, char *err, size_t errlen)
{
	struct topo_config tc;
	struct topo_sysctl *sys = NULL;
	struct impair_config ic;
	char e2[256];
	int ret = -1, w, slot = -1;
	uint64_t frames = 0;
	int quiet_fds[2];
	double waited = 0;

	*code = EXIT_CLAIM;
	if (check_programs(r->lab, err, errlen)) {
		*code = EXIT_ENV;
		return -1;
	}
	if (make_dir(r, err, errlen) || topo_from_lab(r->lab, &tc, &sys, err, errlen))
		goto out;
	tc.keep = r->o->keep;
	if (topo_create(&tc, r->reg, &r->topo, err, errlen) || host_sysctls(r, err, errlen) ||
	    write_files(r, err, errlen))
		goto out;
	memset(&ic, 0, sizeof(ic));
	ic.delay_us[IMPAIR_TO_PI] = r->lab->delay_us[0];
	ic.delay_us[IMPAIR_TO_CLIENT] = r->lab->delay_us[1];
	if (r->lab->ndrops) {
		r->drops.lab = r->lab;
		r->drops.seen = calloc(r->lab->ndrops, sizeof(unsigned));
		if (!r->drops.seen || dissect_new(101 /* LINKTYPE_RAW */, &r->drops.d, err, errlen))
			goto out;
		ic.drop = drop_decide;
		ic.drop_ctx = &r->drops;
	}
	slot = slot_take(&waited, err, errlen);
	if (slot < 0)
		goto out;
	if (waited >= 0.001)
		snprintf(r->notes, sizeof(r->notes), "waited %.3f s for a CPU slot", waited);
	if (impair_start(r->topo, &ic, &r->imp, err, errlen))
		goto out;
	if (capture_start(topo_netns_fd(r->topo, TOPO_CLIENT), topo_ifname(r->topo, TOPO_CLIENT),
			  r->pcap, &r->cap, err, errlen))
		goto out;
	for (size_t i = 0; i < r->lab->nprogs; i++) {
		const struct lab_prog *pg = &r->lab->progs[i];

		if (r->nprocs == MAX_PROGS) {
			snprintf(err, errlen, "%s:%d: more than %d programs", r->lab->path,
				 pg->line, MAX_PROGS);
			goto out;
		}
		if (pg->kind == LAB_PROG_SERVER ? run_server(r, pg, err, errlen)
						: run_client(r, pg, err, errlen))
			goto out;
	}
	/* The last FIN/ACK may still be on its way: wait until no connection
	 * is open or closing in either namespace, and nothing is held. */
	quiet_fds[0] = topo_netns_fd(r->topo, TOPO_CLIENT);
	quiet_fds[1] = topo_netns_fd(r->topo, TOPO_PI);
	w = sockdiag_wait_quiet(quiet_fds, 2, SETTLE_TIMEOUT_MS, e2, sizeof(e2));
	if (w < 0) {
		snprintf(err, errlen, "waiting for the connections to close: %s", e2);
		goto out;
	}
	if (w == 1)
		snprintf(r->notes + strlen(r->notes), sizeof(r->notes) - strlen(r->notes),
			 "; a connection was still open after %d ms", SETTLE_TIMEOUT_MS);
	impair_wait_idle(r->imp, SETTLE_TIMEOUT_MS);
	read_fact_files(r);
	snprintf(r->notes + strlen(r->notes), sizeof(r->notes) - strlen(r->notes), "%slink: %s",
		 r->notes[0] ? "; " : "", impair_describe(r->imp));
	collect_facts(r);
	ret = 0;
out:
	if (r->cap) {
		if (capture_stop(r->cap, &frames, e2, sizeof(e2)) && ret == 0) {
			snprintf(err, errlen, "%s", e2);
			ret = -1;
		}
		r->cap = NULL;
	}
	if (ret == 0 && r->lab->keylog && keep_keylog(r, err, errlen))
		ret = -1;
	for (size_t i = r->nprocs; i-- > 0;)
		proc_free(r->procs[i]); /* SIGKILL if still running */
	r->nprocs = 0;
	impair_free(r->imp);
	r->imp = NULL;
	if (slot >= 0)
		close(slot);
	dissect_free(r->drops.d);
	pkt_clear(&r->drops.p);
	free(r->drops.seen);
	topo_free(r->topo);
	r->topo = NULL;
	if (!r->o->keep)
		rm_tree(r->dir);
	free(sys);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void run_one(struct registry *reg, const struct run_opts *o, struct lab_outcome *oc)
{
	struct lab_run r;
	double t0 = now_s();

	memset(&r, 0, sizeof(r));
	r.lab = oc->lab;
	r.reg = reg;
	r.o = o;
	snprintf(r.pcap, sizeof(r.pcap), "%s/%s.pcap", o->out_dir, oc->lab->id);
	snprintf(oc->pcap, sizeof(oc->pcap), "%s", r.pcap);
	if (lab_run_once(&r, &oc->code, oc->error, sizeof(oc->error)))
		goto out;
	snprintf(oc->notes, sizeof(oc->notes), "%s", r.notes);
	if (oc->lab->keylog) {
		char keys[PATH_MAX + 8];
		size_t plen = strlen(r.pcap);

		snprintf(keys, sizeof(keys), "%.*s.keys", (int)(plen - 5), r.pcap);
		cli_use_keylog(keys);
	}
	int bad = trace_load(r.pcap, oc->lab->kind, -1, &oc->tr, oc->error, sizeof(oc->error));

	cli_use_keylog(NULL);
	if (bad) {
		oc->code = EXIT_CLAIM;
		goto out;
	}
	for (size_t i = 0; i < r.nfacts; i++)
		if (trace_set_fact(oc->tr, r.facts[i], r.facts[i] + strlen(r.facts[i]) + 1)) {
			snprintf(oc->error, sizeof(oc->error), "out of memory");
			goto out;
		}
	if (claim_eval_all(oc->lab, oc->tr, &oc->res, oc->error, sizeof(oc->error))) {
		oc->code = EXIT_INPUT;
		goto out;
	}
	oc->code = EXIT_HOLDS;
out:
	for (size_t i = 0; i < r.nfacts; i++)
		free(r.facts[i]);
	free(r.facts);
	oc->seconds = now_s() - t0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },   { "json", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'u' }, { "keep", no_argument, NULL, 'k' },
		{ "html", required_argument, NULL, 'H' },  { "tap", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 }
	};
	static const char usage[] =
		"run [LAB...] [--out DIR] [--json F] [--junit F] [--tap F] [--html DIR] [--keep]";
	const char *html_dir = NULL, *tap_path = NULL;
	struct run_opts o = { "wirelab-out", NULL, NULL, 0 };
	struct lab_outcome *oc = NULL;
	struct lab_report *reps = NULL;
	struct registry *reg = NULL;
	char err[1024], **ids = NULL, out_abs[PATH_MAX];
	size_t nlabs = 0, nids = 0;
	int c, ret = EXIT_INPUT, sup = -1, color = cli_color(1);

	while ((c = getopt_long(argc, argv, "o:j:u:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_dir = optarg;
			break;
		case 'j':
			o.json_path = optarg;
			break;
		case 'u':
			o.junit_path = optarg;
			break;
		case 'k':
			o.keep = 1;
			break;
		case 'H':
			html_dir = optarg;
			break;
		case 't':
			tap_path = optarg;
			break;
		case 'h':
			printf("usage: wirelab %s\n", usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	/* The labs, all loaded before anything is built: a script error is
	 * reported at once, with its file and line. */
	if (optind < argc) {
		nlabs = (size_t)(argc - optind);
	} else {
		if (cli_lab_ids(&ids, &nids, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			return EXIT_INPUT;
		}
		nlabs = nids;
	}
	oc = calloc(nlabs ? nlabs : 1, sizeof(*oc));
	reps = calloc(nlabs ? nlabs : 1, sizeof(*reps));
	if (!oc || !reps) {
		fprintf(stderr, "wirelab: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nlabs; i++) {
		const char *id = optind < argc ? argv[optind + (int)i] : ids[i];

		if (cli_load_lab(id, &oc[i].lab, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			goto out;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "wirelab: run needs root to build network namespaces: "
				"sudo wirelab run ...\n");
		ret = EXIT_ENV;
		goto out;
	}
	if (cli_mkdir_p(o.out_dir, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	/* Programs run in the lab's own directory: {out} must be absolute. */
	if (!realpath(o.out_dir, out_abs)) {
		fprintf(stderr, "wirelab: %s: %s\n", o.out_dir, strerror(errno));
		goto out;
	}
	o.out_dir = out_abs;
	sup = supervisor_start(err, sizeof(err));
	if (sup < 0 || registry_open(&reg, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_ENV;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = EXIT_HOLDS;
	for (size_t i = 0; i < nlabs; i++) {
		if (isatty(2))
			fprintf(stderr, "\r[%zu/%zu] %s: running…\033[K", i + 1, nlabs,
				oc[i].lab->id);
		else
			fprintf(stderr, "[%zu/%zu] %s: running\n", i + 1, nlabs, oc[i].lab->id);
		run_one(reg, &o, &oc[i]);
		if (isatty(2))
			fprintf(stderr, "\r\033[K");
		reps[i].lab = oc[i].lab;
		reps[i].lab_id = oc[i].lab->id;
		reps[i].tr = oc[i].tr;
		reps[i].res = oc[i].res;
		reps[i].nres = oc[i].res ? oc[i].lab->nclaims : 0;
		reps[i].capture = oc[i].pcap;
		reps[i].error = oc[i].code != EXIT_HOLDS ? oc[i].error : NULL;
		/* An optional lab whose program is missing is skipped, not failed. */
		if (oc[i].code == EXIT_ENV && oc[i].lab->optional)
			reps[i].skipped = oc[i].error;
		reps[i].notes = oc[i].notes[0] ? oc[i].notes : NULL;
		reps[i].seconds = oc[i].seconds;
		reps[i].strict = 1;
		report_text(stdout, &reps[i], color);
		fflush(stdout);
		int code =
			reps[i].error && !reps[i].skipped ? oc[i].code : report_exit_code(&reps[i]);

		/* The most serious outcome decides: environment, input, claim. */
		if (code == EXIT_ENV || (code == EXIT_INPUT && ret != EXIT_ENV) ||
		    (code == EXIT_CLAIM && ret == EXIT_HOLDS))
			ret = code;
	}
	if (o.json_path) {
		FILE *f = fopen(o.json_path, "w");

		if (!f) {
			fprintf(stderr, "wirelab: cannot write %s: %s\n", o.json_path,
				strerror(errno));
			ret = EXIT_INPUT;
		} else {
			fputs("[", f);
			for (size_t i = 0; i < nlabs; i++) {
				fputs(i ? ",\n" : "\n", f);
				report_json(f, &reps[i]);
			}
			fputs("\n]\n", f);
			fclose(f);
		}
	}
	if (tap_path) {
		FILE *f = strcmp(tap_path, "-") ? fopen(tap_path, "w") : stdout;

		if (!f) {
			fprintf(stderr, "wirelab: cannot write %s: %s\n", tap_path,
				strerror(errno));
			ret = EXIT_INPUT;
		} else {
			report_tap(f, reps, nlabs);
			if (f != stdout)
				fclose(f);
		}
	}
	if (o.junit_path && report_junit(o.junit_path, reps, nlabs, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_INPUT;
	}
	if (html_dir && html_write(html_dir, reps, nlabs, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_INPUT;
	}
out:
	for (size_t i = 0; oc && i < nlabs; i++) {
		if (oc[i].lab)
			claim_results_free(oc[i].res, oc[i].lab->nclaims);
		trace_free(oc[i].tr);
		lab_free(oc[i].lab);
	}
	free(oc);
	free(reps);
	cli_free_ids(ids, nids);
	if (o.keep && reg)
		fprintf(stderr, "wirelab: --keep: the namespaces stay up (ip netns list); "
				"`wirelab clean` removes them\n");
	else
		registry_close(reg);
	if (sup >= 0)
		close(sup);
	return ret;
}

static void clean_report(void *ctx, const char *line)
{
	(void)ctx;
	printf("removed %s\n", line);
}

int cmd_clean(int argc, char **argv)
{
	char err[512];
	int n;

	(void)argv;
	if (argc > 1)
		return cli_usage("clean");
	if (geteuid() != 0) {
		fprintf(stderr, "wirelab: clean needs root: sudo wirelab clean\n");
		return EXIT_ENV;
	}
	n = registry_clean_stale(clean_report, NULL, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "wirelab: %s\n", err);
		return EXIT_ENV;
	}
	printf("wirelab: %d object%s removed\n", n, n == 1 ? "" : "s");
	return 0;
}

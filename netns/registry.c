/* netns/registry.c — the run registry: what a run creates, recorded first.
 *
 * Layout (registry.h): <base>/<run-id>/{owner,objects}, base = /run/wirelab
 * or $WIRELAB_RUN_DIR. Creating a run directory and cleaning up dead ones both
 * hold flock(2) on the base directory, so a cleaner never sees a run
 * directory whose owner file is not written yet, and two cleaners never
 * undo the same run at once.
 *
 * Nothing is ever matched by name alone. A process is killed only if it is a
 * recorded pid whose start time still matches (so a recycled pid is left
 * alone), or if it is inside a recorded namespace, identified by inode *and*
 * by the namespace cookie (SO_NETNS_COOKIE, socket(7)): nsfs inode numbers
 * are reused once a namespace is freed, the 64-bit cookie never is (within a
 * boot: a run of an earlier boot, told by the boot id in its owner file, has
 * nothing killed), so a dead run's inode that now belongs to somebody else's
 * namespace is never taken for ours. A temp directory is removed only directly under the temp
 * directory ($TMPDIR or /tmp) and when its name starts with the run id or
 * "wirelab-"; a mount only as /run/netns/<run-id>-*: a corrupt or hostile
 * registry line cannot make the cleaner delete or unmount anything else.
 */
#include "netns/registry.h"

#include "netns/errbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* asm-generic/socket.h, Linux 5.14 */
#endif

#define RUN_DIR_DEFAULT "/run/wirelab"
#define NETNS_RUN_DIR	"/run/netns" /* iproute2's; topo.c's kept namespaces */
#define RUN_ID_TRIES	64
#define LINE_MAX_LEN	(PATH_MAX + 128)
#define KILL_WAIT_MS	5000 /* SIGKILL cannot be caught; only D state delays it */
#define SCAN_ROUNDS	5    /* re-scans of a namespace for late forks */
#define RM_MAX_DEPTH	64

struct registry {
	char dir[PATH_MAX]; /* <base>/<run-id> */
	char id[8];
	int objfd; /* "objects", O_APPEND */
};

static const char *base_dir(void)
{
	const char *d = getenv("WIRELAB_RUN_DIR");

	return d && *d ? d : RUN_DIR_DEFAULT;
}

/* "wl" + exactly 4 lower-case hex digits: only such entries are run dirs. */
static int is_run_id(const char *s)
{
	int i;

	if (s[0] != 'w' || s[1] != 'l')
		return 0;
	for (i = 2; i < 6; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[6] == '\0';
}

/* Reads /proc/PID/stat; fills the state letter and field 22 (starttime, in
 * clock ticks since boot; proc(5)). The command name may contain spaces and
 * parentheses, so parsing starts after the last ')'. */
static int proc_stat(pid_t pid, char *state, unsigned long long *starttime)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, i, ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		goto out;
	p += 2;
	*state = *p;
	/* p is at field 3; skip fields 3..21. */
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ');
		if (!p)
			goto out;
		p++;
	}
	errno = 0;
	*starttime = strtoull(p, &end, 10);
	if (errno || end == p)
		goto out;
	ret = 0;
out:
	return ret;
}

unsigned long long registry_proc_starttime(pid_t pid)
{
	unsigned long long st;
	char state;

	if (pid <= 0 || proc_stat(pid, &state, &st) < 0)
		return 0;
	/* A zombie has exited and holds nothing but its pid. */
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	return st;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The first line of a small file, without its newline. */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* ---- objects ---------------------------------------------------------- */

enum obj_kind { OBJ_PID, OBJ_NETNS, OBJ_TMPDIR, OBJ_MOUNT, OBJ_CGROUP, OBJ_KEPT, OBJ_UNKNOWN };

struct obj {
	enum obj_kind kind;
	pid_t pid;
	unsigned long long starttime;
	unsigned long long ino;
	unsigned long long cookie; /* 0: not recorded (kernel < 5.14) */
	char *text;		   /* tmpdir/mount path; the raw line if unknown */
};

struct objlist {
	struct obj *v;
	size_t n, cap;
};

static void objlist_clear(struct objlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int objlist_push(struct objlist *l, const struct obj *o)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct obj *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *o;
	return 0;
}

static int parse_line(const char *line, struct obj *o)
{
	char name[256];
	int pid, n = 0;

	memset(o, 0, sizeof(*o));
	if (sscanf(line, "pid %d %llu %n", &pid, &o->starttime, &n) == 2 && line[n] == '\0' &&
	    pid > 0) {
		o->kind = OBJ_PID;
		o->pid = pid;
		return 0;
	}
	n = 0;
	if (sscanf(line, "netns %255s %llu %llu %n", name, &o->ino, &o->cookie, &n) == 3 &&
	    line[n] == '\0') {
		o->kind = OBJ_NETNS;
		return 0;
	}
	n = 0;
	o->cookie = 0;
	if (sscanf(line, "netns %255s %llu %n", name, &o->ino, &n) == 2 && line[n] == '\0') {
		o->kind = OBJ_NETNS;
		return 0;
	}
	if (!strcmp(line, "kept")) {
		o->kind = OBJ_KEPT;
		return 0;
	}
	if (!strncmp(line, "tmpdir ", 7) && line[7]) {
		o->kind = OBJ_TMPDIR;
		o->text = strdup(line + 7);
		return o->text ? 0 : -1;
	}
	if (!strncmp(line, "mount ", 6) && line[6]) {
		o->kind = OBJ_MOUNT;
		o->text = strdup(line + 6);
		return o->text ? 0 : -1;
	}
	if (!strncmp(line, "cgroup ", 7) && line[7]) {
		o->kind = OBJ_CGROUP;
		o->text = strdup(line + 7);
		return o->text ? 0 : -1;
	}
	o->kind = OBJ_UNKNOWN;
	o->text = strdup(line);
	return o->text ? 0 : -1;
}

/* Appends the objects of run dir `id` (under basefd) to l. A missing file is
 * an empty list: the run died before recording anything. */
static int objlist_load(int basefd, const char *id, struct objlist *l, char *err, size_t errlen)
{
	char path[32], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = NULL;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%.6s/objects", id);
	fd = openat(basefd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			errbuf_set(err, errlen, "cannot read %s/%s: %s", base_dir(), path,
				   strerror(errno));
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		errbuf_set(err, errlen, "cannot read %s/%s: %s", base_dir(), path, strerror(errno));
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct obj o;

		/* A line cut short by a crash mid-write has no newline: the
		 * object was never made (it is recorded before it is made). */
		if (len == 0 || line[len - 1] != '\n')
			continue;
		line[len - 1] = '\0';
		if (parse_line(line, &o) < 0 || objlist_push(l, &o) < 0) {
			free(o.text);
			errbuf_set(err, errlen, "cannot read %s/%s: out of memory", base_dir(),
				   path);
			goto out;
		}
	}
	ret = 0;
out:
	free(line);
	if (f)
		fclose(f);
	return ret;
}

/* ---- run directories -------------------------------------------------- */

/* This boot's id (/proc/sys/kernel/random/boot_id, random(4)); "" if the
 * kernel has none. */
static void boot_id(char *buf, size_t len)
{
	char tmp[64];

	buf[0] = '\0';
	if (read_small("/proc/sys/kernel/random/boot_id", tmp, sizeof(tmp)) == 0)
		snprintf(buf, len, "%.36s", tmp);
}

/* Reads <id>/owner: "<pid> <starttime> <boot id>". *same_boot is 0 only if
 * the run was made before the last reboot: then none of its processes or
 * namespaces can exist, and its pids and cookies (counted afresh every
 * boot) may now name somebody else's. -1 if there is no owner to read. */
static int read_owner(int basefd, const char *id, pid_t *pid, unsigned long long *st,
		      int *same_boot)
{
	char path[32], buf[128], boot[40], now[40] = "";
	int fd, p, n;
	ssize_t r;

	snprintf(path, sizeof(path), "%.6s/owner", id);
	fd = openat(basefd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	n = sscanf(buf, "%d %llu %39s", &p, st, boot);
	if (n < 2 || p <= 0)
		return -1;
	*pid = p;
	boot_id(now, sizeof(now));
	*same_boot = n < 3 || !now[0] || !strcmp(boot, now);
	return 0;
}

/* 1: the owner of run <id> is alive (same boot, pid and start time). */
static int run_is_live(int basefd, const char *id)
{
	unsigned long long st;
	int same_boot;
	pid_t pid;

	if (read_owner(basefd, id, &pid, &st, &same_boot) < 0 || !same_boot || st == 0)
		return 0;
	return registry_proc_starttime(pid) == st;
}

static int remove_run_dir(int basefd, const char *id, char *err, size_t errlen)
{
	static const char *const files[] = { "objects", "owner" };
	char path[32];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%.6s/%s", id, files[i]);
		if (unlinkat(basefd, path, 0) < 0 && errno != ENOENT) {
			errbuf_set(err, errlen, "cannot remove %s/%s: %s", base_dir(), path,
				   strerror(errno));
			return -1;
		}
	}
	if (unlinkat(basefd, id, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		errbuf_set(err, errlen, "cannot remove run directory %s/%s: %s", base_dir(), id,
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- killing ---------------------------------------------------------- */

struct killset {
	int fd[256]; /* pidfds of processes sent SIGKILL, to wait for */
	pid_t pid[256];
	size_t n;
};

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_kill(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

/* Waits until every process in ks has exited (a pidfd polls readable when
 * its process exits; pidfd_open(2)). Bounded by KILL_WAIT_MS. */
static int killset_wait(struct killset *ks, char *err, size_t errlen)
{
	struct timespec t0, t;
	size_t i;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ks->n; i++) {
		struct pollfd p = { .fd = ks->fd[i], .events = POLLIN };
		long left;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = KILL_WAIT_MS -
		       ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		do {
			r = poll(&p, 1, left > 0 ? (int)left : 0);
		} while (r < 0 && errno == EINTR);
		if (r == 0 && ret == 0) {
			errbuf_set(err, errlen, "pid %d did not exit within %d ms of SIGKILL",
				   (int)ks->pid[i], KILL_WAIT_MS);
			ret = -1;
		}
		close(ks->fd[i]);
	}
	ks->n = 0;
	return ret;
}

static void killset_add(struct killset *ks, pid_t pid, int pidfd)
{
	if (ks->n == sizeof(ks->fd) / sizeof(ks->fd[0])) {
		close(pidfd); /* signalled already; only the wait is skipped */
		return;
	}
	ks->fd[ks->n] = pidfd;
	ks->pid[ks->n] = pid;
	ks->n++;
}

/* The cookie of the namespace behind nsfd: enter it with this thread, make a
 * socket, ask, come back. 0 if the kernel has no SO_NETNS_COOKIE. */
static int netns_cookie(int nsfd, unsigned long long *cookie)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	int self = -1, s = -1, ret = -1;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		goto out;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		goto out;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* stuck in a foreign namespace: nothing after this is safe */
	if (s < 0)
		goto out;
	if (getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0) {
		if (errno != ENOPROTOOPT)
			goto out;
		c = 0;
	}
	*cookie = c;
	ret = 0;
out:
	if (s >= 0)
		close(s);
	if (self >= 0)
		close(self);
	return ret;
}

/* The first thread (as /proc/PID/task/TID/ns/net, in path) of a process
 * other than us that is in the namespace with inode ino, from the /proc
 * entry e. 1 found, 0 not. */
static int task_in_netns(const struct dirent *e, pid_t self, unsigned long long ino, char *path,
			 size_t len)
{
	pid_t pid = (pid_t)atoi(e->d_name);
	struct dirent *te;
	char tdir[64];
	DIR *task;
	int hit = 0;

	if (pid <= 0 || pid == self)
		return 0;
	snprintf(tdir, sizeof(tdir), "/proc/%d/task", (int)pid);
	task = opendir(tdir);
	if (!task)
		return 0;
	while (!hit && (te = readdir(task))) {
		struct stat st;

		if (te->d_name[0] == '.')
			continue;
		snprintf(path, len, "%s/%s/ns/net", tdir, te->d_name);
		hit = stat(path, &st) == 0 && (unsigned long long)st.st_ino == ino;
	}
	closedir(task);
	return hit;
}

/* One scan of /proc for processes in the namespace o: SIGKILLs them, adds
 * them to ks. The cookie is checked at the first match: if the inode now
 * belongs to a namespace with another cookie (a reused inode number),
 * nothing is killed. Returns the number killed, -1 if /proc is unreadable. */
static int kill_netns_round(const char *id, const struct obj *o, struct killset *ks,
			    void (*report)(void *, const char *), void *ctx)
{
	pid_t self = getpid();
	struct dirent *e;
	DIR *proc;
	int confirmed = 0, found = 0;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((e = readdir(proc))) {
		char nspath[64 + 256 + 8], line[128];
		pid_t pid = (pid_t)atoi(e->d_name);
		struct stat st;
		int pfd;

		if (!task_in_netns(e, self, o->ino, nspath, sizeof(nspath)))
			continue;
		if (!confirmed) {
			unsigned long long c = 0;
			int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);

			if (nsfd < 0)
				continue; /* gone meanwhile: try the next one */
			if (netns_cookie(nsfd, &c) < 0 || c != o->cookie) {
				close(nsfd);
				break; /* somebody else's namespace now */
			}
			close(nsfd);
			confirmed = 1;
		}
		/* The pidfd pins the process; re-checking its namespace after
		 * opening it closes the window in which the pid could have
		 * been recycled. */
		pfd = pidfd_open_(pid);
		if (pfd < 0)
			continue;
		if (stat(nspath, &st) < 0 || (unsigned long long)st.st_ino != o->ino ||
		    pidfd_kill(pfd) < 0) {
			close(pfd);
			continue;
		}
		killset_add(ks, pid, pfd);
		found++;
		snprintf(line, sizeof(line), "%s: killed pid %d (in its namespace)", id, (int)pid);
		if (report)
			report(ctx, line);
	}
	closedir(proc);
	return found;
}

/* Kills every process in the namespace o and waits for them; scans again
 * (bounded) for any forked while the first scan ran. */
static int kill_netns(const char *id, const struct obj *o, struct killset *ks,
		      void (*report)(void *, const char *), void *ctx, int *count)
{
	int round, n = 0;

	for (round = 0; round < SCAN_ROUNDS; round++) {
		n = kill_netns_round(id, o, ks, report, ctx);
		if (n <= 0)
			break;
		*count += n;
		if (killset_wait(ks, NULL, 0) < 0)
			break;
	}
	return n < 0 ? -1 : 0;
}

/* ---- paths ------------------------------------------------------------ */

/* Absolute, no empty, "." or ".." component, no trailing slash. */
static int path_is_clean(const char *p)
{
	const char *c = p;

	if (p[0] != '/' || strlen(p) >= PATH_MAX)
		return 0;
	while (*c == '/') {
		const char *next = strchr(c + 1, '/');
		size_t len = next ? (size_t)(next - c - 1) : strlen(c + 1);

		if (len == 0 || (len == 1 && c[1] == '.') ||
		    (len == 2 && c[1] == '.' && c[2] == '.'))
			return 0;
		if (!next)
			break;
		c = next;
	}
	return 1;
}

/* The name carries the run id or "wirelab-". */
static int name_is_ours(const char *base, const char *id)
{
	return !strncmp(base, "wirelab-", 8) || !strncmp(base, id, strlen(id));
}

static void tmp_root(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");
	size_t n;

	snprintf(buf, len, "%s", t && t[0] == '/' ? t : "/tmp");
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* rm -rf of at/name without following symlinks and without crossing into
 * another file system (a bind mount inside a temp dir is not ours to empty). */
static int rm_tree_at(int at, const char *name, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, ret = -1;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (st.st_dev != dev) {
		errno = EXDEV;
		return -1;
	}
	if (depth > RM_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rm_tree_at(dirfd(d), e->d_name, dev, depth + 1) < 0)
			goto out;
	}
	ret = unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
out:
	closedir(d);
	return ret;
}

/* A cgroup of ours: a directory under /sys/fs/cgroup named wirelab-... */
static int cgroup_is_ours(const char *path, const char *id)
{
	const char *base = strrchr(path, '/');

	return path_is_clean(path) && !strncmp(path, "/sys/fs/cgroup/", 15) && base &&
	       name_is_ours(base + 1, id);
}

int registry_cgroup_kill(const char *path, int remove)
{
	char p[PATH_MAX + 32], line[64];
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.kill", path);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			errno = 0; /* the pid loop below still runs */
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/cgroup.procs", path);
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(p, "re");
		int any = 0;

		if (!f)
			return 0; /* gone */
		while (fgets(line, sizeof(line), f)) {
			pid_t pid = (pid_t)atol(line);

			any = 1;
			if (pid > 1)
				kill(pid, SIGKILL);
		}
		fclose(f);
		if (!any)
			break;
		usleep(5000);
		if (i == 399) {
			errno = EBUSY; /* processes still in it after 2 s */
			return -1;
		}
	}
	for (int i = 0; remove && rmdir(path) < 0; i++) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || i == 200)
			return -1;
		usleep(5000);
	}
	return 0;
}

/* 1 removed, 0 nothing there or refused (reported), -1 error. */
static int undo_cgroup(const char *id, const char *path, void (*report)(void *, const char *),
		       void *ctx, char *err, size_t errlen)
{
	char line[PATH_MAX + 96];
	struct stat st;

	if (!cgroup_is_ours(path, id)) {
		snprintf(line, sizeof(line), "%s: not removing cgroup %s: not a wirelab cgroup", id,
			 path);
		if (report)
			report(ctx, line);
		return 0;
	}
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (registry_cgroup_kill(path, 1) < 0) {
		errbuf_set(err, errlen, "cannot empty and remove cgroup %s: %s", path,
			   strerror(errno));
		return -1;
	}
	snprintf(line, sizeof(line), "%s: removed cgroup %s", id, path);
	if (report)
		report(ctx, line);
	return 1;
}

/* 1 removed, 0 nothing there or refused (reported), -1 error. */
static int undo_tmpdir(const char *id, const char *path, void (*report)(void *, const char *),
		       void *ctx, char *err, size_t errlen)
{
	char root[PATH_MAX], parent[PATH_MAX], line[PATH_MAX + 96];
	const char *base;
	struct stat st;
	int pfd = -1, ret = -1;

	tmp_root(root, sizeof(root));
	base = strrchr(path, '/');
	if (!path_is_clean(path) || !base || !base[1]) {
		ret = 0;
		goto refuse;
	}
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	base++;
	if ((strcmp(parent, root) && strcmp(parent, "/tmp")) || !name_is_ours(base, id)) {
		ret = 0;
		goto refuse;
	}
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			errbuf_set(err, errlen, "cannot remove temp dir %s: %s", path,
				   strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = 0;
		goto refuse;
	}
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || rm_tree_at(pfd, base, st.st_dev, 0) < 0) {
		errbuf_set(err, errlen, "cannot remove temp dir %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(line, sizeof(line), "%s: removed temp dir %s", id, path);
	if (report)
		report(ctx, line);
	ret = 1;
	goto out;
refuse:
	snprintf(line, sizeof(line),
		 "%s: left temp dir %s: not a directory named %s* or wirelab-* under %s", id, path,
		 id, root);
	if (report)
		report(ctx, line);
out:
	if (pfd >= 0)
		close(pfd);
	return ret;
}

/* 1 removed, 0 nothing there or refused (reported), -1 error. */
static int undo_mount(const char *id, const char *path, void (*report)(void *, const char *),
		      void *ctx, char *err, size_t errlen)
{
	char line[PATH_MAX + 96];
	const char *base = strrchr(path, '/');
	size_t dirlen = strlen(NETNS_RUN_DIR);
	int done = 0;

	/* Only what topo's cfg->keep makes: /run/netns/<run-id>-<host>. */
	if (!path_is_clean(path) || !base || strncmp(path, NETNS_RUN_DIR "/", dirlen + 1) ||
	    base != path + dirlen || strncmp(base + 1, id, strlen(id))) {
		snprintf(line, sizeof(line), "%s: left mount %s: not %s/%s-*", id, path,
			 NETNS_RUN_DIR, id);
		if (report)
			report(ctx, line);
		return 0;
	}
	/* MNT_DETACH as `ip netns delete` does: a process still holding the
	 * namespace open must not make the clean-up fail. */
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		done = 1;
	else if (errno != EINVAL && errno != ENOENT) {
		errbuf_set(err, errlen, "cannot unmount %s: %s", path, strerror(errno));
		return -1;
	}
	if (unlink(path) == 0)
		done = 1;
	else if (errno != ENOENT) {
		errbuf_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	if (done) {
		snprintf(line, sizeof(line), "%s: removed mount %s", id, path);
		if (report)
			report(ctx, line);
	}
	return done;
}

/* ---- cleaning --------------------------------------------------------- */

static int live_has(const struct objlist *live, const struct obj *o)
{
	size_t i;

	for (i = 0; i < live->n; i++) {
		const struct obj *l = &live->v[i];

		if (l->kind != o->kind)
			continue;
		switch (o->kind) {
		case OBJ_PID:
			if (l->pid == o->pid)
				return 1;
			break;
		case OBJ_NETNS:
			if (l->ino == o->ino)
				return 1;
			break;
		case OBJ_TMPDIR:
		case OBJ_MOUNT:
		case OBJ_CGROUP:
			if (!strcmp(l->text, o->text))
				return 1;
			break;
		case OBJ_KEPT:
		case OBJ_UNKNOWN:
			break;
		}
	}
	return 0;
}

/* Undoes the objects of one dead run, then removes its directory (kept if
 * anything could not be undone, so that a later clean tries again). A run
 * that left its lab up on purpose ("kept") is left alone unless all. */
static int clean_run(int basefd, const char *id, const struct objlist *live, int all,
		     void (*report)(void *, const char *), void *ctx, char *err, size_t errlen)
{
	struct objlist l = { 0 };
	struct killset ks;
	char line[LINE_MAX_LEN + 64], e2[256];
	size_t i;
	unsigned long long owner_st;
	pid_t owner;
	int count = 0, failed = 0, same_boot, ret = -1;

	ks.n = 0;
	if (read_owner(basefd, id, &owner, &owner_st, &same_boot) < 0)
		same_boot = 1; /* no owner: died before writing it, this boot */
	if (objlist_load(basefd, id, &l, err, errlen) < 0)
		goto out;
	for (i = 0; i < l.n && !all; i++) {
		if (l.v[i].kind == OBJ_KEPT) {
			ret = 0;
			goto out;
		}
	}

	/* Processes first: they may hold the namespaces and temp dirs. */
	for (i = 0; i < l.n && same_boot; i++) {
		const struct obj *o = &l.v[i];
		int pfd;

		if (o->kind != OBJ_PID || live_has(live, o) || o->starttime == 0 ||
		    registry_proc_starttime(o->pid) != o->starttime)
			continue;
		pfd = pidfd_open_(o->pid);
		if (pfd < 0)
			continue;
		/* With the pidfd held the pid cannot be recycled: check again. */
		if (registry_proc_starttime(o->pid) != o->starttime) {
			close(pfd);
			continue;
		}
		/* Recorded pids lead their own process group (registry.h); the
		 * group is theirs while the leader is this very process. */
		kill(-o->pid, SIGKILL);
		if (pidfd_kill(pfd) < 0) {
			close(pfd);
			continue;
		}
		killset_add(&ks, o->pid, pfd);
		count++;
		snprintf(line, sizeof(line), "%s: killed pid %d", id, (int)o->pid);
		if (report)
			report(ctx, line);
	}
	if (killset_wait(&ks, e2, sizeof(e2)) < 0 && !failed) {
		errbuf_set(err, errlen, "%s: %s", id, e2);
		failed = 1;
	}
	/* Cgroups next: a sandbox's processes, which no pid line names. The
	 * cgroup2 ones first: their cgroup.kill catches racing forks. */
	for (i = 0; i < 2 * l.n; i++) {
		const struct obj *o = &l.v[i % l.n];
		char kill_file[PATH_MAX + 16];
		int r;

		if (o->kind != OBJ_CGROUP || live_has(live, o))
			continue;
		snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", o->text);
		if ((i < l.n) != (access(kill_file, F_OK) == 0))
			continue; /* first pass cgroup2, second the rest */
		r = undo_cgroup(id, o->text, report, ctx, e2, sizeof(e2));
		if (r > 0)
			count++;
		if (r < 0 && !failed) {
			errbuf_set(err, errlen, "%s: %s", id, e2);
			failed = 1;
		}
	}
	for (i = 0; i < l.n && same_boot; i++) {
		const struct obj *o = &l.v[i];

		if (o->kind != OBJ_NETNS || o->cookie == 0 || live_has(live, o))
			continue;
		if (kill_netns(id, o, &ks, report, ctx, &count) < 0 && !failed) {
			errbuf_set(err, errlen, "%s: cannot scan /proc: %s", id, strerror(errno));
			failed = 1;
		}
	}
	if (killset_wait(&ks, e2, sizeof(e2)) < 0 && !failed) {
		errbuf_set(err, errlen, "%s: %s", id, e2);
		failed = 1;
	}
	for (i = 0; i < l.n; i++) {
		const struct obj *o = &l.v[i];
		int r;

		if ((o->kind != OBJ_MOUNT && o->kind != OBJ_TMPDIR) || live_has(live, o))
			continue;
		if (o->kind == OBJ_MOUNT)
			r = undo_mount(id, o->text, report, ctx, e2, sizeof(e2));
		else
			r = undo_tmpdir(id, o->text, report, ctx, e2, sizeof(e2));
		if (r > 0)
			count++;
		if (r < 0 && !failed) {
			errbuf_set(err, errlen, "%s: %s", id, e2);
			failed = 1;
		}
	}
	for (i = 0; i < l.n; i++) {
		if (l.v[i].kind != OBJ_UNKNOWN)
			continue;
		if (!failed)
			errbuf_set(err, errlen, "%s: cannot undo unknown object '%s'", id,
				   l.v[i].text);
		failed = 1;
	}
	if (failed)
		goto out;
	if (remove_run_dir(basefd, id, err, errlen) < 0)
		goto out;
	snprintf(line, sizeof(line), "%s: removed run directory", id);
	if (report)
		report(ctx, line);
	ret = count;
out:
	objlist_clear(&l);
	return ret;
}

/* The base directory, opened and locked; -1 with errno ENOENT if absent. */
static int lock_base(int create, char *err, size_t errlen)
{
	const char *base = base_dir();
	int fd;

	if (create && mkdir(base, 0700) < 0 && errno != EEXIST) {
		errbuf_set(err, errlen, "cannot create %s: %s", base, strerror(errno));
		return -1;
	}
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || create)
			errbuf_set(err, errlen, "cannot open %s: %s", base, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			errbuf_set(err, errlen, "cannot lock %s: %s", base, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int clean_locked(int basefd, int all, void (*report)(void *, const char *), void *ctx,
			char *err, size_t errlen)
{
	struct objlist live = { 0 };
	char dead[256][8];
	size_t ndead = 0, i;
	struct dirent *e;
	DIR *d = NULL;
	int fd, total = 0, failed = 0, ret = -1;

	fd = dup(basefd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		errbuf_set(err, errlen, "cannot read %s: %s", base_dir(), strerror(errno));
		goto out;
	}
	/* Live runs' objects first: a dead run never undoes what a live one
	 * also lists. At most 256 dead runs per call; the rest wait. */
	while ((e = readdir(d))) {
		if (!is_run_id(e->d_name))
			continue;
		if (run_is_live(basefd, e->d_name)) {
			if (objlist_load(basefd, e->d_name, &live, err, errlen) < 0)
				goto out;
		} else if (ndead < sizeof(dead) / sizeof(dead[0])) {
			snprintf(dead[ndead++], sizeof(dead[0]), "%.6s", e->d_name);
		}
	}
	for (i = 0; i < ndead; i++) {
		char e2[LINE_MAX_LEN];
		int n = clean_run(basefd, dead[i], &live, all, report, ctx, e2, sizeof(e2));

		if (n < 0) {
			if (!failed)
				errbuf_set(err, errlen, "%s", e2);
			failed = 1;
			continue;
		}
		total += n;
	}
	if (failed)
		goto out;
	ret = total;
out:
	if (d)
		closedir(d);
	objlist_clear(&live);
	return ret;
}

static int clean(int all, void (*report)(void *ctx, const char *line), void *ctx, char *err,
		 size_t errlen)
{
	int fd, ret;

	fd = lock_base(0, err, errlen);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	ret = clean_locked(fd, all, report, ctx, err, errlen);
	close(fd);
	return ret;
}

int registry_clean_stale(void (*report)(void *ctx, const char *line), void *ctx, char *err,
			 size_t errlen)
{
	return clean(1, report, ctx, err, errlen);
}

int registry_clean_unkept(void (*report)(void *ctx, const char *line), void *ctx, char *err,
			  size_t errlen)
{
	return clean(0, report, ctx, err, errlen);
}

/* ---- one run ---------------------------------------------------------- */

int registry_open(struct registry **out, char *err, size_t errlen)
{
	struct registry *r = NULL;
	char owner[128], e2[256], boot[40];
	unsigned long long st;
	int basefd = -1, fd = -1, made = 0, tries, ret = -1;

	r = calloc(1, sizeof(*r));
	if (!r) {
		errbuf_set(err, errlen, "cannot open the run registry: %s", strerror(errno));
		goto out;
	}
	r->objfd = -1;
	basefd = lock_base(1, err, errlen);
	if (basefd < 0)
		goto out;
	/* Leftovers of dead runs never block a new run: its names are unique.
	 * `wirelab clean` reports what could not be undone. */
	(void)clean_locked(basefd, 0, NULL, NULL, e2, sizeof(e2));

	for (tries = 0; tries < RUN_ID_TRIES && !made; tries++) {
		uint16_t rnd;

		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			errbuf_set(err, errlen, "cannot make a run id: getrandom: %s",
				   strerror(errno));
			goto out;
		}
		snprintf(r->id, sizeof(r->id), "wl%04x", (unsigned)rnd);
		if (mkdirat(basefd, r->id, 0700) == 0)
			made = 1;
		else if (errno != EEXIST) {
			errbuf_set(err, errlen, "cannot create run directory %s/%s: %s", base_dir(),
				   r->id, strerror(errno));
			goto out;
		}
	}
	if (!made) {
		errbuf_set(err, errlen, "cannot create a run directory in %s: %d ids taken",
			   base_dir(), RUN_ID_TRIES);
		goto out;
	}
	snprintf(r->dir, sizeof(r->dir), "%s/%s", base_dir(), r->id);

	st = registry_proc_starttime(getpid());
	boot_id(boot, sizeof(boot));
	snprintf(owner, sizeof(owner), "%d %llu %s\n", (int)getpid(), st, boot[0] ? boot : "-");
	snprintf(e2, sizeof(e2), "%s/owner", r->id);
	fd = openat(basefd, e2, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, owner, strlen(owner)) < 0) {
		errbuf_set(err, errlen, "cannot write %s/owner: %s", r->dir, strerror(errno));
		goto out;
	}
	snprintf(e2, sizeof(e2), "%s/objects", r->id);
	r->objfd = openat(basefd, e2, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (r->objfd < 0) {
		errbuf_set(err, errlen, "cannot create %s/objects: %s", r->dir, strerror(errno));
		goto out;
	}
	*out = r;
	r = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r) {
		if (r->objfd >= 0)
			close(r->objfd);
		if (made)
			(void)remove_run_dir(basefd, r->id, NULL, 0);
		free(r);
	}
	if (basefd >= 0)
		close(basefd);
	return ret;
}

const char *registry_run_id(const struct registry *r)
{
	return r->id;
}

int registry_add(struct registry *r, char *err, size_t errlen, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1 || n == 0 || memchr(line, '\n', (size_t)n)) {
		errbuf_set(err, errlen, "cannot record an object in %s/objects: %s", r->dir,
			   n <= 0 ? "empty line" : "line too long or multi-line");
		return -1;
	}
	/* One write(2) of the whole line, no stdio buffer: once it returns the
	 * line is in the page cache and survives a SIGKILL of this process.
	 * O_APPEND keeps lines whole when forked children record too. */
	line[n++] = '\n';
	if (write_all(r->objfd, line, (size_t)n) < 0) {
		errbuf_set(err, errlen, "cannot record '%.*s' in %s/objects: %s", n - 1, line,
			   r->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 if a recorded mount of this run is still there (topo's cfg->keep). */
static int has_kept_mount(const struct registry *r)
{
	struct objlist l = { 0 };
	size_t i;
	int basefd, kept = 0;

	basefd = open(base_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0)
		return 1; /* cannot tell: keep the records rather than lose them */
	if (objlist_load(basefd, r->id, &l, NULL, 0) < 0)
		kept = 1;
	for (i = 0; i < l.n && !kept; i++) {
		struct stat st;

		if (l.v[i].kind == OBJ_MOUNT && lstat(l.v[i].text, &st) == 0)
			kept = 1;
	}
	objlist_clear(&l);
	close(basefd);
	return kept;
}

void registry_close(struct registry *r)
{
	int basefd;

	if (!r)
		return;
	if (r->objfd >= 0)
		close(r->objfd);
	/* A kept lab (topo cfg->keep) outlives the run: its records stay, so
	 * that `wirelab clean` (registry_clean_stale) finds a dead owner and
	 * removes the lab. */
	if (!has_kept_mount(r)) {
		basefd = open(base_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (basefd >= 0) {
			(void)remove_run_dir(basefd, r->id, NULL, 0);
			close(basefd);
		}
	}
	free(r);
}

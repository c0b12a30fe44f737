/* labs/wl-pty.c — a person at a terminal, for programs that want one.
 *
 *   wl-pty [--type TEXT]... [--gap-ms N] [--prompt STR] [--timeout-ms N]
 *          -- COMMAND [ARG]...
 *
 * Runs COMMAND on a new pseudo-terminal of 80x24, as the controlling
 * terminal of a session of its own, and copies everything it prints to
 * stdout. Then it types, as wl-ssh-client --shell does: it waits until the
 * output ends with --prompt STR (without one, until the output pauses), types
 * each --type TEXT one character at a time, waiting after each key for its
 * echo (up to 2 s: a key that echoes nothing is not waited for), keys at least
 * --gap-ms apart (default 200), and after each TEXT waits for the prompt
 * again. After the last TEXT it reads until COMMAND has closed the terminal
 * and exited. TEXT takes C escapes: \n \r \t \\ \e \xHH (Enter is "\r", as a
 * terminal sends it).
 *
 * The ssh-openssh lab drives OpenSSH's `ssh -tt` with it, as the notes'
 * laptop did: ssh puts its terminal in raw mode and sends each key as it is
 * typed; the echo comes from the remote PTY.
 *
 * Exit: COMMAND's exit status (128 + N if signal N ended it), 2 bad usage,
 * 3 when the terminal cannot be made, or COMMAND did not end within
 * --timeout-ms (default 15000; it is then killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "labs/keys.h"

#define ECHO_WAIT_MS 2000 /* longest wait for one key's echo */
#define QUIET_MS     300  /* without --prompt: output this long quiet = ready */
#define TYPE_MAX     16	  /* --type options */

struct opts {
	const char *prompt;
	long gap_ms, timeout_ms;
	char *type[TYPE_MAX];
	size_t type_len[TYPE_MAX];
	int ntype;
	char **argv; /* COMMAND and its arguments */
};

/* The last bytes the program printed, to find the prompt and echoes. */
struct tail {
	char buf[4096];
	size_t len;
	uint64_t total; /* bytes read in all */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: wl-pty [--type TEXT]... [--gap-ms N] [--prompt STR] "
			"[--timeout-ms N] -- COMMAND [ARG]...\n");
	return 2;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_TYPE = 256, O_GAP, O_PROMPT, O_TIMEOUT };
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, O_TYPE },
		{ "gap-ms", required_argument, NULL, O_GAP },
		{ "prompt", required_argument, NULL, O_PROMPT },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	o->gap_ms = 200;
	o->timeout_ms = 15000;
	/* "+": options end at COMMAND, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_TYPE:
			if (o->ntype == TYPE_MAX) {
				fprintf(stderr, "wl-pty: more than %d --type\n", TYPE_MAX);
				return -1;
			}
			o->type[o->ntype] = unescape(optarg, &o->type_len[o->ntype]);
			if (!o->type[o->ntype]) {
				fprintf(stderr, "wl-pty: out of memory\n");
				return -1;
			}
			o->ntype++;
			break;
		case O_GAP:
		case O_TIMEOUT: {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 600000) {
				fprintf(stderr, "wl-pty: bad %s '%s'\n",
					c == O_GAP ? "--gap-ms" : "--timeout-ms", optarg);
				return -1;
			}
			if (c == O_GAP)
				o->gap_ms = v;
			else
				o->timeout_ms = v;
			break;
		}
		case O_PROMPT:
			o->prompt = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind >= argc)
		return -1;
	o->argv = argv + optind;
	return 0;
}

/* The child: a session of its own whose controlling terminal is the slave,
 * on stdin, stdout and stderr; then COMMAND. Never returns. */
static void run_child(const char *slave, char **argv, pid_t parent)
{
	int fd;

	/* If wl-pty is killed (the runner's timeout), so is COMMAND: it is in
	 * a session of its own and out of reach of a kill of our group. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (setsid() < 0)
		_exit(127);
	fd = open(slave, O_RDWR); /* the first terminal a leader opens is its own */
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		_exit(127);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	if (fd > 2)
		close(fd);
	execvp(argv[0], argv);
	fprintf(stderr, "wl-pty: cannot run %s: %s\r\n", argv[0], strerror(errno));
	_exit(127);
}

static int open_master(char *slave, size_t len)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0) {
		fprintf(stderr, "wl-pty: cannot open a pseudo-terminal: %s\n", strerror(errno));
		return -1;
	}
	if (grantpt(m) || unlockpt(m) || ptsname_r(m, slave, len) ||
	    ioctl(m, TIOCSWINSZ, &ws) < 0) {
		fprintf(stderr, "wl-pty: cannot set up the pseudo-terminal: %s\n", strerror(errno));
		close(m);
		return -1;
	}
	return m;
}

static void tail_add(struct tail *t, const char *d, size_t n)
{
	t->total += n;
	if (n >= sizeof(t->buf)) {
		memcpy(t->buf, d + n - sizeof(t->buf), sizeof(t->buf));
		t->len = sizeof(t->buf);
		return;
	}
	if (t->len + n > sizeof(t->buf)) {
		size_t drop = t->len + n - sizeof(t->buf);

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, d, n);
	t->len += n;
}

/* Reads what the program prints for up to ms: >0 bytes, 0 nothing, -1 the
 * terminal was closed (every slave descriptor: the program has ended). */
static int read_some(int m, struct tail *t, int ms)
{
	struct pollfd p = { .fd = m, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	int r = poll(&p, 1, ms > 0 ? ms : 0);

	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	n = read(m, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1; /* EIO: closed */
	if (n == 0)
		return -1;
	fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	tail_add(t, buf, (size_t)n);
	return (int)n;
}

/* Whether the output since mark (a value of t->total) holds byte c. */
static int seen_since(const struct tail *t, uint64_t mark, char c)
{
	uint64_t since = t->total - mark;
	size_t n = since < t->len ? (size_t)since : t->len;

	return n && memchr(t->buf + t->len - n, c, n) != NULL;
}

static int ends_with(const struct tail *t, const char *s)
{
	size_t n = strlen(s);

	return t->len >= n && !memcmp(t->buf + t->len - n, s, n);
}

/* Reads until the prompt ends the output (or, without one, until it pauses)
 * or the deadline: 0, or -1 if the terminal was closed. */
static int read_until_ready(int m, struct tail *t, const char *prompt, int64_t deadline)
{
	int64_t quiet_since = now_ms();

	while (now_ms() < deadline) {
		int r;

		if (prompt && ends_with(t, prompt))
			return 0;
		r = read_some(m, t, 50);
		if (r < 0)
			return -1;
		if (r > 0)
			quiet_since = now_ms();
		else if (!prompt && now_ms() - quiet_since >= QUIET_MS)
			return 0;
	}
	return 0;
}

/* Types the TEXTs; 0 when the program closed the terminal in time. */
static int type_all(int m, const struct opts *o)
{
	struct tail t = { .len = 0 };
	int64_t deadline = now_ms() + o->timeout_ms, last_key = 0;
	int ended = 0;

	if (read_until_ready(m, &t, o->prompt, deadline) < 0)
		ended = 1;
	for (int i = 0; i < o->ntype && !ended; i++) {
		for (size_t k = 0; k < o->type_len[i] && !ended; k++) {
			char c = o->type[i][k];
			char echo = c == '\r' ? '\n' : c; /* a PTY echoes CR as CR LF */
			uint64_t mark;
			int64_t until;

			/* Keys at least gap apart, the output drained meanwhile. */
			while (last_key && now_ms() < last_key + o->gap_ms && !ended)
				if (read_some(m, &t, (int)(last_key + o->gap_ms - now_ms())) < 0)
					ended = 1;
			if (ended)
				break;
			mark = t.total;
			if (write(m, &c, 1) != 1) {
				fprintf(stderr, "wl-pty: cannot type a key: %s\n", strerror(errno));
				return -1;
			}
			last_key = now_ms();
			until = last_key + ECHO_WAIT_MS;
			while (!seen_since(&t, mark, echo) && now_ms() < until)
				if (read_some(m, &t, (int)(until - now_ms())) < 0) {
					ended = 1;
					break;
				}
		}
		if (!ended && i + 1 < o->ntype &&
		    read_until_ready(m, &t, o->prompt, now_ms() + o->timeout_ms) < 0)
			ended = 1;
	}
	/* The last TEXT should end the program: read until it closes. */
	while (!ended && now_ms() < deadline)
		if (read_some(m, &t, 100) < 0)
			ended = 1;
	if (!ended) {
		fprintf(stderr, "wl-pty: %s did not end within %ld ms\n", o->argv[0],
			o->timeout_ms);
		return -1;
	}
	return 0;
}

/* Waits up to ms for the child: 0 with its status, 1 if it still runs. */
static int wait_child(pid_t pid, int ms, int *status)
{
	int64_t until = now_ms() + ms;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return 0; /* not ours any more: nothing to wait for */
		if (now_ms() >= until)
			return 1;
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .prompt = NULL };
	char slave[64];
	int m = -1, ret = 3, st = 0;
	pid_t pid = -1, self = getpid();

	if (parse_opts(argc, argv, &o)) {
		ret = usage();
		goto out;
	}
	m = open_master(slave, sizeof(slave));
	if (m < 0)
		goto out;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "wl-pty: cannot fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(slave, o.argv, self);
	if (type_all(m, &o) == 0 && wait_child(pid, 2000, &st) == 0) {
		ret = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		pid = -1;
	}
out:
	if (pid > 0) {
		/* Ours, by pid: its session does not share our group. */
		kill(pid, SIGTERM);
		if (wait_child(pid, 1000, &st)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
	}
	if (m >= 0)
		close(m);
	for (int i = 0; i < o.ntype; i++)
		free(o.type[i]);
	return ret;
}

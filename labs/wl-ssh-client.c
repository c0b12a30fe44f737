/* labs/wl-ssh-client.c — the SSH lab's client, on libssh.
 *
 *   wl-ssh-client -H HOST -p PORT -i KEY -u USER
 *                 (--exec CMD | --shell [--type TEXT]... [--gap-ms N] [--prompt STR])
 *                 [--kex ALG] [--cipher ALG] [--term NAME] [--timeout-ms N]
 *                 [--report FILE] [-v]
 *
 * Authenticates with the private key KEY, then either
 *   --exec CMD   runs CMD as an exec request and copies its output (stdout to
 *                stdout, stderr to stderr); exits with its exit status;
 *   --shell      opens a PTY of 80x24 (TERM dumb unless --term), starts a
 *                shell and types each --type TEXT one character at a time, as
 *                a person would: after each key it waits for the key's echo
 *                (up to 2 s: a key that echoes nothing is not waited for),
 *                and keys go out at least --gap-ms apart (the lab sets the gap
 *                to at least one round trip, so that each keystroke is one
 *                round trip of its own). Before the first TEXT and after each
 *                one it reads the output until the --prompt string ends it
 *                (or, without --prompt, until the output pauses); after the
 *                last it reads until the shell ends the channel (type "exit\n"
 *                last). TEXT takes C escapes: \n \r \t \\ \e \xHH.
 * Everything the remote side prints is copied to stdout.
 *
 * --report FILE writes what libssh says it negotiated, as key=value lines, so
 * that the lab can set the algorithms wirelab infers from the two KEXINITs
 * (ssh.negotiated.*) against the ones the client really used:
 *   kex, cipher_c2s, cipher_s2c, mac_c2s, mac_s2c   (wirelab's words: a MAC
 *       that an AEAD cipher makes unnecessary is "<implicit>", as ssh -vv
 *       prints it; libssh names it "aead-poly1305" or "aead-gcm")
 *   hostkey_type      the type of the server's key (libssh 0.10 does not say
 *                     which signature algorithm was chosen: an RSA key is
 *                     "ssh-rsa" whether rsa-sha2-256 or -512 signed)
 *   libssh.kex, libssh.cipher_out, libssh.cipher_in, libssh.hmac_out,
 *   libssh.hmac_in, libssh.version    libssh's own strings, unchanged.
 *
 * Host key checking is off, on purpose: the lab generates a fresh host key
 * for every run, so no known_hosts file could hold it. The known_hosts files
 * are /dev/null and the OpenSSH configuration files are not read, so that
 * nothing of the machine's (root's ~/.ssh) changes what the client offers.
 * In shell mode TCP_NODELAY is on, as OpenSSH sets it for interactive
 * sessions; exec mode leaves Nagle on, as OpenSSH does without a PTY.
 *
 * Exit: the remote command's status (exec), 0 (shell), 2 bad usage, 3 when
 * the connection, the authentication or the session fails (one line on
 * stderr saying which).
 */
#include <errno.h>
#include <getopt.h>
#include <libssh/libssh.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "labs/keys.h"

#define ECHO_WAIT_MS 2000 /* longest wait for one key's echo */
#define QUIET_MS     300  /* without --prompt: output this long quiet = done */
#define TYPE_MAX     16	  /* --type options */

struct opts {
	const char *host, *key, *user, *exec, *kex, *cipher, *report, *prompt, *term;
	unsigned port;
	int shell, verbose;
	long gap_ms, timeout_ms;
	char *type[TYPE_MAX];
	size_t type_len[TYPE_MAX];
	int ntype;
};

/* The last bytes the remote side printed, to find the prompt and echoes. */
struct tail {
	char buf[4096];
	size_t len;
	uint64_t total; /* bytes received in all */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: wl-ssh-client -H HOST -p PORT -i KEY -u USER\n"
			"         (--exec CMD | --shell [--type TEXT]... [--gap-ms N] "
			"[--prompt STR])\n"
			"         [--kex ALG] [--cipher ALG] [--term NAME] [--timeout-ms N] "
			"[--report FILE] [-v]\n");
	return 2;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_EXEC = 256,
		O_SHELL,
		O_TYPE,
		O_GAP,
		O_KEX,
		O_CIPHER,
		O_REPORT,
		O_PROMPT,
		O_TERM,
		O_TIMEOUT
	};
	static const struct option longopts[] = {
		{ "exec", required_argument, NULL, O_EXEC },
		{ "shell", no_argument, NULL, O_SHELL },
		{ "type", required_argument, NULL, O_TYPE },
		{ "gap-ms", required_argument, NULL, O_GAP },
		{ "kex", required_argument, NULL, O_KEX },
		{ "cipher", required_argument, NULL, O_CIPHER },
		{ "report", required_argument, NULL, O_REPORT },
		{ "prompt", required_argument, NULL, O_PROMPT },
		{ "term", required_argument, NULL, O_TERM },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	o->port = 22;
	o->gap_ms = 200;
	o->timeout_ms = 15000;
	o->term = "dumb";
	while ((c = getopt_long(argc, argv, "H:p:i:u:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o->port || o->port > 65535) {
				fprintf(stderr, "wl-ssh-client: bad port '%s'\n", optarg);
				return -1;
			}
			break;
		case 'i':
			o->key = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case O_EXEC:
			o->exec = optarg;
			break;
		case O_SHELL:
			o->shell = 1;
			break;
		case O_TYPE:
			if (o->ntype == TYPE_MAX) {
				fprintf(stderr, "wl-ssh-client: more than %d --type\n", TYPE_MAX);
				return -1;
			}
			o->type[o->ntype] = unescape(optarg, &o->type_len[o->ntype]);
			if (!o->type[o->ntype]) {
				fprintf(stderr, "wl-ssh-client: out of memory\n");
				return -1;
			}
			o->ntype++;
			break;
		case O_GAP:
		case O_TIMEOUT: {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 600000) {
				fprintf(stderr, "wl-ssh-client: bad %s '%s'\n",
					c == O_GAP ? "--gap-ms" : "--timeout-ms", optarg);
				return -1;
			}
			if (c == O_GAP)
				o->gap_ms = v;
			else
				o->timeout_ms = v;
			break;
		}
		case O_KEX:
			o->kex = optarg;
			break;
		case O_CIPHER:
			o->cipher = optarg;
			break;
		case O_REPORT:
			o->report = optarg;
			break;
		case O_PROMPT:
			o->prompt = optarg;
			break;
		case O_TERM:
			o->term = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !o->host || !o->key || !o->user || !!o->exec == !!o->shell ||
	    (o->ntype && !o->shell))
		return -1;
	return 0;
}

static const char *or_unknown(const char *s)
{
	return s ? s : "unknown";
}

/* libssh names the MAC of an AEAD cipher "aead-poly1305"/"aead-gcm". */
static const char *mac_word(const char *hmac)
{
	return hmac && !strncmp(hmac, "aead-", 5) ? "<implicit>" : or_unknown(hmac);
}

static int write_report(ssh_session s, const char *path)
{
	const char *kex = ssh_get_kex_algo(s), *cout = ssh_get_cipher_out(s),
		   *cin = ssh_get_cipher_in(s), *hout = ssh_get_hmac_out(s),
		   *hin = ssh_get_hmac_in(s);
	const char *keytype = "unknown";
	ssh_key key = NULL;
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		fprintf(stderr, "wl-ssh-client: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ssh_get_server_publickey(s, &key) == SSH_OK)
		keytype = or_unknown(ssh_key_type_to_char(ssh_key_type(key)));
	fprintf(f, "kex=%s\ncipher_c2s=%s\ncipher_s2c=%s\nmac_c2s=%s\nmac_s2c=%s\n",
		or_unknown(kex), or_unknown(cout), or_unknown(cin), mac_word(hout), mac_word(hin));
	fprintf(f, "hostkey_type=%s\n", keytype);
	fprintf(f,
		"libssh.kex=%s\nlibssh.cipher_out=%s\nlibssh.cipher_in=%s\nlibssh.hmac_out=%s\n"
		"libssh.hmac_in=%s\nlibssh.version=%s\n",
		or_unknown(kex), or_unknown(cout), or_unknown(cin), or_unknown(hout),
		or_unknown(hin), ssh_version(0));
	ssh_key_free(key);
	ret = ferror(f) ? -1 : 0;
	if (fclose(f) || ret) {
		fprintf(stderr, "wl-ssh-client: cannot write %s\n", path);
		return -1;
	}
	return 0;
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

/* Reads what the shell prints for up to ms: >0 bytes, 0 nothing, -1 the
 * channel ended. */
static int read_some(ssh_channel ch, struct tail *t, int ms)
{
	char buf[4096];
	int n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, ms > 0 ? ms : 1);

	if (n == SSH_ERROR)
		return -1;
	if (n > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		tail_add(t, buf, (size_t)n);
		return n;
	}
	return ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch) ? -1 : 0;
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

/* After the remote side's EOF: our EOF, then what the server still sends
 * (exit-status, CHANNEL_CLOSE), until it closes the channel — closing the
 * connection before that makes the kernel answer those late packets with
 * RSTs. Bounded by 2 s. */
static void wait_channel_closed(ssh_channel ch)
{
	int64_t until = now_ms() + 2000;
	char buf[4096];

	ssh_channel_send_eof(ch);
	while (!ssh_channel_is_closed(ch) && now_ms() < until)
		if (ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, 50) == SSH_ERROR)
			break;
}

/* Reads until the prompt ends the output (or, without one, until it pauses)
 * or the deadline: 0, or -1 if the channel ended. */
static int read_until_ready(ssh_channel ch, struct tail *t, const char *prompt, int64_t deadline)
{
	int64_t quiet_since = now_ms();

	while (now_ms() < deadline) {
		int r;

		if (prompt && ends_with(t, prompt))
			return 0;
		r = read_some(ch, t, 50);
		if (r < 0)
			return -1;
		if (r > 0)
			quiet_since = now_ms();
		else if (!prompt && now_ms() - quiet_since >= QUIET_MS)
			return 0;
	}
	return 0;
}

static int run_shell(ssh_session s, const struct opts *o)
{
	ssh_channel ch = ssh_channel_new(s);
	struct tail t = { .len = 0 };
	int64_t deadline = now_ms() + o->timeout_ms, last_key = 0;
	int ret = -1, ended = 0;

	if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_pty_size(ch, o->term, 80, 24) != SSH_OK ||
	    ssh_channel_request_shell(ch) != SSH_OK) {
		fprintf(stderr, "wl-ssh-client: cannot open a shell with a PTY: %s\n",
			ssh_get_error(s));
		goto out;
	}
	if (read_until_ready(ch, &t, o->prompt, deadline) < 0)
		ended = 1;
	for (int i = 0; i < o->ntype && !ended; i++) {
		for (size_t k = 0; k < o->type_len[i] && !ended; k++) {
			char c = o->type[i][k];
			char echo = c == '\r' ? '\n' : c; /* the PTY echoes CR as CR LF */
			uint64_t mark;
			int64_t until;

			/* Keys at least gap apart, the output drained meanwhile. */
			while (last_key && now_ms() < last_key + o->gap_ms && !ended)
				if (read_some(ch, &t, (int)(last_key + o->gap_ms - now_ms())) < 0)
					ended = 1;
			if (ended)
				break;
			mark = t.total;
			if (ssh_channel_write(ch, &c, 1) != 1) {
				fprintf(stderr, "wl-ssh-client: cannot send a key: %s\n",
					ssh_get_error(s));
				goto out;
			}
			last_key = now_ms();
			until = last_key + ECHO_WAIT_MS;
			while (!seen_since(&t, mark, echo) && now_ms() < until)
				if (read_some(ch, &t, (int)(until - now_ms())) < 0) {
					ended = 1;
					break;
				}
		}
		if (!ended && i + 1 < o->ntype &&
		    read_until_ready(ch, &t, o->prompt, now_ms() + o->timeout_ms) < 0)
			ended = 1;
	}
	/* The last TEXT should end the shell: read to the channel's end. */
	while (!ended && now_ms() < deadline)
		if (read_some(ch, &t, 100) < 0)
			ended = 1;
	if (!ended) {
		fprintf(stderr, "wl-ssh-client: the shell did not end within %ld ms\n",
			o->timeout_ms);
		goto out;
	}
	wait_channel_closed(ch);
	ret = 0;
out:
	if (ch) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	return ret;
}

/* Returns the command's exit status, or -1. */
static int run_exec(ssh_session s, const struct opts *o)
{
	ssh_channel ch = ssh_channel_new(s);
	int64_t deadline = now_ms() + o->timeout_ms;
	int ret = -1;
	char buf[4096];

	if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, o->exec) != SSH_OK) {
		fprintf(stderr, "wl-ssh-client: cannot run '%s': %s\n", o->exec, ssh_get_error(s));
		goto out;
	}
	while (now_ms() < deadline) {
		int n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, 100);

		if (n == SSH_ERROR)
			break;
		if (n > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 1)) > 0)
			fwrite(buf, 1, (size_t)n, stderr);
		if (ssh_channel_is_eof(ch)) {
			/* What arrived with the EOF is still to be copied. */
			while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 0)) > 0)
				fwrite(buf, 1, (size_t)n, stdout);
			break;
		}
	}
	fflush(stdout);
	if (!ssh_channel_is_eof(ch)) {
		fprintf(stderr, "wl-ssh-client: '%s' did not end within %ld ms\n", o->exec,
			o->timeout_ms);
		goto out;
	}
	wait_channel_closed(ch);
	ret = ssh_channel_get_exit_status(ch);
	if (ret < 0) {
		fprintf(stderr, "wl-ssh-client: '%s' ended without an exit status\n", o->exec);
		ret = -1;
	}
out:
	if (ch) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { .host = NULL };
	ssh_session s = NULL;
	ssh_key key = NULL;
	int ret = 3, r, verbosity, nodelay, strict = 0;
	bool process_config = false;

	if (parse_opts(argc, argv, &o))
		return usage();
	verbosity = o.verbose ? SSH_LOG_PROTOCOL : SSH_LOG_NOLOG;
	nodelay = o.shell;
	s = ssh_new();
	if (!s) {
		fprintf(stderr, "wl-ssh-client: out of memory\n");
		goto out;
	}
	if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) ||
	    ssh_options_set(s, SSH_OPTIONS_HOST, o.host) ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &o.port) ||
	    ssh_options_set(s, SSH_OPTIONS_USER, o.user) ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") ||
	    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") ||
	    ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict) ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay) ||
	    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) ||
	    (o.kex && ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, o.kex)) ||
	    (o.cipher && (ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, o.cipher) ||
			  ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, o.cipher)))) {
		fprintf(stderr, "wl-ssh-client: bad option: %s\n", ssh_get_error(s));
		ret = 2;
		goto out;
	}
	if (ssh_pki_import_privkey_file(o.key, NULL, NULL, NULL, &key) != SSH_OK) {
		fprintf(stderr, "wl-ssh-client: cannot read the private key %s\n", o.key);
		goto out;
	}
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "wl-ssh-client: cannot connect to %s port %u: %s\n", o.host, o.port,
			ssh_get_error(s));
		goto out;
	}
	/* No known_hosts check: see the top of the file. */
	if (o.report && write_report(s, o.report))
		goto out;
	r = ssh_userauth_publickey(s, NULL, key);
	if (r != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "wl-ssh-client: %s@%s refused the key %s: %s\n", o.user, o.host,
			o.key, r == SSH_AUTH_ERROR ? ssh_get_error(s) : "not accepted");
		goto out;
	}
	if (o.shell) {
		ret = run_shell(s, &o) ? 3 : 0;
	} else {
		r = run_exec(s, &o);
		ret = r < 0 ? 3 : r;
	}
out:
	ssh_key_free(key);
	if (s) {
		if (ssh_is_connected(s))
			ssh_disconnect(s);
		ssh_free(s);
	}
	for (int i = 0; i < o.ntype; i++)
		free(o.type[i]);
	return ret;
}

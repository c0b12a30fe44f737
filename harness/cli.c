/* harness/cli.c — paths, lab lookup and usage for the subcommands. */
#include "harness/cli.h"

#include "harness/keylog.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WIRELAB_DATADIR
#define WIRELAB_DATADIR "/usr/local/share/wirelab"
#endif
#ifndef WIRELAB_LIBEXECDIR
#define WIRELAB_LIBEXECDIR "/usr/local/lib/wirelab"
#endif

static char bindir[PATH_MAX];
static char labsdir[PATH_MAX];
static char progsdir[PATH_MAX];

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void cli_init(const char *argv0)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env = getenv("WIRELAB_LABS");

	(void)argv0;
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');

		if (slash)
			*slash = '\0';
		snprintf(bindir, sizeof(bindir), "%s", exe);
	}
	/* build/wirelab: labs/ is beside build/, the programs in build/labs */
	if (env && *env)
		snprintf(labsdir, sizeof(labsdir), "%s", env);
	else if (snprintf(labsdir, sizeof(labsdir), "%s/../labs", bindir) > 0 && is_dir(labsdir))
		;
	else
		snprintf(labsdir, sizeof(labsdir), "%s/labs", WIRELAB_DATADIR);
	if (snprintf(progsdir, sizeof(progsdir), "%s/labs", bindir) > 0 && is_dir(progsdir))
		;
	else
		snprintf(progsdir, sizeof(progsdir), "%s", WIRELAB_LIBEXECDIR);
}

int cli_usage(const char *text)
{
	fprintf(stderr, "usage: wirelab %s\n", text);
	return EXIT_INPUT;
}

const char *cli_labs_dir(void)
{
	return labsdir;
}

const char *cli_progs_dir(void)
{
	return progsdir;
}

int cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fd) && !(nc && *nc);
}

static int valid_id(const char *id)
{
	if (!*id)
		return 0;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_' || *c == '.'))
			return 0;
	return id[0] != '.';
}

int cli_load_lab(const char *id, struct lab **out, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t l = strlen(id);

	if (strchr(id, '/') || (l > 4 && !strcmp(id + l - 4, ".lab")))
		return lab_load(id, out, err, errlen);
	if (!valid_id(id)) {
		snprintf(err, errlen, "unknown lab '%s' (wirelab list shows the labs)", id);
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/%s.lab", labsdir, id) >= (int)sizeof(path) ||
	    access(path, R_OK)) {
		snprintf(err, errlen, "unknown lab '%s' (no %s; wirelab list shows the labs)", id,
			 path);
		return -1;
	}
	return lab_load(path, out, err, errlen);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_lab_ids(char ***ids, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(labsdir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

	if (!d) {
		snprintf(err, errlen, "cannot read the lab directory %s: %s", labsdir,
			 strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l <= 4 || strcmp(e->d_name + l - 4, ".lab") || e->d_name[0] == '.')
			continue;
		char **nv = realloc(v, (cnt + 1) * sizeof(*v));

		if (!nv || !(nv[cnt] = strndup(e->d_name, l - 4))) {
			v = nv ? nv : v;
			cli_free_ids(v, cnt);
			closedir(d);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		v = nv;
		cnt++;
	}
	closedir(d);
	qsort(v, cnt, sizeof(*v), cmp_str);
	*ids = v;
	*n = cnt;
	return 0;
}

void cli_free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static struct keylog *active_keylog;

int cli_use_keylog(const char *path)
{
	char err[512];
	const char *problem;

	dissect_tls_set_keylog(NULL);
	keylog_free(active_keylog);
	active_keylog = NULL;
	if (!path)
		return 0;
	if (keylog_load(path, &active_keylog, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		return -1;
	}
	problem = keylog_problem(active_keylog);
	if (problem)
		fprintf(stderr, "wirelab: warning: %s\n", problem);
	dissect_tls_set_keylog(active_keylog);
	return 0;
}

int cli_mkdir_p(const char *dir, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
	return -1;
}

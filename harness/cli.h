/* harness/cli.h — what the subcommands share: where labs and lab programs
 * are, lab lookup, usage errors; and the subcommands defined outside main.c.
 */
#ifndef WIRELAB_CLI_H
#define WIRELAB_CLI_H

#include <stddef.h>

#include "harness/lab.h"

/* Exit codes of INTERFACE.md. */
enum { EXIT_HOLDS = 0, EXIT_CLAIM = 1, EXIT_INPUT = 2, EXIT_ENV = 3 };

void cli_init(const char *argv0);
/* "usage: wirelab <text>" on stderr; returns EXIT_INPUT. */
int cli_usage(const char *text);
/* The directory of lab scripts: $WIRELAB_LABS, labs/ beside the build
 * directory, or the installed share/wirelab/labs. */
const char *cli_labs_dir(void);
/* The directory of the lab programs (wl-httpd...): build/labs beside the
 * binary, or the installed lib/wirelab. */
const char *cli_progs_dir(void);
/* Loads a lab by id (or by path if it contains '/' or ends in .lab).
 * Unknown id: err "unknown lab 'x' (wirelab list shows the labs)". */
int cli_load_lab(const char *id, struct lab **out, char *err, size_t errlen);
/* The ids of every lab, sorted; *ids is malloc'd, each string too. */
int cli_lab_ids(char ***ids, size_t *n, char *err, size_t errlen);
void cli_free_ids(char **ids, size_t n);
/* Decrypts TLS with the NSS key log at path from now on (NULL: stop and
 * free). A warning goes to stderr if the log has lines it cannot use;
 * an unreadable file is an error line and -1. */
int cli_use_keylog(const char *path);
/* mkdir -p: dir and its missing parents (0755). */
int cli_mkdir_p(const char *dir, char *err, size_t errlen);
/* Colour only on a TTY and without NO_COLOR. */
int cli_color(int fd);

int cmd_list(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_diagram(int argc, char **argv);	  /* diagram.c */
int cmd_grade(int argc, char **argv);	  /* grade.c */
int cmd_gradebook(int argc, char **argv); /* grade.c */

#endif

/* harness/main.c — the wirelab command line: one table of subcommands,
 * one cmd_<name> each (wireguard-tools' wg.c). Exit codes (INTERFACE.md):
 * 0 every claim holds as expected, 1 a claim does not, 2 bad input or usage,
 * 3 the environment lacks something.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/keylog.h"
#include "harness/show.h"

static int cmd_help(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("wirelab %s\n", WIRELAB_VERSION);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "keylog", required_argument, NULL, 'k' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const char usage[] = "show CAPTURE [--json] [--keylog F]";
	enum show_format fmt = SHOW_TEXT;
	const char *keylog = NULL;
	char err[512];
	int c, ret = EXIT_INPUT;

	while ((c = getopt_long(argc, argv, "jk:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			fmt = SHOW_JSON;
			break;
		case 'k':
			keylog = optarg;
			break;
		case 'h':
			printf("usage: wirelab %s\n", usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	if (optind != argc - 1)
		return cli_usage(usage);
	if (cli_use_keylog(keylog))
		return EXIT_INPUT;
	if (show_capture(argv[optind], fmt, stdout, err, sizeof(err))) {
		fflush(stdout);
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	cli_use_keylog(NULL);
	return ret;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
} commands[] = {
	{ "list", cmd_list, "list", "every lab: id, title, claim count" },
	{ "run", cmd_run,
	  "run [LAB...] [--out DIR] [--json F] [--junit F] [--tap F] [--html DIR] [--keep]",
	  "run labs in fresh namespaces, capture, check the claims (root)" },
	{ "check", cmd_check,
	  "check LAB CAPTURE [--json|--tap] [--stream N] [--keylog F] [--html DIR] [--junit F]",
	  "check a lab's claims against an existing pcap/pcapng" },
	{ "show", cmd_show, "show CAPTURE [--json] [--keylog F]",
	  "the packet list, relative seq/ack, decoded messages" },
	{ "diagram", cmd_diagram,
	  "diagram CAPTURE [-o F] [--format svg|txt] [--stream N] [--keylog F]",
	  "the ladder diagram of a capture's lab connection" },
	{ "grade", cmd_grade, "grade LAB SUB... [--jobs N] [--out DIR] [--shard K/N] [--html DIR]",
	  "grade student submissions in the lab's role, sandboxed (root)" },
	{ "gradebook", cmd_gradebook,
	  "gradebook merge LAB --out DIR SHARD_DIR... | gradebook answers LAB CAPTURE",
	  "join `grade --shard` gradebooks; the answers a capture calls for" },
	{ "clean", cmd_clean, "clean", "remove what a crashed wirelab left behind (root)" },
	{ "help", cmd_help, "help", "this text" },
	{ "version", cmd_version, "version", "print the version" },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: wirelab COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s\n      %s\n", commands[i].usage, commands[i].help);
	printf("\nexit codes: 0 claims hold as the lab expects, 1 a claim does not,\n"
	       "            2 bad input or usage, 3 missing environment (root, programs)\n"
	       "environment: WIRELAB_LABS (lab directory), NO_COLOR\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *name;

	cli_init(argv[0]);
	if (argc < 2)
		return cmd_help(argc, argv), 2;
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	else if (!strcmp(name, "--version") || !strcmp(name, "-V"))
		name = "version";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wirelab: unknown command '%s' (see wirelab --help)\n", name);
	return 2;
}

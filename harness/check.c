/* harness/check.c — `wirelab list` and `wirelab check LAB CAPTURE`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/claim.h"
#include "harness/cli.h"
#include "harness/html.h"
#include "harness/report.h"

int cmd_list(int argc, char **argv)
{
	char err[512], **ids = NULL;
	size_t n = 0;
	int ret = EXIT_HOLDS;

	(void)argv;
	if (argc > 1)
		return cli_usage("list");
	if (cli_lab_ids(&ids, &n, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		return EXIT_INPUT;
	}
	for (size_t i = 0; i < n; i++) {
		struct lab *lab = NULL;

		if (cli_load_lab(ids[i], &lab, err, sizeof(err))) {
			fprintf(stderr, "wirelab: %s\n", err);
			ret = EXIT_INPUT;
			continue;
		}
		printf("%-16s %3zu claims  %s\n", lab->id, lab->nclaims, lab->title);
		lab_free(lab);
	}
	cli_free_ids(ids, n);
	return ret;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "stream", required_argument, NULL, 's' },
					      { "keylog", required_argument, NULL, 'k' },
					      { "html", required_argument, NULL, 'H' },
					      { "tap", no_argument, NULL, 't' },
					      { "junit", required_argument, NULL, 'J' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	static const char usage[] = "check LAB CAPTURE [--json|--tap] [--stream N] [--keylog F] "
				    "[--html DIR] [--junit F]";
	const char *keylog = NULL, *html_dir = NULL, *junit = NULL;
	struct lab *lab = NULL;
	struct trace *tr = NULL;
	struct claim_result *res = NULL;
	struct lab_report rep;
	char err[1024];
	int json = 0, tap = 0, c, ret = EXIT_INPUT;
	long stream = -1;

	while ((c = getopt_long(argc, argv, "js:k:h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			stream = strtol(optarg, &end, 10);
			if (*end || stream < 0 || stream > INT32_MAX) {
				fprintf(stderr,
					"wirelab: --stream wants a tcp.stream number, got '%s'\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		case 'k':
			keylog = optarg;
			break;
		case 'H':
			html_dir = optarg;
			break;
		case 't':
			tap = 1;
			break;
		case 'J':
			junit = optarg;
			break;
		case 'h':
			printf("usage: wirelab %s\n", usage);
			return 0;
		default:
			return cli_usage(usage);
		}
	}
	if (optind != argc - 2)
		return cli_usage(usage);
	if (cli_use_keylog(keylog))
		return EXIT_INPUT;
	if (cli_load_lab(argv[optind], &lab, err, sizeof(err)) ||
	    trace_load(argv[optind + 1], lab->kind, (int32_t)stream, &tr, err, sizeof(err)) ||
	    claim_eval_all(lab, tr, &res, err, sizeof(err))) {
		fprintf(stderr, "wirelab: %s\n", err);
		goto out;
	}
	memset(&rep, 0, sizeof(rep));
	rep.lab = lab;
	rep.lab_id = lab->id;
	rep.tr = tr;
	rep.res = res;
	rep.nres = lab->nclaims;
	rep.capture = argv[optind + 1];
	if (json) {
		report_json(stdout, &rep);
		fputc('\n', stdout);
	} else if (tap) {
		report_tap(stdout, &rep, 1);
	} else {
		report_text(stdout, &rep, cli_color(1));
	}
	ret = report_exit_code(&rep);
	if ((html_dir && html_write(html_dir, &rep, 1, err, sizeof(err))) ||
	    (junit && report_junit(junit, &rep, 1, err, sizeof(err)))) {
		fprintf(stderr, "wirelab: %s\n", err);
		ret = EXIT_INPUT;
	}
out:
	if (lab)
		claim_results_free(res, lab->nclaims);
	trace_free(tr);
	lab_free(lab);
	cli_use_keylog(NULL);
	return ret;
}

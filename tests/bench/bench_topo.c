/* tests/bench/bench_topo.c — how long the lab network takes to build and to
 * tear down: topo_create and topo_free N times in a row (default 100),
 * median and 90th percentile of each, in milliseconds.
 *
 * "destroy" is topo_free's own time: the kernel frees a closed namespace in
 * the background afterwards (cleanup_net, ~30 ms a batch; FIELD-NOTES).
 * Output, one line each, for tests/bench/topo.sh to read:
 *     create  median 1.234 p90 2.345 ms (n=100)
 *     destroy median 0.123 p90 0.234 ms (n=100)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns/registry.h"
#include "netns/topo.h"

#define MAX_RUNS 100000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void print_stats(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	printf("%-7s median %.3f p90 %.3f ms (n=%zu)\n", what, pct(v, n, 50), pct(v, n, 90), n);
}

int main(int argc, char **argv)
{
	struct topo_config cfg;
	struct registry *reg = NULL;
	double *create = NULL, *destroy = NULL;
	char err[512];
	long n = 100, i;
	int ret = 1;

	if (argc > 2 || (argc == 2 && ((n = strtol(argv[1], NULL, 10)) < 1 || n > MAX_RUNS))) {
		fprintf(stderr, "usage: bench_topo [N]   (1 to %d runs, default 100)\n", MAX_RUNS);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_topo: namespaces need root\n");
		return 3;
	}
	create = calloc((size_t)n, sizeof(*create));
	destroy = calloc((size_t)n, sizeof(*destroy));
	if (!create || !destroy) {
		fprintf(stderr, "bench_topo: out of memory\n");
		goto out;
	}
	if (registry_open(&reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_topo: %s\n", err);
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < n; i++) {
		struct topo *t = NULL;
		double t0 = now_ms(), t1, t2;

		if (topo_create(&cfg, reg, &t, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_topo: run %ld: %s\n", i + 1, err);
			goto out;
		}
		t1 = now_ms();
		topo_free(t);
		t2 = now_ms();
		create[i] = t1 - t0;
		destroy[i] = t2 - t1;
	}
	print_stats("create", create, (size_t)n);
	print_stats("destroy", destroy, (size_t)n);
	ret = 0;
out:
	registry_close(reg);
	free(destroy);
	free(create);
	return ret;
}

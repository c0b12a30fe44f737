/* Allocates and touches memory without end, 16 MiB at a time, and never
 * listens: the sandbox's memory limit (cgroup memory.max, or RLIMIT_AS where
 * there is no memory controller) must stop it, not the host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	size_t total = 0;

	for (;;) {
		char *p = malloc(16u << 20);

		if (!p) {
			/* RLIMIT_AS said no: say so, then keep the memory held. */
			printf("hog: malloc failed after %zu MiB\n", total >> 20);
			fflush(stdout);
			pause();
		}
		memset(p, 0xa5, 16u << 20);
		total += 16u << 20;
	}
}

/* harness/main.c — the wirelab command line: one table of subcommands. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	puts("wirelab " WIRELAB_VERSION);
	return 0;
}

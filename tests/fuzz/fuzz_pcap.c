/* tests/fuzz/fuzz_pcap.c — libFuzzer target for the whole reading pipeline:
 * the input is a capture file (pcap or pcapng, any link type), read by
 * libpcap and dissected frame by frame into `show --json` and `show` text,
 * exactly as `wirelab show` does, then picked apart by trace_load as
 * `wirelab check` does. Nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/show.h"
#include "harness/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	char path[64], err[512];
	struct trace *tr = NULL;
	int fd = memfd_create("fuzz.pcap", 0);

	if (fd < 0)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		show_capture(path, SHOW_JSON, devnull, err, sizeof(err));
		show_capture(path, SHOW_TEXT, devnull, err, sizeof(err));
		if (trace_load(path, TRACE_ANY, -1, &tr, err, sizeof(err)) == 0)
			trace_free(tr);
	}
	close(fd);
	return 0;
}

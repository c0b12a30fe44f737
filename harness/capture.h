/* harness/capture.h — captures: recording a lab's veth with libpcap, and
 * reading pcap/pcapng files (libpcap reads both).
 */
#ifndef WIRELAB_CAPTURE_H
#define WIRELAB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* ---- reading ---- */

struct capfile;

/* Opens a capture. Errors name the file: "x.pcap: not a pcap or pcapng
 * file", "x.pcap: unsupported link-layer type 147 (USER0)". */
int capture_open(const char *path, struct capfile **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int capture_linktype(const struct capfile *cf);
/* The next frame: 1 and the frame, 0 at the end, -1 on a damaged file
 * (err: "x.pcap: truncated dump file; ..." after frame N). The data stays
 * valid until the next call. */
int capture_next(struct capfile *cf, int64_t *ts_us, uint32_t *wirelen, const uint8_t **data,
		 uint32_t *caplen, char *err, size_t errlen);
void capture_close(struct capfile *cf);

/* ---- recording ---- */

struct capture;

/* Opens interface ifname inside the namespace netns_fd (from this thread,
 * which returns to its own namespace) and records every frame to path as
 * pcap, from a thread of its own, until capture_stop. */
int capture_start(int netns_fd, const char *ifname, const char *path, struct capture **out,
		  char *err, size_t errlen) __attribute__((warn_unused_result));
/* Drains what the kernel already holds (no sleeping), closes the file.
 * Returns 0 and the frame count, -1 on error. Frees c. */
int capture_stop(struct capture *c, uint64_t *frames, char *err, size_t errlen);

#endif

/* harness/pcapng.h — a capture and its TLS key log as one pcapng file, the
 * key log in a Decryption Secrets Block, so that Wireshark and tshark open it
 * decrypted with no other option. */
#ifndef WIRELAB_PCAPNG_H
#define WIRELAB_PCAPNG_H

#include <stddef.h>

/* Reads pcap (or pcapng) `in` and the NSS key log `keylog`, writes `out`:
 * SHB, IDB, DSB (TLS key log), then every frame as an EPB. */
int pcapng_write_with_keylog(const char *in, const char *keylog, const char *out, char *err,
			     size_t errlen) __attribute__((warn_unused_result));

#endif

/* harness/show.h — `wirelab show`: the packet list of a capture, as text
 * (Wireshark's columns, tcpdump's flags) or as JSON Lines (INTERFACE.md). */
#ifndef WIRELAB_SHOW_H
#define WIRELAB_SHOW_H

#include <stddef.h>
#include <stdio.h>

#include "harness/pkt.h"

enum show_format { SHOW_TEXT, SHOW_JSON };

/* Prints every frame of path to out as it is read. On a damaged file the
 * frames before the damage are printed, then -1 with err. */
int show_capture(const char *path, enum show_format fmt, FILE *out, char *err, size_t errlen);

/* One packet; used by show_capture and by reports. */
void show_packet_json(FILE *out, const struct pkt *p);
void show_packet_text(FILE *out, const struct pkt *p);
/* Whether a protocol message completes in this packet. */
int show_has_message(const struct pkt *p);
/* What the text list says of a TCP packet without a message, after its
 * columns: "[retransmission] [dup ack] win 64256 MSS=1460 ...". */
void show_tcp_notes(const struct pkt *p, char *buf, size_t len);
/* tcpdump's flag letters: "S", "S.", "P.", "F.", "R." ... */
void show_tcp_flags(const struct pkt *p, char *buf, size_t len);

#endif

/* harness/diagram.h — the ladder diagram of a lab connection, as the notes
 * draw it: the client and the server as two columns, one arrow per packet
 * going down the page in capture order, each labelled with its frame,
 * time, tcpdump flags, relative seq/ack, length and what it carries; the
 * phases shaded (TCP handshake, data, close; TLS handshake and application
 * data; SSH versions, KEXINIT, key exchange, NEWKEYS, encrypted),
 * retransmissions and RSTs marked, round trips bracketed.
 *
 * Two renderings of one model: SVG (written directly, self-contained) and
 * plain text that fits 100 columns, for terminals.
 */
#ifndef WIRELAB_DIAGRAM_H
#define WIRELAB_DIAGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/trace.h"

enum diagram_format { DIAGRAM_SVG, DIAGRAM_TXT };

/* Flags of diagram_write (SVG only; text ignores them). */
enum {
	DIAGRAM_INLINE = 0x1, /* no XML declaration: the SVG goes inside an HTML page */
	DIAGRAM_LINKS = 0x2,  /* each arrow links to "#pN", the page's packet table row */
};

/* Text lines are at most this many columns (code points). */
#define DIAGRAM_TXT_COLUMNS 100
/* Packets drawn at most; a note says how many more the stream has. */
#define DIAGRAM_MAX_ROWS 2000

/* Writes the ladder of tr's packets to out. Returns 0, or -1 if out
 * reported a write error or memory ran out (errno says which). */
int diagram_write(FILE *out, const struct trace *tr, enum diagram_format fmt, unsigned flags);

/* The stream `wirelab diagram` draws when none is named: the first TCP
 * stream that carries a protocol wirelab dissects (an HTTP request, a
 * WebSocket upgrade, a TLS ClientHello, an SSH identification line), else
 * the first that carries any payload, else the first. Returns 0 with
 * *stream, or -1 with err naming the file ("x.pcap: no TCP stream in the
 * capture (3 frames)"). */
int diagram_pick_stream(const char *path, int32_t *stream, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif

/* harness/pkt.h — one dissected frame, and its fields by Wireshark name.
 *
 * The dissector (dissect.c) fills a struct pkt for every frame of a capture.
 * TCP/IP header values are plain members; what the protocol dissectors decode
 * at this frame (HTTP, WebSocket, TLS, SSH messages that *complete* in it,
 * after reassembly, as Wireshark lists them) is a flat list of named values in
 * tree order: a group opener such as "websocket" (type PKT_FV_GROUP) starts one
 * message, the fields after it ("websocket.opcode", ...) belong to it.
 *
 * pkt_field() reads both by Wireshark's display-filter names, so a lab claim
 * and Wireshark's filter bar say the same thing.
 */
#ifndef WIRELAB_PKT_H
#define WIRELAB_PKT_H

#include <stddef.h>
#include <stdint.h>

enum pkt_dir {
	PKT_DIR_NONE = -1,  /* not part of a TCP stream */
	PKT_DIR_CLIENT = 0, /* sent by the stream's initiator (the SYN's sender) */
	PKT_DIR_SERVER = 1,
};

/* TCP flags as in the header (tcp.flags). */
enum {
	TCPF_FIN = 0x01,
	TCPF_SYN = 0x02,
	TCPF_RST = 0x04,
	TCPF_PSH = 0x08,
	TCPF_ACK = 0x10,
	TCPF_URG = 0x20,
	TCPF_ECE = 0x40,
	TCPF_CWR = 0x80,
};

/* TCP analysis (tcp.analysis.*), as Wireshark flags them. */
enum {
	PKT_AN_RETRANSMISSION = 0x01,
	PKT_AN_DUP_ACK = 0x02,
	PKT_AN_OUT_OF_ORDER = 0x04,
	PKT_AN_KEEP_ALIVE = 0x08,
	PKT_AN_ZERO_WINDOW = 0x10,
	PKT_AN_SPURIOUS_RETRANSMISSION = 0x20,
	PKT_AN_FAST_RETRANSMISSION = 0x40,
};

enum pkt_fv_type { PKT_FV_GROUP, PKT_FV_INT, PKT_FV_STR };

struct pkt_fv {
	const char *name; /* static: "http.request.method" */
	enum pkt_fv_type type;
	int64_t i;     /* PKT_FV_INT (booleans are 0/1) */
	const char *s; /* PKT_FV_STR: owned by the pkt, NUL-terminated, slen bytes */
	uint32_t slen;
};

struct pkt {
	uint32_t n;    /* frame number, from 1 */
	int64_t ts_us; /* capture time, microseconds since the epoch */
	double t;      /* seconds since the first frame */
	uint32_t wirelen, caplen;

	uint8_t ipver;		  /* 0: not IP; 4 or 6 */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint8_t ttl;
	uint16_t iplen; /* IP total length (v4) / payload length + 40 (v6) */

	uint8_t is_tcp;
	uint16_t sport, dport;
	uint8_t flags;
	uint16_t win;	     /* unscaled window field (tcp.window_size_value) */
	uint32_t win_scaled; /* tcp.window_size: scaled when both SYNs had WS */
	uint32_t seq_raw, ack_raw;
	uint32_t seq, ack, nxtseq; /* relative to each side's ISN (ack: the peer's) */
	uint32_t len;		   /* TCP payload length */
	uint16_t hdrlen;	   /* TCP header length */
	int32_t stream;		   /* tcp.stream, from 0; -1 if not TCP */
	int8_t dir;		   /* enum pkt_dir */
	uint8_t analysis;	   /* PKT_AN_* */
	uint8_t ack_valid;	   /* ACK flag set: ack/ack_raw mean something */

	char info[200]; /* one line, Wireshark's Info column in spirit */
	char opts[96];	/* TCP options as text: " MSS=1460 SACK_PERM ..." */
	char err[120];	/* non-empty: truncated/malformed, e.g. "tcp: truncated header" */

	struct pkt_fv *fv; /* protocol fields completed at this frame */
	size_t nfv, cap_fv;
	char *arena; /* storage of the fv strings */
	size_t arena_len, arena_cap;
};

/* A value read through pkt_field(). */
struct fval {
	enum { FVAL_INT, FVAL_REAL, FVAL_STR } type;
	int64_t i;
	double d; /* FVAL_REAL: frame.time_relative, frame.time_delta... */
	const char *s;
	size_t slen;
};

/* Reads occurrence idx (from 0) of the field called name. Returns 1 and
 * fills *v if present, 0 if the packet has no such occurrence, -1 if no
 * dissector of wirelab knows the name. Frame/IP/TCP names: frame.number,
 * frame.time_relative (FVAL_REAL seconds), frame.len, ip.src, ip.dst, ip.addr, ip.ttl, ip.len,
 * tcp.srcport, tcp.dstport, tcp.port, tcp.stream, tcp.flags,
 * tcp.flags.{fin,syn,reset,push,ack,urg,ece,cwr}, tcp.seq, tcp.ack,
 * tcp.seq_raw, tcp.ack_raw, tcp.nxtseq, tcp.len, tcp.hdr_len,
 * tcp.window_size_value, tcp.analysis.{retransmission,duplicate_ack,
 * out_of_order,keep_alive}; plus every name a protocol dissector adds. */
int pkt_field(const struct pkt *p, const char *name, size_t idx, struct fval *v);

/* 1 if some dissector may produce the field, else 0 (for lab-script checks). */
int pkt_field_known(const char *name);

/* Adds decoded fields (used by the dissectors). Return -1 only on ENOMEM. */
int pkt_add_group(struct pkt *p, const char *name);
int pkt_add_int(struct pkt *p, const char *name, int64_t i);
int pkt_add_str(struct pkt *p, const char *name, const char *s, size_t len);

/* Walking message groups: the index past group i's fields, and the first
 * field called name inside [i, end) (NULL if none). */
size_t pkt_group_end(const struct pkt *p, size_t i);
const struct pkt_fv *pkt_group_field(const struct pkt *p, size_t i, size_t end, const char *name);

/* Copies src into dst (deep: fv and strings). dst is overwritten. */
int pkt_copy(struct pkt *dst, const struct pkt *src);
void pkt_clear(struct pkt *p); /* frees fv/arena, keeps nothing */

#endif

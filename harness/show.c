/* harness/show.c — the packet list. */
#include "harness/show.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture.h"
#include "harness/dissect.h"
#include "harness/json.h"

static void addr_text(const struct pkt *p, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(p->ipver == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void show_tcp_flags(const struct pkt *p, char *buf, size_t len)
{
	/* tcpdump's letters, in tcpdump's order (print-tcp.c tcp_flag_values). */
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
		{ TCPF_FIN, 'F' }, { TCPF_SYN, 'S' }, { TCPF_RST, 'R' }, { TCPF_PSH, 'P' },
		{ TCPF_ACK, '.' }, { TCPF_URG, 'U' }, { TCPF_ECE, 'E' }, { TCPF_CWR, 'W' }
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < len; i++)
		if (p->flags & letters[i].bit)
			buf[n++] = letters[i].c;
	if (n == 0 && len > 4) {
		memcpy(buf, "none", 4);
		n = 4;
	}
	buf[n] = '\0';
}

static void json_errors(struct jw *w, const struct pkt *p)
{
	int first = 1;

	for (size_t i = 0; i < p->nfv; i++) {
		if (p->fv[i].type != PKT_FV_STR || strcmp(p->fv[i].name, "wl.error"))
			continue;
		if (first)
			jw_lit(w, ", \"errors\": [");
		else
			jw_lit(w, ", ");
		jw_str(w, p->fv[i].s, p->fv[i].slen);
		first = 0;
	}
	if (!first)
		jw_lit(w, "]");
}

/* An IPv4 address as inet_ntop writes it (inet_ntop goes through sprintf);
 * returns the length. */
static size_t ipv4_text(const uint8_t *a, char *buf)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		if (a[i] >= 100)
			buf[n++] = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			buf[n++] = (char)('0' + a[i] / 10 % 10);
		buf[n++] = (char)('0' + a[i] % 10);
	}
	return n;
}

/* A capture has few addresses, each in many packets: the last few IPv4
 * texts are kept (per thread, as show may run in any). */
#define ADDR_MEMO 4

static __thread struct {
	uint32_t addr;
	size_t len; /* 0: empty */
	char text[INET_ADDRSTRLEN];
} addr_memo[ADDR_MEMO];

static void json_addr(struct jw *w, const struct pkt *p, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t v;

	jw_lit(w, "\"");
	if (p->ipver == 6) {
		addr_text(p, a, buf, sizeof(buf));
		jw_mem(w, buf, strlen(buf));
	} else {
		memcpy(&v, a, 4);
		size_t slot = (v ^ v >> 8 ^ v >> 16 ^ v >> 24) % ADDR_MEMO;

		if (!addr_memo[slot].len || addr_memo[slot].addr != v) {
			addr_memo[slot].addr = v;
			addr_memo[slot].len = ipv4_text(a, addr_memo[slot].text);
		}
		jw_mem(w, addr_memo[slot].text, addr_memo[slot].len);
	}
	jw_lit(w, "\"");
}

/* p->t as printf's "%.6f": p->t is a whole number of microseconds over 1e6
 * (dissect_frame), so the digits come from that integer when it gives p->t
 * back exactly; anything else goes to printf. */
static void json_time(struct jw *w, double t)
{
	char buf[64];

	if (!signbit(t) && t < 1e9) {
		uint64_t us = (uint64_t)(t * 1e6 + 0.5);

		if ((double)us / 1e6 == t) {
			char frac[6];

			jw_u64(w, us / 1000000);
			us %= 1000000;
			for (int i = 5; i >= 0; i--, us /= 10)
				frac[i] = (char)('0' + us % 10);
			jw_lit(w, ".");
			jw_mem(w, frac, sizeof(frac));
			return;
		}
	}
	snprintf(buf, sizeof(buf), "%.6f", t);
	jw_mem(w, buf, strlen(buf));
}

static void json_analysis(struct jw *w, uint8_t analysis)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} an[] = { { PKT_AN_RETRANSMISSION, "\"retransmission\"" },
		   { PKT_AN_SPURIOUS_RETRANSMISSION, "\"spurious_retransmission\"" },
		   { PKT_AN_FAST_RETRANSMISSION, "\"fast_retransmission\"" },
		   { PKT_AN_OUT_OF_ORDER, "\"out_of_order\"" },
		   { PKT_AN_DUP_ACK, "\"duplicate_ack\"" },
		   { PKT_AN_KEEP_ALIVE, "\"keep_alive\"" },
		   { PKT_AN_ZERO_WINDOW, "\"zero_window\"" } };
	int first = 1;

	jw_lit(w, ", \"analysis\": [");
	for (size_t i = 0; i < sizeof(an) / sizeof(an[0]); i++) {
		if (!(analysis & an[i].bit))
			continue;
		if (!first)
			jw_lit(w, ", ");
		jw_mem(w, an[i].name, strlen(an[i].name));
		first = 0;
	}
	jw_lit(w, "]");
}

static void packet_json(struct jw *w, const struct pkt *p)
{
	jw_lit(w, "{\"n\": ");
	jw_u64(w, p->n);
	jw_lit(w, ", \"t\": ");
	json_time(w, p->t);
	if (p->ipver) {
		jw_lit(w, ", \"src\": ");
		json_addr(w, p, p->src);
		if (p->is_tcp) {
			jw_lit(w, ", \"sport\": ");
			jw_u64(w, p->sport);
		}
		jw_lit(w, ", \"dst\": ");
		json_addr(w, p, p->dst);
		if (p->is_tcp) {
			jw_lit(w, ", \"dport\": ");
			jw_u64(w, p->dport);
		}
	}
	if (p->is_tcp) {
		jw_lit(w, ", \"stream\": ");
		jw_i64(w, p->stream);
		jw_lit(w, ", \"flags\": ");
		jw_u64(w, p->flags);
		jw_lit(w, ", \"seq\": ");
		jw_u64(w, p->seq);
		/* Without the ACK flag the field means nothing: 0, as tshark. */
		jw_lit(w, ", \"ack\": ");
		jw_u64(w, p->ack_valid ? p->ack : 0);
		jw_lit(w, ", \"len\": ");
		jw_u64(w, p->len);
		if (p->analysis)
			json_analysis(w, p->analysis);
	}
	jw_lit(w, ", \"info\": ");
	jw_cstr(w, p->info);
	if (p->err[0]) {
		jw_lit(w, ", \"malformed\": ");
		jw_cstr(w, p->err);
	}
	dissect_json(w, p);
	json_errors(w, p);
	jw_lit(w, "}\n");
}

void show_packet_json(FILE *out, const struct pkt *p)
{
	struct jw w;

	jw_init(&w, out);
	packet_json(&w, p);
	jw_flush(&w);
}

int show_has_message(const struct pkt *p)
{
	/* A protocol error (a stream that ends inside a record, a FIN) is in
	 * the Info text too: it is said, even without a message. */
	for (size_t i = 0; i < p->nfv; i++)
		if (p->fv[i].type == PKT_FV_GROUP || !strcmp(p->fv[i].name, "wl.error"))
			return 1;
	return 0;
}

void show_tcp_notes(const struct pkt *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%swin %u%s",
		 p->analysis & PKT_AN_RETRANSMISSION ? "[retransmission] " : "",
		 p->analysis & PKT_AN_OUT_OF_ORDER ? "[out-of-order] " : "",
		 p->analysis & PKT_AN_DUP_ACK ? "[dup ack] " : "",
		 p->analysis & PKT_AN_KEEP_ALIVE ? "[keep-alive] " : "", p->win_scaled, p->opts);
}

void show_packet_text(FILE *out, const struct pkt *p)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ends[120], flags[16];

	fprintf(out, "%5u %10.6f ", p->n, p->t);
	if (!p->is_tcp) {
		if (p->ipver) {
			addr_text(p, p->src, src, sizeof(src));
			addr_text(p, p->dst, dst, sizeof(dst));
			fprintf(out, "%s → %s  ", src, dst);
		}
		fputs(p->info, out);
		if (p->err[0])
			fprintf(out, "  [malformed: %s]", p->err);
		fputc('\n', out);
		return;
	}
	addr_text(p, p->src, src, sizeof(src));
	addr_text(p, p->dst, dst, sizeof(dst));
	snprintf(ends, sizeof(ends), "%s:%u → %s:%u", src, p->sport, dst, p->dport);
	show_tcp_flags(p, flags, sizeof(flags));
	fprintf(out, "%-44s [%s]%*s seq %u", ends, flags, (int)(3 - strlen(flags)), "", p->seq);
	if (p->ack_valid)
		fprintf(out, " ack %u", p->ack);
	/* The columns already say flags, seq, ack and len: the text is the
	 * decoded message, else the analysis and the options. */
	fprintf(out, " len %u ", p->len);
	if (show_has_message(p)) {
		fprintf(out, " %s", p->info);
	} else {
		char notes[sizeof(p->opts) + 96];

		show_tcp_notes(p, notes, sizeof(notes));
		fprintf(out, " %s", notes);
	}
	if (p->err[0])
		fprintf(out, "  [malformed: %s]", p->err);
	fputc('\n', out);
}

int show_capture(const char *path, enum show_format fmt, FILE *out, char *err, size_t errlen)
{
	struct capfile *cf = NULL;
	struct dissect *d = NULL;
	struct jw *w = NULL;
	struct pkt p;
	int ret = -1, r;
	int64_t ts;
	uint32_t wl, cl, n = 0;
	const uint8_t *data;

	memset(&p, 0, sizeof(p));
	if (capture_open(path, &cf, err, errlen))
		goto out;
	if (dissect_new(capture_linktype(cf), &d, err, errlen))
		goto out;
	if (fmt == SHOW_JSON) {
		w = malloc(sizeof(*w));
		if (!w) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		jw_init(w, out);
	}
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		if (dissect_frame(d, ts, wl, data, cl, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if (w)
			packet_json(w, &p);
		else
			show_packet_text(out, &p);
		n++;
	}
	if (r < 0)
		goto out;
	if (n == 0) {
		snprintf(err, errlen, "%s: the capture holds no packets", path);
		goto out;
	}
	ret = 0;
out:
	if (w)
		jw_flush(w);
	free(w);
	pkt_clear(&p);
	dissect_free(d);
	capture_close(cf);
	return ret;
}

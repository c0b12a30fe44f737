/* harness/show.c — the packet list. */
#include "harness/show.h"

#include <arpa/inet.h>
#include <inttypes.h>
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

static void json_errors(FILE *out, const struct pkt *p)
{
	int first = 1;

	for (size_t i = 0; i < p->nfv; i++) {
		if (strcmp(p->fv[i].name, "wl.error"))
			continue;
		fputs(first ? ", \"errors\": [" : ", ", out);
		json_str(out, p->fv[i].s, p->fv[i].slen);
		first = 0;
	}
	if (!first)
		fputs("]", out);
}

void show_packet_json(FILE *out, const struct pkt *p)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	fprintf(out, "{\"n\": %u, \"t\": %.6f", p->n, p->t);
	if (p->ipver) {
		addr_text(p, p->src, src, sizeof(src));
		addr_text(p, p->dst, dst, sizeof(dst));
		fprintf(out, ", \"src\": \"%s\"", src);
		if (p->is_tcp)
			fprintf(out, ", \"sport\": %u", p->sport);
		fprintf(out, ", \"dst\": \"%s\"", dst);
		if (p->is_tcp)
			fprintf(out, ", \"dport\": %u", p->dport);
	}
	if (p->is_tcp) {
		fprintf(out, ", \"stream\": %d, \"flags\": %u, \"seq\": %u", p->stream, p->flags,
			p->seq);
		/* Without the ACK flag the field means nothing: 0, as tshark. */
		fprintf(out, ", \"ack\": %u, \"len\": %u", p->ack_valid ? p->ack : 0, p->len);
		if (p->analysis) {
			static const struct {
				uint8_t bit;
				const char *name;
			} an[] = { { PKT_AN_RETRANSMISSION, "retransmission" },
				   { PKT_AN_SPURIOUS_RETRANSMISSION, "spurious_retransmission" },
				   { PKT_AN_FAST_RETRANSMISSION, "fast_retransmission" },
				   { PKT_AN_OUT_OF_ORDER, "out_of_order" },
				   { PKT_AN_DUP_ACK, "duplicate_ack" },
				   { PKT_AN_KEEP_ALIVE, "keep_alive" },
				   { PKT_AN_ZERO_WINDOW, "zero_window" } };
			int first = 1;

			fputs(", \"analysis\": [", out);
			for (size_t i = 0; i < sizeof(an) / sizeof(an[0]); i++) {
				if (!(p->analysis & an[i].bit))
					continue;
				fprintf(out, "%s\"%s\"", first ? "" : ", ", an[i].name);
				first = 0;
			}
			fputs("]", out);
		}
	}
	fputs(", \"info\": ", out);
	json_cstr(out, p->info);
	if (p->err[0]) {
		fputs(", \"malformed\": ", out);
		json_cstr(out, p->err);
	}
	dissect_json(out, p);
	json_errors(out, p);
	fputs("}\n", out);
}

int show_has_message(const struct pkt *p)
{
	for (size_t i = 0; i < p->nfv; i++)
		if (p->fv[i].type == PKT_FV_GROUP)
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
		fprintf(out, "%s%s%s\n", p->info, p->err[0] ? "  [malformed: " : "",
			p->err[0] ? p->err : "");
		if (p->err[0])
			fputs("]\n", out);
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
	while ((r = capture_next(cf, &ts, &wl, &data, &cl, err, errlen)) == 1) {
		if (dissect_frame(d, ts, wl, data, cl, &p)) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if (fmt == SHOW_JSON)
			show_packet_json(out, &p);
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
	pkt_clear(&p);
	dissect_free(d);
	capture_close(cf);
	return ret;
}

/* harness/html.c — the HTML report: a page per lab and an index.
 *
 * A page must open from a CI artifact, a USB stick or a mail attachment, on
 * a machine without network: so everything is inline (CSS, the SVG of the
 * ladder), nothing is fetched, no script runs (the row highlighting is
 * CSS's :target), and links to the capture and its key log are relative to
 * the page's directory. Every text that comes from a lab script or a
 * capture is escaped, and bytes that are not UTF-8 are replaced, so that a
 * stranger's capture cannot break or script the page.
 *
 * The index is rebuilt from the pages in the directory: each page carries
 * its summary in <meta name="wirelab-..."> elements, which html_write reads
 * back.
 */
#include "harness/html.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/capture.h"
#include "harness/claim.h"
#include "harness/cli.h"
#include "harness/diagram.h"
#include "harness/dissect.h"
#include "harness/show.h"
#include "harness/utf8.h"
#include "harness/xml.h"

/* ---- escaping ---- */

/* A path in an href: percent-encoded but for unreserved characters and '/'
 * (RFC 3986 2.3). */
static void h_href(FILE *out, const char *s)
{
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') || strchr("-._~/", *u))
			fputc(*u, out);
		else
			fprintf(out, "%%%02X", *u);
	}
}

/* ---- paths ---- */

/* target relative to the directory dir (both absolute, canonical). */
static void rel_path(const char *dir, const char *target, char *out, size_t len)
{
	size_t common = 0, i = 0, n = 0;

	/* The longest common prefix ending at a '/' of both. */
	while (dir[i] && target[i] && dir[i] == target[i]) {
		if (dir[i] == '/')
			common = i;
		i++;
	}
	if (!dir[i] && target[i] == '/')
		common = i;
	out[0] = '\0';
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && n + 4 < len) {
			memcpy(out + n, "../", 4);
			n += 3;
		}
	snprintf(out + n, len - n, "%s", target + common + 1);
}

/* The link to file from a page in dir, or 0 if file does not exist. */
static int link_to(const char *dir, const char *file, char *out, size_t len)
{
	char d[PATH_MAX], f[PATH_MAX];

	if (!realpath(dir, d) || !realpath(file, f))
		return 0;
	rel_path(d, f, out, len);
	return 1;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A lab id as a file name: what is not [A-Za-z0-9._-] becomes '_'. */
static void page_name(const char *id, char *out, size_t len)
{
	size_t n = 0;

	for (; *id && n + 6 < len; id++) {
		int keep = (*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
			   (*id >= '0' && *id <= '9') || (*id && strchr("_-", *id)) ||
			   (*id == '.' && n > 0);

		out[n++] = keep ? *id : '_';
	}
	snprintf(out + n, len - n, ".html");
}

/* ---- the page ---- */

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,"
	"sans-serif;margin:0 auto;max-width:1280px;padding:0 18px 48px;color:#1b1b1b;"
	"line-height:1.45}\n"
	"h1{font-size:1.55em;margin:.8em 0 .15em}h1 .title{font-weight:normal;color:#444}\n"
	"h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:2px solid #e3e3e3}\n"
	"a{color:#0b57a4}.meta{color:#555;font-size:.93em;margin:.2em 0}\n"
	"nav{font-size:.93em;margin:.6em 0}\n"
	".summary{display:inline-block;font-weight:bold;padding:.35em .8em;border-radius:4px;"
	"margin:.4em 0}\n"
	".ok{background:#e5f3e6;color:#1d5e22}.bad{background:#fde8e8;color:#a31515}\n"
	".error{background:#fde8e8;color:#a31515;padding:.6em .8em;border-radius:4px}\n"
	"table{border-collapse:collapse;width:100%;font-size:.93em}\n"
	"th,td{border-bottom:1px solid #e0e0e0;padding:5px 7px;text-align:left;"
	"vertical-align:top}\n"
	"thead th{background:#f3f5f7;position:sticky;top:0}\n"
	"td.verdict{white-space:nowrap;font-weight:bold}\n"
	"tr.holds td.verdict{color:#1e6b34}tr.fails td.verdict{color:#b71c1c}"
	"tr.na td.verdict{color:#666}\n"
	"tr.unexpected{background:#fff3f3}\n"
	".claim-id{font-family:'DejaVu Sans Mono',Consolas,monospace;font-weight:bold}\n"
	".why{color:#555;font-size:.93em;margin-top:.35em}\n"
	".expects{color:#b71c1c;font-weight:bold;margin-top:.35em}\n"
	"td.evidence{white-space:nowrap}td.evidence a{margin-right:.25em}\n"
	".ladder{overflow-x:auto;border:1px solid #e0e0e0;background:#fff}\n"
	".ladder svg{display:block}\n"
	"pre{font-size:12px;line-height:1.3;overflow-x:auto;background:#f7f7f7;padding:8px}\n"
	"table.packets td{font-family:'DejaVu Sans Mono',Consolas,monospace;font-size:.86em;"
	"white-space:nowrap}\n"
	"table.packets td.info{white-space:normal}\n"
	"tr.other td{color:#8a8a8a}\n"
	"tr.ev td:first-child{box-shadow:inset 4px 0 #8e244d}\n"
	"tr.bad td{color:#b71c1c}\n"
	"tr:target td,tr:target{background:#fff2a8}\n"
	"td.num{text-align:right}\n"
	"footer{margin-top:2em;color:#777;font-size:.85em}\n";

/* The head up to the title; the caller adds its meta elements, then
 * page_style() closes the head. */
static void page_head(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	      out);
	fprintf(out, "<meta name=\"generator\" content=\"wirelab %s\">\n", WIRELAB_VERSION);
	fputs("<title>", out);
	xml_put(out, title);
	fputs("</title>\n", out);
}

static void page_style(FILE *out)
{
	fprintf(out, "<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void meta(FILE *out, const char *name, const char *value)
{
	fprintf(out, "<meta name=\"wirelab-%s\" content=\"", name);
	xml_put(out, value ? value : "");
	fputs("\">\n", out);
}

/* "1,2,3" as links to the packet table: runs as "4–9". */
static void evidence_links(FILE *out, const struct claim_result *c)
{
	size_t i = 0;

	while (i < c->npackets) {
		size_t j = i;

		while (j + 1 < c->npackets && c->packets[j + 1] == c->packets[j] + 1)
			j++;
		fprintf(out, "<a href=\"#p%u\">%u</a>", c->packets[i], c->packets[i]);
		if (j == i + 1)
			fprintf(out, " <a href=\"#p%u\">%u</a>", c->packets[j], c->packets[j]);
		else if (j > i)
			fprintf(out, "–<a href=\"#p%u\">%u</a>", c->packets[j], c->packets[j]);
		fputc(' ', out);
		i = j + 1;
	}
}

static int cites(const struct claim_result *c, uint32_t n)
{
	size_t lo = 0, hi = c->npackets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->packets[mid] == n)
			return 1;
		if (c->packets[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void claims_table(FILE *out, const struct lab_report *r)
{
	fputs("<table class=\"claims\" id=\"claim-table\">\n<thead><tr><th>verdict</th>"
	      "<th>claim</th><th>the notes expect</th><th>the capture shows</th>"
	      "<th>evidence (packets)</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < r->nres; i++) {
		const struct claim_result *c = &r->res[i];
		int ok = report_claim_ok(r, c);
		const char *v = claim_verdict_name(c->verdict);

		fprintf(out, "<tr class=\"%s%s\" id=\"c-",
			c->verdict == LAB_HOLDS	  ? "holds"
			: c->verdict == LAB_FAILS ? "fails"
						  : "na",
			ok ? "" : " unexpected");
		xml_put(out, c->claim->id);
		fprintf(out, "\"><td class=\"verdict\">%s %s</td><td><span class=\"claim-id\">",
			c->verdict == LAB_HOLDS	  ? "✓"
			: c->verdict == LAB_FAILS ? "✗"
						  : "–",
			v);
		xml_put(out, c->claim->id);
		fputs("</span><br>", out);
		xml_put(out, c->claim->text);
		if (c->verdict != LAB_HOLDS && c->claim->why) {
			fputs("<div class=\"why\"><b>why:</b> ", out);
			xml_put(out, c->claim->why);
			fputs("</div>", out);
		}
		if (!ok) {
			fputs("<div class=\"expects\">this lab expects “", out);
			xml_put(out, claim_verdict_name(c->claim->verdict));
			fputs("”</div>", out);
		}
		fputs("</td><td>", out);
		xml_put(out, c->expected);
		fputs("</td><td>", out);
		xml_put(out, c->observed);
		fputs("</td><td class=\"evidence\">", out);
		evidence_links(out, c);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
}

static void addr_text(const struct pkt *p, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(p->ipver == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* One row of the packet table: show's columns. */
static void packet_row(FILE *out, const struct lab_report *r, const struct pkt *p, int in_stream)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[16];
	int ev = 0, bad = (p->flags & TCPF_RST) || p->err[0] ||
			  (p->analysis & (PKT_AN_RETRANSMISSION | PKT_AN_FAST_RETRANSMISSION |
					  PKT_AN_SPURIOUS_RETRANSMISSION));

	for (size_t i = 0; i < r->nres && !ev; i++)
		ev = cites(&r->res[i], p->n);
	fprintf(out, "<tr id=\"p%u\" class=\"%s%s%s\"><td class=\"num\">%u</td><td>%.6f</td>", p->n,
		in_stream ? "stream" : "other", ev ? " ev" : "", bad ? " bad" : "", p->n, p->t);
	if (p->ipver) {
		addr_text(p, p->src, src, sizeof(src));
		addr_text(p, p->dst, dst, sizeof(dst));
		if (p->is_tcp)
			fprintf(out, "<td>%s:%u</td><td>%s:%u</td>", src, p->sport, dst, p->dport);
		else
			fprintf(out, "<td>%s</td><td>%s</td>", src, dst);
	} else {
		fputs("<td></td><td></td>", out);
	}
	if (p->is_tcp) {
		show_tcp_flags(p, flags, sizeof(flags));
		fprintf(out, "<td>%s</td><td class=\"num\">%u</td><td class=\"num\">", flags,
			p->seq);
		if (p->ack_valid)
			fprintf(out, "%u", p->ack);
		fprintf(out, "</td><td class=\"num\">%u</td>", p->len);
	} else {
		fputs("<td></td><td></td><td></td><td></td>", out);
	}
	fputs("<td class=\"info\">", out);
	if (!p->is_tcp || show_has_message(p)) {
		xml_put(out, p->info);
	} else {
		/* As show: the columns say flags, seq, ack and len. */
		char notes[sizeof(p->opts) + 96];

		show_tcp_notes(p, notes, sizeof(notes));
		xml_put(out, notes);
	}
	if (p->err[0]) {
		fputs(" [malformed: ", out);
		xml_put(out, p->err);
		fputs("]", out);
	}
	fputs("</td><td>", out);
	for (size_t i = 0, first = 1; i < r->nres; i++) {
		if (!cites(&r->res[i], p->n))
			continue;
		fputs(first ? "" : " ", out);
		fputs("<a href=\"#c-", out);
		xml_put(out, r->res[i].claim->id);
		fputs("\">", out);
		xml_put(out, r->res[i].claim->id);
		fputs("</a>", out);
		first = 0;
	}
	fputs("</td></tr>\n", out);
}

/* The packet table: every frame of the capture, the lab stream's packets
 * as the claims saw them (decrypted with the run's key log, if any). */
static int packet_table(FILE *out, const struct lab_report *r)
{
	struct capfile *cf = NULL;
	struct dissect *d = NULL;
	struct pkt p;
	char err[512];
	int64_t ts;
	uint32_t wl, cl, n = 0;
	const uint8_t *data;
	size_t k = 0;
	int ret = -1, rd;

	memset(&p, 0, sizeof(p));
	fputs("<table class=\"packets\" id=\"packet-table\">\n<thead><tr><th>No.</th>"
	      "<th>Time</th><th>Source</th><th>Destination</th><th>Flags</th><th>Seq</th>"
	      "<th>Ack</th><th>Len</th><th>Info</th><th>cited by</th></tr></thead>\n<tbody>\n",
	      out);
	if (capture_open(r->capture, &cf, err, sizeof(err)) ||
	    dissect_new(capture_linktype(cf), &d, err, sizeof(err))) {
		fputs("</tbody>\n</table>\n<p class=\"error\">", out);
		xml_put(out, err);
		fputs("</p>\n", out);
		ret = 0;
		goto out;
	}
	while ((rd = capture_next(cf, &ts, &wl, &data, &cl, err, sizeof(err))) == 1) {
		if (dissect_frame(d, ts, wl, data, cl, &p))
			goto out;
		n++;
		if (n > HTML_MAX_ROWS)
			continue;
		if (p.stream >= 0 && p.stream == r->tr->stream) {
			while (k < r->tr->npkts && r->tr->pkts[k].n < p.n)
				k++;
			if (k < r->tr->npkts && r->tr->pkts[k].n == p.n) {
				packet_row(out, r, &r->tr->pkts[k], 1);
				continue;
			}
		}
		packet_row(out, r, &p, p.stream >= 0 && p.stream == r->tr->stream);
	}
	fputs("</tbody>\n</table>\n", out);
	if (n > HTML_MAX_ROWS)
		fprintf(out,
			"<p class=\"meta\">… %u more frames (the table stops at %d; "
			"<code>wirelab show</code> lists them all)</p>\n",
			n - HTML_MAX_ROWS, HTML_MAX_ROWS);
	if (rd < 0) {
		fputs("<p class=\"error\">", out);
		xml_put(out, err);
		fputs("</p>\n", out);
	}
	ret = 0;
out:
	pkt_clear(&p);
	dissect_free(d);
	capture_close(cf);
	return ret;
}

/* Links to the capture and to what sits beside it: LAB.keys (the TLS key
 * log) and LAB.pcapng (the capture with the key log inside). */
static void file_links(FILE *out, const struct lab_report *r, const char *dir)
{
	char rel[PATH_MAX], side[PATH_MAX];
	size_t len = strlen(r->capture);
	static const char *const exts[][2] = { { ".keys", "TLS key log" },
					       { ".pcapng", "pcapng" } };

	fputs("capture ", out);
	if (link_to(dir, r->capture, rel, sizeof(rel))) {
		fputs("<a href=\"", out);
		h_href(out, rel);
		fputs("\">", out);
		xml_put(out, base_name(r->capture));
		fputs("</a>", out);
	} else {
		xml_put(out, r->capture);
	}
	if (len > 5 && !strcmp(r->capture + len - 5, ".pcap"))
		len -= 5;
	else if (len > 7 && !strcmp(r->capture + len - 7, ".pcapng"))
		len -= 7;
	else
		return;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(side, sizeof(side), "%.*s%s", (int)len, r->capture, exts[i][0]);
		if (!strcmp(side, r->capture) || !link_to(dir, side, rel, sizeof(rel)))
			continue;
		fprintf(out, " · %s <a href=\"", exts[i][1]);
		h_href(out, rel);
		fputs("\">", out);
		xml_put(out, base_name(side));
		fputs("</a>", out);
	}
}

int html_lab_page(FILE *out, const struct lab_report *r, const char *dir)
{
	size_t cnt[3] = { 0, 0, 0 };
	char title[512], buf[128];
	int ok = report_exit_code(r) == EXIT_HOLDS;
	const char *ltitle = r->lab && r->lab->title ? r->lab->title : "";

	for (size_t i = 0; i < r->nres; i++)
		cnt[r->res[i].verdict]++;
	snprintf(title, sizeof(title), "wirelab · %s — %s", r->lab_id, ltitle);
	page_head(out, title);
	meta(out, "lab", r->lab_id);
	meta(out, "title", ltitle);
	meta(out, "capture", r->capture && access(r->capture, F_OK) == 0 ? r->capture : "");
	if (r->skipped)
		snprintf(buf, sizeof(buf), "skipped=1");
	else if (r->error)
		snprintf(buf, sizeof(buf), "error=1");
	else
		snprintf(buf, sizeof(buf), "holds=%zu fails=%zu na=%zu ok=%d", cnt[LAB_HOLDS],
			 cnt[LAB_FAILS], cnt[LAB_NA], ok);
	meta(out, "summary", buf);
	page_style(out);
	fputs("<header>\n<h1>", out);
	xml_put(out, r->lab_id);
	if (ltitle[0]) {
		fputs(" <span class=\"title\">— ", out);
		xml_put(out, ltitle);
		fputs("</span>", out);
	}
	fputs("</h1>\n<p class=\"meta\">", out);
	if (r->capture)
		file_links(out, r, dir);
	if (r->tr) {
		fprintf(out, " · tcp.stream %d · %zu packets", r->tr->stream, r->tr->npkts);
		if (r->tr->nstreams_match > 1)
			fprintf(out,
				" (the first of %d candidate streams; --stream N picks another)",
				r->tr->nstreams_match);
	}
	if (r->notes) {
		fputs(" · ", out);
		xml_put(out, r->notes);
	}
	if (r->seconds > 0)
		fprintf(out, " · %.2f s", r->seconds);
	fputs("</p>\n", out);
	if (r->skipped) {
		/* An optional lab whose program is missing: not a failure. */
		fputs("<p class=\"summary\" id=\"skipped\"><b>skipped:</b> ", out);
		xml_put(out, r->skipped);
		fputs("</p>\n", out);
	} else if (r->error) {
		fputs("<p class=\"error\" id=\"error\"><b>error:</b> ", out);
		xml_put(out, r->error);
		fputs("</p>\n", out);
	} else {
		fprintf(out,
			"<p class=\"summary %s\" id=\"summary\">%zu hold, %zu fail, %zu n/a — "
			"%s</p>\n",
			ok ? "ok" : "bad", cnt[LAB_HOLDS], cnt[LAB_FAILS], cnt[LAB_NA],
			ok ? "as the lab expects" : "NOT as the lab expects");
	}
	fputs("<nav><a href=\"index.html\">all labs</a>", out);
	if (r->tr)
		fputs(" · <a href=\"#claims\">claims</a> · <a href=\"#diagram\">ladder diagram</a>"
		      " · <a href=\"#packets\">packets</a>",
		      out);
	fputs("</nav>\n</header>\n<main>\n", out);
	if (r->tr) {
		fputs("<section id=\"claims\">\n<h2>Claims</h2>\n", out);
		claims_table(out, r);
		fputs("</section>\n<section id=\"diagram\">\n<h2>Ladder diagram</h2>\n"
		      "<p class=\"meta\">The lab's connection, one arrow per packet; a click on an "
		      "arrow shows its row in the packet table.</p>\n<div class=\"ladder\">\n",
		      out);
		if (diagram_write(out, r->tr, DIAGRAM_SVG, DIAGRAM_INLINE | DIAGRAM_LINKS))
			return -1;
		fputs("</div>\n<details><summary>The same as text</summary>\n<pre>", out);
		{
			char *txt = NULL;
			size_t tlen = 0;
			FILE *m = open_memstream(&txt, &tlen);

			if (!m)
				return -1;
			if (diagram_write(m, r->tr, DIAGRAM_TXT, 0) || fclose(m)) {
				free(txt);
				return -1;
			}
			xml_putn(out, txt, tlen);
			free(txt);
		}
		fputs("</pre>\n</details>\n</section>\n<section id=\"packets\">\n<h2>Packets</h2>\n"
		      "<p class=\"meta\">Every frame of the capture, as <code>wirelab show</code> "
		      "lists them; grey: not the lab's connection; a bar: cited as evidence.</p>\n",
		      out);
		if (packet_table(out, r))
			return -1;
		fputs("</section>\n", out);
	}
	fprintf(out, "</main>\n<footer>wirelab %s</footer>\n</body>\n</html>\n", WIRELAB_VERSION);
	return ferror(out) ? -1 : 0;
}

/* ---- files ---- */

/* Writes path through fn, whole or not at all (a temp file, then rename). */
static int write_atomic(const char *path, int (*fn)(FILE *, const void *, const char *),
			const void *arg, const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 32];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	errno = 0;
	bad = fn(f, arg, dir);
	if (fclose(f))
		bad = -1;
	if (!bad && rename(tmp, path))
		bad = -1;
	if (bad) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 errno ? strerror(errno) : "write error");
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int page_fn(FILE *f, const void *arg, const char *dir)
{
	return html_lab_page(f, arg, dir);
}

/* The value of <meta name="wirelab-NAME" content="..."> in text, unescaped. */
static int meta_value(const char *text, const char *name, char *out, size_t len)
{
	char key[64];
	const char *s, *e;
	size_t n = 0;

	snprintf(key, sizeof(key), "<meta name=\"wirelab-%s\" content=\"", name);
	s = strstr(text, key);
	if (!s)
		return 0;
	s += strlen(key);
	e = strchr(s, '"');
	if (!e)
		return 0;
	while (s < e && n + 1 < len) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = { { "&amp;", '&' },
			     { "&lt;", '<' },
			     { "&gt;", '>' },
			     { "&quot;", '"' },
			     { "&#39;", '\'' } };
		size_t i;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (!strncmp(s, ents[i].ent, strlen(ents[i].ent)))
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			out[n++] = ents[i].c;
			s += strlen(ents[i].ent);
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return 1;
}

static int html_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && !strcmp(e->d_name + n - 5, ".html") && strcmp(e->d_name, "index.html") &&
	       e->d_name[0] != '.';
}

/* The index: every wirelab page of dir, by name. */
static int index_fn(FILE *out, const void *arg, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, html_file, alphasort);
	size_t tot[3] = { 0, 0, 0 }, labs = 0, bad = 0;

	(void)arg;
	if (n < 0)
		return -1;
	page_head(out, "wirelab · labs");
	page_style(out);
	fputs("<header>\n<h1>wirelab <span class=\"title\">— labs</span></h1>\n"
	      "</header>\n<main>\n<table class=\"labs\" id=\"lab-table\">\n<thead><tr><th>lab</th>"
	      "<th>title</th><th>holds</th><th>fails</th><th>n/a</th><th>outcome</th>"
	      "<th>capture</th></tr></thead>\n<tbody>\n",
	      out);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 256], head[8192], lab[256], title[512], summary[128],
			capture[PATH_MAX];
		size_t h, na = 0, holds = 0, fails = 0;
		int ok = 0, error = 0, skipped = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		h = fread(head, 1, sizeof(head) - 1, f);
		fclose(f);
		head[h] = '\0';
		if (!meta_value(head, "lab", lab, sizeof(lab)) ||
		    !meta_value(head, "summary", summary, sizeof(summary)))
			continue; /* not a wirelab page */
		if (!meta_value(head, "title", title, sizeof(title)))
			title[0] = '\0';
		if (!meta_value(head, "capture", capture, sizeof(capture)))
			capture[0] = '\0';
		if (!strcmp(summary, "skipped=1"))
			skipped = 1;
		else if (!strcmp(summary, "error=1"))
			error = 1;
		else if (sscanf(summary, "holds=%zu fails=%zu na=%zu ok=%d", &holds, &fails, &na,
				&ok) != 4)
			continue;
		labs++;
		bad += !skipped && (error || !ok);
		tot[0] += holds;
		tot[1] += fails;
		tot[2] += na;
		fputs("<tr><td><a href=\"", out);
		h_href(out, names[i]->d_name);
		fputs("\">", out);
		xml_put(out, lab);
		fputs("</a></td><td>", out);
		xml_put(out, title);
		if (skipped)
			fputs("</td><td></td><td></td><td></td><td>skipped", out);
		else if (error)
			fputs("</td><td></td><td></td><td></td><td class=\"bad\">error", out);
		else
			fprintf(out,
				"</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td>"
				"<td class=\"num\">%zu</td><td class=\"%s\">%s",
				holds, fails, na, ok ? "ok" : "bad",
				ok ? "as the lab expects" : "NOT as the lab expects");
		fputs("</td><td>", out);
		xml_put(out, base_name(capture));
		fputs("</td></tr>\n", out);
	}
	fprintf(out,
		"</tbody>\n<tfoot><tr><th>%zu labs</th><th></th><th class=\"num\">%zu</th>"
		"<th class=\"num\">%zu</th><th class=\"num\">%zu</th><th class=\"%s\">%s</th>"
		"<th></th></tr></tfoot>\n</table>\n",
		labs, tot[0], tot[1], tot[2], bad ? "bad" : "ok",
		bad ? "not all as expected" : "all as expected");
	fprintf(out, "</main>\n<footer>wirelab %s</footer>\n</body>\n</html>\n", WIRELAB_VERSION);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ferror(out) ? -1 : 0;
}

int html_write(const char *dir, const struct lab_report *r, size_t n, char *err, size_t errlen)
{
	char path[PATH_MAX + 256], name[256];

	if (cli_mkdir_p(dir, err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		page_name(r[i].lab_id, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (write_atomic(path, page_fn, &r[i], dir, err, errlen))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/index.html", dir);
	return write_atomic(path, index_fn, NULL, dir, err, errlen);
}

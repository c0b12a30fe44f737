/* harness/report.c — terminal, JSON and JUnit output of verdicts. */
#include "harness/report.h"

#include <errno.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/json.h"
#include "harness/xml.h"

int report_claim_ok(const struct lab_report *r, const struct claim_result *c)
{
	if (r->strict)
		return c->verdict == c->claim->verdict;
	return !(c->claim->verdict == LAB_HOLDS && c->verdict == LAB_FAILS);
}

int report_exit_code(const struct lab_report *r)
{
	if (r->skipped)
		return EXIT_HOLDS;
	if (r->error)
		return EXIT_INPUT;
	for (size_t i = 0; i < r->nres; i++)
		if (!report_claim_ok(r, &r->res[i]))
			return EXIT_CLAIM;
	return EXIT_HOLDS;
}

/* The claim's evidence as a Wireshark display filter, to paste into the
 * filter bar: "tcp.stream eq 0 && frame.number in {4, 5}" (Wireshark 4 sets
 * take commas). */
static void wireshark_filter(FILE *out, const struct lab_report *r, const struct claim_result *c)
{
	fprintf(out, "tcp.stream eq %d && frame.number in {", r->tr->stream);
	for (size_t i = 0; i < c->npackets; i++)
		fprintf(out, "%s%u", i ? ", " : "", c->packets[i]);
	fputc('}', out);
}

static void packets_text(FILE *out, const struct claim_result *c)
{
	size_t i = 0;

	while (i < c->npackets) {
		size_t j = i;

		while (j + 1 < c->npackets && c->packets[j + 1] == c->packets[j] + 1)
			j++;
		fprintf(out, "%s%u", i ? "," : "", c->packets[i]);
		if (j > i)
			fprintf(out, "%s%u", j == i + 1 ? "," : "-", c->packets[j]);
		i = j + 1;
	}
}

void report_text(FILE *out, const struct lab_report *r, int color)
{
	const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "";
	const char *dim = color ? "\033[2m" : "", *bold = color ? "\033[1m" : "";
	const char *off = color ? "\033[0m" : "";
	size_t cnt[3] = { 0, 0, 0 }, bad = 0;

	fprintf(out, "%s%s%s", bold, r->lab_id, off);
	if (r->lab)
		fprintf(out, " — %s", r->lab->title);
	fputc('\n', out);
	if (r->skipped) {
		fprintf(out, "  %sskipped:%s %s\n\n", dim, off, r->skipped);
		return;
	}
	if (r->error) {
		fprintf(out, "  %serror:%s %s\n\n", red, off, r->error);
		return;
	}
	fprintf(out, "  %scapture %s, tcp.stream %d, %zu packets", dim, r->capture, r->tr->stream,
		r->tr->npkts);
	if (r->tr->nstreams_match > 1)
		fprintf(out, " (first of %d candidate streams; --stream N picks another)",
			r->tr->nstreams_match);
	if (r->notes)
		fprintf(out, "; %s", r->notes);
	fprintf(out, "%s\n", off);
	for (size_t i = 0; i < r->nres; i++) {
		const struct claim_result *c = &r->res[i];
		int ok = report_claim_ok(r, c);
		const char *mark = c->verdict == LAB_HOLDS   ? "✓"
				   : c->verdict == LAB_FAILS ? "✗"
							     : "–";

		cnt[c->verdict]++;
		bad += !ok;
		fprintf(out, "  %s%s %-5s%s %s%s%s  %s\n", ok ? green : red, mark,
			claim_verdict_name(c->verdict), off, bold, c->claim->id, off,
			c->claim->text);
		fprintf(out, "      expected: %s\n      observed: %s", c->expected, c->observed);
		if (c->npackets) {
			fprintf(out, "  (packet%s ", c->npackets > 1 ? "s" : "");
			packets_text(out, c);
			fputc(')', out);
		}
		fputc('\n', out);
		if (c->npackets) {
			fprintf(out, "      %sin Wireshark: ", dim);
			wireshark_filter(out, r, c);
			fprintf(out, "%s\n", off);
		}
		if (c->verdict != LAB_HOLDS && c->claim->why)
			fprintf(out, "      why: %s\n", c->claim->why);
		if (!ok)
			fprintf(out, "      %sthis lab expects \"%s\"%s\n", red,
				claim_verdict_name(c->claim->verdict), off);
	}
	fprintf(out, "  %s%zu hold, %zu fail, %zu n/a%s — %s%s%s", dim, cnt[LAB_HOLDS],
		cnt[LAB_FAILS], cnt[LAB_NA], off, bad ? red : green,
		bad ? "NOT as the lab expects" : "as the lab expects", off);
	if (r->seconds > 0)
		fprintf(out, " %s(%.2f s)%s", dim, r->seconds, off);
	fputs("\n\n", out);
}

void report_json(FILE *out, const struct lab_report *r)
{
	size_t cnt[3] = { 0, 0, 0 };

	fputs("{\"lab\": ", out);
	json_cstr(out, r->lab_id);
	fputs(", \"capture\": ", out);
	json_cstr(out, r->capture);
	if (r->skipped) {
		fputs(", \"skipped\": ", out);
		json_cstr(out, r->skipped);
	} else if (r->error) {
		fputs(", \"error\": ", out);
		json_cstr(out, r->error);
	}
	if (r->tr)
		fprintf(out, ", \"stream\": %d", r->tr->stream);
	fputs(", \"claims\": [", out);
	for (size_t i = 0; i < r->nres; i++) {
		const struct claim_result *c = &r->res[i];

		cnt[c->verdict]++;
		fprintf(out, "%s\n  {\"id\": ", i ? "," : "");
		json_cstr(out, c->claim->id);
		fprintf(out,
			", \"verdict\": \"%s\", \"expected\": ", claim_verdict_name(c->verdict));
		json_cstr(out, c->expected);
		fputs(", \"observed\": ", out);
		json_cstr(out, c->observed);
		fputs(", \"packets\": [", out);
		for (size_t j = 0; j < c->npackets; j++)
			fprintf(out, "%s%u", j ? "," : "", c->packets[j]);
		fputs("], \"filter\": \"", out);
		if (r->tr && c->npackets)
			wireshark_filter(out, r, c);
		fputs("\", \"why\": ", out);
		json_cstr(out, c->verdict != LAB_HOLDS && c->claim->why ? c->claim->why : "");
		fputs(", \"text\": ", out);
		json_cstr(out, c->claim->text);
		fprintf(out, ", \"lab_expects\": \"%s\", \"as_expected\": %s}",
			claim_verdict_name(c->claim->verdict),
			c->verdict == c->claim->verdict ? "true" : "false");
	}
	fprintf(out, "%s], \"summary\": {\"holds\": %zu, \"fails\": %zu, \"n/a\": %zu}}",
		r->nres ? "\n" : "", cnt[LAB_HOLDS], cnt[LAB_FAILS], cnt[LAB_NA]);
}

int report_junit(const char *path, const struct lab_report *r, size_t n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	size_t tests = 0, failures = 0, errors = 0;

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].skipped) {
			tests++;
		} else if (r[i].error) {
			errors++;
			tests++;
		}
		for (size_t j = 0; j < r[i].nres; j++) {
			tests++;
			failures += !report_claim_ok(&r[i], &r[i].res[j]);
		}
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"wirelab\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
		tests, failures, errors);
	for (size_t i = 0; i < n; i++) {
		size_t lf = 0;

		for (size_t j = 0; j < r[i].nres; j++)
			lf += !report_claim_ok(&r[i], &r[i].res[j]);
		fputs("  <testsuite name=\"", f);
		xml_put(f, r[i].lab_id);
		fprintf(f,
			"\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" skipped=\"%d\" "
			"time=\"%.3f\">\n",
			r[i].error || r[i].skipped ? 1 : r[i].nres, lf,
			r[i].error && !r[i].skipped ? 1 : 0, r[i].skipped ? 1 : 0, r[i].seconds);
		if (r[i].skipped) {
			fputs("    <testcase classname=\"wirelab.", f);
			xml_put(f, r[i].lab_id);
			fputs("\" name=\"run\">\n      <skipped message=\"", f);
			xml_put(f, r[i].skipped);
			fputs("\"/>\n    </testcase>\n", f);
		} else if (r[i].error) {
			fputs("    <testcase classname=\"wirelab.", f);
			xml_put(f, r[i].lab_id);
			fputs("\" name=\"run\">\n      <error message=\"", f);
			xml_put(f, r[i].error);
			fputs("\"/>\n    </testcase>\n", f);
		}
		for (size_t j = 0; j < r[i].nres; j++) {
			const struct claim_result *c = &r[i].res[j];

			fputs("    <testcase classname=\"wirelab.", f);
			xml_put(f, r[i].lab_id);
			fputs("\" name=\"", f);
			xml_put(f, c->claim->id);
			fputs("\">\n", f);
			if (!report_claim_ok(&r[i], c)) {
				fprintf(f,
					"      <failure message=\"verdict %s, the lab expects %s: ",
					claim_verdict_name(c->verdict),
					claim_verdict_name(c->claim->verdict));
				xml_put(f, c->observed);
				fputs("\"/>\n", f);
			}
			fputs("      <system-out>", f);
			xml_put(f, c->claim->text);
			fputs("\nexpected: ", f);
			xml_put(f, c->expected);
			fputs("\nobserved: ", f);
			xml_put(f, c->observed);
			fputs("\npackets:", f);
			for (size_t k = 0; k < c->npackets; k++)
				fprintf(f, " %u", c->packets[k]);
			fputs("</system-out>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A TAP description may not hold '#' (a directive) nor a newline. */
static void tap_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '#' ? '_' : *s == '\n' ? ' ' : *s, f);
}

void report_tap(FILE *out, const struct lab_report *r, size_t n)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		total += r[i].skipped || r[i].error ? 1 : r[i].nres;
	fprintf(out, "TAP version 13\n1..%zu\n", total);
	for (size_t i = 0; i < n; i++) {
		if (r[i].skipped || r[i].error) {
			fprintf(out, "%s %zu - %s # %s ", r[i].skipped ? "ok" : "not ok", ++k,
				r[i].lab_id, r[i].skipped ? "SKIP" : "error:");
			tap_text(out, r[i].skipped ? r[i].skipped : r[i].error);
			fputc('\n', out);
			continue;
		}
		for (size_t j = 0; j < r[i].nres; j++) {
			const struct claim_result *c = &r[i].res[j];

			fprintf(out,
				"%s %zu - %s %s: ", report_claim_ok(&r[i], c) ? "ok" : "not ok",
				++k, r[i].lab_id, c->claim->id);
			tap_text(out, c->claim->text);
			fprintf(out, " (%s", claim_verdict_name(c->verdict));
			if (c->verdict != c->claim->verdict)
				fprintf(out, ", the lab expects %s",
					claim_verdict_name(c->claim->verdict));
			fputs(")\n  ---\n  observed: \"", out);
			for (const char *o = c->observed; o && *o; o++)
				fputs(*o == '"'	   ? "\\\""
				      : *o == '\\' ? "\\\\"
						   : (char[2]){ *o, 0 },
				      out);
			fputs("\"\n  packets: [", out);
			for (size_t q = 0; q < c->npackets; q++)
				fprintf(out, "%s%u", q ? ", " : "", c->packets[q]);
			fputs("]\n  ...\n", out);
		}
	}
}

/* harness/html.h — the HTML report of `run --html DIR` and `check --html
 * DIR`: one self-contained page per lab (DIR/LAB.html: inline CSS, the
 * ladder diagram as inline SVG, no script, nothing fetched) with the claims,
 * their verdicts and evidence linked to the rows of the packet table, and
 * DIR/index.html listing every lab page in DIR with its summary.
 */
#ifndef WIRELAB_HTML_H
#define WIRELAB_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "harness/report.h"

/* Rows of a page's packet table at most (the diagram has its own limit). */
#define HTML_MAX_ROWS 5000

/* Writes DIR/<lab id>.html for each of the n reports (DIR is made if
 * missing), then rewrites DIR/index.html from the wirelab pages found in
 * DIR, so that several `check --html DIR` runs add up. Each file appears
 * whole or not at all. Returns 0, or -1 with err naming the file ("cannot
 * write out/http.html: No space left on device"). */
int html_write(const char *dir, const struct lab_report *r, size_t n, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* One lab's page to out. dir is the directory the page goes to: links to
 * the capture, its key log and pcapng are made relative to it. The packet
 * table rereads r->capture (the lab stream's rows come from r->tr, as the
 * claims saw them). Returns 0, or -1 on a write error or ENOMEM. */
int html_lab_page(FILE *out, const struct lab_report *r, const char *dir);

#endif

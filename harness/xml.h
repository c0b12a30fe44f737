/* harness/xml.h — text for XML and HTML (the SVG ladder, the HTML report):
 * every byte of a stranger's capture comes out escaped and valid UTF-8. */
#ifndef WIRELAB_XML_H
#define WIRELAB_XML_H

#include <stddef.h>
#include <stdio.h>

/* Text or attribute value: & < > " ' escaped, invalid UTF-8 and control
 * characters (but newline and tab) as U+FFFD; stops at a NUL. */
void xml_putn(FILE *out, const char *s, size_t n);
void xml_put(FILE *out, const char *s); /* NULL writes nothing */

#endif

/* harness/certgen.h — a throwaway self-signed certificate for the TLS labs.
 *
 * The labs' nginx needs a certificate for the name the client asks for
 * (pi.lab). It is made at run time, never checked in: nothing secret lives
 * in the tree.
 */
#ifndef WIRELAB_CERTGEN_H
#define WIRELAB_CERTGEN_H

#include <stddef.h>

/* Writes dir/cert.pem (X.509 v3, self-signed, subject and issuer CN=cn,
 * subjectAltName DNS:cn, valid from one day ago for 30 days) and dir/key.pem
 * (its EC P-256 key, PKCS#8, mode 0600). Returns 0, or -1 with err filled as
 * one line ("cannot write /tmp/x/key.pem: Permission denied"). */
int certgen_selfsigned(const char *dir, const char *cn, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif

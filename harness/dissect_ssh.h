/* harness/dissect_ssh.h — the algorithm choice of the SSH dissector
 * (dissect_ssh.c; the dissector itself is proto_ssh in dissect.h).
 *
 * SSH never sends the algorithms it chose: each side computes them from the
 * two KEXINIT messages (RFC 4253 7.1). These are the rules, pure, so that
 * tests can exercise them on lists ordered differently by the two sides.
 */
#ifndef WIRELAB_DISSECT_SSH_H
#define WIRELAB_DISSECT_SSH_H

#include <stddef.h>

/* Room for one algorithm name: RFC 4251 6 limits names to 64 characters. */
#define SSH_NAME_BUF 65

/* The first name of the client's name-list that the server's list also
 * holds (RFC 4253 7.1). Pseudo-algorithms that only signal an extension
 * (ext-info-c/-s, kex-strict-c/s-v00@openssh.com) are never chosen. Returns
 * 0 with the name in out, or -1 with out "" when there is no common name (or
 * it does not fit in outlen). */
int ssh_negotiate(const char *client_list, const char *server_list, char *out, size_t outlen);

/* The key exchange method: as ssh_negotiate, and only if the two sides also
 * share a host key algorithm, which every method needs (RFC 4253 7.1: "if
 * the algorithm requires a signature-capable host key, there is a
 * signature-capable algorithm on the server's server_host_key_algorithms
 * that is also supported by the client"; every method defined so far needs
 * one, and every host key algorithm can sign). */
int ssh_negotiate_kex(const char *client_kex, const char *server_kex, const char *client_hostkey,
		      const char *server_hostkey, char *out, size_t outlen);

/* 1 for a cipher that authenticates by itself (an AEAD mode), whose MAC is
 * then not negotiated: OpenSSH prints it as "MAC: <implicit>". */
int ssh_cipher_is_aead(const char *cipher);

#endif

/* harness/keylog.h — TLS secrets: the NSS key log format, the cipher suite
 * registry (and the names of TLS's other registries), and the decryption of
 * TLS 1.2 and 1.3 records.
 *
 * A key log (SSLKEYLOGFILE, as curl, browsers and `openssl s_client
 * -keylogfile` write it: the format NSS documented, since written up as
 * draft-ietf-tls-keylogfile) has one secret per line:
 *
 *   CLIENT_RANDOM <64 hex: ClientHello.random> <96 hex: TLS 1.2 master secret>
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <hex secret>   (TLS 1.3)
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 *   SERVER_TRAFFIC_SECRET_0, CLIENT_EARLY_TRAFFIC_SECRET, EXPORTER_SECRET ...
 *
 * A connection's secrets are found by the random of its ClientHello. The
 * decryptor turns them into record keys (the TLS 1.2 PRF's key expansion,
 * RFC 5246 6.3; TLS 1.3's HKDF-Expand-Label, RFC 8446 7.1 and 7.3) and opens
 * AES-128-GCM, AES-256-GCM (RFC 5288) and ChaCha20-Poly1305 (RFC 7905)
 * records with OpenSSL's EVP interfaces.
 */
#ifndef WIRELAB_KEYLOG_H
#define WIRELAB_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

/* ---- cipher suites (IANA "TLS Cipher Suites" registry) ---- */

enum tls_kx {
	TLS_KX_ANY,   /* TLS 1.3: chosen by the key_share/pre_shared_key extensions */
	TLS_KX_RSA,   /* RSA key transport: no forward secrecy */
	TLS_KX_DHE,   /* finite-field Diffie-Hellman, ephemeral (and anonymous) */
	TLS_KX_ECDHE, /* elliptic-curve Diffie-Hellman, ephemeral */
	TLS_KX_PSK,
	TLS_KX_DHE_PSK,
	TLS_KX_ECDHE_PSK,
	TLS_KX_RSA_PSK,
	TLS_KX_SRP,
	TLS_KX_NONE, /* signalling values (SCSV), TLS_NULL_WITH_NULL_NULL */
};

enum tls_aead {
	TLS_AEAD_OTHER, /* a cipher wirelab does not decrypt (CBC, CCM, ARIA, ...) */
	TLS_AEAD_AES_128_GCM,
	TLS_AEAD_AES_256_GCM,
	TLS_AEAD_CHACHA20_POLY1305,
};

/* The hash of the TLS 1.2 PRF / TLS 1.3 HKDF. */
enum tls_hash { TLS_HASH_SHA256, TLS_HASH_SHA384 };

struct tls_suite {
	uint16_t id;
	enum tls_kx kx;
	enum tls_aead aead;
	enum tls_hash hash;
	const char *name; /* IANA: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" */
};

/* The suite with that code point, or NULL if wirelab does not know it. */
const struct tls_suite *tls_suite_find(uint16_t id);
/* "ECDHE", "DHE", "RSA", "PSK", "ECDHE_PSK", ... ("" for TLS_KX_ANY/NONE). */
const char *tls_kx_name(enum tls_kx kx);

/* Names as Wireshark shows them ("TLS 1.3", "Client Hello", "Protocol
 * Version", "x25519"), GREASE values (RFC 8701) as "Reserved (GREASE)";
 * NULL for a value wirelab does not know. */
const char *tls_version_name(uint16_t v);
const char *tls_handshake_name(uint8_t type);
const char *tls_alert_name(uint8_t desc);
const char *tls_group_name(uint16_t group);
/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
int tls_is_grease(uint16_t v);

/* ---- the key log ---- */

enum keylog_label {
	KEYLOG_CLIENT_RANDOM,
	KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET,
	KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET,
	KEYLOG_CLIENT_TRAFFIC_SECRET_0,
	KEYLOG_SERVER_TRAFFIC_SECRET_0,
	KEYLOG_EARLY_EXPORTER_SECRET,
	KEYLOG_EXPORTER_SECRET,
};

struct keylog;

/* Reads a key log file. Lines of other labels (RSA, ...) and comments are
 * skipped; a malformed line of a known label is skipped too, as Wireshark
 * does (a browser killed mid-write leaves half a line), and described by
 * keylog_problem(). Returns 0 with *out (possibly holding no secret), or -1
 * with err ("keys.txt: No such file or directory"). *out is NULL on entry. */
int keylog_load(const char *path, struct keylog **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The same from memory (a pcapng Decryption Secrets Block, a test); name
 * is used in keylog_problem()'s text. */
int keylog_parse(const char *text, size_t len, const char *name, struct keylog **out, char *err,
		 size_t errlen) __attribute__((warn_unused_result));

void keylog_free(struct keylog *kl);

/* Secrets held; the first malformed line ("keys.txt:3: CLIENT_RANDOM: secret
 * is not 48 bytes of hex") or NULL, and how many lines were malformed. */
size_t keylog_count(const struct keylog *kl);
const char *keylog_problem(const struct keylog *kl);
size_t keylog_nbad(const struct keylog *kl);

/* The secret logged under label for that ClientHello.random: 1 and
 * secret and len (owned by kl) if present, else 0. */
int keylog_find(const struct keylog *kl, enum keylog_label label, const uint8_t client_random[32],
		const uint8_t **secret, size_t *len);

/* ---- record decryption of one connection ---- */

struct tls_decrypt;

/* A decryptor for the connection whose ClientHello/ServerHello carried
 * these randoms and chose version (0x0303, or 0x0304 from
 * supported_versions) and suite. Returns 0 and *out, or -1 with err saying
 * why it cannot decrypt ("no CLIENT_RANDOM for client random 8a1f...",
 * "TLS_RSA_WITH_AES_128_CBC_SHA is not decrypted by wirelab"). */
int tls_decrypt_new(const struct keylog *kl, uint16_t version, uint16_t suite,
		    const uint8_t client_random[32], const uint8_t server_random[32],
		    struct tls_decrypt **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* TLS 1.2: direction dir (0 client, 1 server) sent ChangeCipherSpec: its
 * next records are protected, sequence numbers from 0 (RFC 5246 6.1). */
void tls_decrypt_ccs(struct tls_decrypt *d, int dir);

/* Opens one protected record of direction dir: type and version as in its
 * header, frag its len bytes. The plaintext (at most len bytes) goes to
 * out; *inner_type is the content type (TLS 1.3: the one inside
 * TLSInnerPlaintext, RFC 8446 5.2). TLS 1.3 keys move on by themselves:
 * a record that does not open under the direction's current keys is tried
 * under the next ones (handshake -> application -> each KeyUpdate).
 * Returns 0, or -1 with err ("record 3 of the server does not authenticate").
 * A record that does not authenticate leaves the sequence numbers as they
 * were. */
int tls_decrypt_record(struct tls_decrypt *d, int dir, uint8_t type, uint16_t version,
		       const uint8_t *frag, size_t len, uint8_t *out, size_t *outlen,
		       uint8_t *inner_type, char *err, size_t errlen);

void tls_decrypt_free(struct tls_decrypt *d);

/* The key log the TLS dissector (dissect_tls.c) decrypts with, for every
 * stream dissected after the call; NULL: none. kl must outlive them. */
void dissect_tls_set_keylog(const struct keylog *kl);

#endif

/* harness/keylog.c — TLS secrets: key log parsing, cipher suites, record
 * decryption (see keylog.h).
 *
 * TLS 1.2 (RFC 5246 6.3): key_block = PRF(master_secret, "key expansion",
 * server_random + client_random), cut into client_write_key,
 * server_write_key, client_write_IV, server_write_IV (AEAD suites have no
 * MAC keys). AES-GCM records carry an 8-byte explicit nonce and use
 * nonce = IV(4) || explicit (RFC 5288 3); ChaCha20-Poly1305 records use
 * nonce = IV(12) XOR seq (RFC 7905 2). Both authenticate
 *   additional_data = seq_num(8) || type(1) || version(2) || plaintext length(2).
 *
 * TLS 1.3 (RFC 8446 7.1, 7.3, 5.2, 5.3): key = HKDF-Expand-Label(secret,
 * "key", "", key_length), iv = HKDF-Expand-Label(secret, "iv", "", 12),
 * nonce = iv XOR seq, additional_data = the record header, and the
 * plaintext ends with the real content type followed by zero padding.
 * Each direction starts at its handshake traffic secret, moves to
 * *_TRAFFIC_SECRET_0 after its Finished, and on KeyUpdate to
 * HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) (RFC 8446 7.2).
 *
 * Sequence numbers count the records of one direction under one key,
 * from 0 (RFC 5246 6.1, RFC 8446 5.3).
 */
#include "harness/keylog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/* ---- cipher suites ---- */

/* Sorted by code point. Generated from `openssl ciphers -V -stdname
 * 'ALL:COMPLEMENTOFALL:eNULL:@SECLEVEL=0'` (OpenSSL prints the IANA names),
 * plus the TLS 1.3 CCM suites, the signalling values and the RC4, DES and
 * 3DES suites that OpenSSL 3 no longer builds but old clients still offer. */
static const struct tls_suite suites[] = {
	{ 0x0000, TLS_KX_NONE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_NULL_WITH_NULL_NULL" },
	{ 0x0001, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_NULL_MD5" },
	{ 0x0002, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_NULL_SHA" },
	{ 0x0004, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_RC4_128_MD5" },
	{ 0x0005, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0x0009, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_DES_CBC_SHA" },
	{ 0x000a, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0013, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0015, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_DES_CBC_SHA" },
	{ 0x0016, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x002c, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_NULL_SHA" },
	{ 0x002d, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_PSK_WITH_NULL_SHA" },
	{ 0x002e, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_PSK_WITH_NULL_SHA" },
	{ 0x002f, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0032, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
	{ 0x0033, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0034, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DH_anon_WITH_AES_128_CBC_SHA" },
	{ 0x0035, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0038, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" },
	{ 0x0039, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003a, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DH_anon_WITH_AES_256_CBC_SHA" },
	{ 0x003b, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_NULL_SHA256" },
	{ 0x003c, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0040, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256" },
	{ 0x0041, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0044, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0045, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0046, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0067, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006a, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256" },
	{ 0x006b, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x006c, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_AES_128_CBC_SHA256" },
	{ 0x006d, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_AES_256_CBC_SHA256" },
	{ 0x0084, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0087, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0088, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0089, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x008c, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x008d, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x0090, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x0091, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x0094, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x0095, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x009c, TLS_KX_RSA, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, TLS_KX_RSA, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009e, TLS_KX_DHE, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, TLS_KX_DHE, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x00a2, TLS_KX_DHE, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" },
	{ 0x00a3, TLS_KX_DHE, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384" },
	{ 0x00a6, TLS_KX_DHE, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_AES_128_GCM_SHA256" },
	{ 0x00a7, TLS_KX_DHE, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_DH_anon_WITH_AES_256_GCM_SHA384" },
	{ 0x00a8, TLS_KX_PSK, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00a9, TLS_KX_PSK, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00aa, TLS_KX_DHE_PSK, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ab, TLS_KX_DHE_PSK, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00ac, TLS_KX_RSA_PSK, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ad, TLS_KX_RSA_PSK, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00ae, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00af, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x00b0, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_NULL_SHA256" },
	{ 0x00b1, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_PSK_WITH_NULL_SHA384" },
	{ 0x00b2, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00b3, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x00b4, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_PSK_WITH_NULL_SHA256" },
	{ 0x00b5, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_DHE_PSK_WITH_NULL_SHA384" },
	{ 0x00b6, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00b7, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x00b8, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_PSK_WITH_NULL_SHA256" },
	{ 0x00b9, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_RSA_PSK_WITH_NULL_SHA384" },
	{ 0x00ba, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00bd, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00be, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00bf, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00c0, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00c3, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00c4, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00c5, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00ff, TLS_KX_NONE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x1301, TLS_KX_ANY, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, TLS_KX_ANY, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, TLS_KX_ANY, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, TLS_KX_ANY, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, TLS_KX_ANY, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x5600, TLS_KX_NONE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_FALLBACK_SCSV" },
	{ 0xc006, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_ECDHE_ECDSA_WITH_NULL_SHA" },
	{ 0xc007, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" },
	{ 0xc008, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc009, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc010, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_ECDHE_RSA_WITH_NULL_SHA" },
	{ 0xc011, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
	{ 0xc012, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc013, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc015, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_ECDH_anon_WITH_NULL_SHA" },
	{ 0xc018, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" },
	{ 0xc019, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDH_anon_WITH_AES_256_CBC_SHA" },
	{ 0xc01d, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA" },
	{ 0xc01e, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc01f, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA" },
	{ 0xc020, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA" },
	{ 0xc021, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc022, TLS_KX_SRP, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA" },
	{ 0xc023, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc027, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc02b, TLS_KX_ECDHE, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, TLS_KX_ECDHE, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, TLS_KX_ECDHE, TLS_AEAD_AES_128_GCM, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, TLS_KX_ECDHE, TLS_AEAD_AES_256_GCM, TLS_HASH_SHA384,
	  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc035, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0xc036, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0xc037, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0xc038, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0xc039, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_NULL_SHA" },
	{ 0xc03a, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_NULL_SHA256" },
	{ 0xc03b, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_PSK_WITH_NULL_SHA384" },
	{ 0xc050, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc051, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc052, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc053, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc056, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc057, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc05c, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc05d, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc060, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc061, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06a, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06b, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384, "TLS_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06c, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06d, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06e, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06f, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc072, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc073, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc076, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc077, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc094, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc095, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc096, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc097, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc098, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc099, TLS_KX_RSA_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc09a, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xc09b, TLS_KX_ECDHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA384,
	  "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xc09c, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xc09d, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xc09e, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_128_CCM" },
	{ 0xc09f, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_256_CCM" },
	{ 0xc0a0, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a1, TLS_KX_RSA, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_RSA_WITH_AES_256_CCM_8" },
	{ 0xc0a2, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a3, TLS_KX_DHE, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_RSA_WITH_AES_256_CCM_8" },
	{ 0xc0a4, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_128_CCM" },
	{ 0xc0a5, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_256_CCM" },
	{ 0xc0a6, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_PSK_WITH_AES_128_CCM" },
	{ 0xc0a7, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_DHE_PSK_WITH_AES_256_CCM" },
	{ 0xc0a8, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_128_CCM_8" },
	{ 0xc0a9, TLS_KX_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256, "TLS_PSK_WITH_AES_256_CCM_8" },
	{ 0xc0aa, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_PSK_DHE_WITH_AES_128_CCM_8" },
	{ 0xc0ab, TLS_KX_DHE_PSK, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_PSK_DHE_WITH_AES_256_CCM_8" },
	{ 0xc0ac, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xc0ad, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xc0ae, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0xc0af, TLS_KX_ECDHE, TLS_AEAD_OTHER, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	{ 0xcca8, TLS_KX_ECDHE, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, TLS_KX_ECDHE, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, TLS_KX_DHE, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccab, TLS_KX_PSK, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccac, TLS_KX_ECDHE_PSK, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccad, TLS_KX_DHE_PSK, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccae, TLS_KX_RSA_PSK, TLS_AEAD_CHACHA20_POLY1305, TLS_HASH_SHA256,
	  "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256" },
};

const struct tls_suite *tls_suite_find(uint16_t id)
{
	size_t lo = 0, hi = sizeof(suites) / sizeof(suites[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (suites[mid].id == id)
			return &suites[mid];
		if (suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *tls_kx_name(enum tls_kx kx)
{
	switch (kx) {
	case TLS_KX_ANY:
	case TLS_KX_NONE:
		return "";
	case TLS_KX_RSA:
		return "RSA";
	case TLS_KX_DHE:
		return "DHE";
	case TLS_KX_ECDHE:
		return "ECDHE";
	case TLS_KX_PSK:
		return "PSK";
	case TLS_KX_DHE_PSK:
		return "DHE_PSK";
	case TLS_KX_ECDHE_PSK:
		return "ECDHE_PSK";
	case TLS_KX_RSA_PSK:
		return "RSA_PSK";
	case TLS_KX_SRP:
		return "SRP";
	}
	return "";
}

int tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *tls_version_name(uint16_t v)
{
	if (tls_is_grease(v))
		return "Reserved (GREASE)";
	switch (v) {
	case 0x0002:
		return "SSL 2.0";
	case 0x0300:
		return "SSL 3.0";
	case 0x0301:
		return "TLS 1.0";
	case 0x0302:
		return "TLS 1.1";
	case 0x0303:
		return "TLS 1.2";
	case 0x0304:
		return "TLS 1.3";
	}
	if ((v >> 8) == 0x7f)
		return "TLS 1.3 (draft)";
	return NULL;
}

/* RFC 8446 4, RFC 5246 7.4, and later additions to the registry. */
const char *tls_handshake_name(uint8_t type)
{
	switch (type) {
	case 0:
		return "Hello Request";
	case 1:
		return "Client Hello";
	case 2:
		return "Server Hello";
	case 3:
		return "Hello Verify Request";
	case 4:
		return "New Session Ticket";
	case 5:
		return "End of Early Data";
	case 6:
		return "Hello Retry Request";
	case 8:
		return "Encrypted Extensions";
	case 11:
		return "Certificate";
	case 12:
		return "Server Key Exchange";
	case 13:
		return "Certificate Request";
	case 14:
		return "Server Hello Done";
	case 15:
		return "Certificate Verify";
	case 16:
		return "Client Key Exchange";
	case 20:
		return "Finished";
	case 21:
		return "Client Certificate URL";
	case 22:
		return "Certificate Status";
	case 23:
		return "Supplemental Data";
	case 24:
		return "Key Update";
	case 25:
		return "Compressed Certificate";
	case 254:
		return "Message Hash";
	}
	return NULL;
}

/* RFC 8446 6, RFC 5246 7.2, RFC 6066, RFC 7301, RFC 7507. */
const char *tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "Close Notify";
	case 10:
		return "Unexpected Message";
	case 20:
		return "Bad Record MAC";
	case 21:
		return "Decryption Failed";
	case 22:
		return "Record Overflow";
	case 30:
		return "Decompression Failure";
	case 40:
		return "Handshake Failure";
	case 41:
		return "No Certificate";
	case 42:
		return "Bad Certificate";
	case 43:
		return "Unsupported Certificate";
	case 44:
		return "Certificate Revoked";
	case 45:
		return "Certificate Expired";
	case 46:
		return "Certificate Unknown";
	case 47:
		return "Illegal Parameter";
	case 48:
		return "Unknown CA";
	case 49:
		return "Access Denied";
	case 50:
		return "Decode Error";
	case 51:
		return "Decrypt Error";
	case 60:
		return "Export Restriction";
	case 70:
		return "Protocol Version";
	case 71:
		return "Insufficient Security";
	case 80:
		return "Internal Error";
	case 86:
		return "Inappropriate Fallback";
	case 90:
		return "User Canceled";
	case 100:
		return "No Renegotiation";
	case 109:
		return "Missing Extension";
	case 110:
		return "Unsupported Extension";
	case 111:
		return "Certificate Unobtainable";
	case 112:
		return "Unrecognized Name";
	case 113:
		return "Bad Certificate Status Response";
	case 114:
		return "Bad Certificate Hash Value";
	case 115:
		return "Unknown PSK Identity";
	case 116:
		return "Certificate Required";
	case 120:
		return "No application Protocol";
	case 121:
		return "ECH Required";
	}
	return NULL;
}

/* IANA "TLS Supported Groups" (RFC 8422, RFC 8446 4.2.7, RFC 7919). */
const char *tls_group_name(uint16_t g)
{
	static const char *const ec[] = {
		NULL,
		"sect163k1",
		"sect163r1",
		"sect163r2",
		"sect193r1",
		"sect193r2",
		"sect233k1",
		"sect233r1",
		"sect239k1",
		"sect283k1",
		"sect283r1",
		"sect409k1",
		"sect409r1",
		"sect571k1",
		"sect571r1",
		"secp160k1",
		"secp160r1",
		"secp160r2",
		"secp192k1",
		"secp192r1",
		"secp224k1",
		"secp224r1",
		"secp256k1",
		"secp256r1",
		"secp384r1",
		"secp521r1",
		"brainpoolP256r1",
		"brainpoolP384r1",
		"brainpoolP512r1",
		"x25519",
		"x448",
		"brainpoolP256r1tls13",
		"brainpoolP384r1tls13",
		"brainpoolP512r1tls13",
	};

	if (tls_is_grease(g))
		return "Reserved (GREASE)";
	if (g < sizeof(ec) / sizeof(ec[0]))
		return ec[g];
	switch (g) {
	case 256:
		return "ffdhe2048";
	case 257:
		return "ffdhe3072";
	case 258:
		return "ffdhe4096";
	case 259:
		return "ffdhe6144";
	case 260:
		return "ffdhe8192";
	case 0x11eb:
		return "SecP256r1MLKEM768";
	case 0x11ec:
		return "X25519MLKEM768";
	case 0x11ed:
		return "SecP384r1MLKEM1024";
	case 0x6399:
		return "X25519Kyber768Draft00";
	case 0xff01:
		return "arbitrary_explicit_prime_curves";
	case 0xff02:
		return "arbitrary_explicit_char2_curves";
	}
	return NULL;
}

/* ---- the key log ---- */

#define SECRET_MAX 64

struct keylog_entry {
	uint8_t label; /* enum keylog_label */
	uint8_t random[32];
	uint8_t secret_len;
	uint8_t secret[SECRET_MAX];
	uint32_t line; /* a later line wins over an earlier one */
};

struct keylog {
	struct keylog_entry *e;
	size_t n, cap;
	size_t nbad;
	char problem[200];
};

static const struct {
	const char *name;
	enum keylog_label label;
} labels[] = {
	{ "CLIENT_RANDOM", KEYLOG_CLIENT_RANDOM },
	{ "CLIENT_EARLY_TRAFFIC_SECRET", KEYLOG_CLIENT_EARLY_TRAFFIC_SECRET },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET },
	{ "CLIENT_TRAFFIC_SECRET_0", KEYLOG_CLIENT_TRAFFIC_SECRET_0 },
	{ "SERVER_TRAFFIC_SECRET_0", KEYLOG_SERVER_TRAFFIC_SECRET_0 },
	{ "EARLY_EXPORTER_SECRET", KEYLOG_EARLY_EXPORTER_SECRET },
	{ "EXPORTER_SECRET", KEYLOG_EXPORTER_SECRET },
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly n hex digits (an even number) into out. */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return n % 2 ? -1 : 0;
}

static void bad_line(struct keylog *kl, const char *name, size_t line, const char *label,
		     const char *why)
{
	if (kl->nbad++ == 0)
		snprintf(kl->problem, sizeof(kl->problem), "%s:%zu: %s: %s", name, line, label,
			 why);
}

/* One line, without its end of line. Returns -1 only on ENOMEM. */
static int parse_line(struct keylog *kl, const char *name, size_t lineno, const char *s, size_t n)
{
	const char *f[4];
	size_t fl[4], nf = 0, i = 0;
	struct keylog_entry en;
	size_t want;

	while (i < n && nf < 4) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		f[nf] = s + i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		fl[nf] = (size_t)(s + i - f[nf]);
		nf++;
	}
	if (nf == 0 || f[0][0] == '#')
		return 0;
	memset(&en, 0, sizeof(en));
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strlen(labels[i].name) == fl[0] && !memcmp(labels[i].name, f[0], fl[0]))
			break;
	if (i == sizeof(labels) / sizeof(labels[0]))
		return 0; /* another label (RSA, ...): not ours */
	en.label = (uint8_t)labels[i].label;
	if (nf != 3) {
		bad_line(kl, name, lineno, labels[i].name,
			 nf < 3 ? "fewer than 3 fields" : "more than 3 fields");
		return 0;
	}
	if (fl[1] != 64 || unhex(f[1], 64, en.random)) {
		bad_line(kl, name, lineno, labels[i].name, "client random is not 64 hex digits");
		return 0;
	}
	/* The master secret is 48 bytes (RFC 5246 8.1); a TLS 1.3 secret is
	 * as long as its suite's hash: 32 or 48 bytes. */
	want = en.label == KEYLOG_CLIENT_RANDOM ? 96 : 0;
	if ((want && fl[2] != want) || (!want && fl[2] != 64 && fl[2] != 96) ||
	    unhex(f[2], fl[2], en.secret)) {
		bad_line(kl, name, lineno, labels[i].name,
			 want ? "secret is not 48 bytes of hex"
			      : "secret is not 32 or 48 bytes of hex");
		return 0;
	}
	en.secret_len = (uint8_t)(fl[2] / 2);
	en.line = (uint32_t)lineno;
	if (kl->n == kl->cap) {
		size_t cap = kl->cap ? 2 * kl->cap : 16;
		struct keylog_entry *e = realloc(kl->e, cap * sizeof(*e));

		if (!e)
			return -1;
		kl->e = e;
		kl->cap = cap;
	}
	kl->e[kl->n++] = en;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct keylog_entry *x = a, *y = b;
	int c;

	if (x->label != y->label)
		return x->label < y->label ? -1 : 1;
	c = memcmp(x->random, y->random, 32);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

int keylog_parse(const char *text, size_t len, const char *name, struct keylog **out, char *err,
		 size_t errlen)
{
	struct keylog *kl = calloc(1, sizeof(*kl));
	size_t pos = 0, lineno = 0;

	if (!kl)
		goto nomem;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (parse_line(kl, name, lineno, s, n))
			goto nomem;
	}
	if (kl->n)
		qsort(kl->e, kl->n, sizeof(kl->e[0]), entry_cmp);
	*out = kl;
	return 0;
nomem:
	keylog_free(kl);
	snprintf(err, errlen, "%s: out of memory", name);
	return -1;
}

int keylog_load(const char *path, struct keylog **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 8192;
			char *n = realloc(buf, ncap);

			if (!n) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = n;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);

		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = keylog_parse(buf, len, path, out, err, errlen);
out:
	free(buf);
	fclose(f);
	return ret;
}

void keylog_free(struct keylog *kl)
{
	if (!kl)
		return;
	/* Secrets do not outlive their use in freed memory. */
	if (kl->e)
		OPENSSL_cleanse(kl->e, kl->cap * sizeof(kl->e[0]));
	free(kl->e);
	free(kl);
}

size_t keylog_count(const struct keylog *kl)
{
	return kl ? kl->n : 0;
}

const char *keylog_problem(const struct keylog *kl)
{
	return kl && kl->nbad ? kl->problem : NULL;
}

size_t keylog_nbad(const struct keylog *kl)
{
	return kl ? kl->nbad : 0;
}

int keylog_find(const struct keylog *kl, enum keylog_label label, const uint8_t client_random[32],
		const uint8_t **secret, size_t *len)
{
	size_t lo = 0, hi = kl ? kl->n : 0;
	const struct keylog_entry *found = NULL;

	/* The last entry of (label, random): the sort puts later lines after. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct keylog_entry *e = &kl->e[mid];
		int c = e->label != (uint8_t)label ? (e->label < (uint8_t)label ? -1 : 1)
						   : memcmp(e->random, client_random, 32);

		if (c <= 0) {
			if (c == 0)
				found = e;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (!found)
		return 0;
	*secret = found->secret;
	*len = found->secret_len;
	return 1;
}

/* ---- key derivation ---- */

static const char *md_name(enum tls_hash h)
{
	return h == TLS_HASH_SHA384 ? "SHA384" : "SHA256";
}

static size_t md_len(enum tls_hash h)
{
	return h == TLS_HASH_SHA384 ? 48 : 32;
}

/* RFC 8446 7.1: HKDF-Expand(Secret, HkdfLabel, Length) with
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
 *            opaque context<0..255> = ""; } HkdfLabel; */
static int hkdf_expand_label(enum tls_hash h, const uint8_t *secret, size_t slen, const char *label,
			     uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t ll = strlen(label), ilen = 0;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret = -1;
	OSSL_PARAM params[5];

	if (ll > 32)
		return -1;
	info[ilen++] = (uint8_t)(outlen >> 8);
	info[ilen++] = (uint8_t)outlen;
	info[ilen++] = (uint8_t)(6 + ll);
	memcpy(info + ilen, "tls13 ", 6);
	ilen += 6;
	memcpy(info + ilen, label, ll);
	ilen += ll;
	info[ilen++] = 0;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0);
	params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, ilen);
	params[4] = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (ctx && EVP_KDF_derive(ctx, out, outlen, params) > 0)
		ret = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* RFC 5246 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed);
 * OpenSSL's TLS1-PRF takes label + seed as its seed. */
static int tls12_prf(enum tls_hash h, const uint8_t *secret, size_t slen, const uint8_t *seed,
		     size_t seedlen, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ret = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seedlen);
	params[3] = OSSL_PARAM_construct_end();
	if (ctx && EVP_KDF_derive(ctx, out, outlen, params) > 0)
		ret = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* ---- decryption ---- */

#define TAG_LEN 16

/* The keys one direction uses in one epoch. */
struct epoch_keys {
	uint8_t key[32];
	uint8_t iv[12];
	uint8_t secret[48]; /* TLS 1.3: the traffic secret the keys came from */
};

struct dir_state {
	int have;	/* cur holds keys */
	unsigned epoch; /* TLS 1.3: 0 handshake, k >= 1 application k-1 */
	uint64_t seq;
	struct epoch_keys cur;
	uint64_t nrec; /* records offered, for messages */
	int have_app0; /* TLS 1.3: *_TRAFFIC_SECRET_0 logged */
	uint8_t app0[48];
};

struct tls_decrypt {
	int tls13;
	const struct tls_suite *suite;
	const EVP_CIPHER *cipher;
	size_t key_len;
	size_t fixed_iv_len; /* TLS 1.2: 4 (GCM) or 12 (ChaCha20) */
	struct dir_state dir[2];
	struct epoch_keys tls12[2]; /* TLS 1.2: the keys each side switches to at its CCS */
};

static void hex_prefix(const uint8_t *b, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* TLS 1.3 keys of one traffic secret. */
static int tls13_keys(const struct tls_decrypt *d, const uint8_t *secret, struct epoch_keys *k)
{
	size_t hl = md_len(d->suite->hash);

	memcpy(k->secret, secret, hl);
	if (hkdf_expand_label(d->suite->hash, secret, hl, "key", k->key, d->key_len) ||
	    hkdf_expand_label(d->suite->hash, secret, hl, "iv", k->iv, 12))
		return -1;
	return 0;
}

/* A logged TLS 1.3 secret, checked against the suite's hash length. */
static int tls13_secret(const struct keylog *kl, enum keylog_label label, const uint8_t cr[32],
			size_t hl, const uint8_t **s)
{
	size_t len;

	return keylog_find(kl, label, cr, s, &len) && len == hl;
}

int tls_decrypt_new(const struct keylog *kl, uint16_t version, uint16_t suite,
		    const uint8_t client_random[32], const uint8_t server_random[32],
		    struct tls_decrypt **out, char *err, size_t errlen)
{
	const struct tls_suite *s = tls_suite_find(suite);
	struct tls_decrypt *d = NULL;
	char crhex[17];

	hex_prefix(client_random, crhex);
	if (!s) {
		snprintf(err, errlen, "cipher suite 0x%04x is unknown", suite);
		return -1;
	}
	if (s->aead == TLS_AEAD_OTHER) {
		snprintf(err, errlen,
			 "%s is not decrypted by wirelab (AES-GCM and ChaCha20-Poly1305 only)",
			 s->name);
		return -1;
	}
	if ((version == 0x0304) != (s->kx == TLS_KX_ANY) || version < 0x0303 || version > 0x0304) {
		snprintf(err, errlen, "%s cannot be used with version 0x%04x", s->name, version);
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->tls13 = version == 0x0304;
	d->suite = s;
	switch (s->aead) {
	case TLS_AEAD_AES_128_GCM:
		d->cipher = EVP_aes_128_gcm();
		d->key_len = 16;
		d->fixed_iv_len = 4;
		break;
	case TLS_AEAD_AES_256_GCM:
		d->cipher = EVP_aes_256_gcm();
		d->key_len = 32;
		d->fixed_iv_len = 4;
		break;
	case TLS_AEAD_CHACHA20_POLY1305:
		d->cipher = EVP_chacha20_poly1305();
		d->key_len = 32;
		d->fixed_iv_len = 12;
		break;
	case TLS_AEAD_OTHER:
		break;
	}
	if (d->tls13) {
		static const enum keylog_label hs[2] = { KEYLOG_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
							 KEYLOG_SERVER_HANDSHAKE_TRAFFIC_SECRET };
		static const enum keylog_label app[2] = { KEYLOG_CLIENT_TRAFFIC_SECRET_0,
							  KEYLOG_SERVER_TRAFFIC_SECRET_0 };
		size_t hl = md_len(s->hash);
		int any = 0;

		for (int i = 0; i < 2; i++) {
			const uint8_t *sec;

			if (tls13_secret(kl, hs[i], client_random, hl, &sec)) {
				if (tls13_keys(d, sec, &d->dir[i].cur))
					goto kdf_fail;
				d->dir[i].have = 1;
				any = 1;
			}
			if (tls13_secret(kl, app[i], client_random, hl, &sec)) {
				memcpy(d->dir[i].app0, sec, hl);
				d->dir[i].have_app0 = 1;
				any = 1;
			}
		}
		if (!any) {
			snprintf(err, errlen,
				 "no TLS 1.3 traffic secrets of %zu bytes for client random %s...",
				 hl, crhex);
			goto fail;
		}
	} else {
		uint8_t seed[13 + 64], kb[2 * 32 + 2 * 12];
		const uint8_t *ms;
		size_t mslen;

		if (!keylog_find(kl, KEYLOG_CLIENT_RANDOM, client_random, &ms, &mslen)) {
			snprintf(err, errlen, "no CLIENT_RANDOM for client random %s...", crhex);
			goto fail;
		}
		memcpy(seed, "key expansion", 13);
		memcpy(seed + 13, server_random, 32);
		memcpy(seed + 45, client_random, 32);
		size_t kbl = 2 * d->key_len + 2 * d->fixed_iv_len;

		if (tls12_prf(s->hash, ms, mslen, seed, sizeof(seed), kb, kbl))
			goto kdf_fail;
		memcpy(d->tls12[0].key, kb, d->key_len);
		memcpy(d->tls12[1].key, kb + d->key_len, d->key_len);
		memcpy(d->tls12[0].iv, kb + 2 * d->key_len, d->fixed_iv_len);
		memcpy(d->tls12[1].iv, kb + 2 * d->key_len + d->fixed_iv_len, d->fixed_iv_len);
		OPENSSL_cleanse(kb, sizeof(kb));
	}
	*out = d;
	return 0;
kdf_fail:
	snprintf(err, errlen, "key derivation failed in OpenSSL");
fail:
	tls_decrypt_free(d);
	return -1;
}

void tls_decrypt_ccs(struct tls_decrypt *d, int dir)
{
	if (!d || d->tls13 || dir < 0 || dir > 1)
		return;
	d->dir[dir].cur = d->tls12[dir];
	d->dir[dir].have = 1;
	d->dir[dir].seq = 0;
}

/* AEAD open: 0 if the tag verifies (out holds ctlen bytes). */
static int aead_open(const EVP_CIPHER *c, const uint8_t *key, const uint8_t nonce[12],
		     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
		     const uint8_t *tag, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ret = -1;

	if (!ctx || ctlen > INT32_MAX)
		goto out;
	if (EVP_DecryptInit_ex(ctx, c, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1 ||
	    (ctlen && EVP_DecryptUpdate(ctx, out, &n, ct, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* nonce = iv XOR (seq as 64 bits, left-padded to 12 bytes). */
static void xor_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
	uint8_t s[8];

	put_be64(s, seq);
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

static int open12(const struct tls_decrypt *d, const struct epoch_keys *k, uint64_t seq,
		  uint8_t type, uint16_t version, const uint8_t *frag, size_t len, uint8_t *out,
		  size_t *outlen)
{
	uint8_t nonce[12], aad[13];
	size_t explicit = d->fixed_iv_len == 4 ? 8 : 0, ptlen;

	if (len < explicit + TAG_LEN)
		return -1;
	ptlen = len - explicit - TAG_LEN;
	if (explicit) {
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, frag, 8);
	} else {
		xor_nonce(k->iv, seq, nonce);
	}
	put_be64(aad, seq);
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	aad[11] = (uint8_t)(ptlen >> 8);
	aad[12] = (uint8_t)ptlen;
	if (aead_open(d->cipher, k->key, nonce, aad, sizeof(aad), frag + explicit, ptlen,
		      frag + len - TAG_LEN, out))
		return -1;
	*outlen = ptlen;
	return 0;
}

static int open13(const struct tls_decrypt *d, const struct epoch_keys *k, uint64_t seq,
		  uint8_t type, uint16_t version, const uint8_t *frag, size_t len, uint8_t *out,
		  size_t *outlen)
{
	uint8_t nonce[12], aad[5] = { type, (uint8_t)(version >> 8), (uint8_t)version,
				      (uint8_t)(len >> 8), (uint8_t)len };

	if (len < TAG_LEN || len > 0xffff)
		return -1;
	xor_nonce(k->iv, seq, nonce);
	if (aead_open(d->cipher, k->key, nonce, aad, sizeof(aad), frag, len - TAG_LEN,
		      frag + len - TAG_LEN, out))
		return -1;
	*outlen = len - TAG_LEN;
	return 0;
}

/* TLS 1.3: the keys after those of epoch e (e + 1), if they can be had. */
static int tls13_next(const struct tls_decrypt *d, const struct dir_state *ds, struct epoch_keys *k)
{
	uint8_t next[48];
	size_t hl = md_len(d->suite->hash);

	if (!ds->have || ds->epoch == 0) {
		if (!ds->have_app0)
			return -1;
		return tls13_keys(d, ds->app0, k);
	}
	if (hkdf_expand_label(d->suite->hash, ds->cur.secret, hl, "traffic upd", next, hl))
		return -1;
	int r = tls13_keys(d, next, k);

	OPENSSL_cleanse(next, sizeof(next));
	return r;
}

int tls_decrypt_record(struct tls_decrypt *d, int dir, uint8_t type, uint16_t version,
		       const uint8_t *frag, size_t len, uint8_t *out, size_t *outlen,
		       uint8_t *inner_type, char *err, size_t errlen)
{
	struct dir_state *ds;
	const char *who = dir == 0 ? "client" : "server";
	uint64_t nrec;

	if (dir < 0 || dir > 1) {
		snprintf(err, errlen, "no direction %d", dir);
		return -1;
	}
	ds = &d->dir[dir];
	nrec = ++ds->nrec;
	if (!d->tls13) {
		if (!ds->have) {
			snprintf(err, errlen, "%s record %" PRIu64 " before its ChangeCipherSpec",
				 who, nrec);
			return -1;
		}
		if (open12(d, &ds->cur, ds->seq, type, version, frag, len, out, outlen)) {
			snprintf(err, errlen,
				 "%s record %" PRIu64 " (sequence number %" PRIu64
				 ") does not authenticate with the key log's master secret",
				 who, nrec, ds->seq);
			return -1;
		}
		ds->seq++;
		*inner_type = type;
		return 0;
	}
	if (ds->have && !open13(d, &ds->cur, ds->seq, type, version, frag, len, out, outlen)) {
		ds->seq++;
	} else {
		struct epoch_keys next;

		if (tls13_next(d, ds, &next) ||
		    open13(d, &next, 0, type, version, frag, len, out, outlen)) {
			OPENSSL_cleanse(&next, sizeof(next));
			snprintf(err, errlen,
				 "%s record %" PRIu64
				 " does not authenticate with the key log's traffic secrets",
				 who, nrec);
			return -1;
		}
		ds->epoch = ds->have ? ds->epoch + 1 : 1;
		ds->cur = next;
		ds->have = 1;
		ds->seq = 1;
		OPENSSL_cleanse(&next, sizeof(next));
	}
	/* RFC 8446 5.2: the content type is the last non-zero byte. */
	size_t n = *outlen;

	while (n && out[n - 1] == 0)
		n--;
	if (n == 0) {
		snprintf(err, errlen, "%s record %" PRIu64 " has no content type (all padding)",
			 who, nrec);
		return -1;
	}
	*inner_type = out[n - 1];
	*outlen = n - 1;
	return 0;
}

void tls_decrypt_free(struct tls_decrypt *d)
{
	if (!d)
		return;
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

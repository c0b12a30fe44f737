/* harness/certgen.c — a self-signed certificate with the OpenSSL 3 API.
 *
 * An EC P-256 key (EVP_PKEY_Q_keygen) and an X.509 v3 certificate signed by
 * it with SHA-256: subject = issuer = CN=<cn>, a random positive 128-bit
 * serial (RFC 5280 4.1.2.2: at most 20 octets), notBefore one day ago (a
 * client whose clock is a little behind still accepts it), notAfter 30 days
 * after that, and the extensions a TLS server certificate carries:
 * subjectAltName (RFC 6125 6.4.4: clients match the SAN, not the CN),
 * basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage
 * serverAuth, subjectKeyIdentifier.
 */
#include "harness/certgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CERT_DAYS 30

/* The last OpenSSL error as text, or "unknown error". */
static const char *ossl_reason(void)
{
	static __thread char buf[160];
	unsigned long e = ERR_get_error();

	if (!e)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* RFC 1123 host name: labels of letters, digits and '-', not starting or
 * ending with '-', 1-63 bytes each, 253 in all. */
static int dns_name_valid(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* subjectAltName: an iPAddress for an address, else a dNSName. */
static int add_san(X509 *x, const char *cn)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OCTET_STRING *ip = NULL;
	ASN1_IA5STRING *dns = NULL;
	unsigned char addr[16];
	int ret = -1;

	if (!gens || !gn)
		goto out;
	if (inet_pton(AF_INET, cn, addr) == 1 || inet_pton(AF_INET6, cn, addr) == 1) {
		int alen = strchr(cn, ':') ? 16 : 4;

		ip = ASN1_OCTET_STRING_new();
		if (!ip || !ASN1_OCTET_STRING_set(ip, addr, alen))
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		ip = NULL;
	} else {
		dns = ASN1_IA5STRING_new();
		if (!dns || !ASN1_STRING_set(dns, cn, (int)strlen(cn)))
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
		dns = NULL;
	}
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	ret = 0;
out:
	ASN1_IA5STRING_free(dns);
	ASN1_OCTET_STRING_free(ip);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return ret;
}

/* An extension from OpenSSL's configuration syntax (fixed strings only). */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *ai = NULL;
	int ret = -1;

	/* 127 random bits with the top one clear: positive, at most 16 octets. */
	if (!bn || !BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
		goto out;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (!ai || !X509_set_serialNumber(x, ai))
		goto out;
	ret = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ret;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, char *err, size_t errlen)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;

	if (!x)
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) || set_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400L) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (CERT_DAYS - 1) * 86400L) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto fail;
	if (add_san(x, cn) || add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, NID_subject_key_identifier, "hash"))
		goto fail;
	if (!X509_sign(x, key, EVP_sha256()))
		goto fail;
	return x;
fail:
	snprintf(err, errlen, "cannot make the certificate for %s: %s", cn, ossl_reason());
	X509_free(x);
	return NULL;
}

/* Writes a PEM file through fd-level open so the mode holds from creation. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *x, char *err,
		     size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f = NULL;
	int ok, ret = -1;

	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	/* O_TRUNC keeps the old mode of an existing file: set it again. */
	if (fchmod(fd, mode)) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (key)
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(f, x);
	if (!ok) {
		snprintf(err, errlen, "cannot write %s: %s", path, ossl_reason());
		goto out;
	}
	if (fflush(f) || ferror(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fclose(f) && ret == 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ret = -1;
	}
	return ret;
}

int certgen_selfsigned(const char *dir, const char *cn, char *err, size_t errlen)
{
	unsigned char addr[16];
	char path[4096];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int ret = -1;

	if (!dns_name_valid(cn) && inet_pton(AF_INET, cn, addr) != 1 &&
	    inet_pton(AF_INET6, cn, addr) != 1) {
		snprintf(err, errlen,
			 "certificate name \"%s\" is neither a host name nor an address", cn);
		return -1;
	}
	ERR_clear_error();
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key) {
		snprintf(err, errlen, "cannot generate an EC P-256 key: %s", ossl_reason());
		goto out;
	}
	x = make_cert(key, cn, err, errlen);
	if (!x)
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "%s/key.pem", dir) >= sizeof(path)) {
		snprintf(err, errlen, "directory name too long: %s", dir);
		goto out;
	}
	if (write_pem(path, 0600, key, NULL, err, errlen))
		goto out;
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	if (write_pem(path, 0644, NULL, x, err, errlen))
		goto out;
	ret = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

/* tests/test_certgen.c — the self-signed certificate of the TLS labs: what
 * it says (names, SAN, validity, extensions), that its key matches and
 * signs it, that a TLS server takes both files, and the errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "harness/certgen.h"

static char dir[] = "/tmp/wl-test-certgen.XXXXXX";

static void path_of(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char p[128];

	(void)state;
	path_of(p, sizeof(p), "cert.pem");
	unlink(p);
	path_of(p, sizeof(p), "key.pem");
	unlink(p);
	rmdir(dir);
	return 0;
}

static X509 *read_cert(void)
{
	char p[128];
	FILE *f;
	X509 *x;

	path_of(p, sizeof(p), "cert.pem");
	f = fopen(p, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *read_key(void)
{
	char p[128];
	FILE *f;
	EVP_PKEY *k;

	path_of(p, sizeof(p), "key.pem");
	f = fopen(p, "r");
	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static void test_certificate(void **state)
{
	char err[200], cn[64], p[128], curve[32];
	X509 *x;
	EVP_PKEY *k;
	struct stat st;
	int days, secs;
	time_t now = time(NULL), t;

	(void)state;
	assert_int_equal(certgen_selfsigned(dir, "pi.lab", err, sizeof(err)), 0);
	x = read_cert();
	k = read_key();
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	/* subject = issuer = CN=pi.lab, and the SAN says pi.lab only. */
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "pi.lab");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_check_host(x, "pi.lab", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL),
			 1);
	assert_int_equal(X509_check_host(x, "other.lab", 0, 0, NULL), 0);
	/* A leaf for servers, not a CA. */
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	/* The key is EC P-256, matches and signed the certificate. */
	assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_utf8_string_param(k, "group", curve, sizeof(curve), NULL), 1);
	assert_string_equal(curve, "prime256v1");
	assert_int_equal(X509_check_private_key(x, k), 1);
	assert_int_equal(X509_verify(x, k), 1);
	/* Valid from a day ago for 30 days. */
	assert_int_equal(
		ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	assert_int_equal(days, 30);
	assert_int_equal(secs, 0);
	t = now - 86400 + 60;
	assert_int_equal(X509_cmp_time(X509_get0_notBefore(x), &t), -1);
	t = now - 86400 - 60;
	assert_int_equal(X509_cmp_time(X509_get0_notBefore(x), &t), 1);
	/* The key is private to its owner. */
	path_of(p, sizeof(p), "key.pem");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* Two runs give two certificates (serials differ); a key file left with a
 * wider mode comes back as 0600. */
static void test_again(void **state)
{
	char err[200], p[128];
	X509 *a, *b;
	struct stat st;

	(void)state;
	assert_int_equal(certgen_selfsigned(dir, "pi.lab", err, sizeof(err)), 0);
	a = read_cert();
	path_of(p, sizeof(p), "key.pem");
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(certgen_selfsigned(dir, "pi.lab", err, sizeof(err)), 0);
	b = read_cert();
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
			     0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	X509_free(a);
	X509_free(b);
}

static void test_ip_address(void **state)
{
	char err[200];
	X509 *x;

	(void)state;
	assert_int_equal(certgen_selfsigned(dir, "198.18.0.2", err, sizeof(err)), 0);
	x = read_cert();
	assert_int_equal(X509_check_ip_asc(x, "198.18.0.2", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "198.18.0.1", 0), 0);
	X509_free(x);
}

/* A TLS server loads the pair as nginx would. */
static void test_server_loads(void **state)
{
	char err[200], p[128];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(certgen_selfsigned(dir, "pi.lab", err, sizeof(err)), 0);
	path_of(p, sizeof(p), "cert.pem");
	assert_int_equal(SSL_CTX_use_certificate_file(ctx, p, SSL_FILETYPE_PEM), 1);
	path_of(p, sizeof(p), "key.pem");
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, p, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_check_private_key(ctx), 1);
	SSL_CTX_free(ctx);
}

static void test_errors(void **state)
{
	char err[200];

	(void)state;
	assert_int_equal(certgen_selfsigned("/nonexistent/wl", "pi.lab", err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write /nonexistent/wl/key.pem: No such file or directory");
	assert_int_equal(certgen_selfsigned(dir, "pi lab", err, sizeof(err)), -1);
	assert_string_equal(err,
			    "certificate name \"pi lab\" is neither a host name nor an address");
	assert_int_equal(certgen_selfsigned(dir, "a,DNS:evil.lab", err, sizeof(err)), -1);
	assert_int_equal(certgen_selfsigned(dir, "-pi.lab", err, sizeof(err)), -1);
	assert_int_equal(certgen_selfsigned(dir, "pi..lab", err, sizeof(err)), -1);
	assert_int_equal(certgen_selfsigned(dir, "", err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificate), cmocka_unit_test(test_again),
		cmocka_unit_test(test_ip_address),  cmocka_unit_test(test_server_loads),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_server.h"

static char dir[] = "/tmp/tls_server_test.XXXXXX";
static char pem[64], empty_sni[80];

/* A key and a self-signed certificate in one PEM, as qmailctl init makes. */
static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(pem, sizeof pem, "%s/cert.pem", dir);
	snprintf(empty_sni, sizeof empty_sni, "%s/none", dir);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-days 1 -subj /CN=test.example -keyout %s/k -out %s/c 2>/dev/null && "
	         "cat %s/k %s/c > %s", dir, dir, dir, dir, pem);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_warm_completes(void **state)
{
	(void)state;
	struct sbuf err = SBUF_INIT;
	struct tls_server *t = tls_server_load(pem, empty_sni, &err);
	assert_non_null(t);
	assert_int_equal(tls_server_n_names(t), 0);
	assert_int_equal(tls_server_warm(t), 0);
	assert_int_equal(tls_server_warm(t), 0); /* again, as after a reload */
	tls_server_free(t);
	sbuf_free(&err);
}

static void test_load_failures(void **state)
{
	(void)state;
	struct sbuf err = SBUF_INIT;
	char missing[96];
	snprintf(missing, sizeof missing, "%s/missing.pem", dir);
	assert_null(tls_server_load(missing, empty_sni, &err));
	assert_true(err.len > 0);
	sbuf_free(&err);
	/* the certificate alone: no private key to go with it */
	char certonly[96];
	snprintf(certonly, sizeof certonly, "%s/c", dir);
	assert_null(tls_server_load(certonly, empty_sni, &err));
	assert_true(err.len > 0);
	sbuf_free(&err);
}

static void test_name_valid(void **state)
{
	(void)state;
	assert_true(tls_server_name_valid("mx.example"));
	assert_true(tls_server_name_valid("a-1.example"));
	assert_false(tls_server_name_valid(""));
	assert_false(tls_server_name_valid("MX.example"));
	assert_false(tls_server_name_valid("../etc"));
	assert_false(tls_server_name_valid("a/b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warm_completes),
		cmocka_unit_test(test_load_failures),
		cmocka_unit_test(test_name_valid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

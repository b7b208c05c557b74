#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsctl.h"

struct ok_case {
	const char *msg;
	int rc;
	const char *version, *cipher, *sni;
};

static const struct ok_case ok_cases[] = {
	{ "OK TLSv1.3 TLS_AES_256_GCM_SHA384", 0, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "" },
	{ "OK TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 mx.example", 0, "TLSv1.2",
	  "ECDHE-RSA-AES128-GCM-SHA256", "mx.example" },
	{ "OK TLSv1.3", -1, NULL, NULL, NULL },
	{ "OK  x", -1, NULL, NULL, NULL },
	{ "OK a b c d", -1, NULL, NULL, NULL },
	{ "OK a b;c", -1, NULL, NULL, NULL },
	{ "OK a b\n", -1, NULL, NULL, NULL },
	{ "ER failed", -1, NULL, NULL, NULL },
	{ "OK a b ", -1, NULL, NULL, NULL },
	{ "OK " "0123456789012345678901234567890123456789012345678901234567890123 b", -1,
	  NULL, NULL, NULL },  /* 64 > TLSCTL_FIELD_MAX */
	{ "OK " "012345678901234567890123456789012345678901234567890123456789012 b", 0,
	  "012345678901234567890123456789012345678901234567890123456789012", "b", "" },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		struct tlsctl_info info;
		const struct ok_case *c = &ok_cases[i];
		assert_int_equal(tlsctl_parse_ok(c->msg, strlen(c->msg), &info), c->rc);
		if (c->rc == 0) {
			assert_string_equal(info.version, c->version);
			assert_string_equal(info.cipher, c->cipher);
			assert_string_equal(info.sni, c->sni);
		}
	}
}

static void test_format_ok_roundtrip(void **state)
{
	(void)state;
	struct sbuf m = SBUF_INIT;
	struct tlsctl_info info;
	tlsctl_format_ok("TLSv1.3", "weird cipher;name", "evil\nname", &m);
	assert_int_equal(tlsctl_parse_ok(m.s, m.len, &info), 0);
	assert_string_equal(info.cipher, "weird_cipher_name");
	assert_string_equal(info.sni, "evil_name");
	sbuf_free(&m);
}

static void test_auth_roundtrip(void **state)
{
	(void)state;
	struct sbuf m = SBUF_INIT;
	const char *user, *blob;
	size_t blob_len;
	assert_int_equal(tlsctl_format_auth("alice@example.test", "pw", "<42@qmail-ng>", &m), 0);
	assert_int_equal(tlsctl_parse_auth(m.s, m.len, &user, &blob, &blob_len), 0);
	assert_string_equal(user, "alice@example.test");
	assert_int_equal(blob_len, m.len - 1);
	assert_int_equal(tlsctl_format_auth("", "pw", "<1@qmail-ng>", &m), -1);
	char big[TLSCTL_PASS_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(tlsctl_format_auth("u", big, "<1@qmail-ng>", &m), -1);
	big[TLSCTL_PASS_MAX] = '\0';
	assert_int_equal(tlsctl_format_auth("u", big, "<1@qmail-ng>", &m), 0);
	sbuf_free(&m);
}

static void test_parse_auth_invalid(void **state)
{
	(void)state;
	static const struct { const char *m; size_t n; } bad[] = {
		{ "A", 1 }, { "Au\0p\0t", 6 }, { "A\0p\0t\0", 7 }, { "Au\0p\0t\0x", 8 },
		{ "Bu\0p\0t\0", 8 }, { "Au\0p\0", 5 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[16];
		const char *u, *b;
		size_t bl;
		memcpy(buf, bad[i].m, bad[i].n);
		assert_int_equal(tlsctl_parse_auth(buf, bad[i].n, &u, &b, &bl), -1);
	}
}

/* "C" requests: both kinds round trip; every field at its max and max+1. */
static void test_scram_requests(void **state)
{
	(void)state;
	struct sbuf m = SBUF_INIT;
	const char *blob;
	size_t blob_len;
	assert_int_equal(tlsctl_format_scram("a@b.c", NULL, NULL, &m), 0);
	assert_int_equal(m.len, 1 + 5 + 6);
	assert_memory_equal(m.s, "Csalt\0a@b.c\0", m.len);
	assert_int_equal(tlsctl_parse_scram(m.s, m.len, &blob, &blob_len), 0);
	assert_ptr_equal(blob, m.s + 1);
	assert_int_equal(blob_len, m.len - 1);
	assert_int_equal(tlsctl_format_scram("a@b.c", "n=a,r=b", "cHJvb2Y=", &m), 0);
	assert_memory_equal(m.s, "Cproof\0a@b.c\0n=a,r=b\0cHJvb2Y=\0", m.len);
	assert_int_equal(tlsctl_parse_scram(m.s, m.len, &blob, &blob_len), 0);
	/* limits */
	char big[TLSCTL_SCRAM_MSG_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[TLSCTL_SCRAM_MSG_MAX] = '\0';
	assert_int_equal(tlsctl_format_scram("u", big, "p", &m), 0);
	assert_int_equal(tlsctl_parse_scram(m.s, m.len, &blob, &blob_len), 0);
	/* every field at its max still fits in one packet */
	char user[TLSCTL_SCRAM_USER_MAX + 1], proof[TLSCTL_PROOF_MAX + 1];
	memset(user, 'u', sizeof user - 1);
	user[sizeof user - 1] = '\0';
	memset(proof, 'p', sizeof proof - 1);
	proof[sizeof proof - 1] = '\0';
	assert_int_equal(tlsctl_format_scram(user, big, proof, &m), 0);
	assert_true(m.len <= TLSCTL_MSG_MAX);
	assert_int_equal(tlsctl_parse_scram(m.s, m.len, &blob, &blob_len), 0);
	big[TLSCTL_SCRAM_MSG_MAX] = 'x';
	assert_int_equal(tlsctl_format_scram("u", big, "p", &m), -1);
	big[TLSCTL_PROOF_MAX] = '\0';
	assert_int_equal(tlsctl_format_scram("u", "a", big, &m), 0);
	big[TLSCTL_PROOF_MAX] = 'x';
	big[TLSCTL_PROOF_MAX + 1] = '\0';
	assert_int_equal(tlsctl_format_scram("u", "a", big, &m), -1);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[TLSCTL_SCRAM_USER_MAX] = '\0';
	assert_int_equal(tlsctl_format_scram(big, NULL, NULL, &m), 0);
	big[TLSCTL_SCRAM_USER_MAX] = 'x';
	big[TLSCTL_SCRAM_USER_MAX + 1] = '\0';
	assert_int_equal(tlsctl_format_scram(big, NULL, NULL, &m), -1);
	assert_int_equal(tlsctl_format_scram("", NULL, NULL, &m), -1);
	assert_int_equal(tlsctl_format_scram("u", "", "p", &m), -1);
	assert_int_equal(tlsctl_format_scram("u", "a", "", &m), -1);
	sbuf_free(&m);
	static const struct {
		const char *msg;
		size_t len;
	} bad[] = {
	    {"Csalt\0a\0", 7},      {"Csalt\0\0", 7},         {"Csalt\0a\0b\0", 10},
	    {"Cproof\0a\0b\0", 11}, {"Cproof\0a\0\0c\0", 12}, {"Cfoo\0a\0", 7},
	    {"Asalt\0a\0", 8},      {"C", 1},                 {"Csalt", 5},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(tlsctl_parse_scram(bad[i].msg, bad[i].len, &blob, &blob_len), -1);
}

static void test_answer_len(void **state)
{
	(void)state;
	assert_int_equal(tlsctl_answer_len("10000,c2FsdA==\n", 15), 14);
	assert_int_equal(tlsctl_answer_len("abc+/=", 6), 6);
	assert_int_equal(tlsctl_answer_len("", 0), 0);
	assert_int_equal(tlsctl_answer_len("a b", 3), -1);
	assert_int_equal(tlsctl_answer_len("a\nb", 3), -1);
	assert_int_equal(tlsctl_answer_len("a\r\n", 3), -1);
	char big[TLSCTL_ANSWER_MAX + 2];
	memset(big, 'a', sizeof big);
	assert_int_equal(tlsctl_answer_len(big, TLSCTL_ANSWER_MAX), TLSCTL_ANSWER_MAX);
	big[TLSCTL_ANSWER_MAX] = '\n';
	assert_int_equal(tlsctl_answer_len(big, TLSCTL_ANSWER_MAX + 1), TLSCTL_ANSWER_MAX);
	assert_int_equal(tlsctl_answer_len(big, TLSCTL_ANSWER_MAX + 2), -1);
	big[TLSCTL_ANSWER_MAX] = 'a';
	assert_int_equal(tlsctl_answer_len(big, TLSCTL_ANSWER_MAX + 1), -1);
}

static void test_send_recv_fds(void **state)
{
	(void)state;
	int sp[2], pp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(pipe(pp), 0);
	assert_int_equal(tlsctl_send(sp[0], "S", 1, pp, 2), 0);
	char buf[TLSCTL_MSG_MAX];
	int fds[2];
	size_t n_fds;
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, 2, &n_fds, 1000), 1);
	assert_int_equal(n_fds, 2);
	assert_int_equal(write(fds[1], "x", 1), 1);
	char c;
	assert_int_equal(read(pp[0], &c, 1), 1);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, 2, &n_fds, 10), -1);
	assert_int_equal(errno, ETIMEDOUT);
	char big[TLSCTL_MSG_MAX + 1] = { 0 };
	assert_int_equal(tlsctl_send(sp[0], big, sizeof big, NULL, 0), -1);
	close(fds[0]);
	close(fds[1]);
	close(pp[0]);
	close(pp[1]);
	close(sp[0]);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, 2, &n_fds, 1000), 0);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_format_ok_roundtrip),
		cmocka_unit_test(test_auth_roundtrip),
		cmocka_unit_test(test_parse_auth_invalid),
		cmocka_unit_test(test_scram_requests),
		cmocka_unit_test(test_answer_len),
		cmocka_unit_test(test_send_recv_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

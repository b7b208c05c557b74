/* inject_msg_test.c: qmail-inject's message rules (inject_msg.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hdr822.h"
#include "inject_msg.h"
#include "sbuf.h"

static const struct inject_cfg cfg = {
	.defaulthost = "host.example", .defaultdomain = "example", .plusdomain = "plus.example",
	.idhost = "id.example", .user = "joe", .host = "host.example", .name = "Joe User",
};

struct norm_case {
	const char *in;
	const char *out;
};

static const struct norm_case norm_cases[] = {
	{ "", "" },
	{ "a", "a\n" },
	{ "a\r\nb\r\n", "a\nb\n" },
	{ "a\rb\n", "a b\n" },
	{ "a\r", "a \n" },
	{ "a\r\r\n", "a \n" },
	{ "\n\n", "\n\n" },
};

static void test_normalize(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
		struct sbuf out = SBUF_INIT;
		inject_msg_normalize(norm_cases[i].in, strlen(norm_cases[i].in), &out);
		assert_string_equal(sbuf_cstr(&out), norm_cases[i].out);
		sbuf_free(&out);
	}
}

struct addr_case {
	const char *in;
	bool allow_null;
	int want;
	const char *out;
};

static const struct addr_case addr_cases[] = {
	{ "a@b.org", false, 0, "a@b.org" },
	{ "bob", false, 0, "bob@host.example" },
	{ "bob@mailhost", false, 0, "bob@mailhost.example" },
	{ "bob@localhost", false, 0, "bob@localhost" },
	{ "bob@ext+", false, 0, "bob@ext.plus.example" },
	{ "Bob@EXAMPLE.Org", false, 0, "Bob@example.org" },
	{ "", true, 0, "" },
	{ "<>", true, 0, "" },
	{ "", false, -1, NULL },
	{ "a\nb@c.d", false, -1, NULL },
	{ "a@b@", false, -1, NULL },
};

static void test_address(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
		const struct addr_case *c = &addr_cases[i];
		struct sbuf out = SBUF_INIT;
		int rc = inject_msg_address(&cfg, c->in, strlen(c->in), c->allow_null, &out);
		assert_int_equal(rc, c->want);
		if (rc == 0)
			assert_string_equal(sbuf_cstr(&out), c->out);
		sbuf_free(&out);
	}
}

static void parse(const char *msg, struct hdr_list *h)
{
	size_t off;
	assert_int_equal(hdr822_parse(msg, strlen(msg), h, &off), HDR_OK);
}

static void test_recipients(void **state)
{
	(void)state;
	static const struct { const char *msg; int want; const char *out; } cases[] = {
		{ "To: a@x.org\nCc: b\nBcc: c@y.org\nSubject: s\n\n", 0, "a@x.org|b@host.example|c@y.org" },
		{ "To: a@x.org\nResent-To: r@x.org\nResent-Bcc: q@x.org\n\n", 0, "r@x.org|q@x.org" },
		{ "Subject: none\n\n", 0, "" },
		{ "To: <broken\n\n", -1, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hdr_list h;
		struct strlist l = { NULL, 0, 0 };
		parse(cases[i].msg, &h);
		assert_int_equal(inject_msg_recipients(&h, &cfg, &l), cases[i].want);
		if (cases[i].want == 0) {
			struct sbuf j = SBUF_INIT;
			for (size_t k = 0; k < l.n; k++)
				sbuf_printf(&j, "%s%s", k ? "|" : "", l.v[k]);
			assert_string_equal(sbuf_cstr(&j), cases[i].out);
			sbuf_free(&j);
		}
		strlist_free(&l);
		hdr822_free(&h);
	}
}

static void test_complete(void **state)
{
	(void)state;
	struct hdr_list h;
	struct sbuf added = SBUF_INIT;
	parse("To: a@b\nBcc: secret@x\nreturn-path: <x>\nContent-Length: 5\n\n", &h);
	inject_msg_complete(&h, &cfg, 0, 42, &added);
	assert_false(h.v[0].is_deleted);
	assert_true(h.v[1].is_deleted);
	assert_true(h.v[2].is_deleted);
	assert_true(h.v[3].is_deleted);
	assert_string_equal(added.s, "Date: Thu, 1 Jan 1970 00:00:00 +0000\n"
	                             "Message-ID: <0.42.qmail@id.example>\n"
	                             "From: Joe User <joe@host.example>\n");
	hdr822_free(&h);
	sbuf_clear(&added);
	parse("From: me@x\nDate: whenever\nMessage-Id: <m@x>\n\n", &h);
	inject_msg_complete(&h, &cfg, 0, 42, &added);
	assert_int_equal(added.len, 0);
	hdr822_free(&h);
	sbuf_free(&added);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

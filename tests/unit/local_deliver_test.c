/* local_deliver_test.c: the delivery engine end to end in a temp home. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "instance.h"
#include "local_deliver.h"
#include "maildir.h"

static char dir[64];
static char cwd[512];

static void put(const char *rel, const char *text, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	assert_int_equal(file_write_atomic(p, text, strlen(text), (int)mode), 0);
	chmod(p, mode);
}

static struct sbuf get(const char *rel)
{
	char p[256];
	struct sbuf s = SBUF_INIT;
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	assert_int_equal(file_read_all(p, &s, 1 << 20), 0);
	return s;
}

static char run(const char *local, const char *ext, const char *msg, struct sbuf *text)
{
	put("msg", msg, 0600);
	char p[128];
	snprintf(p, sizeof p, "%s/msg", dir);
	int fd = open(p, O_RDONLY);
	struct local_args a = {
		.user = "u", .home = dir, .local = local, .dash = *ext ? "-" : "", .ext = ext,
		.domain = "example.com", .sender = "s@x.org", .defaultdelivery = "./mbox\n",
		.noathost = "example.com", .msg_fd = fd, .program_timeout = 5,
	};
	struct local_result r = { 0, SBUF_INIT };
	local_deliver(&a, &r);
	close(fd);
	sbuf_set(text, sbuf_cstr(&r.text), r.text.len);
	local_result_free(&r);
	return r.status;
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(getcwd(cwd, sizeof cwd));
	strcpy(dir, "/tmp/local_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	instance_set_home(dir);
	char md[128];
	snprintf(md, sizeof md, "%s/Maildir", dir);
	assert_int_equal(maildir_make(md, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	assert_int_equal(chdir(cwd), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_results(void **state)
{
	(void)state;
	put(".qmail-md", "./Maildir/\n", 0644);
	put(".qmail-p0", "|exit 0\n", 0644);
	put(".qmail-p99", "|exit 99\n./Maildir/\n", 0644);
	put(".qmail-p100", "|echo nope; exit 100\n", 0644);
	put(".qmail-p111", "|exit 111\n", 0644);
	put(".qmail-p64", "|exit 64\n", 0644);
	put(".qmail-env-default", "|echo \"$EXT|$EXT2|$DEFAULT|$HOST2|$RECIPIENT|$NEWSENDER\"\n", 0644);
	put(".qmail-ww", "./Maildir/\n", 0666);
	static const struct {
		const char *ext;
		char st;
		const char *text;
	} t[] = {
		{ "md", 'K', "did 1+0+0/" },
		{ "p0", 'K', "did 0+0+1/" },
		{ "p99", 'K', "did 0+0+1/" },
		{ "p100", 'D', "nope\n" },
		{ "p111", 'Z', NULL },
		{ "p64", 'D', NULL },
		{ "ww", 'Z', "Uh-oh: .qmail file is writable. (#4.7.0)" },
		{ "none", 'D', "Sorry, no mailbox here by that name. (#5.1.1)" },
		{ "env-a-b", 'K', "env-a-b|a-b|a-b|example|u-env-a-b@example.com|s@x.org\ndid 0+0+1/" },
	};
	struct sbuf text = SBUF_INIT, local = SBUF_INIT;
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		sbuf_clear(&local);
		sbuf_printf(&local, "u-%s", t[i].ext);
		char st = run(local.s, t[i].ext, "S: x\n\nbody\n", &text);
		assert_int_equal(st, t[i].st);
		if (t[i].text)
			assert_string_equal(sbuf_cstr(&text), t[i].text);
	}
	sbuf_free(&text);
	sbuf_free(&local);
}

static void test_loop_and_default(void **state)
{
	(void)state;
	struct sbuf text = SBUF_INIT;
	assert_int_equal(run("u", "", "Delivered-To: U@Example.com\n\nx\n", &text), 'D');
	assert_string_equal(text.s, "This message is looping: it already has my "
	                            "Delivered-To line. (#5.4.6)");
	/* only in the header: a body line does not count */
	assert_int_equal(run("u", "", "S: x\n\nDelivered-To: u@example.com\n", &text), 'K');
	struct sbuf box = get("mbox");
	assert_non_null(strstr(box.s, "Return-Path: <s@x.org>\nDelivered-To: u@example.com\n"));
	sbuf_free(&box);
	/* an empty .qmail means the default delivery too */
	put(".qmail", "", 0644);
	assert_int_equal(run("u", "", "S: y\n\n", &text), 'K');
	sbuf_free(&text);
}

static void test_forward(void **state)
{
	(void)state;
	char qq[256];
	snprintf(qq, sizeof qq, "%s/qq", dir);
	put("qq", "#!/bin/sh\ncat > \"$0.msg\"; cat <&1 > \"$0.env\"\n", 0755);
	setenv("QMAILQUEUE", qq, 1);
	put(".qmail-fw", "&a@example.net\nb\n", 0644);
	put(".qmail-fw-owner", "&owner@example.net\n", 0644);
	struct sbuf text = SBUF_INIT;
	assert_int_equal(run("u-fw", "fw", "S: x\n\nbody\n", &text), 'K');
	assert_string_equal(text.s, "did 0+2+0/");
	struct sbuf m = get("qq.msg"), e = get("qq.env");
	assert_string_equal(m.s, "Delivered-To: u-fw@example.com\nS: x\n\nbody\n");
	static const char env[] = "Fu-fw-owner@example.com\0Ta@example.net\0Tb@example.com\0";
	assert_true(e.len >= sizeof env - 1);
	assert_memory_equal(e.s, env, sizeof env - 1);
	put(".qmail-bad", "&<<>\n", 0644);
	assert_int_equal(run("u-bad", "bad", "S: x\n\n", &text), 'D');
	unsetenv("QMAILQUEUE");
	sbuf_free(&m);
	sbuf_free(&e);
	sbuf_free(&text);
}

static void test_sticky_and_status(void **state)
{
	(void)state;
	static const struct {
		int code;
		char st;
	} t[] = { { 0, 'K' }, { 99, 'S' }, { 100, 'D' }, { 64, 'D' }, { 65, 'D' }, { 70, 'D' },
	          { 76, 'D' }, { 77, 'D' }, { 78, 'D' }, { 112, 'D' }, { 111, 'Z' }, { 1, 'Z' },
	          { 101, 'Z' }, { 255, 'Z' } };
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		assert_int_equal(local_program_status(t[i].code), t[i].st);
	struct sbuf text = SBUF_INIT;
	chmod(dir, 01755);
	assert_int_equal(run("u", "", "S: x\n\n", &text), 'Z');
	assert_string_equal(text.s, "Uh-oh: home directory is sticky. (#4.2.1)");
	chmod(dir, 0755);
	sbuf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_loop_and_default),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_sticky_and_status),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

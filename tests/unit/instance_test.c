#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "instance.h"

static char tmpdir[] = "/tmp/instance_test.XXXXXX";

static void set_mode(const char *content)
{
	char path[512];
	snprintf(path, sizeof path, "%s/etc/mode", tmpdir);
	unlink(path);
	if (content)
		assert_int_equal(file_write_atomic(path, content, strlen(content), 0644), 0);
	/* The mode is cached per home; switching homes forces a re-read. */
	instance_set_home("/nonexistent-qng");
	(void)instance_is_root_mode();
	instance_set_home(tmpdir);
}

static void test_home(void **state)
{
	(void)state;
	instance_set_home(NULL);
	unsetenv("QMAILHOME");
	assert_string_equal(instance_home(), "/var/qmail");
	setenv("QMAILHOME", "", 1);
	assert_string_equal(instance_home(), "/var/qmail");
	setenv("QMAILHOME", "/srv/mail", 1);
	assert_string_equal(instance_home(), "/srv/mail");
	char *p = instance_path("control/me");
	assert_string_equal(p, "/srv/mail/control/me");
	free(p);
	instance_set_home("/opt/q");
	assert_string_equal(instance_home(), "/opt/q");
	instance_set_home(NULL);
	assert_string_equal(instance_home(), "/srv/mail");
	unsetenv("QMAILHOME");
}

struct mode_case {
	const char *content;
	bool is_root;
};

static const struct mode_case mode_cases[] = {
	{ NULL, false },
	{ "", false },
	{ "root\n", true },
	{ "root", true },
	{ "root \t\n", true },
	{ "root\r\n", true },
	{ "user\n", false },
	{ "rootx\n", false },
	{ " root\n", false },
	{ "Root\n", false },
	{ "\nroot\n", false },
	{ "roo\n", false },
};

static void test_mode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mode_cases / sizeof mode_cases[0]; i++) {
		set_mode(mode_cases[i].content);
		assert_int_equal(instance_is_root_mode(), mode_cases[i].is_root);
	}
}

static void test_roles_user_mode(void **state)
{
	(void)state;
	set_mode("user\n");
	for (int r = 0; r < ROLE_COUNT; r++) {
		struct role_id id;
		assert_int_equal(instance_role((enum role)r, &id), 0);
		assert_int_equal(id.uid, getuid());
		assert_int_equal(id.gid, getgid());
		assert_non_null(id.name);
	}
	struct role_id id;
	assert_int_equal(instance_role(ROLE_COUNT, &id), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(instance_role((enum role)-1, &id), -1);
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(instance_role_name(ROLE_SMTPD), "qmaild");
	assert_string_equal(instance_role_name(ROLE_LOG), "qmaill");
	assert_string_equal(instance_role_name(ROLE_GETPW), "qmailp");
	assert_string_equal(instance_role_name(ROLE_QUEUE), "qmailq");
	assert_string_equal(instance_role_name(ROLE_REMOTE), "qmailr");
	assert_string_equal(instance_role_name(ROLE_SEND), "qmails");
	assert_string_equal(instance_role_name(ROLE_ALIAS), "alias");
	assert_string_equal(instance_role_name(ROLE_VMAIL), "qmailv");
	assert_null(instance_role_name(ROLE_COUNT));
}

static void test_roles_root_mode(void **state)
{
	(void)state;
	set_mode("root\n");
	for (int r = 0; r < ROLE_COUNT; r++) {
		struct role_id id;
		const char *name = instance_role_name((enum role)r);
		int rc = instance_role((enum role)r, &id);
		int saved = errno;
		struct passwd *pw = getpwnam(name);
		if (!pw) {
			/* Missing account: fail closed, never fall back to our ids. */
			assert_int_equal(rc, -1);
			assert_int_equal(saved, ENOENT);
			continue;
		}
		if (rc == 0) {
			assert_int_equal(id.uid, pw->pw_uid);
			assert_string_equal(id.name, name);
		}
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	char etc[512];
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(etc, sizeof etc, "%s/etc", tmpdir);
	return mkdir(etc, 0755);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home),
		cmocka_unit_test(test_mode_table),
		cmocka_unit_test(test_roles_user_mode),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_roles_root_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

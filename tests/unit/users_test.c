/* users_test.c: users/cdb lookups, the alias fallback and users_deliverable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assign.h"
#include "cdbmap.h"
#include "instance.h"
#include "users.h"

static char home[256];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", home, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, 0644);
}

static void build_cdb(const char *rel, const char *const *lines, size_t n, bool assign)
{
	char p[512];
	struct cdbmap_build b;
	snprintf(p, sizeof p, "%s/%s", home, rel);
	assert_int_equal(cdbmap_build_begin(&b, p, NULL, 0644), 0);
	for (size_t i = 0; i < n; i++) {
		if (assign) {
			struct assign_entry e = { false, SBUF_INIT, SBUF_INIT };
			assert_int_equal(assign_parse_line(lines[i], strlen(lines[i]), &e), ASSIGN_ENTRY);
			assert_int_equal(cdbmap_build_add(&b, e.key.s, e.key.len, e.value.s, e.value.len), 0);
			assign_entry_free(&e);
		} else {
			const char *v = strchr(lines[i], ':');
			assert_int_equal(cdbmap_build_add(&b, lines[i], (size_t)(v - lines[i]), v + 1,
			                                  strlen(v + 1) + 1), 0);
		}
	}
	assert_int_equal(cdbmap_build_commit(&b), 0);
}

static int setup(void **state)
{
	(void)state;
	strcpy(home, "/tmp/users_test.XXXXXX");
	assert_non_null(mkdtemp(home));
	instance_set_home(home);
	char p[512];
	const char *dirs[] = { "users", "alias", "dom", "dom/x" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", home, dirs[i]);
		mkdir(p, 0755);
	}
	char l1[600], l2[600];
	snprintf(l1, sizeof l1, "+vd-example.com-:qmailv:1000:1001:%s/dom:-::", home);
	snprintf(l2, sizeof l2, "=Joe:joe:1002:1003:%s/dom/x:::", home);
	const char *lines[] = { l1, l2, "+vd-:short:5:5:/nonexistent:-:pre-:" };
	build_cdb("users/cdb", lines, 3, true);
	const char *aliases[] = { "postmaster:root@example.org" };
	build_cdb("alias/aliases.cdb", aliases, 1, false);
	put("dom/.qmail-alice", "./alice/Maildir/\n");
	put("dom/.qmail-list-default", "&someone@example.net\n");
	put("alias/.qmail-abuse", "&postmaster\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lookup(void **state)
{
	(void)state;
	const struct {
		const char *local, *user, *dash, *ext;
		unsigned uid;
	} t[] = {
		{ "vd-example.com-alice", "qmailv", "-", "alice", 1000 },
		{ "VD-Example.com-Alice", "qmailv", "-", "alice", 1000 },
		{ "joe", "joe", "", "", 1002 },
		{ "JOE", "joe", "", "", 1002 },
		{ "vd-other", "short", "-", "pre-other", 5 },
		{ "nobody-here", "alias", "-", "nobody-here", (unsigned)getuid() },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		struct local_user u = { 0 };
		assert_int_equal(users_lookup(t[i].local, &u), 1);
		assert_string_equal(u.user.s, t[i].user);
		assert_string_equal(sbuf_cstr(&u.dash), t[i].dash);
		assert_string_equal(sbuf_cstr(&u.ext), t[i].ext);
		assert_int_equal(u.uid, t[i].uid);
		local_user_free(&u);
	}
}

static void test_deliverable(void **state)
{
	(void)state;
	static const struct {
		const char *local;
		enum deliverable d;
	} t[] = {
		{ "vd-example.com-alice", DELIV_YES },
		{ "vd-example.com-ALICE", DELIV_YES },
		{ "vd-example.com-bob", DELIV_NO },
		{ "vd-example.com-list-a-b", DELIV_YES },
		{ "vd-example.com-list", DELIV_NO },
		{ "joe", DELIV_YES },           /* empty ext: default delivery */
		{ "postmaster", DELIV_YES },    /* aliases.cdb */
		{ "Abuse", DELIV_YES },         /* ~alias/.qmail-abuse */
		{ "nosuchalias", DELIV_NO },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		assert_int_equal(users_deliverable(t[i].local, "example.com"), t[i].d);
}

static void test_catchall(void **state)
{
	(void)state;
	put("dom/.qmail-default", "./catch/Maildir/\n");
	assert_int_equal(users_deliverable("vd-example.com-bob", "example.com"), DELIV_YES);
	char p[512];
	snprintf(p, sizeof p, "%s/dom/.qmail-default", home);
	unlink(p);
	assert_int_equal(users_deliverable("vd-example.com-bob", "example.com"), DELIV_NO);
}

static void test_bad_cdb(void **state)
{
	(void)state;
	char p[512];
	snprintf(p, sizeof p, "%s/users/cdb", home);
	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, p, NULL, 0644), 0);
	assert_int_equal(cdbmap_build_add(&b, "!broken", 8, "u\0" "1\0", 4), 0);
	assert_int_equal(cdbmap_build_commit(&b), 0);
	struct local_user u = { 0 };
	assert_int_equal(users_lookup("broken", &u), -1);
	local_user_free(&u);
	assert_int_equal(users_deliverable("broken", "x"), DELIV_UNKNOWN);
	/* a local part over the limit never matches */
	char longl[400];
	memset(longl, 'a', sizeof longl - 1);
	longl[sizeof longl - 1] = '\0';
	assert_int_equal(users_lookup(longl, &u), 0);
	local_user_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_deliverable),
		cmocka_unit_test(test_catchall),
		cmocka_unit_test(test_bad_cdb),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

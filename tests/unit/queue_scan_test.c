/* queue_scan_test: queue entry names and directory listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "queue_scan.h"

static void test_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool ok;
		uint64_t id;
	} t[] = {
		{ "1", true, 1 },
		{ "0", true, 0 },
		{ "123456789", true, 123456789 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "012", false, 0 },
		{ "", false, 0 },
		{ "12a", false, 0 },
		{ ".12", false, 0 },
		{ "-1", false, 0 },
		{ "123456789012345678901", false, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t id = 0;
		bool ok = queue_scan_name(t[i].name, &id);
		if (ok != t[i].ok || (ok && id != t[i].id))
			fail_msg("case %zu (%s)", i, t[i].name);
	}
}

static void test_dir(void **state)
{
	(void)state;
	char dir[] = "/tmp/qscan.XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const names[] = { "30", "4", "x", "100", "07" };
	char path[128];
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		fclose(fopen(path, "w"));
	}
	uint64_t *ids;
	size_t n;
	assert_int_equal(queue_scan_dir(dir, &ids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 4);
	assert_int_equal(ids[1], 30);
	assert_int_equal(ids[2], 100);
	free(ids);
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	assert_int_equal(queue_scan_dir("/nonexistent-qscan", &ids, &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_names),
					    cmocka_unit_test(test_dir) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* qmail-super's log writer, tested from its source (its header is private). */
#include "../../src/cmd/qmail-super/logw.c"

static char dir[] = "/tmp/logw_test.XXXXXX";

static char *slurp(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[2 * LOGW_LINE_MAX + 4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The text of every line of `s` without its timestamp, joined with '|'. */
static char *bodies(const char *s)
{
	static char out[2 * LOGW_LINE_MAX + 4096];
	size_t o = 0;
	while (s && *s) {
		const char *lf = strchr(s, '\n');
		assert_non_null(lf);
		/* 2026-11-22T02:46:31.581617Z + space */
		assert_true(lf - s >= 28);
		assert_int_equal(s[4], '-');
		assert_int_equal(s[10], 'T');
		assert_int_equal(s[19], '.');
		assert_int_equal(s[26], 'Z');
		assert_int_equal(s[27], ' ');
		if (o)
			out[o++] = '|';
		memcpy(out + o, s + 28, (size_t)(lf - s - 28));
		o += (size_t)(lf - s - 28);
		s = lf + 1;
	}
	out[o] = '\0';
	return out;
}

/* What the writer holds (qmail-super never lets one go). */
static void drop(struct logw *w)
{
	sbuf_free(&w->partial);
	sbuf_free(&w->out);
	close(w->fd);
	free(w->dir);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/logw_test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lines_and_partials(void **state)
{
	(void)state;
	struct logw w;
	assert_int_equal(logw_open(&w, dir), 0);
	logw_feed(&w, "a\nb", 3);
	assert_string_equal(bodies(slurp("current")), "a");
	logw_feed(&w, "c\n\nd\n", 5);
	assert_string_equal(bodies(slurp("current")), "a|bc||d");
	logw_feed(&w, "tail", 4);
	logw_flush(&w);
	assert_string_equal(bodies(slurp("current")), "a|bc||d|tail");
	logw_line(&w, "n=%d", 7);
	assert_string_equal(bodies(slurp("current")), "a|bc||d|tail|n=7");
	assert_int_equal(w.out.len, 0);
	drop(&w);
}

/* A line of LOGW_LINE_MAX - 1, LOGW_LINE_MAX and LOGW_LINE_MAX + 1 bytes:
 * only the last is cut, and its excess becomes a line of its own. */
static void test_line_max(void **state)
{
	(void)state;
	static const size_t lens[] = {LOGW_LINE_MAX - 1, LOGW_LINE_MAX, LOGW_LINE_MAX + 1};
	for (size_t i = 0; i < 3; i++) {
		teardown(state);
		assert_int_equal(setup(state), 0);
		struct logw w;
		assert_int_equal(logw_open(&w, dir), 0);
		char *line = malloc(lens[i] + 1);
		memset(line, 'x', lens[i]);
		line[lens[i]] = '\n';
		logw_feed(&w, line, lens[i] + 1);
		const char *b = bodies(slurp("current"));
		const char *bar = strchr(b, '|');
		if (lens[i] <= LOGW_LINE_MAX) {
			assert_null(bar);
			assert_int_equal(strlen(b), lens[i]);
		} else {
			assert_non_null(bar);
			assert_int_equal(bar - b, LOGW_LINE_MAX);
			assert_string_equal(bar, "|x");
		}
		free(line);
		drop(&w);
	}
}

/* Rotation happens between lines of one batch: the file that reaches the
 * size ends on a whole line, and the rest of the batch starts a new one. */
static void test_rotation_inside_a_batch(void **state)
{
	(void)state;
	struct logw w;
	assert_int_equal(logw_open(&w, dir), 0);
	logw_feed(&w, "first\n", 6);
	w.size = LOGW_ROTATE_SIZE - 1; /* as if the file were that long */
	logw_feed(&w, "second\nthird\n", 13);
	assert_string_equal(bodies(slurp("current.1")), "first|second");
	assert_string_equal(bodies(slurp("current")), "third");
	for (int i = 0; i < LOGW_KEEP + 2; i++) {
		w.size = LOGW_ROTATE_SIZE;
		char one[32];
		int n = snprintf(one, sizeof one, "r%d\n", i);
		logw_feed(&w, one, (size_t)n);
	}
	char name[32];
	snprintf(name, sizeof name, "current.%d", LOGW_KEEP);
	assert_non_null(slurp(name));
	snprintf(name, sizeof name, "current.%d", LOGW_KEEP + 1);
	assert_null(slurp(name));
	snprintf(name, sizeof name, "r%d", LOGW_KEEP + 1);
	assert_string_equal(bodies(slurp("current")), name);
	drop(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_partials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_inside_a_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

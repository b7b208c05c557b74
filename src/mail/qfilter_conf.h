/*
 * qfilter_conf.h: the filter chain of qmail-qfilter (control/qfilters).
 *
 * Format (qmail-qfilter(8)): one filter per line; a line is an absolute
 * program path followed by its arguments, separated by spaces or tabs.
 * No shell, no quoting, no variables: each word becomes one argv entry.
 * Empty lines and lines starting with '#' are ignored; trailing spaces
 * and tabs are ignored.  Fails closed: a relative program path, a NUL or
 * CR byte, more than QFILTER_MAX filters, more than QFILTER_ARGS_MAX words
 * on a line or a line longer than QFILTER_LINE_MAX makes the whole file
 * invalid (-1, errno EINVAL), so a broken chain is never half applied.
 * The result owns its strings; free it with qfilter_conf_free.
 */
#ifndef QNG_QFILTER_CONF_H
#define QNG_QFILTER_CONF_H

#include <stddef.h>

#define QFILTER_MAX 32
#define QFILTER_ARGS_MAX 64
#define QFILTER_LINE_MAX 4096
#define QFILTER_TIMEOUT_DEFAULT 300
#define QFILTER_TIMEOUT_MAX 86400

struct qfilter {
	char **argv; /* NULL-terminated; argv[0] is the program path */
	size_t argc;
};

struct qfilter_conf {
	struct qfilter *v;
	size_t n;
};

/* Parses a file's bytes (pure; fuzzed).  0 ok, -1 EINVAL; *out is empty
 * after a failure. */
int qfilter_conf_parse(const char *data, size_t len, struct qfilter_conf *out);
/* Reads the file at path; a missing file is an empty chain (returns 0). */
int qfilter_conf_read(const char *path, struct qfilter_conf *out);
void qfilter_conf_free(struct qfilter_conf *c);

#endif

/*
 * qmail-newu: compile $QMAILHOME/users/assign into users/cdb atomically
 * (qmail-newu(8), record format in assign.h and qmail-users(5)).  A
 * malformed line is reported with its number and nothing is changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "assign.h"
#include "cdbmap.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"

#define ASSIGN_FILE_MAX (64u * 1024u * 1024u)

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "qmail-newu: fatal: %s%s%s\n", what, detail ? ": " : "",
	        detail ? detail : "");
	return EXIT_TEMP;
}

static int add_lines(struct cdbmap_build *b, const struct sbuf *data)
{
	struct assign_entry e = { false, SBUF_INIT, SBUF_INIT };
	size_t pos = 0, lineno = 0;
	int r = 0;
	while (pos < data->len && r == 0) {
		const char *nl = memchr(data->s + pos, '\n', data->len - pos);
		size_t end = nl ? (size_t)(nl - data->s) : data->len;
		lineno++;
		enum assign_status st = assign_parse_line(data->s + pos, end - pos, &e);
		if (st == ASSIGN_ENTRY) {
			if (cdbmap_build_add(b, e.key.s, e.key.len, e.value.s, e.value.len) != 0)
				r = die("unable to write users/cdb.tmp", strerror(errno));
		} else if (st != ASSIGN_SKIP) {
			fprintf(stderr, "qmail-newu: fatal: users/assign line %zu: %s\n", lineno,
			        assign_status_str(st));
			r = EXIT_TEMP;
		}
		pos = end + 1;
	}
	assign_entry_free(&e);
	return r;
}

int main(void)
{
	char *assign = instance_path("users/assign");
	char *cdb = instance_path("users/cdb");
	char *tmp = instance_path("users/cdb.tmp");
	struct sbuf data = SBUF_INIT;
	struct cdbmap_build b;
	if (file_read_all(assign, &data, ASSIGN_FILE_MAX) != 0)
		return die("unable to read users/assign", strerror(errno));
	if (cdbmap_build_begin(&b, cdb, tmp, 0644) != 0)
		return die("unable to create users/cdb.tmp", strerror(errno));
	int r = add_lines(&b, &data);
	if (r != 0) {
		cdbmap_build_abort(&b);
		return r;
	}
	if (cdbmap_build_commit(&b) != 0)
		return die("unable to write users/cdb", strerror(errno));
	free(assign);
	free(cdb);
	free(tmp);
	sbuf_free(&data);
	return 0;
}

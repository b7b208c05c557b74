/*
 * qmail-qstat: "messages in queue: N" (files in mess/) and "messages in
 * queue but not yet preprocessed: M" (files in todo/), as qmail prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "instance.h"
#include "queue_scan.h"

static int count(const char *dir, size_t *n)
{
	uint64_t *ids;
	if (queue_scan_dir(dir, &ids, n) < 0) {
		fprintf(stderr, "qmail-qstat: fatal: unable to read queue/%s\n", dir);
		return -1;
	}
	free(ids);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-d") == 0)
		instance_set_home(argv[2]);
	char *q = instance_path("queue");
	if (chdir(q) < 0) {
		fprintf(stderr, "qmail-qstat: fatal: unable to switch to %s\n", q);
		return EXIT_TEMP;
	}
	free(q);
	size_t mess, todo;
	if (count("mess", &mess) < 0 || count("todo", &todo) < 0)
		return EXIT_TEMP;
	printf("messages in queue: %zu\nmessages in queue but not yet preprocessed: %zu\n", mess,
	       todo);
	return fflush(stdout) == 0 ? 0 : EXIT_TEMP;
}

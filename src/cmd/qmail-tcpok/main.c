/*
 * qmail-tcpok: forgets every connection failure qmail-remote recorded
 * (queue/lock/tcpto, see tcpto.h), so the next delivery tries every host.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "instance.h"
#include "tcpto.h"

int main(void)
{
	char *path = instance_path("queue/lock/tcpto");
	if (tcpto_clear(path) < 0) {
		fprintf(stderr, "qmail-tcpok: cannot clear %s: %s\n", path, strerror(errno));
		return EXIT_TEMP;
	}
	return EXIT_OK_CODE;
}

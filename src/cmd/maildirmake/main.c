/* maildirmake DIR: create a Maildir (DIR must not exist yet). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "exitcode.h"
#include "maildir.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: maildirmake dir\n", stderr);
		return EXIT_PERM;
	}
	if (mkdir(argv[1], 0700) != 0 || maildir_make(argv[1], 0700) != 0) {
		fprintf(stderr, "maildirmake: fatal: unable to create %s: %s\n", argv[1],
		        strerror(errno));
		return EXIT_TEMP;
	}
	return 0;
}

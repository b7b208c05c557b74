/* bouncesaying error [program [arg ...]]: bounce with error; with a
 * program, only when it exits 0 (111 means temporary, others go on). */
#include <stdio.h>

#include "exitcode.h"
#include "toolrun.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: bouncesaying error [program [arg ...]]\n", stderr);
		return EXIT_PERM;
	}
	if (argc > 2) {
		int r = toolrun_wait(argv + 2, -1);
		if (r < 0 || r == EXIT_TEMP)
			return EXIT_TEMP;
		if (r != 0)
			return 0;
	}
	puts(argv[1]);
	return EXIT_PERM;
}

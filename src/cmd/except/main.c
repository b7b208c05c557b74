/* except program [arg ...]: run program, turning success into a permanent
 * failure (exit 100) and exit 100 into success; other codes pass. */
#include <stdio.h>

#include "exitcode.h"
#include "toolrun.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: except program [arg ...]\n", stderr);
		return EXIT_PERM;
	}
	int r = toolrun_wait(argv + 1, -1);
	if (r < 0)
		return EXIT_TEMP;
	return r == 0 ? EXIT_PERM : r == EXIT_PERM ? 0 : r;
}

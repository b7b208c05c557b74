/* forward address ...: forward the message on stdin to the addresses,
 * with $DTLINE prepended and $NEWSENDER as the envelope sender. */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "toolrun.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: forward address ...\n", stderr);
		return EXIT_PERM;
	}
	struct strlist t = { 0 };
	for (int i = 1; i < argc; i++)
		strlist_add(&t, argv[i], strlen(argv[i]));
	int r = toolrun_forward(&t);
	strlist_free(&t);
	return r;
}

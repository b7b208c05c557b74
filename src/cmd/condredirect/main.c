/* condredirect newaddress program [arg ...]: when program exits 0, forward
 * the message to newaddress and exit 99 (stop); 111 is temporary; any
 * other exit code lets the .qmail file go on. */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "toolrun.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: condredirect newaddress program [arg ...]\n", stderr);
		return EXIT_PERM;
	}
	int r = toolrun_wait(argv + 2, -1);
	if (r < 0 || r == EXIT_TEMP)
		return EXIT_TEMP;
	if (r != 0)
		return 0;
	struct strlist t = { 0 };
	strlist_add(&t, argv[1], strlen(argv[1]));
	r = toolrun_forward(&t);
	strlist_free(&t);
	return r == 0 ? EXIT_STOP : r;
}

/*
 * qmail-getpw local: print who receives the local part, as qmail-getpw(8):
 * user NUL uid NUL gid NUL home NUL dash NUL ext NUL.  Uses the same
 * lookup as delivery (users/cdb, then passwd, then the alias user).
 */
#include <stdio.h>

#include "exitcode.h"
#include "fdio.h"
#include "users.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: qmail-getpw local\n", stderr);
		return EXIT_PERM;
	}
	struct local_user u = { 0 };
	int r = users_lookup(argv[1], &u);
	if (r < 0)
		return EXIT_TEMP;
	if (r == 0)
		return EXIT_PERM;
	struct sbuf out = SBUF_INIT;
	sbuf_append(&out, u.user.s, u.user.len + 1);
	sbuf_printf(&out, "%lu", (unsigned long)u.uid);
	sbuf_append_char(&out, '\0');
	sbuf_printf(&out, "%lu", (unsigned long)u.gid);
	sbuf_append_char(&out, '\0');
	sbuf_append(&out, u.home.s, u.home.len + 1);
	sbuf_append(&out, sbuf_cstr(&u.dash), u.dash.len + 1);
	sbuf_append(&out, sbuf_cstr(&u.ext), u.ext.len + 1);
	return fd_write_all(1, out.s, out.len) == 0 ? 0 : EXIT_TEMP;
}

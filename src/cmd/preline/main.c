/* preline [-dfr] program [arg ...]: feed program the message on stdin
 * preceded by $UFLINE, $RPLINE and $DTLINE (-f, -r, -d leave one out). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "fdio.h"
#include "msgio.h"
#include "toolrun.h"

static void put_env(int fd, const char *name)
{
	const char *v = getenv(name);
	if (v)
		(void)fd_write_all(fd, v, strlen(v));
}

int main(int argc, char **argv)
{
	bool want_uf = true, want_rp = true, want_dt = true;
	int opt;
	while ((opt = getopt(argc, argv, "+dfr")) != -1) {
		if (opt == 'd')
			want_dt = false;
		else if (opt == 'f')
			want_uf = false;
		else if (opt == 'r')
			want_rp = false;
		else
			return EXIT_PERM;
	}
	if (optind >= argc) {
		fputs("usage: preline [-dfr] program [arg ...]\n", stderr);
		return EXIT_PERM;
	}
	int p[2];
	if (pipe(p) != 0)
		return EXIT_TEMP;
	pid_t writer = fork();
	if (writer < 0)
		return EXIT_TEMP;
	if (writer == 0) {   /* feeds the program; a program that stops reading is fine */
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		if (want_uf)
			put_env(p[1], "UFLINE");
		if (want_rp)
			put_env(p[1], "RPLINE");
		if (want_dt)
			put_env(p[1], "DTLINE");
		bool is_read = false;
		_exit(msgio_copy(0, p[1], &is_read) != 0 && is_read ? EXIT_TEMP : 0);
	}
	close(p[1]);
	int r = toolrun_wait(argv + optind, p[0]);
	int st;
	while (waitpid(writer, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return EXIT_TEMP;
	return r;
}

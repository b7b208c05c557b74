/*
 * qmail-popup: the POP3 front end before authentication (qmail-popup(8)).
 *
 *   qmail-popup hostname checkpassword subprogram [arg...]
 *
 * Forks: the child (qmaild in root mode) talks to the client on fds 0/1;
 * the parent runs "checkpassword subprogram arg..." for each login attempt
 * with "user NUL password NUL timestamp NUL" on fd 3 (popup.h).
 */
#include "popup.h"

#include "alloc.h"
#include "exitcode.h"
#include "log.h"
#include "tlsctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void out_of_memory(void)
{
	_exit(EXIT_TEMP);
}

int main(int argc, char **argv)
{
	log_set_ident("qmail-popup");
	alloc_set_fatal(out_of_memory);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 4) {
		fprintf(stderr, "qmail-popup: usage: qmail-popup hostname checkpassword "
		                "subprogram [arg...]\n");
		return EXIT_PERM;
	}
	/* Under qmail-listen -Z the TLS proxy already holds the session; its
	 * control channel is of no use here and must not reach pop3d. */
	if (getenv("TLSCTLFD")) {
		close(TLSCTL_FD);
		unsetenv("TLSCTLFD");
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_kv(LOG_LEVEL_ERROR, "socketpair", "error", strerror(errno), (char *)NULL);
		return EXIT_TEMP;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_kv(LOG_LEVEL_ERROR, "fork", "error", strerror(errno), (char *)NULL);
		return EXIT_TEMP;
	}
	if (pid == 0) {
		close(sp[0]);
		_exit(popup_net(sp[1], argv[1]));
	}
	close(sp[1]);
	int rc = popup_broker(sp[0], argv + 2);
	close(sp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

/*
 * qmail-popup: the POP3 front end before authentication (qmail-popup(8)).
 *
 *   qmail-popup hostname checkpassword subprogram [arg...]
 *
 * Forks: the child (qmaild in root mode) talks to the client on fds 0/1;
 * the parent runs "checkpassword subprogram arg..." for each login attempt
 * with "user NUL password NUL timestamp NUL" on fd 3 (popup.h).
 */
#include "proclimit.h"
#include "proto_limits.h"
#include "popup.h"

#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "fdio.h"
#include "log.h"
#include "scan.h"
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

/*
 * The TLS proxy's control channel (qmail-listen -S / -Z).  Under -S the
 * network half keeps it for STLS; under -Z the proxy already holds the
 * session and the channel is of no use.  Either way it must not reach
 * checkpassword or pop3d.
 */
static int tls_channel(void)
{
	const char *v = getenv("TLSCTLFD"), *mode = getenv("TLSMODE");
	uint64_t fd;
	int ctl = -1;
	if (v && scan_u64_str(v, 1024, &fd)) {
		if (mode && strcmp(mode, "starttls") == 0 && fd_set_cloexec((int)fd, 1) == 0)
			ctl = (int)fd;
		else
			close((int)fd);
	}
	unsetenv("TLSCTLFD");
	unsetenv("TLSMODE");
	return ctl;
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	log_set_ident("qmail-popup");
	alloc_set_fatal(out_of_memory);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 4) {
		fprintf(stderr, "qmail-popup: usage: qmail-popup hostname checkpassword "
		                "subprogram [arg...]\n");
		return EXIT_PERM;
	}
	int ctl = tls_channel();
	uint64_t require = 0;
	(void)control_read_u64("pop3requiretls", 0, 1, &require);
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
		_exit(popup_net(sp[1], argv[1], ctl, require != 0));
	}
	close(sp[1]);
	if (ctl >= 0)
		close(ctl); /* the broker never talks to the TLS proxy */
	int rc = popup_broker(sp[0], argv + 2);
	close(sp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

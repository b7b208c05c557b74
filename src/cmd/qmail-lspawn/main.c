/*
 * qmail-lspawn: local delivery spawner (docs/PROTOCOLS.md).
 *
 *   qmail-lspawn defaultdelivery
 *
 * Requests "id\0mess\0sender\0recipient\0" arrive on fd 0; reports
 * "id\0" status text "\0" leave on fd 1.  Runs with cwd = $QMAILHOME.
 * For each request the parent opens queue/mess/N (O_NOFOLLOW), looks the
 * user up (users_lookup, in-process, including the getpwnam fallback),
 * then hands the delivery to a worker of that owner (lspawn.h): a child
 * that became the user once (root mode: groups, gid, uid; uid 0 is
 * refused) and runs the delivery engine in-process, one delivery at a
 * time, sending back status and text.  Workers are forked on demand, so
 * many deliveries run at once; idle ones are retired after a few seconds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "instance.h"
#include "local_deliver.h"
#include "lspawn.h"

static void fatal(const char *msg)
{
	fprintf(stderr, "qmail-lspawn: fatal: %s\n", msg);
	exit(EXIT_TEMP);
}

static void load_config(struct lspawn *ls, const char *defaultdelivery)
{
	struct sbuf me = SBUF_INIT;
	uint64_t t = LOCAL_PROGRAM_TIMEOUT;
	if (chdir(instance_home()) != 0)
		fatal("unable to chdir to QMAILHOME");
	if (control_read_line("me", "localhost", &me) < 0
	    || control_read_line("envnoathost", me.s, &ls->noathost) < 0
	    || control_read_u64("timeoutlocal", LOCAL_PROGRAM_TIMEOUT, 30u * 86400u, &t) < 0)
		fatal("unable to read control files");
	sbuf_free(&me);
	ls->timeout = t > 0 ? (unsigned)t : 1;
	ls->defaultdelivery = defaultdelivery;
	ls->is_root_mode = instance_is_root_mode();
}

void lspawn_default_signals(void)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(DELIVERY_AS_LIMIT); /* D-07 */
	if (argc != 2) {
		fputs("usage: qmail-lspawn defaultdelivery\n", stderr);
		return EXIT_USAGE;
	}
	struct lspawn ls;
	memset(&ls, 0, sizeof ls);
	/*
	 * Like qmail-rspawn and qmail-clean: stop only when qmail-send closes
	 * our input, so a signal to the whole process group never cuts a
	 * delivery short.  Delivery workers get the defaults back.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
	load_config(&ls, argv[1]);
	return lspawn_loop(&ls) == 0 ? 0 : EXIT_TEMP;
}

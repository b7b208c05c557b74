/*
 * qmail-local: deliver one message to one local user (qmail-local(8)).
 *
 *   qmail-local [-nN] user homedir local dash ext domain sender defaultdelivery
 *
 * The message is on fd 0 (copied to an unlinked temporary file when fd 0
 * cannot seek).  The result is the exit code (0 delivered, 100 permanent,
 * 111 temporary) and one line of text on fd 1.  A thin wrapper over the
 * engine in src/mail/local_deliver.c, which qmail-lspawn runs in-process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "control.h"
#include "crashpoint.h"
#include "exitcode.h"
#include "fdio.h"
#include "local_deliver.h"
#include "msgio.h"

static void usage(void)
{
	fputs("usage: qmail-local [-nN] user homedir local dash ext domain sender "
	      "defaultdelivery\n", stderr);
	_exit(EXIT_USAGE);
}

static int seekable_message(void)
{
	if (lseek(0, 0, SEEK_SET) == 0)
		return 0;
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char tmpl[] = "/tmp/qmail-local.XXXXXX";
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	bool is_read = false;
	if (fd < 0 || msgio_copy(0, fd, &is_read) != 0)
		return -1;
	return fd;
}

static unsigned read_timeout(void)
{
	uint64_t t = LOCAL_PROGRAM_TIMEOUT;
	if (control_read_u64("timeoutlocal", LOCAL_PROGRAM_TIMEOUT, 30u * 86400u, &t) < 0)
		t = LOCAL_PROGRAM_TIMEOUT;
	return t > 0 ? (unsigned)t : 1;
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(DELIVERY_AS_LIMIT); /* D-07 */
	struct local_args a = { 0 };
	int argi = 1;
	for (; argi < argc && argv[argi][0] == '-' && argv[argi][1]; argi++) {
		if (strcmp(argv[argi], "-n") == 0)
			a.dry_run = true;
		else if (strcmp(argv[argi], "-N") == 0)
			a.dry_run = false;
		else
			usage();
	}
	if (argc - argi != 8)
		usage();
	char **v = argv + argi;
	a.user = v[0], a.home = v[1], a.local = v[2], a.dash = v[3];
	a.ext = v[4], a.domain = v[5], a.sender = v[6], a.defaultdelivery = v[7];
	struct sbuf noathost = SBUF_INIT, me = SBUF_INIT;
	if (control_read_line("me", "localhost", &me) < 0
	    || control_read_line("envnoathost", me.s, &noathost) < 0) {
		puts("Unable to read control files. (#4.3.0)");
		return EXIT_TEMP;
	}
	a.noathost = noathost.s;
	a.program_timeout = read_timeout();
	a.msg_fd = seekable_message();
	if (a.msg_fd < 0) {
		puts("Unable to read message. (#4.3.0)");
		return EXIT_TEMP;
	}
	struct local_result res = { 0, SBUF_INIT };
	local_deliver(&a, &res);
	crashpoint("local-before-report");
	printf("%s\n", sbuf_cstr(&res.text));
	if (fflush(stdout) != 0)
		return EXIT_TEMP;
	return res.status == 'K' ? 0 : res.status == 'D' ? EXIT_PERM : EXIT_TEMP;
}

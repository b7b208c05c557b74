/*
 * qmail-rcptcheck: does this instance have a mailbox for a recipient?
 * (qmail-rcptcheck(8)).  The recipient comes from $RECIPIENT, or from
 * the first argument.  It answers with the delivery logic itself
 * (route_classify, then users_deliverable for a local address), so it
 * agrees with qmail-send; it can serve as qmail-smtpd's RCPTCHECK or be
 * called by another MTA.
 *
 * Exit 0: deliverable, or not a local domain (not ours to judge);
 * 100: a local address nobody receives (a 550 reply line on stdout);
 * 111: the configuration could not be read (a 451 line on stdout).
 */
#include "addr.h"
#include "exitcode.h"
#include "log.h"
#include "route.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void lower(struct sbuf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		if (b->s[i] >= 'A' && b->s[i] <= 'Z')
			b->s[i] = (char)(b->s[i] - 'A' + 'a');
	}
}

static int check(const struct route_config *rc, const char *addr)
{
	struct sbuf routed = SBUF_INIT, local = SBUF_INIT, domain = SBUF_INIT;
	enum deliverable d = DELIV_YES;
	if (route_classify(rc, addr, &routed) == ROUTE_LOCAL) {
		addr_split(sbuf_cstr(&routed), &local, &domain);
		lower(&local);
		d = users_deliverable(sbuf_cstr(&local), sbuf_cstr(&domain));
	}
	sbuf_free(&routed);
	sbuf_free(&local);
	sbuf_free(&domain);
	if (d != DELIV_NO)
		return EXIT_OK_CODE;
	puts("550 5.1.1 sorry, no mailbox here by that name");
	return EXIT_PERM;
}

int main(int argc, char **argv)
{
	struct route_config rc;
	const char *addr = argc > 1 ? argv[1] : getenv("RECIPIENT");
	log_set_ident("qmail-rcptcheck");
	if (!addr || !*addr || strchr(addr, '\n') || strchr(addr, '\r')) {
		fputs("usage: qmail-rcptcheck [ADDRESS] (or $RECIPIENT)\n", stderr);
		return EXIT_USAGE;
	}
	if (route_config_load(&rc) < 0) {
		puts("451 4.3.0 unable to read the configuration");
		return EXIT_TEMP;
	}
	int code = check(&rc, addr);
	route_config_free(&rc);
	return fflush(stdout) == 0 ? code : EXIT_TEMP;
}

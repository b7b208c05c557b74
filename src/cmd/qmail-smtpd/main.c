/*
 * qmail-smtpd: receive mail over ESMTP on fds 0/1 and queue it with
 * qmail-queue.  One process per connection, started by qmail-listen (or
 * tcpserver) with no privileges; see qmail-smtpd(8).
 */
#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "instance.h"
#include "log.h"
#include "smtpd_config.h"
#include "smtpd_policy.h"
#include "smtpd_session.h"
#include "unbound_dl.h"
#include "zygote.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* D-07: every daemon runs with an address-space limit. */

static void out_of_memory(void)
{
	static const char msg[] = "421 4.3.0 out of memory, closing connection\r\n";
	(void)!write(1, msg, sizeof msg - 1);
	_exit(EXIT_TEMP);
}

static void limit_memory(void)
{
	if (proclimit_address_space(PROCESS_AS_LIMIT) < 0)
		log_kv(LOG_LEVEL_WARN, "rlimit", "error", strerror(errno), (char *)NULL);
}

/*
 * In the zygote: read the configuration once with a control snapshot
 * (control.h), so that a session opens no control file unless one changed;
 * the snapshot is made again before the next fork after a change.  When the
 * configuration checks SPF or a DNSBL, load libunbound here once (about
 * 1.5 ms per process otherwise) and set a resolver up ready for use
 * (smtpd_policy_prepare_dns), with a fresh shared DNS answer cache
 * (dnscache.h, made again at each load); every session inherits them.  A
 * configuration changed later still works: the sessions then load the
 * library themselves.  The time zone is set up here too (the C library
 * otherwise reads /etc/localtime in each session at its first date).
 */
#define TIDY_SORT_BYTES (120u * 1024u) /* below malloc's mmap threshold */

/*
 * What the loads above freed lies in malloc's unsorted list and fast bins.
 * A session's first allocations would sort and merge them, writing into
 * chunks spread over pages it shares with the zygote: a copy-on-write fault
 * for each.  Merge and sort them here once: malloc_trim merges the fast
 * bins and gives whole free pages back; one allocation larger than any free
 * chunk sorts the unsorted list into the bins, and, taken from the top,
 * goes back into it when freed.
 */
static void tidy_heap(void)
{
	(void)malloc_trim(0);
	free(xmalloc(TIDY_SORT_BYTES));
}

static void preload(void)
{
	tzset();
	struct smtpd_config c;
	struct smtpd_policy p;
	const char *what = "";
	bool has_snapshot = control_snapshot_begin() == 0;
	int rc = smtpd_config_load(&c, &what);
	if (rc == 0)
		smtpd_config_free(&c);
	if (rc == 0 && smtpd_policy_load(&p, &what) == 0) {
		if (p.spf_level > 0 || p.dnsbl.n > 0) {
			struct sbuf err = SBUF_INIT;
			(void)unbound_dl_load(&err);
			sbuf_free(&err);
		}
		smtpd_policy_prepare_dns(&p);
		smtpd_policy_free(&p);
	}
	if (has_snapshot)
		control_snapshot_end();
	tidy_heap();
}

static void refresh_snapshot(void)
{
	if (control_snapshot_changed())
		preload();
}

int main(int argc, char **argv)
{
	struct smtpd_config cfg;
	struct smtpd_session s;
	struct smtpd_policy policy;
	const char *what = "";
	log_set_ident("qmail-smtpd");
	alloc_set_fatal(out_of_memory);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would hide qmail-queue's status */
	limit_memory();
	if (getenv("ZYGOTEFD")) {
		preload();
		zygote_set_before_fork(refresh_snapshot);
	}
	zygote_serve(); /* qmail-listen -z: returns in each session's process */
	/* "qmail-smtpd -s": the submission service (RFC 6409), as SUBMISSION=1. */
	if (argc > 1 && strcmp(argv[1], "-s") == 0 && setenv("SUBMISSION", "1", 1) < 0)
		out_of_memory();
	if (smtpd_config_load(&cfg, &what) < 0 || smtpd_policy_load(&policy, &what) < 0) {
		static const char msg[] = "421 4.3.0 unable to read configuration\r\n";
		log_kv(LOG_LEVEL_ERROR, "config", "file", what, "error", strerror(errno),
		       (char *)NULL);
		(void)!write(1, msg, sizeof msg - 1);
		return EXIT_TEMP;
	}
	if (!cfg.has_rcpthosts) /* D-04: fail closed, say so once */
		log_kv(LOG_LEVEL_WARN, "config", "file", "rcpthosts", "note",
		       "missing: no domain accepted except for RELAYCLIENT", (char *)NULL);
	smtpd_session_init(&s, &cfg, 0, 1);
	smtpd_policy_attach(&policy, &s);
	int code = smtpd_session_run(&s);
	/* A session forked by the zygote ends without freeing anything, without
	 * the exit handlers and without the library destructors (libunbound's,
	 * the C library's): nothing of them is needed, and each page they touch
	 * is one the zygote shares with us, so freeing (the inherited resolver
	 * above all) costs a copy of every such page. */
	if (zygote_is_session())
		_exit(code);
	smtpd_session_free(&s);
	smtpd_policy_free(&policy);
	smtpd_config_free(&cfg);
	return code;
}

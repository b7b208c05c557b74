/*
 * qmail-rcptchecks: an RCPTCHECK program that runs a chain of RCPTCHECK
 * programs (qmail-rcptchecks(8); rejectutils calls it qmail-rcptcheck).
 *
 * control/rcptchecks lists one program a line in control/qfilters' format
 * (qfilter_conf.h: an absolute path and its arguments, no shell).  Each
 * runs in turn with our environment (SENDER, RECIPIENT, TCPREMOTEIP, ...),
 * stdin /dev/null, its stdout read as qmail-smtpd reads an RCPTCHECK
 * program's (rcptcheck.h).  Exit 0 goes on to the next; the first 100
 * (reject) or 111 (defer) ends the chain with that code and the program's
 * reply line, if it wrote a valid one; any other exit, a signal, a program
 * that cannot be run, or the chain's time budget running out defers (111).
 * Every program accepting (or an empty chain) accepts: exit 0.
 */
#include "control.h"
#include "exitcode.h"
#include "fdio.h"
#include "log.h"
#include "qfilter_conf.h"
#include "rcptcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* qmail-smtpd gives the whole chain RCPTCHECK_TIMEOUT_S; keep a margin. */
#define CHAIN_BUDGET_S (RCPTCHECK_TIMEOUT_S - 5)

static int say(int code, const char *line)
{
	if (line && *line) {
		struct sbuf b = SBUF_INIT;
		sbuf_printf(&b, "%s\n", line);
		if (fd_write_all(1, b.s, b.len) < 0)
			code = EXIT_TEMP;
		sbuf_free(&b);
	}
	return code;
}

static unsigned seconds_left(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long used = (long)(now.tv_sec - start->tv_sec);
	return used >= CHAIN_BUDGET_S ? 0 : (unsigned)(CHAIN_BUDGET_S - used);
}

/* The program's first output line if it is a valid reply of class cls. */
static void own_reply(const struct sbuf *out, char cls, struct sbuf *line)
{
	const char *s = sbuf_cstr(out);
	const char *nl = memchr(s, '\n', out->len);
	size_t first = nl ? (size_t)(nl - s) : out->len;
	if (first > 0 && s[first - 1] == '\r')
		first--;
	sbuf_clear(line);
	if (rcptcheck_valid_reply(s, first, cls))
		sbuf_set(line, s, first);
}

/* Runs one program: 0 accept, else the chain's exit code (reply in line). */
static int run_one(const struct qfilter *f, unsigned timeout_s, struct sbuf *line)
{
	struct sbuf out = SBUF_INIT;
	int code = rcptcheck_exec_argv(f->argv, NULL, timeout_s, RCPTCHECK_OUT_MAX, &out);
	if (code == EXIT_PERM || code == EXIT_TEMP)
		own_reply(&out, code == EXIT_PERM ? '5' : '4', line);
	sbuf_free(&out);
	if (code == EXIT_OK_CODE || code == EXIT_PERM || code == EXIT_TEMP)
		return code;
	char n[16];
	snprintf(n, sizeof n, "%d", code);
	log_kv(LOG_LEVEL_WARN, "check_failed", "program", f->argv[0], "exit",
	       code < 0 ? "none (not run, killed or timed out)" : n, "result", "defer",
	       (char *)NULL);
	return EXIT_TEMP;
}

static int run_chain(const struct qfilter_conf *c)
{
	struct timespec start;
	struct sbuf line = SBUF_INIT;
	int code = EXIT_OK_CODE;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < c->n && code == EXIT_OK_CODE; i++) {
		unsigned left = seconds_left(&start);
		if (left == 0) {
			log_kv(LOG_LEVEL_WARN, "check_failed", "program", c->v[i].argv[0], "error",
			       "time budget used up", "result", "defer", (char *)NULL);
			code = EXIT_TEMP;
			break;
		}
		code = run_one(&c->v[i], left, &line);
	}
	code = say(code, code == EXIT_OK_CODE ? NULL : sbuf_cstr(&line));
	sbuf_free(&line);
	return code;
}

int main(void)
{
	struct qfilter_conf chain;
	struct sbuf path = SBUF_INIT;
	log_set_ident("qmail-rcptchecks");
	sbuf_printf(&path, "%s/rcptchecks", control_dir());
	if (qfilter_conf_read(path.s, &chain) < 0) {
		log_kv(LOG_LEVEL_ERROR, "config", "file", path.s, "error",
		       "unreadable or invalid (one absolute program path and its arguments a line)",
		       (char *)NULL);
		return say(EXIT_TEMP, "451 4.3.0 unable to read the recipient checks");
	}
	int code = run_chain(&chain);
	qfilter_conf_free(&chain);
	sbuf_free(&path);
	return code;
}

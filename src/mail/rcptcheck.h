/*
 * rcptcheck.h: the RCPTCHECK hook (qmail-smtpd(8)).
 *
 * rcptcheck_run runs the program named by $RCPTCHECK (a path, executed
 * directly, never through a shell) once per recipient, with SENDER and
 * RECIPIENT added to the environment (which already holds TCPREMOTEIP and
 * the other listener variables), stdin /dev/null, and reads at most
 * RCPTCHECK_OUT_MAX bytes of its stdout within timeout_s seconds.
 * Exit 0 accepts; 100 rejects (550 5.1.1); 111 defers (451 4.3.0); any
 * other exit, a signal, a timeout or a failure to run defers too (fail
 * safe: never a 5xx for our own trouble).  When the program's first
 * output line is a valid reply of the matching class ("5xx text" for
 * 100, "4xx text" for 111; 3 digits, a space, printable ASCII, at most
 * RCPTCHECK_LINE_MAX bytes) it is used instead of the default reply.
 * rcptcheck_reply is the pure part, unit-tested.
 */
#ifndef QNG_RCPTCHECK_H
#define QNG_RCPTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define RCPTCHECK_OUT_MAX 1024
#define RCPTCHECK_LINE_MAX 512
#define RCPTCHECK_TIMEOUT_S 60

enum rcptcheck_verdict { RCPTCHECK_ACCEPT, RCPTCHECK_REJECT, RCPTCHECK_DEFER };

/* exit_code -1: did not run or died.  out: the program's output. */
enum rcptcheck_verdict rcptcheck_reply(int exit_code, const char *out, size_t len,
                                       struct sbuf *reply);
/* A valid SMTP reply line starting with digit cls ('4' or '5'). */
bool rcptcheck_valid_reply(const char *line, size_t len, char cls);
/* The runner shared with qmail-spp plugins (spp.c): runs prog with the
 * "NAME=value" strings of env added, stdin /dev/null, its stdout (at most
 * max bytes kept) into out.  Returns the exit code, or -1 (did not run,
 * died on a signal, or timed out and was killed). */
int rcptcheck_exec(const char *prog, const char *const *env, unsigned timeout_s, size_t max,
                   struct sbuf *out);
/* The same with a whole argv (argv[0] the program's path; qmail-rcptchecks). */
int rcptcheck_exec_argv(char *const *argv, const char *const *env, unsigned timeout_s, size_t max,
                        struct sbuf *out);
enum rcptcheck_verdict rcptcheck_run(const char *prog, const char *sender, const char *rcpt,
                                     unsigned timeout_s, struct sbuf *reply);

#endif

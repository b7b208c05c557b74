/*
 * toolrun.h: helpers for the small .qmail tools (preline, forward,
 * condredirect, bouncesaying, except): run a program and wait for it, and
 * forward the message on fd 0 through qmail-queue.
 */
#ifndef QNG_TOOLRUN_H
#define QNG_TOOLRUN_H

#include "control.h"

/* Runs argv[0] (PATH search) with fd in_fd as its stdin (-1: inherit).
 * Returns its exit code, or -1 if it could not run or died on a signal. */
int toolrun_wait(char *const argv[], int in_fd);

/* Forwards fd 0 (rewound if it can seek) to targets with $DTLINE
 * prepended, sender $NEWSENDER (else $SENDER).  Returns qmail-ng's exit
 * code: 0, 100 or 111; prints the reason to stdout on failure. */
int toolrun_forward(const struct strlist *targets);

#endif

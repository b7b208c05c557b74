/*
 * lspawn.h: qmail-lspawn's request loop and per-delivery child.
 */
#ifndef QNG_LSPAWN_H
#define QNG_LSPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "sbuf.h"

/* A request larger than this is a protocol error (fatal). */
#define LSPAWN_REQUEST_MAX 8192

struct lspawn_job {
	char *id;
	pid_t pid;
	int fd;                 /* read end of the child's result pipe */
	struct sbuf result;     /* status byte + text */
};

struct lspawn {
	struct sbuf noathost;
	const char *defaultdelivery;
	unsigned timeout;
	bool is_root_mode;
	struct sbuf in;
	bool in_eof;
	struct lspawn_job *jobs;
	size_t n_jobs, cap_jobs;
};

/* Runs until fd 0 reaches EOF and every delivery has reported. 0 / -1. */
int lspawn_loop(struct lspawn *ls);
/* Writes one report to fd 1 (text sanitised, capped). 0 / -1. */
int lspawn_report(const char *id, char status, const char *text, size_t len);
/* Restores default signal dispositions in a delivery child. */
void lspawn_default_signals(void);

/* child.c: starts one delivery; on a failure before the fork it reports
 * at once.  Returns 0, or -1 if reporting failed. */
int lspawn_start(struct lspawn *ls, const char *id, const char *mess,
                 const char *sender, const char *recipient);

#endif

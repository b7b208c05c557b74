/*
 * local_deliver.h: the local delivery engine (qmail-local(8) semantics),
 * run in-process by qmail-lspawn's per-delivery child and by qmail-local.
 *
 * The caller has already become the user (uid/gid/groups).  The engine
 * changes to the home directory, refuses a sticky home (temporary), finds
 * the .qmail file (dotqmail_find.h) and refuses a group- or world-writable
 * one (temporary), detects a loop (a "Delivered-To: RECIPIENT" header line
 * already present: permanent, #5.4.6), then runs each instruction in order:
 * Maildir and mbox deliveries get "Return-Path: <SENDER>" and
 * "Delivered-To: RECIPIENT" prepended; programs run with sh -c, the
 * message on stdin and the qmail-command(8) environment; forwards are
 * collected and injected once, at the end, with the Delivered-To line
 * prepended.  A program exit 99 stops further instructions (forwards
 * collected so far are still sent).  The first failure stops delivery and
 * decides the result.  No .qmail file: for an empty extension the default
 * delivery (text in .qmail format, e.g. "./Maildir/"), for the alias user
 * the aliases database, otherwise a permanent "no mailbox" failure.
 * An empty (0-byte) .qmail file also means the default delivery.
 */
#ifndef QNG_LOCAL_DELIVER_H
#define QNG_LOCAL_DELIVER_H

#include <stdbool.h>

#include "control.h"
#include "sbuf.h"

/* Default program timeout, seconds (control/timeoutlocal overrides). */
#define LOCAL_PROGRAM_TIMEOUT 86400

struct local_args {
	const char *user;
	const char *home;
	const char *local;      /* routed local part, e.g. "vd-example.com-alice" */
	const char *dash;
	const char *ext;
	const char *domain;
	const char *sender;
	const char *defaultdelivery;
	const char *noathost;   /* domain for forward addresses without '@' */
	int msg_fd;             /* the message, seekable, read-only */
	unsigned program_timeout;
	bool dry_run;           /* -n: describe instead of deliver */
};

struct local_result {
	char status;            /* 'K' delivered, 'Z' temporary, 'D' permanent */
	struct sbuf text;
};

/* Per-delivery strings shared by the engine's parts. */
struct local_ctx {
	const struct local_args *a;
	struct sbuf recipient;  /* local@domain */
	struct sbuf dtline;     /* "Delivered-To: RECIPIENT\n" */
	struct sbuf rpline;     /* "Return-Path: <SENDER>\n" */
	struct sbuf ufline;     /* "From SENDER DATE\n" */
	struct sbuf newsender;
	struct sbuf deflt;      /* what "default" matched, if is_default */
	bool is_default;
	struct sbuf out;        /* program output collected for the report */
};

void local_deliver(const struct local_args *a, struct local_result *res);
void local_result_free(struct local_result *res);

/* True when header (LF lines) has a line equal to dtline, ignoring case. */
bool local_deliver_is_loop(const char *header, size_t len, const char *dtline);

/* local_program.c: runs one |command. Returns the result status:
 * 'K' ok, 'S' ok and stop (exit 99), 'Z' temporary, 'D' permanent;
 * the reason goes to *why. */
char local_program_run(struct local_ctx *c, const char *cmd, struct sbuf *why);
/* Builds the program environment (NULL-terminated, xmalloc'd strings). */
char **local_program_env(const struct local_ctx *c);
void local_program_env_free(char **env);
/* Maps a program exit status to K/S/Z/D (qmail-command(8)). */
char local_program_status(int exit_code);

/* local_forward.c: injects the message once for all targets. */
char local_forward_send(struct local_ctx *c, const struct strlist *targets,
                        struct sbuf *why);

#endif

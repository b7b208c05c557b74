/*
 * spp.h: qmail-spp plugins (control/smtpplugins).
 *
 * The file has sections [connection], [helo], [mail], [rcpt], [data] and
 * [auth], each a list of programs (one path a line; a relative path is
 * under $QMAILHOME).  Lines before any section or in an unknown section
 * are an error (EINVAL).  At each point its plugins run in order, without
 * a shell, with the session's environment plus SMTPHELOHOST, SMTPMAILFROM,
 * SMTPRCPTTO, SMTPRCPTCOUNT and SMTPAUTHUSER.  Each output line is one
 * command (qmail-spp):
 *   A      accept: run no more plugins for this command
 *   O      the same (qmail-ng's own checks have already run)
 *   N      next plugin (also the meaning of no output)
 *   Rtext  refuse with the SMTP reply "text" (4xx defers, else 5xx)
 *   Etext  the same as R
 *   Dtext  refuse with "text" and close the connection
 *   Htext  add the header line "text" to the message ([mail], [rcpt], [data])
 *   Sname=value / Uname   set / unset an environment variable for later
 *          plugins of this session
 *   Ltext  log text
 * Unknown commands are ignored.  Output is read up to SPP_OUT_MAX bytes
 * (the rest ignored), lines up to SPP_LINE_MAX; a reply that is not
 * "[245]xx text" in printable ASCII becomes "451 4.3.0 plugin error" so a
 * plugin can never inject protocol lines.  A plugin that fails (exit
 * non-zero, signal, SPP_TIMEOUT_S) is logged and skipped.
 * spp_parse_output is pure and fuzzed (tests/fuzz/spp_fuzz.c).
 */
#ifndef QNG_SPP_H
#define QNG_SPP_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define SPP_OUT_MAX 8192
#define SPP_LINE_MAX 1000
#define SPP_TIMEOUT_S 60
#define SPP_ENV_MAX 32

enum spp_point { SPP_CONNECTION, SPP_HELO, SPP_MAIL, SPP_RCPT, SPP_DATA, SPP_AUTH, SPP_N };

struct spp_config {
	struct strlist plugins[SPP_N];
};

enum spp_action { SPP_NEXT, SPP_ACCEPT, SPP_REFUSE, SPP_DROP };

struct spp_result {
	enum spp_action action;
	struct sbuf reply;    /* SPP_REFUSE / SPP_DROP */
	struct sbuf headers;  /* "H" lines, each ending in "\n" */
	struct strlist setenv; /* "name=value" */
	struct strlist unsetenv;
	struct strlist logs;
};

/* Parses the file's lines (control_read_lines output); 0 or -1 (EINVAL). */
int spp_config_parse(const struct strlist *lines, struct spp_config *out);
void spp_config_free(struct spp_config *c);
bool spp_config_empty(const struct spp_config *c);

void spp_parse_output(const char *out, size_t len, struct spp_result *r);
void spp_result_free(struct spp_result *r);

#endif

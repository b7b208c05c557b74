/*
 * ctl.h: qmailctl's private modules.
 *
 * main.c parses the global options and dispatches a verb; each verb is a
 * function taking the remaining arguments and returning an exit code.
 * Failures print one line "qmailctl: ..." on stderr (ctl_fail) and
 * return 111 (environment) or 100 (bad request).  The instance directory
 * is instance_home(); QMAILHOME is exported to every helper run.
 */
#ifndef QMAILCTL_CTL_H
#define QMAILCTL_CTL_H

#include <stdbool.h>
#include <sys/types.h>

#include "control.h"
#include "instance.h"

int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Directory holding this qmailctl binary (for init and bin). */
char *ctl_exe_dir(void);
/* "$QMAILHOME/bin/NAME" run with args; returns its exit code, -1. */
int ctl_run_bin(const char *name, const char *const *args, const char *in_path);
int ctl_mkdir(const char *rel, mode_t mode, enum role owner, bool group_qmail);
/* chown to a role's ids in root mode (no-op in user mode). */
int ctl_chown_role(const char *path, enum role r);
int ctl_install_bin(void);
/* Tells a running qmail-super to HUP its services (no-op if stopped). */
void ctl_signal_super(int sig, bool only_send);

/* Verbs. */
int ctl_init(int argc, char **argv);
int ctl_start(int argc, char **argv);
int ctl_stop(int argc, char **argv);
int ctl_restart(int argc, char **argv);
int ctl_stat(int argc, char **argv);
int ctl_reload(int argc, char **argv);
int ctl_flush(int argc, char **argv);
int ctl_queue(int argc, char **argv);
int ctl_cdb(int argc, char **argv);
int ctl_doctor(int argc, char **argv);
int ctl_domain(int argc, char **argv);
int ctl_user(int argc, char **argv);
int ctl_alias(int argc, char **argv);
int ctl_bin(int argc, char **argv);

/* Map compilation shared by init, cdb and the vdomain verbs. */
int ctl_compile_users(void);
int ctl_compile_tcprules(bool only_stale);
struct vpw_list;
/* Writes users/vpasswd.cdb from l, owned by the password check (qmailt). */
int ctl_build_vpasswd_cdb(const struct vpw_list *l, const char *cdb);
int ctl_compile_vpasswd(void);
int ctl_compile_aliases(void);
int ctl_compile_lists(void); /* morercpthosts, morebadrcptto */ 

#endif

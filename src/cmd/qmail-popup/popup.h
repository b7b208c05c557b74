/*
 * popup.h: qmail-popup's two halves (qmail-popup(8), docs/SECURITY.md "POP3").
 *
 * popup_broker.c  the parent.  Never reads the connection.  Receives one
 *                 credentials blob per login attempt from the network half
 *                 over a SOCK_SEQPACKET socketpair, checks the address's
 *                 failure budget, runs the checkpassword program with the
 *                 blob, unparsed, on fd 3 and the connection on fds 0/1, and
 *                 answers one byte (enum popup_verdict).  In root mode it
 *                 is root: checkpassword needs root to read the password
 *                 database and to become the mailbox owner.
 * popup_net.c     the child: drops to qmaild (root mode) before its first
 *                 read, speaks the AUTHORIZATION state with the client.
 * popup_tls.c     STLS (RFC 2595) in the child: hands the socket to the
 *                 TLS proxy over the control channel (tlsctl.h), as
 *                 qmail-smtpd does at STARTTLS, and continues on the
 *                 plaintext end.  It then sends that end to the broker as
 *                 one POPUP_MSG_NEWFD packet, "T" + SCM_RIGHTS {fd}, so the
 *                 broker's checkpassword and pop3d get it on fds 0/1, not
 *                 the raw socket.  The broker accepts one such packet per
 *                 session, only a socket, and never reads from it.
 */
#ifndef QNG_POPUP_H
#define QNG_POPUP_H

#include <stdbool.h>

#include "bio.h"
#include "sbuf.h"

#define POPUP_PAUSE_S 1 /* after a failed login, as D-11 */
#define POPUP_MSG_NEWFD 'T'

enum popup_verdict {
	POPUP_DONE = 'K',   /* checkpassword exit 0: the session ran */
	POPUP_REJECT = '1', /* exit 1 (bad login) or 2 (misuse) */
	POPUP_TEMP = 'T',   /* 111, a crash, or it could not run */
	POPUP_BUDGET = 'B', /* the address used up its failures */
};

/* Both return the process's exit code. */
int popup_broker(int chan, char **checkpassword_argv);
/* tls_ctl: the TLS proxy's control channel, or -1 (no STLS). */
int popup_net(int chan, const char *hostname, int tls_ctl, bool tls_required);
/* STLS after the command was accepted: true when the session goes on
 * over TLS (reply is the "+OK" to send first). */
bool popup_tls_start(int tls_ctl, int chan, struct bio *io, const struct sbuf *reply);

#endif

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
 */
#ifndef QNG_POPUP_H
#define QNG_POPUP_H

#define POPUP_PAUSE_S 1 /* after a failed login, as D-11 */

enum popup_verdict {
	POPUP_DONE = 'K',   /* checkpassword exit 0: the session ran */
	POPUP_REJECT = '1', /* exit 1 (bad login) or 2 (misuse) */
	POPUP_TEMP = 'T',   /* 111, a crash, or it could not run */
	POPUP_BUDGET = 'B', /* the address used up its failures */
};

/* Both return the process's exit code. */
int popup_broker(int chan, char **checkpassword_argv);
int popup_net(int chan, const char *hostname);

#endif

/*
 * rsession.h: qmail-rspawn's cache of idle qmail-remote sessions
 * (connection reuse; docs/PROTOCOLS.md "Connection reuse").
 *
 * A delivery started through the zygote gets a session channel (a
 * SOCK_SEQPACKET socketpair; rzygote.h).  When its qmail-remote process
 * has written its report and kept the connection, it says "I" on the
 * channel: the session is put here, keyed by the recipient domain, for at
 * most control/remotereusetime seconds (default RSESSION_IDLE_DEFAULT; 0
 * turns reuse off).  The next delivery to that domain is sent over the
 * channel instead of the zygote.  Closing the channel (expiry, or more
 * than RSESSION_IDLE_MAX idle sessions) tells the process to QUIT and
 * exit; a channel that reports anything while idle is a session that
 * ended by itself.  Either way its pid is forgotten (rzygote_forget).
 */
#ifndef QNG_RSESSION_H
#define QNG_RSESSION_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RSESSION_IDLE_DEFAULT 2
#define RSESSION_IDLE_LIMIT 300
#define RSESSION_IDLE_MAX 64

/* Reads control/remotereusetime (the current directory is the instance);
 * called again (before each batch of requests) it reads the file again when
 * it changed, so a change applies to the next deliveries without a restart. */
void rsession_init(void);
bool rsession_enabled(void);
/* Takes the most recently idle session for domain out of the cache. */
bool rsession_take(const char *domain, int *ch, pid_t *pid);
/* A session said "I": cache it (the oldest is closed when full). */
void rsession_put(const char *domain, int ch, pid_t pid);
/* Fills p with the idle channels (up to RSESSION_IDLE_MAX); their number. */
size_t rsession_pollfds(struct pollfd *p);
/* After poll: closes the sessions whose channel reported anything. */
void rsession_events(const struct pollfd *p, size_t n);
/* Milliseconds until the next session expires (-1: none); closes the
 * expired ones first. */
int rsession_expire(void);

#endif

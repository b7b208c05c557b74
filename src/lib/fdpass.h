/*
 * fdpass.h: one packet with descriptors attached (SCM_RIGHTS) over a
 * SOCK_SEQPACKET socket: the TLS control channel (tlsctl.h), the queue
 * daemon (qq_daemon.h) and the zygotes (zygote.h) all speak it.
 *
 * fdpass_send: one packet of len > 0 bytes with up to FDPASS_MAX
 * descriptors; 0, or -1 with errno (EINVAL for len 0 or too many
 * descriptors, EMSGSIZE for a short send).
 * fdpass_recv: waits up to timeout_ms (-1: forever) for one packet; returns
 * its length (0: the peer closed), or -1 with errno (ETIMEDOUT; EMSGSIZE
 * when the packet or its descriptors did not fit: nothing is kept).
 * Received descriptors are close-on-exec; those beyond max_fds are closed;
 * *n_fds says how many were stored.
 */
#ifndef QNG_FDPASS_H
#define QNG_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 3

int fdpass_send(int fd, const void *msg, size_t len, const int *fds, size_t n_fds);
ssize_t fdpass_recv(int fd, char *buf, size_t cap, int *fds, size_t max_fds, size_t *n_fds,
                    int timeout_ms);

#endif

/*
 * zygote_client.c: the side that starts a zygote and sends it requests
 * (qmail-listen -z, qmail-rspawn); see zygote.h.
 */
#include "zygote.h"

#include "control.h"
#include "fdpass.h"
#include "sbuf.h"
#include "scan.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int zygote_send(int fd, char kind, const struct strlist *assign, const int *fds, size_t n_fds)
{
	struct sbuf m = SBUF_INIT;
	sbuf_append_char(&m, kind);
	for (size_t i = 0; i < assign->n; i++)
		sbuf_append(&m, assign->v[i], strlen(assign->v[i]) + 1);
	int rc = n_fds >= 1 && m.len <= ZYGOTE_MSG_MAX ? fdpass_send(fd, m.s, m.len, fds, n_fds)
	                                                : -1;
	sbuf_free(&m);
	return rc;
}

int zygote_parse_end(const char *msg, size_t len, pid_t *pid, int *status)
{
	char buf[48];
	uint64_t p, st;
	if (len < 2 || len >= sizeof buf || msg[0] != 'E')
		return -1;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	char *sp = strchr(buf, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	if (!scan_u64_str(buf + 1, INT32_MAX, &p) || !scan_u64_str(sp + 1, INT32_MAX, &st))
		return -1;
	*pid = (pid_t)p;
	*status = (int)st;
	return 0;
}

int zygote_parse_pid(const char *msg, size_t len, pid_t *pid)
{
	char buf[32];
	uint64_t p;
	if (len < 2 || len >= sizeof buf || msg[0] != 'P')
		return -1;
	memcpy(buf, msg + 1, len - 1);
	buf[len - 1] = '\0';
	if (!scan_u64_str(buf, INT32_MAX, &p))
		return -1;
	*pid = (pid_t)p;
	return 0;
}

void zygote_client_give_up(struct zygote_client *z, const char *why)
{
	fprintf(stderr, "%s: %s; %s for %d s\n", z->name, why, z->instead, ZYGOTE_RETRY_SECS);
	if (z->fd >= 0)
		close(z->fd);
	if (z->pid > 0) {
		kill(z->pid, SIGKILL); /* its sessions are processes of their own and go on */
		(void)waitpid(z->pid, NULL, 0);
	}
	z->fd = -1;
	z->pid = -1;
	z->failed_at = time(NULL);
}

int zygote_client_start(struct zygote_client *z, pid_t (*spawn)(void *arg, int end), void *arg)
{
	if (z->fd >= 0)
		return 0;
	if (z->failed_at && time(NULL) - z->failed_at < ZYGOTE_RETRY_SECS)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		zygote_client_give_up(z, strerror(errno));
		return -1;
	}
	z->pid = spawn(arg, sv[1]);
	close(sv[1]);
	z->fd = sv[0];
	char r[8];
	size_t n_fds;
	if (z->pid < 0 || fdpass_recv(z->fd, r, sizeof r, NULL, 0, &n_fds, ZYGOTE_READY_MS) != 1 ||
	    r[0] != 'R') {
		zygote_client_give_up(z, "no ready message");
		return -1;
	}
	fprintf(stderr, "%s %ld ready\n", z->name, (long)z->pid);
	return 0;
}

/* One packet: 0 for a report (given to on_end), 1 for a "P" answer (in
 * *pid), 2 when ms is 0 and nothing is waiting, -1 after giving up. */
static int take_packet(struct zygote_client *z, int ms, zygote_end_fn on_end, void *arg,
                       pid_t *pid)
{
	char msg[64];
	size_t n_fds;
	ssize_t n = fdpass_recv(z->fd, msg, sizeof msg, NULL, 0, &n_fds, ms);
	if (n < 0 && ms == 0 && errno == ETIMEDOUT)
		return 2;
	if (n <= 0) {
		zygote_client_give_up(z, n == 0 ? "the zygote closed its channel" : "no answer");
		return -1;
	}
	pid_t p;
	int st;
	if (zygote_parse_end(msg, (size_t)n, &p, &st) == 0) {
		on_end(arg, p, st);
		return 0;
	}
	if (pid && zygote_parse_pid(msg, (size_t)n, pid) == 0)
		return 1;
	zygote_client_give_up(z, "a malformed answer");
	return -1;
}

pid_t zygote_client_request(struct zygote_client *z, char kind, const struct strlist *assign,
                            const int *fds, size_t n_fds, zygote_end_fn on_end, void *arg)
{
	if (z->fd < 0 || zygote_send(z->fd, kind, assign, fds, n_fds) < 0) {
		if (z->fd >= 0)
			zygote_client_give_up(z, "unable to pass a request");
		return -1;
	}
	pid_t pid = 0;
	int rc;
	while ((rc = take_packet(z, ZYGOTE_REPLY_MS, on_end, arg, &pid)) == 0)
		;
	if (rc < 0)
		return -2; /* it may hold the descriptors: never start a second program on them */
	return pid > 0 ? pid : -1;
}

void zygote_client_read(struct zygote_client *z, int ms, zygote_end_fn on_end, void *arg)
{
	if (z->fd < 0 || (ms > 0 && take_packet(z, ms, on_end, arg, NULL) < 0))
		return;
	while (z->fd >= 0 && take_packet(z, 0, on_end, arg, NULL) == 0)
		;
}

bool zygote_client_reaped(struct zygote_client *z, pid_t pid)
{
	if (pid != z->pid)
		return false;
	z->pid = -1;
	if (z->fd >= 0)
		close(z->fd);
	z->fd = -1;
	fprintf(stderr, "%s %ld ended\n", z->name, (long)pid);
	return true;
}

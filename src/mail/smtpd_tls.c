/*
 * smtpd_tls.c: STARTTLS (RFC 3207) and implicit TLS (RFC 8314) for
 * qmail-smtpd, through qmail-listen's TLS proxy (see smtpd_session.h,
 * tlsctl.h).  This process never sees a key: it only hands the socket
 * over and reads the handshake's result.
 */
#include "smtpd_session.h"

#include "fdio.h"
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TLS_HANDSHAKE_WAIT_MS 70000 /* the proxy's own deadline is 60 s */
#define AUTH_CHECK_WAIT_MS 40000

void smtpd_tls_init(struct smtpd_session *s)
{
	s->tls_ctl = -1;
	const char *v = getenv("TLSCTLFD");
	uint64_t fd;
	if (!v || !scan_u64_str(v, 1024, &fd) || fd_set_cloexec((int)fd, 1) < 0)
		return;
	s->tls_ctl = (int)fd;
}

static bool read_handshake(struct smtpd_session *s)
{
	char msg[TLSCTL_MSG_MAX];
	int fds[2];
	size_t n_fds;
	ssize_t n = fdpass_recv(s->tls_ctl, msg, sizeof msg - 1, fds, 2, &n_fds,
	                        TLS_HANDSHAKE_WAIT_MS);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (n > 0 && tlsctl_parse_ok(msg, (size_t)n, &s->tls) == 0) {
		s->is_tls = true;
		log_kv(LOG_LEVEL_INFO, "tls", "session", s->id, "version", s->tls.version,
		       "cipher", s->tls.cipher, "sni", s->tls.sni[0] ? s->tls.sni : "-",
		       (char *)NULL);
		return true;
	}
	msg[n > 0 ? n : 0] = '\0';
	log_kv(LOG_LEVEL_INFO, "tls", "session", s->id, "result", "failed", "reason",
	       n > 0 ? msg : "no answer from the TLS proxy", (char *)NULL);
	return false;
}

bool smtpd_tls_implicit_wait(struct smtpd_session *s)
{
	const char *mode = getenv("TLSMODE");
	if (s->tls_ctl < 0 || !mode || strcmp(mode, "implicit") != 0)
		return true;
	return read_handshake(s);
}

/* D-12: forget everything said before TLS. */
static void reset_after_tls(struct smtpd_session *s)
{
	smtpd_reset_transaction(s);
	sbuf_clear(&s->helo);
	s->is_esmtp = false;
	s->state = SMTPD_START;
	sbuf_clear(&s->auth_user);
	s->n_auth_failures = 0;
}

/* Hands the socket (fds 0 and 1) to the proxy; they become the plaintext end. */
static bool hand_over(struct smtpd_session *s)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return false;
	int fds[2] = {s->bio.rfd, pair[1]};
	int rc = tlsctl_send(s->tls_ctl, "S", 1, fds, 2);
	close(pair[1]);
	if (rc < 0 || dup2(pair[0], s->bio.rfd) < 0 ||
	    (s->bio.wfd != s->bio.rfd && dup2(pair[0], s->bio.wfd) < 0)) {
		close(pair[0]);
		return false;
	}
	close(pair[0]);
	return true;
}

void smtpd_tls_starttls(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	if (s->tls_ctl < 0) {
		smtpd_reply(s, "502 5.5.1 command not implemented");
		return;
	}
	if (s->is_tls) {
		smtpd_reply(s, "503 5.5.1 TLS already active");
		return;
	}
	if (len != 0) {
		smtpd_reply(s, "501 5.5.4 syntax: STARTTLS takes no argument");
		return;
	}
	size_t dropped = bio_purge(&s->bio); /* D-12 */
	if (dropped > 0) {
		struct sbuf n = SBUF_INIT;
		sbuf_append_ulong(&n, dropped);
		log_kv(LOG_LEVEL_INFO, "starttls", "session", s->id, "discarded", n.s,
		       (char *)NULL);
		sbuf_free(&n);
	}
	smtpd_reply(s, "220 2.0.0 ready to start TLS");
	if (bio_flush(&s->bio) != BIO_OK || !hand_over(s) || !read_handshake(s)) {
		s->want_close = true;
		return;
	}
	reset_after_tls(s);
}

/* Sends request m to the proxy and waits for its "A" reply: the verdict,
 * and the answer after it (for "C" requests) into answer when not NULL. */
static char ask_proxy(struct smtpd_session *s, const struct sbuf *m, struct sbuf *answer)
{
	char reply[TLSCTL_MSG_MAX];
	char result = TLSCTL_AUTH_TEMP;
	int fds[2];
	size_t n_fds;
	if (tlsctl_send(s->tls_ctl, m->s, m->len, NULL, 0) < 0)
		return result;
	ssize_t n = fdpass_recv(s->tls_ctl, reply, sizeof reply, fds, 2, &n_fds,
	                        AUTH_CHECK_WAIT_MS);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (n >= 2 && reply[0] == 'A' && (n == 2 || answer)) {
		long alen = tlsctl_answer_len(reply + 2, (size_t)n - 2);
		result = alen == n - 2 ? reply[1] : TLSCTL_AUTH_TEMP;
		if (answer)
			sbuf_set(answer, reply + 2, (size_t)n - 2);
	}
	return result;
}

char smtpd_tls_check_password(struct smtpd_session *s, const char *user, const char *pass,
                              const char *third)
{
	char stamp[40];
	struct sbuf m = SBUF_INIT;
	char result = TLSCTL_AUTH_TEMP;
	if (!third) {
		snprintf(stamp, sizeof stamp, "<%llu@qmail-ng>", (unsigned long long)bio_now_ms());
		third = stamp;
	}
	if (s->tls_ctl >= 0 && tlsctl_format_auth(user, pass, third, &m) == 0)
		result = ask_proxy(s, &m, NULL);
	else
		result = m.len > 0 || s->tls_ctl < 0 ? TLSCTL_AUTH_TEMP : TLSCTL_AUTH_REJECT;
	if (m.s)
		explicit_bzero(m.s, m.len);
	sbuf_free(&m);
	return result;
}

char smtpd_tls_scram(struct smtpd_session *s, const char *user, const char *auth_msg,
                     const char *proof64, struct sbuf *answer)
{
	struct sbuf m = SBUF_INIT;
	char result = TLSCTL_AUTH_TEMP;
	sbuf_clear(answer);
	if (s->tls_ctl >= 0 && tlsctl_format_scram(user, auth_msg, proof64, &m) == 0)
		result = ask_proxy(s, &m, answer);
	sbuf_free(&m);
	return result;
}

#include "tls_common.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <poll.h>

#include "bio.h"

void tls_error(struct sbuf *err, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	sbuf_clear(err);
	sbuf_printf(err, "%s%s%s", what, file ? " " : "", file ? file : "");
	if (e) {
		ERR_error_string_n(e, buf, sizeof buf);
		sbuf_printf(err, ": %s", buf);
	}
	ERR_clear_error();
}

bool tls_wait_io(int fd, int ssl_err, uint64_t deadline)
{
	for (;;) {
		uint64_t now = bio_now_ms();
		if (now >= deadline)
			return false;
		uint64_t left = deadline - now;
		struct pollfd p = { fd, ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0 };
		int rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return false;
	}
}

ssize_t tls_io_result(SSL *ssl, int rc, int *last_err)
{
	if (rc > 0)
		return rc;
	int e = SSL_get_error(ssl, rc);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (last_err)
			*last_err = e;
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e != SSL_ERROR_SYSCALL || errno == 0)
		errno = EPROTO;
	return -1;
}

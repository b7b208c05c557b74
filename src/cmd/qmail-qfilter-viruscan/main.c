/*
 * qmail-qfilter-viruscan: a qmail-qfilter filter that refuses a message
 * carrying a base64 part whose first line starts with a signature from
 * control/signatures, the idea of the qmail viruscan patch
 * (qmail-qfilter-viruscan(8)).
 *
 * The message is copied from stdin to stdout unchanged while mime_scan
 * walks it (bounded memory: one chunk and the walker's state).  A match,
 * or a message whose MIME structure cannot be walked (mime_scan.h), is
 * refused (the latter only when there are signatures to look for):
 * with fd QQERR_FD open (the qmail-queue custom-error convention,
 * qqerr.h) a "D" reply text goes there and the exit is QQERR_EXIT (82),
 * otherwise exit 31.  A
 * clean message exits 0.  Trouble reading the signatures, reading the
 * message or writing it out exits 111 (temporary in qmail-qfilter).
 */
#include "control.h"
#include "exitcode.h"
#include "fdio.h"
#include "log.h"
#include "mime_scan.h"
#include "qqerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIGNATURES_MAX 10000
#define CHUNK 65536

struct scan_ctx {
	const struct strlist *signatures;
	size_t hit; /* 1-based index of the matching signature, 0 none */
};

static bool match_signature(void *p, const char *line, size_t len)
{
	struct scan_ctx *ctx = p;
	for (size_t i = 0; i < ctx->signatures->n; i++) {
		const char *sig = ctx->signatures->v[i];
		size_t n = strlen(sig);
		if (n <= len && memcmp(line, sig, n) == 0) {
			ctx->hit = i + 1;
			return true;
		}
	}
	return false;
}

static int load_signatures(struct strlist *sigs)
{
	if (control_read_lines("signatures", sigs) < 0)
		return -1;
	if (sigs->n > SIGNATURES_MAX)
		return errno = E2BIG, -1;
	for (size_t i = 0; i < sigs->n; i++) {
		if (strlen(sigs->v[i]) > MIME_LINE_KEEP)
			return errno = E2BIG, -1;
	}
	return 0;
}

static struct mime_scan scanner; /* tens of KiB: not on the stack */

/* Copies stdin to stdout through the scanner; 0, or -1 on I/O trouble. */
static int copy_and_scan(struct scan_ctx *ctx)
{
	static char buf[CHUNK];
	mime_scan_init(&scanner, match_signature, ctx);
	for (;;) {
		ssize_t r = read(0, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (fd_write_all(1, buf, (size_t)r) < 0)
			return -1;
		mime_scan_feed(&scanner, buf, (size_t)r);
		if (ctx->hit > 0)
			return 0;
	}
	mime_scan_finish(&scanner);
	return 0;
}

static int refuse(const char *reason, const char *text)
{
	log_kv(LOG_LEVEL_INFO, "reject", "reason", reason, "sender", getenv("QMAILMAILFROM"),
	       (char *)NULL);
	if (fcntl(QQERR_FD, F_GETFD) < 0)
		return QQ_PERM_REFUSED;
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "D%s", text);
	int rc = fd_write_all(QQERR_FD, b.s, b.len);
	sbuf_free(&b);
	return rc == 0 ? QQERR_EXIT : QQ_PERM_REFUSED;
}

int main(void)
{
	struct strlist sigs = {0};
	struct scan_ctx ctx = {&sigs, 0};
	log_set_ident("qmail-qfilter-viruscan");
	if (load_signatures(&sigs) < 0) {
		log_kv(LOG_LEVEL_ERROR, "config", "file", "signatures", "error",
		       errno == E2BIG ? "too many signatures or one longer than 1000 bytes"
		                      : strerror(errno),
		       (char *)NULL);
		return EXIT_TEMP;
	}
	if (copy_and_scan(&ctx) < 0) {
		log_kv(LOG_LEVEL_ERROR, "io", "error", strerror(errno), (char *)NULL);
		return EXIT_TEMP;
	}
	if (ctx.hit > 0) {
		char n[40];
		snprintf(n, sizeof n, "signature-%zu", ctx.hit);
		return refuse(n, "5.7.1 sorry, this message carries an attachment we do "
		                 "not accept");
	}
	/* Parts we cannot tell apart may hide a signature. */
	if (scanner.is_unscannable && sigs.n > 0)
		return refuse("unscannable", "5.6.0 sorry, this message's MIME structure is "
		                             "too complex to check");
	return EXIT_OK_CODE;
}

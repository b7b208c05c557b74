/*
 * exitcode.h: the exit codes every qmail-ng program shares.
 *
 * qmail's convention: 0 success, 100 permanent failure, 111 temporary
 * failure.  qmail-queue keeps its own documented codes (qmail-queue(8)),
 * listed here so that callers can map them to SMTP replies in one place.
 */
#ifndef QNG_EXITCODE_H
#define QNG_EXITCODE_H

enum exit_code {
	EXIT_OK_CODE = 0,
	EXIT_PERM = 100,
	EXIT_TEMP = 111,
	EXIT_USAGE = 112,       /* qmail-local style "permanent, usage" */
	EXIT_STOP = 99,         /* .qmail program: success, stop processing */
};

/* qmail-queue(8) exit codes. 11..40 are permanent, everything else temporary. */
enum queue_exit {
	QQ_OK = 0,
	QQ_ADDR_TOO_LONG = 11,
	QQ_PERM_REFUSED = 31,   /* e.g. a QMAILQUEUE filter rejected it */
	QQ_NOMEM = 51,
	QQ_TIMEOUT = 52,
	QQ_WRITE_ERROR = 53,    /* disk full, fsync failed, ... */
	QQ_READ_ERROR = 54,     /* cannot read message or envelope */
	QQ_CONFIG_ERROR = 55,
	QQ_NET_ERROR = 56,
	QQ_QUEUE_CREATE = 62,   /* trouble creating files in the queue */
	QQ_QUEUE_READ = 63,
	QQ_TEMP_REFUSED = 71,
	QQ_BUG = 81,            /* internal bug */
	QQ_ENVELOPE_FORMAT = 91,
};

static inline int queue_exit_is_permanent(int code)
{
	return code >= 11 && code <= 40;
}

#endif

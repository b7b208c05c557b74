/*
 * local_forward.c: forwarding through qmail-queue (local_deliver.h).
 */
#include "local_deliver.h"

#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "msgio.h"
#include "qqueue.h"

char local_forward_send(struct local_ctx *c, const struct strlist *targets,
                        struct sbuf *why)
{
	struct qqueue q;
	if (qqueue_start(&q) != 0) {
		sbuf_set_str(why, "Unable to run qmail-queue for forwarding. (#4.3.0)");
		return 'Z';
	}
	qqueue_write(&q, c->dtline.s, c->dtline.len);
	char *buf = xmalloc(MSGIO_CHUNK);
	ssize_t n = lseek(c->a->msg_fd, 0, SEEK_SET) == 0 ? 0 : -1;
	while (n == 0 && (n = fd_read_full(c->a->msg_fd, buf, MSGIO_CHUNK)) > 0) {
		qqueue_write(&q, buf, (size_t)n);
		n = 0;
	}
	free(buf);
	if (n < 0) {
		qqueue_abort(&q);
		sbuf_set_str(why, "Unable to read message. (#4.3.0)");
		return 'Z';
	}
	int code = qqueue_finish(&q, c->newsender.s, targets);
	if (code == QQ_OK)
		return 'K';
	bool is_perm = qqueue_is_permanent(&q, code);
	sbuf_clear(why);
	sbuf_printf(why, "Unable to forward message: %s. (#%s)",
	            qqueue_result_text(&q, code),
	            is_perm ? "5.3.0" : "4.3.0");
	return is_perm ? 'D' : 'Z';
}

/*
 * queue_bounce.h: bounce/N, the permanent-failure records of one message.
 *
 * Format: a sequence of records, each two NUL-terminated fields:
 *   <recipient>\0<text>\0
 * Neither field contains NUL, CR or LF.  Records are appended with one
 * write and the file fsynced before the recipient's done tag is written
 * (docs/INTERNALS.md), so a crash can leave at most one partial record at
 * the end; queue_bounce_append cuts it off before appending.
 */
#ifndef QNG_QUEUE_BOUNCE_H
#define QNG_QUEUE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

struct bounce_rec {
	char *rcpt;
	char *text;
};

struct bounce_list {
	struct bounce_rec *v;
	size_t n;
};

#define QUEUE_BOUNCE_MAX (64u * 1024u * 1024u)

enum bounce_status { BOUNCE_OK = 0, BOUNCE_PARTIAL, BOUNCE_FORMAT };

/*
 * Parses a whole file (pure).  BOUNCE_PARTIAL: the complete records are in
 * *out and *good_len is where the partial one starts.  BOUNCE_FORMAT: a CR
 * or LF inside a field (out is emptied).
 */
enum bounce_status queue_bounce_parse(const char *data, size_t len, struct bounce_list *out,
                                      size_t *good_len);
void queue_bounce_free(struct bounce_list *l);

/*
 * Appends one record to path (created mode 0600 when missing) and fsyncs
 * it; when it created the file it also fsyncs the file's directory.
 * 0 ok, -1 error (errno).  Newlines in text become '/', NUL cannot occur.
 */
int queue_bounce_append(const char *path, const char *rcpt, const char *text);

#endif

/*
 * queue_retry.h: qmail-send's retry schedule (docs/INTERNALS.md).
 *
 * No retry state is stored: the k-th retry happens at birth + (k*skip)^2
 * seconds.  queue_retry_next returns the first such time strictly after
 * now; a birth time in the future counts as now (POLICY.md D-18).  The
 * result saturates at INT64_MAX instead of overflowing.
 */
#ifndef QNG_QUEUE_RETRY_H
#define QNG_QUEUE_RETRY_H

#include <stdint.h>

#define QUEUE_SKIP_LOCAL 10
#define QUEUE_SKIP_REMOTE 20
#define QUEUE_LIFETIME_DEFAULT 604800

int64_t queue_retry_next(int64_t birth, int64_t now, int64_t skip);
/* True once a message born at birth has outlived lifetime at now. */
int queue_retry_expired(int64_t birth, int64_t now, int64_t lifetime);

#endif

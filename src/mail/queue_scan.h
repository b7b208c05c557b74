/*
 * queue_scan.h: listing a queue directory.
 *
 * Queue entries are named by a decimal message number (the inode number
 * of mess/N).  queue_scan_dir returns the numbers of the entries of dir
 * whose names are plain decimal numbers, sorted ascending; other names
 * are skipped.  0 ok, -1 error (errno).  *ids is xmalloc'd (may be NULL
 * when *n is 0).
 */
#ifndef QNG_QUEUE_SCAN_H
#define QNG_QUEUE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool queue_scan_name(const char *name, uint64_t *id);
int queue_scan_dir(const char *dir, uint64_t **ids, size_t *n);

#endif

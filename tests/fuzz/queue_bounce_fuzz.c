/* queue_bounce_fuzz: bounce/N parsing; good_len must cut at a record
 * boundary that parses cleanly to the same records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue_bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_list l, l2;
	size_t good, good2;
	enum bounce_status st = queue_bounce_parse((const char *)data, size, &l, &good);
	if (st != BOUNCE_FORMAT) {
		if (good > size)
			abort();
		if (queue_bounce_parse((const char *)data, good, &l2, &good2) != BOUNCE_OK ||
		    l2.n != l.n || good2 != good)
			abort();
		queue_bounce_free(&l2);
	}
	queue_bounce_free(&l);
	return 0;
}

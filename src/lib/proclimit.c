#include "proclimit.h"

#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define PROCLIMIT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROCLIMIT_SANITIZED 1
#endif
#endif

int proclimit_address_space(size_t max)
{
#ifdef PROCLIMIT_SANITIZED
	(void)max;
	return 0;
#else
	struct rlimit rl = { (rlim_t)max, (rlim_t)max };
	struct rlimit cur;
	if (getrlimit(RLIMIT_AS, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
	    cur.rlim_max < (rlim_t)max)
		rl.rlim_cur = rl.rlim_max = cur.rlim_max;
	return setrlimit(RLIMIT_AS, &rl);
#endif
}

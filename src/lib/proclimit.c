#include "proclimit.h"

#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define PROCLIMIT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROCLIMIT_SANITIZED 1
#endif
#endif

#ifdef PROCLIMIT_SANITIZED
/*
 * Every program of the sanitizer build links this file (`make check-asan`
 * forces it in).  Programs keep one-time allocations until they exit, by
 * design, and a leak report at exit would turn into a failing exit status;
 * leak detection is the unit tests' job (they do not link this).
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
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

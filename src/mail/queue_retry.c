#include "queue_retry.h"


/* floor(sqrt(x)) for x >= 0, by bisection (no libm). */
static int64_t isqrt(int64_t x)
{
	int64_t lo = 0, hi = 3037000499LL;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		if (mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int64_t sat_square(int64_t x)
{
	if (x > 3037000499LL)   /* floor(sqrt(INT64_MAX)) */
		return INT64_MAX;
	return x * x;
}

int64_t queue_retry_next(int64_t birth, int64_t now, int64_t skip)
{
	if (skip <= 0)
		skip = 1;
	if (skip > 3037000499LL)
		skip = 3037000499LL;
	if (birth > now)
		birth = now;
	int64_t age;
	if (__builtin_sub_overflow(now, birth, &age))
		return INT64_MAX;   /* older than anything representable */
	int64_t k = isqrt(age) / skip;
	for (;;) {
		int64_t sq = sat_square((k + 1) * skip);
		if (sq == INT64_MAX || birth > INT64_MAX - sq)
			return INT64_MAX;
		if (sq > age)
			return birth + sq;
		k++;
	}
}

int queue_retry_expired(int64_t birth, int64_t now, int64_t lifetime)
{
	int64_t age;
	if (birth > now)
		return 0;
	if (__builtin_sub_overflow(now, birth, &age))
		return 1;
	return age >= lifetime;
}

#include "datefmt.h"

#include <stdio.h>
#include <string.h>

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static void to_tm(time_t t, struct tm *tm)
{
	if (!gmtime_r(&t, tm)) {
		time_t zero = 0;
		gmtime_r(&zero, tm);
	}
}

static size_t clamp(int n)
{
	if (n < 0)
		return 0;
	return (size_t)n < DATEFMT_MAX ? (size_t)n : DATEFMT_MAX - 1;
}

size_t datefmt_received(char buf[DATEFMT_MAX], time_t t)
{
	struct tm tm;
	to_tm(t, &tm);
	return clamp(snprintf(buf, DATEFMT_MAX, "%d %s %lld %02d:%02d:%02d -0000", tm.tm_mday,
			      months[tm.tm_mon], (long long)tm.tm_year + 1900, tm.tm_hour,
			      tm.tm_min, tm.tm_sec));
}

size_t datefmt_rfc5322(char buf[DATEFMT_MAX], time_t t)
{
	struct tm tm;
	to_tm(t, &tm);
	return clamp(snprintf(buf, DATEFMT_MAX, "%s, %d %s %lld %02d:%02d:%02d +0000",
			      wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			      (long long)tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec));
}

size_t datefmt_qread(char buf[DATEFMT_MAX], time_t t)
{
	struct tm tm;
	to_tm(t, &tm);
	return clamp(snprintf(buf, DATEFMT_MAX, "%d %s %lld %02d:%02d:%02d GMT", tm.tm_mday,
			      months[tm.tm_mon], (long long)tm.tm_year + 1900, tm.tm_hour,
			      tm.tm_min, tm.tm_sec));
}

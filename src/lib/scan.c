#include "scan.h"

#include <string.h>

size_t scan_u64_prefix(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
		i++;
	}
	if (i == 0)
		return 0;
	*out = v;
	return i;
}

bool scan_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (len == 0 || scan_u64_prefix(s, len, max, &v) != len)
		return false;
	*out = v;
	return true;
}

bool scan_u64_str(const char *s, uint64_t max, uint64_t *out)
{
	return scan_u64(s, strlen(s), max, out);
}

int scan_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

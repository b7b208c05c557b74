/*
 * bindroutes.h: control/bindroutes and control/bindroutes6, the local
 * address qmail-remote binds to for a connection (the bind-interface /
 * bindroutes patches of qmail).
 *
 * bindroutes lines are "key:localip" (IPv4), bindroutes6 lines are
 * "key|localip6" (IPv6; '|' because the addresses hold colons).  A key is
 *   - a remote address: "192.0.2.1" (bindroutes), "2001:db8::1" (bindroutes6,
 *     any textual form that inet_pton accepts, compared as an address);
 *   - a remote address prefix ending in the separator of the textual form:
 *     "d.", "d.d." or "d.d.d." (IPv4, decimal octets, no leading zeros), or
 *     1 to 7 groups of 1..4 hex digits each followed by ':' (IPv6, the
 *     full, uncompressed form: "2001:db8:" is the first two groups; "::" is
 *     not allowed in a prefix, so an address ending in "::" must be written
 *     another way, e.g. "2001:db8::0");
 *   - a recipient domain, exact or ".suffix", matched by smtproutes_find
 *     (smtproutes.h), the one domain matcher;
 *   - empty: the default.
 * bindroutes_find tries, in this order: the exact remote address, its
 * prefixes longest first (IPv4 3, 2, 1 octets; IPv6 7 down to 1 groups),
 * the domain (exact, then the longest ".suffix"), the empty key.  Within a
 * step the first line wins.
 *
 * bindroutes_parse is all or nothing: any malformed line (bad key, bad or
 * missing local address of the file's family, more than BINDROUTES_MAX
 * lines) returns -1 with err naming it, because sending from the wrong
 * address can break SPF: the caller defers rather than use a default.
 * Memory comes from alloc.h; bindroutes_free releases it.
 */
#ifndef QNG_BINDROUTES_H
#define QNG_BINDROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define BINDROUTES_MAX 10000

struct bindroutes_ip {
	unsigned char ip[16];
	size_t len; /* bytes compared: 4/16 exact, fewer: prefix */
	unsigned char local[16];
};

struct bindroutes {
	int family; /* AF_INET (bindroutes) or AF_INET6 (bindroutes6) */
	struct bindroutes_ip *ips;
	size_t n_ips;
	struct strlist domains; /* "key:localip" lines for smtproutes_find */
};

/* Empty table for family (AF_INET or AF_INET6). */
void bindroutes_init(struct bindroutes *t, int family);
/* Adds every line; 0, or -1 with err set ("control/NAME: why in line
 * \"...\"", the line quoted in printable ASCII) and the table emptied. */
int bindroutes_parse(struct bindroutes *t, const char *name, const struct strlist *lines,
                     struct sbuf *err);
/* remote: 4 or 16 bytes of the table's family.  true with local filled
 * (4 or 16 bytes) when a line matches. */
bool bindroutes_find(const struct bindroutes *t, const unsigned char *remote, const char *domain,
                     unsigned char *local);
void bindroutes_free(struct bindroutes *t);

#endif

/*
 * dns.h: DNS lookups for remote delivery, through libunbound.
 *
 * dns_open makes a resolver: with control/dnsservers lines ("IP" or
 * "IP@PORT") every query goes to those servers (forwarding, recursion
 * desired); with none, to /etc/resolv.conf's.  CNAMEs are followed by the
 * library.  Results:
 *   DNS_OK        records found (dns_mx: n may be 0, "no MX records");
 *   DNS_NOTFOUND  the name does not exist or has no such records
 *                 (permanent);
 *   DNS_NULLMX    RFC 7505 null MX ("0 ."): the domain takes no mail;
 *   DNS_TEMP      anything else (SERVFAIL, timeout, library error): the
 *                 caller defers, never bounces.
 * Names from the wire are checked: only letters, digits, '-', '_' and '.'
 * survive; other records are skipped.  dns_mx_sort orders MX records by
 * preference, shuffling equal preferences with the given random source.
 * The pure functions (rdata parsing, sorting) are unit-tested and fuzzed.
 */
#ifndef QNG_DNS_H
#define QNG_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "control.h"
#include "proto_limits.h"
#include "sbuf.h"

#define DNS_RECORDS_MAX 64

enum dns_status { DNS_OK, DNS_NOTFOUND, DNS_NULLMX, DNS_TEMP };

struct dns_mx {
	char name[ADDR_DOMAIN_MAX + 1];
	unsigned pref;
};

struct dns_mxlist {
	struct dns_mx v[DNS_RECORDS_MAX];
	size_t n;
};

struct dns_addr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char ip[16];   /* 4 or 16 bytes used */
};

struct dns_addrlist {
	struct dns_addr v[DNS_RECORDS_MAX];
	size_t n;
};

struct dns;

/* NULL on failure, with a reason in err. */
struct dns *dns_open(const struct strlist *servers, struct sbuf *err);
void dns_close(struct dns *d);

enum dns_status dns_mx(struct dns *d, const char *domain, struct dns_mxlist *out);
/* AAAA (when want_v6) then A records of host, appended to out. */
enum dns_status dns_addrs(struct dns *d, const char *host, bool want_v6,
                          struct dns_addrlist *out);

/* Pure helpers. */
/* Which bytes a label may hold: a host name's (letters, digits, '-', '_'),
 * or any visible ASCII but '.' and '\\' (RFC 7208 7.1: SPF's domain-specs
 * may name such hosts; the text stays a valid presentation-format name
 * with no escapes). */
enum dns_name_chars { DNS_NAME_HOST, DNS_NAME_VISIBLE };
/* An uncompressed wire name into text (no trailing dot; root is "").
 * Returns bytes consumed, 0 when invalid.  dns_name_parse and
 * dns_mx_parse: DNS_NAME_HOST. */
size_t dns_name_parse(const unsigned char *p, size_t n, char out[ADDR_DOMAIN_MAX + 1]);
size_t dns_name_parse_as(const unsigned char *p, size_t n, enum dns_name_chars chars,
                         char out[ADDR_DOMAIN_MAX + 1]);
bool dns_mx_parse(const unsigned char *rdata, size_t n, struct dns_mx *out);
bool dns_mx_parse_as(const unsigned char *rdata, size_t n, enum dns_name_chars chars,
                     struct dns_mx *out);
void dns_mx_sort(struct dns_mx *v, size_t n, uint32_t (*rnd)(void));
/* Text form of an address ("1.2.3.4", "2001:db8::1"). */
void dns_addr_text(const struct dns_addr *a, char out[64]);

#endif

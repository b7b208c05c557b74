/*
 * dnsbl.h: DNS blocklists (rblsmtpd's job, done inside qmail-smtpd).
 *
 * control/dnsbl holds one zone a line: "zone" or "zone:reply text".  For a
 * client 1.2.3.4 the name 4.3.2.1.zone is looked up (IPv6: 32 reversed
 * nibbles); an A record means listed.  The reply text is the line's own
 * text, else the zone's TXT record for that name, else a default; it is
 * cut to DNSBL_TEXT_MAX bytes of printable ASCII.  A DNS failure of one
 * zone skips that zone (fail open; the caller logs it).
 * dnsbl_ip_listed implements allow lists (control/dnsblallow,
 * control/greylistallow): an entry is an exact address, or a prefix
 * ending in "." or ":" (tcprules style, "10.1." or "2001:db8:").
 * The parsers are pure and unit-tested; dnsbl_line_parse is fuzzed.
 */
#ifndef QNG_DNSBL_H
#define QNG_DNSBL_H

#include <stdbool.h>

#include "control.h"
#include "sbuf.h"
#include "spf.h"

#define DNSBL_TEXT_MAX 200

enum dnsbl_status { DNSBL_CLEAN, DNSBL_LISTED, DNSBL_TEMP };

/* "zone" or "zone:text"; false when the zone is not a plausible name. */
bool dnsbl_line_parse(const char *line, struct sbuf *zone, struct sbuf *text);
/* The query name for ip under zone. */
void dnsbl_query_name(int family, const unsigned char ip[16], const char *zone,
                      struct sbuf *out);
/* Makes text safe for a reply line (printable ASCII, capped). */
void dnsbl_clean_text(const char *in, struct sbuf *out);
bool dnsbl_ip_listed(const struct strlist *allow, const char *ip);
/* Checks every line of zones in order; on DNSBL_LISTED *zone and *text
 * say which list and why.  *n_temp counts zones that failed. */
enum dnsbl_status dnsbl_check(const struct spf_dns *dns, const struct strlist *zones,
                              const char *ip, struct sbuf *zone, struct sbuf *text,
                              unsigned *n_temp);

#endif

/*
 * spf.h: an SPF evaluator (RFC 7208), our own code; libspf2 is not used.
 *
 * spf_record_parse checks a whole "v=spf1" record (section 4.6: any
 * syntax error anywhere is a permerror) into a list of terms; it is pure
 * and fuzzed.  spf_check runs check_host() (section 4) for one client IP,
 * sender and HELO name with DNS answers from a struct spf_dns (the real
 * one is spf_dns_unbound in spf_dns.c; tests plug in a fake).  Limits
 * (section 4.6.4): at most SPF_LOOKUP_MAX DNS-querying terms (include, a,
 * mx, ptr, exists, redirect), at most SPF_VOID_MAX void lookups, at most
 * 10 MX or PTR names per term; past a limit the result is permerror.
 * A DNS failure is temperror, never fail.  With an empty sender the HELO
 * name is the identity ("postmaster@helo", section 2.4).
 * spf_received_spf formats the Received-SPF field (section 9.1); every
 * value in it is restricted to safe characters.
 */
#ifndef QNG_SPF_H
#define QNG_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "sbuf.h"

#define SPF_LOOKUP_MAX 10
#define SPF_VOID_MAX 2
#define SPF_NAMES_MAX 10
#define SPF_TERMS_MAX 64
#define SPF_RECORD_MAX 4096

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_rr { SPF_RR_A, SPF_RR_AAAA, SPF_RR_MX, SPF_RR_TXT, SPF_RR_PTR };
enum spf_dns_status { SPF_DNS_OK, SPF_DNS_NXDOMAIN, SPF_DNS_TEMP };

/* out gets one string per record: an address in text form (A, AAAA), a
 * host name (MX, PTR) or the joined strings of one TXT record.  SPF_DNS_OK
 * with no records is "no data". */
struct spf_dns {
	enum spf_dns_status (*lookup)(void *ctx, const char *name, enum spf_rr type,
	                              struct strlist *out);
	void *ctx;
};

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	char qualifier; /* '+', '-', '~', '?' */
	enum spf_mech mech;
	const char *spec; /* domain-spec (macro-string) or NULL; points into the record */
	size_t spec_len;
	unsigned cidr4, cidr6;
	unsigned char ip[16];
};

struct spf_record {
	struct spf_term terms[SPF_TERMS_MAX];
	size_t n;
	const char *redirect, *exp; /* macro-strings or NULL */
	size_t redirect_len, exp_len;
};

/* true if txt is an SPF record ("v=spf1" then space or end). */
bool spf_is_record(const char *txt);
/* 0 ok, -1 syntax error (permerror).  out points into txt. */
int spf_record_parse(const char *txt, struct spf_record *out);

struct spf_request {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char ip[16];
	const char *sender;      /* "" for the null sender */
	const char *helo;
	const char *receiver;    /* our name, for %{r} */
	uint64_t now;
};

struct spf_answer {
	enum spf_result result;
	struct sbuf explanation; /* on fail: the exp= text, if any */
	struct sbuf identity;    /* the checked address */
};

void spf_check(const struct spf_dns *dns, const struct spf_request *req, struct spf_answer *ans);
void spf_answer_free(struct spf_answer *a);
/* "none", "neutral", "pass", ... */
const char *spf_result_name(enum spf_result r);
/* Parses "1.2.3.4" or an IPv6 address (an IPv4-mapped one becomes IPv4). */
bool spf_parse_ip(const char *text, int *family, unsigned char ip[16]);
/* "Received-SPF: ..." with its trailing "\n" (the queue's line ending). */
void spf_received_spf(const struct spf_request *req, const struct spf_answer *a,
                      const char *me, struct sbuf *out);

/* The unbound-backed resolver (spf_dns.c); NULL on failure. */
struct spf_dns *spf_dns_open(const struct strlist *servers, struct sbuf *err);
void spf_dns_close(struct spf_dns *d);
/* As resolver->lookup for a resolver from spf_dns_open, and *ttl gets the
 * answer's TTL in seconds: its records' for data, the SOA's negative TTL
 * for NXDOMAIN or no data, 0 when there is none (no SOA) or on
 * SPF_DNS_TEMP (a dnscache_source, dnscache.h). */
enum spf_dns_status spf_dns_lookup_ttl(void *resolver, const char *name, enum spf_rr type,
                                       struct strlist *out, uint32_t *ttl);
/* Resolves "localhost." (answered by unbound's built-in local zone, never
 * sent to a server), which makes libunbound finish setting the context up:
 * modules, caches, configuration.  0 when answered.  qmail-smtpd's zygote
 * does it once so that its sessions inherit a ready resolver. */
int spf_dns_warm(struct spf_dns *d);

#endif

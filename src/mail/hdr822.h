/*
 * hdr822.h: RFC 5322 header section and address-list parsing, for local
 * injection (qmail-inject, sendmail -t).
 *
 * Input text has LF line endings (the caller normalises, D-17).  The
 * header section is the run of fields at the start of the message: a
 * field is "name:" (printable ASCII except ':' and space, RFC 5322 3.6.8)
 * followed by its value and any continuation lines starting with space or
 * tab.  It ends at an empty line (consumed) or at the first line that is
 * not a field (which starts the body).  Limits (D-06): one field at most
 * HEADER_FIELD_MAX bytes, the section at most HEADER_SECTION_MAX bytes.
 *
 * hdr822_addrlist extracts the addr-specs of an address-list (RFC 5322
 * 3.4): display names, comments (nested), groups ("name: a, b;") and
 * quoted strings are handled; the result is each address without
 * whitespace or comments, not yet normalised (see addr.h).  Unbalanced
 * quotes, comments or angle brackets fail closed (-1).
 */
#ifndef QNG_HDR822_H
#define QNG_HDR822_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"

#define HDR822_ADDRS_MAX 100000

struct hdr_field {
	char *text; /* the whole field, continuation lines and final LF */
	size_t len;
	size_t name_len; /* bytes of the name before ':' */
	bool is_deleted;
};

struct hdr_list {
	struct hdr_field *v;
	size_t n;
	size_t cap;
};

enum hdr_status { HDR_OK = 0, HDR_FIELD_TOO_BIG, HDR_SECTION_TOO_BIG, HDR_BAD };

/* Parses the header section of data[0..len); *body_off is where the body
 * starts.  On error out is emptied. */
enum hdr_status hdr822_parse(const char *data, size_t len, struct hdr_list *out, size_t *body_off);
void hdr822_free(struct hdr_list *l);
/* Case-insensitive name comparison. */
bool hdr822_is(const struct hdr_field *f, const char *name);
/* Index of the first field named name, or -1. */
long hdr822_find(const struct hdr_list *l, const char *name);
/* The value: after ':' to the end, unfolded is not done (LFs stay). */
const char *hdr822_value(const struct hdr_field *f, size_t *len);
/* Appends the addr-specs in value[0..len) to out; 0 or -1. */
int hdr822_addrlist(const char *value, size_t len, struct strlist *out);

#endif

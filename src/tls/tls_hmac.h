/*
 * tls_hmac.h: HMAC-MD5 (RFC 2104) for AUTH CRAM-MD5 (RFC 2195), from the
 * TLS library so that no other file includes its headers.  Pure.
 */
#ifndef QNG_TLS_HMAC_H
#define QNG_TLS_HMAC_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_HMAC_MD5_LEN 16

/* false if the library refuses (e.g. MD5 disabled by a FIPS policy). */
bool tls_hmac_md5(const void *key, size_t key_len, const void *msg, size_t msg_len,
                  unsigned char out[TLS_HMAC_MD5_LEN]);

#endif

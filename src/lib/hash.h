/*
 * hash.h: 64-bit FNV-1a, for names and slots (not for security).
 *
 * hash_fnv1a continues the hash h over p[0..n); start with
 * HASH_FNV1A_BASIS (or a seeded value).  HASH_STORE_BASIS is the start the
 * greylisting and rate-limit stores have always used for their file names
 * (one digit short of FNV's basis); it stays, as the names on disk do.
 * Pure.
 */
#ifndef QNG_HASH_H
#define QNG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_BASIS 14695981039346656037ull
#define HASH_STORE_BASIS 1469598103934665603ull

uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n);

#endif

/*
 * crashpoint.h: named crash points for the durability tests.
 *
 * In a test build (-DQNG_CRASHPOINTS) crashpoint("name") kills the process
 * with SIGKILL when the environment variable QNG_CRASH equals "name".  In a
 * normal build it compiles to nothing.  The names are listed in
 * docs/INTERNALS.md next to the step they interrupt.
 */
#ifndef QNG_CRASHPOINT_H
#define QNG_CRASHPOINT_H

#ifdef QNG_CRASHPOINTS
void crashpoint(const char *name);
#else
static inline void crashpoint(const char *name) { (void)name; }
#endif

#endif

/*
 * mime_scan.h: a streaming MIME walker (RFC 2045, RFC 2046) that finds the
 * first line of every base64-encoded body, for qmail-qfilter-viruscan(8).
 *
 * The caller feeds the message in chunks of any size (mime_scan_feed) and
 * ends with mime_scan_finish.  Lines end in LF; a CR before it is dropped;
 * only the first MIME_LINE_KEEP bytes of a line are examined.
 *
 * For each entity the walker reads the header section for Content-Type
 * (type, subtype, and a multipart's boundary parameter, token or quoted
 * string) and Content-Transfer-Encoding, unfolded, keeping at most
 * MIME_FIELD_MAX bytes of each; the first Content-Type counts.  A
 * multipart's boundary is pushed (at most MIME_DEPTH_MAX open, each 1 to
 * MIME_BOUNDARY_MAX bytes).  In any state, a line "--" boundary of an open
 * multipart, followed by nothing or by blanks, starts that multipart's
 * next part; followed by "--" it closes the multipart and every one opened
 * inside it (RFC 2046 5.1.1).  The innermost match wins.  A message/rfc822
 * (or message/global) entity, and a part of a multipart/digest without a
 * Content-Type, is walked as a message of its own (RFC 2046 5.1.5, 5.2.1).
 * For a base64 entity the first non-empty body line is passed to the
 * callback, which returns true to stop the walk.
 *
 * A multipart nested deeper than MIME_DEPTH_MAX, or one without a usable
 * boundary, sets is_unscannable: its parts cannot be told apart, and a
 * caller that must see every attachment refuses the message.
 * Memory: the struct itself, no allocation.  Pure; fuzzed.
 */
#ifndef QNG_MIME_SCAN_H
#define QNG_MIME_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_DEPTH_MAX 32
#define MIME_BOUNDARY_MAX 256
#define MIME_LINE_KEEP 1000
#define MIME_FIELD_MAX 4096

typedef bool (*mime_scan_fn)(void *ctx, const char *line, size_t len);

enum mime_state { MIME_HEADER, MIME_BODY, MIME_BASE64_FIRST, MIME_STOPPED };
enum mime_field { MIME_FIELD_OTHER, MIME_FIELD_TYPE, MIME_FIELD_ENCODING };

struct mime_boundary {
	char s[MIME_BOUNDARY_MAX];
	size_t len;
	bool is_digest;
};

struct mime_scan {
	mime_scan_fn on_base64;
	void *ctx;
	enum mime_state state;
	struct mime_boundary open[MIME_DEPTH_MAX];
	size_t n_open;
	/* the header section being read */
	enum mime_field field;
	char value[MIME_FIELD_MAX];
	size_t value_len;
	bool is_value_cut;
	bool has_type, is_multipart, is_message, is_base64;
	struct mime_boundary next; /* len 0: no usable boundary */
	/* the line being collected */
	char line[MIME_LINE_KEEP];
	size_t line_len;
	bool is_line_long;
	/* results */
	bool is_unscannable;
	size_t n_base64; /* lines passed to the callback */
};

void mime_scan_init(struct mime_scan *m, mime_scan_fn on_base64, void *ctx);
void mime_scan_feed(struct mime_scan *m, const char *data, size_t len);
/* Ends the last line (if it had no LF). */
void mime_scan_finish(struct mime_scan *m);

#endif

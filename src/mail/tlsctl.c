/*
 * tlsctl.c: the qmail-smtpd <-> TLS proxy control channel (see tlsctl.h).
 */
#include "tlsctl.h"

#include <errno.h>
#include <string.h>

/* The channel's own limits on top of fdpass.h. */
int tlsctl_send(int fd, const void *msg, size_t len, const int *fds, size_t n_fds)
{
	if (len > TLSCTL_MSG_MAX) {
		errno = EINVAL;
		return -1;
	}
	return fdpass_send(fd, msg, len, fds, n_fds);
}

static void append_field(struct sbuf *out, const char *s)
{
	size_t n = 0;
	for (; s && s[n] && n < TLSCTL_FIELD_MAX; n++) {
		char c = s[n];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		sbuf_append_char(out, ok ? c : '_');
	}
	if (n == 0)
		sbuf_append_char(out, '-');
}

void tlsctl_format_ok(const char *version, const char *cipher, const char *sni,
                      struct sbuf *out)
{
	sbuf_set_str(out, "OK ");
	append_field(out, version);
	sbuf_append_char(out, ' ');
	append_field(out, cipher);
	if (sni && *sni) {
		sbuf_append_char(out, ' ');
		append_field(out, sni);
	}
}

/* Copies one field ending at a space or the end; -1 if invalid. */
static int take_field(const char **p, const char *end, char *out)
{
	size_t n = 0;
	while (*p < end && **p != ' ') {
		char c = **p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= TLSCTL_FIELD_MAX)
			return -1;
		out[n++] = c;
		(*p)++;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

int tlsctl_parse_ok(const char *msg, size_t len, struct tlsctl_info *out)
{
	memset(out, 0, sizeof *out);
	if (len < 3 || memcmp(msg, "OK ", 3) != 0)
		return -1;
	const char *p = msg + 3, *end = msg + len;
	if (take_field(&p, end, out->version) < 0 || p == end || *p++ != ' ' ||
	    take_field(&p, end, out->cipher) < 0)
		return -1;
	if (p == end)
		return 0;
	if (*p++ != ' ' || take_field(&p, end, out->sni) < 0 || p != end)
		return -1;
	return 0;
}

int tlsctl_format_auth(const char *user, const char *pass, const char *stamp, struct sbuf *out)
{
	size_t ul = strlen(user), pl = strlen(pass), sl = strlen(stamp);
	if (ul == 0 || ul > TLSCTL_USER_MAX || pl > TLSCTL_PASS_MAX || sl == 0 ||
	    sl > TLSCTL_STAMP_MAX)
		return -1;
	sbuf_set_str(out, "A");
	sbuf_append(out, user, ul + 1);
	sbuf_append(out, pass, pl + 1);
	sbuf_append(out, stamp, sl + 1);
	return 0;
}

int tlsctl_parse_auth(char *msg, size_t len, const char **user, const char **blob,
                      size_t *blob_len)
{
	if (len < 2 || msg[0] != 'A' || msg[len - 1] != '\0')
		return -1;
	char *b = msg + 1, *end = msg + len;
	char *nul1 = memchr(b, '\0', (size_t)(end - b));
	if (!nul1 || nul1 == b || (size_t)(nul1 - b) > TLSCTL_USER_MAX)
		return -1;
	char *nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));
	if (!nul2 || (size_t)(nul2 - nul1 - 1) > TLSCTL_PASS_MAX)
		return -1;
	char *nul3 = memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1));
	if (!nul3 || nul3 + 1 != end)
		return -1;
	*user = b;
	*blob = b;
	*blob_len = (size_t)(end - b);
	return 0;
}

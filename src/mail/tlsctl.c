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

int tlsctl_format_scram(const char *user, const char *auth_msg, const char *proof64,
                        struct sbuf *out)
{
	size_t ul = strlen(user);
	if (ul == 0 || ul > TLSCTL_SCRAM_USER_MAX)
		return -1;
	sbuf_set_str(out, auth_msg ? "Cproof" : "Csalt");
	sbuf_append(out, "", 1);
	sbuf_append(out, user, ul + 1);
	if (!auth_msg)
		return 0;
	size_t ml = strlen(auth_msg), pl = proof64 ? strlen(proof64) : 0;
	if (ml == 0 || ml > TLSCTL_SCRAM_MSG_MAX || pl == 0 || pl > TLSCTL_PROOF_MAX)
		return -1;
	sbuf_append(out, auth_msg, ml + 1);
	sbuf_append(out, proof64, pl + 1);
	return 0;
}

/* n NUL-terminated fields from p, each 1..max[i] bytes, ending at end. */
static bool fields_ok(const char *p, const char *end, const size_t *max, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul || nul == p || (size_t)(nul - p) > max[i])
			return false;
		p = nul + 1;
	}
	return p == end;
}

int tlsctl_parse_scram(const char *msg, size_t len, const char **blob, size_t *blob_len)
{
	static const size_t salt_max[] = {4, TLSCTL_SCRAM_USER_MAX};
	static const size_t proof_max[] = {5, TLSCTL_SCRAM_USER_MAX, TLSCTL_SCRAM_MSG_MAX,
	                                   TLSCTL_PROOF_MAX};
	if (len < 2 || msg[0] != 'C')
		return -1;
	const char *b = msg + 1, *end = msg + len;
	size_t n = (size_t)(end - b);
	bool ok = (n > 5 && memcmp(b, "salt", 5) == 0 && fields_ok(b, end, salt_max, 2)) ||
	          (n > 6 && memcmp(b, "proof", 6) == 0 && fields_ok(b, end, proof_max, 4));
	if (!ok)
		return -1;
	*blob = b;
	*blob_len = n;
	return 0;
}

long tlsctl_answer_len(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > TLSCTL_ANSWER_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == ',';
		if (!ok)
			return -1;
	}
	return (long)len;
}

/*
 * smtp_cmd.c: SMTP command-line parsing (see smtp_cmd.h).
 */
#include "smtp_cmd.h"

#include "scan.h"

#include <string.h>
#include <strings.h>

static const char *const verb_names[SMTP_VERB_COUNT] = {
    [SMTP_VERB_UNKNOWN] = "",          [SMTP_VERB_HELO] = "HELO", [SMTP_VERB_EHLO] = "EHLO",
    [SMTP_VERB_MAIL] = "MAIL",         [SMTP_VERB_RCPT] = "RCPT", [SMTP_VERB_DATA] = "DATA",
    [SMTP_VERB_RSET] = "RSET",         [SMTP_VERB_NOOP] = "NOOP", [SMTP_VERB_QUIT] = "QUIT",
    [SMTP_VERB_VRFY] = "VRFY",         [SMTP_VERB_EXPN] = "EXPN", [SMTP_VERB_HELP] = "HELP",
    [SMTP_VERB_STARTTLS] = "STARTTLS", [SMTP_VERB_AUTH] = "AUTH",
};

const char *smtp_cmd_verb_name(enum smtp_verb v)
{
	return (v > SMTP_VERB_UNKNOWN && v < SMTP_VERB_COUNT) ? verb_names[v] : "?";
}

static enum smtp_verb lookup_verb(const char *p, size_t n)
{
	for (int v = SMTP_VERB_UNKNOWN + 1; v < SMTP_VERB_COUNT; v++) {
		if (strlen(verb_names[v]) == n && strncasecmp(verb_names[v], p, n) == 0)
			return (enum smtp_verb)v;
	}
	return SMTP_VERB_UNKNOWN;
}

enum smtp_cmd_status smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out)
{
	size_t i = 0;
	out->verb = SMTP_VERB_UNKNOWN;
	out->arg = line;
	out->arg_len = 0;
	/* D-03: the reader removed the line end; any CR left is an error. */
	if (memchr(line, '\r', len) != NULL || memchr(line, '\0', len) != NULL)
		return SMTP_CMD_BAD_CHAR;
	while (i < len && line[i] != ' ')
		i++;
	if (i == 0)
		return SMTP_CMD_EMPTY;
	out->verb = lookup_verb(line, i);
	if (out->verb == SMTP_VERB_UNKNOWN)
		return SMTP_CMD_UNKNOWN;
	while (i < len && line[i] == ' ')
		i++;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	out->arg = line + i;
	out->arg_len = len - i;
	return SMTP_CMD_OK;
}

/* "FROM:" / "TO:" then optional spaces (many clients send one). */
static bool skip_keyword(const char **p, size_t *n, const char *kw)
{
	size_t k = strlen(kw);
	if (*n < k || strncasecmp(*p, kw, k) != 0)
		return false;
	*p += k;
	*n -= k;
	while (*n > 0 && **p == ' ')
		(*p)++, (*n)--;
	return true;
}

static enum smtp_arg_status map_addr(enum addr_status st)
{
	if (st == ADDR_TOO_LONG)
		return SMTP_ARG_ADDR_TOO_LONG;
	return st == ADDR_OK ? SMTP_ARG_OK : SMTP_ARG_ADDR;
}

/* One "KEY[=VALUE]" MAIL parameter. */
static enum smtp_arg_status mail_param(const char *p, size_t n, struct smtp_mail_args *out)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n;
	const char *val = eq ? eq + 1 : p + n;
	size_t vlen = (size_t)(p + n - val);
	if (klen == 4 && strncasecmp(p, "SIZE", 4) == 0) {
		if (!eq || out->has_size || !scan_u64(val, vlen, UINT64_MAX, &out->size))
			return SMTP_ARG_BAD_PARAM;
		out->has_size = true;
		return SMTP_ARG_OK;
	}
	if (klen == 4 && strncasecmp(p, "BODY", 4) == 0) {
		if (!eq || out->body != SMTP_BODY_NONE)
			return SMTP_ARG_BAD_PARAM;
		if (vlen == 4 && strncasecmp(val, "7BIT", 4) == 0)
			out->body = SMTP_BODY_7BIT;
		else if (vlen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)
			out->body = SMTP_BODY_8BITMIME;
		else
			return SMTP_ARG_BAD_PARAM;
		return SMTP_ARG_OK;
	}
	return SMTP_ARG_UNKNOWN_PARAM;
}

/* Space-separated parameters after the path; mail NULL: none allowed. */
static enum smtp_arg_status parse_params(const char *p, size_t n, struct smtp_mail_args *mail)
{
	if (n > 0 && p[0] != ' ')
		return SMTP_ARG_SYNTAX;
	while (n > 0) {
		while (n > 0 && *p == ' ')
			p++, n--;
		size_t k = 0;
		while (k < n && p[k] != ' ')
			k++;
		if (k == 0)
			break;
		enum smtp_arg_status st = mail ? mail_param(p, k, mail) : SMTP_ARG_UNKNOWN_PARAM;
		if (st != SMTP_ARG_OK)
			return st;
		p += k;
		n -= k;
	}
	return SMTP_ARG_OK;
}

enum smtp_arg_status smtp_cmd_parse_mail(const char *arg, size_t len, const char *defdomain,
                                         struct smtp_mail_args *out)
{
	size_t used;
	sbuf_clear(&out->sender);
	out->has_size = false;
	out->size = 0;
	out->body = SMTP_BODY_NONE;
	if (!skip_keyword(&arg, &len, "FROM:"))
		return SMTP_ARG_SYNTAX;
	enum addr_status ast = addr_parse_path(arg, len, true, defdomain, &out->sender, &used);
	if (ast != ADDR_OK)
		return map_addr(ast);
	return parse_params(arg + used, len - used, out);
}

enum smtp_arg_status smtp_cmd_parse_rcpt(const char *arg, size_t len, const char *defdomain,
                                         struct smtp_rcpt_args *out)
{
	size_t used;
	sbuf_clear(&out->rcpt);
	if (!skip_keyword(&arg, &len, "TO:"))
		return SMTP_ARG_SYNTAX;
	enum addr_status ast = addr_parse_path(arg, len, false, defdomain, &out->rcpt, &used);
	if (ast != ADDR_OK)
		return map_addr(ast);
	return parse_params(arg + used, len - used, NULL);
}

void smtp_mail_args_free(struct smtp_mail_args *a)
{
	sbuf_free(&a->sender);
}

void smtp_rcpt_args_free(struct smtp_rcpt_args *a)
{
	sbuf_free(&a->rcpt);
}

const char *smtp_cmd_reply(enum smtp_cmd_status st)
{
	switch (st) {
	case SMTP_CMD_OK:
		return "250 2.0.0 ok";
	case SMTP_CMD_BAD_CHAR:
		return "501 5.5.2 bare CR or NUL in command line";
	case SMTP_CMD_EMPTY:
		return "500 5.5.2 syntax error, command unrecognized";
	case SMTP_CMD_UNKNOWN:
		return "500 5.5.1 command unrecognized";
	}
	return "500 5.5.2 syntax error";
}

const char *smtp_arg_reply(enum smtp_arg_status st, bool is_rcpt)
{
	switch (st) {
	case SMTP_ARG_OK:
		return "250 2.1.0 ok";
	case SMTP_ARG_SYNTAX:
		return is_rcpt ? "501 5.5.4 syntax: RCPT TO:<address>"
		               : "501 5.5.4 syntax: MAIL FROM:<address>";
	case SMTP_ARG_ADDR:
		return is_rcpt ? "501 5.1.3 bad recipient address syntax"
		               : "501 5.1.7 bad sender address syntax";
	case SMTP_ARG_ADDR_TOO_LONG:
		return is_rcpt ? "501 5.1.3 recipient address too long"
		               : "501 5.1.7 sender address too long";
	case SMTP_ARG_BAD_PARAM:
		return "501 5.5.4 invalid parameter value";
	case SMTP_ARG_UNKNOWN_PARAM:
		return "555 5.5.4 unsupported parameter";
	}
	return "501 5.5.4 syntax error";
}

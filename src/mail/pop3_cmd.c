/* pop3_cmd.c: POP3 command-line parsing (pop3_cmd.h). */
#include "pop3_cmd.h"

#include <string.h>
#include <strings.h>

#include "scan.h"

static const char *const verb_names[POP3_VERB_COUNT] = {
    [POP3_VERB_UNKNOWN] = "",  [POP3_VERB_USER] = "USER", [POP3_VERB_PASS] = "PASS",
    [POP3_VERB_APOP] = "APOP", [POP3_VERB_AUTH] = "AUTH", [POP3_VERB_CAPA] = "CAPA",
    [POP3_VERB_STLS] = "STLS", [POP3_VERB_QUIT] = "QUIT", [POP3_VERB_STAT] = "STAT",
    [POP3_VERB_LIST] = "LIST", [POP3_VERB_UIDL] = "UIDL", [POP3_VERB_TOP] = "TOP",
    [POP3_VERB_RETR] = "RETR", [POP3_VERB_DELE] = "DELE", [POP3_VERB_RSET] = "RSET",
    [POP3_VERB_NOOP] = "NOOP",
};

const char *pop3_cmd_name(enum pop3_verb v)
{
	if ((unsigned)v >= POP3_VERB_COUNT)
		return "";
	return verb_names[v];
}

enum pop3_cmd_status pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *out)
{
	out->verb = POP3_VERB_UNKNOWN;
	out->arg = "";
	out->arg_len = 0;
	if (memchr(line, '\r', len) || memchr(line, '\0', len))
		return POP3_CMD_BAD_CHAR;
	size_t vlen = 0;
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	if (vlen == 0)
		return POP3_CMD_EMPTY;
	for (int v = 1; v < POP3_VERB_COUNT; v++) {
		if (strlen(verb_names[v]) == vlen && strncasecmp(line, verb_names[v], vlen) == 0) {
			out->verb = (enum pop3_verb)v;
			break;
		}
	}
	if (out->verb == POP3_VERB_UNKNOWN)
		return POP3_CMD_UNKNOWN;
	if (vlen < len) {
		out->arg = line + vlen + 1;
		out->arg_len = len - vlen - 1;
	}
	return POP3_CMD_OK;
}

int pop3_cmd_args(const char *arg, size_t len, size_t min_words, size_t max_words,
                  struct pop3_word out[POP3_ARG_MAX])
{
	size_t n = 0, i = 0;
	if (max_words > POP3_ARG_MAX)
		return -1;
	while (i < len) {
		size_t start = i;
		while (i < len && arg[i] != ' ')
			i++;
		if (i == start || n == max_words)
			return -1; /* empty word (double or edge space) or too many */
		out[n].p = arg + start;
		out[n].len = i - start;
		n++;
		if (i < len) {
			i++;
			if (i == len)
				return -1; /* trailing space */
		}
	}
	return n < min_words ? -1 : (int)n;
}

bool pop3_cmd_msgnum(const struct pop3_word *w, size_t n_msgs, size_t *out)
{
	uint64_t v;
	if (!scan_u64(w->p, w->len, (uint64_t)n_msgs, &v) || v == 0)
		return false;
	*out = (size_t)v;
	return true;
}

bool pop3_cmd_lines(const struct pop3_word *w, uint64_t *out)
{
	return scan_u64(w->p, w->len, POP3_TOP_LINES_MAX, out);
}

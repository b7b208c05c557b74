/* bindroutes_fuzz.c: control/bindroutes and bindroutes6 files.  Properties:
 * a file is taken whole or not at all (nothing kept after an error, whose
 * text is printable ASCII); every key kept is an address (prefix) of the
 * file's family or a domain line smtproutes_find can read; a lookup never
 * reads past its input and gives an address whenever the file has a
 * default line. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bindroutes.h"
#include "smtproutes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct bindroutes *t)
{
	size_t full = t->family == AF_INET6 ? 16 : 4;
	for (size_t i = 0; i < t->n_ips; i++)
		if (t->ips[i].len == 0 || t->ips[i].len > full ||
		    (t->family == AF_INET6 && t->ips[i].len % 2))
			abort();
	for (size_t i = 0; i < t->domains.n; i++)
		if (!strchr(t->domains.v[i], ':'))
			abort();
}

static void look_up(const struct bindroutes *t)
{
	static const unsigned char remotes[][16] = {
		{ 192, 0, 2, 1 },
		{ 10, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	static const char *const domains[] = { "example.com", "a.b.example.com", "x", NULL };
	bool has_default = smtproutes_find(&t->domains, "") != NULL;
	for (size_t r = 0; r < sizeof remotes / sizeof remotes[0]; r++)
		for (size_t d = 0; d < sizeof domains / sizeof domains[0]; d++) {
			unsigned char local[16];
			bool found = bindroutes_find(t, remotes[r], domains[d], local);
			if (has_default && !found)
				abort();
		}
}

static void one_family(int family, const uint8_t *data, size_t size)
{
	struct strlist lines = { 0 };
	struct bindroutes t;
	struct sbuf err = SBUF_INIT;
	bindroutes_init(&t, family);
	if (control_parse_lines((const char *)data, size, 1, &lines) >= 0) {
		if (bindroutes_parse(&t, "bindroutes", &lines, &err) == 0) {
			check_table(&t);
			look_up(&t);
		} else {
			if (t.n_ips || t.domains.n || err.len == 0)
				abort();
			for (size_t i = 0; i < err.len; i++)
				if ((unsigned char)err.s[i] < 0x20 ||
				    (unsigned char)err.s[i] > 0x7e)
					abort();
		}
	}
	bindroutes_free(&t);
	strlist_free(&lines);
	sbuf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_family(AF_INET, data, size);
	one_family(AF_INET6, data, size);
	return 0;
}

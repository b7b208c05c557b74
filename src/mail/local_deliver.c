/*
 * local_deliver.c: the local delivery engine (local_deliver.h).
 */
#include "local_deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "aliasdb.h"
#include "dotqmail.h"
#include "dotqmail_find.h"
#include "fdio.h"
#include "maildir.h"
#include "mbox.h"
#include "msgio.h"
#include "proto_limits.h"

struct run_state {
	struct strlist forwards;
	unsigned n_files, n_programs;
};

bool local_deliver_is_loop(const char *header, size_t len, const char *dtline)
{
	size_t dlen = strlen(dtline);
	if (dlen > 0 && dtline[dlen - 1] == '\n')
		dlen--;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(header + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - header) : len;
		if (end - pos == dlen && strncasecmp(header + pos, dtline, dlen) == 0)
			return true;
		pos = end + 1;
	}
	return false;
}

static void set_result(struct local_result *res, char status, const char *text)
{
	res->status = status;
	sbuf_set_str(&res->text, text);
}

static void ctx_init(struct local_ctx *c, const struct local_args *a)
{
	memset(c, 0, sizeof *c);
	c->a = a;
	sbuf_printf(&c->recipient, "%s@%s", a->local, a->domain);
	sbuf_printf(&c->dtline, "Delivered-To: %s\n", c->recipient.s);
	sbuf_printf(&c->rpline, "Return-Path: <%s>\n", a->sender);
	mbox_from_line(&c->ufline, a->sender, time(NULL));
	sbuf_set_str(&c->newsender, a->sender);
}

static void ctx_free(struct local_ctx *c)
{
	sbuf_free(&c->recipient);
	sbuf_free(&c->dtline);
	sbuf_free(&c->rpline);
	sbuf_free(&c->ufline);
	sbuf_free(&c->newsender);
	sbuf_free(&c->deflt);
	sbuf_free(&c->out);
}

/* A list owner address for forwards, as qmail-local: when .qmail-EXT-owner
 * exists, bounces of forwarded mail go to LOCAL-owner@DOMAIN. */
static void pick_newsender(struct local_ctx *c)
{
	const struct local_args *a = c->a;
	if (!*a->sender || strcmp(a->sender, "#@[]") == 0 || !*a->ext)
		return;
	struct sbuf ext = SBUF_INIT, name = SBUF_INIT;
	struct stat st;
	sbuf_printf(&ext, "%s-owner", a->ext);
	dotqmail_find_name(a->dash, ext.s, &name);
	if (stat(name.s, &st) == 0) {
		sbuf_clear(&c->newsender);
		sbuf_printf(&c->newsender, "%s-owner@%s", a->local, a->domain);
	}
	sbuf_free(&ext);
	sbuf_free(&name);
}

static char add_forward(struct local_ctx *c, struct run_state *rs, const char *text,
                        struct sbuf *why)
{
	struct sbuf addr = SBUF_INIT;
	enum addr_status st = addr_normalize(text, strlen(text), c->a->noathost, &addr);
	if (st != ADDR_OK || addr.len == 0) {
		sbuf_clear(why);
		sbuf_printf(why, "Invalid forwarding address in .qmail: %s. (#5.1.3)",
		            addr_status_str(st));
		sbuf_free(&addr);
		return 'D';
	}
	if (rs->forwards.n >= DOTQMAIL_DELIVERIES_MAX) {
		sbuf_set_str(why, "Too many forwarding addresses. (#5.3.0)");
		sbuf_free(&addr);
		return 'D';
	}
	strlist_add(&rs->forwards, addr.s, addr.len);
	sbuf_free(&addr);
	return 'K';
}

static char run_line(struct local_ctx *c, struct run_state *rs,
                     const struct dotqmail_line *l, struct sbuf *why)
{
	const char *text = NULL;
	struct sbuf hdr = SBUF_INIT;
	char st = 'K';
	sbuf_append(&hdr, c->rpline.s, c->rpline.len);
	sbuf_append(&hdr, c->dtline.s, c->dtline.len);
	switch (l->kind) {
	case DQ_MAILDIR:
		if (maildir_deliver(l->text, hdr.s, hdr.len, c->a->msg_fd, &text) != 0)
			st = 'Z';
		rs->n_files++;
		break;
	case DQ_MBOX:
		if (mbox_deliver(l->text, c->a->sender, time(NULL), hdr.s, hdr.len,
		                 c->a->msg_fd, &text) != 0)
			st = 'Z';
		rs->n_files++;
		break;
	case DQ_PROGRAM:
		st = local_program_run(c, l->text, why);
		rs->n_programs++;
		break;
	case DQ_FORWARD:
		st = add_forward(c, rs, l->text, why);
		break;
	}
	if (text)
		sbuf_set_str(why, text);
	if ((st == 'Z' || st == 'D') && why->len == 0)
		sbuf_set_str(why, st == 'D' ? "Program failed permanently. (#5.3.0)"
		                            : "Program failed temporarily. (#4.3.0)");
	sbuf_free(&hdr);
	return st;
}

static void describe(const struct dotqmail *d, struct local_result *res)
{
	static const char *const kinds[] = { "program", "forward", "mbox", "maildir" };
	res->status = 'K';
	sbuf_clear(&res->text);
	for (size_t i = 0; i < d->n; i++)
		sbuf_printf(&res->text, "%s %s\n", kinds[d->v[i].kind], d->v[i].text);
}

static void run_all(struct local_ctx *c, const struct dotqmail *d,
                    struct local_result *res)
{
	struct run_state rs = { { 0 }, 0, 0 };
	struct sbuf why = SBUF_INIT;
	char st = 'K';
	for (size_t i = 0; i < d->n && (st == 'K'); i++)
		st = run_line(c, &rs, &d->v[i], &why);
	if ((st == 'K' || st == 'S') && rs.forwards.n > 0)
		st = local_forward_send(c, &rs.forwards, &why);
	if (st == 'K' || st == 'S') {
		res->status = 'K';
		sbuf_clear(&res->text);
		sbuf_append(&res->text, c->out.s ? c->out.s : "", c->out.len);
		sbuf_printf(&res->text, "did %u+%zu+%u/", rs.n_files, rs.forwards.n,
		            rs.n_programs);
	} else {
		res->status = st;
		sbuf_set(&res->text, why.s ? why.s : "", why.len);
	}
	strlist_free(&rs.forwards);
	sbuf_free(&why);
}

/* Runs .qmail-format text (a file, the default delivery, alias targets). */
static void run_text(struct local_ctx *c, const char *text, size_t len,
                     struct local_result *res)
{
	struct dotqmail d;
	enum dotqmail_status st = dotqmail_parse(text, len, &d);
	if (st != DQ_OK) {
		res->status = 'Z';
		sbuf_clear(&res->text);
		sbuf_printf(&res->text, "Uh-oh: .qmail file is invalid: %s. (#4.7.0)",
		            dotqmail_status_str(st));
		return;
	}
	if (c->a->dry_run)
		describe(&d, res);
	else
		run_all(c, &d, res);
	dotqmail_free(&d);
}

/* Reads the .qmail file name; 1 ok, 0 refused (res set), never follows
 * more than the user could have written themselves. */
static int read_dotqmail(const char *name, struct sbuf *data, struct local_result *res)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		set_result(res, 'Z', "Unable to open .qmail file. (#4.3.0)");
		return 0;
	}
	int r = 0;
	if (!S_ISREG(st.st_mode))
		set_result(res, 'Z', "Uh-oh: .qmail file is not a regular file. (#4.7.0)");
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		set_result(res, 'Z', "Uh-oh: .qmail file is writable. (#4.7.0)");
	else if (fd_read_all(fd, data, DOTQMAIL_FILE_MAX) != 0)
		set_result(res, 'Z', "Unable to read .qmail file. (#4.3.0)");
	else
		r = 1;
	close(fd);
	return r;
}

static void deliver_alias_db(struct local_ctx *c, struct local_result *res)
{
	struct strlist targets = { 0 };
	struct sbuf text = SBUF_INIT;
	int r = aliasdb_lookup(c->a->ext, &targets);
	if (r < 0)
		set_result(res, 'Z', "Unable to read the aliases database. (#4.3.0)");
	else if (r == 0)
		set_result(res, 'D', "Sorry, no mailbox here by that name. (#5.1.1)");
	for (size_t i = 0; r == 1 && i < targets.n; i++) {
		const char *t = targets.v[i];
		if (*t == '&' || *t == '|' || *t == '/' || *t == '.' || *t == '#')
			sbuf_append_str(&text, t);
		else
			sbuf_printf(&text, "&%s", t);
		sbuf_append_char(&text, '\n');
	}
	if (r == 1)
		run_text(c, text.s ? text.s : "", text.len, res);
	strlist_free(&targets);
	sbuf_free(&text);
}

static void deliver_found(struct local_ctx *c, struct dotqmail_match *m,
                          struct local_result *res)
{
	struct sbuf data = SBUF_INIT;
	if (read_dotqmail(m->name.s, &data, res)) {
		if (data.len == 0)
			run_text(c, c->a->defaultdelivery, strlen(c->a->defaultdelivery), res);
		else
			run_text(c, data.s, data.len, res);
	}
	sbuf_free(&data);
}

static bool home_ok(struct local_result *res, const char *home)
{
	struct stat st;
	if (chdir(home) != 0 || stat(".", &st) != 0) {
		set_result(res, 'Z', "Unable to switch to home directory. (#4.3.0)");
		return false;
	}
	if (st.st_mode & S_ISVTX) {
		set_result(res, 'Z', "Uh-oh: home directory is sticky. (#4.2.1)");
		return false;
	}
	return true;
}

static bool not_looping(struct local_ctx *c, struct local_result *res)
{
	struct sbuf header = SBUF_INIT;
	bool ok = false;
	if (msgio_read_header(c->a->msg_fd, &header, HEADER_SECTION_MAX) != 0)
		set_result(res, 'Z', "Unable to read message. (#4.3.0)");
	else if (local_deliver_is_loop(header.s ? header.s : "", header.len, c->dtline.s))
		set_result(res, 'D', "This message is looping: it already has my "
		                     "Delivered-To line. (#5.4.6)");
	else
		ok = true;
	sbuf_free(&header);
	return ok;
}

void local_deliver(const struct local_args *a, struct local_result *res)
{
	struct local_ctx c;
	struct dotqmail_match m = { SBUF_INIT, SBUF_INIT, false };
	ctx_init(&c, a);
	if (!home_ok(res, a->home) || !not_looping(&c, res))
		goto out;
	int r = dotqmail_find(".", a->dash, a->ext, &m);
	if (r < 0) {
		set_result(res, 'Z', "Unable to look for the .qmail file. (#4.3.0)");
		goto out;
	}
	c.is_default = m.is_default;
	sbuf_set(&c.deflt, sbuf_cstr(&m.deflt), m.deflt.len);
	pick_newsender(&c);
	if (r == 1)
		deliver_found(&c, &m, res);
	else if (*a->ext == '\0')
		run_text(&c, a->defaultdelivery, strlen(a->defaultdelivery), res);
	else if (aliasdb_is_alias_home(a->home))
		deliver_alias_db(&c, res);
	else
		set_result(res, 'D', "Sorry, no mailbox here by that name. (#5.1.1)");
out:
	dotqmail_match_free(&m);
	ctx_free(&c);
}

void local_result_free(struct local_result *res)
{
	sbuf_free(&res->text);
}

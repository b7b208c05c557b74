/*
 * qmail-inject: prepare a message from standard input and queue it
 * (qmail-inject(8)).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "fdio.h"
#include "hdr822.h"
#include "inject_msg.h"
#include "proto_limits.h"
#include "qqueue.h"
#include "sbuf.h"

enum rcpt_mode { RCPT_DEFAULT, RCPT_ARGS, RCPT_HEADER, RCPT_BOTH };

struct opts {
	const char *sender; /* -f, NULL: derived */
	const char *name;   /* -F */
	enum rcpt_mode mode;
	bool print_only; /* -n */
	char **args;
	int nargs;
};

struct ctlvals {
	struct sbuf me, defaulthost, defaultdomain, plusdomain, idhost;
};

static void __attribute__((noreturn)) fail(int code, const char *msg)
{
	fprintf(stderr, "qmail-inject: fatal: %s\n", msg);
	exit(code);
}

static const char *env_first(const char *const *names, const char *def)
{
	for (size_t i = 0; names[i]; i++) {
		const char *v = getenv(names[i]);
		if (v && v[0])
			return v;
	}
	return def;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	memset(o, 0, sizeof *o);
	while ((c = getopt(argc, argv, "f:F:ahtnH")) != -1) {
		if (c == 'f')
			o->sender = optarg;
		else if (c == 'F')
			o->name = optarg;
		else if (c == 'a')
			o->mode = RCPT_ARGS;
		else if (c == 'h')
			o->mode = RCPT_HEADER;
		else if (c == 't')
			o->mode = RCPT_BOTH;
		else if (c == 'n')
			o->print_only = true;
		else if (c != 'H')
			fail(EXIT_PERM,
			     "usage: qmail-inject [-nhat] [-f sender] [-F name] [address ...]");
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->mode == RCPT_DEFAULT)
		o->mode = o->nargs > 0 ? RCPT_ARGS : RCPT_HEADER;
}

static void load_config(struct ctlvals *v, struct inject_cfg *c, const struct opts *o)
{
	static const char *const users[] = {"QMAILUSER", "MAILUSER", "USER", "LOGNAME", NULL};
	static const char *const hosts[] = {"QMAILHOST", "MAILHOST", NULL};
	static const char *const names[] = {"QMAILNAME", "MAILNAME", "NAME", NULL};
	memset(v, 0, sizeof *v);
	if (control_read_line("me", "localhost", &v->me) < 0)
		fail(EXIT_TEMP, "unable to read control/me");
	const char *me = sbuf_cstr(&v->me);
	if (control_read_line("defaulthost", me, &v->defaulthost) < 0 ||
	    control_read_line("defaultdomain", me, &v->defaultdomain) < 0 ||
	    control_read_line("plusdomain", me, &v->plusdomain) < 0 ||
	    control_read_line("idhost", me, &v->idhost) < 0)
		fail(EXIT_TEMP, "unable to read the control files");
	c->defaulthost = sbuf_cstr(&v->defaulthost);
	c->defaultdomain = sbuf_cstr(&v->defaultdomain);
	c->plusdomain = sbuf_cstr(&v->plusdomain);
	c->idhost = sbuf_cstr(&v->idhost);
	c->user = env_first(users, "anonymous");
	c->host = env_first(hosts, c->defaulthost);
	c->name = o->name ? o->name : env_first(names, "");
}

static void envelope_sender(const struct opts *o, const struct inject_cfg *c, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	if (o->sender) {
		sbuf_set_str(&raw, o->sender);
	} else {
		const char *u = getenv("QMAILSUSER"), *h = getenv("QMAILSHOST");
		sbuf_printf(&raw, "%s@%s", u && u[0] ? u : c->user, h && h[0] ? h : c->host);
	}
	if (inject_msg_address(c, raw.s, raw.len, true, out) < 0)
		fail(EXIT_PERM, "invalid envelope sender");
	sbuf_free(&raw);
}

static void collect_rcpts(const struct opts *o, const struct inject_cfg *c,
                          const struct hdr_list *h, struct strlist *rcpts)
{
	struct sbuf norm = SBUF_INIT;
	if (o->mode != RCPT_HEADER) {
		for (int i = 0; i < o->nargs; i++) {
			if (inject_msg_address(c, o->args[i], strlen(o->args[i]), false, &norm) < 0)
				fail(EXIT_PERM, "invalid recipient address");
			strlist_add(rcpts, norm.s, norm.len);
		}
	}
	if (o->mode != RCPT_ARGS && inject_msg_recipients(h, c, rcpts) < 0)
		fail(EXIT_PERM, "unable to parse the recipient fields");
	if (rcpts->n == 0)
		fail(EXIT_PERM, "no recipients");
	if (rcpts->n > QUEUE_RCPT_MAX)
		fail(EXIT_PERM, "too many recipients");
	sbuf_free(&norm);
}

static void read_message(struct sbuf *msg)
{
	struct sbuf raw = SBUF_INIT;
	uint64_t max = DATABYTES_DEFAULT;
	if (control_read_u64("databytes", DATABYTES_DEFAULT, UINT32_MAX, &max) < 0)
		fail(EXIT_TEMP, "unable to read control/databytes");
	if (max == 0)
		max = DATABYTES_DEFAULT;
	if (fd_read_all(0, &raw, (size_t)max) < 0)
		fail(errno == E2BIG ? EXIT_PERM : EXIT_TEMP,
		     errno == E2BIG ? "message too big" : "unable to read the message");
	inject_msg_normalize(sbuf_cstr(&raw), raw.len, msg);
	sbuf_free(&raw);
}

static void emit(void *ctx, const void *p, size_t n)
{
	struct qqueue *q = ctx;
	if (q)
		qqueue_write(q, p, n);
	else
		(void)fd_write_all(1, p, n);
}

static void write_message(struct qqueue *q, const struct hdr_list *h, const struct sbuf *added,
                          const char *body, size_t body_len)
{
	for (size_t i = 0; i < h->n; i++) {
		if (!h->v[i].is_deleted)
			emit(q, h->v[i].text, h->v[i].len);
	}
	emit(q, added->s ? added->s : "", added->len);
	emit(q, "\n", 1);
	emit(q, body, body_len);
}

static int queue_it(const struct hdr_list *h, const struct sbuf *added, const char *body,
                    size_t body_len, const char *sender, const struct strlist *rcpts)
{
	struct qqueue q;
	if (qqueue_start(&q) < 0)
		fail(EXIT_TEMP, "unable to run qmail-queue");
	write_message(&q, h, added, body, body_len);
	int code = qqueue_finish(&q, sender, rcpts);
	if (code == 0)
		return 0;
	/* A queue program's own text (qqerr.h): D permanent, Z temporary. */
	fprintf(stderr, "qmail-inject: fatal: %s\n",
	        qqueue_result_text(&q, code));
	return qqueue_is_permanent(&q, code) ? EXIT_PERM : EXIT_TEMP;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct ctlvals cv;
	struct inject_cfg cfg;
	struct sbuf msg = SBUF_INIT, added = SBUF_INIT, sender = SBUF_INIT;
	struct hdr_list h;
	struct strlist rcpts = {NULL, 0, 0};
	size_t body_off;
	signal(SIGPIPE, SIG_IGN);
	parse_opts(argc, argv, &o);
	load_config(&cv, &cfg, &o);
	read_message(&msg);
	enum hdr_status st = hdr822_parse(sbuf_cstr(&msg), msg.len, &h, &body_off);
	if (st != HDR_OK)
		fail(EXIT_PERM, "header field or section too long");
	envelope_sender(&o, &cfg, &sender);
	collect_rcpts(&o, &cfg, &h, &rcpts);
	inject_msg_complete(&h, &cfg, time(NULL), getpid(), &added);
	const char *body = sbuf_cstr(&msg) + body_off;
	size_t body_len = msg.len - body_off;
	if (o.print_only) {
		write_message(NULL, &h, &added, body, body_len);
		return 0;
	}
	return queue_it(&h, &added, body, body_len, sender.s, &rcpts);
}

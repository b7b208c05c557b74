/*
 * qmail-qread: lists the queued messages and their recipients in qmail's
 * format (src/mail/queue_read.h), oldest queue number first.  The date is
 * the envelope file's mtime, the size the envelope's S record (else the
 * message file's size).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "proto_limits.h"
#include "queue_read.h"
#include "queue_scan.h"
#include "route.h"

static int show(const struct route_config *rc, const char *dir, uint64_t id, struct sbuf *out)
{
	char path[64], mess[64], bounce[64];
	snprintf(path, sizeof path, "%s/%llu", dir, (unsigned long long)id);
	snprintf(mess, sizeof mess, "mess/%llu", (unsigned long long)id);
	snprintf(bounce, sizeof bounce, "bounce/%llu", (unsigned long long)id);
	struct sbuf data = SBUF_INIT;
	struct stat st, ms;
	struct envelope e;
	if (stat(path, &st) < 0 || file_read_all(path, &data, QUEUE_ENVELOPE_MAX) < 0 ||
	    envelope_parse(data.s ? data.s : "", data.len, &e) != ENV_OK) {
		sbuf_free(&data);
		return errno == ENOENT ? 0 : -1;   /* vanished meanwhile: not an error */
	}
	sbuf_free(&data);
	uint64_t size = e.has_size ? e.size : (stat(mess, &ms) == 0 ? (uint64_t)ms.st_size : 0);
	queue_read_header(out, st.st_mtime, id, size, e.sender, access(bounce, F_OK) == 0);
	struct sbuf routed = SBUF_INIT;
	for (size_t i = 0; i < e.n_rcpt; i++) {
		sbuf_clear(&routed);
		bool local = route_classify(rc, e.rcpt[i].addr, &routed) == ROUTE_LOCAL;
		queue_read_rcpt(out, local, e.rcpt[i].done, e.rcpt[i].addr);
	}
	sbuf_free(&routed);
	envelope_free(&e);
	return 0;
}

static int list(const struct route_config *rc, struct sbuf *out)
{
	uint64_t *todo, *env;
	size_t n_todo, n_env;
	if (queue_scan_dir("todo", &todo, &n_todo) < 0)
		return -1;
	if (queue_scan_dir("env", &env, &n_env) < 0) {
		free(todo);
		return -1;
	}
	int rc_all = 0;
	size_t i = 0, k = 0;
	while (i < n_env || k < n_todo) {
		bool from_env = k >= n_todo || (i < n_env && env[i] <= todo[k]);
		if (from_env && k < n_todo && env[i] == todo[k])
			k++;
		uint64_t id = from_env ? env[i++] : todo[k++];
		if (show(rc, from_env ? "env" : "todo", id, out) < 0) {
			fprintf(stderr, "qmail-qread: warning: trouble reading %llu\n",
				(unsigned long long)id);
			rc_all = -1;
		}
	}
	free(todo);
	free(env);
	return rc_all;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-d") == 0)
		instance_set_home(argv[2]);
	struct route_config rc;
	if (route_config_load(&rc) < 0) {
		fprintf(stderr, "qmail-qread: fatal: unable to read controls\n");
		return EXIT_TEMP;
	}
	char *q = instance_path("queue");
	if (chdir(q) < 0) {
		fprintf(stderr, "qmail-qread: fatal: unable to switch to %s\n", q);
		return EXIT_TEMP;
	}
	free(q);
	struct sbuf out = SBUF_INIT;
	int rc_list = list(&rc, &out);
	if (fd_write_all(1, out.s ? out.s : "", out.len) < 0)
		return EXIT_TEMP;
	sbuf_free(&out);
	route_config_free(&rc);
	return rc_list < 0 ? EXIT_TEMP : 0;
}

/*
 * qmail-qcheck [-d DIR]: verifies the queue invariants of
 * docs/INTERNALS.md after a crash and recovery.  One line per problem on
 * stdout; exit 1 if there was any, 0 if the queue is clean, 111 if the
 * queue could not be read.
 *   - every todo/N and env/N has mess/N, parses with its end marker and
 *     has an S record equal to mess/N's size (nothing partial committed);
 *   - no N is in both todo/ and env/;
 *   - no mess/ file holds a CR;
 *   - every bounce/N parses and belongs to a message in env/ or todo/.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "queue_bounce.h"
#include "queue_scan.h"

static unsigned long problems;

static void problem(const char *fmt, const char *dir, uint64_t id)
{
	printf("%s/%llu: %s\n", dir, (unsigned long long)id, fmt);
	problems++;
}

static bool in_list(const uint64_t *v, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == id)
			return true;
		if (v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void check_envelope(const char *dir, uint64_t id)
{
	char path[64], mess[64];
	snprintf(path, sizeof path, "%s/%llu", dir, (unsigned long long)id);
	snprintf(mess, sizeof mess, "mess/%llu", (unsigned long long)id);
	struct stat ms;
	if (stat(mess, &ms) < 0) {
		/* Gone with its envelope meanwhile (a live queue): not a problem.
		 * Removal takes the envelope first, injection the message first. */
		if (access(path, F_OK) < 0)
			return;
		if (stat(mess, &ms) < 0) {
			problem("no message file", dir, id);
			return;
		}
	}
	struct sbuf data = SBUF_INIT;
	struct envelope e;
	if (file_read_all(path, &data, QUEUE_ENVELOPE_MAX + 1) < 0) {
		if (errno != ENOENT)
			problem("unreadable envelope", dir, id);
	} else {
		enum env_status st = envelope_parse(data.s ? data.s : "", data.len, &e);
		if (st == ENV_INCOMPLETE)
			problem("envelope has no end marker", dir, id);
		else if (st != ENV_OK)
			problem("envelope does not parse", dir, id);
		else if (!e.has_size)
			problem("envelope has no S record", dir, id);
		else if (e.size != (uint64_t)ms.st_size)
			problem("message file size differs from the envelope's S record", dir, id);
		if (st == ENV_OK)
			envelope_free(&e);
	}
	sbuf_free(&data);
}

static void check_mess(uint64_t id)
{
	char path[64];
	snprintf(path, sizeof path, "mess/%llu", (unsigned long long)id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			problem("unreadable message file", "mess", id);
		return;
	}
	char buf[65536];
	ssize_t r;
	while ((r = fd_read_full(fd, buf, sizeof buf)) > 0) {
		if (memchr(buf, '\r', (size_t)r)) {
			problem("message holds a CR", "mess", id);
			break;
		}
	}
	close(fd);
}

/* Still there now?  The lists were read at different moments. */
static bool exists(const char *dir, uint64_t id)
{
	char path[64];
	snprintf(path, sizeof path, "%s/%llu", dir, (unsigned long long)id);
	return access(path, F_OK) == 0;
}

static void check_bounce(uint64_t id, bool has_env)
{
	char path[64];
	snprintf(path, sizeof path, "bounce/%llu", (unsigned long long)id);
	if (!has_env && !exists("todo", id) && !exists("env", id) && exists("bounce", id))
		problem("bounce file without an envelope", "bounce", id);
	struct sbuf data = SBUF_INIT;
	struct bounce_list l;
	size_t good;
	if (file_read_all(path, &data, QUEUE_BOUNCE_MAX) < 0) {
		if (errno != ENOENT)
			problem("unreadable bounce file", "bounce", id);
	} else if (queue_bounce_parse(data.s ? data.s : "", data.len, &l, &good) != BOUNCE_OK)
		problem("bounce file does not parse", "bounce", id);
	else
		queue_bounce_free(&l);
	sbuf_free(&data);
}

struct lists {
	uint64_t *v[4];
	size_t n[4];
};
static const char *const dirs[4] = { "todo", "env", "mess", "bounce" };

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-d") == 0)
		instance_set_home(argv[2]);
	char *q = instance_path("queue");
	if (chdir(q) < 0) {
		fprintf(stderr, "qmail-qcheck: fatal: unable to switch to %s\n", q);
		return EXIT_TEMP;
	}
	free(q);
	struct lists l;
	for (int d = 0; d < 4; d++)
		if (queue_scan_dir(dirs[d], &l.v[d], &l.n[d]) < 0) {
			fprintf(stderr, "qmail-qcheck: fatal: unable to read %s\n", dirs[d]);
			return EXIT_TEMP;
		}
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < l.n[d]; i++)
			check_envelope(dirs[d], l.v[d][i]);
	for (size_t i = 0; i < l.n[0]; i++)
		if (in_list(l.v[1], l.n[1], l.v[0][i]) && exists("todo", l.v[0][i]) &&
		    exists("env", l.v[0][i]))
			problem("also in env/", "todo", l.v[0][i]);
	for (size_t i = 0; i < l.n[2]; i++)
		check_mess(l.v[2][i]);
	for (size_t i = 0; i < l.n[3]; i++) {
		uint64_t id = l.v[3][i];
		check_bounce(id, in_list(l.v[0], l.n[0], id) || in_list(l.v[1], l.n[1], id));
	}
	for (int d = 0; d < 4; d++)
		free(l.v[d]);
	fflush(stdout);
	return problems ? 1 : 0;
}

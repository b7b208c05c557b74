/*
 * maildir.c: Maildir delivery (maildir.h).
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "fdio.h"
#include "msgio.h"

/* Attempts at a fresh unique name when tmp/NAME already exists. */
#define MAILDIR_NAME_TRIES 3

static unsigned long maildir_counter;

void maildir_host(struct sbuf *out)
{
	char host[256];
	sbuf_clear(out);
	if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	for (const char *p = host; *p; p++) {
		if (*p == '/')
			sbuf_append_str(out, "\\057");
		else if (*p == ':')
			sbuf_append_str(out, "\\072");
		else
			sbuf_append_char(out, *p);
	}
}

void maildir_unique_name(struct sbuf *out, const struct timeval *tv, pid_t pid,
                         unsigned long n, const char *host)
{
	sbuf_clear(out);
	sbuf_printf(out, "%lld.M%ldP%ldQ%lu.%s", (long long)tv->tv_sec,
	            (long)tv->tv_usec, (long)pid, n, host);
}

struct mdpaths {
	struct sbuf tmp, new, newdir;
};

static void mdpaths_free(struct mdpaths *p)
{
	sbuf_free(&p->tmp);
	sbuf_free(&p->new);
	sbuf_free(&p->newdir);
}

static int create_tmp(const char *dir, struct mdpaths *p, const char **why)
{
	struct sbuf host = SBUF_INIT, name = SBUF_INIT;
	maildir_host(&host);
	int fd = -1;
	for (int i = 0; i < MAILDIR_NAME_TRIES && fd < 0; i++) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		maildir_unique_name(&name, &tv, getpid(), ++maildir_counter, host.s);
		sbuf_clear(&p->tmp);
		sbuf_printf(&p->tmp, "%s/tmp/%s", dir, name.s);
		sbuf_clear(&p->new);
		sbuf_printf(&p->new, "%s/new/%s", dir, name.s);
		fd = open(p->tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		*why = errno == EDQUOT ? "Recipient's mailbox is full. (#4.2.2)"
		       : "Unable to create a file in the Maildir tmp directory. (#4.2.1)";
	sbuf_clear(&p->newdir);
	sbuf_printf(&p->newdir, "%s/new", dir);
	sbuf_free(&host);
	sbuf_free(&name);
	return fd;
}

static int write_tmp(int fd, const char *hdr, size_t hdr_len, int msg_fd,
                     const char **why)
{
	bool is_read = false;
	int r = fd_write_all(fd, hdr, hdr_len);
	if (r == 0)
		r = msgio_copy(msg_fd, fd, &is_read);
	if (r == 0 && fsync(fd) != 0)
		r = -1;
	int saved = errno;
	if (fd_close_checked(fd) != 0 && r == 0) {
		r = -1;
		saved = errno;
	}
	errno = saved;
	if (r != 0)
		*why = is_read ? "Unable to read message. (#4.3.0)"
		       : errno == EDQUOT || errno == ENOSPC
		       ? "Recipient's mailbox is full. (#4.2.2)"
		       : "Unable to write the message to the Maildir. (#4.3.0)";
	return r;
}

static int move_to_new(const struct mdpaths *p, const char **why)
{
	if (link(p->tmp.s, p->new.s) != 0) {
		if ((errno != EPERM && errno != ENOSYS && errno != EXDEV)
		    || rename(p->tmp.s, p->new.s) != 0) {
			*why = "Unable to link the message into the Maildir new directory. (#4.2.1)";
			return -1;
		}
	}
	crashpoint("local-after-link-new");
	if (fd_sync_dir(p->newdir.s) != 0) {
		*why = "Unable to sync the Maildir new directory. (#4.3.0)";
		int saved = errno;
		unlink(p->new.s);   /* deferred, so not delivered: the retry makes the copy */
		errno = saved;
		return -1;
	}
	return 0;
}

int maildir_deliver(const char *dir, const char *hdr, size_t hdr_len, int msg_fd,
                    const char **why)
{
	struct mdpaths p = { SBUF_INIT, SBUF_INIT, SBUF_INIT };
	size_t dlen = strlen(dir);
	char *base = xmemdup(dir, dlen);
	while (dlen > 1 && base[dlen - 1] == '/')
		base[--dlen] = '\0';
	int r = -1;
	int fd = create_tmp(base, &p, why);
	if (fd >= 0 && write_tmp(fd, hdr, hdr_len, msg_fd, why) == 0) {
		crashpoint("local-after-tmp-write");
		crashpoint("local-before-link-new");
		r = move_to_new(&p, why);
		int saved = errno;
		unlink(p.tmp.s);
		errno = saved;
	} else if (fd >= 0) {
		int saved = errno;
		unlink(p.tmp.s);
		errno = saved;
	}
	free(base);
	mdpaths_free(&p);
	return r;
}

static int make_one(const char *path, mode_t mode)
{
	struct stat st;
	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int maildir_make(const char *dir, mode_t mode)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct sbuf p = SBUF_INIT;
	int r = make_one(dir, mode);
	for (size_t i = 0; r == 0 && i < 3; i++) {
		sbuf_clear(&p);
		sbuf_printf(&p, "%s/%s", dir, sub[i]);
		r = make_one(p.s, mode);
	}
	int saved = errno;
	sbuf_free(&p);
	errno = saved;
	return r;
}

/*
 * mbox.c: mbox delivery with fcntl and dot locking (mbox.h).
 */
#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "msgio.h"

void mbox_from_line(struct sbuf *out, const char *sender, time_t t)
{
	struct tm tm;
	char date[64];
	if (!gmtime_r(&t, &tm) || strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		strcpy(date, "Thu Jan  1 00:00:00 1970");
	sbuf_clear(out);
	sbuf_printf(out, "From %s %s\n", *sender ? sender : "MAILER-DAEMON", date);
}

/* 1 locked, 0 not possible here (directory not writable), -1 timeout/error. */
static int dotlock_take(const char *lock)
{
	for (int i = 0; i <= MBOX_LOCK_TIMEOUT; i++) {
		int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			close(fd);
			return 1;
		}
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			return 0;
		if (errno != EEXIST)
			return -1;
		struct stat st;
		if (lstat(lock, &st) == 0 && st.st_mtime + MBOX_DOTLOCK_STALE < time(NULL)) {
			unlink(lock);
			continue;
		}
		sleep(1);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int fcntl_lock(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	for (int i = 0; i <= MBOX_LOCK_TIMEOUT; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		sleep(1);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int append_all(int fd, const char *sender, time_t now, const char *hdr,
                      size_t hdr_len, int msg_fd, const char **why)
{
	struct sbuf from = SBUF_INIT;
	bool is_read = false;
	mbox_from_line(&from, sender, now);
	int r = fd_write_all(fd, from.s, from.len);
	sbuf_free(&from);
	if (r == 0)
		r = fd_write_all(fd, hdr, hdr_len);
	if (r == 0)
		r = msgio_copy_mbox(msg_fd, fd, &is_read);
	if (r == 0 && fsync(fd) != 0)
		r = -1;
	if (r != 0)
		*why = is_read ? "Unable to read message. (#4.3.0)"
		       : errno == EDQUOT || errno == ENOSPC
		       ? "Recipient's mailbox is full. (#4.2.2)"
		       : "Unable to write mbox. (#4.3.0)";
	return r;
}

static int deliver_locked(int fd, const char *sender, time_t now, const char *hdr,
                          size_t hdr_len, int msg_fd, const char **why)
{
	struct stat st;
	if (fcntl_lock(fd) != 0) {
		*why = "Unable to lock mbox. (#4.2.1)";
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		*why = "Unable to stat mbox. (#4.3.0)";
		return -1;
	}
	if (append_all(fd, sender, now, hdr, hdr_len, msg_fd, why) == 0)
		return 0;
	int saved = errno;
	if (ftruncate(fd, st.st_size) == 0)
		(void)fsync(fd);
	errno = saved;
	return -1;
}

int mbox_deliver(const char *path, const char *sender, time_t now,
                 const char *hdr, size_t hdr_len, int msg_fd, const char **why)
{
	struct sbuf lock = SBUF_INIT;
	sbuf_printf(&lock, "%s.lock", path);
	int locked = dotlock_take(lock.s);
	int r = -1;
	if (locked < 0) {
		*why = "Unable to lock mbox. (#4.2.1)";
		goto out;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*why = "Unable to open mbox. (#4.2.1)";
	} else {
		r = deliver_locked(fd, sender, now, hdr, hdr_len, msg_fd, why);
		int saved = errno;
		if (fd_close_checked(fd) != 0 && r == 0) {
			r = -1;
			*why = "Unable to write mbox. (#4.3.0)";
		} else {
			errno = saved;
		}
	}
	if (locked == 1)
		unlink(lock.s);
out:
	sbuf_free(&lock);
	return r;
}

#include "instance.h"

#include "alloc.h"
#include "fdio.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_HOME "/var/qmail"
#define ROOT_MODE_GROUP "qmail"
#define MODE_FILE_MAX 4096

static char *home_override;     /* instance_set_home */
static char *mode_home;         /* home the cached mode belongs to */
static bool mode_is_root;

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_SMTPD] = "qmaild",
	[ROLE_LOG] = "qmaill",
	[ROLE_GETPW] = "qmailp",
	[ROLE_QUEUE] = "qmailq",
	[ROLE_REMOTE] = "qmailr",
	[ROLE_SEND] = "qmails",
	[ROLE_ALIAS] = "alias",
	[ROLE_VMAIL] = "qmailv",
	[ROLE_TLS] = "qmailt",
};

const char *instance_home(void)
{
	if (home_override)
		return home_override;
	const char *env = getenv("QMAILHOME");
	return env && env[0] ? env : DEFAULT_HOME;
}

void instance_set_home(const char *dir)
{
	free(home_override);
	home_override = dir && dir[0] ? xstrdup(dir) : NULL;
}

char *instance_path(const char *rel)
{
	const char *home = instance_home();
	size_t hlen = strlen(home), rlen = strlen(rel), total;
	if (!size_add(hlen, rlen, &total) || !size_add(total, 2, &total))
		alloc_fatal();
	char *p = xmalloc(total);
	memcpy(p, home, hlen);
	p[hlen] = '/';
	memcpy(p + hlen + 1, rel, rlen + 1);
	return p;
}

/* First line of etc/mode is exactly "root" (trailing blanks ignored). */
static bool read_root_mode(void)
{
	char *path = instance_path("etc/mode");
	struct sbuf data = SBUF_INIT;
	bool is_root = false;
	if (file_read_all(path, &data, MODE_FILE_MAX) == 0) {
		size_t n = strcspn(sbuf_cstr(&data), "\n");
		while (n > 0 && strchr(" \t\r", data.s[n - 1]))
			n--;
		is_root = n == 4 && memcmp(data.s, "root", 4) == 0;
	}
	sbuf_free(&data);
	free(path);
	return is_root;
}

bool instance_is_root_mode(void)
{
	const char *home = instance_home();
	if (!mode_home || strcmp(mode_home, home) != 0) {
		mode_is_root = read_root_mode();
		free(mode_home);
		mode_home = xstrdup(home);
	}
	return mode_is_root;
}

const char *instance_role_name(enum role r)
{
	if ((unsigned)r >= ROLE_COUNT)
		return NULL;
	return role_names[r];
}

static int role_root_mode(enum role r, struct role_id *out)
{
	errno = 0;
	struct passwd *pw = getpwnam(role_names[r]);
	if (!pw) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (r != ROLE_VMAIL && r != ROLE_TLS) {
		errno = 0;
		struct group *gr = getgrnam(ROOT_MODE_GROUP);
		if (!gr) {
			if (errno == 0)
				errno = ENOENT;
			return -1;
		}
		gid = gr->gr_gid;
	}
	out->uid = uid;
	out->gid = gid;
	out->name = role_names[r];
	return 0;
}

int instance_role(enum role r, struct role_id *out)
{
	/* Found ids are kept for the life of the process (a fork inherits
	 * them): each lookup reads /etc/passwd and /etc/group, and the queue
	 * daemon's workers and the delivery programs ask per message.  A
	 * failed lookup is not kept (qmailctl init creates the users). */
	static struct role_id found[ROLE_COUNT];
	static bool is_found[ROLE_COUNT];
	if ((unsigned)r >= ROLE_COUNT) {
		errno = EINVAL;
		return -1;
	}
	if (instance_is_root_mode()) {
		if (is_found[r]) {
			*out = found[r];
			return 0;
		}
		if (role_root_mode(r, out) < 0)
			return -1;
		found[r] = *out;
		is_found[r] = true;
		return 0;
	}
	out->uid = getuid();
	out->gid = getgid();
	out->name = role_names[r];
	return 0;
}

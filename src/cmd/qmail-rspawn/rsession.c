#include "rsession.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "control.h"
#include "rzygote.h"

struct idle {
	char *domain;
	int ch;
	pid_t pid;
	long long since_ms;
};

static struct idle idle[RSESSION_IDLE_MAX];
static size_t n_idle;
static unsigned idle_secs = RSESSION_IDLE_DEFAULT;
static struct stat read_st;
static bool has_read;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rsession_init(void)
{
	struct stat st;
	if (stat("control/remotereusetime", &st) < 0)
		memset(&st, 0, sizeof st);
	if (has_read && st.st_ino == read_st.st_ino && st.st_size == read_st.st_size &&
	    st.st_mtim.tv_sec == read_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == read_st.st_mtim.tv_nsec)
		return;
	read_st = st;
	has_read = true;
	uint64_t v = RSESSION_IDLE_DEFAULT;
	if (control_read_u64("remotereusetime", RSESSION_IDLE_DEFAULT, RSESSION_IDLE_LIMIT, &v) < 0)
		v = RSESSION_IDLE_DEFAULT;
	idle_secs = (unsigned)v;
}

bool rsession_enabled(void)
{
	return idle_secs > 0;
}

/* Removes entry i, closing its channel (the process QUITs) unless kept. */
static void drop(size_t i, bool is_kept)
{
	if (!is_kept) {
		close(idle[i].ch);
		rzygote_forget(idle[i].pid);
	}
	free(idle[i].domain);
	memmove(&idle[i], &idle[i + 1], (n_idle - i - 1) * sizeof idle[0]);
	n_idle--;
}

bool rsession_take(const char *domain, int *ch, pid_t *pid)
{
	for (size_t i = n_idle; i > 0; i--) {
		if (strcmp(idle[i - 1].domain, domain) != 0)
			continue;
		*ch = idle[i - 1].ch;
		*pid = idle[i - 1].pid;
		drop(i - 1, true);
		return true;
	}
	return false;
}

void rsession_put(const char *domain, int ch, pid_t pid)
{
	if (n_idle == RSESSION_IDLE_MAX)
		drop(0, false);
	idle[n_idle++] = (struct idle){ xstrdup(domain), ch, pid, now_ms() };
}

size_t rsession_pollfds(struct pollfd *p)
{
	for (size_t i = 0; i < n_idle; i++)
		p[i] = (struct pollfd){ idle[i].ch, POLLIN, 0 };
	return n_idle;
}

void rsession_events(const struct pollfd *p, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (p[i - 1].revents && i - 1 < n_idle && idle[i - 1].ch == p[i - 1].fd)
			drop(i - 1, false);
}

int rsession_expire(void)
{
	long long now = now_ms(), limit = (long long)idle_secs * 1000;
	while (n_idle > 0 && now - idle[0].since_ms >= limit)
		drop(0, false);
	if (n_idle == 0)
		return -1;
	return (int)(limit - (now - idle[0].since_ms));
}

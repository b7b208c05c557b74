/*
 * qmail-send: the scheduler (qmail-send(8)).  Started by qmail-start with
 * the spawners and qmail-clean on fds 3-8 (docs/PROTOCOLS.md).  One poll
 * loop: adopt a bounded batch from todo/, start due deliveries, handle
 * reports, bounce and clean finished messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "send.h"

static volatile sig_atomic_t got_hup, got_alrm, got_term;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGALRM)
		got_alrm = 1;
	else
		got_term = 1;
}

static void setup_signals(sigset_t *orig)
{
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, orig);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void set_concurrency(struct send_state *s)
{
	for (int ch = 0; ch < CHAN_COUNT; ch++) {
		struct chan_state *c = &s->chan[ch];
		c->concurrency = config_concurrency((enum chan)ch);
		c->per_domain = ch == CHAN_REMOTE ? config_per_domain() : 0;
		if (c->concurrency > c->n_slots) {
			c->slots = xreallocarray(c->slots, c->concurrency, sizeof *c->slots);
			memset(c->slots + c->n_slots, 0,
			       (c->concurrency - c->n_slots) * sizeof *c->slots);
			c->n_slots = c->concurrency;
		}
	}
}

static void reload(struct send_state *s)
{
	struct send_config fresh;
	if (config_load(&fresh) < 0) {
		slog("alert: unable to reread controls; keeping the old ones");
		return;
	}
	config_free(&s->cfg);
	s->cfg = fresh;
	set_concurrency(s);
	slog_status(s);
}

static void init_state(struct send_state *s)
{
	static const int fds[] = { FD_LSPAWN_REQ, FD_LSPAWN_REP, FD_RSPAWN_REQ,
				   FD_RSPAWN_REP, FD_CLEAN_REQ, FD_CLEAN_ANS };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (fcntl(fds[i], F_GETFD) < 0) {
			slog("alert: fd %d is not open; qmail-send must be run by qmail-start", fds[i]);
			_exit(EXIT_TEMP);
		}
		fd_set_cloexec(fds[i], 1);
	}
	s->chan[CHAN_LOCAL] = (struct chan_state){ .name = "local", .req_fd = FD_LSPAWN_REQ,
						   .rep_fd = FD_LSPAWN_REP, .alive = true };
	s->chan[CHAN_REMOTE] = (struct chan_state){ .name = "remote", .req_fd = FD_RSPAWN_REQ,
						    .rep_fd = FD_RSPAWN_REP, .alive = true };
	s->clean_alive = true;
	set_concurrency(s);
}

static size_t busy(const struct send_state *s)
{
	return s->chan[CHAN_LOCAL].n_busy + s->chan[CHAN_REMOTE].n_busy;
}

/* Milliseconds until something is due; 0 when work is ready now. */
static int next_timeout(const struct send_state *s, bool finish_waiting)
{
	int64_t wait = s->next_rescan - s->now;
	if (s->todo.n || (s->finish.n && !finish_waiting))
		return 0;
	if (finish_waiting || s->stopping || (s->clean.n && s->clean_sent.n < CLEAN_WINDOW))
		wait = wait < 1 ? wait : 1;
	for (int ch = 0; ch < CHAN_COUNT && !s->stopping; ch++) {
		const struct chan_state *c = &s->chan[ch];
		const struct job *j = heap_top(&c->wait);
		if (c->alive && j && !c->is_held && c->n_busy < c->concurrency &&
		    j->next - s->now < wait)
			wait = j->next - s->now;
	}
	if (wait < 0)
		wait = 0;
	return wait > 60 ? 60000 : (int)wait * 1000;
}

static void handle_signals(struct send_state *s)
{
	if (got_hup) {
		got_hup = 0;
		reload(s);
	}
	if (got_alrm) {
		got_alrm = 0;
		deliver_flush(s);
		s->next_rescan = s->now;
	}
	if (got_term && !s->stopping) {
		s->stopping = true;
		s->exit_code = 0;
		s->stop_deadline = s->now + STOP_WAIT_SECS;
	}
	if (s->stopping && !s->stop_deadline)
		s->stop_deadline = s->now + STOP_WAIT_SECS;
}

static void drain_trigger(int fd)
{
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

static void poll_once(struct send_state *s, int trigger, int timeout, const sigset_t *mask)
{
	struct pollfd p[4] = {
		{ trigger, POLLIN, 0 },
		{ s->chan[CHAN_LOCAL].alive ? FD_LSPAWN_REP : -1, POLLIN, 0 },
		{ s->chan[CHAN_REMOTE].alive ? FD_RSPAWN_REP : -1, POLLIN, 0 },
		{ s->clean_alive ? FD_CLEAN_ANS : -1, POLLIN, 0 },
	};
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };
	if (ppoll(p, 4, &ts, mask) <= 0)
		return;
	s->now = time(NULL);
	if (p[0].revents) {
		drain_trigger(trigger);
		s->next_rescan = s->now;
	}
	if (p[1].revents)
		deliver_read_reports(s, CHAN_LOCAL);
	if (p[2].revents)
		deliver_read_reports(s, CHAN_REMOTE);
	if (p[3].revents)
		finish_read_clean(s);
}

/* The wall clock stepped back: every waiting time is suspect (D-18). */
static void clock_check(struct send_state *s, int64_t *last)
{
	if (*last && s->now + 1 < *last) {
		slog("warning: clock went back %lld seconds; retrying now",
		     (long long)(*last - s->now));
		deliver_flush(s);
		s->next_rescan = s->now;
		for (struct msg *m = s->finish.head; m; m = m->qnext)
			m->retry_at = s->now;
		for (struct msg *m = s->clean.head; m; m = m->qnext)
			m->retry_at = s->now;
	}
	*last = s->now;
}

static void run(struct send_state *s, int trigger, const sigset_t *mask)
{
	int64_t last = 0;
	for (;;) {
		s->now = time(NULL);
		clock_check(s, &last);
		handle_signals(s);
		if (s->stopping && ((busy(s) == 0 && s->clean_sent.n == 0) || s->now >= s->stop_deadline))
			return;
		if (!s->stopping && s->now >= s->next_rescan) {
			adopt_scan_todo(s);
			s->next_rescan = s->now + RESCAN_SECS;
		}
		if (!s->stopping)
			adopt_batch(s);
		deliver_start_ready(s);
		bool waiting = finish_run(s);
		finish_send_clean(s);
		poll_once(s, trigger, next_timeout(s, waiting), mask);
	}
}

int main(void)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	static struct send_state s;
	sigset_t orig;
	setup_signals(&orig);
	if (chdir(instance_home()) < 0) {
		slog("alert: cannot start: unable to switch to home directory");
		return EXIT_TEMP;
	}
	if (config_load(&s.cfg) < 0) {
		slog("alert: cannot start: unable to read controls");
		return EXIT_TEMP;
	}
	init_state(&s);
	int trigger = open("queue/lock/trigger", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (trigger < 0) {
		slog("alert: cannot start: unable to open queue/lock/trigger");
		return EXIT_TEMP;
	}
	fd_set_nonblock(FD_LSPAWN_REP, 1);
	fd_set_nonblock(FD_RSPAWN_REP, 1);
	fd_set_nonblock(FD_CLEAN_ANS, 1);
	s.now = time(NULL);
	adopt_recover(&s);
	s.next_rescan = s.now + RESCAN_SECS;
	slog_status(&s);
	run(&s, trigger, &orig);
	slog("status: exiting");
	return s.exit_code;
}

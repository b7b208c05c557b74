/*
 * toolrun.c: run-and-wait and forwarding for the small tools (toolrun.h).
 */
#include "toolrun.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "msgio.h"
#include "qqueue.h"

int toolrun_wait(char *const argv[], int in_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (in_fd >= 0 && fd_move(0, in_fd) != 0)
			_exit(EXIT_TEMP);
		execvp(argv[0], argv);
		_exit(EXIT_TEMP);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int toolrun_forward(const struct strlist *targets)
{
	const char *sender = getenv("NEWSENDER");
	const char *dtline = getenv("DTLINE");
	if (!sender)
		sender = getenv("SENDER");
	if (!sender) {
		puts("SENDER is not set. (#5.3.0)");
		return EXIT_PERM;
	}
	struct qqueue q;
	if (qqueue_start(&q) != 0) {
		puts("Unable to run qmail-queue. (#4.3.0)");
		return EXIT_TEMP;
	}
	if (dtline)
		qqueue_puts(&q, dtline);
	if (lseek(0, 0, SEEK_SET) < 0 && errno != ESPIPE) {
		qqueue_abort(&q);
		puts("Unable to rewind message. (#4.3.0)");
		return EXIT_TEMP;
	}
	char *buf = xmalloc(MSGIO_CHUNK);
	ssize_t n;
	while ((n = fd_read_full(0, buf, MSGIO_CHUNK)) > 0)
		qqueue_write(&q, buf, (size_t)n);
	free(buf);
	if (n < 0) {
		qqueue_abort(&q);
		puts("Unable to read message. (#4.3.0)");
		return EXIT_TEMP;
	}
	int code = qqueue_finish(&q, sender, targets);
	if (code == 0)
		return 0;
	bool is_perm = qqueue_is_permanent(&q, code);
	printf("%s. (#%s)\n", qqueue_result_text(&q, code),
	       is_perm ? "5.3.0" : "4.3.0");
	return is_perm ? EXIT_PERM : EXIT_TEMP;
}

#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_BACKLOG 128

static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual_stack)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int on = 1, off = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? &off : &on,
	                sizeof on) < 0) ||
	    bind(fd, sa, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* "0" and "::": one dual-stack IPv6 socket, else IPv4 only if no IPv6. */
static int bind_any(const char *port_text, int fds[LISTEN_FDS_MAX], size_t *n)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	if (getaddrinfo("::", port_text, &hints, &ai) == 0) {
		int fd = bind_one(ai->ai_addr, ai->ai_addrlen, true);
		freeaddrinfo(ai);
		if (fd >= 0) {
			fds[(*n)++] = fd;
			return 0;
		}
		if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)
			return -1;
	}
	hints.ai_family = AF_INET;
	if (getaddrinfo("0.0.0.0", port_text, &hints, &ai) != 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = bind_one(ai->ai_addr, ai->ai_addrlen, false);
	freeaddrinfo(ai);
	if (fd < 0)
		return -1;
	fds[(*n)++] = fd;
	return 0;
}

int listen_bind(const char *host, const char *port, int fds[LISTEN_FDS_MAX], size_t *n_fds)
{
	*n_fds = 0;
	if (strcmp(host, "0") == 0 || strcmp(host, "::") == 0 || strcmp(host, "") == 0)
		return bind_any(port, fds, n_fds);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EINVAL;
		return -1;
	}
	int fd = bind_one(ai->ai_addr, ai->ai_addrlen, false);
	freeaddrinfo(ai);
	if (fd < 0)
		return -1;
	fds[(*n_fds)++] = fd;
	return 0;
}

void listen_endpoint(const struct sockaddr_storage *ss, struct endpoint *out)
{
	memset(out, 0, sizeof *out);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out->ip, sizeof out->ip);
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, out->ip, sizeof out->ip);
			out->is_v6 = true;
		}
		snprintf(out->port, sizeof out->port, "%u", (unsigned)ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, out->ip, sizeof out->ip);
		snprintf(out->port, sizeof out->port, "%u", (unsigned)ntohs(s4->sin_port));
	} else {
		strcpy(out->ip, "0.0.0.0");
		strcpy(out->port, "0");
	}
}

/* "ip:port" of a listening socket, for the start-up log line. */
void listen_describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct endpoint e;
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		ss.ss_family = AF_UNSPEC;
	listen_endpoint(&ss, &e);
	snprintf(buf, len, "%s%s%s:%s", e.is_v6 ? "[" : "", e.ip, e.is_v6 ? "]" : "", e.port);
}

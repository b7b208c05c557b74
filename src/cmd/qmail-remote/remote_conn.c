#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bio.h"
#include "remote.h"

static socklen_t make_sockaddr(int family, const unsigned char *ip, unsigned port,
                               struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, ip, 16);
		return sizeof *s6;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	memcpy(&s4->sin_addr, ip, 4);
	return sizeof *s4;
}

static int bind_local(int fd, int family, const unsigned char *ip, const char *source,
                      struct sbuf *text)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(family, ip, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	int e = errno;
	char ipt[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, ip, ipt, sizeof ipt))
		ipt[0] = '\0';
	sbuf_printf(text, "Cannot bind to outgoing address %s (control/%s): %s.", ipt, source,
		    strerror(e));
	return -1;
}

/* Binds to the bindroutes(6) address for the target and the domain, else
 * to the first control/outgoingip address of the family, if any. */
static int bind_outgoing(int fd, const struct remote_conf *c, const struct remote_target *t,
                         const char *domain, struct sbuf *text)
{
	int family = t->addr.family;
	bool is_v6 = family == AF_INET6;
	unsigned char ip[16];
	if (bindroutes_find(is_v6 ? &c->bind6 : &c->bind4, t->addr.ip, domain, ip))
		return bind_local(fd, family, ip, is_v6 ? "bindroutes6" : "bindroutes", text);
	for (size_t i = 0; i < c->outgoing.n; i++)
		if (inet_pton(family, c->outgoing.v[i], ip) == 1)
			return bind_local(fd, family, ip, "outgoingip", text);
	return 0;
}

void remote_conn_describe(int fd, const struct remote_target *t, struct sbuf *out)
{
	char ipt[64];
	dns_addr_text(&t->addr, ipt);
	sbuf_clear(out);
	sbuf_printf(out, "%s[%s]", t->name, ipt);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	char local[INET6_ADDRSTRLEN];
	const void *ip = ss.ss_family == AF_INET6
				 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
				 : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    inet_ntop(ss.ss_family, ip, local, sizeof local))
		sbuf_printf(out, " (local %s)", local);
}

static int wait_connected(int fd, unsigned timeout_s, bool *is_timeout)
{
	uint64_t deadline = bio_now_ms() + (uint64_t)timeout_s * 1000u;
	for (;;) {
		uint64_t now = bio_now_ms();
		if (now >= deadline) {
			*is_timeout = true;
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = { fd, POLLOUT, 0 };
		int rc = poll(&p, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -1;
		if (soerr) {
			errno = soerr;
			return -1;
		}
		return 0;
	}
}

int remote_conn_open(const struct remote_conf *c, const struct remote_target *t,
                     const char *domain, bool *is_timeout, struct sbuf *text)
{
	char ipt[64];
	dns_addr_text(&t->addr, ipt);
	*is_timeout = false;
	int fd = socket(t->addr.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sbuf_printf(text, "Cannot make a socket for %s: %s.", ipt, strerror(errno));
		return -2;
	}
	if (bind_outgoing(fd, c, t, domain, text) < 0) {
		close(fd);
		return -2; /* our side: says nothing about the remote host */
	}
	struct sockaddr_storage ss;
	socklen_t len = make_sockaddr(t->addr.family, t->addr.ip, t->port, &ss);
	int rc = connect(fd, (struct sockaddr *)&ss, len);
	if (rc < 0 && errno == EINPROGRESS)
		rc = wait_connected(fd, c->timeout_connect, is_timeout);
	if (rc < 0) {
		sbuf_printf(text, "Cannot connect to %s[%s]:%u: %s.", t->name, ipt, t->port,
			    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

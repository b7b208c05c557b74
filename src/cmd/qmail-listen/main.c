/*
 * qmail-listen: accept TCP connections and run a program for each one
 * (the tcpserver role; see qmail-listen(8)).
 *
 *   qmail-listen [-hHSZz] [-c maxconn] [-C maxperip] [-x rules.cdb] [-u uid]
 *                [-g gid] [-U tlsuser] [-l localname] [-t timeout] [-s service]
 *                [-N notify-fd] host port program [arg...]
 */
#include "proclimit.h"
#include "listen.h"

#include "exitcode.h"
#include "proto_limits.h"
#include "sbuf.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_LIMIT_MAX 100000

static void usage(void)
{
	fprintf(stderr, "qmail-listen: usage: qmail-listen [-hHSZz] [-c maxconn] [-C maxperip] "
	        "[-x rules.cdb] [-u uid] [-g gid] [-U tlsuser] [-l localname] [-t timeout] "
	        "[-s service] [-N fd] host port program [arg...]\n");
	exit(EXIT_PERM);
}

static void die_bad(const char *what, const char *value)
{
	fprintf(stderr, "qmail-listen: fatal: bad %s: %s\n", what, value);
	exit(EXIT_PERM);
}

static uint64_t number(const char *what, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (!scan_u64_str(s, max, &v) || v < min)
		die_bad(what, s);
	return v;
}

static uid_t parse_uid(const char *s)
{
	uint64_t v;
	if (scan_u64_str(s, 0x7fffffff, &v))
		return (uid_t)v;
	struct passwd *pw = getpwnam(s);
	if (!pw)
		die_bad("user", s);
	return pw->pw_uid;
}

static gid_t parse_gid(const char *s)
{
	uint64_t v;
	if (scan_u64_str(s, 0x7fffffff, &v))
		return (gid_t)v;
	struct group *gr = getgrnam(s);
	if (!gr)
		die_bad("group", s);
	return gr->gr_gid;
}

/* -U: the TLS proxy's account, a user name or uid[:gid]. */
static void parse_tls_user(const char *s, struct listen_opts *o)
{
	struct passwd *pw = getpwnam(s);
	o->has_tls_uid = true;
	if (pw) {
		o->tls_uid = pw->pw_uid;
		o->tls_gid = pw->pw_gid;
		return;
	}
	const char *colon = strchr(s, ':');
	uint64_t v;
	if (!colon || !scan_u64_str(colon + 1, 0x7fffffff, &v))
		die_bad("-U", s);
	o->tls_gid = (gid_t)v;
	struct sbuf u = SBUF_INIT;
	sbuf_set(&u, s, (size_t)(colon - s));
	o->tls_uid = parse_uid(u.s);
	sbuf_free(&u);
}

/* Root without -U: the role account "qmailt" when it exists. */
static void default_tls_user(struct listen_opts *o)
{
	if (o->tls_mode == LISTEN_TLS_NONE || o->has_tls_uid || getuid() != 0)
		return;
	struct passwd *pw = getpwnam("qmailt");
	if (!pw) {
		fprintf(stderr, "qmail-listen: fatal: TLS as root needs -U or a user qmailt\n");
		exit(EXIT_PERM);
	}
	o->has_tls_uid = true;
	o->tls_uid = pw->pw_uid;
	o->tls_gid = pw->pw_gid;
}

static void parse_args(int argc, char **argv, struct listen_opts *o)
{
	int c;
	while ((c = getopt(argc, argv, "+hHSZzc:C:x:u:g:U:l:t:s:N:")) != -1) {
		switch (c) {
		case 'h': o->want_remote_host = true; break;
		case 'H': o->want_remote_host = false; break;
		case 'S': o->tls_mode = LISTEN_TLS_STARTTLS; break;
		case 'Z': o->tls_mode = LISTEN_TLS_IMPLICIT; break;
		case 'z': o->want_zygote = true; break;
		case 'U': parse_tls_user(optarg, o); break;
		case 'c': o->max_conn = number("-c", optarg, 1, CONN_LIMIT_MAX); break;
		case 'C': o->max_per_ip = number("-C", optarg, 1, CONN_LIMIT_MAX); break;
		case 'x': o->rules = optarg; break;
		case 'u': o->uid = parse_uid(optarg); o->has_uid = true; break;
		case 'g': o->gid = parse_gid(optarg); o->has_gid = true; break;
		case 'l': o->local_name = optarg; break;
		case 't': (void)number("-t", optarg, 0, 3600); break;
		case 's': o->service = optarg; break;
		case 'N': o->notify_fd = (int)number("-N", optarg, 0, 65535); break;
		default: usage();
		}
	}
	if (argc - optind < 3)
		usage();
	o->host = argv[optind];
	o->port = argv[optind + 1];
	o->argv = argv + optind + 2;
	default_tls_user(o);
}

/* fds 0, 1, 2 must exist so that no socket ever lands on them by accident. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int nfd = open("/dev/null", O_RDWR);
		if (nfd < 0)
			exit(EXIT_TEMP);
		if (nfd != fd)
			exit(EXIT_TEMP);
	}
}

static void log_start(const struct listen_opts *o, const int *fds, size_t n_fds)
{
	const char *svc = o->service ? o->service : "-";
	for (size_t i = 0; i < n_fds; i++) {
		char where[128];
		listen_describe(fds[i], where, sizeof where);
		fprintf(stderr, "qmail-listen: %s: listening on %s maxconn %zu perip %zu\n", svc,
		        where, o->max_conn, o->max_per_ip);
	}
	if (!o->rules) {
		fprintf(stderr, "qmail-listen: %s: rules: none\n", svc);
	} else if (access(o->rules, R_OK) == 0) {
		fprintf(stderr, "qmail-listen: %s: rules: %s\n", svc, o->rules);
	} else {
		fprintf(stderr, "qmail-listen: %s: rules: %s (%s; every connection is refused)\n",
		        svc, o->rules, strerror(errno));
	}
	if (getuid() == 0 && !(o->has_uid && o->uid != 0))
		fprintf(stderr, "qmail-listen: %s: warning: children run as root (no -u)\n", svc);
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	struct listen_opts o = { .max_conn = LISTEN_MAX_CONN, .max_per_ip = LISTEN_MAX_PER_IP,
	                         .notify_fd = -1 };
	ensure_std_fds();
	setvbuf(stderr, NULL, _IOLBF, 0);
	parse_args(argc, argv, &o);
	int fds[LISTEN_FDS_MAX];
	size_t n_fds = 0;
	if (listen_bind(o.host, o.port, fds, &n_fds) < 0) {
		fprintf(stderr, "qmail-listen: fatal: unable to bind %s port %s: %s\n", o.host,
		        o.port, strerror(errno));
		return EXIT_TEMP;
	}
	log_start(&o, fds, n_fds);
	if (o.tls_mode != LISTEN_TLS_NONE) {
		if (listen_auth_init() < 0) {
			fprintf(stderr, "qmail-listen: fatal: mmap: %s\n", strerror(errno));
			return EXIT_TEMP;
		}
		listen_tls_load(&o);
	}
	if (o.notify_fd >= 0) {
		(void)!write(o.notify_fd, "\n", 1);
		close(o.notify_fd);
	}
	if (listen_loop(&o, fds, n_fds) < 0) {
		fprintf(stderr, "qmail-listen: fatal: %s\n", strerror(errno));
		return EXIT_TEMP;
	}
	return EXIT_OK_CODE;
}

/*
 * qmail-showctl: print the instance's control settings, with the default
 * used for each missing file (qmail-showctl(8)).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "exitcode.h"
#include "inject_svc.h"
#include "instance.h"
#include "proto_limits.h"
#include "sbuf.h"

enum kind { K_LINE, K_NUM, K_LIST };

struct setting {
	const char *name;
	enum kind kind;
	const char *def; /* shown when the file is missing */
};

/* qmail-control(5) names and defaults, plus CONTRACT.md additions. */
static const struct setting settings[] = {
    {"me", K_LINE, "(none: FQDN of the host)"},
    {"defaulthost", K_LINE, "me"},
    {"defaultdomain", K_LINE, "me"},
    {"plusdomain", K_LINE, "me"},
    {"idhost", K_LINE, "me"},
    {"helohost", K_LINE, "me"},
    {"bouncefrom", K_LINE, "MAILER-DAEMON"},
    {"bouncehost", K_LINE, "me"},
    {"doublebounceto", K_LINE, "postmaster"},
    {"doublebouncehost", K_LINE, "me"},
    {"envnoathost", K_LINE, "me"},
    {"localiphost", K_LINE, "me"},
    {"smtpgreeting", K_LINE, "me"},
    {"defaultdelivery", K_LINE, "./Maildir/"},
    {"databytes", K_NUM, "52428800 (50 MiB; never unlimited)"},
    {"concurrencylocal", K_NUM, "10"},
    {"concurrencyremote", K_NUM, "20"},
    {"concurrencyincoming", K_NUM, "100"},
    {"queuelifetime", K_NUM, "604800"},
    {"timeoutremote", K_NUM, "1200"},
    {"timeoutconnect", K_NUM, "60"},
    {"timeoutsmtpd", K_NUM, "300"},
    {"spfbehavior", K_NUM, "1"},
    {"greylist", K_NUM, "(off)"},
    {"locals", K_LIST, "me"},
    {"rcpthosts", K_LIST, "(none: nothing is relayed)"},
    {"morercpthosts", K_LIST, "(none)"},
    {"virtualdomains", K_LIST, "(none)"},
    {"smtproutes", K_LIST, "(none: MX lookups)"},
    {"percenthack", K_LIST, "(none)"},
    {"badmailfrom", K_LIST, "(none)"},
    {"badrcptto", K_LIST, "(none)"},
    {"badhelo", K_LIST, "(none)"},
    {"badmailfromregex", K_LIST, "(none)"},
    {"badmailtoregex", K_LIST, "(none)"},
    {"rcptchecks", K_LIST, "(none: every recipient accepted)"},
    {"signatures", K_LIST, "(none)"},
    {"dnsservers", K_LIST, "/etc/resolv.conf"},
    {"dnsbl", K_LIST, "(none)"},
    {"qmqpservers", K_LIST, "(none)"},
    {"tlsclients", K_LIST, "(none)"},
};

static void show(const struct setting *s)
{
	struct strlist l = {NULL, 0, 0};
	int rc = control_read_lines(s->name, &l);
	if (rc < 0)
		printf("%s: unreadable or invalid\n", s->name);
	else if (rc == 0)
		printf("%s: %s (default)\n", s->name, s->def);
	else if (s->kind != K_LIST)
		printf("%s: %s\n", s->name, l.n ? l.v[0] : "");
	else {
		printf("%s:", s->name);
		for (size_t i = 0; i < l.n; i++)
			printf("%s%s", i ? ", " : " ", l.v[i]);
		printf("%s\n", l.n ? "" : " (empty)");
	}
	strlist_free(&l);
}

static void show_services(void)
{
	struct svc_table t;
	char *path = instance_path("etc/services");
	if (inject_svc_load(path, &t) == 0) {
		for (int i = 0; i < SVC_COUNT; i++) {
			if (t.v[i].port)
				printf("service %s: %s port %u %s\n",
				       inject_svc_def((enum svc_id)i)->name, t.v[i].addr,
				       t.v[i].port, t.v[i].enabled ? "on" : "off");
		}
	}
	free(path);
}

static bool known(const char *name)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		if (strcmp(settings[i].name, name) == 0)
			return true;
	}
	return false;
}

static void show_others(void)
{
	DIR *d = opendir(control_dir());
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && !known(de->d_name))
			printf("%s: present\n", de->d_name);
	}
	if (d)
		closedir(d);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-d") == 0)
		instance_set_home(argv[2]);
	else if (argc != 1) {
		fputs("usage: qmail-showctl [-d DIR]\n", stderr);
		return EXIT_PERM;
	}
	printf("qmail home directory: %s\n", instance_home());
	printf("mode: %s\n", instance_is_root_mode() ? "root" : "user");
	printf("control directory: %s\n\n", control_dir());
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		show(&settings[i]);
	show_others();
	printf("\n");
	show_services();
	return 0;
}

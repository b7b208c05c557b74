/*
 * qmail-tcpto: lists the addresses qmail-remote is backing off from after
 * connection failures (queue/lock/tcpto, see tcpto.h), one line each:
 *   ADDRESS failed N times, last S seconds ago; backing off (D s left)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "instance.h"
#include "tcpto.h"

int main(void)
{
	struct tcpto_rec recs[TCPTO_RECORDS];
	size_t n;
	char *path = instance_path("queue/lock/tcpto");
	if (tcpto_list(path, recs, &n) < 0) {
		fprintf(stderr, "qmail-tcpto: cannot read %s\n", path);
		return EXIT_TEMP;
	}
	int64_t now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		char ip[64];
		if (!inet_ntop(recs[i].family == 6 ? AF_INET6 : AF_INET, recs[i].ip, ip, sizeof ip))
			continue;
		int64_t when = recs[i].when > now ? now : recs[i].when;
		printf("%s failed %u times, last %lld seconds ago", ip, recs[i].fails,
		       (long long)(now - when));
		if (tcpto_should_skip(&recs[i], now))
			printf("; backing off (%lld s left)",
			       (long long)(tcpto_backoff(recs[i].fails) - (now - when)));
		printf("\n");
	}
	return fflush(stdout) == 0 ? EXIT_OK_CODE : EXIT_TEMP;
}

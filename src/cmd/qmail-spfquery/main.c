/*
 * qmail-spfquery: check one SPF triple from the command line
 * (qmail-spfquery(8)).  Prints the result, the explanation (or an empty
 * line) and the Received-SPF field qmail-smtpd would add.
 *
 *   qmail-spfquery [-s IP[@PORT]]... IP SENDER HELO
 */
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "sbuf.h"
#include "spf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fputs("usage: qmail-spfquery [-s IP[@PORT]]... IP SENDER HELO\n", stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct strlist servers = {0};
	struct sbuf err = SBUF_INIT, me = SBUF_INIT, out = SBUF_INIT;
	int opt;
	log_set_ident("qmail-spfquery");
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			return usage();
		strlist_add(&servers, optarg, strlen(optarg));
	}
	if (argc - optind != 3)
		return usage();
	struct spf_request req = {.sender = argv[optind + 1], .helo = argv[optind + 2]};
	if (!spf_parse_ip(argv[optind], &req.family, req.ip))
		return usage();
	if (servers.n == 0 && control_read_lines("dnsservers", &servers) < 0)
		strlist_free(&servers);
	control_read_line("me", "localhost", &me);
	req.receiver = me.s;
	req.now = (uint64_t)time(NULL);
	struct spf_dns *dns = spf_dns_open(&servers, &err);
	if (!dns) {
		fprintf(stderr, "qmail-spfquery: %s\n", err.s);
		return EXIT_TEMP;
	}
	struct spf_answer ans;
	spf_check(dns, &req, &ans);
	spf_received_spf(&req, &ans, me.s, &out);
	printf("%s\n%s\n%s", spf_result_name(ans.result), sbuf_cstr(&ans.explanation), out.s);
	spf_answer_free(&ans);
	spf_dns_close(dns);
	strlist_free(&servers);
	sbuf_free(&me);
	sbuf_free(&out);
	sbuf_free(&err);
	return fflush(stdout) == 0 ? EXIT_OK_CODE : EXIT_TEMP;
}

/* config.c: the control files qmail-send uses, read at start and on HUP. */
#include <string.h>

#include "control.h"
#include "queue_retry.h"
#include "send.h"

#define CONCURRENCY_MAX 1000

static const char *const conc_file[CHAN_COUNT] = { "concurrencylocal", "concurrencyremote" };
static const uint64_t conc_default[CHAN_COUNT] = { 10, 20 };

size_t config_concurrency(enum chan ch)
{
	uint64_t v;
	if (control_read_u64(conc_file[ch], conc_default[ch], CONCURRENCY_MAX, &v) < 0) {
		slog("warning: unable to read control/%s, using %llu", conc_file[ch],
		     (unsigned long long)conc_default[ch]);
		v = conc_default[ch];
	}
	return v ? (size_t)v : 1;
}

size_t config_per_domain(void)
{
	uint64_t v;
	if (control_read_u64("concurrencyperdomain", 0, CONCURRENCY_MAX, &v) < 0) {
		slog("warning: unable to read control/concurrencyperdomain, using no limit");
		v = 0;
	}
	return (size_t)v;
}

static int read_line(const char *name, const char *def, struct sbuf *out)
{
	sbuf_clear(out);
	if (control_read_line(name, def, out) < 0) {
		slog("alert: unable to read control/%s", name);
		return -1;
	}
	if (out->len == 0 && def)
		sbuf_set_str(out, def);
	return 0;
}

int config_load(struct send_config *c)
{
	memset(c, 0, sizeof *c);
	if (read_line("me", NULL, &c->me) < 0 || c->me.len == 0) {
		slog("alert: control/me is missing or empty");
		return -1;
	}
	const char *me = c->me.s;
	if (read_line("bouncefrom", "MAILER-DAEMON", &c->bouncefrom) < 0 ||
	    read_line("bouncehost", me, &c->bouncehost) < 0 ||
	    read_line("doublebounceto", "postmaster", &c->dbto) < 0 ||
	    read_line("doublebouncehost", me, &c->dbhost) < 0)
		return -1;
	if (control_read_u64("queuelifetime", QUEUE_LIFETIME_DEFAULT, UINT32_MAX,
			     &c->lifetime) < 0) {
		slog("alert: unable to read control/queuelifetime");
		return -1;
	}
	if (route_config_load(&c->route) < 0) {
		slog("alert: unable to read control/locals or control/virtualdomains");
		return -1;
	}
	return 0;
}

void config_free(struct send_config *c)
{
	route_config_free(&c->route);
	sbuf_free(&c->me);
	sbuf_free(&c->bouncefrom);
	sbuf_free(&c->bouncehost);
	sbuf_free(&c->dbto);
	sbuf_free(&c->dbhost);
	memset(c, 0, sizeof *c);
}

#include "unbound_dl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "control.h"

#define UNBOUND_SONAME "libunbound.so.8"

struct unbound_api ubdl;

static bool loaded;

/* One symbol; false if it is missing. */
static bool sym(void *lib, const char *name, void *out, size_t size)
{
	void *p = dlsym(lib, name);
	if (!p || size != sizeof p)
		return false;
	*(void **)out = p;
	return true;
}

int unbound_dl_load(struct sbuf *err)
{
	if (loaded)
		return 0;
	void *lib = dlopen(UNBOUND_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		sbuf_printf(err, "cannot load %s: %s", UNBOUND_SONAME, why ? why : "unknown error");
		return -1;
	}
	struct unbound_api a;
	bool ok = sym(lib, "ub_ctx_create", &a.ctx_create, sizeof a.ctx_create) &&
	          sym(lib, "ub_ctx_delete", &a.ctx_delete, sizeof a.ctx_delete) &&
	          sym(lib, "ub_ctx_set_option", &a.ctx_set_option, sizeof a.ctx_set_option) &&
	          sym(lib, "ub_ctx_set_fwd", &a.ctx_set_fwd, sizeof a.ctx_set_fwd) &&
	          sym(lib, "ub_ctx_resolvconf", &a.ctx_resolvconf, sizeof a.ctx_resolvconf) &&
	          sym(lib, "ub_resolve", &a.resolve, sizeof a.resolve) &&
	          sym(lib, "ub_resolve_free", &a.resolve_free, sizeof a.resolve_free) &&
	          sym(lib, "ub_strerror", &a.strerror, sizeof a.strerror);
	if (!ok) {
		sbuf_printf(err, "%s lacks a needed function", UNBOUND_SONAME);
		dlclose(lib);
		return -1;
	}
	ubdl = a;
	loaded = true;
	return 0;
}

/* Reverse zones unbound answers itself unless told otherwise. */
static int allow_lan_zones(struct ub_ctx *ub)
{
	int rc = ubdl.ctx_set_option(ub, "unblock-lan-zones:", "yes");
	if (rc == 0)
		rc = ubdl.ctx_set_option(ub, "insecure-lan-zones:", "yes");
	if (rc == 0)
		rc = ubdl.ctx_set_option(ub, "local-zone:", "8.b.d.0.1.0.0.2.ip6.arpa. nodefault");
	return rc;
}

struct ub_ctx *unbound_dl_context(const struct strlist *servers, int want_lan, struct sbuf *err)
{
	if (unbound_dl_load(err) < 0)
		return NULL;
	struct ub_ctx *ub = ubdl.ctx_create();
	if (!ub) {
		sbuf_set_str(err, "cannot create the resolver");
		return NULL;
	}
	int rc = ubdl.ctx_set_option(ub, "do-not-query-localhost:", "no");
	if (rc == 0 && want_lan)
		rc = allow_lan_zones(ub);
	for (size_t i = 0; rc == 0 && servers && i < servers->n; i++)
		rc = ubdl.ctx_set_fwd(ub, servers->v[i]);
	if (rc == 0 && (!servers || servers->n == 0))
		rc = ubdl.ctx_resolvconf(ub, NULL);
	if (rc != 0) {
		sbuf_printf(err, "resolver setup failed: %s", ubdl.strerror(rc));
		ubdl.ctx_delete(ub);
		return NULL;
	}
	return ub;
}

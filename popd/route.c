/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * route.c -- the parent's answer to authpop's MSG_AUTHPOP_ROUTE: which
 * backend serves a user that nginx's auth_http asked about.  The route
 * table maps a user name, or else the domain after its last '@', to one
 * literal IP address or a pool of them, of which backends.c picks one.
 * A file is in memory (users.c loads it with the other tables); a
 * database table is asked with the alias service.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "settings.h"
#include "table.h"
#include "lookup.h"

struct route_wait {
	pid_t		 authpid;
	uint64_t	 id;
	int		 domain;	/* asking for the domain now */
	char		 user[POPD_MAXUSER + 1];
};

static void	route_send(pid_t, uint64_t, const char *, int,
		    const char *);
static void	route_answer(void *, int, const char *);
static const char *route_domain(const char *);

void
parent_authpop_route(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct route_wait	*w;
	const char		*v, *d;
	pid_t			 pid = ((struct proc *)c->arg)->pid;

	if (conf->set.route[0] == '\0') {
		chan_bad(c, "%s, but popd.conf has no route",
		    msg_type_str(MSG_AUTHPOP_ROUTE));
		return;
	}
	if (conf->set.routesrc == TABSRC_FILE) {
		if ((v = table_get(&users.routes, ml->user)) == NULL &&
		    (d = route_domain(ml->user)) != NULL)
			v = table_get(&users.routes, d);
		route_send(pid, ml->id, ml->user, v != NULL ? LOOKUP_FOUND :
		    LOOKUP_NONE, v);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		route_send(pid, ml->id, ml->user, LOOKUP_TEMP, NULL);
		return;
	}
	w->authpid = pid;
	w->id = ml->id;
	(void)strlcpy(w->user, ml->user, sizeof(w->user));
	lookup(conf->set.route, LOOKUP_ALIAS, w->user, route_answer, w);
}

/* The domain of user@domain, or NULL. */
static const char *
route_domain(const char *user)
{
	const char	*at;

	if ((at = strrchr(user, '@')) == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}

/* A database's answer: for the user, else ask for its domain. */
static void
route_answer(void *arg, int status, const char *value)
{
	struct route_wait	*w = arg;
	const char		*d;

	if (status == LOOKUP_NONE && !w->domain &&
	    (d = route_domain(w->user)) != NULL) {
		w->domain = 1;
		lookup(conf->set.route, LOOKUP_ALIAS, d, route_answer, w);
		return;
	}
	if (status == LOOKUP_FOUND && !table_valid_route(value)) {
		log_warnx("route <%s>: the backend of %s is not an IPv4 or "
		    "IPv6 address, or a pool of %d at most", conf->set.route,
		    w->domain ? route_domain(w->user) : w->user,
		    ROUTE_POOLMAX);
		status = LOOKUP_TEMP;
	}
	route_send(w->authpid, w->id, w->user, status, value);
	free(w);
}

/*
 * The answer: a backend of the pool value names, one that takes users
 * now; when none does, a temporary failure, never a wrong password.
 */
static void
route_send(pid_t authpid, uint64_t id, const char *user, int status,
    const char *value)
{
	struct msg_route	 mr;
	struct proc		*p;
	char			 addr[INET6_ADDRSTRLEN];

	if ((p = proc_alive(KIND_AUTHPOP, authpid)) == NULL)
		return;
	if (status == LOOKUP_FOUND) {
		if (backends_route(user, value, addr, sizeof(addr)) == -1)
			status = LOOKUP_TEMP;
		value = addr;
	}
	memset(&mr, 0, sizeof(mr));
	mr.id = id;
	mr.status = status == LOOKUP_FOUND ? ROUTE_FOUND :
	    status == LOOKUP_NONE ? ROUTE_NONE : ROUTE_TEMP;
	if (status == LOOKUP_FOUND)
		(void)strlcpy(mr.addr, value, sizeof(mr.addr));
	chan_send(&p->chan, MSG_PARENT_ROUTE, -1, &mr, sizeof(mr));
}

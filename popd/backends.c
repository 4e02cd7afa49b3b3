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
 * backends.c -- a router's backends, as its routes name them: what
 * checkpop last saw on each one's health port (up, draining, down, and
 * its sessions), which popctl drained, and how many users were routed
 * to each since start or reload, for popctl show backends.  A file
 * route table's backends are all known from its load; a database's as
 * its answers name them, and each is given to checkpop when first
 * known.  route.c asks which backends of a pool may take a user: not
 * one that is down, draining, or drained.  One never checked yet (no
 * health port, or checkpop's first second) may.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "popd.h"
#include "parent.h"
#include "settings.h"
#include "table.h"
#include "chan.h"

struct backend;
static void	backend_send(struct chan *, const struct backend *);
static void	backend_rec(struct ctlans *, const struct backend *);

struct backend {
	TAILQ_ENTRY(backend)	 entry;
	char			 addr[INET6_ADDRSTRLEN];
	struct netaddr		 net;		/* addr, as popctl names it */
	int			 drained;	/* popctl drain BACKEND */
	uint64_t		 users;		/* routed since start, reload */
	uint32_t		 health;	/* HEALTH_*, CHECK_DOWN, 0:
						   not checked yet */
	uint32_t		 sessions;	/* its health line's */
	time_t			 checked;	/* monotonic, 0: never */
	int			 named;		/* by the routes now */
};
static TAILQ_HEAD(, backend)	backends = TAILQ_HEAD_INITIALIZER(backends);

/* The backend of that address, added if new (NULL: out of memory). */
static struct backend *
backend_get(const char *addr)
{
	struct backend	*b;
	const char	*errstr;

	TAILQ_FOREACH(b, &backends, entry)
		if (strcmp(b->addr, addr) == 0)
			return b;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	(void)strlcpy(b->addr, addr, sizeof(b->addr));
	if (net_parse(addr, &b->net, &errstr) == -1) {
		free(b);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&backends, b, entry);
	if (current[KIND_CHECK] != NULL && current[KIND_CHECK]->chan.fd != -1)
		backend_send(&current[KIND_CHECK]->chan, b);
	return b;
}

static void
backend_send(struct chan *c, const struct backend *b)
{
	struct msg_backend	m;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
	chan_send(c, MSG_PARENT_BACKEND, -1, &m, sizeof(m));
}

/* Does b take new users? */
static int
backend_usable(const struct backend *b)
{
	return !b->drained && b->health != CHECK_DOWN &&
	    b->health != HEALTH_DRAINING;
}

/* A new checkpop: its settings, every backend known, and go. */
void
backends_conf(struct chan *c)
{
	struct backend	*b;

	chan_send(c, MSG_PARENT_CONF, -1, &conf->set, sizeof(conf->set));
	TAILQ_FOREACH(b, &backends, entry)
		backend_send(c, b);
	chan_send(c, MSG_PARENT_CONF_END, -1, NULL, 0);
}

/* checkpop is wanted by a route with a health port. */
int
backends_checked(void)
{
	return conf->set.route[0] != '\0' && conf->set.route_health != 0;
}

/*
 * A check of a backend: its state changes are logged, and the end of
 * the last session of one that drains (on its own, or by popctl here).
 */
void
parent_check_state(struct chan *c, const void *data, int fd)
{
	const struct msg_check	*m = data;
	struct backend		*b;
	struct timespec		 ts;

	/* A reload's predecessor, still talking: its news are old. */
	if (current[KIND_CHECK] == NULL || c != &current[KIND_CHECK]->chan)
		return;
	TAILQ_FOREACH(b, &backends, entry)
		if (strcmp(b->addr, m->addr) == 0)
			break;
	if (b == NULL) {
		chan_bad(c, "%s from checkpop: %s is no backend",
		    msg_type_str(MSG_CHECK_STATE), m->addr);
		return;
	}
	if (m->state != b->health) {
		if (m->state == CHECK_DOWN)
			log_warnx("backend %s down: no new user goes there",
			    b->addr);
		else if (m->state == HEALTH_DRAINING)
			log_info("backend %s draining: no new user goes there",
			    b->addr);
		else if (b->health != 0)
			log_info("backend %s up", b->addr);
	}
	if ((m->state == HEALTH_DRAINING || (b->drained &&
	    m->state == HEALTH_UP)) && m->sessions == 0 &&
	    (b->sessions != 0 || (b->health != HEALTH_DRAINING &&
	    !b->drained)))
		log_info("backend %s drained: its last session ended",
		    b->addr);
	b->health = m->state;
	b->sessions = m->sessions;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	b->checked = ts.tv_sec > 0 ? ts.tv_sec : 1;
}

/*
 * After a start or reload: the backends of a file route table are
 * those it names now (a database's stay until popd restarts); the
 * counts start again; a drain and the last check hold for the
 * backends still named.
 */
void
backends_reload(void)
{
	char		 pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN];
	struct backend	*b, *next;
	size_t		 i;
	int		 n, k, file;

	file = conf->set.route[0] != '\0' && conf->set.routesrc ==
	    TABSRC_FILE;
	TAILQ_FOREACH(b, &backends, entry) {
		b->users = 0;
		b->named = !file;
		if (!backends_checked())
			b->health = b->checked = 0;
	}
	for (i = 0; file && i < users.routes.n; i++) {
		n = table_route_split(table_value(&users.routes, i), pool);
		for (k = 0; k < n; k++)
			if ((b = backend_get(pool[k])) != NULL)
				b->named = 1;
	}
	TAILQ_FOREACH_SAFE(b, &backends, entry, next) {
		if (b->named && conf->set.route[0] != '\0')
			continue;
		TAILQ_REMOVE(&backends, b, entry);
		free(b);
	}
}

/*
 * Of a route's value, the backend that takes user now, into addr; -1
 * if the value is no pool (logged by the caller) or no backend of it
 * may take a user (logged here).
 */
int
backends_route(const char *user, const char *value, char *addr,
    size_t len)
{
	char		 pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN];
	int		 usable[ROUTE_POOLMAX];
	struct backend	*b[ROUTE_POOLMAX];
	int		 n, i;

	if ((n = table_route_split(value, pool)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		b[i] = backend_get(pool[i]);
		usable[i] = b[i] != NULL && backend_usable(b[i]);
	}
	if ((i = table_route_pick(user, pool, n, usable)) == -1) {
		log_warnx("route for %s: no backend of \"%s\" takes users "
		    "now (down, draining or drained)", user, value);
		return -1;
	}
	b[i]->users++;
	(void)strlcpy(addr, pool[i], len);
	return 0;
}

/* popctl drain BACKEND, undrain BACKEND. */
void
backends_drain(struct ctlans *a, const struct netaddr *net, int on)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry)
		if (memcmp(&b->net, net, sizeof(*net)) == 0)
			break;
	if (b == NULL) {
		ctlans_end(a, "no route names that backend");
		return;
	}
	log_info("control: %s %s by uid %u: %s", on ? "drain" : "undrain",
	    b->addr, (unsigned)ctlans_uid(a), on ? "no new user goes there" :
	    "it takes users again");
	if (on && !b->drained && b->checked == 0)
		log_info("backend %s drained: its sessions are not known "
		    "(no health port checked)", b->addr);
	else if (on && !b->drained && b->sessions == 0)
		log_info("backend %s drained: its last session ended",
		    b->addr);
	b->drained = on;
	backend_rec(a, b);
	ctlans_end(a, NULL);
}

/*
 * A backend as show backends and drain print it (control/print.c):
 * what checkpop last said, and how long ago.
 */
static void
backend_rec(struct ctlans *a, const struct backend *b)
{
	struct msg_ctlbackend	m;
	struct timespec		ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
	m.health = b->health;
	m.drained = b->drained != 0;
	m.sessions = b->sessions;
	m.age = b->checked != 0 ? ts.tv_sec - b->checked : -1;
	m.users = b->users;
	ctlans_rec(a, MSG_PARENT_CTLBACKEND, -1, &m, sizeof(m));
}

/* popctl show backends: each, in the order first named. */
void
ctl_show_backends(struct ctlans *a, const struct msg_ctlreq *r)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry)
		backend_rec(a, b);
	ctlans_end(a, NULL);
}

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
 * routepop's routes and backends.  The backends' states live in a page
 * the parent made once and never reads: a routepop restarted after a
 * crash takes them all back; one started by a reload keeps the drains
 * and the last checks of the backends still named; one of a new popd
 * (the page as the last one stopped) keeps the drains alone.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "table.h"
#include "routepop.h"

/* The page: as many backends as fit, the others not kept. */
struct page_rec {
	char			 addr[INET6_ADDRSTRLEN];
	uint16_t		 pad;
	uint32_t		 drained;
	uint32_t		 health;
	uint32_t		 sessions;
	int64_t			 checked;
	uint64_t		 users;
};
struct route_page {
	uint64_t		 gen;
	uint64_t		 run;
	uint32_t		 n;
	uint32_t		 pad;
	struct page_rec		 rec[(ROUTEPAGE_SIZE - 24) /
				    sizeof(struct page_rec)];
};

struct backends			 backends = TAILQ_HEAD_INITIALIZER(backends);
static const struct conf_settings *set;
static struct table		 routes;
static int			 routefd = -1;
static struct route_page	*page;
static uint64_t			 page_gen, page_run;

static void
backend_keep(struct backend *b)
{
	static int	 warned;

	if (page == NULL)
		return;
	if (b->k == NULL) {
		if (page->n == nitems(page->rec)) {
			if (!warned++)
				log_warnx("backends: more than %zu, the "
				    "others' states are not kept",
				    nitems(page->rec));
			return;
		}
		b->k = &page->rec[page->n++];
		memset(b->k, 0, sizeof(*b->k));
		(void)strlcpy(b->k->addr, b->addr, sizeof(b->k->addr));
	}
	b->k->drained = b->drained;
	b->k->health = b->health;
	b->k->sessions = b->sessions;
	b->k->checked = b->checked;
	b->k->users = b->users;
}

/* The page bounds a database's values, each a backend checked every second. */
static struct backend *
backend_get(const char *addr)
{
	static struct lograte	 rate;
	struct backend		*b;
	const char		*errstr;
	size_t			 n = 0;

	TAILQ_FOREACH(b, &backends, entry) {
		if (strcmp(b->addr, addr) == 0)
			return b;
		n++;
	}
	if (n >= nitems(page->rec)) {
		log_rate(&rate, "backends: %zu already, %s not added: no "
		    "user goes there", n, addr);
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	(void)strlcpy(b->addr, addr, sizeof(b->addr));
	b->named = 1;
	if (net_parse(addr, &b->net, &errstr) == -1) {
		free(b);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&backends, b, entry);
	backend_keep(b);
	check_add(b, set->route_health);
	return b;
}

void
router_file(struct chan *c, const void *data, int fd)
{
	if (fd == -1)
		fatalx("no descriptor for the route file");
	if (routefd != -1)
		fatalx("a second route file");
	routefd = fd;
}

void
router_page(struct chan *c, const void *data, int fd)
{
	const struct msg_routepage	*m = data;
	struct stat			 st;
	void				*p;

	page_gen = m->gen;
	page_run = m->run;
	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if (page != NULL)
		fatalx("a second page of backends");
	if (fstat(fd, &st) == -1 || st.st_size < (off_t)sizeof(*page) ||
	    (p = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED)
		log_warn("backends: page not mapped, their states not kept");
	else
		page = p;
	close(fd);
}

/* A reload's (another gen) count again; a database's stay until restart. */
void
router_start(const struct conf_settings *s)
{
	char		 path[32], pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN];
	struct route_page *old = NULL;
	struct page_rec	*r;
	struct backend	*b, *next;
	time_t		 now = 0;
	size_t		 i;
	uint32_t	 n;
	int		 k, np, file, reload = 0, restart = 0;

	set = s;
	file = set->routesrc == TABSRC_FILE;
	if (file) {
		if (routefd == -1)
			fatalx("route %s: no descriptor", set->route);
		(void)snprintf(path, sizeof(path), "/dev/fd/%d", routefd);
		if (table_load(path, TABLE_ROUTES, NULL, NULL, &routes) == -1)
			fatalx("route %s: not loaded", set->route);
	}
	if (routefd != -1)
		close(routefd);
	routefd = -1;
	n = 0;
	if (page != NULL) {
		/* A copy to read from, as the page is written anew. */
		if ((old = malloc(sizeof(*old))) == NULL)
			fatal("%s", __func__);
		memcpy(old, page, sizeof(*old));
		reload = old->gen != page_gen;
		restart = old->run != page_run;
		page->gen = page_gen;
		page->run = page_run;
		page->n = 0;
		n = old->n < nitems(old->rec) ? old->n : nitems(old->rec);
		now = monotime();
	}
	/* A record is checked as any input: one address, known states. */
	for (i = 0; i < n; i++) {
		r = &old->rec[i];
		if (memchr(r->addr, '\0', sizeof(r->addr)) == NULL ||
		    table_route_split(r->addr, pool) != 1 ||
		    strcmp(pool[0], r->addr) != 0 || r->drained > 1 ||
		    (restart ? !r->drained : r->health > HEALTH_DEGRADED ||
		    r->checked < 0 || r->checked > now) ||
		    (b = backend_get(r->addr)) == NULL)
			continue;
		b->drained = r->drained;
		b->named = !file;
		if (restart)
			continue;
		b->users = reload ? 0 : r->users;
		if (set->route_health != 0) {
			b->health = r->health;
			b->sessions = r->sessions;
			b->checked = r->checked;
		}
	}
	free(old);
	for (i = 0; file && i < routes.n; i++) {
		np = table_route_split(table_value(&routes, i), pool);
		for (k = 0; k < np; k++)
			if ((b = backend_get(pool[k])) != NULL)
				b->named = 1;
	}
	/* Those a file no longer names go, and leave the page. */
	if (page != NULL)
		page->n = 0;
	TAILQ_FOREACH_SAFE(b, &backends, entry, next) {
		b->k = NULL;
		if (b->named) {
			backend_keep(b);
			if (restart && b->drained)
				log_info("backend %s drained, as popctl drain "
				    "left it: popctl undrain ends it", b->addr);
		} else {
			TAILQ_REMOVE(&backends, b, entry);
			free(b);
		}
	}
}

void
router_drain(void)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry)
		b->k = NULL;
	page = NULL;
}

const char *
router_lookup(const char *user)
{
	const char	*v, *at;

	if ((v = table_get(&routes, user)) == NULL &&
	    (at = strrchr(user, '@')) != NULL && at[1] != '\0')
		v = table_get(&routes, at + 1);
	return v;
}

static int
backend_usable(const struct backend *b)
{
	return !b->drained && b->health != CHECK_DOWN &&
	    b->health != HEALTH_DRAINING && b->health != HEALTH_DEGRADED;
}

static int
backend_stuck(const struct backend *b, const char *user)
{
	size_t	 i;

	for (i = 0; i < HEALTH_STUCKMAX && b->stuck[i][0] != '\0'; i++)
		if (strcmp(b->stuck[i], user) == 0)
			return 1;
	return 0;
}

/*
 * Degraded backends take users only when no other of the pool can: better
 * a backend whose store may answer for this user than none.
 */
int
router_pick(const char *user, const char *value, char *addr, size_t len)
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
		/* Its wrkrpop there holds the maildrop: none elsewhere. */
		if (b[i] != NULL && backend_stuck(b[i], user)) {
			log_info("route for %s: a session stuck in %s's store: "
			    "a temporary failure until it is out", user,
			    b[i]->addr);
			return -1;
		}
	}
	if ((i = table_route_pick(user, pool, n, usable)) == -1) {
		for (i = 0; i < n; i++)
			usable[i] = b[i] != NULL && !b[i]->drained &&
			    b[i]->health == HEALTH_DEGRADED;
		i = table_route_pick(user, pool, n, usable);
	}
	if (i == -1) {
		log_warnx("route for %s: no backend of \"%s\" takes users "
		    "now (down, draining, degraded or drained)", user, value);
		return -1;
	}
	b[i]->users++;
	backend_keep(b[i]);
	(void)strlcpy(addr, pool[i], len);
	return 0;
}

void
router_state(struct backend *b, int state, uint32_t sessions)
{
	if ((uint32_t)state != b->health) {
		if (state == CHECK_DOWN)
			log_warnx("backend %s down: no new user goes there",
			    b->addr);
		else if (state == HEALTH_DRAINING)
			log_info("backend %s draining: no new user goes there",
			    b->addr);
		else if (state == HEALTH_DEGRADED)
			log_warnx("backend %s degraded (its store probe "
			    "fails): no new user goes there", b->addr);
		else if (b->health != 0)
			log_info("backend %s up", b->addr);
	}
	if ((state == HEALTH_DRAINING || (b->drained &&
	    state == HEALTH_UP)) && sessions == 0 &&
	    (b->sessions != 0 || (b->health != HEALTH_DRAINING &&
	    !b->drained)))
		log_info("backend %s drained: its last session ended",
		    b->addr);
	b->health = state;
	b->sessions = sessions;
	if ((b->checked = monotime()) == 0)
		b->checked = 1;
	backend_keep(b);
}

static void
backend_rec(struct chan *c, uint64_t req, const struct backend *b, int more)
{
	struct msg_ctlbackend	m;

	memset(&m, 0, sizeof(m));
	m.req = req;
	if (b != NULL) {
		(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
		m.health = b->health;
		m.drained = b->drained != 0;
		m.sessions = b->sessions;
		m.age = b->checked != 0 ? monotime() - b->checked : -1;
		m.users = b->users;
		m.more = more;
	}
	chan_send(c, MSG_ROUTE_BACKENDS, -1, &m, sizeof(m));
}

void
router_control_backends(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*q = data;
	struct backend		*b;

	if (proc_ctlfull(c))
		return;
	if (TAILQ_EMPTY(&backends))
		backend_rec(c, q->req, NULL, 0);
	TAILQ_FOREACH(b, &backends, entry)
		backend_rec(c, q->req, b, TAILQ_NEXT(b, entry) != NULL);
}

void
router_control_drain(struct chan *c, const void *data, int fd)
{
	const struct msg_net	*m = data;
	struct backend		*b;
	int			 on = c->intype == MSG_CONTROL_DRAIN;

	if (proc_ctlfull(c))
		return;
	TAILQ_FOREACH(b, &backends, entry)
		if (memcmp(&b->net, &m->net, sizeof(m->net)) == 0)
			break;
	if (b == NULL) {
		backend_rec(c, m->req, NULL, 0);
		return;
	}
	log_info("backend %s %s by popctl: %s", b->addr, on ? "drained" :
	    "undrained", on ? "no new user goes there" :
	    "it takes users again");
	if (on && !b->drained && b->checked == 0)
		log_info("backend %s drained: its sessions are not known "
		    "(no health port checked)", b->addr);
	else if (on && !b->drained && b->sessions == 0)
		log_info("backend %s drained: its last session ended",
		    b->addr);
	b->drained = on;
	backend_keep(b);
	backend_rec(c, m->req, b, 0);
}

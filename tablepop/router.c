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
 * router.c -- tablepop's answers to httppop: which backend serves a
 * user that nginx's auth_http asked about (MSG_HTTP_ROUTE); and to
 * authpop: a user's app passwords and password hash, when databases
 * hold them (MSG_AUTHPOP_APPS, MSG_AUTHPOP_LOOKUP).  The route
 * table maps a user name, or else the domain after its last '@', to one
 * literal IP address or a pool of them.  A file is read from the
 * descriptor the parent opened as root (and checked, for popd -n and
 * reloads); a database table is asked with the alias service
 * (backend.c).
 *
 * The backends, as the routes name them: what checkpop last saw on
 * each one's health port (up, draining, down, and its sessions), which
 * popctl drained, and how many users were routed to each since start or
 * reload, for popctl show backends.  A file's backends are all known
 * from its load; a database's as its answers name them, and each is
 * given to checkpop when first known.  Of a pool, the user's backend is
 * the one of those that take users (not down, draining or drained; one
 * never checked yet may) with the highest hash (table_route_pick).
 *
 * What popctl shows outlives this process: each backend's state is
 * kept in a page the parent made once and gives every tablepop
 * (MSG_PARENT_ROUTEPAGE), and never reads.  A tablepop restarted after a
 * crash takes it all back; one started by a reload keeps the drains
 * and the last checks of the backends still named, and counts again.
 *
 * Peers, on channels the parent made (peers.c declares what each may
 * send; one that breaks it loses its channel, not us):
 *	httppop		MSG_HTTP_ROUTE, answered MSG_TABLE_ROUTE
 *	authpop		MSG_AUTHPOP_APPS, a user's app passwords of the
 *			app-passwords database, answered MSG_TABLE_APPS;
 *			MSG_AUTHPOP_LOOKUP, a user's password hash of
 *			authtab's database, answered MSG_TABLE_CRED
 *			(authpop checks both: the parent sees neither)
 *	checkpop	MSG_CHECK_STATE for a backend we named to it
 *			(MSG_TABLE_BACKEND), nothing else
 *	control		popctl show backends, drain, undrain BACKEND
 *			(MSG_CONTROL_*), answered MSG_TABLE_BACKENDS
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
#include "tablepop.h"

/* Questions of ours to the route table: apart from the parent's ids. */
#define ROUTE_ASKED	(1ULL << 63)

/* What is asked: httppop a route, authpop app passwords, a hash. */
#define ASK_ROUTE	0
#define ASK_APPS	1	/* MSG_AUTHPOP_APPS */
#define ASK_CRED	2	/* MSG_AUTHPOP_LOOKUP */

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
	int			 named;		/* by the routes (start) */
	struct page_rec		*k;		/* its place in the page */
};

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
	uint32_t		 n;
	uint32_t		 pad;
	struct page_rec		 rec[(ROUTEPAGE_SIZE - 16) /
				    sizeof(struct page_rec)];
};

/* An authpop, an httppop or the checkpop. */
struct peer {
	TAILQ_ENTRY(peer)	 entry;
	struct chan		 chan;
	int			 proc;
	pid_t			 pid;
};

/* A database's answer awaited for an authpop's or httppop's question. */
struct route_wait {
	TAILQ_ENTRY(route_wait)	 entry;
	uint64_t		 asked;		/* ours, with ROUTE_ASKED */
	pid_t			 pid;		/* the asker's */
	uint64_t		 id;		/* its */
	int			 domain;	/* asking for the domain now */
	int			 ask;		/* ASK_* */
	char			 user[POPD_MAXUSER + 1];
};

static const struct conf_settings *set;
static struct table		 routes;
static int			 routefd = -1;
static struct route_page	*page;
static uint64_t			 page_gen;
static TAILQ_HEAD(, backend)	 backends = TAILQ_HEAD_INITIALIZER(backends);
static TAILQ_HEAD(, peer)	 peers = TAILQ_HEAD_INITIALIZER(peers);
static TAILQ_HEAD(, route_wait)	 waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			 lastask;
static struct chan		 ctl_chan;

static void	peer_eof(struct chan *);
static void	peer_bad(struct chan *);
static void	tablepop_http_route(struct chan *, const void *, int);
static void	tablepop_authpop_apps(struct chan *, const void *, int);
static void	tablepop_authpop_lookup(struct chan *, const void *, int);
static void	user_ask(struct chan *, const struct msg_login *, int);
static struct peer *peer_find(pid_t, int);
static void	apps_send(pid_t, uint64_t, int, const char *);
static void	cred_send(pid_t, uint64_t, const char *, int, const char *);
static void	tablepop_check_state(struct chan *, const void *, int);
static void	tablepop_control_backends(struct chan *, const void *, int);
static void	tablepop_control_drain(struct chan *, const void *, int);
static void	route_ask(struct route_wait *, const char *);
static void	route_send(pid_t, uint64_t, const char *, int, const char *);
static const char *route_domain(const char *);
static struct backend *backend_get(const char *);
static void	backend_send(struct chan *, const struct backend *);
static void	backend_keep(struct backend *);
static void	backend_rec(uint64_t, const struct backend *, int);
static int	backends_pick(const char *, const char *, char *, size_t);

static const struct msg_handler from_http[] = {
	{ MSG_HTTP_ROUTE,	tablepop_http_route },
};
static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_APPS,	tablepop_authpop_apps },
	{ MSG_AUTHPOP_LOOKUP,	tablepop_authpop_lookup },
};
static const struct msg_handler from_check[] = {
	{ MSG_CHECK_STATE,	tablepop_check_state },
};
static const struct msg_handler from_control[] = {
	{ MSG_CONTROL_BACKENDS,	tablepop_control_backends },
	{ MSG_CONTROL_DRAIN,	tablepop_control_drain },
	{ MSG_CONTROL_UNDRAIN,	tablepop_control_drain },
};

/* MSG_PARENT_CONF_ROUTE: the route file, read once we run as ourselves. */
void
router_file(int fd)
{
	if (fd == -1)
		fatalx("no descriptor for the route file");
	if (routefd != -1)
		fatalx("a second route file");
	routefd = fd;
}

/* MSG_PARENT_ROUTEPAGE: the backends' page, and the configuration's gen. */
void
router_page(int fd, uint64_t gen)
{
	struct stat	 st;
	void		*p;

	page_gen = gen;
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

/*
 * Before the sandbox, as ourselves: the route file's table, and the
 * backends as the page left them.  A reload's (another gen) count
 * again; without health checks none is checked; a file's keep only
 * those it names (a database's stay until popd restarts).
 */
void
router_start(const struct conf_settings *s)
{
	char		 path[32], pool[ROUTE_POOLMAX][INET6_ADDRSTRLEN];
	struct route_page *old = NULL;
	struct page_rec	*r;
	struct backend	*b, *next;
	struct timespec	 ts;
	size_t		 i;
	uint32_t	 n;
	int		 k, np, file, reload = 0;

	set = s;
	file = set->route[0] != '\0' && set->routesrc == TABSRC_FILE;
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
		page->gen = page_gen;
		page->n = 0;
		n = old->n < nitems(old->rec) ? old->n : nitems(old->rec);
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	}
	/* A record is checked as any input: one address, known states. */
	for (i = 0; set->route[0] != '\0' && i < n; i++) {
		r = &old->rec[i];
		if (memchr(r->addr, '\0', sizeof(r->addr)) == NULL ||
		    table_route_split(r->addr, pool) != 1 ||
		    strcmp(pool[0], r->addr) != 0 || r->drained > 1 ||
		    r->health > HEALTH_DEGRADED || r->checked < 0 ||
		    r->checked > ts.tv_sec || (b = backend_get(r->addr)) ==
		    NULL)
			continue;
		b->drained = r->drained;
		b->users = reload ? 0 : r->users;
		if (set->route_health != 0) {
			b->health = r->health;
			b->sessions = r->sessions;
			b->checked = r->checked;
		}
		b->named = !file;
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
		if (b->named)
			backend_keep(b);
		else {
			TAILQ_REMOVE(&backends, b, entry);
			free(b);
		}
	}
}

/* After a reload: a newer tablepop keeps the page from now on. */
void
router_drain(void)
{
	struct backend	*b;

	TAILQ_FOREACH(b, &backends, entry)
		b->k = NULL;
	page = NULL;
}

/*
 * MSG_PARENT_TABLEPEER: a channel to an authpop, an httppop, or to the
 * checkpop,
 * which replaces the one before and is told every backend.
 */
void
router_peer(int fd, int proc, pid_t pid)
{
	struct peer	*p, *q;
	struct backend	*b;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("channel to %s %d", proc_str(proc), (int)pid);
		close(fd);
		return;
	}
	p->proc = proc;
	p->pid = pid;
	if (proc == PROC_CHECK) {
		TAILQ_FOREACH(q, &peers, entry)
			if (q->proc == PROC_CHECK)
				break;
		if (q != NULL)
			peer_eof(&q->chan);
		chan_init(&p->chan, fd, PROC_TABLE, proc, PH_RUN, from_check,
		    nitems(from_check), peer_eof, p);
	} else if (proc == PROC_HTTP)
		chan_init(&p->chan, fd, PROC_TABLE, proc, PH_RUN, from_http,
		    nitems(from_http), peer_eof, p);
	else
		chan_init(&p->chan, fd, PROC_TABLE, proc, PH_RUN,
		    from_authpop, nitems(from_authpop), peer_eof, p);
	p->chan.bad = peer_bad;
	chan_start(&p->chan);
	TAILQ_INSERT_TAIL(&peers, p, entry);
	if (proc == PROC_CHECK)
		TAILQ_FOREACH(b, &backends, entry)
			backend_send(&p->chan, b);
}

/* MSG_PARENT_CTLCHAN: popctl's questions. */
void
router_ctlchan(int fd)
{
	proc_ctlchan(&ctl_chan, PROC_TABLE, fd, from_control,
	    nitems(from_control));
}

static void
peer_eof(struct chan *c)
{
	struct peer	*p = c->arg;

	TAILQ_REMOVE(&peers, p, entry);
	chan_close(&p->chan);
	free(p);
}

/* It broke the protocol: chan_bad closes its channel once we return. */
static void
peer_bad(struct chan *c)
{
	TAILQ_REMOVE(&peers, (struct peer *)c->arg, entry);
	proc_free_later(c->arg);
}

/* An httppop's question: the file answers now, a database later. */
static void
tablepop_http_route(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct peer		*p = c->arg;
	struct route_wait	*w;
	const char		*v, *d;

	/* An httppop of another configuration than ours, in a reload. */
	if (set->route[0] == '\0') {
		log_warnx("a route for %s, but popd.conf has no route",
		    ml->user);
		route_send(p->pid, ml->id, ml->user, TABANS_TEMP, NULL);
		return;
	}
	if (set->routesrc == TABSRC_FILE) {
		if ((v = table_get(&routes, ml->user)) == NULL &&
		    (d = route_domain(ml->user)) != NULL)
			v = table_get(&routes, d);
		route_send(p->pid, ml->id, ml->user, v != NULL ?
		    TABANS_FOUND : TABANS_NONE, v);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s", __func__);
		route_send(p->pid, ml->id, ml->user, TABANS_TEMP, NULL);
		return;
	}
	w->pid = p->pid;
	w->id = ml->id;
	(void)strlcpy(w->user, ml->user, sizeof(w->user));
	TAILQ_INSERT_TAIL(&waits, w, entry);
	route_ask(w, w->user);
}

/* Ask the database for key: the answer may come before we return. */
static void
route_ask(struct route_wait *w, const char *key)
{
	w->asked = ++lastask | ROUTE_ASKED;
	tables_lookup(w->asked, w->ask == ASK_APPS ? set->apps_table :
	    w->ask == ASK_CRED ? set->authtab : set->route, w->ask == ASK_CRED ?
	    TABLE_CREDENTIALS : TABLE_ALIAS, key);
}

/*
 * An authpop asks for a user's app passwords: one question of the
 * database for all of them, the user the key.  An authpop of before a
 * reload that removed them gets none; one of a file's, a temporary
 * failure.
 */
static void
tablepop_authpop_apps(struct chan *c, const void *data, int fd)
{
	user_ask(c, data, ASK_APPS);
}

/*
 * An authpop asks for a user's password hash (authtab is a database
 * table): the credentials service, the user the key.  authpop checks
 * the hash; the parent never sees it.
 */
static void
tablepop_authpop_lookup(struct chan *c, const void *data, int fd)
{
	user_ask(c, data, ASK_CRED);
}

/*
 * One question of kind ask (ASK_APPS, ASK_CRED) about ml's user, to its
 * database; without one in our configuration (an authpop of another
 * one, in a reload), answered at once: no app passwords if a file holds
 * none either, else a temporary failure.
 */
static void
user_ask(struct chan *c, const struct msg_login *ml, int ask)
{
	struct peer		*p = c->arg;
	struct route_wait	*w = NULL;
	int			 db = ask == ASK_APPS ?
				    set->apps_table[0] != '\0' :
				    set->authsrc == TABSRC_LOOKUP;

	if (!db || (w = calloc(1, sizeof(*w))) == NULL) {
		if (db)
			log_warn("%s", __func__);
		else if (ask == ASK_CRED)
			log_warnx("a password hash of %s, but authtab is no "
			    "database table", ml->user);
		if (ask == ASK_CRED)
			cred_send(p->pid, ml->id, ml->user, TABANS_TEMP, NULL);
		else
			apps_send(p->pid, ml->id, set->apps_file[0] == '\0' &&
			    !db ? TABANS_NONE : TABANS_TEMP, NULL);
		return;
	}
	w->pid = p->pid;
	w->id = ml->id;
	w->ask = ask;
	(void)strlcpy(w->user, ml->user, sizeof(w->user));
	TAILQ_INSERT_TAIL(&waits, w, entry);
	route_ask(w, w->user);
}

/* The peer of that kind and pid, if it is still there. */
static struct peer *
peer_find(pid_t pid, int proc)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == proc && p->pid == pid)
			return p;
	return NULL;
}

/*
 * The user's password hash, or none, or no answer, to that authpop:
 * one too long for it, or empty, is no answer (logged).
 */
static void
cred_send(pid_t pid, uint64_t id, const char *user, int status,
    const char *hash)
{
	struct msg_cred	 mc;
	struct peer	*p;

	if ((p = peer_find(pid, PROC_AUTHPOP)) == NULL)
		return;
	memset(&mc, 0, sizeof(mc));
	mc.id = id;
	if (status == TABANS_FOUND && (hash[0] == '\0' || strlcpy(mc.hash,
	    hash, sizeof(mc.hash)) >= sizeof(mc.hash))) {
		log_warnx("table %s: the credentials of \"%s\": a hash of %zu "
		    "bytes", set->authtab, user, strlen(hash));
		memset(mc.hash, 0, sizeof(mc.hash));
		status = TABANS_TEMP;
	}
	mc.status = status == TABANS_FOUND ? CRED_FOUND :
	    status == TABANS_NONE ? CRED_NONE : CRED_TEMP;
	chan_send(&p->chan, MSG_TABLE_CRED, -1, &mc, sizeof(mc));
	explicit_bzero(&mc, sizeof(mc));
}

/* The records joined by ',', or none, or no answer, to that authpop. */
static void
apps_send(pid_t pid, uint64_t id, int status, const char *recs)
{
	struct msg_apps	*ma;
	struct peer	*p;

	if ((p = peer_find(pid, PROC_AUTHPOP)) == NULL)
		return;
	/* 8 KB: not on the stack. */
	if ((ma = calloc(1, sizeof(*ma))) == NULL)
		fatal("%s", __func__);
	ma->id = id;
	ma->status = status == TABANS_FOUND ? CRED_FOUND :
	    status == TABANS_NONE ? CRED_NONE : CRED_TEMP;
	if (status == TABANS_FOUND &&
	    strlcpy(ma->recs, recs, sizeof(ma->recs)) >= sizeof(ma->recs)) {
		memset(ma->recs, 0, sizeof(ma->recs));
		ma->status = CRED_TEMP;
	}
	chan_send(&p->chan, MSG_TABLE_APPS, -1, ma, sizeof(*ma));
	free(ma);
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

/*
 * An answer to one of our questions (tablepop.c sends the others to
 * the parent): 1, or 0 if id is not ours.  For the user, else its
 * domain.
 */
int
router_answer(uint64_t id, int status, const char *value)
{
	struct route_wait	*w;
	const char		*d;

	if (!(id & ROUTE_ASKED))
		return 0;
	TAILQ_FOREACH(w, &waits, entry)
		if (w->asked == id)
			break;
	if (w == NULL)
		fatalx("%s: an answer to no question", __func__);
	if (w->ask != ASK_ROUTE) {
		TAILQ_REMOVE(&waits, w, entry);
		if (w->ask == ASK_CRED)
			cred_send(w->pid, w->id, w->user, status, value);
		else
			apps_send(w->pid, w->id, status, value);
		free(w);
		return 1;
	}
	if (status == TABANS_NONE && !w->domain &&
	    (d = route_domain(w->user)) != NULL) {
		w->domain = 1;
		route_ask(w, d);
		return 1;
	}
	if (status == TABANS_FOUND && !table_valid_route(value)) {
		log_warnx("route <%s>: the backend of %s is not an IPv4 or "
		    "IPv6 address, or a pool of %d at most", set->route,
		    w->domain ? route_domain(w->user) : w->user,
		    ROUTE_POOLMAX);
		status = TABANS_TEMP;
	}
	TAILQ_REMOVE(&waits, w, entry);
	route_send(w->pid, w->id, w->user, status, value);
	free(w);
	return 1;
}

/*
 * The answer: a backend of the pool value names, one that takes users
 * now; when none does, a temporary failure, never a wrong password.
 * An httppop gone meanwhile gets nothing.
 */
static void
route_send(pid_t pid, uint64_t id, const char *user, int status,
    const char *value)
{
	struct msg_route	 mr;
	struct peer		*p;
	char			 addr[INET6_ADDRSTRLEN];

	if ((p = peer_find(pid, PROC_HTTP)) == NULL)
		return;
	if (status == TABANS_FOUND) {
		if (backends_pick(user, value, addr, sizeof(addr)) == -1)
			status = TABANS_TEMP;
		value = addr;
	}
	memset(&mr, 0, sizeof(mr));
	mr.id = id;
	mr.status = status == TABANS_FOUND ? ROUTE_FOUND :
	    status == TABANS_NONE ? ROUTE_NONE : ROUTE_TEMP;
	if (status == TABANS_FOUND)
		(void)strlcpy(mr.addr, value, sizeof(mr.addr));
	chan_send(&p->chan, MSG_TABLE_ROUTE, -1, &mr, sizeof(mr));
}

/* The backend of that address, added if new (NULL: out of memory). */
static struct backend *
backend_get(const char *addr)
{
	struct backend	*b;
	struct peer	*p;
	const char	*errstr;

	TAILQ_FOREACH(b, &backends, entry)
		if (strcmp(b->addr, addr) == 0)
			return b;
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
	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == PROC_CHECK)
			backend_send(&p->chan, b);
	return b;
}

static void
backend_send(struct chan *c, const struct backend *b)
{
	struct msg_backend	m;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
	chan_send(c, MSG_TABLE_BACKEND, -1, &m, sizeof(m));
}

/* b's state into the page, where it takes the next place if new. */
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

/* Does b take new users? */
static int
backend_usable(const struct backend *b)
{
	return !b->drained && b->health != CHECK_DOWN &&
	    b->health != HEALTH_DRAINING && b->health != HEALTH_DEGRADED;
}

/*
 * Of a route's value, the backend that takes user now, into addr; -1
 * if the value is no pool or no backend of it may take a user (logged).
 * Degraded backends (a session stuck in their store, or a worker that
 * says so) take users only when no other of the pool can: better a
 * login on a backend whose store may answer for this user than none.
 */
static int
backends_pick(const char *user, const char *value, char *addr, size_t len)
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

/*
 * A check of a backend: its state changes are logged, and the end of
 * the last session of one that drains (on its own, or by popctl here).
 * checkpop may name only the backends we gave it.
 */
static void
tablepop_check_state(struct chan *c, const void *data, int fd)
{
	const struct msg_check	*m = data;
	struct backend		*b;
	struct timespec		 ts;

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
		else if (m->state == HEALTH_DEGRADED)
			log_warnx("backend %s degraded (a session stuck in its "
			    "mail store): no new user goes there", b->addr);
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
	backend_keep(b);
}

/*
 * A backend as show backends and drain print it (control/print.c):
 * what checkpop last said, and how long ago; b NULL: none.
 */
static void
backend_rec(uint64_t req, const struct backend *b, int more)
{
	struct msg_ctlbackend	m;
	struct timespec		ts;

	memset(&m, 0, sizeof(m));
	m.req = req;
	if (b != NULL) {
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		(void)strlcpy(m.addr, b->addr, sizeof(m.addr));
		m.health = b->health;
		m.drained = b->drained != 0;
		m.sessions = b->sessions;
		m.age = b->checked != 0 ? ts.tv_sec - b->checked : -1;
		m.users = b->users;
		m.more = more;
	}
	chan_send(&ctl_chan, MSG_TABLE_BACKENDS, -1, &m, sizeof(m));
}

/* popctl show backends: each, in the order first named. */
static void
tablepop_control_backends(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlq	*q = data;
	struct backend		*b;

	if (proc_ctlfull(c))
		return;
	if (TAILQ_EMPTY(&backends))
		backend_rec(q->req, NULL, 0);
	TAILQ_FOREACH(b, &backends, entry)
		backend_rec(q->req, b, TAILQ_NEXT(b, entry) != NULL);
}

/* popctl drain BACKEND, undrain BACKEND: the parent allowed it. */
static void
tablepop_control_drain(struct chan *c, const void *data, int fd)
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
		backend_rec(m->req, NULL, 0);
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
	backend_rec(m->req, b, 0);
}

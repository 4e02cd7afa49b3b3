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
 * The configuration from confpop -C to the parent, which holds no parser:
 * the parent reads the image as any less privileged process's message,
 * checking every string, count, range and name.  Both sides are the same
 * build, so the image is the structs as they are, each pointer an index;
 * a conf_where's file travels as 1 + its index in files, 0 for none.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "config.h"

struct conf_imghead {
	uint32_t	 size;		/* sizeof(struct popd_conf) */
	uint32_t	 nfiles, nlistens, npkis, ntrusted, nproxies;
	uint32_t	 ntables, nctluids;
};

static const size_t wheres[] = {
	offsetof(struct popd_conf, authtab_where),
	offsetof(struct popd_conf, usertab_where),
	offsetof(struct popd_conf, route_where),
	offsetof(struct popd_conf, quota_where),
	offsetof(struct popd_conf, ticket_where),
	offsetof(struct popd_conf, apps_where),
	offsetof(struct popd_conf, junk_where),
	offsetof(struct popd_conf, spool_where),
	offsetof(struct popd_conf, ctlsock_where),
	offsetof(struct popd_conf, ctlgroup_where),
	offsetof(struct popd_conf, probe_where),
};

struct img {
	const uint8_t	*p;
	size_t		 left;
};

static void
where_out(const struct popd_conf *c, struct conf_where *w)
{
	size_t	i;

	for (i = 0; i < c->nfiles && c->files[i] != w->file; i++)
		;
	w->file = (const char *)(uintptr_t)(w->file == NULL ||
	    i == c->nfiles ? 0 : i + 1);
}

/* w's index as its file again; -1 if it names none of c's. */
static int
where_in(const struct popd_conf *c, struct conf_where *w)
{
	uintptr_t	i = (uintptr_t)w->file;

	if (i > c->nfiles || w->line < 0)
		return -1;
	w->file = i == 0 ? NULL : c->files[i - 1];
	return 0;
}

static int
put(FILE *fp, const void *p, size_t len)
{
	return fwrite(p, 1, len, fp) == len ? 0 : -1;
}

/* confpop -C: c's image onto fp; -1 if it could not be written. */
int
conf_image(FILE *fp, const struct popd_conf *c)
{
	struct conf_imghead	 h;
	struct popd_conf	 top;
	struct conf_listen	 l;
	struct conf_pki		 p;
	struct conf_trusted	 t;
	struct conf_table	 tb;
	const struct conf_listen *lp;
	const struct conf_pki	*pp;
	const struct conf_trusted *tp;
	const struct conf_table	*tbp;
	size_t			 i;
	int			 r = 0;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(top);
	h.nfiles = c->nfiles;
	h.nctluids = c->nctluids;
	TAILQ_FOREACH(lp, &c->listens, entry)
		h.nlistens++;
	TAILQ_FOREACH(pp, &c->pkis, entry)
		h.npkis++;
	TAILQ_FOREACH(tp, &c->trusted, entry)
		h.ntrusted++;
	TAILQ_FOREACH(tp, &c->proxies, entry)
		h.nproxies++;
	TAILQ_FOREACH(tbp, &c->tables, entry)
		h.ntables++;
	top = *c;
	for (i = 0; i < nitems(wheres); i++)
		where_out(c, (struct conf_where *)((uint8_t *)&top +
		    wheres[i]));
	r |= put(fp, &h, sizeof(h));
	r |= put(fp, &top, sizeof(top));
	for (i = 0; i < c->nfiles; i++)
		r |= put(fp, c->files[i], strlen(c->files[i]) + 1);
	TAILQ_FOREACH(lp, &c->listens, entry) {
		l = *lp;
		where_out(c, &l.where);
		r |= put(fp, &l, sizeof(l));
	}
	TAILQ_FOREACH(pp, &c->pkis, entry) {
		p = *pp;
		where_out(c, &p.where);
		where_out(c, &p.cert_where);
		where_out(c, &p.key_where);
		r |= put(fp, &p, sizeof(p));
	}
	for (i = 0; i < 2; i++)
		TAILQ_FOREACH(tp, i ? &c->proxies : &c->trusted, entry) {
			t = *tp;
			where_out(c, &t.where);
			r |= put(fp, &t, sizeof(t));
		}
	TAILQ_FOREACH(tbp, &c->tables, entry) {
		tb = *tbp;
		where_out(c, &tb.where);
		r |= put(fp, &tb, sizeof(tb));
	}
	if (c->nctluids > 0)
		r |= put(fp, c->ctluids, c->nctluids * sizeof(*c->ctluids));
	return r | fflush(fp);
}

static const void *
take(struct img *m, size_t size)
{
	const void	*p = m->p;

	if (size > m->left)
		return NULL;
	m->p += size;
	m->left -= size;
	return p;
}

static void *
take_entry(struct img *m, size_t size, const char **why)
{
	const void	*s;
	void		*e;

	if ((s = take(m, size)) == NULL) {
		*why = "truncated";
		return NULL;
	}
	if ((e = malloc(size)) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	return memcpy(e, s, size);
}

static int
looked_up(const struct popd_conf *c, const char *name, int src)
{
	const struct conf_table	*t;

	return src != TABSRC_LOOKUP || ((t = conf_table(c, name)) != NULL &&
	    !conf_table_file(t));
}

/*
 * Also what conf_check made sure of that the image shows (a listener,
 * each table named): the parent relies on it.
 */
static const char *
check_top(struct popd_conf *c)
{
	const struct conf_settings	*set = &c->set;
	const char			*why;
	size_t				 i;

	if (!TERMINATED(c->file) || !TERMINATED(c->apps) ||
	    !TERMINATED(c->apps_last) || !TERMINATED(c->system_group) ||
	    !TERMINATED(c->ctlsock) || c->ctlsock[0] != '/' ||
	    !TERMINATED(c->ctlgroup) || !TERMINATED(c->probe_user))
		return "unterminated string";
	if (c->nrefuse < 0 || c->nrefuse > REFUSE_MAX)
		return "refuse groups";
	for (i = 0; i < (size_t)c->nrefuse; i++)
		if (!TERMINATED(c->refuse_groups[i]))
			return "unterminated string";
	if ((why = settings_check(set)) != NULL)
		return why;
	/* What the grammar alone checked of the settings. */
	if ((set->maildir[0] != '\0' && !settings_subdir_ok(set->maildir)) ||
	    !settings_uidl_ok(set->uidl_format) ||
	    !settings_junk_ok(&set->junk))
		return "maildir, uidl-format or junk";
	if (c->appssrc != TABSRC_FILE && c->appssrc != TABSRC_LOOKUP)
		return "app-passwords source";
	if (!looked_up(c, set->authtab, set->authsrc) ||
	    !looked_up(c, set->usertab, set->usersrc) ||
	    !looked_up(c, set->route, set->routesrc) ||
	    !looked_up(c, set->quota.users, set->quota.userssrc) ||
	    !looked_up(c, set->junk_users, set->junk_userssrc) ||
	    !looked_up(c, c->apps, c->appssrc))
		return "a table named by no table statement";
	if (TAILQ_EMPTY(&c->listens))
		return "no listen";
	if (c->listeners < 0 || c->listeners > LISTENERS_MAX)
		return "listeners";
	for (i = 0; i < nitems(wheres); i++)
		if (where_in(c, (struct conf_where *)((uint8_t *)c +
		    wheres[i])) == -1)
			return "where";
	return NULL;
}

/* A listen statement as the grammar makes one (parse.y add_listen). */
static const char *
check_listen(const struct popd_conf *c, const struct conf_listen *l)
{
	int	kind = l->flags & ~CONF_LISTEN_PROXY;

	if (!TERMINATED(l->addr) || !TERMINATED(l->path) ||
	    !TERMINATED(l->group) || !TERMINATED(l->user) ||
	    !TERMINATED(l->pki) || l->where.file == NULL)
		return "listen";
	if (kind != CONF_LISTEN_TLS && kind != CONF_LISTEN_STARTTLS &&
	    kind != CONF_LISTEN_HTTP && kind != CONF_LISTEN_LMTP &&
	    kind != CONF_LISTEN_HEALTH && kind != (CONF_LISTEN_HEALTH |
	    CONF_LISTEN_HEALTHHTTP))
		return "listen kind";
	/* A socket: auth-http or lmtp, its absolute path; nothing else. */
	if (l->path[0] != '\0')
		return (kind != CONF_LISTEN_HTTP && kind != CONF_LISTEN_LMTP) ||
		    l->flags != kind || l->path[0] != '/' ||
		    strlen(l->path) >= sizeof(((struct sockaddr_un *)0)->
		    sun_path) || l->port != 0 || l->pki[0] != '\0' ?
		    "listen socket" : NULL;
	if (!conf_valid_listen_addr(l->addr) || l->port < 1 ||
	    l->port > 65535 || l->group[0] != '\0' || l->user[0] != '\0')
		return "listen address";
	if (kind == CONF_LISTEN_TLS || kind == CONF_LISTEN_STARTTLS) {
		if (l->pki[0] != '\0' ? conf_pki(c, l->pki) == NULL :
		    TAILQ_EMPTY(&c->pkis))
			return "listen pki";
		if ((l->flags & CONF_LISTEN_PROXY) &&
		    TAILQ_EMPTY(&c->proxies))
			return "listen proxy-protocol";
		return NULL;
	}
	/* auth-http, lmtp (loopback only: no authentication), health. */
	if (l->flags != kind || l->pki[0] != '\0' ||
	    (kind == CONF_LISTEN_LMTP && !conf_loopback_addr(l->addr)))
		return "listen";
	return NULL;
}

/* The same for the lists: what the parent's code relies on. */
static const char *
check_lists(const struct popd_conf *c)
{
	const struct conf_listen	*l;
	const struct conf_pki		*p;
	const struct conf_trusted	*t;
	const struct conf_table		*tb, *tb2;
	const char			*why;
	int				 i;

	TAILQ_FOREACH(p, &c->pkis, entry)
		if (!TERMINATED(p->name) || !TERMINATED(p->cert) ||
		    !TERMINATED(p->key) || p->cert[0] == '\0' ||
		    p->key[0] == '\0')
			return "pki";
	for (i = 0; i < 2; i++)
		TAILQ_FOREACH(t, i ? &c->proxies : &c->trusted, entry)
			if (!TERMINATED(t->text) || (t->trusted != 0 &&
			    t->trusted != 1) || (t->net.af != AF_INET &&
			    t->net.af != AF_INET6) || t->net.bits < 0 ||
			    t->net.bits > (t->net.af == AF_INET ? 32 : 128))
				return "trusted network";
	TAILQ_FOREACH(tb, &c->tables, entry) {
		if (!TERMINATED(tb->name) || !TERMINATED(tb->backend) ||
		    !TERMINATED(tb->program) || !TERMINATED(tb->config) ||
		    !TERMINATED(tb->interp) || (tb->interp[0] != '\0' &&
		    tb->interp[0] != '/') ||
		    !conf_valid_table_name(tb->name) || tb->cache < 0 ||
		    tb->cache > CONF_MAXCACHE)
			return "table";
		/* A file's path, or the program that serves it. */
		if (conf_table_file(tb) ? tb->config[0] != '/' ||
		    tb->program[0] != '\0' || tb->interp[0] != '\0' :
		    tb->program[0] != '/')
			return "table program";
		for (tb2 = TAILQ_FIRST(&c->tables); tb2 != tb;
		    tb2 = TAILQ_NEXT(tb2, entry))
			if (strcmp(tb2->name, tb->name) == 0)
				return "table given twice";
	}
	TAILQ_FOREACH(l, &c->listens, entry)
		if ((why = check_listen(c, l)) != NULL)
			return why;
	return NULL;
}

/* The parent: the configuration conf_image wrote at buf; NULL: *why. */
struct popd_conf *
conf_unimage(const void *buf, size_t len, const char **why)
{
	struct img		 m = { buf, len };
	const struct conf_imghead *h;
	const struct popd_conf	*top;
	struct popd_conf	*c;
	struct conf_listen	*l;
	struct conf_pki		*p;
	struct conf_trusted	*t;
	struct conf_table	*tb;
	const char		*s;
	size_t			 i, n, most;

	*why = "truncated";
	if ((h = take(&m, sizeof(*h))) == NULL ||
	    (top = take(&m, sizeof(*top))) == NULL)
		return NULL;
	*why = "too many entries";
	if (h->size != sizeof(*top) || h->nlistens > POPD_MAXLISTEN ||
	    h->npkis > POPD_MAXPKI || h->nproxies > POPD_MAXPROXY ||
	    h->ntables > POPD_MAXTABLES || h->nfiles > CONF_MAXFILES ||
	    h->ntrusted > m.left / sizeof(struct conf_trusted) ||
	    h->nctluids > m.left / sizeof(uid_t))
		return NULL;
	if ((c = malloc(sizeof(*c))) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	/* Its pointers are the writer's: none is kept. */
	*c = *top;
	c->files = NULL;
	c->ctluids = NULL;
	c->nfiles = c->nctluids = 0;
	TAILQ_INIT(&c->listens);
	TAILQ_INIT(&c->pkis);
	TAILQ_INIT(&c->trusted);
	TAILQ_INIT(&c->proxies);
	TAILQ_INIT(&c->tables);
	if ((c->files = calloc(h->nfiles + 1, sizeof(*c->files))) == NULL)
		goto fail;
	for (; c->nfiles < h->nfiles; c->nfiles++) {
		*why = "file name";
		s = (const char *)m.p;
		most = m.left < PATH_MAX ? m.left : PATH_MAX;
		if ((n = strnlen(s, most)) == most)
			goto bad;
		(void)take(&m, n + 1);
		if ((c->files[c->nfiles] = strdup(s)) == NULL)
			goto fail;
	}
	for (i = 0; i < h->nlistens; i++) {
		if ((l = take_entry(&m, sizeof(*l), why)) == NULL)
			goto bad;
		TAILQ_INSERT_TAIL(&c->listens, l, entry);
		if (where_in(c, &l->where) == -1)
			goto where;
	}
	for (i = 0; i < h->npkis; i++) {
		if ((p = take_entry(&m, sizeof(*p), why)) == NULL)
			goto bad;
		p->served = NULL;
		TAILQ_INSERT_TAIL(&c->pkis, p, entry);
		if (where_in(c, &p->where) == -1 ||
		    where_in(c, &p->cert_where) == -1 ||
		    where_in(c, &p->key_where) == -1)
			goto where;
	}
	for (i = 0; i < h->ntrusted + h->nproxies; i++) {
		if ((t = take_entry(&m, sizeof(*t), why)) == NULL)
			goto bad;
		TAILQ_INSERT_TAIL(i < h->ntrusted ? &c->trusted : &c->proxies,
		    t, entry);
		if (where_in(c, &t->where) == -1)
			goto where;
	}
	for (i = 0; i < h->ntables; i++) {
		if ((tb = take_entry(&m, sizeof(*tb), why)) == NULL)
			goto bad;
		TAILQ_INSERT_TAIL(&c->tables, tb, entry);
		if (where_in(c, &tb->where) == -1)
			goto where;
	}
	if (h->nctluids > 0) {
		if ((s = take(&m, h->nctluids * sizeof(uid_t))) == NULL)
			goto bad;
		if ((c->ctluids = malloc(h->nctluids * sizeof(uid_t))) ==
		    NULL)
			goto fail;
		memcpy(c->ctluids, s, h->nctluids * sizeof(uid_t));
		c->nctluids = h->nctluids;
	}
	*why = "bytes after its end";
	if (m.left != 0)
		goto bad;
	if ((*why = check_lists(c)) != NULL || (*why = check_top(c)) != NULL)
		goto bad;
	return c;
where:
	*why = "where";
	goto bad;
fail:
	*why = strerror(errno);
bad:
	conf_free(c);
	return NULL;
}

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
 * The parent's questions to its tables, asked of tablepop, each kept in
 * a tree until answered.  Callers check answers as a table program's.
 * Password hashes never pass here.  A late, lost or unasked question
 * is LOOKUP_TEMP, never "no such user".
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "popd.h"
#include "parent.h"
#include "chan.h"
#include "config.h"
#include "lookup.h"
#include "settings.h"
#include "stats.h"
#include "table.h"

#if LOOKUP_ALIAS != TABLE_ALIAS || LOOKUP_USERINFO != TABLE_USERINFO
#error "lookup.h's services are not proto.h's"
#endif

struct question {
	RB_ENTRY(question)	 entry;
	uint64_t		 id;
	pid_t			 pid;		/* the tablepop asked */
	int			 service;
	char			 table[TABLE_NAMELEN];
	char			 key[POPD_MAXUSER + 1];
	struct event		 tmo;
	lookup_cb		 cb;
	void			*arg;
	double			 asked;		/* monotonic seconds */
};

static int	 question_cmp(struct question *, struct question *);
RB_HEAD(questiontree, question);
RB_PROTOTYPE_STATIC(questiontree, question, entry, question_cmp)
RB_GENERATE_STATIC(questiontree, question, entry, question_cmp)

static struct questiontree	 questions = RB_INITIALIZER(&questions);
static uint64_t			 lastid;
char				**table_env;	/* popd's at start (popd.c) */

static int
question_cmp(struct question *a, struct question *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static const char *
lookup_service_str(int service)
{
	return service == LOOKUP_ALIAS ? "alias" : "userinfo";
}

static double
seconds(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Counted for popctl(8) only if a database table's. */
static void
answered(const char *table, int status, double asked)
{
	if (table[0] == '/')
		return;
	STAT_INC(status == LOOKUP_FOUND ? STAT_LOOKUP_FOUND :
	    status == LOOKUP_NONE ? STAT_LOOKUP_NONE : STAT_LOOKUP_TEMP);
	stats_lookup_time(seconds() - asked);
}

static void
question_done(struct question *q, int status, const char *value)
{
	RB_REMOVE(questiontree, &questions, q);
	(void)evtimer_del(&q->tmo);
	answered(q->table, status, q->asked);
	q->cb(q->arg, status, value);
	freezero(q, sizeof(*q));
}

/* tablepop is stuck, or lost the question. */
static void
question_timeout(int fd, short ev, void *arg)
{
	struct question	*q = arg;

	log_warnx("table %s: no answer from tablepop (pid %d) to the %s "
	    "lookup of \"%s\" within %d s", q->table, (int)q->pid,
	    lookup_service_str(q->service), q->key,
	    conf->set.timeout.lookup + LOOKUP_SLACK);
	question_done(q, LOOKUP_TEMP, NULL);
}

size_t
lookup_names(const struct popd_conf *c, const char *names[6])
{
	const char	*all[6];
	size_t		 i, k, n = 0;

	all[0] = c->set.authsrc == TABSRC_LOOKUP ? c->set.authtab : NULL;
	all[1] = c->set.usersrc == TABSRC_LOOKUP ? c->set.usertab : NULL;
	all[2] = c->set.route[0] != '\0' &&
	    c->set.routesrc == TABSRC_LOOKUP ? c->set.route : NULL;
	all[3] = c->set.quota.users[0] != '\0' &&
	    c->set.quota.userssrc == TABSRC_LOOKUP ? c->set.quota.users :
	    NULL;
	all[4] = c->apps[0] != '\0' && c->appssrc == TABSRC_LOOKUP ?
	    c->apps : NULL;
	all[5] = c->set.junk_users[0] != '\0' &&
	    c->set.junk_userssrc == TABSRC_LOOKUP ? c->set.junk_users :
	    NULL;
	for (i = 0; i < nitems(all); i++) {
		if (all[i] == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(names[k], all[i]) == 0)
				break;
		if (k == n)
			names[n++] = all[i];
	}
	return n;
}

/* popd's environment too, as smtpd gives its table programs (PGHOST...). */
void
lookup_conf(struct chan *ch, const struct popd_conf *c)
{
	const struct conf_table	*ct;
	const char		*names[6];
	struct msg_table	*mt;
	struct msg_env		*me;
	size_t			 i, n;

	chan_send(ch, MSG_PARENT_CONF, -1, &c->set, sizeof(c->set));
	if ((mt = calloc(1, sizeof(*mt))) == NULL ||
	    (me = calloc(1, sizeof(*me))) == NULL)
		fatal("%s", __func__);
	n = lookup_names(c, names);
	for (i = 0; i < n; i++) {
		if ((ct = conf_table(c, names[i])) == NULL)
			fatalx("%s: no table %s", __func__, names[i]);
		memset(mt, 0, sizeof(*mt));
		(void)strlcpy(mt->name, ct->name, sizeof(mt->name));
		(void)strlcpy(mt->program, ct->program, sizeof(mt->program));
		(void)strlcpy(mt->config, ct->config, sizeof(mt->config));
		(void)strlcpy(mt->interp, ct->interp, sizeof(mt->interp));
		mt->cache = ct->cache;
		chan_send(ch, MSG_PARENT_CONF_TABLE, -1, mt, sizeof(*mt));
	}
	for (i = 0; table_env != NULL && table_env[i] != NULL; i++) {
		if (strlcpy(me->var, table_env[i], sizeof(me->var)) >=
		    sizeof(me->var) || strchr(me->var, '=') == NULL ||
		    me->var[0] == '=') {
			log_warnx("table programs: a variable of popd's "
			    "environment left out: %.32s...", table_env[i]);
			continue;
		}
		chan_send(ch, MSG_PARENT_CONF_ENV, -1, me, sizeof(*me));
	}
	free(mt);
	free(me);
}

/* cb once, perhaps before this returns; value valid during the call. */
void
lookup(const char *name, int service, const char *key, lookup_cb cb,
    void *arg)
{
	struct proc		*p = current[KIND_TABLE];
	struct question		*q;
	struct msg_lookup	 ml;
	struct timeval		 tv = { conf->set.timeout.lookup + LOOKUP_SLACK,
				    0 };
	double			 asked = seconds();

	if (p == NULL || p->chan.fd == -1 ||
	    (q = calloc(1, sizeof(*q))) == NULL) {
		if (p == NULL || p->chan.fd == -1)
			log_warnx("table %s: not running (no tablepop)", name);
		else
			log_warn("table %s", name);
		answered(name, LOOKUP_TEMP, asked);
		cb(arg, LOOKUP_TEMP, NULL);
		return;
	}
	q->id = ++lastid;
	q->pid = p->pid;
	q->service = service;
	(void)strlcpy(q->table, name, sizeof(q->table));
	(void)strlcpy(q->key, key, sizeof(q->key));
	q->cb = cb;
	q->arg = arg;
	q->asked = asked;
	evtimer_set(&q->tmo, question_timeout, q);
	if (evtimer_add(&q->tmo, &tv) == -1)
		fatal("evtimer_add");
	RB_INSERT(questiontree, &questions, q);

	memset(&ml, 0, sizeof(ml));
	ml.id = q->id;
	ml.service = service;
	(void)strlcpy(ml.table, q->table, sizeof(ml.table));
	(void)strlcpy(ml.key, q->key, sizeof(ml.key));
	chan_send(&p->chan, MSG_PARENT_LOOKUP, -1, &ml, sizeof(ml));
}

void
lookup_user(const char *name, int src, const char *file, const char *user,
    lookup_cb cb, void *arg)
{
	if (name[0] == '\0')
		cb(arg, LOOKUP_NONE, NULL);
	else
		lookup(src == TABSRC_LOOKUP ? name : file, LOOKUP_ALIAS, user,
		    cb, arg);
}

/* NULL, logged. */
struct user_wait *
user_wait(const char *user, void *arg)
{
	struct user_wait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("%s: %s", __func__, user);
		return NULL;
	}
	(void)strlcpy(w->user, user, sizeof(w->user));
	w->arg = arg;
	return w;
}

/* One too late is dropped. */
void
parent_table_answer(struct chan *c, const void *data, int fd)
{
	const struct msg_tabans	*m = data;
	struct proc		*p = c->arg;
	struct question		 key, *q;

	key.id = m->id;
	if ((q = RB_FIND(questiontree, &questions, &key)) == NULL) {
		log_debug("tablepop %d: answer %llu: no longer asked",
		    (int)p->pid, (unsigned long long)m->id);
		return;
	}
	if (q->pid != p->pid) {
		chan_bad(c, "tablepop %d answered tablepop %d's question",
		    (int)p->pid, (int)q->pid);
		return;
	}
	question_done(q, m->status == TABANS_NONE ? LOOKUP_NONE :
	    m->status == TABANS_TEMP ? LOOKUP_TEMP : LOOKUP_FOUND,
	    m->status == TABANS_FOUND ? m->value : NULL);
}

void
lookup_gone(const struct proc *p)
{
	struct question	*q, *next;

	RB_FOREACH_SAFE(q, questiontree, &questions, next) {
		if (q->pid != p->pid)
			continue;
		log_warnx("table %s: tablepop (pid %d) gone: %s lookup of "
		    "\"%s\" failed", q->table, (int)p->pid,
		    lookup_service_str(q->service), q->key);
		question_done(q, LOOKUP_TEMP, NULL);
	}
}


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
 * ask.c -- tablepop's answers to authpop and routepop, from the database
 * tables, on channels the parent made: the parent sees no hash.  A peer that
 * breaks the protocol loses its channel, not us.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "table.h"
#include "tablepop.h"

/* Questions of ours to the databases: apart from the parent's ids. */
#define ASKED		(1ULL << 63)

#define ASK_APPS	MSG_AUTHPOP_APPS
#define ASK_CRED	MSG_AUTHPOP_LOOKUP
#define ASK_ROUTE	MSG_ROUTE_LOOKUP

struct wait {
	TAILQ_ENTRY(wait)	 entry;
	uint64_t		 asked;		/* ours, with ASKED */
	pid_t			 pid;		/* the asker's */
	int			 proc;
	uint64_t		 id;		/* its */
	uint32_t		 ask;		/* ASK_* */
	char			 user[POPD_MAXUSER + 1];
};

static const struct conf_settings *set;
static TAILQ_HEAD(, wait)	 waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			 lastask;

/*
 * A hash too long for authpop, or empty, is no answer (logged).  An empty app
 * passwords value means none.
 */
static void
answer_send(const struct wait *w, int status, const char *value)
{
	union {
		struct msg_cred		mc;
		struct msg_apps		ma;
		struct msg_routeval	mr;
	}		*m;
	struct peer	*p;
	char		*out;
	size_t		 len;
	uint32_t	 type, *st;

	TAILQ_FOREACH(p, &peers, entry)
		if (p->proc == w->proc && p->pid == w->pid)
			break;
	if (p == NULL)
		return;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	if (w->ask == ASK_CRED) {
		m->mc.id = w->id;
		st = &m->mc.status;
		out = m->mc.hash;
		len = sizeof(m->mc.hash);
		type = MSG_TABLE_CRED;
	} else if (w->ask == ASK_APPS) {
		m->ma.id = w->id;
		st = &m->ma.status;
		out = m->ma.recs;
		len = sizeof(m->ma.recs);
		type = MSG_TABLE_APPS;
	} else {
		m->mr.id = w->id;
		st = &m->mr.status;
		out = m->mr.value;
		len = sizeof(m->mr.value);
		type = MSG_TABLE_ROUTEVAL;
	}
	if (status == TABANS_FOUND && value[0] == '\0' && w->ask == ASK_APPS)
		status = TABANS_NONE;
	if (status == TABANS_FOUND && (value[0] == '\0' ||
	    strlcpy(out, value, len) >= len)) {
		log_warnx("table %s: the %s of \"%s\": %zu bytes",
		    w->ask == ASK_CRED ? set->authtab : w->ask == ASK_APPS ?
		    set->apps_table : set->route, w->ask == ASK_CRED ?
		    "credentials" : w->ask == ASK_APPS ? "app passwords" :
		    "route", w->user, strlen(value));
		memset(out, 0, len);
		status = TABANS_TEMP;
	}
	_Static_assert(CRED_NONE == TABANS_NONE && ROUTE_NONE ==
	    TABANS_NONE && CRED_TEMP == TABANS_TEMP && ROUTE_TEMP ==
	    TABANS_TEMP && CRED_FOUND == TABANS_FOUND && ROUTE_FOUND ==
	    TABANS_FOUND, "CRED_*, ROUTE_* are TABANS_*");
	*st = status;
	chan_send(&p->chan, type, -1, m, type == MSG_TABLE_CRED ?
	    sizeof(m->mc) : type == MSG_TABLE_APPS ? sizeof(m->ma) :
	    sizeof(m->mr));
	explicit_bzero(m, sizeof(*m));
	free(m);
}

/*
 * Without that database in our configuration (a peer of another one, in a
 * reload), answered at once: no app passwords if a file holds none, else a
 * temporary failure.
 */
static void
user_ask(struct chan *c, const void *data, int fd)
{
	const struct msg_login	*ml = data;
	struct peer		*p = c->arg;
	struct wait		 w0, *w;
	uint32_t		 ask = c->intype;
	int			 db;

	/*
	 * A live peer reads our answers: past many more unread than it has
	 * sessions, it reads none.  What waits for a database is bounded by
	 * LOOKUP_QUEUE.
	 */
	if (c->outmsgs > 8 * (size_t)set->limit.sessions) {
		chan_bad(c, "%zu answers unread", c->outmsgs);
		return;
	}
	w0 = (struct wait){ .pid = p->pid, .proc = p->proc, .id = ml->id,
	    .ask = ask };
	(void)strlcpy(w0.user, ml->user, sizeof(w0.user));
	db = ask == ASK_APPS ? set->apps_table[0] != '\0' :
	    ask == ASK_CRED ? set->authsrc == TABSRC_LOOKUP :
	    set->route[0] != '\0' && set->routesrc == TABSRC_LOOKUP;
	if (!db || (w = malloc(sizeof(*w))) == NULL) {
		if (db)
			log_warn("%s", __func__);
		else if (ask != ASK_APPS)
			log_warnx("a %s of %s, but %s is no database table",
			    ask == ASK_CRED ? "password hash" : "route",
			    ml->user, ask == ASK_CRED ? "authtab" : "route");
		answer_send(&w0, ask == ASK_APPS && set->apps_file[0] ==
		    '\0' && !db ? TABANS_NONE : TABANS_TEMP, NULL);
		return;
	}
	*w = w0;
	TAILQ_INSERT_TAIL(&waits, w, entry);
	w->asked = ++lastask | ASKED;
	tables_lookup(w->asked, ask == ASK_APPS ? set->apps_table :
	    ask == ASK_CRED ? set->authtab : set->route, ask == ASK_CRED ?
	    TABLE_CREDENTIALS : TABLE_ALIAS, w->user);
}

static const struct msg_handler from_authpop[] = {
	{ MSG_AUTHPOP_APPS,	user_ask },
	{ MSG_AUTHPOP_LOOKUP,	user_ask },
};
static const struct msg_handler from_route[] = {
	{ MSG_ROUTE_LOOKUP,	user_ask },
};

void
ask_start(const struct conf_settings *s)
{
	set = s;
}

void
ask_peer(struct chan *c, const void *data, int fd)
{
	const struct msg_ctlpeer	*m = data;

	if (m->proc == PROC_ROUTE)
		peer_add(PROC_TABLE, m, fd, from_route, nitems(from_route),
		    NULL);
	else
		peer_add(PROC_TABLE, m, fd, from_authpop, nitems(from_authpop),
		    NULL);
}

/* tablepop.c sends the others to the parent: 1, or 0 if id is not ours. */
int
ask_answer(uint64_t id, int status, const char *value)
{
	struct wait	*w;

	if (!(id & ASKED))
		return 0;
	TAILQ_FOREACH(w, &waits, entry)
		if (w->asked == id)
			break;
	if (w == NULL)
		fatalx("%s: an answer to no question", __func__);
	TAILQ_REMOVE(&waits, w, entry);
	answer_send(w, status, value);
	free(w);
	return 1;
}

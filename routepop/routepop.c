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
 * routepop.c -- auth_http's router: which backend serves a user, from the
 * route table and the backends' health.  No login of a POP3 client touches it.
 * A peer that breaks the protocol loses its channel, not us.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "proc.h"
#include "sandbox.h"
#include "table.h"
#include "routepop.h"

struct route_wait {
	TAILQ_ENTRY(route_wait)	 entry;
	uint64_t		 asked;		/* ours */
	int			 tch;		/* of tabchan[] */
	pid_t			 pid;		/* the httppop's */
	uint64_t		 id;		/* its */
	int			 domain;	/* asking for the domain now */
	char			 user[POPD_MAXUSER + 1];
};

static struct chan		 parent;
static struct conf_settings	 set;
static struct chan		 ctl_chan;
static struct chan		 tabchan[2];	/* the newest two tablepops' */
static int			 tabcur = -1;
static TAILQ_HEAD(, route_wait)	 waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			 lastask;
static int			 draining;

/* When no backend takes users, a temporary failure, never a wrong password. */
static void
route_send(pid_t pid, uint64_t id, const char *user, int status,
    const char *value)
{
	struct msg_route	 mr;
	struct peer		*p;

	TAILQ_FOREACH(p, &peers, entry)
		if (p->pid == pid)
			break;
	if (p == NULL)
		return;
	memset(&mr, 0, sizeof(mr));
	mr.id = id;
	if (status == ROUTE_FOUND && router_pick(user, value, mr.addr,
	    sizeof(mr.addr)) == -1)
		status = ROUTE_TEMP;
	mr.status = status;
	chan_send(&p->chan, MSG_ROUTE_ANSWER, -1, &mr, sizeof(mr));
}

static void
wait_done(struct route_wait *w, int status, const char *value)
{
	TAILQ_REMOVE(&waits, w, entry);
	route_send(w->pid, w->id, w->user, status, value);
	free(w);
	if (draining && TAILQ_EMPTY(&waits))
		exit(0);
}

static void
table_eof(struct chan *c)
{
	struct route_wait	*w, *next;

	TAILQ_FOREACH_SAFE(w, &waits, entry, next)
		if (&tabchan[w->tch] == c)
			wait_done(w, ROUTE_TEMP, NULL);
	chan_close(c);
	if (tabcur == c - tabchan)
		tabcur = -1;
}

static void
route_ask(struct route_wait *w, const char *key)
{
	struct msg_login	ml;

	memset(&ml, 0, sizeof(ml));
	ml.id = w->asked = ++lastask;
	(void)strlcpy(ml.user, key, sizeof(ml.user));
	w->tch = tabcur;
	chan_send(&tabchan[tabcur], MSG_ROUTE_LOOKUP, -1, &ml, sizeof(ml));
}

static void
http_route(struct chan *c, const void *data, int fd)
{
	static struct lograte	 rate;
	const struct msg_login	*ml = data;
	struct peer		*p = c->arg;
	struct route_wait	*w;
	const char		*v;
	size_t			 n = 0;

	/*
	 * An httppop has at most limit sessions questions open, and as many it
	 * gave up on: past that it reads no answers, and a question is a
	 * temporary failure.
	 */
	if (c->outmsgs > 2 * (size_t)set.limit.sessions) {
		chan_bad(c, "%zu routes unread", c->outmsgs);
		return;
	}
	TAILQ_FOREACH(w, &waits, entry)
		n += w->pid == p->pid;
	if (n >= 2 * (size_t)set.limit.sessions) {
		log_rate(&rate, "a route for %s: %zu questions of that "
		    "httppop wait for <%s> already", ml->user, n, set.route);
		route_send(p->pid, ml->id, ml->user, ROUTE_TEMP, NULL);
		return;
	}
	if (set.routesrc == TABSRC_FILE) {
		v = router_lookup(ml->user);
		route_send(p->pid, ml->id, ml->user, v != NULL ?
		    ROUTE_FOUND : ROUTE_NONE, v);
		return;
	}
	if (tabcur == -1 || (w = calloc(1, sizeof(*w))) == NULL) {
		if (tabcur == -1)
			log_warnx("a route for %s, but no tablepop runs to "
			    "ask <%s>", ml->user, set.route);
		else
			log_warn("%s", __func__);
		route_send(p->pid, ml->id, ml->user, ROUTE_TEMP, NULL);
		return;
	}
	w->pid = p->pid;
	w->id = ml->id;
	(void)strlcpy(w->user, ml->user, sizeof(w->user));
	TAILQ_INSERT_TAIL(&waits, w, entry);
	route_ask(w, w->user);
}

/* As from a compromised tablepop: a value must be a pool of addresses. */
static void
table_routeval(struct chan *c, const void *data, int fd)
{
	const struct msg_routeval	*m = data;
	struct route_wait		*w;
	const char			*at;

	TAILQ_FOREACH(w, &waits, entry)
		if (w->asked == m->id && &tabchan[w->tch] == c)
			break;
	if (w == NULL) {
		chan_bad(c, "%s: an answer to no question",
		    msg_type_str(MSG_TABLE_ROUTEVAL));
		return;
	}
	if (m->status == ROUTE_NONE && !w->domain && tabcur != -1 &&
	    (at = strrchr(w->user, '@')) != NULL && at[1] != '\0' &&
	    valid_username(at + 1)) {
		w->domain = 1;
		route_ask(w, at + 1);
		return;
	}
	if (m->status == ROUTE_FOUND && !table_valid_route(m->value)) {
		log_warnx("route <%s>: the backend of %s is not an IPv4 or "
		    "IPv6 address, or a pool of %d at most", set.route,
		    w->user, ROUTE_POOLMAX);
		wait_done(w, ROUTE_TEMP, NULL);
	} else
		wait_done(w, m->status, m->value);
}

static const struct msg_handler from_http[] = {
	{ MSG_HTTP_ROUTE,	http_route },
};
static const struct msg_handler from_table[] = {
	{ MSG_TABLE_ROUTEVAL,	table_routeval },
};
static const struct msg_handler from_control[] = {
	{ MSG_CONTROL_BACKENDS,	router_control_backends },
	{ MSG_CONTROL_DRAIN,	router_control_drain },
	{ MSG_CONTROL_UNDRAIN,	router_control_drain },
};

static void
routepop_parent_drain(struct chan *c, const void *data, int fd)
{
	draining = 1;
	router_drain();
	if (TAILQ_EMPTY(&waits))
		exit(0);
}

static void
routepop_parent_peer(struct chan *c, const void *data, int fd)
{
	peer_add(PROC_ROUTE, data, fd, from_http, nitems(from_http), NULL);
}

/* The one before is kept for the values it was asked. */
static void
routepop_parent_tablechan(struct chan *c, const void *data, int fd)
{
	int	i = tabcur == 0 ? 1 : 0;

	if (fd == -1)
		return;		/* our shortage of descriptors: logged */
	table_eof(&tabchan[i]);
	chan_init(&tabchan[i], fd, PROC_ROUTE, PROC_TABLE, PH_RUN, from_table,
	    nitems(from_table), table_eof, NULL);
	tabchan[i].bad = table_eof;
	chan_start(&tabchan[i]);
	tabcur = i;
}

static void
routepop_parent_ctlchan(struct chan *c, const void *data, int fd)
{
	proc_ctlchan(&ctl_chan, PROC_ROUTE, fd, from_control,
	    nitems(from_control));
}

/* As ourselves: the route file is parsed by no root process. */
static void
routepop_open(void *arg)
{
	event_init();
	router_start(&set);
}

static void
routepop_sandbox(void *arg)
{
	sandbox_routepop(set.route_health);
}

static void
routepop_run(void)
{
	tabchan[0].fd = tabchan[1].fd = -1;
	check_run(set.route_health);
	chan_start(&parent);
	log_debug("ready");
	if (event_dispatch() == -1)
		fatal("event_dispatch");
	fatalx("event loop ended");
}

static void
routepop_parent_eof(struct chan *c)
{
	exit(0);
}

static const struct msg_handler from_parent[] = {
	{ MSG_PARENT_CONF,	proc_parent_conf },
	{ MSG_PARENT_CONF_ROUTE, router_file },
	{ MSG_PARENT_ROUTEPAGE,	router_page },
	{ MSG_PARENT_CONF_END,	proc_parent_conf_end },
	{ MSG_PARENT_DRAIN,	routepop_parent_drain },
	{ MSG_PARENT_ROUTEPEER,	routepop_parent_peer },
	{ MSG_PARENT_TABLECHAN,	routepop_parent_tablechan },
	{ MSG_PARENT_CTLCHAN,	routepop_parent_ctlchan },
	{ MSG_PARENT_VERBOSE,	proc_parent_verbose },
};

/*
 * Its confinement keeps it from the other POPD_USER processes: signals and
 * ptrace stay in its Landlock domain and seccomp filter.
 */
static const struct proc_role routepop_role = {
	.setup = {
		.role = "routepop",
		.title = "routes",
		.user = POPD_USER,
		.chroot = 1,
		.nohup = 1,
		.open = routepop_open,
		.sandbox = routepop_sandbox,
	},
	.self = PROC_ROUTE,
	.chan = &parent,
	.handlers = from_parent,
	.nhandlers = nitems(from_parent),
	.settings = &set,
	.eof = routepop_parent_eof,
	.run = routepop_run,
};

int
main(int argc, char *argv[])
{
	proc_run(&routepop_role, argc, argv);
}
